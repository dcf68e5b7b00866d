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

/// A runtime client fetching WeCom tokens (`gettoken`) for corp [`APP_ID`], every host on
/// `sandbox`.
pub fn wecom_client(sandbox: &Sandbox) -> Client {
    sandbox
        .client_builder(APP_ID, APP_SECRET)
        .token_source(weixin_runtime::TokenSource::WeCom)
        .token_store(Arc::new(MemoryTokenStore::new()))
        .timeout(Duration::from_secs(10))
        .errcodes(&weixin::errcode::TABLE)
        .build()
        .expect("a loopback base URL is valid")
}

/// The merchant id of the test Pay client.
pub const MCHID: &str = "1230000109";
/// The certificate serial the test Pay client's requests name.
pub const MCH_SERIAL: &str = "3775B6A45ACD588826D15E583A95F5DD00000001";
/// The test Pay client's APIv3 key (32 bytes).
pub const APIV3_KEY: &str = "sandboxApiV3Key0123456789abcdefg";
/// A merchant private key made for these tests only (`openssl genrsa 2048`): a public test key.
pub const MERCHANT_KEY: &str = include_str!("../data/merchant_key.pem");
/// Its public key.
pub const MERCHANT_PUBLIC_KEY: &str = include_str!("../data/merchant_public_key.pem");

/// A WeChat Pay client for [`MCHID`] on the sandbox's `mch` host, verifying answers with the
/// sandbox's public key.
pub fn pay_client(sandbox: &Sandbox) -> weixin_runtime::pay::PayClient {
    use weixin_cli::sandbox::pay::key::{PUBLIC_KEY_ID, PUBLIC_KEY_PEM};
    weixin_runtime::pay::PayClient::builder(MCHID, MCH_SERIAL, MERCHANT_KEY, APIV3_KEY)
        .public_key(PUBLIC_KEY_ID, PUBLIC_KEY_PEM)
        .base_url(sandbox.url_for("mch".parse().expect("a host")))
        .timeout(Duration::from_secs(10))
        .build()
        .expect("a valid Pay client")
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
