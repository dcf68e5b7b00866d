//! Mini Program user data: decrypting `encryptedData` and checking `rawData` signatures.
//!
//! After `wx.login` the server exchanges the login code for the user's `session_key`
//! (`jscode2session`). Open-data APIs in the mini program (`wx.getUserInfo`, the legacy
//! `getPhoneNumber` button, share tickets, WeRun) then hand the page an `encryptedData` and an
//! `iv`, which the server decrypts with that key:
//!
//! - key = `Base64_Decode(session_key)` (16 bytes), iv = `Base64_Decode(iv)` (16 bytes);
//! - AES-128-CBC over `Base64_Decode(encryptedData)`, PKCS#7 padding with a block of 16;
//! - the plaintext is JSON whose `watermark.appid` must be your AppID.
//!
//! A failed decryption or a foreign watermark almost always means the `session_key` is stale: a
//! newer `wx.login` rotated it. Log the user in again and retry with the new key.
//!
//! `rawData` (the plain JSON the page received next to `encryptedData`) is signed as
//! `signature = lower_hex(SHA1(rawData + session_key))`; see [`verify_raw_data`].
//!
//! ```
//! use weixin_runtime::wxa::{SessionKey, UserInfo, decrypt_user_data};
//!
//! # fn main() -> Result<(), weixin_runtime::wxa::WxaCryptoError> {
//! let key = SessionKey::from_base64("tiihtNczf5v6AKRyjwEUhQ==")?;
//! # let encrypted_data = "CiyLU1Aw2KjvrjMdj8YKliAjtP4gsMZMQmRzooG2xrDcvSnxIMXFufNstNGTyaGS9uT5geRa0W4oTOb1WT7fJlAC+oNPdbB+3hVbJSRgv+4lGOETKUQz6OYStslQ142dNCuabNPGBzlooOmB231qMM85d2/fV6ChevvXvQP8Hkue1poOFtnEtpyxVLW1zAo6/1Xx1COxFvrc2d7UL/lmHInNlxuacJXwu0fjpXfz/YqYzBIBzD6WUfTIF9GRHpOn/Hz7saL8xz+W//FRAUid1OksQaQx4CMs8LOddcQhULW4ucetDf96JcR3g0gfRK4PC7E/r7Z6xNrXd2UIeorGj5Ef7b1pJAYB6Y5anaHqZ9J6nKEBvB4DnNLIVWSgARns/8wR2SiRS7MNACwTyrGvt9ts8p12PKFdlqYTopNHR1Vf7XjfhQlVsAJdNiKdYmYVoKlaRv85IfVunYzO0IKXsyl7JCUjCpoG20f0a04COwfneQAGGwd5oa+T8yO5hzuyDb/XcxxmK01EpqOyuxINew==";
//! let user: UserInfo = decrypt_user_data(&key, encrypted_data, "r7BXXKkLb8qrSNn05n0qiA==", "wx4f4bc4dec97d474b")?;
//! assert_eq!(user.nick_name, "Band");
//! # Ok(())
//! # }
//! ```

use std::fmt;

use aes::Aes128;
use aes::cipher::inout::InOutBuf;
use aes::cipher::{BlockDecryptMut, KeyIvInit};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;

/// Length of a session key, of the IV and of an AES block, in bytes.
const BLOCK: usize = 16;

/// Length of a SHA-1 digest in lowercase hex.
const SHA1_HEX_LEN: usize = 40;

/// Hint appended to errors that usually mean the session key is outdated.
const STALE_KEY_HINT: &str =
    "the session_key is probably outdated (a newer wx.login rotated it); log the user in again";

type CbcDecryptor = cbc::Decryptor<Aes128>;

/// Why user data could not be decrypted. No variant contains key material or decrypted data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WxaCryptoError {
    /// The session key is not valid standard base64.
    #[error("session_key is not valid base64")]
    SessionKeyBase64,
    /// The session key does not decode to 16 bytes.
    #[error("session_key decodes to {len} bytes, expected 16")]
    SessionKeyLength {
        /// Decoded length in bytes.
        len: usize,
    },
    /// The `iv` is not valid standard base64.
    #[error("iv is not valid base64 (a '+' turned into ' ' by URL decoding?)")]
    IvBase64,
    /// The `iv` does not decode to 16 bytes.
    #[error("iv decodes to {len} bytes, expected 16")]
    IvLength {
        /// Decoded length in bytes.
        len: usize,
    },
    /// The `encryptedData` is not valid standard base64.
    #[error("encryptedData is not valid base64 (a '+' turned into ' ' by URL decoding?)")]
    DataBase64,
    /// The decoded `encryptedData` is empty or not a whole number of 16-byte blocks.
    #[error("encryptedData of {len} bytes is not a non-empty multiple of 16")]
    CiphertextLength {
        /// Decoded length in bytes.
        len: usize,
    },
    /// The PKCS#7 padding of the plaintext is invalid: wrong key, wrong iv or tampered data.
    #[error("invalid PKCS#7 padding after decryption; {STALE_KEY_HINT}")]
    Padding,
    /// The plaintext is not JSON.
    #[error("decrypted data is not JSON (line {line}, column {column}); {STALE_KEY_HINT}")]
    NotJson {
        /// Line of the first syntax error.
        line: usize,
        /// Column of the first syntax error.
        column: usize,
    },
    /// The plaintext is JSON but does not have the shape of the requested type.
    #[error("decrypted JSON does not match the expected type at `{path}`")]
    Shape {
        /// Path of the offending field, e.g. `watermark.timestamp` (never its value).
        path: String,
    },
    /// The plaintext has no `watermark.appid`.
    #[error("decrypted data has no watermark.appid")]
    MissingWatermark,
    /// `watermark.appid` is not the expected AppID.
    #[error("watermark appid {found:?} is not the expected {expected:?}; {STALE_KEY_HINT}")]
    WatermarkMismatch {
        /// The AppID the caller expected.
        expected: String,
        /// The AppID found in the watermark.
        found: String,
    },
}

/// A user's `session_key` from `jscode2session`: 16 bytes, given as base64.
///
/// `Debug` prints `SessionKey(***)`; there is no `Display`. Never log it, and never send it to
/// the mini program.
#[derive(Clone)]
pub struct SessionKey {
    key: [u8; BLOCK],
    encoded: String,
}

impl SessionKey {
    /// Parses the base64 `session_key` exactly as `jscode2session` returned it.
    pub fn from_base64(session_key: &str) -> Result<Self, WxaCryptoError> {
        let bytes = STANDARD
            .decode(session_key)
            .map_err(|_| WxaCryptoError::SessionKeyBase64)?;
        let key = <[u8; BLOCK]>::try_from(bytes.as_slice())
            .map_err(|_| WxaCryptoError::SessionKeyLength { len: bytes.len() })?;
        Ok(Self {
            key,
            encoded: session_key.to_owned(),
        })
    }

    /// The base64 text of the key, as WeChat issued it. Do not log it.
    pub fn secret(&self) -> &str {
        &self.encoded
    }
}

impl fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionKey(***)")
    }
}

/// The `watermark` WeChat puts into every decrypted plaintext.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct Watermark {
    /// AppID of the mini program the data was encrypted for.
    pub appid: String,
    /// When the data was encrypted, Unix seconds.
    pub timestamp: i64,
}

/// The plaintext of `wx.getUserInfo`'s `encryptedData`.
///
/// Since 2021-04 WeChat returns a grey default avatar, the nickname `微信用户` and `gender` 0
/// unless the user filled in their profile in the mini program.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct UserInfo {
    /// OpenID of the user under this mini program (absent in newer base libraries).
    #[serde(rename = "openId", default, skip_serializing_if = "Option::is_none")]
    pub open_id: Option<String>,
    /// Nickname.
    #[serde(rename = "nickName", default)]
    pub nick_name: String,
    /// 0 unknown, 1 male, 2 female.
    #[serde(default)]
    pub gender: u8,
    /// Language of `city`, `province` and `country`, e.g. `zh_CN`.
    #[serde(default)]
    pub language: String,
    /// City.
    #[serde(default)]
    pub city: String,
    /// Province.
    #[serde(default)]
    pub province: String,
    /// Country.
    #[serde(default)]
    pub country: String,
    /// Avatar URL; the trailing `/0` selects the size (0, 46, 64, 96 or 132 pixels).
    #[serde(rename = "avatarUrl", default)]
    pub avatar_url: String,
    /// UnionID, when the mini program is bound to an Open Platform account.
    #[serde(rename = "unionId", default, skip_serializing_if = "Option::is_none")]
    pub union_id: Option<String>,
    /// Who the data was encrypted for, and when.
    pub watermark: Watermark,
}

/// The plaintext of the legacy `getPhoneNumber` button's `encryptedData`.
///
/// New code should exchange the button's `code` with `getuserphonenumber` instead, which
/// returns the same fields without any decryption.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct PhoneNumber {
    /// Phone number with the country code for numbers outside mainland China, e.g. `13580006666`.
    #[serde(rename = "phoneNumber")]
    pub phone_number: String,
    /// Phone number without the country code.
    #[serde(rename = "purePhoneNumber")]
    pub pure_phone_number: String,
    /// Country calling code, e.g. `86` (WeChat sends a string, sometimes a number).
    #[serde(rename = "countryCode", with = "crate::wire::string_or_int")]
    pub country_code: String,
    /// Who the data was encrypted for, and when.
    pub watermark: Watermark,
}

/// The plaintext of `wx.getShareInfo` / `wx.getGroupEnterInfo`: the chat a card was shared in.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct ShareInfo {
    /// Group ID of the chat, unique per mini program (absent for one-to-one chats).
    #[serde(rename = "openGId", default, skip_serializing_if = "Option::is_none")]
    pub open_gid: Option<String>,
    /// Single-chat ID (`wx.getGroupEnterInfo` in a one-to-one chat).
    #[serde(
        rename = "opensingleid",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub open_single_id: Option<String>,
    /// Who the data was encrypted for, and when.
    pub watermark: Watermark,
}

/// The plaintext of `wx.getWeRunData`: the user's step counts of the last 30 days.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct WeRunData {
    /// One entry per day, oldest first.
    #[serde(rename = "stepInfoList", default)]
    pub step_info_list: Vec<StepInfo>,
    /// Who the data was encrypted for, and when.
    pub watermark: Watermark,
}

/// Steps of one day.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct StepInfo {
    /// Start of the day (00:00, UTC+8), Unix seconds.
    pub timestamp: i64,
    /// Steps that day.
    pub step: i64,
}

/// Decrypts `encryptedData` and decodes it as `T`, after checking that `watermark.appid` is
/// `expected_app_id` (your mini program's AppID).
///
/// `encrypted_data` and `iv` are the base64 strings the page received, byte for byte. Use
/// [`UserInfo`], [`PhoneNumber`], [`ShareInfo`], [`WeRunData`] or your own type, or
/// [`decrypt_user_data_value`] for raw JSON.
pub fn decrypt_user_data<T: DeserializeOwned>(
    session_key: &SessionKey,
    encrypted_data: &str,
    iv: &str,
    expected_app_id: &str,
) -> Result<T, WxaCryptoError> {
    let value = decrypt_user_data_value(session_key, encrypted_data, iv, expected_app_id)?;
    serde_path_to_error::deserialize(value).map_err(|e| WxaCryptoError::Shape {
        path: e.path().to_string(),
    })
}

/// Like [`decrypt_user_data`], returning the plaintext as a JSON value.
pub fn decrypt_user_data_value(
    session_key: &SessionKey,
    encrypted_data: &str,
    iv: &str,
    expected_app_id: &str,
) -> Result<serde_json::Value, WxaCryptoError> {
    let plaintext = decrypt(session_key, encrypted_data, iv)?;
    // The error's message is dropped: it may quote decrypted data.
    let value: serde_json::Value =
        serde_json::from_slice(&plaintext).map_err(|e| WxaCryptoError::NotJson {
            line: e.line(),
            column: e.column(),
        })?;
    let found = value
        .pointer("/watermark/appid")
        .and_then(serde_json::Value::as_str)
        .ok_or(WxaCryptoError::MissingWatermark)?;
    if found != expected_app_id {
        return Err(WxaCryptoError::WatermarkMismatch {
            expected: expected_app_id.to_owned(),
            found: found.to_owned(),
        });
    }
    Ok(value)
}

/// Computes the `rawData` signature: 40 lowercase hex digits of `SHA1(raw_data + session_key)`,
/// where `session_key` is the base64 text.
pub fn raw_data_signature(raw_data: &str, session_key: &SessionKey) -> String {
    hex::encode(raw_data_digest(raw_data, session_key))
}

/// Checks the `signature` the page received with `rawData`, in constant time.
///
/// `raw_data` must be the JSON text exactly as received (not re-serialized). WeChat sends 40
/// lowercase hex digits; anything else is `false`.
pub fn verify_raw_data(raw_data: &str, session_key: &SessionKey, signature: &str) -> bool {
    let expected = signature.as_bytes();
    if expected.len() != SHA1_HEX_LEN {
        return false;
    }
    let mut actual = [0u8; SHA1_HEX_LEN];
    // Cannot fail: the buffer is exactly twice the digest length.
    if hex::encode_to_slice(raw_data_digest(raw_data, session_key), &mut actual).is_err() {
        return false;
    }
    actual.ct_eq(expected).into()
}

fn raw_data_digest(raw_data: &str, session_key: &SessionKey) -> [u8; 20] {
    let mut hasher = Sha1::new();
    hasher.update(raw_data.as_bytes());
    hasher.update(session_key.encoded.as_bytes());
    hasher.finalize().into()
}

/// AES-128-CBC decryption with PKCS#7 (block 16) unpadding.
fn decrypt(
    session_key: &SessionKey,
    encrypted_data: &str,
    iv: &str,
) -> Result<Vec<u8>, WxaCryptoError> {
    let iv = STANDARD.decode(iv).map_err(|_| WxaCryptoError::IvBase64)?;
    let iv = <[u8; BLOCK]>::try_from(iv.as_slice())
        .map_err(|_| WxaCryptoError::IvLength { len: iv.len() })?;
    let mut buf = STANDARD
        .decode(encrypted_data)
        .map_err(|_| WxaCryptoError::DataBase64)?;
    let len = buf.len();
    if len == 0 || len % BLOCK != 0 {
        return Err(WxaCryptoError::CiphertextLength { len });
    }
    let (blocks, _empty_tail) = InOutBuf::from(buf.as_mut_slice()).into_chunks();
    CbcDecryptor::new(&session_key.key.into(), &iv.into()).decrypt_blocks_inout_mut(blocks);

    let pad = buf[len - 1];
    let pad_len = usize::from(pad);
    if !(1..=BLOCK).contains(&pad_len) || buf[len - pad_len..].iter().any(|&b| b != pad) {
        return Err(WxaCryptoError::Padding);
    }
    buf.truncate(len - pad_len);
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_key_debug_is_redacted() {
        let key = SessionKey::from_base64("tiihtNczf5v6AKRyjwEUhQ==").expect("valid key");
        assert_eq!(format!("{key:?}"), "SessionKey(***)");
        assert_eq!(key.secret(), "tiihtNczf5v6AKRyjwEUhQ==");
    }
}
