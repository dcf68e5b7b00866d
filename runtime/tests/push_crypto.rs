//! WXBizMsgCrypt and push signatures against the published vectors in
//! `tests/data/push_vectors.toml`, plus round trips and every class of bad input.

use aes::Aes256;
use aes::cipher::generic_array::GenericArray;
use aes::cipher::{BlockEncryptMut, KeyIvInit};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use weixin_runtime::push::crypto::{CryptoError, EncodingAesKey, MsgCrypt, envelope_xml};
use weixin_runtime::push::signature::{sorted_sha1_hex, verify};

const VECTORS: &str = include_str!("data/push_vectors.toml");

mod vectors;

use vectors::Vector;

impl Vector {
    fn opt_str(&self, key: &str) -> Option<&str> {
        self.table.get(key).and_then(toml::Value::as_str)
    }

    fn crypt(&self) -> MsgCrypt {
        MsgCrypt::new(
            self.str("token"),
            self.str("encoding_aes_key"),
            self.str("receive_id"),
        )
        .unwrap_or_else(|e| panic!("vector {}: {e}", self.name))
    }

    fn random(&self, key: &str) -> [u8; 16] {
        self.str(key)
            .as_bytes()
            .try_into()
            .unwrap_or_else(|_| panic!("vector {}: `{key}` is not 16 bytes", self.name))
    }
}

/// Every push vector of one `kind`; there must be exactly `count`.
fn vectors(kind: &str, count: usize) -> Vec<Vector> {
    vectors::of_kind(VECTORS, "push_vectors.toml", kind, count)
}

const OPLATFORM_KEY: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/// Encrypts raw plaintext bytes (already a multiple of 16) under the all-zero key and IV of
/// [`OPLATFORM_KEY`], bypassing the scheme's own padding, to craft malformed plaintexts.
fn raw_encrypt(plaintext: &[u8]) -> String {
    assert_eq!(plaintext.len() % 16, 0);
    let mut buf = plaintext.to_vec();
    let mut enc = cbc::Encryptor::<Aes256>::new(&[0u8; 32].into(), &[0u8; 16].into());
    for block in buf.chunks_exact_mut(16) {
        enc.encrypt_block_mut(GenericArray::from_mut_slice(block));
    }
    STANDARD.encode(buf)
}

fn zero_key_crypt() -> MsgCrypt {
    MsgCrypt::new("token", OPLATFORM_KEY, "wx134c8103faa5a59e").unwrap()
}

/// `random || u32_be(declared_len) || body`, padded to `total` with `pad_byte`.
fn plaintext(declared_len: u32, body: &[u8], total: usize, pad_byte: u8) -> Vec<u8> {
    let mut p = b"0123456789abcdef".to_vec();
    p.extend_from_slice(&declared_len.to_be_bytes());
    p.extend_from_slice(body);
    assert!(p.len() <= total);
    p.resize(total, pad_byte);
    p
}

// ---------------------------------------------------------------------------------------------
// Vectors

#[test]
fn sorted_sha1_vectors() {
    for v in vectors("sha1_sorted_concat", 3) {
        let parts: Vec<&str> = v.table["parts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap())
            .collect();
        let expected = v.str("expected");
        assert_eq!(sorted_sha1_hex(&parts), expected, "{}", v.name);
        assert!(verify(expected, &parts), "{}", v.name);
        let mut reversed = parts.clone();
        reversed.reverse();
        assert!(
            verify(expected, &reversed),
            "{}: order must not matter",
            v.name
        );
        assert!(
            !verify(&expected.to_uppercase(), &parts),
            "{}: uppercase",
            v.name
        );
        assert!(!verify(&expected[..39], &parts), "{}: short", v.name);
        let mut flipped = expected.to_owned();
        flipped.replace_range(0..1, if expected.starts_with('0') { "1" } else { "0" });
        assert!(!verify(&flipped, &parts), "{}: one digit changed", v.name);
    }
}

#[test]
fn decrypt_vectors() {
    for v in vectors("wxbiz_decrypt", 10) {
        let crypt = v.crypt();
        let (ts, nonce, encrypt) = (v.str("timestamp"), v.str("nonce"), v.str("encrypt"));
        let signature = v.str("msg_signature");
        assert_eq!(
            crypt.msg_signature(ts, nonce, encrypt),
            signature,
            "{}",
            v.name
        );
        crypt
            .verify_msg_signature(signature, ts, nonce, encrypt)
            .unwrap_or_else(|e| panic!("{}: {e}", v.name));

        let expected = v.str("expected_plaintext");
        let msg = crypt
            .decrypt(encrypt)
            .unwrap_or_else(|e| panic!("{}: {e}", v.name));
        assert_eq!(msg, expected.as_bytes(), "{}", v.name);

        let opened = crypt.decrypt_unchecked(encrypt).unwrap();
        assert_eq!(opened.msg, expected.as_bytes(), "{}", v.name);
        assert_eq!(opened.receive_id, v.str("receive_id"), "{}", v.name);

        let echoed = crypt.verify_echostr(signature, ts, nonce, encrypt).unwrap();
        assert_eq!(echoed, expected, "{}", v.name);

        // Re-encrypting with the recovered random prefix gives the exact ciphertext back.
        let random = v.random("expected_random");
        assert_eq!(
            crypt.encrypt_with_random(&random, expected.as_bytes()),
            encrypt,
            "{}",
            v.name
        );
    }
}

#[test]
fn encrypt_vectors() {
    let (mut signed, mut replies) = (0, 0);
    for v in vectors("wxbiz_encrypt", 4) {
        let crypt = v.crypt();
        let plaintext = v.str("plaintext");
        let encrypt = crypt.encrypt_with_random(&v.random("random"), plaintext.as_bytes());
        assert_eq!(encrypt, v.str("expected_encrypt"), "{}", v.name);

        assert_eq!(crypt.decrypt(&encrypt).unwrap(), plaintext.as_bytes());
        // Not every vector carries a signature (the Java sample's second test only encrypts).
        let Some(expected_signature) = v.opt_str("expected_msg_signature") else {
            continue;
        };
        signed += 1;
        let (ts, nonce) = (v.str("timestamp"), v.str("nonce"));
        let signature = crypt.msg_signature(ts, nonce, &encrypt);
        assert_eq!(signature, expected_signature, "{}", v.name);
        if let Some(reply) = v.opt_str("expected_reply_xml") {
            assert_eq!(
                envelope_xml(&encrypt, &signature, ts, nonce),
                reply,
                "{}",
                v.name
            );
            replies += 1;
        }
    }
    assert_eq!(signed, 3, "vectors with a msg_signature");
    assert_eq!(replies, 2, "vectors with a full reply XML");
}

// ---------------------------------------------------------------------------------------------
// Round trips

/// The text between `<{tag}><![CDATA[` and `]]></{tag}>`.
fn cdata<'a>(xml: &'a str, tag: &str) -> &'a str {
    let open = format!("<{tag}><![CDATA[");
    let start = xml.find(&open).unwrap() + open.len();
    let end = start + xml[start..].find("]]>").unwrap();
    &xml[start..end]
}

#[test]
fn round_trip_every_padding_length() {
    for receive_id in ["wx2c2769f8efd9abc2", ""] {
        let crypt = MsgCrypt::new(
            "tok",
            "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
            receive_id,
        )
        .unwrap();
        let mut pads = std::collections::BTreeSet::new();
        for len in 0..=80 {
            let msg: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            let encrypt = crypt.encrypt(&msg);
            let ciphertext = STANDARD.decode(&encrypt).unwrap();
            assert_eq!(ciphertext.len() % 32, 0);
            pads.insert(ciphertext.len() - (20 + len + receive_id.len()));
            assert_eq!(crypt.decrypt(&encrypt).unwrap(), msg, "len {len}");
            let opened = crypt.decrypt_unchecked(&encrypt).unwrap();
            assert_eq!(opened.receive_id, receive_id);
        }
        assert_eq!(
            pads,
            (1..=32).collect(),
            "every pad length 1..=32 was exercised"
        );
    }
}

#[test]
fn encryption_uses_a_fresh_alphanumeric_random_prefix() {
    let crypt = zero_key_crypt();
    let a = crypt.encrypt(b"same");
    let b = crypt.encrypt(b"same");
    assert_ne!(a, b);
    // With the all-zero key we can decrypt by hand and inspect the prefix.
    let mut buf = STANDARD.decode(&a).unwrap();
    use aes::cipher::{BlockDecryptMut, KeyIvInit as _};
    let mut dec = cbc::Decryptor::<Aes256>::new(&[0u8; 32].into(), &[0u8; 16].into());
    for block in buf.chunks_exact_mut(16) {
        dec.decrypt_block_mut(GenericArray::from_mut_slice(block));
    }
    assert!(buf[..16].iter().all(u8::is_ascii_alphanumeric));
    assert_eq!(&buf[16..20], &4u32.to_be_bytes());
}

#[test]
fn seal_xml_round_trip() {
    let crypt = MsgCrypt::new("AAAAA", OPLATFORM_KEY, "wx134c8103faa5a59e").unwrap();
    let reply = "<xml><Content><![CDATA[你好]]></Content></xml>";
    let xml = crypt.seal_xml(reply, "1713424427", "415670741");
    assert!(xml.starts_with("<xml>\n<Encrypt><![CDATA["));
    assert!(xml.ends_with(
        "<TimeStamp>1713424427</TimeStamp>\n<Nonce><![CDATA[415670741]]></Nonce>\n</xml>"
    ));
    let encrypt = cdata(&xml, "Encrypt");
    let signature = cdata(&xml, "MsgSignature");
    crypt
        .verify_msg_signature(signature, "1713424427", "415670741", encrypt)
        .unwrap();
    assert_eq!(crypt.decrypt(encrypt).unwrap(), reply.as_bytes());
}

#[test]
fn seal_json_round_trip() {
    let crypt = MsgCrypt::new(
        "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo",
        "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt",
        "ww1436e0e65a779aee",
    )
    .unwrap();
    let reply = r#"{"ToUserName":"ww1436e0e65a779aee","Content":"你好 \"quoted\""}"#;
    let json = crypt.seal_json(reply, "1409659813", "1372623149");
    assert!(json.starts_with(r#"{"encrypt":""#), "{json}");
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let object = value.as_object().unwrap();
    assert_eq!(object.len(), 4);
    assert_eq!(object["timestamp"], "1409659813");
    assert_eq!(object["nonce"], "1372623149");
    let encrypt = object["encrypt"].as_str().unwrap();
    let signature = object["msgsignature"].as_str().unwrap();
    crypt
        .verify_msg_signature(signature, "1409659813", "1372623149", encrypt)
        .unwrap();
    assert_eq!(crypt.decrypt(encrypt).unwrap(), reply.as_bytes());
}

#[test]
fn envelope_stays_well_formed_with_hostile_values() {
    let xml = envelope_xml("abc", "def", "1<2&3", "x]]>y");
    assert!(xml.contains("<TimeStamp>1&lt;2&amp;3</TimeStamp>"), "{xml}");
    assert!(
        xml.contains("<Nonce><![CDATA[x]]]]><![CDATA[>y]]></Nonce>"),
        "{xml}"
    );
}

#[test]
fn also_accept_widens_the_accepted_receive_ids() {
    let key = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
    let sender = MsgCrypt::new("QDG6eK", key, "corp-a").unwrap();
    let encrypt = sender.encrypt(b"<xml/>");

    let receiver = MsgCrypt::new("QDG6eK", key, "suite-1").unwrap();
    let err = receiver.decrypt(&encrypt).unwrap_err();
    assert_eq!(
        err,
        CryptoError::ReceiveIdMismatch {
            expected: vec!["suite-1".to_owned()],
            found: "corp-a".to_owned(),
        }
    );
    assert_eq!(err.code(), -40005);

    let receiver = receiver.also_accept("corp-a");
    assert_eq!(
        receiver.receive_id(),
        "suite-1",
        "encryption keeps the first id"
    );
    assert_eq!(receiver.token(), "QDG6eK");
    assert_eq!(receiver.decrypt(&encrypt).unwrap(), b"<xml/>");
}

// ---------------------------------------------------------------------------------------------
// Keys

#[test]
fn non_canonical_keys_parse() {
    for key in [
        "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
        "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt",
        "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
        "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR",
        OPLATFORM_KEY,
    ] {
        EncodingAesKey::parse(key).unwrap_or_else(|e| panic!("{key}: {e}"));
        let parsed: EncodingAesKey = key.parse().unwrap();
        assert_eq!(parsed, EncodingAesKey::parse(key).unwrap());
    }
    // The low 2 bits of the 43rd character are ignored: 'G' (000110) and 'E' (000100) agree.
    assert_eq!(
        EncodingAesKey::parse("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG").unwrap(),
        EncodingAesKey::parse("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFE").unwrap()
    );
    assert_ne!(
        EncodingAesKey::parse("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG").unwrap(),
        EncodingAesKey::parse("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFI").unwrap()
    );
}

#[test]
fn bad_keys_are_rejected() {
    let good = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
    let bad = [
        good[..42].to_owned(),
        format!("{good}A"),
        String::new(),
        format!("{}+", &good[..42]),
        format!("{}/", &good[..42]),
        format!("{}=", &good[..42]),
        format!("{} ", &good[..42]),
        format!("{}é", &good[..41]),
    ];
    for key in &bad {
        let err = EncodingAesKey::parse(key).unwrap_err();
        assert!(
            matches!(err, CryptoError::InvalidKey(_)),
            "{key:?}: {err:?}"
        );
        assert_eq!(err.code(), -40004);
        assert!(!err.to_string().contains(key.as_str()) || key.is_empty());
        assert!(MsgCrypt::new("t", key, "id").is_err());
    }
}

#[test]
fn secrets_stay_out_of_debug_and_errors() {
    let key = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR";
    let parsed = EncodingAesKey::parse(key).unwrap();
    assert_eq!(format!("{parsed:?}"), "EncodingAesKey(***)");
    let crypt = MsgCrypt::new("secret-token", key, "wx49f0ab532d5d035a").unwrap();
    let debug = format!("{crypt:?}");
    assert!(
        !debug.contains("secret-token") && !debug.contains(key),
        "{debug}"
    );
    assert!(debug.contains("wx49f0ab532d5d035a"));
}

// ---------------------------------------------------------------------------------------------
// Bad messages

#[test]
fn wrong_signature_is_rejected() {
    let crypt = zero_key_crypt();
    let encrypt = crypt.encrypt(b"hi");
    let good = crypt.msg_signature("1", "2", &encrypt);
    for bad in [
        good.to_uppercase(),
        good[..39].to_owned(),
        String::new(),
        crypt.msg_signature("1", "3", &encrypt),
        crypt.msg_signature("1", "2", &crypt.encrypt(b"hi")),
    ] {
        let err = crypt
            .verify_msg_signature(&bad, "1", "2", &encrypt)
            .unwrap_err();
        assert_eq!(err, CryptoError::SignatureMismatch);
        assert_eq!(err.code(), -40001);
        assert_eq!(
            crypt.verify_echostr(&bad, "1", "2", &encrypt).unwrap_err(),
            CryptoError::SignatureMismatch
        );
    }
    let other_token = MsgCrypt::new("other", OPLATFORM_KEY, "wx134c8103faa5a59e").unwrap();
    assert!(
        other_token
            .verify_msg_signature(&good, "1", "2", &encrypt)
            .is_err()
    );
    crypt
        .verify_msg_signature(&good, "1", "2", &encrypt)
        .unwrap();
}

#[test]
fn malformed_base64_is_rejected() {
    let crypt = zero_key_crypt();
    let encrypt = crypt.encrypt(b"hello");
    for bad in [
        &encrypt[..encrypt.len() - 1],
        &encrypt[..encrypt.len() - 2],
        "not base64!",
        "QUJD\n",
        "QQ=",
    ] {
        let err = crypt.decrypt(bad).unwrap_err();
        assert_eq!(err, CryptoError::Base64, "{bad:?}");
        assert_eq!(err.code(), -40010);
    }
}

#[test]
fn ciphertext_length_is_checked() {
    let crypt = zero_key_crypt();
    let encrypt = crypt.encrypt(b"hello");
    // Dropping a whole base64 quantum keeps valid base64 but leaves a partial block.
    let shortened = STANDARD.encode(&STANDARD.decode(&encrypt).unwrap()[..29]);
    for (text, len) in [
        (String::new(), 0),
        (STANDARD.encode([7u8; 17]), 17),
        (STANDARD.encode([7u8; 15]), 15),
        (shortened, 29),
    ] {
        let err = crypt.decrypt(&text).unwrap_err();
        assert_eq!(err, CryptoError::CiphertextLength { len });
        assert_eq!(err.code(), -40007);
    }
}

#[test]
fn bad_padding_is_rejected() {
    let crypt = zero_key_crypt();
    let id = b"wx134c8103faa5a59e";
    let cases = [
        // Pad byte 0.
        (plaintext(2, b"hiwx134c8103faa5a59e", 64, 0), 0),
        // Pad byte 33 (greater than the block size 32).
        (plaintext(2, b"hiwx134c8103faa5a59e", 64, 33), 33),
        // Pad byte 255.
        (plaintext(2, b"hiwx134c8103faa5a59e", 64, 255), 255),
        // Inconsistent: ends in 3 but the two bytes before are not 3.
        (
            {
                let mut p = plaintext(2, b"hiwx134c8103faa5a59e", 64, 9);
                p[63] = 3;
                p
            },
            3,
        ),
        // Pad of 32 on a 16-byte plaintext: longer than the data.
        (vec![32u8; 16], 32),
    ];
    for (bytes, pad) in cases {
        let err = crypt.decrypt(&raw_encrypt(&bytes)).unwrap_err();
        assert_eq!(err, CryptoError::Padding { pad });
        assert_eq!(err.code(), -40007);
    }
    // Control: the same construction with a correct pad decrypts.
    let mut body = b"hi".to_vec();
    body.extend_from_slice(id);
    let good = plaintext(2, &body, 64, 24);
    assert_eq!(crypt.decrypt(&raw_encrypt(&good)).unwrap(), b"hi");
}

#[test]
fn declared_length_beyond_the_buffer_is_rejected() {
    let crypt = zero_key_crypt();
    // msg_len 1000 but only 22 content bytes after the header (64 - 20 - 22 pad).
    let err = crypt
        .decrypt(&raw_encrypt(&plaintext(
            1000,
            b"hiwx134c8103faa5a59e",
            64,
            22,
        )))
        .unwrap_err();
    assert_eq!(
        err,
        CryptoError::Truncated {
            needed: 1020,
            available: 42
        }
    );
    assert_eq!(err.code(), -40008);

    let err = crypt
        .decrypt(&raw_encrypt(&plaintext(u32::MAX, b"", 32, 12)))
        .unwrap_err();
    assert!(
        matches!(err, CryptoError::Truncated { available: 20, .. }),
        "{err:?}"
    );

    // Too short to even hold the 20-byte header once the padding is removed.
    let mut short = b"0123456789abcdef".to_vec();
    short.resize(32, 16);
    let err = crypt.decrypt(&raw_encrypt(&short)).unwrap_err();
    assert_eq!(
        err,
        CryptoError::Truncated {
            needed: 20,
            available: 16
        }
    );
}

#[test]
fn wrong_receive_id_is_rejected() {
    let v = vectors("wxbiz_decrypt", 10)
        .into_iter()
        .find(|v| v.name == "wxbiz_oplatform_doc_decrypt")
        .unwrap();
    // The authorizer appid is not the receive id of open-platform pushes.
    let crypt = MsgCrypt::new(
        v.str("token"),
        v.str("encoding_aes_key"),
        "wxba5fad812f8e6fb9",
    )
    .unwrap();
    let err = crypt.decrypt(v.str("encrypt")).unwrap_err();
    assert_eq!(
        err,
        CryptoError::ReceiveIdMismatch {
            expected: vec!["wxba5fad812f8e6fb9".to_owned()],
            found: "wx134c8103faa5a59e".to_owned(),
        }
    );
    assert!(err.to_string().contains("wx134c8103faa5a59e"));
    let err = crypt
        .verify_echostr(
            v.str("msg_signature"),
            v.str("timestamp"),
            v.str("nonce"),
            v.str("encrypt"),
        )
        .unwrap_err();
    assert_eq!(err.code(), -40005);
    // Unchecked decryption still reports what was found.
    assert_eq!(
        crypt
            .decrypt_unchecked(v.str("encrypt"))
            .unwrap()
            .receive_id,
        "wx134c8103faa5a59e"
    );
}

#[test]
fn non_utf8_echostr_is_an_error() {
    let crypt = zero_key_crypt();
    let encrypt = crypt.encrypt(&[0xff, 0xfe]);
    let signature = crypt.msg_signature("1", "2", &encrypt);
    let err = crypt
        .verify_echostr(&signature, "1", "2", &encrypt)
        .unwrap_err();
    assert_eq!(err, CryptoError::NotUtf8);
    assert_eq!(err.code(), -40008);
}
