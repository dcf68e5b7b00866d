//! The hand-written runtime under the generated `weixin` crate: the client, access tokens,
//! errors, uploads and downloads, JS-SDK and OAuth helpers.
//!
//! Generated request types describe a call as data ([`Endpoint`]); [`Client::send`] performs
//! it. One non-generic path adds the token, sends, maps a non-zero `errcode` to
//! [`Error::Api`] and decodes the response.
//!
//! # Tokens
//!
//! - Access tokens come from `POST /cgi-bin/stable_token` by default ([`TokenSource`]), are cached
//!   in a [`TokenStore`] (in memory by default, keyed by AppID) and refreshed
//!   [`refresh_before`](ClientBuilder::refresh_before) expiry (300 s plus a little jitter).
//! - However many callers wait, one fetch runs at a time (single flight), within a process and,
//!   through the store's lock, across processes.
//! - When a call fails with a refresh-class errcode (40001, 40014, 42001 by default; see
//!   [`ErrCodeTable`]), the token is dropped only if it is still the cached one, and the call is
//!   resent exactly once. A second failure is returned. Errors of the token endpoint itself are
//!   [`Error::Token`] and never retried. A forced refresh is never requested.
//!
//! # Resending
//!
//! A [`Retry::Safe`] call that cannot connect, times out or gets a 5xx status is resent at most
//! twice, after about 100 ms and 200 ms. A [`Retry::Never`] call (a message send) is never
//! resent after a transport failure: WeChat may have acted on it.
//!
//! # Secrets
//!
//! [`AppSecret`], [`AccessToken`] and [`JsapiTicket`] print `***` in `Debug`. Errors, spans and
//! logs never contain a token: each call gets a `weixin_call` span with its endpoint id, method,
//! path (not the query), duration and errcode; transport errors drop the URL; body excerpts in
//! errors mask token-like fields.
//!
//! # Example
//!
//! ```no_run
//! # async fn run() -> Result<(), weixin_runtime::Error> {
//! use weixin_runtime::{Client, Method};
//!
//! let client = Client::new("wx1234567890abcdef", "the-app-secret");
//! let ip_list = client.call_json(Method::Get, "/cgi-bin/get_api_domain_ip", None).await?;
//! println!("{ip_list}");
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

mod builder;
mod cache;
mod client;
pub mod component;
mod credentials;
mod decode;
mod download;
pub mod endpoint;
mod envelope;
mod errcode;
mod error;
pub mod jssdk;
pub mod oauth;
#[cfg(feature = "pay")]
pub mod pay;
pub mod push;
#[cfg(feature = "redis")]
pub mod redis;
mod secret;
mod shared;
mod store;
mod token;
mod transport;
mod upload;
pub mod wire;
pub mod wxa;

pub use builder::ClientBuilder;
pub use client::Client;
pub use component::{AuthorizationPage, AuthorizationUrl, Component, ComponentHealth};
pub use credentials::{CredentialStore, MemoryCredentialStore, StoredCredential};
pub use decode::{Binary, Decode, DownloadInfo, JsonResponse, RawResponse};
pub use endpoint::{
    Ack, Auth, Body, Credential, Endpoint, Host, Method, Part, RequestParts, ResponseKind, Retry,
};
pub use errcode::{Action, ErrCode, ErrCodeInfo, ErrCodeTable};
pub use error::{
    ApiError, ConfigError, DecodeError, EncodeError, Error, PayApiError, PayRetry, SignatureCheck,
    SignatureError, StatusError, StoreError, TokenError, TransportError,
};
pub use jssdk::{AgentConfig, JsSdkConfig};
pub use secret::{AccessToken, AppSecret, JsapiTicket};
pub use shared::{Shared, SharedBuilder};
pub use store::{BoxFuture, DEFAULT_LOCK_TTL, MemoryTokenStore, StoredToken, TokenStore};
pub use token::{TokenProvider, TokenSource};
pub use upload::{FileLimit, Upload};
