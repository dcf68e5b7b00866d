//! WeChat Pay notifications end to end: signed, encrypted fixtures → typed payloads, and every
//! rejection.

mod pay_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use pay_support::*;
use reqwest::header::{HeaderMap, HeaderValue};
use serde::Deserialize;
use weixin_runtime::SignatureCheck;
use weixin_runtime::pay::verify::response_message;
use weixin_runtime::pay::{
    ApiV3Key, MerchantKey, NotifyError, NotifyParser, NotifyRequest, NotifyResponse, NotifyService,
    PlatformCertificate, Verifier, aead,
};

#[derive(Debug, Deserialize, PartialEq, Clone)]
struct Amount {
    total: u64,
}

#[derive(Debug, Deserialize, PartialEq, Clone)]
struct Transaction {
    out_trade_no: String,
    transaction_id: String,
    trade_state: String,
    amount: Amount,
}

const PLAIN: &str = r#"{"mchid":"1234567891","appid":"wxd678efh567hg6787","out_trade_no":"1217752501201407033233368018","transaction_id":"4200000001202601010000000001","trade_state":"SUCCESS","amount":{"total":100,"currency":"CNY"}}"#;

/// A notification body with `plain` encrypted under `key`.
fn body(id: &str, key: &str, plain: &str) -> String {
    let ciphertext = aead::encrypt(
        key.as_bytes(),
        b"fdasflkja484",
        b"transaction",
        plain.as_bytes(),
    )
    .expect("encrypt");
    serde_json::json!({
        "id": id,
        "create_time": "2026-01-01T10:00:00+08:00",
        "resource_type": "encrypt-resource",
        "event_type": "TRANSACTION.SUCCESS",
        "summary": "支付成功",
        "resource": {"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM", "ciphertext": ciphertext, "associated_data": "transaction", "nonce": "fdasflkja484"}
    })
    .to_string()
}

/// The headers WeChat Pay sends, signed with `key` under `serial`.
fn headers(key: &MerchantKey, serial: &str, body: &str, offset: i64) -> HeaderMap {
    let ts = (now() + offset).to_string();
    let nonce = "fdasfjihihihlkja484w";
    let sig = key
        .sign(&response_message(&ts, nonce, body.as_bytes()))
        .expect("sign");
    let mut h = HeaderMap::new();
    let mut put = |name: &'static str, v: &str| {
        h.insert(name, HeaderValue::from_str(v).expect("header"));
    };
    put("wechatpay-timestamp", &ts);
    put("wechatpay-nonce", nonce);
    put("wechatpay-signature", &sig);
    put("wechatpay-serial", serial);
    put("wechatpay-signature-type", "WECHATPAY2-SHA256-RSA2048");
    h
}

fn parser() -> NotifyParser {
    NotifyParser::new(
        public_key_verifier(),
        ApiV3Key::new(APIV3_KEY).expect("key"),
    )
}

fn post<'a>(headers: &'a HeaderMap, body: &'a str) -> NotifyRequest<'a> {
    NotifyRequest {
        method: "POST",
        headers,
        body: body.as_bytes(),
    }
}

/// A service whose handler records payloads and fails while `fail` is set.
fn service(calls: Arc<AtomicUsize>, fails: usize) -> NotifyService<Transaction> {
    NotifyService::<Transaction>::builder(parser()).build(
        move |n: weixin_runtime::pay::Notification<Transaction>| {
            let calls = calls.clone();
            async move {
                let call = calls.fetch_add(1, Ordering::SeqCst);
                assert_eq!(n.resource.amount.total, 100);
                if call < fails {
                    Err("database down")
                } else {
                    Ok(())
                }
            }
        },
    )
}

fn assert_fail(resp: &NotifyResponse, status: u16) {
    assert_eq!(resp.status, status, "{resp:?}");
    let v: serde_json::Value = serde_json::from_str(&resp.body).expect("json body");
    assert_eq!(v["code"], "FAIL");
    assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()));
}

#[tokio::test]
async fn a_signed_encrypted_notification_reaches_the_handler_typed() {
    let b = body("EV-2018022511223320873", APIV3_KEY, PLAIN);
    let h = headers(&wechat_pay_key(), PUB_KEY_ID, &b, 0);
    let n = parser()
        .parse::<Transaction>(post(&h, &b))
        .await
        .expect("parsed");
    assert_eq!(n.id, "EV-2018022511223320873");
    assert_eq!(
        (
            n.event_type.as_str(),
            n.original_type.as_str(),
            n.summary.as_str()
        ),
        ("TRANSACTION.SUCCESS", "transaction", "支付成功")
    );
    assert_eq!(
        n.resource,
        Transaction {
            out_trade_no: "1217752501201407033233368018".into(),
            transaction_id: "4200000001202601010000000001".into(),
            trade_state: "SUCCESS".into(),
            amount: Amount { total: 100 },
        }
    );
    assert!(
        !format!("{n:?}").contains("4200000001202601010000000001"),
        "Debug hides the resource"
    );

    let calls = Arc::new(AtomicUsize::new(0));
    let resp = service(calls.clone(), 0).handle(post(&h, &b)).await;
    assert_eq!((resp.status, resp.body.as_str()), (200, ""));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn the_wechatpay_go_vector_resigned_fresh_decrypts() {
    let v = vector("pay_v3_notify_wechatpay_go");
    let mut verifier = Verifier::new();
    verifier.add_certificate(
        PlatformCertificate::from_pem(s(&v, "platform_certificate_pem")).expect("cert"),
    );
    let parser = NotifyParser::new(
        verifier,
        ApiV3Key::new(s(&v, "api_v3_key")).expect("16-byte test key"),
    );
    let body = s(&v, "body");

    // As recorded (2021): the signature is right but the timestamp is long stale.
    let mut old = HeaderMap::new();
    for (name, field) in [
        ("wechatpay-timestamp", "header_timestamp"),
        ("wechatpay-nonce", "header_nonce"),
        ("wechatpay-signature", "header_signature"),
        ("wechatpay-serial", "header_serial"),
    ] {
        old.insert(name, HeaderValue::from_str(s(&v, field)).expect("header"));
    }
    let err = parser
        .parse::<serde_json::Value>(post(&old, body))
        .await
        .expect_err("stale");
    assert!(
        matches!(err, NotifyError::Signature(SignatureCheck::Stale { .. })),
        "{err:?}"
    );

    // The same body signed now by the same (wechatpay-go test) key.
    let key = MerchantKey::from_pem(&read("wechatpay_go_private_key.pem")).expect("key");
    let h = headers(&key, s(&v, "header_serial"), body, 0);
    #[derive(Debug, Deserialize)]
    struct Contract {
        mchid: String,
        out_contract_code: String,
    }
    let n = parser
        .parse::<Contract>(post(&h, body))
        .await
        .expect("parsed");
    assert_eq!(n.resource.mchid, "1234567890");
    assert_eq!(
        n.resource.out_contract_code,
        "21640bdbd08e473e828f3206a2741c6e"
    );
    assert_eq!(n.event_type, "PAYSCORE.USER_OPEN_SERVICE");
    let raw = parser
        .parse::<serde_json::Value>(post(&h, body))
        .await
        .expect("parsed");
    assert_eq!(
        raw.resource,
        serde_json::from_str::<serde_json::Value>(s(&v, "expected_plaintext")).expect("json")
    );
}

#[tokio::test]
async fn rejections_never_reach_the_handler() {
    let calls = Arc::new(AtomicUsize::new(0));
    let svc = service(calls.clone(), 0);
    let b = body("EV-1", APIV3_KEY, PLAIN);
    let good = headers(&wechat_pay_key(), PUB_KEY_ID, &b, 0);

    // Tampered body.
    let tampered = b.replace("EV-1", "EV-2");
    assert_fail(&svc.handle(post(&good, &tampered)).await, 401);
    // Wrong key, unknown serial, stale, future, probe, missing header.
    assert_fail(
        &svc.handle(post(&headers(&merchant_key(), PUB_KEY_ID, &b, 0), &b))
            .await,
        401,
    );
    assert_fail(
        &svc.handle(post(
            &headers(&wechat_pay_key(), "PUB_KEY_ID_0999", &b, 0),
            &b,
        ))
        .await,
        401,
    );
    assert_fail(
        &svc.handle(post(&headers(&wechat_pay_key(), PUB_KEY_ID, &b, -301), &b))
            .await,
        401,
    );
    assert_fail(
        &svc.handle(post(&headers(&wechat_pay_key(), PUB_KEY_ID, &b, 301), &b))
            .await,
        401,
    );
    let mut probe = good.clone();
    probe.insert(
        "wechatpay-signature",
        HeaderValue::from_static("WECHATPAY/SIGNTEST/ZmFrZQ=="),
    );
    assert_fail(&svc.handle(post(&probe, &b)).await, 401);
    let err = parser()
        .parse::<Transaction>(post(&probe, &b))
        .await
        .expect_err("probe");
    assert_eq!(err, NotifyError::Signature(SignatureCheck::Probe));
    let mut missing = good.clone();
    missing.remove("wechatpay-nonce");
    assert_fail(&svc.handle(post(&missing, &b)).await, 401);
    // Method and size.
    assert_fail(
        &svc.handle(NotifyRequest {
            method: "GET",
            headers: &good,
            body: b.as_bytes(),
        })
        .await,
        405,
    );
    let big = "x".repeat(70 * 1024);
    assert_fail(
        &svc.handle(post(&headers(&wechat_pay_key(), PUB_KEY_ID, &big, 0), &big))
            .await,
        413,
    );
    // Signed but not a notification.
    let junk = r#"{"hello":"world"}"#;
    assert_fail(
        &svc.handle(post(&headers(&wechat_pay_key(), PUB_KEY_ID, junk, 0), junk))
            .await,
        400,
    );
    // Signed, but encrypted with another APIv3 key: 500 so WeChat Pay retries after the fix.
    let other = body("EV-3", "b7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb", PLAIN);
    assert_fail(
        &svc.handle(post(
            &headers(&wechat_pay_key(), PUB_KEY_ID, &other, 0),
            &other,
        ))
        .await,
        500,
    );
    // The resource does not fit the type: 500, and the error names the path only.
    let wrong = body(
        "EV-4",
        APIV3_KEY,
        r#"{"out_trade_no":"T","transaction_id":"secret-ish","trade_state":"SUCCESS","amount":{"total":"cent"}}"#,
    );
    let h = headers(&wechat_pay_key(), PUB_KEY_ID, &wrong, 0);
    assert_fail(&svc.handle(post(&h, &wrong)).await, 500);
    let err = parser()
        .parse::<Transaction>(post(&h, &wrong))
        .await
        .expect_err("type");
    assert_eq!(
        err,
        NotifyError::Resource {
            path: "amount.total".into()
        }
    );

    assert_eq!(
        calls.load(Ordering::SeqCst),
        0,
        "no refused request ran the handler"
    );
}

#[tokio::test]
async fn a_failed_handler_is_retried_and_a_duplicate_is_not_run_again() {
    let calls = Arc::new(AtomicUsize::new(0));
    let svc = service(calls.clone(), 1);
    let b = body("EV-dup", APIV3_KEY, PLAIN);
    let first = svc
        .handle(post(&headers(&wechat_pay_key(), PUB_KEY_ID, &b, 0), &b))
        .await;
    assert_fail(&first, 500);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    // WeChat Pay retries (freshly signed): the claim was released, the handler runs again.
    let second = svc
        .handle(post(&headers(&wechat_pay_key(), PUB_KEY_ID, &b, 0), &b))
        .await;
    assert_eq!(second.status, 200);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    // A duplicate delivery: 200, handler not run.
    let third = svc
        .handle(post(&headers(&wechat_pay_key(), PUB_KEY_ID, &b, 0), &b))
        .await;
    assert_eq!(third.status, 200);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    // Another notification id is handled.
    let other = body("EV-other", APIV3_KEY, PLAIN);
    assert_eq!(
        svc.handle(post(
            &headers(&wechat_pay_key(), PUB_KEY_ID, &other, 0),
            &other
        ))
        .await
        .status,
        200
    );
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_panicking_handler_answers_500() {
    let svc = NotifyService::<Transaction>::builder(parser()).build(
        |_n: weixin_runtime::pay::Notification<Transaction>| async move {
            if true {
                panic!("handler bug");
            }
            Ok::<(), String>(())
        },
    );
    let b = body("EV-panic", APIV3_KEY, PLAIN);
    assert_fail(
        &svc.handle(post(&headers(&wechat_pay_key(), PUB_KEY_ID, &b, 0), &b))
            .await,
        500,
    );
}

#[tokio::test]
async fn a_handler_panicking_before_it_makes_its_future_answers_500() {
    let svc = NotifyService::<Transaction>::builder(parser()).build(
        |_n: weixin_runtime::pay::Notification<Transaction>| -> std::future::Ready<Result<(), String>> {
            panic!("handler bug while making its future (expected panic in this test)")
        },
    );
    let b = body("EV-panic-early", APIV3_KEY, PLAIN);
    assert_fail(
        &svc.handle(post(&headers(&wechat_pay_key(), PUB_KEY_ID, &b, 0), &b))
            .await,
        500,
    );
}
