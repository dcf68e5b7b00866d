//! The generated client as a user meets it: accessors, errcode constants from the spec, token
//! refresh driven by the spec's action classes, several accounts, uploads and downloads, and the
//! raw-call escape hatch.

use std::sync::Arc;

use serde_json::json;
use weixin::offiaccount::{
    self,
    custom::{CustomMessage, SendCustomMessage},
    media::MediaType,
    user::{GetUserInfo, Lang},
};
use weixin::{Error, Method, Upload, errcode};
use weixin_runtime::{Action, Host, MemoryTokenStore, Shared};
use wiremock::matchers::{body_json, body_partial_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{self, APP_ID, APP_SECRET, TOKEN};

fn product_client(server: &MockServer) -> offiaccount::Client {
    offiaccount::Client::from(support::client_for(server))
}

#[tokio::test]
async fn accessor_sends_the_required_arguments_and_decodes() {
    let server = MockServer::start().await;
    support::mount_stable_token(&server).await;
    Mock::given(method("GET"))
        .and(path("/cgi-bin/user/info"))
        .and(query_param("access_token", TOKEN))
        .and(query_param("openid", "OPENID"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "subscribe": 1, "openid": "OPENID", "tagid_list": [2, 128],
            "subscribe_scene": "ADD_SCENE_SOMETHING_NEW"
        })))
        .expect(1)
        .mount(&server)
        .await;

    let mp = product_client(&server);
    let info = mp.user().info("OPENID").await.expect("user info");
    assert!(info.subscribe);
    assert_eq!(info.open_id, "OPENID");
    assert_eq!(info.tag_ids, vec![2, 128]);
    // An unknown enum value is kept, not an error.
    let scene = info.subscribe_scene.expect("scene present");
    assert_eq!(scene.as_str(), "ADD_SCENE_SOMETHING_NEW");
}

#[tokio::test]
async fn optional_parameters_go_through_send() {
    let server = MockServer::start().await;
    support::mount_stable_token(&server).await;
    Mock::given(method("GET"))
        .and(path("/cgi-bin/user/info"))
        .and(query_param("lang", "en"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"subscribe": 0, "openid": "O"})),
        )
        .expect(1)
        .mount(&server)
        .await;

    let mp = product_client(&server);
    let info = mp
        .send(&GetUserInfo::new("O").lang(Lang::En))
        .await
        .expect("user info");
    assert!(!info.subscribe);
}

#[tokio::test]
async fn errcodes_are_spec_constants_with_the_spec_action() {
    let server = MockServer::start().await;
    support::mount_stable_token(&server).await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/message/custom/send"))
        .and(body_json(
            json!({"touser": "OPENID", "msgtype": "text", "text": {"content": "hi"}}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "errcode": 45015,
            "errmsg": "response out of time limit or subscription is canceled rid: 6400-1-2"
        })))
        .expect(1)
        .mount(&server)
        .await;

    let mp = product_client(&server);
    let err = mp
        .custom()
        .send("OPENID", CustomMessage::text("hi"))
        .await
        .expect_err("45015");
    assert_eq!(err.api_code(), Some(errcode::RESPONSE_OUT_OF_TIME_LIMIT));
    let Error::Api(api) = &err else {
        panic!("expected an Api error, got {err:?}")
    };
    assert_eq!(api.rid(), Some("6400-1-2"));
    assert_eq!(api.name(), Some("RESPONSE_OUT_OF_TIME_LIMIT"));
    assert_eq!(api.action(), Action::Permanent);
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn token_invalid_errcode_from_the_spec_refreshes_and_resends_once() {
    let server = MockServer::start().await;
    support::mount_stable_token(&server).await;
    // The first send fails with 40014 (refresh_token in spec/errcodes.toml), the resend succeeds.
    Mock::given(method("POST"))
        .and(path("/cgi-bin/message/custom/send"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"errcode": 40014, "errmsg": "invalid access_token"})),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/message/custom/send"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"errcode": 0, "errmsg": "ok"})),
        )
        .expect(1)
        .mount(&server)
        .await;

    let mp = product_client(&server);
    mp.send(&SendCustomMessage::new("OPENID", CustomMessage::text("hi")))
        .await
        .expect("resent once after a refresh");
    let token_fetches = server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == "/cgi-bin/stable_token")
        .count();
    assert_eq!(token_fetches, 2, "one fetch, one refresh");
}

#[tokio::test]
async fn accounts_sharing_a_pool_keep_their_own_tokens() {
    let server = MockServer::start().await;
    for (app_id, token) in [("wx_first", "TOKEN_ONE"), ("wx_second", "TOKEN_TWO")] {
        Mock::given(method("POST"))
            .and(path("/cgi-bin/stable_token"))
            .and(body_partial_json(json!({"appid": app_id})))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({"access_token": token, "expires_in": 7200})),
            )
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/cgi-bin/user/info"))
            .and(query_param("access_token", token))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json!({"subscribe": 1, "openid": app_id})),
            )
            .expect(2)
            .mount(&server)
            .await;
    }

    let shared = Shared::builder()
        .token_store(Arc::new(MemoryTokenStore::new()))
        .build()
        .expect("shared");
    let account = |app_id: &str| -> offiaccount::Client {
        offiaccount::Client::builder(app_id, APP_SECRET)
            .shared(&shared)
            .base_url(Host::Api, &server.uri())
            .build()
            .expect("client")
    };
    let (first, second) = (account("wx_first"), account("wx_second"));
    for _ in 0..2 {
        assert_eq!(
            first.user().info("x").await.expect("first").open_id,
            "wx_first"
        );
        assert_eq!(
            second.user().info("x").await.expect("second").open_id,
            "wx_second"
        );
    }
}

#[tokio::test]
async fn an_upload_over_the_spec_limit_is_rejected_before_sending() {
    let server = MockServer::start().await;
    support::mount_stable_token(&server).await;
    let mp = product_client(&server);

    let too_big = Upload::from_bytes("thumb.jpg", vec![0xFF; 64 * 1024 + 1]);
    let err = mp
        .media()
        .upload(MediaType::Thumb, too_big)
        .await
        .expect_err("over 64 KB");
    assert!(matches!(err, Error::Encode(_)), "got {err:?}");

    let wrong_kind = Upload::from_bytes("voice.wav", vec![1; 10]);
    let err = mp
        .media()
        .upload(MediaType::Voice, wrong_kind)
        .await
        .expect_err("wav is not allowed");
    assert!(
        err.to_string().contains("wav"),
        "the error names the extension: {err}"
    );

    let sent = server.received_requests().await.unwrap_or_default();
    assert!(
        sent.iter().all(|r| r.url.path() != "/cgi-bin/media/upload"),
        "nothing was uploaded"
    );
}

#[tokio::test]
async fn media_downloads_stream_to_a_writer_and_json_errors_are_api_errors() {
    let server = MockServer::start().await;
    support::mount_stable_token(&server).await;
    let image: Vec<u8> = (0..50_000u32).map(|i| (i % 256) as u8).collect();
    Mock::given(method("GET"))
        .and(path("/cgi-bin/media/get"))
        .and(query_param("media_id", "GOOD"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(image.clone(), "image/jpeg")
                .insert_header("Content-Disposition", "attachment; filename=\"photo.jpg\""),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/cgi-bin/media/get"))
        .and(query_param("media_id", "BAD"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            br#"{"errcode":40007,"errmsg":"invalid media_id rid: 1-2-3"}"#.to_vec(),
            "text/plain",
        ))
        .mount(&server)
        .await;

    let mp = product_client(&server);
    let whole = mp.media().get("GOOD").await.expect("bytes");
    assert_eq!(whole.bytes().as_ref(), image.as_slice());
    assert_eq!(whole.file_name(), Some("photo.jpg"));

    let mut sink = Vec::new();
    let request = weixin::offiaccount::media::GetMedia::new("GOOD");
    let info = mp.download_to(&request, &mut sink).await.expect("streamed");
    assert_eq!(sink, image);
    assert_eq!(info.len(), image.len() as u64);

    let err = mp.media().get("BAD").await.expect_err("40007");
    assert_eq!(err.api_code(), Some(errcode::INVALID_MEDIA_ID));
}

#[tokio::test]
async fn call_json_reaches_endpoints_not_in_the_spec() {
    let server = MockServer::start().await;
    support::mount_stable_token(&server).await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/some/new/api"))
        .and(query_param("access_token", TOKEN))
        .and(body_json(json!({"hello": "世界"})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"errcode": 0, "answer": 42})))
        .expect(1)
        .mount(&server)
        .await;

    let mp = product_client(&server);
    let answer = mp
        .call_json(
            Method::Post,
            "/cgi-bin/some/new/api",
            Some(&json!({"hello": "世界"})),
        )
        .await
        .expect("raw call");
    assert_eq!(answer["answer"], 42);
}

#[test]
fn clients_never_print_their_secret() {
    let mp = offiaccount::Client::new(APP_ID, APP_SECRET);
    let shown = format!("{mp:?}");
    assert!(shown.contains(APP_ID));
    assert!(!shown.contains(APP_SECRET), "{shown}");
}

#[test]
fn qr_code_image_url_is_built_without_credentials() {
    use weixin::offiaccount::{basic::GetApiDomainIp, qrcode::ShowQrcode};

    let mp = offiaccount::Client::new(APP_ID, APP_SECRET);
    let ticket = "gQH47joAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xL2taZ2Z3TVRtNzJXV1Brb3ZhYmJJAAIEZ23sUwMEmm3sUw==";
    let url = mp
        .public_url(&ShowQrcode::new(ticket))
        .expect("show_qrcode needs no token");
    assert_eq!(
        url,
        "https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=gQH47joAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xL2taZ2Z3TVRtNzJXV1Brb3ZhYmJJAAIEZ23sUwMEmm3sUw%3D%3D"
    );

    // An endpoint that needs the access token never gets a shareable URL.
    let err = mp
        .public_url(&GetApiDomainIp::new())
        .expect_err("needs a token");
    assert!(err.to_string().contains("get_api_domain_ip"), "{err}");
}
