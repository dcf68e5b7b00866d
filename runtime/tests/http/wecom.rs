//! WeCom: tokens per (corpid, application), their refresh, and the two JS-SDK tickets.

use serde_json::json;
use weixin_runtime::{Client, Host, Shared, TokenSource};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer};

use crate::common::*;

const CORP_ID: &str = "ww0123456789abcdef";

fn wecom(server: &MockServer, shared: &Shared, secret: &str) -> weixin_runtime::ClientBuilder {
    Client::builder(CORP_ID, secret)
        .token_source(TokenSource::WeCom)
        .shared(shared)
        .base_url(Host::Qyapi, &server.uri())
}

fn gettoken(secret: &str, token: &str) -> Mock {
    Mock::given(method("GET"))
        .and(path("/cgi-bin/gettoken"))
        .and(query_param("corpid", CORP_ID))
        .and(query_param("corpsecret", secret))
        .respond_with(json_ok(
            json!({"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200}),
        ))
}

/// `GET qyapi/cgi-bin/user/get?userid=…` answered only for `token`.
fn user_get(token: &str, name: &str) -> Mock {
    Mock::given(method("GET"))
        .and(path("/cgi-bin/user/get"))
        .and(query_param("access_token", token))
        .respond_with(json_ok(json!({"errcode": 0, "errmsg": "ok", "name": name})))
}

async fn user_name(client: &Client) -> String {
    let value = client
        .call_json_with(
            Host::Qyapi,
            weixin_runtime::Method::Get,
            "/cgi-bin/user/get",
            &[("userid", "zhangsan")],
            None,
            weixin_runtime::Retry::Safe,
        )
        .await
        .expect("the call succeeds");
    value["name"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn two_applications_of_one_corp_keep_their_own_tokens() {
    let server = MockServer::start().await;
    gettoken("secret-of-app-a", "TOKEN_A")
        .expect(1)
        .mount(&server)
        .await;
    gettoken("secret-of-app-b", "TOKEN_B")
        .expect(1)
        .mount(&server)
        .await;
    user_get("TOKEN_A", "seen by A").mount(&server).await;
    user_get("TOKEN_B", "seen by B").mount(&server).await;

    // One shared token store, as in production: the keys must still differ.
    let shared = Shared::new();
    let a = wecom(&server, &shared, "secret-of-app-a").build().unwrap();
    let b = wecom(&server, &shared, "secret-of-app-b")
        .agent_id(1000002)
        .build()
        .unwrap();
    for _ in 0..3 {
        assert_eq!(user_name(&a).await, "seen by A");
        assert_eq!(user_name(&b).await, "seen by B");
    }
    assert_eq!(a.access_token().await.unwrap().secret(), "TOKEN_A");
    assert_eq!(b.access_token().await.unwrap().secret(), "TOKEN_B");
    // B is keyed by its AgentID; A, without one, by a fingerprint of its secret (never the secret).
    let store = shared.token_store();
    let b_key = format!("weixin:wecom_access_token:{CORP_ID}:1000002");
    let b_stored = store
        .get(&b_key)
        .await
        .unwrap()
        .expect("B's token under its AgentID");
    assert_eq!(b_stored.value(), "TOKEN_B");
    let plain_key = format!("weixin:wecom_access_token:{CORP_ID}:secret-of-app-a");
    assert!(store.get(&plain_key).await.unwrap().is_none());
}

#[tokio::test]
async fn an_expired_wecom_token_is_refreshed_and_the_call_resent_once() {
    let server = MockServer::start().await;
    // First fetch answers OLD, later fetches NEW.
    gettoken("s", "OLD")
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    gettoken("s", "NEW").mount(&server).await;
    Mock::given(method("GET"))
        .and(path("/cgi-bin/user/get"))
        .and(query_param("access_token", "OLD"))
        .respond_with(json_ok(
            json!({"errcode": 42001, "errmsg": "access_token expired"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    user_get("NEW", "fresh").expect(1).mount(&server).await;

    let client = wecom(&server, &Shared::new(), "s").build().unwrap();
    assert_eq!(user_name(&client).await, "fresh");
    assert_eq!(hits(&server, "/cgi-bin/gettoken").await, 2);
}

#[tokio::test]
async fn wecom_gettoken_errors_are_token_errors_with_their_code() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/cgi-bin/gettoken"))
        .respond_with(json_ok(
            json!({"errcode": 40001, "errmsg": "invalid secret"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let client = wecom(&server, &Shared::new(), "wrong").build().unwrap();
    let err = client.access_token().await.unwrap_err();
    match &err {
        weixin_runtime::Error::Token(t) => assert_eq!(t.code().map(|c| c.get()), Some(40001)),
        other => panic!("expected a token error, got {other:?}"),
    }
    assert!(!err.to_string().contains("wrong"), "{err}");
}

#[tokio::test]
async fn corp_and_agent_tickets_come_from_their_own_endpoints() {
    let server = MockServer::start().await;
    gettoken("s", "T").mount(&server).await;
    Mock::given(method("GET"))
        .and(path("/cgi-bin/get_jsapi_ticket"))
        .and(query_param("access_token", "T"))
        .respond_with(json_ok(
            json!({"errcode": 0, "errmsg": "ok", "ticket": "CORP_TICKET", "expires_in": 7200}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/cgi-bin/ticket/get"))
        .and(query_param("access_token", "T"))
        .and(query_param("type", "agent_config"))
        .respond_with(json_ok(
            json!({"errcode": 0, "errmsg": "ok", "ticket": "AGENT_TICKET", "expires_in": 7200}),
        ))
        .expect(1)
        .mount(&server)
        .await;

    let client = wecom(&server, &Shared::new(), "s").build().unwrap();
    let url = "https://app.example/page?x=1#frag";
    let config = client.jssdk_config(url).await.unwrap();
    assert_eq!(config.app_id, CORP_ID);
    assert_eq!(
        config.signature,
        weixin_runtime::jssdk::signature("CORP_TICKET", &config.nonce_str, config.timestamp, url)
    );
    let agent = client.agent_config(url, "1000002").await.unwrap();
    assert_eq!(
        (agent.corpid.as_str(), agent.agentid.as_str()),
        (CORP_ID, "1000002")
    );
    assert_eq!(
        agent.signature,
        weixin_runtime::jssdk::signature("AGENT_TICKET", &agent.nonce_str, agent.timestamp, url)
    );
    // Both are cached: a second round makes no ticket request.
    client.jssdk_config(url).await.unwrap();
    client.agent_config(url, "1000002").await.unwrap();
    let json = serde_json::to_value(&agent).unwrap();
    assert!(
        json.get("nonceStr").is_some() && json.get("agentid").is_some(),
        "{json}"
    );
}
