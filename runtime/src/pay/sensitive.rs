//! Sensitive fields (names, ID numbers, phone numbers): RSA-OAEP with SHA-1 and MGF1-SHA1 and
//! an empty label, base64. Requests encrypt to WeChat Pay's key and send its serial as
//! `Wechatpay-Serial`; responses carry fields encrypted to the merchant key.

use std::time::SystemTime;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rsa::Oaep;
use rsa::rand_core::OsRng;

use super::keys::MerchantKey;
use super::verify::Verifier;

/// The longest plaintext a 2048-bit key can encrypt with OAEP-SHA1 (256 − 2·20 − 2).
pub const MAX_PLAINTEXT: usize = 214;

/// A field encrypted for WeChat Pay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncryptedField {
    /// The base64 ciphertext to put in the request.
    pub ciphertext: String,
    /// The serial (`PUB_KEY_ID_…` or a certificate serial) to send as `Wechatpay-Serial`.
    pub serial: String,
}

/// Why a sensitive field could not be encrypted or decrypted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SensitiveError {
    /// No WeChat Pay public key and no currently valid platform certificate is known.
    #[error("no WeChat Pay public key or valid platform certificate to encrypt with")]
    NoKey,
    /// The plaintext is longer than OAEP allows.
    #[error("the plaintext has {0} bytes; at most 214 can be encrypted")]
    TooLong(usize),
    /// The ciphertext is not base64.
    #[error("the ciphertext is not base64")]
    Base64,
    /// RSA encryption or decryption failed (wrong key, corrupted ciphertext).
    #[error("RSA-OAEP failed")]
    Rsa,
    /// The plaintext is not UTF-8.
    #[error("the plaintext is not UTF-8")]
    Utf8,
}

/// Encrypts `plaintext` with the verifier's current encryption key (the WeChat Pay public key
/// if configured, else the newest valid certificate).
pub fn encrypt(verifier: &Verifier, plaintext: &str) -> Result<EncryptedField, SensitiveError> {
    if plaintext.len() > MAX_PLAINTEXT {
        return Err(SensitiveError::TooLong(plaintext.len()));
    }
    let (serial, key) = verifier
        .encryption_key(SystemTime::now())
        .ok_or(SensitiveError::NoKey)?;
    let ciphertext = key
        .encrypt(&mut OsRng, Oaep::new::<sha1::Sha1>(), plaintext.as_bytes())
        .map_err(|_| SensitiveError::Rsa)?;
    Ok(EncryptedField {
        ciphertext: BASE64.encode(ciphertext),
        serial: serial.to_owned(),
    })
}

/// Decrypts a sensitive field of a response with the merchant key.
pub fn decrypt(key: &MerchantKey, ciphertext_b64: &str) -> Result<String, SensitiveError> {
    let data = BASE64
        .decode(ciphertext_b64.trim())
        .map_err(|_| SensitiveError::Base64)?;
    let plain = key.decrypt_oaep(&data).map_err(|_| SensitiveError::Rsa)?;
    String::from_utf8(plain).map_err(|_| SensitiveError::Utf8)
}
