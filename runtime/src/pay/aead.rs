//! `AEAD_AES_256_GCM`: decrypting notification resources and downloaded certificates with the
//! APIv3 key. The base64 ciphertext ends with the 16-byte tag; the nonce is 12 bytes.
//!
//! The cipher is picked by key length: AES-256-GCM for the 32-byte production keys, AES-128-GCM
//! for the 16-byte keys of the official SDKs' test vectors.

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes128Gcm, Aes256Gcm, KeyInit, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

/// Why a resource could not be decrypted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AeadError {
    /// The key is neither 16 nor 32 bytes.
    #[error("the key has {0} bytes; 32 (or 16) are required")]
    KeyLength(usize),
    /// The nonce is not 12 bytes.
    #[error("the nonce has {0} bytes; 12 are required")]
    NonceLength(usize),
    /// The ciphertext is not base64.
    #[error("the ciphertext is not base64")]
    Base64,
    /// The tag did not verify: wrong key, nonce or associated data, or tampered data.
    #[error("authentication failed (wrong APIv3 key or tampered data)")]
    Tag,
}

fn check_nonce(nonce: &[u8]) -> Result<&Nonce<aes_gcm::aead::consts::U12>, AeadError> {
    if nonce.len() != 12 {
        return Err(AeadError::NonceLength(nonce.len()));
    }
    Ok(Nonce::from_slice(nonce))
}

/// Decrypts `ciphertext_b64` (ciphertext ‖ tag, base64) with `key`, `nonce` and
/// `associated_data` (all as UTF-8 bytes of the resource's fields).
pub fn decrypt(
    key: &[u8],
    nonce: &[u8],
    associated_data: &[u8],
    ciphertext_b64: &str,
) -> Result<Vec<u8>, AeadError> {
    let nonce = check_nonce(nonce)?;
    let data = BASE64
        .decode(ciphertext_b64.trim())
        .map_err(|_| AeadError::Base64)?;
    let payload = Payload {
        msg: &data,
        aad: associated_data,
    };
    let plain = match key.len() {
        16 => Aes128Gcm::new_from_slice(key)
            .map_err(|_| AeadError::KeyLength(key.len()))?
            .decrypt(nonce, payload),
        32 => Aes256Gcm::new_from_slice(key)
            .map_err(|_| AeadError::KeyLength(key.len()))?
            .decrypt(nonce, payload),
        n => return Err(AeadError::KeyLength(n)),
    };
    plain.map_err(|_| AeadError::Tag)
}

/// Encrypts `plaintext` the way WeChat Pay does (for mock servers and tests): base64 of
/// ciphertext ‖ tag. Deterministic for a given nonce; never reuse a nonce with one key.
pub fn encrypt(
    key: &[u8],
    nonce: &[u8],
    associated_data: &[u8],
    plaintext: &[u8],
) -> Result<String, AeadError> {
    let nonce = check_nonce(nonce)?;
    let payload = Payload {
        msg: plaintext,
        aad: associated_data,
    };
    let sealed = match key.len() {
        16 => Aes128Gcm::new_from_slice(key)
            .map_err(|_| AeadError::KeyLength(key.len()))?
            .encrypt(nonce, payload),
        32 => Aes256Gcm::new_from_slice(key)
            .map_err(|_| AeadError::KeyLength(key.len()))?
            .encrypt(nonce, payload),
        n => return Err(AeadError::KeyLength(n)),
    };
    sealed
        .map(|bytes| BASE64.encode(bytes))
        .map_err(|_| AeadError::Tag)
}
