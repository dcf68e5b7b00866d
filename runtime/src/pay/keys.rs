//! Keys: the merchant's private key, the WeChat Pay public key (`PUB_KEY_ID_…`), platform
//! certificates and the APIv3 key. `Debug` never prints key material.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::rand_core::OsRng;
use rsa::signature::{RandomizedSigner, SignatureEncoding};
use rsa::traits::PublicKeyParts;
use rsa::{Oaep, RsaPrivateKey, RsaPublicKey};
use sha2::Sha256;
use x509_cert::Certificate;
use x509_cert::der::{DecodePem, Encode};

/// The smallest RSA modulus accepted, in bits (WeChat Pay keys are 2048-bit).
const MIN_BITS: usize = 2048;

/// A key, certificate or key id could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// No `-----BEGIN …-----` line was found.
    #[error("no PEM block found; expected `-----BEGIN {expected}-----`")]
    NoPem {
        /// The label(s) expected.
        expected: &'static str,
    },
    /// A PEM block of another kind (e.g. a certificate where a private key was expected).
    #[error("unexpected PEM label `{found}`; expected {expected}")]
    Label {
        /// The label found.
        found: String,
        /// The label(s) expected.
        expected: &'static str,
    },
    /// The PEM block did not decode (bad base64, bad DER, not RSA).
    #[error("the {what} could not be parsed: {reason}")]
    Parse {
        /// What was being read.
        what: &'static str,
        /// The parser's reason (never key material).
        reason: String,
    },
    /// The RSA key is too small.
    #[error("the RSA key has {bits} bits; at least 2048 are required")]
    TooSmall {
        /// The modulus size.
        bits: usize,
    },
    /// A WeChat Pay public key id that is not `PUB_KEY_ID_` followed by letters or digits.
    #[error("invalid WeChat Pay public key id `{0}`: expected `PUB_KEY_ID_` followed by digits")]
    KeyId(String),
    /// An APIv3 key that is not 32 bytes (16 is accepted for the official SDKs' test vectors).
    #[error("the APIv3 key has {0} bytes; it must have 32")]
    ApiV3KeyLength(usize),
    /// Signing failed.
    #[error("RSA signing failed")]
    Sign,
}

/// The label of the first PEM block in `pem`.
fn pem_label<'a>(pem: &'a str, expected: &'static str) -> Result<&'a str, KeyError> {
    let start = pem
        .find("-----BEGIN ")
        .ok_or(KeyError::NoPem { expected })?
        + 11;
    let len = pem[start..]
        .find("-----")
        .ok_or(KeyError::NoPem { expected })?;
    Ok(&pem[start..start + len])
}

/// Refuses `pem` unless its first block is labelled `label`.
fn require_label(pem: &str, label: &str, expected: &'static str) -> Result<(), KeyError> {
    match pem_label(pem, expected)? {
        found if found == label => Ok(()),
        other => Err(KeyError::Label {
            found: other.to_owned(),
            expected,
        }),
    }
}

fn parse_error(what: &'static str, reason: impl fmt::Display) -> KeyError {
    KeyError::Parse {
        what,
        reason: reason.to_string(),
    }
}

fn check_size(bits: usize) -> Result<(), KeyError> {
    if bits < MIN_BITS {
        return Err(KeyError::TooSmall { bits });
    }
    Ok(())
}

/// The merchant's API private key (`apiclient_key.pem`): signs requests and client pay
/// parameters, decrypts sensitive response fields.
#[derive(Clone)]
pub struct MerchantKey {
    key: RsaPrivateKey,
    signer: SigningKey<Sha256>,
}

impl MerchantKey {
    /// Reads a PKCS#8 (`PRIVATE KEY`) or PKCS#1 (`RSA PRIVATE KEY`) PEM.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        const EXPECTED: &str = "`PRIVATE KEY` (PKCS#8) or `RSA PRIVATE KEY` (PKCS#1)";
        let pem = pem.trim();
        let key = match pem_label(pem, EXPECTED)? {
            "PRIVATE KEY" => RsaPrivateKey::from_pkcs8_pem(pem)
                .map_err(|e| parse_error("PKCS#8 private key", e))?,
            "RSA PRIVATE KEY" => RsaPrivateKey::from_pkcs1_pem(pem)
                .map_err(|e| parse_error("PKCS#1 private key", e))?,
            other => {
                return Err(KeyError::Label {
                    found: other.to_owned(),
                    expected: EXPECTED,
                });
            }
        };
        check_size(key.size() * 8)?;
        Ok(Self::from_key(key))
    }

    fn from_key(key: RsaPrivateKey) -> Self {
        let signer = SigningKey::<Sha256>::new(key.clone());
        MerchantKey { key, signer }
    }

    /// `Base64(SHA256withRSA(message))` (RSASSA-PKCS1-v1_5; deterministic, computed with
    /// blinding).
    pub fn sign(&self, message: &[u8]) -> Result<String, KeyError> {
        let signature = self
            .signer
            .try_sign_with_rng(&mut OsRng, message)
            .map_err(|_| KeyError::Sign)?;
        Ok(BASE64.encode(signature.to_bytes()))
    }

    /// RSA-OAEP (SHA-1, MGF1-SHA1, empty label) decryption of a sensitive field.
    pub(crate) fn decrypt_oaep(&self, ciphertext: &[u8]) -> Result<Vec<u8>, rsa::Error> {
        self.key
            .decrypt_blinded(&mut OsRng, Oaep::new::<sha1::Sha1>(), ciphertext)
    }

    /// The matching public key (what the merchant certificate carries).
    pub fn public_key(&self) -> RsaPublicKey {
        self.key.to_public_key()
    }
}

impl fmt::Debug for MerchantKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MerchantKey")
            .field("bits", &(self.key.size() * 8))
            .finish_non_exhaustive()
    }
}

/// The WeChat Pay public key (`pub_key.pem`) and its id `PUB_KEY_ID_…`, which responses and
/// notifications name in `Wechatpay-Serial`.
#[derive(Clone, PartialEq, Eq)]
pub struct WechatPayPublicKey {
    id: String,
    key: RsaPublicKey,
}

impl WechatPayPublicKey {
    /// Reads an SPKI (`PUBLIC KEY`) PEM; `id` must be `PUB_KEY_ID_` followed by digits or
    /// letters.
    pub fn from_pem(id: impl Into<String>, pem: &str) -> Result<Self, KeyError> {
        const EXPECTED: &str = "`PUBLIC KEY` (SPKI)";
        let id = id.into();
        let valid_id = id.strip_prefix("PUB_KEY_ID_").is_some_and(|rest| {
            !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric())
        });
        if !valid_id {
            return Err(KeyError::KeyId(id));
        }
        let pem = pem.trim();
        require_label(pem, "PUBLIC KEY", EXPECTED)?;
        let key = RsaPublicKey::from_public_key_pem(pem)
            .map_err(|e| parse_error("WeChat Pay public key", e))?;
        check_size(key.size() * 8)?;
        Ok(WechatPayPublicKey { id, key })
    }

    /// The id (`PUB_KEY_ID_…`).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The RSA public key.
    pub fn key(&self) -> &RsaPublicKey {
        &self.key
    }
}

impl fmt::Debug for WechatPayPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WechatPayPublicKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// A WeChat Pay platform certificate (X.509): its serial, public key and validity.
#[derive(Clone, PartialEq, Eq)]
pub struct PlatformCertificate {
    serial: String,
    key: RsaPublicKey,
    not_before: SystemTime,
    not_after: SystemTime,
}

impl PlatformCertificate {
    /// Reads a `CERTIFICATE` PEM.
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        const EXPECTED: &str = "`CERTIFICATE` (X.509)";
        let pem = pem.trim();
        require_label(pem, "CERTIFICATE", EXPECTED)?;
        let cert = Certificate::from_pem(pem).map_err(|e| parse_error("certificate", e))?;
        let tbs = &cert.tbs_certificate;
        let serial_bytes = tbs.serial_number.as_bytes();
        let first = serial_bytes
            .iter()
            .position(|b| *b != 0)
            .unwrap_or(serial_bytes.len().saturating_sub(1));
        let serial = hex::encode_upper(&serial_bytes[first..]);
        let spki = tbs
            .subject_public_key_info
            .to_der()
            .map_err(|e| parse_error("certificate public key", e))?;
        let key = RsaPublicKey::from_public_key_der(&spki)
            .map_err(|e| parse_error("certificate public key", e))?;
        check_size(key.size() * 8)?;
        Ok(PlatformCertificate {
            serial,
            key,
            not_before: tbs.validity.not_before.to_system_time(),
            not_after: tbs.validity.not_after.to_system_time(),
        })
    }

    /// The serial number, uppercase hex (what `Wechatpay-Serial` carries).
    pub fn serial(&self) -> &str {
        &self.serial
    }

    /// The RSA public key.
    pub fn key(&self) -> &RsaPublicKey {
        &self.key
    }

    /// Start of validity.
    pub fn not_before(&self) -> SystemTime {
        self.not_before
    }

    /// End of validity.
    pub fn not_after(&self) -> SystemTime {
        self.not_after
    }

    /// Whether `at` lies within the validity period.
    pub fn is_valid_at(&self, at: SystemTime) -> bool {
        self.not_before <= at && at <= self.not_after
    }
}

impl fmt::Debug for PlatformCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = |t: SystemTime| {
            t.duration_since(UNIX_EPOCH)
                .unwrap_or(Duration::ZERO)
                .as_secs()
        };
        f.debug_struct("PlatformCertificate")
            .field("serial", &self.serial)
            .field("not_before_unix", &secs(self.not_before))
            .field("not_after_unix", &secs(self.not_after))
            .finish_non_exhaustive()
    }
}

/// The merchant's APIv3 key (32 ASCII characters): decrypts notification resources and
/// downloaded certificates. `Debug` prints `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiV3Key(Vec<u8>);

impl ApiV3Key {
    /// Wraps a key: 32 bytes (AES-256-GCM). 16 bytes (AES-128-GCM) is accepted only because
    /// the official SDKs' test vectors use such keys; production keys are always 32.
    pub fn new(key: impl AsRef<[u8]>) -> Result<Self, KeyError> {
        let key = key.as_ref();
        match key.len() {
            16 | 32 => Ok(ApiV3Key(key.to_vec())),
            n => Err(KeyError::ApiV3KeyLength(n)),
        }
    }

    /// The key bytes. Do not log them.
    pub fn secret(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for ApiV3Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiV3Key(***)")
    }
}
