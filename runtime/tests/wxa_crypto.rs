//! Mini Program user-data decryption and `rawData` signatures against the published vectors in
//! `tests/data/wxa_vectors.toml`, plus every class of bad input.

use aes::Aes128;
use aes::cipher::generic_array::GenericArray;
use aes::cipher::{BlockEncryptMut, KeyIvInit};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use weixin_runtime::wxa::{
    PhoneNumber, SessionKey, ShareInfo, UserInfo, WeRunData, WxaCryptoError, decrypt_user_data,
    decrypt_user_data_value, raw_data_signature, verify_raw_data,
};

const VECTORS: &str = include_str!("data/wxa_vectors.toml");

/// Key and iv for the self-made ciphertexts below (any 16 bytes).
const KEY_B64: &str = "AAECAwQFBgcICQoLDA0ODw==";
const IV_B64: &str = "EBESExQVFhcYGRobHB0eHw==";
const APP_ID: &str = "wx4f4bc4dec97d474b";

mod vectors;

use vectors::Vector;

impl Vector {
    fn key(&self) -> SessionKey {
        SessionKey::from_base64(self.str("session_key"))
            .unwrap_or_else(|e| panic!("vector {}: {e}", self.name))
    }
}

/// Every user-data vector of one `kind`; there must be exactly `count`.
fn vectors(kind: &str, count: usize) -> Vec<Vector> {
    vectors::of_kind(VECTORS, "wxa_vectors.toml", kind, count)
}

fn demo() -> Vector {
    vectors("wxa_decrypt", 1).remove(0)
}

/// AES-128-CBC over `plaintext`, which must already be a whole number of blocks.
fn encrypt_blocks(plaintext: &[u8]) -> String {
    assert_eq!(
        plaintext.len() % 16,
        0,
        "test plaintext must be block-aligned"
    );
    let key = STANDARD.decode(KEY_B64).expect("test key");
    let iv = STANDARD.decode(IV_B64).expect("test iv");
    let mut enc = cbc::Encryptor::<Aes128>::new_from_slices(&key, &iv).expect("16-byte key and iv");
    let mut out = Vec::with_capacity(plaintext.len());
    for chunk in plaintext.chunks(16) {
        let mut block = GenericArray::clone_from_slice(chunk);
        enc.encrypt_block_mut(&mut block);
        out.extend_from_slice(&block);
    }
    STANDARD.encode(out)
}

/// PKCS#7-pads (block 16) and encrypts `plaintext` with the test key and iv.
fn encrypt(plaintext: &[u8]) -> String {
    let pad = 16 - plaintext.len() % 16;
    let mut padded = plaintext.to_vec();
    padded.extend(std::iter::repeat_n(
        u8::try_from(pad).expect("pad <= 16"),
        pad,
    ));
    encrypt_blocks(&padded)
}

fn test_key() -> SessionKey {
    SessionKey::from_base64(KEY_B64).expect("test key is valid")
}

fn decrypt_test(encrypted: &str) -> Result<Value, WxaCryptoError> {
    decrypt_user_data_value(&test_key(), encrypted, IV_B64, APP_ID)
}

/// Encrypts `plaintext` as WeChat would and decrypts it into `T`.
fn round_trip<T: serde::de::DeserializeOwned>(plaintext: &Value) -> Result<T, WxaCryptoError> {
    let encrypted = encrypt(plaintext.to_string().as_bytes());
    decrypt_user_data(&test_key(), &encrypted, IV_B64, APP_ID)
}

#[test]
fn official_demo_decrypts_to_the_documented_plaintext() {
    let v = demo();
    let value = decrypt_user_data_value(
        &v.key(),
        v.str("encrypted_data"),
        v.str("iv"),
        v.str("appid"),
    )
    .expect("official demo decrypts");
    let expected: Value = serde_json::from_str(v.str("expected_plaintext")).expect("vector JSON");
    assert_eq!(value, expected);
}

#[test]
fn official_demo_decodes_as_user_info() {
    let v = demo();
    let user: UserInfo = decrypt_user_data(
        &v.key(),
        v.str("encrypted_data"),
        v.str("iv"),
        v.str("appid"),
    )
    .expect("official demo decrypts");
    assert_eq!(
        user.open_id.as_deref(),
        Some("oGZUI0egBJY1zhBYw2KhdUfwVJJE")
    );
    assert_eq!(user.nick_name, "Band");
    assert_eq!(user.gender, 1);
    assert_eq!(user.language, "zh_CN");
    assert_eq!(user.city, "Guangzhou");
    assert_eq!(user.province, "Guangdong");
    assert_eq!(user.country, "CN");
    assert!(
        user.avatar_url
            .starts_with("http://wx.qlogo.cn/mmopen/vi_32/")
    );
    assert_eq!(
        user.union_id.as_deref(),
        Some("ocMvos6NjeKLIBqg5Mr9QjxrP1FA")
    );
    assert_eq!(user.watermark.appid, "wx4f4bc4dec97d474b");
    assert_eq!(user.watermark.timestamp, 1_477_314_187);
}

#[test]
fn official_demo_with_another_appid_is_a_watermark_mismatch() {
    let v = demo();
    let err = decrypt_user_data_value(
        &v.key(),
        v.str("encrypted_data"),
        v.str("iv"),
        "wx0000000000000000",
    )
    .expect_err("foreign appid");
    assert_eq!(
        err,
        WxaCryptoError::WatermarkMismatch {
            expected: "wx0000000000000000".into(),
            found: "wx4f4bc4dec97d474b".into(),
        }
    );
    assert!(err.to_string().contains("session_key is probably outdated"));
}

#[test]
fn tampered_last_block_fails_the_padding_check() {
    let v = demo();
    let mut bytes = STANDARD
        .decode(v.str("encrypted_data"))
        .expect("vector base64");
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    let err = decrypt_user_data_value(
        &v.key(),
        &STANDARD.encode(&bytes),
        v.str("iv"),
        v.str("appid"),
    )
    .expect_err("tampered ciphertext");
    assert_eq!(err, WxaCryptoError::Padding);
}

#[test]
fn tampered_first_block_is_not_json() {
    let v = demo();
    let mut bytes = STANDARD
        .decode(v.str("encrypted_data"))
        .expect("vector base64");
    bytes[0] ^= 0x80;
    let err = decrypt_user_data_value(
        &v.key(),
        &STANDARD.encode(&bytes),
        v.str("iv"),
        v.str("appid"),
    )
    .expect_err("tampered ciphertext");
    assert!(matches!(err, WxaCryptoError::NotJson { .. }), "got {err:?}");
}

#[test]
fn another_session_key_never_yields_data() {
    let v = demo();
    let stale = SessionKey::from_base64("HyVFkGl5F5OQWJZZaNzBBg==").expect("valid key");
    let err = decrypt_user_data_value(&stale, v.str("encrypted_data"), v.str("iv"), v.str("appid"))
        .expect_err("wrong key");
    assert!(
        matches!(
            err,
            WxaCryptoError::Padding | WxaCryptoError::NotJson { .. }
        ),
        "got {err:?}"
    );
}

#[test]
fn every_truncation_is_an_error_not_a_panic() {
    let v = demo();
    let bytes = STANDARD
        .decode(v.str("encrypted_data"))
        .expect("vector base64");
    for len in 0..bytes.len() {
        let result = decrypt_user_data_value(
            &v.key(),
            &STANDARD.encode(&bytes[..len]),
            v.str("iv"),
            v.str("appid"),
        );
        assert!(result.is_err(), "prefix of {len} bytes decrypted");
    }
}

#[test]
fn signature_vectors_match() {
    for v in vectors("wxa_signature", 2) {
        let key = v.key();
        let raw = v.str("raw_data");
        let expected = v.str("expected");
        assert_eq!(raw_data_signature(raw, &key), expected, "vector {}", v.name);
        assert!(verify_raw_data(raw, &key, expected), "vector {}", v.name);
    }
}

#[test]
fn signature_rejects_changed_data_key_or_format() {
    let v = vectors("wxa_signature", 2)
        .into_iter()
        .find(|v| v.name == "wxa_signature_official_doc")
        .expect("official doc vector");
    let key = v.key();
    let raw = v.str("raw_data");
    let expected = v.str("expected");

    assert!(!verify_raw_data(
        &raw.replace("Band", "Bank"),
        &key,
        expected
    ));
    let other = SessionKey::from_base64("tiihtNczf5v6AKRyjwEUhQ==").expect("valid key");
    assert!(!verify_raw_data(raw, &other, expected));
    assert!(!verify_raw_data(raw, &key, &expected.to_uppercase()));
    assert!(!verify_raw_data(raw, &key, &expected[..39]));
    assert!(!verify_raw_data(raw, &key, &format!("{expected}0")));
    assert!(!verify_raw_data(raw, &key, ""));
    // Re-serialized JSON (spaces after colons) is not the raw text WeChat signed.
    let reserialized = raw.replace("\":", "\": ");
    assert!(!verify_raw_data(&reserialized, &key, expected));
}

#[test]
fn bad_padding_bytes_are_rejected() {
    let body = br#"{"watermark":{"appid":"wx4f4bc4dec97d474b","timestamp":1}}"#;
    let mut base = body.to_vec();
    base.resize(64, b' ');
    // Last byte 0, 17 and 0xff are outside 1..=16; "02 03" is an inconsistent run.
    for tail in [&[0u8][..], &[17], &[0xff], &[3, 2]] {
        let mut plaintext = base.clone();
        let start = plaintext.len() - tail.len();
        plaintext[start..].copy_from_slice(tail);
        let err = decrypt_test(&encrypt_blocks(&plaintext)).expect_err("bad padding");
        assert_eq!(err, WxaCryptoError::Padding, "tail {tail:?}");
    }
}

#[test]
fn full_padding_block_is_removed() {
    let plaintext = br#"{"watermark":{"appid":"wx4f4bc4dec97d474b"},"a":"0123456789abc"}"#;
    assert_eq!(plaintext.len() % 16, 0, "exactly four blocks");
    let value = decrypt_test(&encrypt(plaintext)).expect("decrypts");
    assert_eq!(value["a"], "0123456789abc");
}

#[test]
fn phone_number_with_string_or_numeric_country_code() {
    for country in [json!("86"), json!(86)] {
        let plaintext = json!({
            "phoneNumber": "13580006666",
            "purePhoneNumber": "13580006666",
            "countryCode": country,
            "watermark": {"appid": APP_ID, "timestamp": 1_637_744_274},
        });
        let phone: PhoneNumber = round_trip(&plaintext).expect("decrypts");
        assert_eq!(phone.phone_number, "13580006666");
        assert_eq!(phone.pure_phone_number, "13580006666");
        assert_eq!(phone.country_code, "86");
        assert_eq!(phone.watermark.timestamp, 1_637_744_274);
    }
}

#[test]
fn share_info_and_werun_data_decode() {
    let share = json!({"openGId": "OPENGID", "watermark": {"appid": APP_ID, "timestamp": 1}});
    let share: ShareInfo = round_trip(&share).expect("decrypts");
    assert_eq!(share.open_gid.as_deref(), Some("OPENGID"));
    assert_eq!(share.open_single_id, None);

    let run = json!({
        "stepInfoList": [{"timestamp": 1_445_866_601, "step": 100}, {"timestamp": 1_445_876_601, "step": 120}],
        "watermark": {"appid": APP_ID, "timestamp": 1},
    });
    let run: WeRunData = round_trip(&run).expect("decrypts");
    assert_eq!(run.step_info_list.len(), 2);
    assert_eq!(run.step_info_list[1].step, 120);
}

#[test]
fn missing_watermark_is_rejected() {
    for plaintext in [
        json!({"openId": "x"}),
        json!({"watermark": {"timestamp": 1}}),
        json!({"watermark": null}),
        json!({"watermark": {"appid": 12345}}),
    ] {
        let err = decrypt_test(&encrypt(plaintext.to_string().as_bytes())).expect_err("no appid");
        assert_eq!(err, WxaCryptoError::MissingWatermark, "{plaintext}");
    }
}

#[test]
fn non_json_plaintext_is_rejected() {
    let err = decrypt_test(&encrypt(b"not json at all")).expect_err("not JSON");
    assert!(
        matches!(err, WxaCryptoError::NotJson { line: 1, .. }),
        "got {err:?}"
    );
    let err = decrypt_test(&encrypt(b"[1,2,3]")).expect_err("not an object");
    assert_eq!(err, WxaCryptoError::MissingWatermark);
}

#[test]
fn wrong_shape_names_the_field_not_its_value() {
    let plaintext = json!({
        "phoneNumber": "13580006666",
        "purePhoneNumber": 13_580_006_666_u64,
        "countryCode": "86",
        "watermark": {"appid": APP_ID, "timestamp": 1},
    });
    let err = round_trip::<PhoneNumber>(&plaintext).expect_err("number where a string is expected");
    assert_eq!(
        err,
        WxaCryptoError::Shape {
            path: "purePhoneNumber".into()
        }
    );
    assert!(!err.to_string().contains("13580006666"));
}

#[test]
fn session_key_must_be_sixteen_bytes_of_base64() {
    assert_eq!(
        SessionKey::from_base64("AAAA").map(|_| ()),
        Err(WxaCryptoError::SessionKeyLength { len: 3 })
    );
    assert_eq!(
        SessionKey::from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYX").map(|_| ()),
        Err(WxaCryptoError::SessionKeyLength { len: 24 })
    );
    assert_eq!(
        SessionKey::from_base64("").map(|_| ()),
        Err(WxaCryptoError::SessionKeyLength { len: 0 })
    );
    assert_eq!(
        SessionKey::from_base64("tiihtNczf5v6AKRy jwEUhQ==").map(|_| ()),
        Err(WxaCryptoError::SessionKeyBase64)
    );
}

#[test]
fn iv_and_data_are_checked_before_decrypting() {
    let key = test_key();
    let data = encrypt(br#"{"watermark":{"appid":"wx4f4bc4dec97d474b"}}"#);
    let run = |data: &str, iv: &str| decrypt_user_data_value(&key, data, iv, APP_ID);

    assert_eq!(
        run(&data, "r7BXXKkLb8qr SNn05n0qiA=="),
        Err(WxaCryptoError::IvBase64)
    );
    assert_eq!(run(&data, "AAAA"), Err(WxaCryptoError::IvLength { len: 3 }));
    assert_eq!(run("not*base64", IV_B64), Err(WxaCryptoError::DataBase64));
    assert_eq!(
        run("", IV_B64),
        Err(WxaCryptoError::CiphertextLength { len: 0 })
    );
    assert_eq!(
        run(&STANDARD.encode([0u8; 15]), IV_B64),
        Err(WxaCryptoError::CiphertextLength { len: 15 })
    );
    assert!(run(&data, IV_B64).is_ok());
}

#[test]
fn errors_and_debug_never_show_the_key() {
    let v = demo();
    let key = v.key();
    assert_eq!(format!("{key:?}"), "SessionKey(***)");
    let err = decrypt_user_data_value(&key, v.str("encrypted_data"), v.str("iv"), "wx0")
        .expect_err("foreign appid");
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(!text.contains(v.str("session_key")), "{text}");
        assert!(!text.contains("oGZUI0egBJY1zhBYw2KhdUfwVJJE"), "{text}");
    }
}
