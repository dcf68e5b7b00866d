//! The sorted-concatenation SHA-1 signature used by WeChat pushes.
//!
//! WeChat signs a push by sorting a few strings byte-wise, concatenating them with no separator
//! and taking the lowercase hex SHA-1 of the result: `signature` over `[token, timestamp, nonce]`
//! when a server URL is verified, and `msg_signature` over
//! `[token, timestamp, nonce, encrypt]` for encrypted messages (see
//! [`MsgCrypt`](super::crypto::MsgCrypt)).

use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;

/// Parts sorted on the stack up to this count; more fall back to the heap.
const INLINE_PARTS: usize = 8;

/// Length of a SHA-1 digest in lowercase hex.
const HEX_LEN: usize = 40;

/// Lowercase hex digits, indexed by nibble.
const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Sorts `parts` byte-wise, concatenates them, and returns the SHA-1 of that as 40 lowercase hex
/// digits.
///
/// ```
/// use weixin_runtime::push::signature::sorted_sha1_hex;
///
/// let signature = sorted_sha1_hex(&["test", "1410685589", "test"]);
/// assert_eq!(signature, "f21891de399b4e33a1a93c9a7b8a8fffb5a443ff");
/// ```
pub fn sorted_sha1_hex(parts: &[&str]) -> String {
    let hex = sorted_sha1_hex_bytes(parts);
    hex.iter().map(|&b| char::from(b)).collect()
}

/// Recomputes the signature over `parts` and compares it with `expected_hex_from_wechat` in
/// constant time.
///
/// WeChat sends 40 lowercase hex digits; anything else (another length, uppercase) is simply
/// `false`.
///
/// ```
/// use weixin_runtime::push::signature::verify;
///
/// let parts = ["AAAAA", "1715943329", "1590219412"];
/// assert!(verify("cc0c594499c1634947d5b502f158ee518947db27", &parts));
/// assert!(!verify("CC0C594499C1634947D5B502F158EE518947DB27", &parts));
/// ```
pub fn verify(expected_hex_from_wechat: &str, parts: &[&str]) -> bool {
    let expected = expected_hex_from_wechat.as_bytes();
    if expected.len() != HEX_LEN {
        return false;
    }
    let actual = sorted_sha1_hex_bytes(parts);
    actual.ct_eq(expected).into()
}

/// The signature as lowercase hex ASCII bytes, without allocating.
pub(crate) fn sorted_sha1_hex_bytes(parts: &[&str]) -> [u8; HEX_LEN] {
    let digest = if parts.len() <= INLINE_PARTS {
        let mut sorted = [""; INLINE_PARTS];
        let sorted = &mut sorted[..parts.len()];
        sorted.copy_from_slice(parts);
        digest_sorted(sorted)
    } else {
        digest_sorted(&mut parts.to_vec())
    };
    let mut hex = [0u8; HEX_LEN];
    for (pair, byte) in hex.chunks_exact_mut(2).zip(digest) {
        pair[0] = HEX_DIGITS[usize::from(byte >> 4)];
        pair[1] = HEX_DIGITS[usize::from(byte & 0x0f)];
    }
    hex
}

/// Sorts `parts` in place (byte-wise, as `str` ordering is) and hashes their concatenation.
fn digest_sorted(parts: &mut [&str]) -> [u8; 20] {
    parts.sort_unstable();
    let mut hasher = Sha1::new();
    for part in parts.iter() {
        hasher.update(part.as_bytes());
    }
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_byte_wise_not_by_length() {
        let unsorted = sorted_sha1_hex(&["b", "a", "ab"]);
        let concatenated = hex::encode(Sha1::digest(b"aabb"));
        assert_eq!(unsorted, concatenated);
    }

    #[test]
    fn more_parts_than_the_inline_buffer() {
        let parts: Vec<String> = (0..20).rev().map(|i| format!("{i:02}")).collect();
        let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
        let joined: String = (0..20).map(|i| format!("{i:02}")).collect();
        assert_eq!(sorted_sha1_hex(&refs), hex::encode(Sha1::digest(joined)));
    }

    #[test]
    fn verify_rejects_wrong_length_and_case() {
        let good = sorted_sha1_hex(&["x", "y"]);
        assert!(verify(&good, &["y", "x"]));
        assert!(!verify(&good[..39], &["x", "y"]));
        assert!(!verify(&format!("{good}0"), &["x", "y"]));
        assert!(!verify("", &["x", "y"]));
        let parts = ["test", "1410685589", "test"];
        assert!(verify("f21891de399b4e33a1a93c9a7b8a8fffb5a443ff", &parts));
        assert!(!verify("F21891DE399B4E33A1A93C9A7B8A8FFFB5A443FF", &parts));
    }
}
