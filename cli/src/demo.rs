//! `weixin demo`: the SDK end to end with no WeChat account. Starts the sandbox on loopback,
//! points the generated Official Account client at it (token, follower calls, a token that
//! expires under it, an upload and its download, a size check), runs the echo bot and pushes
//! a simulated encrypted message to it three times, and prints each step. With
//! `WEIXIN_APP_ID` and `WEIXIN_APP_SECRET` set, the client part runs read-only against WeChat.

use std::io::Write;
use std::time::Instant;

use weixin::offiaccount::{self, media::MediaType};
use weixin::{Upload, errcode};

use crate::sandbox::{HostName, Sandbox, SandboxConfig, images};
use crate::simulate::{self, Simulation};

type DemoResult = Result<(), Box<dyn std::error::Error>>;

/// Push token, AppID and EncodingAESKey of the demo's echo bot.
const BOT_TOKEN: &str = "demo-push-token";
const BOT_APP_ID: &str = "wx_demo_app_id";
const BOT_AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

/// Runs the demo, printing to `out`. Real credentials in the environment switch the client
/// part to WeChat itself (read-only calls).
pub async fn run(out: &mut impl Write) -> DemoResult {
    let env = crate::local::env_var;
    if let (Some(app_id), Some(secret)) = (env("WEIXIN_APP_ID"), env("WEIXIN_APP_SECRET")) {
        writeln!(
            out,
            "WEIXIN_APP_ID is set: read-only calls against WeChat itself"
        )?;
        return against_wechat(out, offiaccount::Client::new(app_id, secret)).await;
    }
    offline(out).await
}

async fn offline(out: &mut impl Write) -> DemoResult {
    let started = Instant::now();
    let sandbox = Sandbox::start(SandboxConfig::embedded()).await?;
    let ir = crate::spec::embedded();
    writeln!(
        out,
        "1. sandbox on {} serving {} endpoints of the embedded spec",
        sandbox.url(),
        ir.endpoints().count()
    )?;

    let mut builder = offiaccount::Client::builder(BOT_APP_ID, "demo-secret");
    for host in HostName::ALL {
        builder = builder.base_url(host.runtime(), &sandbox.url_for(host));
    }
    let mp: offiaccount::Client = builder.build()?;

    let token = mp.access_token().await?;
    writeln!(
        out,
        "2. access token from POST /cgi-bin/stable_token: {}",
        crate::call::mask(token.secret())
    )?;

    let followers = mp.user().followers().await?;
    writeln!(
        out,
        "3. followers: total {:?}, first page {:?}",
        followers.total,
        followers.data.as_ref().map(|d| &d.open_ids)
    )?;
    let info = mp.user().info("o_alice").await?;
    writeln!(
        out,
        "4. user info for {}: subscribed {}, tags {:?}",
        info.open_id, info.subscribe, info.tag_ids
    )?;

    sandbox.expire_tokens();
    let ips = mp.basic().api_domain_ip().await?;
    let codes: Vec<String> = sandbox
        .journal()
        .iter()
        .filter(|e| e.path == "/cgi-bin/get_api_domain_ip")
        .map(|e| e.errcode.unwrap_or_default().to_string())
        .collect();
    writeln!(
        out,
        "5. the sandbox expired every token; the next call got errcodes [{}]: the client \
         refreshed and resent once ({} API IPs)",
        codes.join(", "),
        ips.ip_list.len()
    )?;

    let picture = images::png(4096, 42);
    let uploaded = mp
        .media()
        .upload(
            MediaType::Image,
            Upload::from_bytes("cat.png", picture.clone()),
        )
        .await?;
    let media_id = uploaded.media_id.clone().unwrap_or_default();
    let downloaded = mp.media().get(&media_id).await?;
    writeln!(
        out,
        "6. uploaded cat.png ({} bytes) as media_id {}…; downloaded {} bytes of {:?}: {}",
        picture.len(),
        media_id.chars().take(12).collect::<String>(),
        downloaded.len(),
        downloaded.content_type(),
        if downloaded.bytes().as_ref() == picture.as_slice() {
            "identical"
        } else {
            "DIFFERENT"
        }
    )?;
    match mp
        .media()
        .upload(
            MediaType::Thumb,
            Upload::from_bytes("huge.jpg", vec![0; 65 * 1024]),
        )
        .await
    {
        Err(e) => writeln!(out, "7. a 65 KB thumbnail is refused before sending: {e}")?,
        Ok(_) => writeln!(out, "7. unexpected: the oversized thumbnail was accepted")?,
    }
    match mp.media().get("expired-media-id").await {
        Err(e) if e.api_code() == Some(errcode::INVALID_MEDIA_ID) => writeln!(
            out,
            "8. an unknown media_id -> errcode::INVALID_MEDIA_ID ({e})"
        )?,
        other => writeln!(out, "8. unexpected: {other:?}")?,
    }

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let bot_url = format!("http://{}/wx", listener.local_addr()?);
    let service = crate::echo::service(BOT_TOKEN, BOT_APP_ID, Some(BOT_AES_KEY))?;
    let bot = tokio::spawn(crate::echo::serve(listener, service, "/wx"));
    simulate::verify_url(&bot_url, BOT_TOKEN).await?;
    let push = ir.push().ok_or("the spec has no push/")?;
    let text = simulate::find_message(push, "text")?;
    let body = simulate::build(
        text,
        None,
        None,
        &[
            ("FromUserName".into(), "o_alice".into()),
            ("Content".into(), "你好, bot".into()),
        ],
    )?;
    let deliveries = simulate::send(&Simulation {
        url: bot_url.clone(),
        token: BOT_TOKEN.into(),
        encrypt: Some((BOT_AES_KEY.into(), BOT_APP_ID.into())),
        body,
        repeat: 3,
    })
    .await?;
    let same = deliveries.iter().all(|d| d.plain == deliveries[0].plain);
    writeln!(
        out,
        "9. echo bot on {bot_url} (safe mode): URL verified; an encrypted text sent 3 times \
         (WeChat's retries) -> reply {:?}, decrypted; the 3 replies {}",
        deliveries[0].parsed["Content"].as_str().unwrap_or_default(),
        if same { "are identical" } else { "DIFFER" }
    )?;
    bot.abort();

    let journal = sandbox.journal();
    writeln!(
        out,
        "done in {:?}: {} requests to the sandbox, {} of them token fetches",
        started.elapsed(),
        journal.len(),
        journal
            .iter()
            .filter(|e| e.path == "/cgi-bin/stable_token")
            .count()
    )?;
    sandbox.shutdown().await;
    Ok(())
}

/// The read-only part of the walk, against WeChat.
async fn against_wechat(out: &mut impl Write, mp: offiaccount::Client) -> DemoResult {
    let token = mp.access_token().await?;
    writeln!(out, "access token: {}", crate::call::mask(token.secret()))?;
    let ips = mp.basic().api_domain_ip().await?;
    writeln!(out, "WeChat API IPs: {} addresses", ips.ip_list.len())?;
    let followers = mp.user().followers().await?;
    writeln!(out, "followers: total {:?}", followers.total)?;
    Ok(())
}
