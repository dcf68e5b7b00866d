//! WXBizMsgCrypt: the AES scheme of encrypted pushes and replies (Official Accounts, Mini
//! Programs, the open platform and WeCom).
//!
//! - Key: `AESKey = Base64_Decode(EncodingAESKey + "=")` (32 bytes); the IV is its first 16 bytes.
//! - Plaintext: `random(16) || u32_be(msg.len()) || msg || receive_id`, PKCS#7-padded to a
//!   multiple of **32**, then AES-256-CBC without further padding, then standard base64.
//! - `msg_signature = sha1_hex(sort([token, timestamp, nonce, encrypt]))`
//!   ([`signature::sorted_sha1_hex`]).
//!
//! Verify the signature ([`MsgCrypt::verify_msg_signature`]) before decrypting anything.
//!
//! ```
//! use weixin_runtime::push::crypto::MsgCrypt;
//!
//! # fn main() -> Result<(), weixin_runtime::push::crypto::CryptoError> {
//! let crypt = MsgCrypt::new("token", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wx2c2769f8efd9abc2")?;
//! let encrypt = crypt.encrypt(b"<xml>hello</xml>");
//! let signature = crypt.msg_signature("1409735669", "1320562132", &encrypt);
//! crypt.verify_msg_signature(&signature, "1409735669", "1320562132", &encrypt)?;
//! assert_eq!(crypt.decrypt(&encrypt)?, b"<xml>hello</xml>");
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::str::FromStr;

use aes::Aes256;
use aes::cipher::inout::InOutBuf;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, InnerIvInit, KeyInit};
use base64::Engine;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use rand::Rng;
use rand::distr::Alphanumeric;

use super::signature;

/// Length of an `EncodingAESKey` in characters.
const KEY_CHARS: usize = 43;
/// Length of the AES-256 key in bytes.
const KEY_BYTES: usize = 32;
/// Length of the random prefix of the plaintext.
const RANDOM_LEN: usize = 16;
/// Offset of `msg` in the plaintext: the random prefix plus the 4-byte length.
const MSG_OFFSET: usize = RANDOM_LEN + 4;
/// PKCS#7 block size of the scheme (not the AES block size).
const PAD_BLOCK: usize = 32;
/// AES block size.
const AES_BLOCK: usize = 16;
/// Bytes of markup in the XML reply envelope, with room to spare.
const ENVELOPE_XML_OVERHEAD: usize = 160;
/// Length of a hex SHA-1 signature.
const HEX_SIGNATURE_LEN: usize = 40;

/// Decodes the 43 characters of an `EncodingAESKey` with the low bits of the last character
/// ignored: most real keys are non-canonical base64.
const KEY_ENGINE: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone),
);

type CbcEncryptor = cbc::Encryptor<Aes256>;
type CbcDecryptor = cbc::Decryptor<Aes256>;

/// Why a push could not be verified, decrypted or keyed.
///
/// [`code`](Self::code) gives the matching error code of Tencent's sample libraries (-4000x).
/// No variant ever contains key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// The `EncodingAESKey` is not 43 characters of `[A-Za-z0-9]`.
    #[error("invalid EncodingAESKey: {0}")]
    InvalidKey(&'static str),
    /// The recomputed `msg_signature` differs from the one received.
    #[error("msg_signature does not match the message")]
    SignatureMismatch,
    /// The encrypted text is not valid standard base64.
    #[error("encrypted text is not valid base64")]
    Base64,
    /// The ciphertext is empty or not a whole number of 16-byte AES blocks.
    #[error("ciphertext of {len} bytes is not a non-empty multiple of 16")]
    CiphertextLength {
        /// Length of the decoded ciphertext in bytes.
        len: usize,
    },
    /// The PKCS#7 padding (block size 32) is invalid: the last byte is outside `1..=32`, longer
    /// than the plaintext, or not repeated.
    #[error("invalid PKCS#7 padding (last byte {pad}; must be 1..=32 and repeated)")]
    Padding {
        /// The last byte of the decrypted plaintext.
        pad: u8,
    },
    /// The plaintext is shorter than its header plus the message length it declares.
    #[error("decrypted plaintext is truncated: needs {needed} bytes, has {available}")]
    Truncated {
        /// Bytes the header (and declared message length) requires.
        needed: usize,
        /// Bytes actually present after removing the padding.
        available: usize,
    },
    /// The receive id after the message is not one of the accepted ones.
    #[error("receive id mismatch: found {found:?}, expected one of {expected:?}")]
    ReceiveIdMismatch {
        /// The accepted receive ids.
        expected: Vec<String>,
        /// The receive id found in the plaintext (lossily decoded as UTF-8).
        found: String,
    },
    /// A decrypted text that must be a string (a WeCom `echostr`) is not valid UTF-8.
    #[error("decrypted text is not valid UTF-8")]
    NotUtf8,
}

impl CryptoError {
    /// The error code Tencent's WXBizMsgCrypt samples use for this failure:
    /// -40001 signature, -40004 key, -40005 receive id, -40007 decrypt, -40008 buffer,
    /// -40010 base64.
    pub fn code(&self) -> i32 {
        match self {
            Self::SignatureMismatch => -40001,
            Self::InvalidKey(_) => -40004,
            Self::ReceiveIdMismatch { .. } => -40005,
            Self::CiphertextLength { .. } | Self::Padding { .. } => -40007,
            Self::Truncated { .. } | Self::NotUtf8 => -40008,
            Self::Base64 => -40010,
        }
    }
}

/// A parsed `EncodingAESKey`: the 32-byte AES-256 key. `Debug` prints `EncodingAesKey(***)`.
#[derive(Clone, PartialEq, Eq)]
pub struct EncodingAesKey([u8; KEY_BYTES]);

impl EncodingAesKey {
    /// Parses the 43-character key shown in the WeChat or WeCom console.
    ///
    /// Exactly 43 characters of `[A-Za-z0-9]` are accepted; the unused low bits of the last
    /// character are ignored, as WeChat does.
    pub fn parse(key: &str) -> Result<Self, CryptoError> {
        if key.len() != KEY_CHARS {
            return Err(CryptoError::InvalidKey("must be exactly 43 characters"));
        }
        if !key.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(CryptoError::InvalidKey(
                "must contain only the characters A-Z, a-z and 0-9",
            ));
        }
        let mut bytes = [0u8; KEY_BYTES + 1];
        match KEY_ENGINE.decode_slice(key, &mut bytes) {
            Ok(KEY_BYTES) => {
                let mut key = [0u8; KEY_BYTES];
                key.copy_from_slice(&bytes[..KEY_BYTES]);
                Ok(Self(key))
            }
            _ => Err(CryptoError::InvalidKey("does not decode to 32 bytes")),
        }
    }
}

impl FromStr for EncodingAesKey {
    type Err = CryptoError;

    fn from_str(key: &str) -> Result<Self, Self::Err> {
        Self::parse(key)
    }
}

impl fmt::Debug for EncodingAesKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EncodingAesKey(***)")
    }
}

/// A decrypted message together with the receive id found after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decrypted {
    /// The message bytes (XML, or JSON for JSON-format pushes), exactly as sent.
    pub msg: Vec<u8>,
    /// The receive id (AppID, component AppID, CorpID or SuiteID), lossily decoded as UTF-8.
    pub receive_id: String,
}

/// Signs, verifies, encrypts and decrypts pushes for one account.
///
/// `receive_id` is the AppID (Official Account, Mini Program), the third-party platform's
/// component AppID (open platform), the CorpID (WeCom self-built app) or the SuiteID (WeCom
/// suite instructions); personal-entity WeCom third-party apps use `""`. Decryption accepts it and
/// any id added with [`also_accept`](Self::also_accept); encryption always uses it.
///
/// `Debug` hides the token and the key.
#[derive(Clone)]
pub struct MsgCrypt {
    token: String,
    cipher: Aes256,
    iv: [u8; AES_BLOCK],
    /// The receive ids accepted when decrypting; the first is used when encrypting.
    receive_ids: Vec<String>,
}

impl MsgCrypt {
    /// Creates a codec from the push token, the 43-character `EncodingAESKey` and the receive id.
    pub fn new(
        token: impl Into<String>,
        key: &str,
        receive_id: impl Into<String>,
    ) -> Result<Self, CryptoError> {
        let key = EncodingAesKey::parse(key)?;
        let mut iv = [0u8; AES_BLOCK];
        iv.copy_from_slice(&key.0[..AES_BLOCK]);
        Ok(Self {
            token: token.into(),
            cipher: Aes256::new(&key.0.into()),
            iv,
            receive_ids: vec![receive_id.into()],
        })
    }

    /// Also accepts `receive_id` when decrypting (e.g. both a WeCom SuiteID and the CorpIDs of
    /// authorizing corps).
    #[must_use]
    pub fn also_accept(mut self, receive_id: impl Into<String>) -> Self {
        self.receive_ids.push(receive_id.into());
        self
    }

    /// The push token.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// The receive id written into encrypted replies.
    pub fn receive_id(&self) -> &str {
        &self.receive_ids[0]
    }

    /// Computes `msg_signature` over the token, `timestamp`, `nonce` and the base64 `encrypt`.
    pub fn msg_signature(&self, timestamp: &str, nonce: &str, encrypt: &str) -> String {
        signature::sorted_sha1_hex(&[&self.token, timestamp, nonce, encrypt])
    }

    /// Checks a received `msg_signature` in constant time.
    ///
    /// `encrypt` is the base64 text exactly as received (the `<Encrypt>` element, the JSON
    /// `encrypt` field, or the URL-decoded WeCom `echostr`).
    pub fn verify_msg_signature(
        &self,
        msg_signature: &str,
        timestamp: &str,
        nonce: &str,
        encrypt: &str,
    ) -> Result<(), CryptoError> {
        if signature::verify(msg_signature, &[&self.token, timestamp, nonce, encrypt]) {
            Ok(())
        } else {
            Err(CryptoError::SignatureMismatch)
        }
    }

    /// Decrypts `encrypt_b64` and checks that its receive id is accepted; returns the message.
    ///
    /// Call [`verify_msg_signature`](Self::verify_msg_signature) first.
    pub fn decrypt(&self, encrypt_b64: &str) -> Result<Vec<u8>, CryptoError> {
        let opened = self.open(encrypt_b64)?;
        let found = opened.receive_id();
        if !self.receive_ids.iter().any(|id| id.as_bytes() == found) {
            return Err(CryptoError::ReceiveIdMismatch {
                expected: self.receive_ids.clone(),
                found: String::from_utf8_lossy(found).into_owned(),
            });
        }
        Ok(opened.into_msg())
    }

    /// Decrypts `encrypt_b64` without checking the receive id, returning it alongside the
    /// message (for routing by receive id).
    pub fn decrypt_unchecked(&self, encrypt_b64: &str) -> Result<Decrypted, CryptoError> {
        let opened = self.open(encrypt_b64)?;
        let receive_id = String::from_utf8_lossy(opened.receive_id()).into_owned();
        Ok(Decrypted {
            msg: opened.into_msg(),
            receive_id,
        })
    }

    /// WeCom URL verification: checks `msg_signature` over the encrypted `echostr`, decrypts it and
    /// returns the plaintext to answer with (as is: no quotes or newline).
    ///
    /// Pass the URL-decoded query values; `echostr` contains `+`, `/` and `=`.
    pub fn verify_echostr(
        &self,
        msg_signature: &str,
        timestamp: &str,
        nonce: &str,
        echostr: &str,
    ) -> Result<String, CryptoError> {
        self.verify_msg_signature(msg_signature, timestamp, nonce, echostr)?;
        String::from_utf8(self.decrypt(echostr)?).map_err(|_| CryptoError::NotUtf8)
    }

    /// Encrypts `msg` with a fresh random prefix (16 alphanumeric characters) and returns the
    /// base64 text.
    ///
    /// # Panics
    ///
    /// If `msg` is 4 GiB or longer: the format stores its length in 32 bits.
    pub fn encrypt(&self, msg: &[u8]) -> String {
        self.encrypt_with_random(&Self::random_prefix(), msg)
    }

    /// Encrypts `msg` with the given random prefix; deterministic, for tests and vectors.
    ///
    /// # Panics
    ///
    /// If `msg` is 4 GiB or longer: the format stores its length in 32 bits.
    pub fn encrypt_with_random(&self, random: &[u8; RANDOM_LEN], msg: &[u8]) -> String {
        STANDARD.encode(self.cipher_text(random, msg))
    }

    /// The AES-CBC ciphertext of `random || len || msg || receive_id`, padded.
    ///
    /// # Panics
    ///
    /// If `msg` is 4 GiB or longer: the format stores its length in 32 bits.
    fn cipher_text(&self, random: &[u8; RANDOM_LEN], msg: &[u8]) -> Vec<u8> {
        let msg_len =
            u32::try_from(msg.len()).expect("WXBizMsgCrypt messages are limited to u32::MAX bytes");
        let receive_id = self.receive_id().as_bytes();
        let unpadded = MSG_OFFSET + msg.len() + receive_id.len();
        let pad = PAD_BLOCK - unpadded % PAD_BLOCK;
        let mut buf = Vec::with_capacity(unpadded + pad);
        buf.extend_from_slice(random);
        buf.extend_from_slice(&msg_len.to_be_bytes());
        buf.extend_from_slice(msg);
        buf.extend_from_slice(receive_id);
        // `pad` is in 1..=32, so it fits a byte.
        buf.resize(unpadded + pad, pad as u8);

        let (blocks, _empty_tail) = InOutBuf::from(buf.as_mut_slice()).into_chunks();
        CbcEncryptor::inner_iv_init(self.cipher.clone(), &self.iv.into())
            .encrypt_blocks_inout_mut(blocks);
        buf
    }

    /// A fresh random prefix: 16 alphanumeric characters.
    fn random_prefix() -> [u8; RANDOM_LEN] {
        let mut rng = rand::rng();
        std::array::from_fn(|_| rng.sample(Alphanumeric))
    }

    /// Encrypts a passive reply and wraps it in the signed XML envelope WeChat expects
    /// (see [`envelope_xml`]).
    ///
    /// `timestamp` is yours (unix seconds); `nonce` may echo the request's. Replies of `success`
    /// or an empty body need no encryption.
    ///
    /// # Panics
    ///
    /// If `reply_xml` is 4 GiB or longer.
    pub fn seal_xml(&self, reply_xml: &str, timestamp: &str, nonce: &str) -> String {
        let cipher_text = self.cipher_text(&Self::random_prefix(), reply_xml.as_bytes());
        let encrypt_len = cipher_text.len().div_ceil(3) * 4;
        let mut out = String::with_capacity(
            ENVELOPE_XML_OVERHEAD + encrypt_len + HEX_SIGNATURE_LEN + timestamp.len() + nonce.len(),
        );
        // Base64 never holds `]]>`, so it goes into the CDATA section as it is (as
        // `envelope_xml` would write it); the signature is computed over it in place.
        out.push_str("<xml>\n<Encrypt><![CDATA[");
        let start = out.len();
        STANDARD.encode_string(&cipher_text, &mut out);
        let signature =
            signature::sorted_sha1_hex_bytes(&[&self.token, timestamp, nonce, &out[start..]]);
        out.push_str("]]>");
        let signature = std::str::from_utf8(&signature).unwrap_or_default();
        push_envelope_rest(&mut out, signature, timestamp, nonce);
        out
    }

    /// Encrypts a WeCom JSON-format reply and wraps it as
    /// `{"encrypt":…,"msgsignature":…,"timestamp":…,"nonce":…}`.
    ///
    /// # Panics
    ///
    /// If `reply_json` is 4 GiB or longer.
    pub fn seal_json(&self, reply_json: &str, timestamp: &str, nonce: &str) -> String {
        let encrypt = self.encrypt(reply_json.as_bytes());
        let msgsignature = self.msg_signature(timestamp, nonce, &encrypt);
        envelope_json(&encrypt, &msgsignature, timestamp, nonce)
    }

    /// Base64-decodes, decrypts in place, and checks the padding and the length header.
    fn open(&self, encrypt_b64: &str) -> Result<Opened, CryptoError> {
        let mut buf = STANDARD
            .decode(encrypt_b64)
            .map_err(|_| CryptoError::Base64)?;
        let len = buf.len();
        if len == 0 || len % AES_BLOCK != 0 {
            return Err(CryptoError::CiphertextLength { len });
        }
        let (blocks, _empty_tail) = InOutBuf::from(buf.as_mut_slice()).into_chunks();
        CbcDecryptor::inner_iv_init(self.cipher.clone(), &self.iv.into())
            .decrypt_blocks_inout_mut(blocks);

        let pad = buf[len - 1];
        let pad_len = usize::from(pad);
        if !(1..=PAD_BLOCK).contains(&pad_len)
            || pad_len > len
            || buf[len - pad_len..].iter().any(|&b| b != pad)
        {
            return Err(CryptoError::Padding { pad });
        }
        let content_end = len - pad_len;
        if content_end < MSG_OFFSET {
            return Err(CryptoError::Truncated {
                needed: MSG_OFFSET,
                available: content_end,
            });
        }
        let header = [
            buf[RANDOM_LEN],
            buf[RANDOM_LEN + 1],
            buf[RANDOM_LEN + 2],
            buf[RANDOM_LEN + 3],
        ];
        let msg_len = u32::from_be_bytes(header);
        let msg_end = usize::try_from(msg_len)
            .ok()
            .and_then(|n| n.checked_add(MSG_OFFSET))
            .unwrap_or(usize::MAX);
        if msg_end > content_end {
            return Err(CryptoError::Truncated {
                needed: msg_end,
                available: content_end,
            });
        }
        buf.truncate(content_end);
        Ok(Opened { buf, msg_end })
    }
}

impl fmt::Debug for MsgCrypt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MsgCrypt")
            .field("token", &"***")
            .field("key", &"***")
            .field("receive_ids", &self.receive_ids)
            .finish()
    }
}

/// A decrypted, unpadded plaintext: `random || len || msg || receive_id`.
struct Opened {
    buf: Vec<u8>,
    msg_end: usize,
}

impl Opened {
    /// The bytes after the message.
    fn receive_id(&self) -> &[u8] {
        &self.buf[self.msg_end..]
    }

    /// The message, moved to the front of the buffer (no new allocation).
    fn into_msg(mut self) -> Vec<u8> {
        self.buf.truncate(self.msg_end);
        self.buf.drain(..MSG_OFFSET);
        self.buf
    }
}

/// Builds the encrypted-reply XML envelope, byte for byte as Tencent's samples do:
///
/// ```text
/// <xml>
/// <Encrypt><![CDATA[{encrypt}]]></Encrypt>
/// <MsgSignature><![CDATA[{msg_signature}]]></MsgSignature>
/// <TimeStamp>{timestamp}</TimeStamp>
/// <Nonce><![CDATA[{nonce}]]></Nonce>
/// </xml>
/// ```
///
/// Values are expected to be plain tokens; should one contain `]]>` (in CDATA) or `&`, `<`, `>`
/// (the timestamp), it is escaped so the document stays well-formed.
pub fn envelope_xml(encrypt: &str, msg_signature: &str, timestamp: &str, nonce: &str) -> String {
    let mut out = String::with_capacity(
        ENVELOPE_XML_OVERHEAD + encrypt.len() + msg_signature.len() + timestamp.len() + nonce.len(),
    );
    out.push_str("<xml>\n<Encrypt>");
    push_cdata(&mut out, encrypt);
    push_envelope_rest(&mut out, msg_signature, timestamp, nonce);
    out
}

/// The envelope after the encrypted text: closes `<Encrypt>`, then the signature, timestamp and
/// nonce, and the root.
fn push_envelope_rest(out: &mut String, msg_signature: &str, timestamp: &str, nonce: &str) {
    out.push_str("</Encrypt>\n<MsgSignature>");
    push_cdata(out, msg_signature);
    out.push_str("</MsgSignature>\n<TimeStamp>");
    push_text(out, timestamp);
    out.push_str("</TimeStamp>\n<Nonce>");
    push_cdata(out, nonce);
    out.push_str("</Nonce>\n</xml>");
}

/// Appends `value` as a CDATA section, splitting it around any `]]>`.
fn push_cdata(out: &mut String, value: &str) {
    out.push_str("<![CDATA[");
    if value.contains("]]>") {
        out.push_str(&value.replace("]]>", "]]]]><![CDATA[>"));
    } else {
        out.push_str(value);
    }
    out.push_str("]]>");
}

/// Appends `value` as XML character data.
fn push_text(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
}

/// Serialises the WeCom JSON reply envelope, in the samples' field order.
fn envelope_json(encrypt: &str, msgsignature: &str, timestamp: &str, nonce: &str) -> String {
    use serde_json::Value;
    format!(
        "{{\"encrypt\":{},\"msgsignature\":{},\"timestamp\":{},\"nonce\":{}}}",
        Value::from(encrypt),
        Value::from(msgsignature),
        Value::from(timestamp),
        Value::from(nonce),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text of `<name><![CDATA[…]]></name>` in `xml`.
    fn cdata<'a>(xml: &'a str, name: &str) -> &'a str {
        let open = format!("<{name}><![CDATA[");
        let start = xml.find(&open).expect("element") + open.len();
        let end = start + xml[start..].find("]]>").expect("end");
        &xml[start..end]
    }

    #[test]
    fn seal_xml_writes_what_envelope_xml_would() {
        let crypt = MsgCrypt::new(
            "token",
            "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
            "wx1",
        )
        .expect("crypt");
        for (timestamp, nonce) in [("1409735669", "1320562132"), ("1<2&3", "a]]>b")] {
            let sealed = crypt.seal_xml("<xml>hi</xml>", timestamp, nonce);
            let encrypt = cdata(&sealed, "Encrypt");
            let signature = crypt.msg_signature(timestamp, nonce, encrypt);
            assert_eq!(sealed, envelope_xml(encrypt, &signature, timestamp, nonce));
            assert_eq!(crypt.decrypt(encrypt).expect("decrypts"), b"<xml>hi</xml>");
        }
    }
}
