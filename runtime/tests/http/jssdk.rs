//! JS-SDK signature vector, the cached jsapi ticket, OAuth URLs.

use serde_json::json;
use weixin_runtime::jssdk;
use weixin_runtime::oauth::{self, Scope};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer};

use crate::common::*;

/// `jssdk_signature_official` from the shared vectors (official JS-SDK doc, appendix 1).
#[test]
fn jssdk_signature_official_vector() {
    let ticket =
        "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg";
    let signature = jssdk::signature(
        ticket,
        "Wm3WZYTPz0wzccnW",
        1414587457,
        "http://mp.weixin.qq.com?params=value",
    );
    assert_eq!(signature, "0f9de62fce790f9a083d5c99e95740ceb90c27ed");
    let with_fragment = jssdk::signature(
        ticket,
        "Wm3WZYTPz0wzccnW",
        1414587457,
        "http://mp.weixin.qq.com?params=value#top",
    );
    assert_eq!(with_fragment, signature);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jsapi_ticket_is_fetched_once_and_signs_configs() {
    let server = MockServer::start().await;
    token_mock("T1", 7200).expect(1).mount(&server).await;
    Mock::given(method("GET"))
        .and(path("/cgi-bin/ticket/getticket"))
        .and(query_param("type", "jsapi"))
        .and(query_param("access_token", "T1"))
        .respond_with(json_ok(
            json!({"errcode": 0, "errmsg": "ok", "ticket": "TICKET-1", "expires_in": 7200}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let calls: Vec<_> = (0..20)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.jsapi_ticket().await })
        })
        .collect();
    for call in calls {
        assert_eq!(
            call.await.expect("task").expect("ticket").secret(),
            "TICKET-1"
        );
    }
    for _ in 0..3 {
        let url = "https://example.com/page?x=1#frag";
        let config = client.jssdk_config(url).await.expect("config");
        assert_eq!(config.app_id, APP_ID);
        assert_eq!(config.nonce_str.len(), 16);
        assert_eq!(
            config.signature,
            jssdk::signature("TICKET-1", &config.nonce_str, config.timestamp, url)
        );
        let wire = serde_json::to_value(&config).expect("json");
        assert!(wire.get("appId").is_some() && wire.get("nonceStr").is_some());
    }
}

#[test]
fn oauth_authorize_url() {
    let url = oauth::authorize_url(
        "wxAPP",
        "https://example.com/cb?a=1&b=2",
        Scope::UserInfo,
        "xyz",
    );
    assert_eq!(
        url,
        "https://open.weixin.qq.com/connect/oauth2/authorize?appid=wxAPP\
         &redirect_uri=https%3A%2F%2Fexample.com%2Fcb%3Fa%3D1%26b%3D2\
         &response_type=code&scope=snsapi_userinfo&state=xyz#wechat_redirect"
    );
    let base = oauth::authorize_url("wxAPP", "https://e.com/", Scope::Base, "");
    assert!(
        base.contains("&scope=snsapi_base&state=#wechat_redirect"),
        "{base}"
    );
    let qr = oauth::qrconnect_url("wxWEB", "https://e.com/login", "s 1");
    assert_eq!(
        qr,
        "https://open.weixin.qq.com/connect/qrconnect?appid=wxWEB&redirect_uri=https%3A%2F%2Fe.com%2Flogin\
         &response_type=code&scope=snsapi_login&state=s+1#wechat_redirect"
    );
}
