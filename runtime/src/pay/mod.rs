//! WeChat Pay APIv3 (feature `pay`): request signing, response and notification verification,
//! resource decryption, sensitive fields, client pay parameters and [`PayClient`].
//!
//! Verification is on by default and cannot be turned off except with a method whose name says
//! what it costs ([`PayClientBuilder::dangerously_skip_response_verification_for_debugging`]).
//!
//! # Keys
//!
//! - The merchant's API private key ([`MerchantKey`], PKCS#8 or PKCS#1 PEM) and the serial of
//!   its certificate sign every request ([`RequestSigner`]).
//! - WeChat Pay signs responses and notifications with its public key (`PUB_KEY_ID_…`,
//!   [`WechatPayPublicKey`]; public-key mode, all new merchants) or with platform certificates
//!   ([`PlatformCertificate`], downloaded from `/v3/certificates`; certificate mode). During a
//!   migration both are in use; a [`Verifier`] holds any mix, keyed by `Wechatpay-Serial`.
//! - The APIv3 key ([`ApiV3Key`]) decrypts notification resources and downloaded certificates
//!   ([`aead`]).
//!
//! # Example
//!
//! ```no_run
//! # async fn run(key_pem: &str, pub_key_pem: &str) -> Result<(), weixin_runtime::Error> {
//! use weixin_runtime::Method;
//! use weixin_runtime::pay::PayClient;
//!
//! let pay = PayClient::builder("1900000001", "5F1C72E2A8931B72A2E13AF8DEE92471EB397115", key_pem, "a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb")
//!     .public_key("PUB_KEY_ID_0114232134912410000000000000", pub_key_pem)
//!     .build()?;
//! let order = pay
//!     .call_json(Method::Get, "/v3/pay/transactions/out-trade-no/T1?mchid=1900000001", None)
//!     .await?;
//! println!("{}", order["trade_state"]);
//! # Ok(())
//! # }
//! ```

pub mod aead;
mod bill;
mod builder;
mod certs;
mod client;
mod exchange;
pub mod keys;
pub mod notify;
pub mod notify_service;
pub mod params;
pub mod sensitive;
pub mod sign;
mod upload;
pub mod verify;

pub use bill::HashType;
pub use builder::PayClientBuilder;
pub use client::PayClient;
pub use keys::{ApiV3Key, KeyError, MerchantKey, PlatformCertificate, WechatPayPublicKey};
pub use notify::{Notification, NotifyError, NotifyParser, NotifyRequest};
pub use notify_service::{NotifyHandler, NotifyResponse, NotifyService, NotifyServiceBuilder};
pub use params::{AppPayParams, JsapiPayParams};
/// The header map of a notification request (the `http` crate's, as axum and hyper use).
pub use reqwest::header::HeaderMap;
pub use sensitive::EncryptedField;
pub use sign::RequestSigner;
pub use verify::Verifier;

/// The current unix time in seconds.
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
