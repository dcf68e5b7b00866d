//! Request signing: the `Authorization: WECHATPAY2-SHA256-RSA2048 …` header.
//!
//! The signed message has five lines, each ending in `\n` (the last included):
//! `METHOD`, the canonical URL (path plus `?` and the query exactly as sent), the timestamp
//! (unix seconds), the nonce and the body (empty for GET).

use rand::Rng as _;
use rand::distr::Alphanumeric;

use super::keys::{KeyError, MerchantKey};
use super::unix_now;

/// The authorization scheme.
pub const SCHEMA: &str = "WECHATPAY2-SHA256-RSA2048";

/// The message signed for a request.
pub fn request_message(
    method: &str,
    canonical_url: &str,
    timestamp: i64,
    nonce: &str,
    body: &[u8],
) -> Vec<u8> {
    let mut message = Vec::with_capacity(canonical_url.len() + nonce.len() + body.len() + 32);
    for part in [
        method.as_bytes(),
        canonical_url.as_bytes(),
        timestamp.to_string().as_bytes(),
        nonce.as_bytes(),
        body,
    ] {
        message.extend_from_slice(part);
        message.push(b'\n');
    }
    message
}

/// A fresh nonce: 32 random alphanumerics, like the official SDKs.
pub fn nonce() -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(32)
        .map(char::from)
        .collect()
}

/// Signs requests for one merchant: its id, its API certificate serial and its private key.
#[derive(Clone, Debug)]
pub struct RequestSigner {
    mchid: String,
    serial_no: String,
    key: MerchantKey,
}

impl RequestSigner {
    /// A signer for merchant `mchid` whose API certificate has serial `serial_no` (uppercase
    /// hex).
    pub fn new(mchid: impl Into<String>, serial_no: impl Into<String>, key: MerchantKey) -> Self {
        RequestSigner {
            mchid: mchid.into(),
            serial_no: serial_no.into(),
            key,
        }
    }

    /// The merchant id.
    pub fn mchid(&self) -> &str {
        &self.mchid
    }

    /// The merchant API certificate serial.
    pub fn serial_no(&self) -> &str {
        &self.serial_no
    }

    /// The merchant key.
    pub fn key(&self) -> &MerchantKey {
        &self.key
    }

    /// The `Authorization` header value with the given timestamp and nonce (reproducible).
    pub fn authorization_with(
        &self,
        method: &str,
        canonical_url: &str,
        body: &[u8],
        timestamp: i64,
        nonce: &str,
    ) -> Result<String, KeyError> {
        let message = request_message(method, canonical_url, timestamp, nonce, body);
        let signature = self.key.sign(&message)?;
        Ok(format!(
            "{SCHEMA} mchid=\"{}\",nonce_str=\"{nonce}\",timestamp=\"{timestamp}\",serial_no=\"{}\",signature=\"{signature}\"",
            self.mchid, self.serial_no
        ))
    }

    /// The `Authorization` header value with the current time and a fresh nonce.
    pub fn authorization(
        &self,
        method: &str,
        canonical_url: &str,
        body: &[u8],
    ) -> Result<String, KeyError> {
        self.authorization_with(method, canonical_url, body, unix_now(), &nonce())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_has_five_terminated_lines() {
        let m = request_message("GET", "/v3/certificates", 1, "n", b"");
        assert_eq!(m, b"GET\n/v3/certificates\n1\nn\n\n");
    }

    #[test]
    fn nonces_are_32_alphanumerics_and_differ() {
        let (a, b) = (nonce(), nonce());
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, b);
    }
}
