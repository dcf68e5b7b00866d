//! Fuzzes WXBizMsgCrypt decryption and push signatures: no input may panic.
//!
//! Each input is used three ways:
//! 1. as the base64 `Encrypt` text (and, split at the first newline, as a `msg_signature` plus
//!    the text it signs), and as an `EncodingAESKey`;
//! 2. as a raw *plaintext*, encrypted under the all-zero key without the scheme's padding, so the
//!    padding, length header and receive-id checks see arbitrary decrypted bytes;
//! 3. as a message that must survive an encrypt/decrypt round trip unchanged.

#![no_main]

use std::sync::LazyLock;

use aes::Aes256;
use aes::cipher::generic_array::GenericArray;
use aes::cipher::{BlockEncryptMut, KeyIvInit};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use libfuzzer_sys::fuzz_target;
use weixin_runtime::push::crypto::{EncodingAesKey, MsgCrypt};
use weixin_runtime::push::signature;

/// 43 × 'A' decodes to 32 zero bytes: the key of the open-platform documentation example.
const ZERO_KEY: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
const RECEIVE_ID: &str = "wx134c8103faa5a59e";
const TIMESTAMP: &str = "1715943329";
const NONCE: &str = "1590219412";

static CRYPT: LazyLock<MsgCrypt> = LazyLock::new(|| {
    MsgCrypt::new("AAAAA", ZERO_KEY, RECEIVE_ID)
        .expect("the fixed key is valid")
        .also_accept("")
});

/// AES-256-CBC under the zero key and IV, after zero-filling `plaintext` to whole blocks.
fn raw_encrypt(plaintext: &[u8]) -> String {
    let mut buf = plaintext.to_vec();
    buf.resize(plaintext.len().div_ceil(16) * 16, 0);
    let mut enc = cbc::Encryptor::<Aes256>::new(&[0u8; 32].into(), &[0u8; 16].into());
    for block in buf.chunks_exact_mut(16) {
        enc.encrypt_block_mut(GenericArray::from_mut_slice(block));
    }
    STANDARD.encode(buf)
}

fuzz_target!(|data: &[u8]| {
    let crypt = &*CRYPT;

    // 1. Arbitrary text as ciphertext, signature and key.
    let text = String::from_utf8_lossy(data);
    let _ = crypt.decrypt(&text);
    let _ = crypt.decrypt_unchecked(&text);
    let _ = EncodingAesKey::parse(&text);
    let (sig, encrypt) = text.split_once('\n').unwrap_or((&text, ""));
    let _ = crypt.verify_msg_signature(sig, TIMESTAMP, NONCE, encrypt);
    let _ = crypt.verify_echostr(sig, TIMESTAMP, NONCE, encrypt);
    let _ = signature::verify(sig, &[encrypt, sig, TIMESTAMP]);

    // 2. Arbitrary bytes as the decrypted plaintext.
    let sealed = raw_encrypt(data);
    if let Ok(msg) = crypt.decrypt(&sealed) {
        assert!(
            msg.len() + 20 <= data.len(),
            "message longer than its plaintext"
        );
    }
    let _ = crypt.decrypt_unchecked(&sealed);

    // 3. Arbitrary bytes as a message: the round trip is exact and the signature verifies.
    let encrypt = crypt.encrypt_with_random(b"0123456789abcdef", data);
    let msg_signature = crypt.msg_signature(TIMESTAMP, NONCE, &encrypt);
    assert!(
        crypt
            .verify_msg_signature(&msg_signature, TIMESTAMP, NONCE, &encrypt)
            .is_ok()
    );
    assert_eq!(crypt.decrypt(&encrypt).ok().as_deref(), Some(data));
});
