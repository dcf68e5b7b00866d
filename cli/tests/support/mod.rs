//! Shared fixtures: a sandbox on loopback, clients pointed at it, raw HTTP helpers.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use weixin_cli::sandbox::{Sandbox, SandboxConfig};
use weixin_runtime::{AccessToken, BoxFuture, Client, Error, MemoryTokenStore, TokenProvider};

/// AppID every test client uses.
pub const APP_ID: &str = "wx1234567890abcdef";
/// AppSecret every test client uses.
pub const APP_SECRET: &str = "test-app-secret-0123456789";

/// A sandbox of the embedded spec with `edit` applied to the default config.
pub async fn sandbox(edit: impl FnOnce(&mut SandboxConfig)) -> Sandbox {
    let mut config = SandboxConfig::embedded();
    edit(&mut config);
    Sandbox::start(config)
        .await
        .expect("the sandbox binds a loopback port")
}

/// A runtime client for [`APP_ID`] with its own token store, every host on `sandbox`.
pub fn client(sandbox: &Sandbox) -> Client {
    sandbox
        .client_builder(APP_ID, APP_SECRET)
        .token_store(Arc::new(MemoryTokenStore::new()))
        .timeout(Duration::from_secs(10))
        .errcodes(&weixin::errcode::TABLE)
        .build()
        .expect("a loopback base URL is valid")
}

/// A client whose token is the sandbox's component token (for `component_access_token`
/// endpoints).
pub fn component_client(sandbox: &Sandbox) -> Client {
    let provider = ComponentTokens {
        url: format!("{}/cgi-bin/component/api_component_token", sandbox.url()),
    };
    sandbox
        .client_builder(APP_ID, APP_SECRET)
        .token_provider(Arc::new(provider))
        .timeout(Duration::from_secs(10))
        .errcodes(&weixin::errcode::TABLE)
        .build()
        .expect("a loopback base URL is valid")
}

/// Fetches a component token from the sandbox on every call.
#[derive(Debug)]
struct ComponentTokens {
    url: String,
}

impl TokenProvider for ComponentTokens {
    fn token(&self) -> BoxFuture<'_, Result<AccessToken, Error>> {
        Box::pin(async move {
            let body = serde_json::json!({
                "component_appid": APP_ID,
                "component_appsecret": APP_SECRET,
                "component_verify_ticket": "ticket@@@test",
            });
            let answer: Value = reqwest::Client::new()
                .post(&self.url)
                .json(&body)
                .send()
                .await
                .expect("the sandbox answers")
                .json()
                .await
                .expect("the sandbox answers JSON");
            let token = answer["component_access_token"]
                .as_str()
                .expect("a component token")
                .to_owned();
            Ok(AccessToken::new(token))
        })
    }

    fn invalidate<'a>(&'a self, _stale: &'a AccessToken) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async { Ok(()) })
    }
}

/// Raw HTTP, as a client in another language would call the sandbox.
pub fn http() -> reqwest::Client {
    reqwest::Client::new()
}

/// GET `url` and parse the JSON answer.
pub async fn get_json(url: &str) -> Value {
    http().get(url).send().await.unwrap().json().await.unwrap()
}

/// POST `body` (raw text) to `url` and parse the JSON answer.
pub async fn post_text(url: &str, body: &str) -> Value {
    http()
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// A stable token for [`APP_ID`], fetched over raw HTTP.
pub async fn stable_token(sandbox: &Sandbox) -> String {
    let body = format!(
        r#"{{"grant_type":"client_credential","appid":"{APP_ID}","secret":"{APP_SECRET}"}}"#
    );
    let answer = post_text(&format!("{}/cgi-bin/stable_token", sandbox.url()), &body).await;
    answer["access_token"].as_str().expect("a token").to_owned()
}
