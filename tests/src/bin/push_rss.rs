//! Resident memory of the echo bot's push service over many distinct pushes.
//!
//! `cargo run --release -p weixin-tests --bin push_rss [PUSHES]` (default 100,000)
//!
//! Builds the service of `generated/examples/echo_bot.rs` (safe mode, default dedup and context
//! stores) and feeds it distinct encrypted text pushes through `Service::handle`, from 20,000
//! users in turn. Prints `VmRSS` from `/proc/self/status` before the first push, after 10k,
//! every 50k and the last, so growth beyond the dedup and context bounds shows (run 300,000 to
//! see the plateau once the dedup store holds its 100,000 entries).

use std::process::ExitCode;

use weixin::push::Service;
use weixin::push::crypto::MsgCrypt;
use weixin_tests::push_fixture::{AES_KEY, APP_ID, SignedPush, TOKEN, echo};

/// Distinct senders: twice the default context store's 10,000 users, so it evicts; each
/// user sends 5 of the 100,000 pushes.
const USERS: u64 = 20_000;
const DEFAULT_PUSHES: u64 = 100_000;

/// `VmRSS` of this process, as `/proc/self/status` writes it (e.g. `5120 kB`).
fn vm_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmRSS:").map(|v| v.trim().to_owned()))
        })
        .unwrap_or_else(|| "unavailable (no /proc/self/status)".to_owned())
}

async fn run(pushes: u64) -> Result<(), String> {
    let service: Service = Service::builder(TOKEN)
        .app_id(APP_ID)
        .encoding_aes_key(AES_KEY)
        .build(echo)
        .map_err(|e| format!("the service does not build: {e}"))?;
    let crypt = MsgCrypt::new(TOKEN, AES_KEY, APP_ID).map_err(|e| format!("bad key: {e}"))?;
    println!("pushes {:>7}  VmRSS {}", 0, vm_rss());
    for n in 1..=pushes {
        let user = format!("oyORnuP8q7ou2gfYjqLzSI{:06}", n % USERS);
        let push = SignedPush::safe(&crypt, &user, 6_054_768_590_064_713_728 + n);
        let response = service.handle(push.request()).await;
        if response.status != 200 || !response.body.contains("<Encrypt>") {
            return Err(format!(
                "push {n} was answered {} {:?}",
                response.status, response.body
            ));
        }
        if n == 10_000 || n % 50_000 == 0 || n == pushes {
            println!("pushes {n:>7}  VmRSS {}", vm_rss());
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let pushes = match std::env::args().nth(1).map(|arg| arg.parse::<u64>()) {
        None => DEFAULT_PUSHES,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("usage: push_rss [PUSHES]  (a positive count; default {DEFAULT_PUSHES})");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("no Tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(pushes)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
