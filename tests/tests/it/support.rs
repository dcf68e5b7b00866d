//! Shared fixtures: the real spec's IR, a client pointed at a loopback server, a token endpoint.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use weixin_codegen::Ir;
use weixin_codegen::ir::ClientKind;
use weixin_runtime::{
    Client, ClientBuilder, CredentialStore, Host, MemoryCredentialStore, MemoryTokenStore,
    TokenSource,
};
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

/// The `component_verify_ticket` stored for component clients.
pub const TICKET: &str = "TEST_COMPONENT_VERIFY_TICKET";

/// A runtime client for [`APP_ID`] whose every host is `server`, with its own token store and
/// the spec's errcode table.
pub fn client_for(server: &MockServer) -> Client {
    builder_for(server, TokenSource::Stable)
        .build()
        .expect("a loopback base URL is valid")
}

/// A builder for [`APP_ID`] with `source`, every host on `server`, its own stores.
pub fn builder_for(server: &MockServer, source: TokenSource) -> ClientBuilder<Client> {
    let mut builder = Client::builder(APP_ID, APP_SECRET)
        .token_source(source)
        .token_store(std::sync::Arc::new(MemoryTokenStore::new()))
        .timeout(Duration::from_secs(5))
        .errcodes(&weixin::errcode::TABLE);
    for host in Host::ALL {
        builder = builder.base_url(host, &server.uri());
    }
    builder
}

/// A client of the product kind `kind` on `server`, with its token endpoint mounted answering
/// [`TOKEN`] (and, for a component, a stored [`TICKET`]).
pub async fn client_of_kind(server: &MockServer, kind: ClientKind) -> Client {
    let (source, credentials) = match kind {
        ClientKind::App => {
            mount_stable_token(server).await;
            (TokenSource::Stable, MemoryCredentialStore::new())
        }
        ClientKind::WeCom => {
            mount_token(server, "GET", "/cgi-bin/gettoken", "access_token").await;
            (TokenSource::WeCom, MemoryCredentialStore::new())
        }
        ClientKind::Component => {
            let path = "/cgi-bin/component/api_component_token";
            mount_token(server, "POST", path, "component_access_token").await;
            let store = MemoryCredentialStore::new();
            let key = format!("weixin:component_verify_ticket:{APP_ID}");
            store.save(&key, TICKET).await.expect("memory store");
            (TokenSource::Component, store)
        }
        ClientKind::Pay => unreachable!("WeChat Pay products are replayed with a PayClient"),
    };
    builder_for(server, source)
        .credential_store(std::sync::Arc::new(credentials))
        .build()
        .expect("a loopback base URL is valid")
}

/// Mounts a token endpoint answering [`TOKEN`] under the field `name` for two hours.
pub async fn mount_token(server: &MockServer, verb: &str, at: &str, name: &str) {
    Mock::given(method(verb))
        .and(path(at))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            name: TOKEN,
            "expires_in": 7200
        })))
        .mount(server)
        .await;
}
