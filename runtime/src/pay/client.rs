//! [`PayClient`]: signed, verified calls to WeChat Pay APIv3.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::builder::PayClientBuilder;
use super::certs::KeyRing;
use super::exchange::{PayCall, Received};
use super::keys::{ApiV3Key, KeyError};
use super::params::{AppPayParams, JsapiPayParams};
use super::sensitive::{self, EncryptedField, SensitiveError};
use super::sign::RequestSigner;
use super::verify::Verifier;
use crate::decode::{Decode, RawResponse, decode_json};
use crate::endpoint::{Auth, Body, Credential, Endpoint, Host, Method, RequestParts};
use crate::error::{ConfigError, Error};

/// A WeChat Pay APIv3 client for one merchant. Cheap to clone (one `Arc`); clones share the
/// downloaded certificates.
///
/// Every request is signed (`Authorization: WECHATPAY2-SHA256-RSA2048 …`); every response is
/// verified (timestamp window, then the signature with the key its `Wechatpay-Serial` names)
/// before anything is decoded. Responses failing that are [`Error::Signature`]; error bodies
/// are [`Error::Pay`].
///
/// Resending: a [`Retry::Safe`](crate::Retry::Safe) call (a query) is resent at most twice
/// after a transport failure or a 5xx status; a [`Retry::Never`](crate::Retry::Never) call
/// (creating an order, a refund) is sent exactly once, whatever happens: query it before trying
/// again.
#[derive(Clone)]
pub struct PayClient {
    pub(crate) inner: Arc<Inner>,
}

/// What a client holds.
pub(crate) struct Inner {
    pub(crate) signer: RequestSigner,
    pub(crate) apiv3_key: ApiV3Key,
    pub(crate) http: reqwest::Client,
    pub(crate) base_url: String,
    pub(crate) timeout: Duration,
    pub(crate) verify: bool,
    pub(crate) keys: KeyRing,
}

impl PayClient {
    /// Configures a client: merchant id, the serial of the merchant API certificate, the
    /// merchant private key (PEM) and the APIv3 key.
    pub fn builder(
        mchid: impl Into<String>,
        merchant_cert_serial: impl Into<String>,
        merchant_key_pem: impl Into<String>,
        apiv3_key: impl Into<String>,
    ) -> PayClientBuilder {
        PayClientBuilder::new(mchid, merchant_cert_serial, merchant_key_pem, apiv3_key)
    }

    /// The merchant id.
    pub fn mchid(&self) -> &str {
        self.inner.signer.mchid()
    }

    /// The request signer (merchant id, certificate serial, key).
    pub fn signer(&self) -> &RequestSigner {
        &self.inner.signer
    }

    /// The keys responses are verified with right now (configured public keys plus downloaded
    /// certificates).
    pub fn verifier(&self) -> Arc<Verifier> {
        self.inner.keys.current()
    }

    /// The APIv3 key.
    pub fn apiv3_key(&self) -> &ApiV3Key {
        &self.inner.apiv3_key
    }

    /// Downloads the platform certificates if the client uses them and none are loaded or
    /// they are over 60 minutes old. Calls do this by themselves; call it at start-up to fail
    /// early.
    pub async fn ensure_certificates(&self) -> Result<(), Error> {
        self.inner.keys.ensure_fresh(&self.inner).await
    }

    /// Performs `endpoint`: encodes it (path parameters included; the merchant id where the
    /// endpoint asks for [`Credential::MchId`]), signs, sends, verifies the response and decodes
    /// it. A 204 decodes as an empty object (`Ack`). A multipart endpoint is a WeChat Pay upload:
    /// one file, sent with the signed `meta` part `{"filename","sha256"}`. Endpoints of another
    /// host, or authenticating with a named token or an AppID, are refused before sending.
    pub async fn send<E: Endpoint>(&self, endpoint: &E) -> Result<E::Response, Error> {
        if E::HOST != Host::Mch {
            return Err(ConfigError::setting(
                format!("`{}` is not a WeChat Pay endpoint", E::ID),
                None,
            )
            .into());
        }
        let mut parts = RequestParts::new();
        endpoint.encode(&mut parts)?;
        let mchid = self.mchid();
        if !E::BODY_CREDENTIALS.is_empty() {
            let values = E::BODY_CREDENTIALS
                .iter()
                .map(|(name, credential)| {
                    Ok((*name, merchant_credential::<E>(*credential, mchid)?))
                })
                .collect::<Result<Vec<(&str, &str)>, Error>>()?;
            parts.add_json_fields(E::ID, &values)?;
        }
        let mut query: Vec<(&str, &str)> = Vec::new();
        match E::AUTH {
            // The trait's default: a Pay request is signed instead, so nothing is added.
            Auth::None | Auth::AccessToken => {}
            Auth::Credentials(credentials) => {
                for (name, credential) in credentials {
                    query.push((name, merchant_credential::<E>(*credential, mchid)?));
                }
            }
            Auth::TokenParam(name) => {
                return Err(not_for_pay::<E>(&format!("it sends a token as `{name}`")));
            }
        }
        query.extend(parts.query_pairs().iter().map(|(k, v)| (*k, v.as_str())));
        let path = parts.render_path(E::PATH)?;
        let call = PayCall {
            endpoint: E::ID,
            method: E::METHOD,
            path,
            query,
            raw_query: None,
            retry: E::RETRY,
        };
        let raw = self.execute(&call, parts.body()).await?;
        E::Response::decode(raw)
    }

    /// Calls any APIv3 path (`/v3/…`, with a query string if needed, sent exactly as given)
    /// with a JSON body: signed and verified like [`send`](Self::send). GET calls may be
    /// resent after a transport failure; POST calls never are.
    pub async fn call_json(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<serde_json::Value, Error> {
        let (path, query) = match path_and_query.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (path_and_query, None),
        };
        let body = body.map(Body::json).transpose()?.unwrap_or_default();
        let call = PayCall {
            endpoint: "pay_call_json",
            method,
            path: path.into(),
            query: Vec::new(),
            raw_query: query,
            retry: method.default_retry(),
        };
        let raw = self.execute(&call, &body).await?;
        decode_json(call.endpoint, raw.body())
    }

    /// Encrypts a sensitive field (RSA-OAEP) for a request, with the WeChat Pay public key or
    /// the newest valid platform certificate. The client sends the same serial
    /// ([`EncryptedField::serial`]) as `Wechatpay-Serial` on every request.
    pub async fn encrypt_sensitive(&self, plaintext: &str) -> Result<EncryptedField, Error> {
        self.ensure_certificates().await?;
        sensitive::encrypt(&self.inner.keys.current(), plaintext).map_err(sensitive_error)
    }

    /// Decrypts a sensitive field of a response with the merchant key.
    pub fn decrypt_sensitive(&self, ciphertext_b64: &str) -> Result<String, Error> {
        sensitive::decrypt(self.inner.signer.key(), ciphertext_b64).map_err(sensitive_error)
    }

    /// The signed `wx.requestPayment` parameters of a JSAPI / mini program prepay id.
    pub fn jsapi_params(&self, app_id: &str, prepay_id: &str) -> Result<JsapiPayParams, Error> {
        JsapiPayParams::new(self.inner.signer.key(), app_id, prepay_id).map_err(key_error)
    }

    /// The signed App SDK parameters of an App prepay id (`partnerid` = this merchant).
    pub fn app_params(&self, app_id: &str, prepay_id: &str) -> Result<AppPayParams, Error> {
        AppPayParams::new(self.inner.signer.key(), app_id, self.mchid(), prepay_id)
            .map_err(key_error)
    }

    /// Sends a call, verifies the response, maps error statuses; returns the body to decode.
    pub(crate) async fn execute(
        &self,
        call: &PayCall<'_>,
        body: &Body,
    ) -> Result<RawResponse, Error> {
        let inner = &self.inner;
        inner.keys.ensure_fresh(inner).await?;
        let received = inner.exchange(call, body).await?;
        let verified = inner.verify_received(call.endpoint, &received).await?;
        into_raw(inner, call.endpoint, received, verified)
    }
}

/// The merchant id is the only credential a WeChat Pay request carries.
fn merchant_credential<E: Endpoint>(credential: Credential, mchid: &str) -> Result<&str, Error> {
    match credential {
        Credential::MchId => Ok(mchid),
        Credential::AppId | Credential::AppSecret => {
            Err(not_for_pay::<E>("it carries an AppID or AppSecret"))
        }
    }
}

fn not_for_pay<E: Endpoint>(why: &str) -> Error {
    ConfigError::setting(
        format!("`{}` cannot be sent with a PayClient: {why}", E::ID),
        None,
    )
    .into()
}

/// A verified response as the body to decode (`{}` for an empty 2xx body), or its API error.
fn into_raw(
    inner: &Inner,
    endpoint: &'static str,
    received: Received,
    verified: bool,
) -> Result<RawResponse, Error> {
    if !(200..300).contains(&received.status) {
        return Err(inner.api_error(endpoint, &received, verified));
    }
    let content_type =
        super::exchange::header(&received.headers, "content-type").map(str::to_owned);
    let body = if received.body.iter().all(u8::is_ascii_whitespace) {
        bytes::Bytes::from_static(b"{}")
    } else {
        received.body
    };
    Ok(RawResponse::new(endpoint, body).with_content_type(content_type))
}

fn sensitive_error(e: SensitiveError) -> Error {
    ConfigError::setting("sensitive field encryption failed", Some(Box::new(e))).into()
}

fn key_error(e: KeyError) -> Error {
    ConfigError::setting("signing failed", Some(Box::new(e))).into()
}

impl fmt::Debug for PayClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("PayClient")
            .field("mchid", &inner.signer.mchid())
            .field("serial_no", &inner.signer.serial_no())
            .field("base_url", &inner.base_url)
            .field("verify", &inner.verify)
            .field("downloads_certificates", &inner.keys.downloads())
            .finish_non_exhaustive()
    }
}
