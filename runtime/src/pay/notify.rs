//! Parsing WeChat Pay notifications (callbacks): the signature headers and the 5-minute window
//! are checked BEFORE anything of the body is parsed; then the envelope is read and its
//! `resource` decrypted (AEAD_AES_256_GCM, APIv3 key) into the caller's type.
//!
//! Nothing here logs the body or the decrypted resource.

use std::fmt;
use std::sync::Arc;

use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;

use super::aead;
use super::client::PayClient;
use super::exchange::SignedHeaders;
use super::keys::ApiV3Key;
use super::verify::Verifier;
use crate::error::SignatureCheck;

/// The default largest notification body accepted, in bytes.
pub const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024;

/// A request on the notification URL, independent of any web framework.
#[derive(Debug, Clone, Copy)]
pub struct NotifyRequest<'a> {
    /// The HTTP method (WeChat Pay POSTs).
    pub method: &'a str,
    /// The request headers (`Wechatpay-Timestamp`, `-Nonce`, `-Signature`, `-Serial`).
    pub headers: &'a HeaderMap,
    /// The raw body.
    pub body: &'a [u8],
}

/// A verified, decrypted notification.
#[derive(Clone, PartialEq, Eq)]
pub struct Notification<T> {
    /// The notification id (the same on every delivery of one notification).
    pub id: String,
    /// When it was created (RFC 3339).
    pub create_time: String,
    /// E.g. `TRANSACTION.SUCCESS`, `REFUND.SUCCESS`.
    pub event_type: String,
    /// `encrypt-resource`.
    pub resource_type: String,
    /// A short description, e.g. `支付成功`.
    pub summary: String,
    /// The resource's `original_type`, e.g. `transaction`.
    pub original_type: String,
    /// The decrypted resource.
    pub resource: T,
}

impl<T> fmt::Debug for Notification<T> {
    /// Shows the envelope, never the decrypted resource.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notification")
            .field("id", &self.id)
            .field("create_time", &self.create_time)
            .field("event_type", &self.event_type)
            .field("original_type", &self.original_type)
            .finish_non_exhaustive()
    }
}

/// Why a notification was refused. [`status`](Self::status) is the HTTP status to answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotifyError {
    /// Not a POST (405).
    #[error("method `{0}` is not allowed")]
    Method(String),
    /// The body is over the limit (413).
    #[error("the body has {len} bytes; at most {max} are accepted")]
    TooLarge {
        /// The body's length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A signature check failed (401).
    #[error("verification failed: {0}")]
    Signature(SignatureCheck),
    /// The (verified) body is not a notification envelope (400).
    #[error("the body is not a notification: {0}")]
    Body(String),
    /// The resource could not be decrypted although the signature verified: the APIv3 key is
    /// probably wrong (500, so WeChat Pay retries after it is fixed).
    #[error("the resource could not be decrypted (check the APIv3 key)")]
    Decrypt,
    /// The decrypted resource does not fit the handler's type (500, so WeChat Pay retries
    /// after a fix). Only the JSON path is kept, never the values.
    #[error("the decrypted resource does not decode at `{path}`")]
    Resource {
        /// Where decoding failed.
        path: String,
    },
}

impl NotifyError {
    /// The HTTP status to answer with.
    pub fn status(&self) -> u16 {
        match self {
            NotifyError::Method(_) => 405,
            NotifyError::TooLarge { .. } => 413,
            NotifyError::Signature(_) => 401,
            NotifyError::Body(_) => 400,
            NotifyError::Decrypt | NotifyError::Resource { .. } => 500,
        }
    }
}

/// Where the verifying keys come from.
#[derive(Clone, Debug)]
enum Keys {
    /// A fixed set (public-key mode, or certificates loaded by the application).
    Fixed(Arc<Verifier>),
    /// A client's keys, with its certificate download on unknown serials.
    Client(PayClient),
}

/// Verifies and decrypts notifications. Cheap to clone.
#[derive(Clone, Debug)]
pub struct NotifyParser {
    keys: Keys,
    apiv3_key: ApiV3Key,
    max_body_bytes: usize,
}

#[derive(serde::Deserialize)]
struct Envelope {
    id: String,
    #[serde(default)]
    create_time: String,
    #[serde(default)]
    event_type: String,
    #[serde(default)]
    resource_type: String,
    #[serde(default)]
    summary: String,
    resource: Resource,
}

#[derive(serde::Deserialize)]
struct Resource {
    algorithm: String,
    ciphertext: String,
    #[serde(default)]
    associated_data: String,
    #[serde(default)]
    original_type: String,
    nonce: String,
}

impl NotifyParser {
    /// A parser trusting `verifier`'s keys, decrypting with `apiv3_key`.
    pub fn new(verifier: Verifier, apiv3_key: ApiV3Key) -> Self {
        NotifyParser {
            keys: Keys::Fixed(Arc::new(verifier)),
            apiv3_key,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }

    /// A parser using `client`'s keys (downloading certificates on an unknown serial in
    /// certificate mode) and APIv3 key. Notifications are verified even when the client skips
    /// response verification.
    pub fn from_client(client: &PayClient) -> Self {
        NotifyParser {
            keys: Keys::Client(client.clone()),
            apiv3_key: client.apiv3_key().clone(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }

    /// Sets the largest body accepted (default 64 KiB).
    #[must_use]
    pub fn max_body_bytes(mut self, max: usize) -> Self {
        self.max_body_bytes = max;
        self
    }

    /// The largest body accepted.
    pub fn body_limit(&self) -> usize {
        self.max_body_bytes
    }

    /// Checks the method, size, timestamp window and signature; nothing of the body is parsed.
    pub async fn verify(&self, request: NotifyRequest<'_>) -> Result<(), NotifyError> {
        if !request.method.eq_ignore_ascii_case("POST") {
            return Err(NotifyError::Method(request.method.to_owned()));
        }
        if request.body.len() > self.max_body_bytes {
            return Err(NotifyError::TooLarge {
                len: request.body.len(),
                max: self.max_body_bytes,
            });
        }
        let h = SignedHeaders::read(request.headers).map_err(NotifyError::Signature)?;
        let outcome = match &self.keys {
            Keys::Fixed(verifier) => {
                verifier.verify(h.timestamp, h.nonce, request.body, h.signature, h.serial)
            }
            Keys::Client(client) => {
                let inner = &client.inner;
                inner
                    .keys
                    .verify(
                        inner,
                        h.timestamp,
                        h.nonce,
                        request.body,
                        h.signature,
                        h.serial,
                    )
                    .await
            }
        };
        outcome.map_err(NotifyError::Signature)
    }

    /// Verifies (see [`verify`](Self::verify)), then parses the envelope and decrypts the
    /// resource into `T`.
    pub async fn parse<T: DeserializeOwned>(
        &self,
        request: NotifyRequest<'_>,
    ) -> Result<Notification<T>, NotifyError> {
        self.verify(request).await?;
        self.open_verified(request.body)
    }

    /// Parses and decrypts a body whose signature was verified.
    fn open_verified<T: DeserializeOwned>(
        &self,
        body: &[u8],
    ) -> Result<Notification<T>, NotifyError> {
        let envelope: Envelope = serde_json::from_slice(body).map_err(|e| {
            NotifyError::Body(format!(
                "line {} column {}: {:?}",
                e.line(),
                e.column(),
                e.classify()
            ))
        })?;
        let resource = envelope.resource;
        if resource.algorithm != "AEAD_AES_256_GCM" {
            return Err(NotifyError::Body(format!(
                "unsupported algorithm `{}`",
                resource.algorithm
            )));
        }
        let plain = aead::decrypt(
            self.apiv3_key.secret(),
            resource.nonce.as_bytes(),
            resource.associated_data.as_bytes(),
            &resource.ciphertext,
        )
        .map_err(|_| NotifyError::Decrypt)?;
        let mut de = serde_json::Deserializer::from_slice(&plain);
        let decoded: T =
            serde_path_to_error::deserialize(&mut de).map_err(|e| NotifyError::Resource {
                path: e.path().to_string(),
            })?;
        Ok(Notification {
            id: envelope.id,
            create_time: envelope.create_time,
            event_type: envelope.event_type,
            resource_type: envelope.resource_type,
            summary: envelope.summary,
            original_type: resource.original_type,
            resource: decoded,
        })
    }
}

impl PayClient {
    /// A notification parser sharing this client's keys and APIv3 key.
    pub fn notify_parser(&self) -> NotifyParser {
        NotifyParser::from_client(self)
    }
}
