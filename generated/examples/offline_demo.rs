//! The README's first command: the SDK end to end with no WeChat account.
//!
//! `cargo run -p weixin --example offline_demo`
//!
//! Starts a small WeChat look-alike on loopback, points an Official Account client at it and walks
//! through a token fetch, follower listing and lookup, a customer-service message (whose first
//! attempt is refused with 40001, to show the refresh-and-resend-once rule), a media upload with
//! its size check, a download, and the raw-call escape hatch. With `WEIXIN_APP_ID` and
//! `WEIXIN_APP_SECRET` set, the read-only part of the walk runs against the real WeChat instead.

use std::time::Instant;

use serde_json::json;
use weixin::offiaccount::{self, custom::CustomMessage, media::MediaType};
use weixin::{Host, Method, Upload, errcode};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    if let (Ok(app_id), Ok(secret)) = (
        std::env::var("WEIXIN_APP_ID"),
        std::env::var("WEIXIN_APP_SECRET"),
    ) {
        return against_wechat(offiaccount::Client::new(app_id, secret)).await;
    }

    let wechat = fake_wechat().await;
    println!("fake WeChat listening on {}", wechat.uri());
    let mp: offiaccount::Client = offiaccount::Client::builder("wx_demo_app_id", "demo-secret")
        .base_url(Host::Api, &wechat.uri())
        .build()?;

    let started = Instant::now();
    let followers = mp.user().followers().await?;
    println!(
        "followers: total {:?}, this page {:?}: {:?}",
        followers.total,
        followers.count,
        followers.data.as_ref().map(|d| &d.open_ids)
    );

    let info = mp.user().info("o_alice").await?;
    println!(
        "o_alice: subscribed {}, tags {:?}, scene {:?}",
        info.subscribe,
        info.tag_ids,
        info.subscribe_scene.as_ref().map(|s| s.as_str())
    );

    mp.custom()
        .send("o_alice", CustomMessage::text("你好, Alice"))
        .await?;
    println!(
        "customer-service message sent (first attempt got 40001: token refreshed, resent once)"
    );

    let picture = Upload::from_bytes("cat.png", vec![0x89, b'P', b'N', b'G', 0, 1, 2, 3]);
    let uploaded = mp.media().upload(MediaType::Image, picture).await?;
    println!("uploaded cat.png as media_id {:?}", uploaded.media_id);

    let oversized = Upload::from_bytes("huge.jpg", vec![0; 65 * 1024]);
    match mp.media().upload(MediaType::Thumb, oversized).await {
        Err(err) => println!("65 KB thumbnail refused before sending: {err}"),
        Ok(_) => println!("unexpected: the oversized thumbnail was accepted"),
    }

    let image = mp.media().get("MEDIA_ID_1").await?;
    println!(
        "downloaded {} bytes ({:?}, file name {:?})",
        image.len(),
        image.content_type(),
        image.file_name()
    );

    match mp.media().get("EXPIRED").await {
        Err(err) if err.api_code() == Some(errcode::INVALID_MEDIA_ID) => {
            println!("expired media_id -> errcode::INVALID_MEDIA_ID: {err}")
        }
        other => println!("unexpected: {other:?}"),
    }

    let raw = mp
        .call_json(Method::Get, "/cgi-bin/get_api_domain_ip", None)
        .await?;
    println!("raw call to an endpoint by path: {raw}");

    let token_fetches = wechat
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == "/cgi-bin/stable_token")
        .count();
    println!(
        "done in {:?}: {} requests to the fake WeChat, {token_fetches} token fetches",
        started.elapsed(),
        wechat.received_requests().await.unwrap_or_default().len()
    );
    Ok(())
}

/// The read-only part of the walk, against the real WeChat.
async fn against_wechat(mp: offiaccount::Client) -> Result<(), Box<dyn std::error::Error>> {
    let domains = mp.basic().api_domain_ip().await?;
    println!("WeChat API IPs: {} addresses", domains.ip_list.len());
    let followers = mp.user().followers().await?;
    println!("followers: total {:?}", followers.total);
    Ok(())
}

/// A WeChat look-alike with canned answers for the calls above.
async fn fake_wechat() -> MockServer {
    let server = MockServer::start().await;
    let json = |body: serde_json::Value| ResponseTemplate::new(200).set_body_json(body);

    let (first, second) = ("TOKEN_1", "TOKEN_2");
    Mock::given(method("POST"))
        .and(path("/cgi-bin/stable_token"))
        .respond_with(json(json!({"access_token": first, "expires_in": 7200})))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/stable_token"))
        .respond_with(json(json!({"access_token": second, "expires_in": 7200})))
        .mount(&server)
        .await;

    Mock::given(method("GET"))
        .and(path("/cgi-bin/user/get"))
        .respond_with(json(json!({
            "total": 2, "count": 2,
            "data": {"openid": ["o_alice", "o_bob"]},
            "next_openid": "o_bob"
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/cgi-bin/user/info"))
        .respond_with(json(json!({
            "subscribe": 1, "openid": "o_alice", "language": "zh_CN",
            "subscribe_time": 1_700_000_000, "remark": "", "groupid": 0,
            "tagid_list": [2, 100], "subscribe_scene": "ADD_SCENE_QR_CODE",
            "qr_scene": 98765, "qr_scene_str": ""
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/message/custom/send"))
        .and(query_param("access_token", first))
        .respond_with(json(json!({"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest rid: 6564-1"})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/message/custom/send"))
        .and(query_param("access_token", second))
        .respond_with(json(json!({"errcode": 0, "errmsg": "ok"})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/cgi-bin/media/upload"))
        .respond_with(json(
            json!({"type": "image", "media_id": "MEDIA_ID_1", "created_at": 1_700_000_000}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/cgi-bin/media/get"))
        .and(query_param("media_id", "MEDIA_ID_1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(vec![0x89, b'P', b'N', b'G', 0, 1, 2, 3], "image/png")
                .insert_header("Content-Disposition", "attachment; filename=\"cat.png\""),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/cgi-bin/media/get"))
        .and(query_param("media_id", "EXPIRED"))
        .respond_with(json(
            json!({"errcode": 40007, "errmsg": "invalid media_id rid: 6564-2"}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/cgi-bin/get_api_domain_ip"))
        .respond_with(json(json!({"ip_list": ["101.89.47.18", "101.91.34.103"]})))
        .mount(&server)
        .await;
    server
}
