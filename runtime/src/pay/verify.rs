//! Verifying what WeChat Pay signs (responses and notifications).
//!
//! The message is `"{Wechatpay-Timestamp}\n{Wechatpay-Nonce}\n{raw body}\n"`, signed with
//! SHA256withRSA by the key named in `Wechatpay-Serial`: the WeChat Pay public key
//! (`PUB_KEY_ID_…`) or a platform certificate (its serial). A [`Verifier`] holds either or both
//! (during a migration WeChat Pay signs with both, at a rising ratio) keyed by the exact serial.
//! The freshness check ([`check_timestamp`]) is a separate step.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier as _;
use sha2::Sha256;

use super::keys::{PlatformCertificate, WechatPayPublicKey};
use crate::error::SignatureCheck;

/// How far a `Wechatpay-Timestamp` may be from the local clock.
pub const WINDOW: Duration = Duration::from_secs(5 * 60);

/// The prefix of WeChat Pay's signature probes, which must fail verification.
pub const PROBE_PREFIX: &str = "WECHATPAY/SIGNTEST/";

/// What signs under one serial.
#[derive(Clone, Debug)]
enum Kind {
    PublicKey,
    Certificate(PlatformCertificate),
}

#[derive(Clone, Debug)]
struct Entry {
    key: VerifyingKey<Sha256>,
    encryption: rsa::RsaPublicKey,
    kind: Kind,
}

/// The WeChat Pay keys a merchant trusts, by exact serial. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct Verifier {
    entries: BTreeMap<String, Entry>,
    public_key_id: Option<String>,
}

impl Verifier {
    /// A verifier that trusts nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Trusts the WeChat Pay public key under its id (public-key mode). The latest added public
    /// key is the one used for sensitive-field encryption.
    pub fn add_public_key(&mut self, key: WechatPayPublicKey) -> &mut Self {
        self.public_key_id = Some(key.id().to_owned());
        self.entries.insert(
            key.id().to_owned(),
            Entry {
                key: VerifyingKey::new(key.key().clone()),
                encryption: key.key().clone(),
                kind: Kind::PublicKey,
            },
        );
        self
    }

    /// Trusts a platform certificate under its serial (certificate mode).
    pub fn add_certificate(&mut self, cert: PlatformCertificate) -> &mut Self {
        self.entries.insert(
            cert.serial().to_owned(),
            Entry {
                key: VerifyingKey::new(cert.key().clone()),
                encryption: cert.key().clone(),
                kind: Kind::Certificate(cert),
            },
        );
        self
    }

    /// Whether a key or certificate is known under `serial`.
    pub fn knows(&self, serial: &str) -> bool {
        self.entries.contains_key(serial)
    }

    /// Whether no key is trusted.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The serials of the trusted keys and certificates.
    pub fn serials(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// The platform certificates held.
    pub fn certificates(&self) -> impl Iterator<Item = &PlatformCertificate> {
        self.entries.values().filter_map(|e| match &e.kind {
            Kind::Certificate(cert) => Some(cert),
            Kind::PublicKey => None,
        })
    }

    /// Checks `signature_b64` over `"{timestamp}\n{nonce}\n{body}\n"` with the key under
    /// `serial`. Does not check the timestamp's age (see [`check_timestamp`]).
    pub fn verify(
        &self,
        timestamp: &str,
        nonce: &str,
        body: &[u8],
        signature_b64: &str,
        serial: &str,
    ) -> Result<(), SignatureCheck> {
        if signature_b64.starts_with(PROBE_PREFIX) {
            return Err(SignatureCheck::Probe);
        }
        let entry = self
            .entries
            .get(serial)
            .ok_or_else(|| SignatureCheck::UnknownSerial(serial.to_owned()))?;
        let raw = BASE64
            .decode(signature_b64.trim())
            .map_err(|_| SignatureCheck::Mismatch)?;
        let signature =
            Signature::try_from(raw.as_slice()).map_err(|_| SignatureCheck::Mismatch)?;
        let message = response_message(timestamp, nonce, body);
        entry
            .key
            .verify(&message, &signature)
            .map_err(|_| SignatureCheck::Mismatch)
    }

    /// The key to encrypt sensitive fields with, and the serial to send as `Wechatpay-Serial`:
    /// the WeChat Pay public key when one is configured, else the certificate valid at `now`
    /// with the latest start of validity.
    pub fn encryption_key(&self, now: SystemTime) -> Option<(&str, &rsa::RsaPublicKey)> {
        if let Some(id) = &self.public_key_id {
            if let Some(entry) = self.entries.get(id) {
                return Some((id.as_str(), &entry.encryption));
            }
        }
        self.entries
            .iter()
            .filter_map(|(serial, e)| match &e.kind {
                Kind::Certificate(cert) if cert.is_valid_at(now) => Some((serial, e, cert)),
                _ => None,
            })
            .max_by_key(|(_, _, cert)| cert.not_before())
            .map(|(serial, e, _)| (serial.as_str(), &e.encryption))
    }
}

/// The message WeChat Pay signs for a response or notification.
pub fn response_message(timestamp: &str, nonce: &str, body: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(timestamp.len() + nonce.len() + body.len() + 3);
    message.extend_from_slice(timestamp.as_bytes());
    message.push(b'\n');
    message.extend_from_slice(nonce.as_bytes());
    message.push(b'\n');
    message.extend_from_slice(body);
    message.push(b'\n');
    message
}

/// Checks that `timestamp` (unix seconds) is less than [`WINDOW`] away from `now` (unix
/// seconds), in either direction. Returns the parsed timestamp.
pub fn check_timestamp(timestamp: &str, now: i64) -> Result<i64, SignatureCheck> {
    let ts: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| SignatureCheck::MalformedTimestamp)?;
    let skew = now.saturating_sub(ts);
    if skew.unsigned_abs() >= WINDOW.as_secs() {
        return Err(SignatureCheck::Stale { skew_secs: skew });
    }
    Ok(ts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_window() {
        assert_eq!(check_timestamp("1000", 1000), Ok(1000));
        assert!(check_timestamp("1000", 1299).is_ok());
        assert_eq!(
            check_timestamp("1000", 1300),
            Err(SignatureCheck::Stale { skew_secs: 300 })
        );
        assert_eq!(
            check_timestamp("1300", 1000),
            Err(SignatureCheck::Stale { skew_secs: -300 })
        );
        assert_eq!(
            check_timestamp("x", 1000),
            Err(SignatureCheck::MalformedTimestamp)
        );
    }

    #[test]
    fn unknown_serial_and_probe() {
        let v = Verifier::new();
        assert_eq!(
            v.verify("1", "n", b"", "sig", "S1"),
            Err(SignatureCheck::UnknownSerial("S1".into()))
        );
        assert_eq!(
            v.verify("1", "n", b"", "WECHATPAY/SIGNTEST/abc", "S1"),
            Err(SignatureCheck::Probe)
        );
    }
}
