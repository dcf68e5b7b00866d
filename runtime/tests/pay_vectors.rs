//! Every WeChat Pay APIv3 vector of `tests/data/pay/vectors.toml`, plus key parsing and
//! round trips.

mod pay_support;

use pay_support::*;
use weixin_runtime::SignatureCheck;
use weixin_runtime::pay::sign::request_message;
use weixin_runtime::pay::verify::response_message;
use weixin_runtime::pay::{
    ApiV3Key, AppPayParams, JsapiPayParams, KeyError, MerchantKey, PlatformCertificate,
    RequestSigner, Verifier, WechatPayPublicKey, aead, sensitive,
};

/// Splits a request signing message into its five lines.
fn request_parts(message: &str) -> (String, String, i64, String, String) {
    let body_and_end = message.splitn(5, '\n').collect::<Vec<_>>();
    assert_eq!(body_and_end.len(), 5, "five lines");
    let body = body_and_end[4].strip_suffix('\n').expect("terminated");
    (
        body_and_end[0].to_owned(),
        body_and_end[1].to_owned(),
        body_and_end[2].parse().expect("ts"),
        body_and_end[3].to_owned(),
        body.to_owned(),
    )
}

#[test]
fn rsa_sign_wechatpay_go() {
    let v = vector("pay_v3_rsa_sign_wechatpay_go");
    let key = MerchantKey::from_pem(&read("wechatpay_go_private_key.pem")).expect("key");
    assert_eq!(
        key.sign(s(&v, "message").as_bytes()).expect("sign"),
        s(&v, "expected_signature")
    );
    // The certificate of the notify vector carries the same public key.
    let cert = PlatformCertificate::from_pem(&read("wechatpay_go_platform_certificate.pem"))
        .expect("cert");
    assert_eq!(cert.key(), &key.public_key());
}

#[test]
fn request_sign_get_certificates_header_matches_byte_for_byte() {
    let v = vector("pay_v3_request_sign_get_certificates");
    let (method, url, ts, nonce, body) = request_parts(s(&v, "message"));
    assert_eq!(
        request_message(&method, &url, ts, &nonce, body.as_bytes()),
        s(&v, "message").as_bytes()
    );
    let signer = RequestSigner::new(MCHID, MERCHANT_SERIAL, merchant_key());
    let header = signer
        .authorization_with(&method, &url, body.as_bytes(), ts, &nonce)
        .expect("sign");
    assert_eq!(header, s(&v, "expected_authorization"));
}

#[test]
fn request_sign_post_and_query_vectors() {
    let signer = RequestSigner::new(MCHID, MERCHANT_SERIAL, merchant_key());
    for name in [
        "pay_v3_request_sign_post_jsapi",
        "pay_v3_request_sign_get_with_query",
    ] {
        let v = vector(name);
        let (method, url, ts, nonce, body) = request_parts(s(&v, "message"));
        let message = request_message(&method, &url, ts, &nonce, body.as_bytes());
        assert_eq!(message, s(&v, "message").as_bytes(), "{name}");
        assert_eq!(
            merchant_key().sign(&message).expect("sign"),
            s(&v, "expected_signature"),
            "{name}"
        );
        let header = signer
            .authorization_with(&method, &url, body.as_bytes(), ts, &nonce)
            .expect("sign");
        assert!(
            header.ends_with(&format!("signature=\"{}\"", s(&v, "expected_signature"))),
            "{name}"
        );
    }
}

#[test]
fn pkcs1_key_signs_like_pkcs8() {
    let v = vector("pay_v3_request_sign_get_certificates");
    let pkcs1 = MerchantKey::from_pem(&read("merchant_private_key_pkcs1.pem")).expect("pkcs1");
    assert_eq!(
        pkcs1.sign(s(&v, "message").as_bytes()).expect("sign"),
        s(&v, "expected_signature")
    );
}

#[test]
fn jsapi_pay_sign() {
    let v = vector("pay_v3_jsapi_pay_sign");
    let params = JsapiPayParams::with(
        &merchant_key(),
        "wx2421b1c4370ec43b",
        "wx201410272009395522657a690389285100",
        1554208460,
        "593BEC0C930BF1AFEB40B4A08C8FB242",
    )
    .expect("params");
    assert_eq!(params.pay_sign, s(&v, "expected_signature"));
    let json = serde_json::to_value(&params).expect("json");
    assert_eq!(
        json,
        serde_json::json!({
            "appId": "wx2421b1c4370ec43b",
            "timeStamp": "1554208460",
            "nonceStr": "593BEC0C930BF1AFEB40B4A08C8FB242",
            "package": "prepay_id=wx201410272009395522657a690389285100",
            "signType": "RSA",
            "paySign": s(&v, "expected_signature"),
        })
    );
}

#[test]
fn app_pay_sign() {
    let v = vector("pay_v3_app_pay_sign");
    let params = AppPayParams::with(
        &merchant_key(),
        "wx2421b1c4370ec43b",
        "1900000109",
        "wx201410272009395522657a690389285100",
        1554208460,
        "593BEC0C930BF1AFEB40B4A08C8FB242",
    )
    .expect("params");
    assert_eq!(params.sign, s(&v, "expected_signature"));
    let json = serde_json::to_value(&params).expect("json");
    assert_eq!(
        json,
        serde_json::json!({
            "appid": "wx2421b1c4370ec43b",
            "partnerid": "1900000109",
            "prepayid": "wx201410272009395522657a690389285100",
            "package": "Sign=WXPay",
            "noncestr": "593BEC0C930BF1AFEB40B4A08C8FB242",
            "timestamp": "1554208460",
            "sign": s(&v, "expected_signature"),
        })
    );
}

#[test]
fn response_verify_public_key_and_certificate_mode() {
    let v = vector("pay_v3_response_verify_pubkey_mode");
    let message = s(&v, "message");
    let mut lines = message.splitn(3, '\n');
    let (ts, nonce) = (lines.next().expect("ts"), lines.next().expect("nonce"));
    let body = lines
        .next()
        .expect("body")
        .strip_suffix('\n')
        .expect("terminated");
    assert_eq!(
        response_message(ts, nonce, body.as_bytes()),
        message.as_bytes()
    );
    let sig = s(&v, "expected_signature");

    let from_vector =
        WechatPayPublicKey::from_pem(PUB_KEY_ID, s(&v, "public_key_pem")).expect("pem");
    assert_eq!(from_vector, public_key());
    let by_key = public_key_verifier();
    assert_eq!(
        by_key.verify(ts, nonce, body.as_bytes(), sig, PUB_KEY_ID),
        Ok(())
    );

    let cert = PlatformCertificate::from_pem(s(&v, "platform_certificate_pem")).expect("cert");
    assert_eq!(cert.serial(), s(&v, "platform_certificate_serial"));
    let mut by_cert = Verifier::new();
    by_cert.add_certificate(cert);
    assert_eq!(
        by_cert.verify(ts, nonce, body.as_bytes(), sig, OLD_CERT_SERIAL),
        Ok(())
    );

    // Rejections.
    assert_eq!(
        by_key.verify(
            ts,
            nonce,
            b"{\"code_url\":\"weixin://wxpay/bizpayurl?pr=evil\"}",
            sig,
            PUB_KEY_ID
        ),
        Err(SignatureCheck::Mismatch)
    );
    assert_eq!(
        by_key.verify(ts, nonce, body.as_bytes(), sig, OLD_CERT_SERIAL),
        Err(SignatureCheck::UnknownSerial(OLD_CERT_SERIAL.into()))
    );
    assert_eq!(
        by_cert.verify(
            ts,
            nonce,
            body.as_bytes(),
            sig,
            &OLD_CERT_SERIAL.to_lowercase()
        ),
        Err(SignatureCheck::UnknownSerial(
            OLD_CERT_SERIAL.to_lowercase()
        ))
    );
    assert_eq!(
        by_key.verify("1554208461", nonce, body.as_bytes(), sig, PUB_KEY_ID),
        Err(SignatureCheck::Mismatch)
    );
    assert_eq!(
        by_key.verify(
            ts,
            nonce,
            body.as_bytes(),
            &format!("WECHATPAY/SIGNTEST/{sig}"),
            PUB_KEY_ID
        ),
        Err(SignatureCheck::Probe)
    );
    assert_eq!(
        by_key.verify(ts, nonce, body.as_bytes(), "%%%", PUB_KEY_ID),
        Err(SignatureCheck::Mismatch)
    );
    // The merchant key is the wrong key.
    let wrong = merchant_key().sign(message.as_bytes()).expect("sign");
    assert_eq!(
        by_key.verify(ts, nonce, body.as_bytes(), &wrong, PUB_KEY_ID),
        Err(SignatureCheck::Mismatch)
    );
}

#[test]
fn mixed_mode_accepts_both_serials() {
    let mut v = public_key_verifier();
    v.add_certificate(new_cert());
    let key = wechat_pay_key();
    let message = response_message("1700000000", "n", b"{}");
    let sig = key.sign(&message).expect("sign");
    assert_eq!(v.verify("1700000000", "n", b"{}", &sig, PUB_KEY_ID), Ok(()));
    assert_eq!(
        v.verify("1700000000", "n", b"{}", &sig, NEW_CERT_SERIAL),
        Ok(())
    );
    let serials: Vec<&str> = v.serials().collect();
    assert_eq!(serials.len(), 2);
}

#[test]
fn sign_then_verify_round_trip() {
    let key = wechat_pay_key();
    let v = public_key_verifier();
    for body in [&b""[..], b"{}", "{\"a\":\"中文\"}".as_bytes()] {
        let sig = key
            .sign(&response_message("42", "nonce", body))
            .expect("sign");
        assert_eq!(v.verify("42", "nonce", body, &sig, PUB_KEY_ID), Ok(()));
        assert_eq!(
            v.verify("42", "nonce2", body, &sig, PUB_KEY_ID),
            Err(SignatureCheck::Mismatch)
        );
    }
}

#[test]
fn aes_gcm_vectors() {
    for name in [
        "pay_v3_aes_gcm_wechatpay_go",
        "pay_v3_aes_256_gcm_wechatpay_java",
        "pay_v3_certificate_download_decrypt",
    ] {
        let v = vector(name);
        let (key, nonce, aad) = (s(&v, "key"), s(&v, "nonce"), s(&v, "associated_data"));
        let plain = aead::decrypt(
            key.as_bytes(),
            nonce.as_bytes(),
            aad.as_bytes(),
            s(&v, "ciphertext"),
        )
        .expect(name);
        assert_eq!(
            String::from_utf8(plain).expect("utf8"),
            s(&v, "expected_plaintext"),
            "{name}"
        );
        let sealed = aead::encrypt(
            key.as_bytes(),
            nonce.as_bytes(),
            aad.as_bytes(),
            s(&v, "expected_plaintext").as_bytes(),
        )
        .expect("encrypt");
        assert_eq!(
            sealed,
            s(&v, "ciphertext"),
            "{name}: encryption is deterministic"
        );
        assert_eq!(
            aead::decrypt(
                key.as_bytes(),
                nonce.as_bytes(),
                b"other",
                s(&v, "ciphertext")
            ),
            Err(aead::AeadError::Tag)
        );
    }
    assert_eq!(
        aead::decrypt(b"short", b"123456789012", b"", "AAAA"),
        Err(aead::AeadError::KeyLength(5))
    );
    assert_eq!(
        aead::decrypt(APIV3_KEY.as_bytes(), b"123", b"", "AAAA"),
        Err(aead::AeadError::NonceLength(3))
    );
}

#[test]
fn certificate_download_decrypts_to_the_listed_serial() {
    let v = vector("pay_v3_certificate_download_decrypt");
    let plain = aead::decrypt(
        s(&v, "key").as_bytes(),
        s(&v, "nonce").as_bytes(),
        b"certificate",
        s(&v, "ciphertext"),
    )
    .expect("decrypt");
    let cert =
        PlatformCertificate::from_pem(&String::from_utf8(plain).expect("utf8")).expect("cert");
    assert_eq!(cert.serial(), s(&v, "expected_serial_no"));
    let year = |t: std::time::SystemTime| {
        1970 + t
            .duration_since(std::time::UNIX_EPOCH)
            .expect("t")
            .as_secs()
            / 31_556_952
    };
    assert_eq!(year(cert.not_before()), 2023);
    assert_eq!(year(cert.not_after()), 2028);
}

#[test]
fn notify_vector_verifies_and_decrypts() {
    let v = vector("pay_v3_notify_wechatpay_go");
    let cert = PlatformCertificate::from_pem(s(&v, "platform_certificate_pem")).expect("cert");
    assert_eq!(cert.serial(), s(&v, "header_serial"));
    let mut verifier = Verifier::new();
    verifier.add_certificate(cert);
    let body = s(&v, "body");
    assert_eq!(
        verifier.verify(
            s(&v, "header_timestamp"),
            s(&v, "header_nonce"),
            body.as_bytes(),
            s(&v, "header_signature"),
            s(&v, "header_serial")
        ),
        Ok(())
    );
    let envelope: serde_json::Value = serde_json::from_str(body).expect("json");
    let r = &envelope["resource"];
    let plain = aead::decrypt(
        s(&v, "api_v3_key").as_bytes(),
        r["nonce"].as_str().expect("nonce").as_bytes(),
        r["associated_data"].as_str().expect("aad").as_bytes(),
        r["ciphertext"].as_str().expect("ct"),
    )
    .expect("decrypt");
    assert_eq!(
        String::from_utf8(plain).expect("utf8"),
        s(&v, "expected_plaintext")
    );
}

#[test]
fn oaep_decrypt_vector_and_round_trip() {
    let v = vector("pay_v3_rsa_oaep_decrypt_wechatpay_java");
    assert_eq!(
        sensitive::decrypt(&merchant_key(), s(&v, "ciphertext")).expect("decrypt"),
        s(&v, "expected_plaintext")
    );
    assert_eq!(
        sensitive::decrypt(&wechat_pay_key(), s(&v, "ciphertext")),
        Err(sensitive::SensitiveError::Rsa)
    );

    // Encrypt to the WeChat Pay public key; WeChat Pay (its private key) decrypts.
    let field = sensitive::encrypt(&public_key_verifier(), "张三").expect("encrypt");
    assert_eq!(field.serial, PUB_KEY_ID);
    assert_eq!(
        sensitive::decrypt(&wechat_pay_key(), &field.ciphertext).expect("decrypt"),
        "张三"
    );
    assert!(matches!(
        sensitive::encrypt(&public_key_verifier(), &"x".repeat(215)),
        Err(sensitive::SensitiveError::TooLong(215))
    ));
    assert_eq!(
        sensitive::encrypt(&Verifier::new(), "x"),
        Err(sensitive::SensitiveError::NoKey)
    );

    // Certificate mode: the expired certificate is skipped, the valid one is used.
    let mut certs = Verifier::new();
    certs.add_certificate(old_cert());
    assert_eq!(
        sensitive::encrypt(&certs, "x"),
        Err(sensitive::SensitiveError::NoKey)
    );
    certs.add_certificate(new_cert());
    let field = sensitive::encrypt(&certs, "13800138000").expect("encrypt");
    assert_eq!(field.serial, NEW_CERT_SERIAL);
    assert_eq!(
        sensitive::decrypt(&wechat_pay_key(), &field.ciphertext).expect("decrypt"),
        "13800138000"
    );
    // Mixed: the public key is preferred.
    certs.add_public_key(public_key());
    assert_eq!(
        sensitive::encrypt(&certs, "x").expect("encrypt").serial,
        PUB_KEY_ID
    );
}

#[test]
fn key_parsing_errors_are_clear_and_debug_is_redacted() {
    let key = merchant_key();
    let debug = format!("{key:?}");
    assert_eq!(debug, "MerchantKey { bits: 2048, .. }");
    assert!(matches!(
        MerchantKey::from_pem("not a pem"),
        Err(KeyError::NoPem { .. })
    ));
    let err = MerchantKey::from_pem(&read("merchant_certificate.pem")).expect_err("a certificate");
    assert!(
        err.to_string()
            .contains("unexpected PEM label `CERTIFICATE`"),
        "{err}"
    );
    let broken = read("merchant_private_key.pem").replace(
        "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCaZzehUwzcxdLg",
        "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCaZzehUwzcxd!!",
    );
    assert!(matches!(
        MerchantKey::from_pem(&broken),
        Err(KeyError::Parse { .. })
    ));

    assert!(matches!(
        WechatPayPublicKey::from_pem("F5765756002FDD77", &read("wechat_pay_public_key.pem")),
        Err(KeyError::KeyId(_))
    ));
    assert!(matches!(
        WechatPayPublicKey::from_pem(PUB_KEY_ID, &read("merchant_private_key.pem")),
        Err(KeyError::Label { .. })
    ));
    assert_eq!(
        format!("{:?}", public_key()),
        format!("WechatPayPublicKey {{ id: \"{PUB_KEY_ID}\", .. }}")
    );

    let merchant_cert =
        PlatformCertificate::from_pem(&read("merchant_certificate.pem")).expect("cert");
    assert_eq!(merchant_cert.serial(), MERCHANT_SERIAL);
    assert_eq!(merchant_cert.key(), &merchant_key().public_key());
    assert!(
        !merchant_cert.is_valid_at(std::time::SystemTime::now()),
        "expired in 2025"
    );
    assert!(new_cert().is_valid_at(std::time::SystemTime::now()));
    assert!(matches!(
        PlatformCertificate::from_pem(&read("wechat_pay_public_key.pem")),
        Err(KeyError::Label { .. })
    ));

    let apiv3 = ApiV3Key::new(APIV3_KEY).expect("32 bytes");
    assert_eq!(format!("{apiv3:?}"), "ApiV3Key(***)");
    assert!(matches!(
        ApiV3Key::new("short"),
        Err(KeyError::ApiV3KeyLength(5))
    ));
}
