//! Resend policy: safe calls after transport failures and 5xx, never for non-idempotent calls.

use std::time::Duration;

use serde_json::json;
use weixin_runtime::{Error, Host, Retry};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::*;

fn text() -> SendText {
    SendText {
        touser: "o1".into(),
        content: "你好".into(),
    }
}

#[tokio::test]
async fn never_call_that_times_out_is_not_resent() {
    let server = MockServer::start().await;
    token_mock("T1", 7200).mount(&server).await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/message/custom/send"))
        .respond_with(
            json_ok(json!({"errcode": 0, "errmsg": "ok"})).set_delay(Duration::from_millis(800)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server)
        .timeout(Duration::from_millis(250))
        .build()
        .expect("client");
    let err = client.send(&text()).await.expect_err("times out");
    let Error::Transport(t) = &err else {
        panic!("expected Transport, got {err:?}")
    };
    assert!(t.is_timeout());
    assert!(!err.is_retryable());
    // Give a wrongly resent request time to arrive before the expectation is checked.
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(hits(&server, "/cgi-bin/message/custom/send").await, 1);
}

#[tokio::test]
async fn safe_call_that_times_out_is_resent_twice_at_most() {
    let server = MockServer::start().await;
    token_mock("T1", 7200).mount(&server).await;
    Mock::given(path("/cgi-bin/thing"))
        .respond_with(json_ok(json!({"value": "late"})).set_delay(Duration::from_millis(800)))
        .expect(3)
        .mount(&server)
        .await;
    let client = builder(&server)
        .timeout(Duration::from_millis(200))
        .build()
        .expect("client");
    let err = client
        .send(&GetThing { id: "1".into() })
        .await
        .expect_err("times out");
    assert!(
        matches!(&err, Error::Transport(t) if t.is_timeout()),
        "{err:?}"
    );
    assert!(err.is_retryable());
}

#[tokio::test]
async fn safe_call_recovers_after_a_5xx() {
    let server = MockServer::start().await;
    token_mock("T1", 7200).mount(&server).await;
    Mock::given(path("/cgi-bin/thing"))
        .respond_with(ResponseTemplate::new(503).set_body_string("busy"))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/cgi-bin/thing"))
        .respond_with(json_ok(json!({"value": "ok"})))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let thing = client
        .send(&GetThing { id: "1".into() })
        .await
        .expect("recovered");
    assert_eq!(thing.value.as_deref(), Some("ok"));
}

#[tokio::test]
async fn safe_call_gives_up_after_three_5xx() {
    let server = MockServer::start().await;
    token_mock("T1", 7200).mount(&server).await;
    Mock::given(path("/cgi-bin/thing"))
        .respond_with(ResponseTemplate::new(502).set_body_string("bad gateway"))
        .expect(3)
        .mount(&server)
        .await;
    let err = client(&server)
        .send(&GetThing { id: "1".into() })
        .await
        .expect_err("5xx");
    let Error::Status(s) = &err else {
        panic!("expected Status, got {err:?}")
    };
    assert_eq!(s.status(), 502);
    assert_eq!(s.excerpt(), "bad gateway");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn never_call_with_5xx_is_not_resent() {
    let server = MockServer::start().await;
    token_mock("T1", 7200).mount(&server).await;
    Mock::given(path("/cgi-bin/message/custom/send"))
        .respond_with(ResponseTemplate::new(500))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server).send(&text()).await.expect_err("5xx");
    assert!(
        matches!(&err, Error::Status(s) if s.status() == 500),
        "{err:?}"
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn client_error_status_is_not_resent() {
    let server = MockServer::start().await;
    Mock::given(path("/cgi-bin/public"))
        .respond_with(ResponseTemplate::new(404))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server).send(&GetPublic).await.expect_err("404");
    assert!(
        matches!(&err, Error::Status(s) if s.status() == 404),
        "{err:?}"
    );
}

#[tokio::test]
async fn refused_connection_is_a_connect_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let client = weixin_runtime::Client::builder(APP_ID, APP_SECRET)
        .base_url(Host::Api, &format!("http://127.0.0.1:{port}"))
        .build()
        .expect("client");
    let err = client.send(&GetPublic).await.expect_err("refused");
    assert!(
        matches!(&err, Error::Transport(t) if t.is_connect()),
        "{err:?}"
    );
}

#[tokio::test]
async fn json_body_is_raw_utf8() {
    let server = MockServer::start().await;
    token_mock("T1", 7200).mount(&server).await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/message/custom/send"))
        .and(wiremock::matchers::body_json(
            json!({"touser": "o1", "content": "你好"}),
        ))
        .respond_with(json_ok(json!({"errcode": 0, "errmsg": "ok"})))
        .expect(1)
        .mount(&server)
        .await;
    client(&server).send(&text()).await.expect("sent");
    let requests = server.received_requests().await.unwrap_or_default();
    let sent = requests
        .iter()
        .find(|r| r.url.path() == "/cgi-bin/message/custom/send")
        .expect("request");
    assert!(String::from_utf8_lossy(&sent.body).contains("你好"));
    assert!(sent.url.query().unwrap_or("").contains("access_token=T1"));
}

#[tokio::test]
async fn call_json_uses_the_same_path() {
    let server = MockServer::start().await;
    token_mock("T1", 7200)
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    token_mock("T2", 7200).mount(&server).await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/custom/thing"))
        .and(wiremock::matchers::query_param("access_token", "T1"))
        .respond_with(json_ok(json!({"errcode": 42001, "errmsg": "expired"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/custom/thing"))
        .and(wiremock::matchers::query_param("access_token", "T2"))
        .and(wiremock::matchers::query_param("lang", "zh_CN"))
        .and(wiremock::matchers::body_json(json!({"a": 1})))
        .respond_with(json_ok(json!({"errcode": 0, "answer": 42})))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let value = client
        .call_json_with(
            Host::Api,
            weixin_runtime::Method::Post,
            "/cgi-bin/custom/thing",
            &[("lang", "zh_CN")],
            Some(&json!({"a": 1})),
            Retry::Never,
        )
        .await
        .expect("call");
    assert_eq!(value["answer"], 42);
    let err = client
        .call_json(weixin_runtime::Method::Get, "cgi-bin/no-slash", None)
        .await
        .expect_err("bad path");
    assert!(matches!(err, Error::Encode(_)), "{err:?}");
}
