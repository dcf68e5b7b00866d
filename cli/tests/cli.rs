//! The `weixin` binary: help and listing snapshots, the demo end to end, and the client
//! commands (`call`, `token`) against an in-process sandbox.

mod support;

use std::process::Command;

use weixin_cli::call::{self, Account, CallInput};

fn weixin(args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_weixin"))
        .args(args)
        .env_remove("WEIXIN_APP_ID")
        .env_remove("WEIXIN_APP_SECRET")
        .env_remove("WEIXIN_BASE_URL")
        .output()
        .expect("the binary runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn help_snapshot() {
    let (ok, out, _) = weixin(&["--help"]);
    assert!(ok);
    insta::assert_snapshot!("help", out);
}

#[test]
fn sandbox_help_snapshot() {
    let (ok, out, _) = weixin(&["sandbox", "--help"]);
    assert!(ok);
    insta::assert_snapshot!("sandbox_help", out);
}

#[test]
fn list_group_snapshot() {
    let (ok, out, _) = weixin(&["list", "offiaccount.user"]);
    assert!(ok);
    insta::assert_snapshot!("list_offiaccount_user", out);
}

#[test]
fn list_endpoint_and_errors() {
    let (ok, out, _) = weixin(&["list", "offiaccount.user.info"]);
    assert!(ok);
    assert!(out.contains("GET /cgi-bin/user/info on api"), "{out}");
    assert!(out.contains("openid: string (required)"), "{out}");
    let (ok, _, err) = weixin(&["list", "offiacount"]);
    assert!(!ok);
    assert!(err.contains("did you mean offiaccount"), "{err}");
}

#[test]
fn demo_runs_offline_end_to_end() {
    let (ok, out, err) = weixin(&["demo"]);
    assert!(ok, "{out}\n{err}");
    for expected in [
        "1. sandbox on http://127.0.0.1:",
        "errcodes [42001, 0]",
        "identical",
        "errcode::INVALID_MEDIA_ID",
        "reply \"echo: 你好, bot\"",
        "the 3 replies are identical",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
}

#[test]
fn bad_arguments_are_errors_not_panics() {
    let (ok, _, err) = weixin(&["sandbox", "--fail-rate-5xx", "2"]);
    assert!(!ok && err.contains("between 0 and 1"), "{err}");
    let (ok, _, err) = weixin(&["call", "offiaccount.user.info", "openid=x"]);
    assert!(!ok && err.contains("WEIXIN_APP_ID"), "{err}");
    let (ok, _, err) = weixin(&[
        "simulate",
        "--url",
        "http://127.0.0.1:9/wx",
        "--token",
        "t",
        "--type",
        "nosuch",
    ]);
    assert!(!ok && err.contains("no push type"), "{err}");
}

#[tokio::test]
async fn call_and_token_against_the_sandbox() {
    let sandbox = support::sandbox(|_| {}).await;
    let account = Account {
        app_id: support::APP_ID.into(),
        app_secret: support::APP_SECRET.into(),
        base_url: Some(sandbox.url()),
        ..Account::default()
    };
    let ir = weixin_cli::spec::embedded();
    let info = call::call(
        &ir,
        "offiaccount.user.info",
        &account,
        &CallInput {
            params: vec!["openid=o_cli".into()],
            ..CallInput::default()
        },
    )
    .await
    .unwrap();
    assert!(info.contains("\"openid\": \"o_cli\""), "{info}");

    let qr = std::env::temp_dir().join(format!("weixin-cli-test-{}.jpg", std::process::id()));
    let saved = call::call(
        &ir,
        "offiaccount.qrcode.show",
        &account,
        &CallInput {
            params: vec!["ticket=T".into()],
            output: Some(qr.clone()),
            ..CallInput::default()
        },
    )
    .await
    .unwrap();
    assert!(saved.contains("image/jpg"), "{saved}");
    let bytes = std::fs::read(&qr).unwrap();
    assert!(bytes.starts_with(&[0xff, 0xd8]));
    let _ = std::fs::remove_file(&qr);

    let refused = call::call(
        &ir,
        "offiaccount.user.info",
        &account,
        &CallInput {
            json: Some(r#"{"openid":"o","lang":"xx"}"#.into()),
            ..CallInput::default()
        },
    )
    .await
    .unwrap_err();
    assert!(
        refused.contains("40097") && refused.contains("lang"),
        "{refused}"
    );

    // A WeCom endpoint is called with a WeCom token (`gettoken`), which the sandbox requires.
    let member = call::call(
        &ir,
        "wecom.user.get",
        &account,
        &CallInput {
            params: vec!["userid=zhangsan".into()],
            ..CallInput::default()
        },
    )
    .await
    .unwrap();
    assert!(member.contains("zhangsan"), "{member}");
    assert_eq!(sandbox.count("/cgi-bin/gettoken"), 1);

    let shown = call::token(&account, false, false, false).await.unwrap();
    assert!(
        shown.contains("expires_in:   7200 s") && shown.contains("--show"),
        "{shown}"
    );
    assert_eq!(
        sandbox.count("/cgi-bin/stable_token"),
        2,
        "the client's and the command's"
    );
}
