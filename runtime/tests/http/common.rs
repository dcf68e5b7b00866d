//! Hand-written endpoints and a client wired to a mock server.

use serde::Deserialize;
use serde_json::json;
use weixin_runtime::{
    Ack, Auth, Binary, Client, EncodeError, Endpoint, FileLimit, Host, JsonResponse, Method,
    RequestParts, ResponseKind, Retry, Shared, Upload,
};
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const APP_ID: &str = "wx0123456789abcdef";
pub const APP_SECRET: &str = "super-secret-app-secret";

/// `GET /cgi-bin/thing?id=…`: a safe JSON read.
pub struct GetThing {
    pub id: String,
}

#[derive(Debug, Deserialize)]
pub struct Thing {
    pub value: Option<String>,
}

impl JsonResponse for Thing {}

impl Endpoint for GetThing {
    type Response = Thing;
    const ID: &'static str = "get_thing";
    const METHOD: Method = Method::Get;
    const PATH: &'static str = "/cgi-bin/thing";

    fn encode(&self, req: &mut RequestParts) -> Result<(), EncodeError> {
        req.query("id", &self.id);
        Ok(())
    }
}

/// `GET /cgi-bin/public`: no authentication.
pub struct GetPublic;

impl Endpoint for GetPublic {
    type Response = Thing;
    const ID: &'static str = "get_public";
    const METHOD: Method = Method::Get;
    const PATH: &'static str = "/cgi-bin/public";
    const AUTH: Auth = Auth::None;

    fn encode(&self, _req: &mut RequestParts) -> Result<(), EncodeError> {
        Ok(())
    }
}

/// `POST /cgi-bin/message/custom/send`: not idempotent.
#[derive(serde::Serialize)]
pub struct SendText {
    pub touser: String,
    pub content: String,
}

impl Endpoint for SendText {
    type Response = Ack;
    const ID: &'static str = "send_text";
    const METHOD: Method = Method::Post;
    const PATH: &'static str = "/cgi-bin/message/custom/send";
    const RETRY: Retry = Retry::Never;
    const RESPONSE: ResponseKind = ResponseKind::Ack;

    fn encode(&self, req: &mut RequestParts) -> Result<(), EncodeError> {
        req.json(self)
    }
}

pub const IMAGE_LIMIT: FileLimit = FileLimit::new(64, &["jpg", "jpeg", "png"]);

/// `POST file-host /cgi-bin/media/upload?type=image`: multipart.
pub struct UploadImage {
    pub media: Upload,
    pub description: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Uploaded {
    pub media_id: String,
}

impl JsonResponse for Uploaded {}

impl Endpoint for UploadImage {
    type Response = Uploaded;
    const ID: &'static str = "upload_image";
    const METHOD: Method = Method::Post;
    const HOST: Host = Host::File;
    const PATH: &'static str = "/cgi-bin/media/upload";
    const RETRY: Retry = Retry::Never;

    fn encode(&self, req: &mut RequestParts) -> Result<(), EncodeError> {
        req.query("type", "image");
        req.file("media", &self.media, Some(&IMAGE_LIMIT))?;
        if let Some(d) = &self.description {
            req.text("description", d.clone());
        }
        Ok(())
    }
}

/// `GET /cgi-bin/media/get?media_id=…`: binary.
pub struct GetMedia {
    pub media_id: String,
}

impl Endpoint for GetMedia {
    type Response = Binary;
    const ID: &'static str = "get_media";
    const METHOD: Method = Method::Get;
    const PATH: &'static str = "/cgi-bin/media/get";
    const RESPONSE: ResponseKind = ResponseKind::Binary;

    fn encode(&self, req: &mut RequestParts) -> Result<(), EncodeError> {
        req.query("media_id", &self.media_id);
        Ok(())
    }
}

/// A client whose hosts all point at `server`, with its own token store.
pub fn client(server: &MockServer) -> Client {
    builder(server).build().expect("valid client")
}

/// A builder whose hosts all point at `server`, with its own [`Shared`].
pub fn builder(server: &MockServer) -> weixin_runtime::ClientBuilder {
    let shared = Shared::new();
    Client::builder(APP_ID, APP_SECRET)
        .shared(&shared)
        .base_url(Host::Api, &server.uri())
        .base_url(Host::File, &server.uri())
}

/// The stable-token endpoint answering `token`, matching the exact request body.
pub fn token_mock(token: &str, expires_in: i64) -> Mock {
    token_mock_after(token, expires_in, std::time::Duration::ZERO)
}

/// [`token_mock`] answering after `delay`.
pub fn token_mock_after(token: &str, expires_in: i64, delay: std::time::Duration) -> Mock {
    Mock::given(method("POST"))
        .and(path("/cgi-bin/stable_token"))
        .and(body_json(json!({
            "grant_type": "client_credential",
            "appid": APP_ID,
            "secret": APP_SECRET,
            "force_refresh": false,
        })))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": token, "expires_in": expires_in}))
                .set_delay(delay),
        )
}

/// A JSON answer.
pub fn json_ok(body: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

/// How many requests `server` received on `p`.
pub async fn hits(server: &MockServer, p: &str) -> usize {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == p)
        .count()
}
