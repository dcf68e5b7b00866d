//! Shared fixtures: the real spec's IR, a client pointed at a loopback server, a token endpoint.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use weixin_codegen::Ir;
use weixin_runtime::{Client, Host, MemoryTokenStore, TokenSource};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// AppID every test client uses.
pub const APP_ID: &str = "wx1234567890abcdef";
/// AppSecret every test client uses.
pub const APP_SECRET: &str = "test-app-secret-0123456789";
/// The access token the mock token endpoint issues.
pub const TOKEN: &str = "TEST_ACCESS_TOKEN";

/// The repository's `spec/`, loaded and checked once.
pub fn spec_ir() -> &'static Ir {
    static IR: OnceLock<Ir> = OnceLock::new();
    IR.get_or_init(|| {
        let dir = spec_dir();
        let spec = weixin_codegen::load(&dir).unwrap_or_else(|d| panic!("{}", d.render_plain()));
        weixin_codegen::lower(spec).unwrap_or_else(|d| panic!("{}", d.render_plain()))
    })
}

/// Path of the repository's `spec/`.
pub fn spec_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../spec")
}

/// Mounts `POST /cgi-bin/stable_token` answering [`TOKEN`] for two hours.
pub async fn mount_stable_token(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/cgi-bin/stable_token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": TOKEN,
            "expires_in": 7200
        })))
        .mount(server)
        .await;
}

/// A runtime client for [`APP_ID`] whose every host is `server`, with its own token store and
/// the spec's errcode table.
pub fn client_for(server: &MockServer) -> Client {
    let mut builder = Client::builder(APP_ID, APP_SECRET)
        .token_source(TokenSource::Stable)
        .token_store(std::sync::Arc::new(MemoryTokenStore::new()))
        .timeout(Duration::from_secs(5))
        .errcodes(&weixin::errcode::TABLE);
    for host in Host::ALL {
        builder = builder.base_url(host, &server.uri());
    }
    builder.build().expect("a loopback base URL is valid")
}
