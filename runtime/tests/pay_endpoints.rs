//! The shapes Pay endpoints take beyond GET/POST JSON: PUT/PATCH/DELETE, the merchant id filled
//! in by the client, and signed multipart uploads; and the clients refusing each other's calls.

mod pay_support;

use pay_support::*;
use serde_json::Value;
use sha2::Digest as _;
use weixin_runtime::{
    Ack, Auth, Client, Credential, EncodeError, Endpoint, Error, Host, Method, RequestParts, Retry,
    Upload,
};
use wiremock::MockServer;

/// Mounts a signature-checking mock answering `status` with `body` (401 SIGN_ERROR when the
/// request signature is wrong).
async fn mount_checking(server: &MockServer, verb: &str, at: &str, status: u16, body: &str) {
    let (mock, _) = Mock::new(Signing::public_key_mode(), status, body);
    mount(server, verb, at, mock).await;
}

/// One endpoint per method, with a JSON body unless the method has none.
struct Change<const M: u8>;

impl<const M: u8> Endpoint for Change<M> {
    type Response = Ack;
    const ID: &'static str = "change";
    const METHOD: Method = match M {
        0 => Method::Put,
        1 => Method::Patch,
        _ => Method::Delete,
    };
    const HOST: Host = Host::Mch;
    const PATH: &'static str = "/v3/receivers/{id}";
    const RETRY: Retry = Retry::Never;
    fn encode(&self, req: &mut RequestParts) -> Result<(), EncodeError> {
        req.path_param("id", "r 1/2");
        if Self::METHOD != Method::Delete {
            req.json(&serde_json::json!({"name": "张三"}))?;
        }
        Ok(())
    }
}

#[tokio::test]
async fn put_patch_and_delete_are_signed_with_their_own_method() {
    for (verb, body) in [("PUT", true), ("PATCH", true), ("DELETE", false)] {
        let server = MockServer::start().await;
        mount_checking(&server, verb, "/v3/receivers/r%201%2F2", 204, "").await;
        let pay = public_key_client(&server);
        let result = match verb {
            "PUT" => pay.send(&Change::<0>).await,
            "PATCH" => pay.send(&Change::<1>).await,
            _ => pay.send(&Change::<2>).await,
        };
        result.unwrap_or_else(|e| panic!("{verb}: {e}"));
        let sent = only_request(&server).await;
        assert_eq!(sent.method.as_str(), verb);
        check_authorization(&sent).expect("signed over the method, path and body");
        let text = String::from_utf8_lossy(&sent.body).into_owned();
        assert_eq!(text.is_empty(), !body, "{verb} body: {text:?}");
    }
}

/// Merchant id in the query (`?mchid=`) and in the body (`sp_mchid`), from the client.
struct WithMerchant;

impl Endpoint for WithMerchant {
    type Response = Ack;
    const ID: &'static str = "with_merchant";
    const METHOD: Method = Method::Post;
    const HOST: Host = Host::Mch;
    const PATH: &'static str = "/v3/orders";
    const AUTH: Auth = Auth::Credentials(&[("mchid", Credential::MchId)]);
    const BODY_CREDENTIALS: &'static [(&'static str, Credential)] =
        &[("sp_mchid", Credential::MchId)];
    const RETRY: Retry = Retry::Never;
    fn encode(&self, req: &mut RequestParts) -> Result<(), EncodeError> {
        req.query("limit", 10);
        req.json(&serde_json::json!({"sub_mchid": "1900000109"}))
    }
}

#[tokio::test]
async fn the_merchant_id_comes_from_the_client() {
    let server = MockServer::start().await;
    mount_checking(&server, "POST", "/v3/orders", 204, "").await;
    public_key_client(&server)
        .send(&WithMerchant)
        .await
        .expect("sent");
    let sent = only_request(&server).await;
    assert_eq!(sent.url.query(), Some("mchid=1234567891&limit=10"));
    let body: Value = serde_json::from_slice(&sent.body).expect("JSON");
    assert_eq!(
        body,
        serde_json::json!({"sp_mchid": MCHID, "sub_mchid": "1900000109"})
    );
    check_authorization(&sent).expect("the signed body is the body with the merchant id");
}

/// A WeChat endpoint (a named token) and an AppID credential: not for a PayClient.
struct WithToken<const CREDENTIAL: bool>;

impl<const CREDENTIAL: bool> Endpoint for WithToken<CREDENTIAL> {
    type Response = Ack;
    const ID: &'static str = "with_token";
    const METHOD: Method = Method::Get;
    const HOST: Host = Host::Mch;
    const PATH: &'static str = "/v3/x";
    const AUTH: Auth = if CREDENTIAL {
        Auth::Credentials(&[("appid", Credential::AppId)])
    } else {
        Auth::TokenParam("component_access_token")
    };
    fn encode(&self, _: &mut RequestParts) -> Result<(), EncodeError> {
        Ok(())
    }
}

#[tokio::test]
async fn each_client_refuses_the_others_endpoints_before_sending() {
    let server = MockServer::start().await;
    let pay = public_key_client(&server);
    for err in [
        pay.send(&WithToken::<false>).await.expect_err("token"),
        pay.send(&WithToken::<true>).await.expect_err("appid"),
    ] {
        assert!(matches!(err, Error::Config(_)), "{err:?}");
        assert!(
            err.to_string().contains("cannot be sent with a PayClient"),
            "{err}"
        );
    }
    let wechat = Client::builder("wx1", "secret")
        .base_url(Host::Mch, &server.uri())
        .build()
        .expect("client");
    let err = wechat.send(&WithMerchant).await.expect_err("pay endpoint");
    assert!(
        err.to_string().contains("send it with a `PayClient`"),
        "{err}"
    );
    assert!(
        server
            .received_requests()
            .await
            .expect("recorded")
            .is_empty(),
        "nothing was sent"
    );
}

/// `POST /v3/merchant/media/upload` with one file part (and optionally a stray text part).
struct UploadImage {
    file: Upload,
    with_text: bool,
}

#[derive(Debug, serde::Deserialize)]
struct MediaId {
    media_id: String,
}
impl weixin_runtime::JsonResponse for MediaId {}

impl Endpoint for UploadImage {
    type Response = MediaId;
    const ID: &'static str = "upload_image";
    const METHOD: Method = Method::Post;
    const HOST: Host = Host::Mch;
    const PATH: &'static str = "/v3/merchant/media/upload";
    const RETRY: Retry = Retry::Never;
    fn encode(&self, req: &mut RequestParts) -> Result<(), EncodeError> {
        req.file("file", &self.file, None)?;
        if self.with_text {
            req.text("meta", "{}");
        }
        Ok(())
    }
}

#[tokio::test]
async fn an_upload_signs_its_meta_part_and_sends_the_file() {
    let server = MockServer::start().await;
    mount_checking(
        &server,
        "POST",
        "/v3/merchant/media/upload",
        200,
        r#"{"media_id":"H1ihR9h1uVgKg9ZGjdNPBEaOLu3OX3yaIoZeFBUiAx6sqc7fYwiMMwIKFCO2J"}"#,
    )
    .await;
    let bytes: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
    let file = Upload::from_bytes("商品.png", bytes.clone()).with_content_type("image/png");
    let answer = public_key_client(&server)
        .send(&UploadImage {
            file,
            with_text: false,
        })
        .await
        .expect("uploaded");
    assert!(answer.media_id.starts_with("H1ihR9h1"));
    let sent = only_request(&server).await;
    check_authorization(&sent).expect("signed over the meta part");
    let meta: Value = serde_json::from_str(&signed_body(&sent).expect("meta")).expect("JSON");
    assert_eq!(
        meta,
        serde_json::json!({
            "filename": "商品.png",
            "sha256": hex::encode(sha2::Sha256::digest(&bytes)),
        })
    );
    let body = &sent.body;
    let file_at = body
        .windows(bytes.len())
        .position(|w| w == bytes.as_slice());
    assert!(file_at.is_some(), "the file bytes are in the body");
    let text = String::from_utf8_lossy(body);
    assert!(text.contains("name=\"file\"; filename="), "{text:.300}");
    assert!(text.contains("Content-Type: image/png"));
}

#[tokio::test]
async fn an_upload_with_a_text_part_is_refused_before_sending() {
    let server = MockServer::start().await;
    let err = public_key_client(&server)
        .send(&UploadImage {
            file: Upload::from_bytes("a.jpg", vec![1u8; 10]),
            with_text: true,
        })
        .await
        .expect_err("text part");
    assert!(
        matches!(&err, Error::Encode(EncodeError::Multipart { endpoint, .. }) if *endpoint == "upload_image"),
        "{err:?}"
    );
    assert!(
        server
            .received_requests()
            .await
            .expect("recorded")
            .is_empty()
    );
}
