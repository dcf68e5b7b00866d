//! [`PayClientBuilder`]: configuring a [`PayClient`].

use std::marker::PhantomData;
use std::sync::{Arc, Once};
use std::time::Duration;

use super::certs::KeyRing;
use super::client::{Inner, PayClient};
use super::keys::{ApiV3Key, MerchantKey, WechatPayPublicKey};
use super::sign::RequestSigner;
use super::verify::Verifier;
use crate::endpoint::Host;
use crate::error::{ConfigError, Error};
use crate::shared::Shared;

/// Default timeout of a whole call.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Configures a [`PayClient`] (or a client wrapping one, such as the generated
/// `weixin::pay::Client`: `C` is what [`build`](Self::build) returns). At least one source of
/// WeChat Pay keys is required: a public key ([`public_key`](Self::public_key)), certificate
/// download ([`platform_certificates`](Self::platform_certificates)), or both during a migration.
pub struct PayClientBuilder<C = PayClient> {
    mchid: String,
    serial_no: String,
    key_pem: String,
    apiv3_key: String,
    public_keys: Vec<(String, String)>,
    download: bool,
    base_url: Option<String>,
    timeout: Duration,
    skip_verification: bool,
    http: Option<reqwest::Client>,
    client: PhantomData<fn() -> C>,
}

impl<C: From<PayClient>> PayClientBuilder<C> {
    /// A builder for merchant `mchid`: the serial of its API certificate, its private key (PEM,
    /// PKCS#8 or PKCS#1) and its APIv3 key. Usually reached through [`PayClient::builder`].
    pub fn new(
        mchid: impl Into<String>,
        serial_no: impl Into<String>,
        key_pem: impl Into<String>,
        apiv3_key: impl Into<String>,
    ) -> Self {
        PayClientBuilder {
            mchid: mchid.into(),
            serial_no: serial_no.into(),
            key_pem: key_pem.into(),
            apiv3_key: apiv3_key.into(),
            public_keys: Vec::new(),
            download: false,
            base_url: None,
            timeout: DEFAULT_TIMEOUT,
            skip_verification: false,
            http: None,
            client: PhantomData,
        }
    }

    /// Trusts the WeChat Pay public key `pem` (SPKI) under its id `PUB_KEY_ID_…` (public-key
    /// mode). May be called more than once; the last one encrypts sensitive fields.
    #[must_use]
    pub fn public_key(mut self, id: impl Into<String>, pem: impl Into<String>) -> Self {
        self.public_keys.push((id.into(), pem.into()));
        self
    }

    /// Downloads platform certificates from `/v3/certificates` (certificate mode; with a
    /// public key too: mixed mode).
    #[must_use]
    pub fn platform_certificates(mut self) -> Self {
        self.download = true;
        self
    }

    /// Sends to `url` instead of `https://api.mch.weixin.qq.com` (tests, a proxy).
    #[must_use]
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Timeout of a whole call (default 30 s). Bill downloads get ten times as long.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Uses this HTTP client instead of the process-wide shared one.
    #[must_use]
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// Turns OFF response signature verification. Only for debugging against a proxy that
    /// rewrites responses: anyone between you and WeChat Pay can then forge "paid". A warning
    /// is logged once.
    #[must_use]
    pub fn dangerously_skip_response_verification_for_debugging(mut self) -> Self {
        self.skip_verification = true;
        self
    }

    /// Checks the settings and builds the client.
    pub fn build(self) -> Result<C, Error> {
        let config = |message: String, source: Option<Box<dyn std::error::Error + Send + Sync>>| {
            Error::from(ConfigError::setting(message, source))
        };
        if self.mchid.trim().is_empty() {
            return Err(config("the merchant id is empty".into(), None));
        }
        if self.serial_no.trim().is_empty()
            || !self.serial_no.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Err(config(
                "the merchant certificate serial must be hex (as on the merchant platform)".into(),
                None,
            ));
        }
        let key = MerchantKey::from_pem(&self.key_pem)
            .map_err(|e| config("invalid merchant private key".into(), Some(Box::new(e))))?;
        let apiv3_key = ApiV3Key::new(self.apiv3_key.as_bytes())
            .map_err(|e| config("invalid APIv3 key".into(), Some(Box::new(e))))?;
        let mut verifier = Verifier::new();
        for (id, pem) in &self.public_keys {
            let public = WechatPayPublicKey::from_pem(id.as_str(), pem).map_err(|e| {
                config(
                    format!("invalid WeChat Pay public key `{id}`"),
                    Some(Box::new(e)),
                )
            })?;
            verifier.add_public_key(public);
        }
        let verify = !self.skip_verification;
        if verify && verifier.is_empty() && !self.download {
            return Err(config(
                "no WeChat Pay key to verify responses with: set `public_key` and/or \
                 `platform_certificates`"
                    .into(),
                None,
            ));
        }
        if !verify {
            static WARNED: Once = Once::new();
            WARNED.call_once(|| {
                tracing::warn!(
                    "WeChat Pay response verification is DISABLED \
                     (dangerously_skip_response_verification_for_debugging); never do this in production"
                );
            });
        }
        let mut urls = crate::transport::BaseUrls::default();
        if let Some(url) = &self.base_url {
            urls.set(Host::Mch, url)?;
        }
        let http = match self.http {
            Some(http) => http,
            None => Shared::global().http().clone(),
        };
        let serial_no = self.serial_no.to_ascii_uppercase();
        Ok(C::from(PayClient {
            inner: Arc::new(Inner {
                signer: RequestSigner::new(self.mchid, serial_no, key),
                apiv3_key,
                http,
                base_url: urls.get(Host::Mch).to_owned(),
                timeout: self.timeout,
                verify,
                keys: KeyRing::new(verifier, self.download),
            }),
        }))
    }
}

impl<C> std::fmt::Debug for PayClientBuilder<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PayClientBuilder")
            .field("mchid", &self.mchid)
            .field("serial_no", &self.serial_no)
            .field(
                "public_key_ids",
                &self
                    .public_keys
                    .iter()
                    .map(|(id, _)| id)
                    .collect::<Vec<_>>(),
            )
            .field("platform_certificates", &self.download)
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}
