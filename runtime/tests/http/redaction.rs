//! Secrets and tokens never show in Debug or Display of clients, tokens and errors.

use std::time::Duration;

use serde_json::json;
use weixin_runtime::{Error, TokenSource};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::*;

const TOKEN: &str = "TOKEN-very-secret-value";

fn assert_clean(text: &str) {
    assert!(!text.contains(APP_SECRET), "secret leaked: {text}");
    assert!(!text.contains(TOKEN), "token leaked: {text}");
}

/// Display, Debug and every source of an error.
fn error_texts(err: &Error) -> String {
    let mut out = format!("{err}\n{err:?}");
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        out.push_str(&format!("\n{s}\n{s:?}"));
        source = s.source();
    }
    out
}

#[tokio::test]
async fn client_and_token_debug_hide_secrets() {
    let server = MockServer::start().await;
    token_mock(TOKEN, 7200).mount(&server).await;
    let builder = builder(&server);
    assert_clean(&format!("{builder:?}"));
    let client = builder.build().expect("client");
    let token = client.access_token().await.expect("token");
    assert_eq!(token.secret(), TOKEN);
    let shown = format!(
        "{client:?} {token:?} {:?}",
        weixin_runtime::Shared::global()
    );
    assert!(shown.contains(APP_ID));
    assert_clean(&shown);
    let plain = weixin_runtime::Client::new(APP_ID, APP_SECRET);
    assert_eq!(plain.app_id(), APP_ID);
    assert_clean(&format!(
        "{plain:?} {:?}",
        weixin_runtime::AppSecret::new(APP_SECRET)
    ));
}

#[tokio::test]
async fn timeout_error_has_no_token_or_url() {
    let server = MockServer::start().await;
    token_mock(TOKEN, 7200).mount(&server).await;
    Mock::given(path("/cgi-bin/message/custom/send"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(600)))
        .mount(&server)
        .await;
    let client = builder(&server)
        .timeout(Duration::from_millis(150))
        .build()
        .expect("client");
    let err = client
        .send(&SendText {
            touser: "o".into(),
            content: "c".into(),
        })
        .await
        .expect_err("timeout");
    let texts = error_texts(&err);
    assert_clean(&texts);
    assert!(!texts.contains("access_token="), "{texts}");
}

#[tokio::test]
async fn classic_token_transport_error_hides_the_secret() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let client = weixin_runtime::Client::builder(APP_ID, APP_SECRET)
        .shared(&weixin_runtime::Shared::new())
        .base_url(
            weixin_runtime::Host::Api,
            &format!("http://127.0.0.1:{port}"),
        )
        .token_source(TokenSource::Classic)
        .build()
        .expect("client");
    let err = client
        .send(&GetThing { id: "1".into() })
        .await
        .expect_err("refused");
    assert!(matches!(err, Error::Token(_)), "{err:?}");
    assert_clean(&error_texts(&err));
}

#[tokio::test]
async fn undecodable_token_response_is_masked() {
    let server = MockServer::start().await;
    Mock::given(path("/cgi-bin/stable_token"))
        .respond_with(json_ok(
            json!({"access_token": TOKEN, "expires_in": "soon"}),
        ))
        .mount(&server)
        .await;
    let err = client(&server)
        .access_token()
        .await
        .expect_err("bad expires_in");
    let texts = error_texts(&err);
    assert!(texts.contains("expires_in"), "{texts}");
    assert_clean(&texts);
}
