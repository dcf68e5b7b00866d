//! The user-generated `guide` endpoints, called through a `weixin::offiaccount::Client` against a
//! loopback server: with `Client::send` and with the group's `Api::new(&client)`.

use serde_json::json;
use weixin::offiaccount::Client;
use weixin_user_spec_example::errcode;
use weixin_user_spec_example::offiaccount::guide::{
    self, GetGuideConfig, GuideAutoReply, GuideFastReply, SetGuideConfig,
};
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "T";

/// A server that hands out the access token `T`, and a client pointed at it.
async fn setup() -> (MockServer, Client) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/stable_token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": TOKEN, "expires_in": 7200})),
        )
        .mount(&server)
        .await;
    let client = Client::builder("wx_app_id", "app_secret")
        .base_url(weixin::Host::Api, &server.uri())
        .build()
        .expect("client builds");
    (server, client)
}

#[tokio::test]
async fn send_encodes_optional_fields_and_decodes_the_response() {
    let (server, client) = setup().await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/guide/getguideconfig"))
        .and(query_param("access_token", TOKEN))
        .and(body_json(json!({"guide_openid": "GUIDE_OPENID"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "errcode": 0, "errmsg": "ok",
            "guide_fast_reply_list": [{"content": "Open at 10:00.", "updatetime": 1690000000}],
            "guide_auto_reply": {"content": "Welcome!", "msgtype": 1}
        })))
        .expect(1)
        .mount(&server)
        .await;

    let config = client
        .send(&GetGuideConfig::new().guide_open_id("GUIDE_OPENID"))
        .await
        .expect("guide config");
    assert_eq!(config.fast_replies.len(), 1);
    assert_eq!(config.fast_replies[0].content, "Open at 10:00.");
    assert_eq!(config.fast_replies[0].update_time, Some(1690000000));
    let welcome = config.auto_reply.expect("first welcome message");
    assert_eq!(
        (welcome.content.as_str(), welcome.msg_type),
        ("Welcome!", 1)
    );
    assert!(config.auto_reply_plus.is_none());
}

#[tokio::test]
async fn api_methods_run_on_the_weixin_client() {
    let (server, client) = setup().await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/guide/getguideconfig"))
        .and(query_param("access_token", TOKEN))
        .and(body_json(json!({})))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"errcode": 0, "errmsg": "ok"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/guide/setguideconfig"))
        .and(query_param("access_token", TOKEN))
        .and(body_json(json!({"is_delete": true})))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"errcode": 0, "errmsg": "ok"})),
        )
        .expect(1)
        .mount(&server)
        .await;

    let api = guide::Api::new(&client);
    let config = api.get_config().await.expect("account-wide config");
    assert!(config.fast_replies.is_empty());
    assert!(config.auto_reply.is_none());
    api.set_config(true).await.expect("deleted");
}

#[tokio::test]
async fn request_bodies_use_the_wire_names() {
    let (server, client) = setup().await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/guide/setguideconfig"))
        .and(query_param("access_token", TOKEN))
        .and(body_json(json!({
            "guide_account": "guide_wechat_id",
            "is_delete": false,
            "guide_fast_reply_list": [{"content": "Open at 10:00."}],
            "guide_auto_reply_plus": {"content": "MEDIA_ID", "msgtype": 2}
        })))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"errcode": 0, "errmsg": "ok"})),
        )
        .expect(1)
        .mount(&server)
        .await;

    let request = SetGuideConfig::new(false)
        .guide_account("guide_wechat_id")
        .fast_replies(vec![GuideFastReply::new("Open at 10:00.")])
        .auto_reply_plus(GuideAutoReply::new("MEDIA_ID", 2));
    client.send(&request).await.expect("added");
}

#[tokio::test]
async fn errcodes_of_the_user_spec_are_constants() {
    let (server, client) = setup().await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/guide/getguideconfig"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"errcode": 9300804, "errmsg": "guide not exist"})),
        )
        .mount(&server)
        .await;

    let err = guide::Api::new(&client)
        .get_config()
        .await
        .expect_err("unknown guide");
    assert_eq!(err.api_code(), Some(errcode::GUIDE_NOT_FOUND));
}
