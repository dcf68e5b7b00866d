//! `PayClient` against a mock WeChat Pay that checks every request signature and signs its
//! responses with the test WeChat Pay key.

mod pay_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use pay_support::*;
use serde::Deserialize;
use sha1::Digest as _;
use weixin_runtime::pay::{HashType, PayClient, aead};
use weixin_runtime::{
    Ack, EncodeError, Endpoint, Error, Host, JsonResponse, Method, PayApiError, PayRetry,
    RequestParts, Retry, SignatureCheck,
};
use wiremock::{MockServer, Request, Respond, ResponseTemplate};

/// `GET /v3/pay/transactions/id/{transaction_id}?mchid=…` written by hand.
struct QueryById {
    transaction_id: String,
}

#[derive(Debug, Deserialize, PartialEq)]
struct Transaction {
    transaction_id: String,
    trade_state: String,
}
impl JsonResponse for Transaction {}

impl Endpoint for QueryById {
    type Response = Transaction;
    const ID: &'static str = "query_by_id";
    const METHOD: Method = Method::Get;
    const HOST: Host = Host::Mch;
    const PATH: &'static str = "/v3/pay/transactions/id/{transaction_id}";
    fn encode(&self, req: &mut RequestParts) -> Result<(), EncodeError> {
        req.path_param("transaction_id", &self.transaction_id);
        req.query("mchid", MCHID);
        Ok(())
    }
}

/// `POST /v3/pay/transactions/jsapi`: creating an order is never resent.
struct Prepay;

#[derive(Debug, Deserialize, PartialEq)]
struct PrepayResponse {
    prepay_id: String,
}
impl JsonResponse for PrepayResponse {}

impl Endpoint for Prepay {
    type Response = PrepayResponse;
    const ID: &'static str = "jsapi_prepay";
    const METHOD: Method = Method::Post;
    const HOST: Host = Host::Mch;
    const PATH: &'static str = "/v3/pay/transactions/jsapi";
    const RETRY: Retry = Retry::Never;
    fn encode(&self, req: &mut RequestParts) -> Result<(), EncodeError> {
        req.json(&serde_json::json!({"appid": "wxd678efh567hg6787", "mchid": MCHID, "description": "Image形象店-深圳腾大-QQ公仔", "out_trade_no": "T1", "amount": {"total": 100}}))
    }
}

/// `POST …/out-trade-no/{out_trade_no}/close`: 204, no body.
struct Close {
    out_trade_no: &'static str,
}

impl Endpoint for Close {
    type Response = Ack;
    const ID: &'static str = "close_order";
    const METHOD: Method = Method::Post;
    const HOST: Host = Host::Mch;
    const PATH: &'static str = "/v3/pay/transactions/out-trade-no/{out_trade_no}/close";
    const RETRY: Retry = Retry::Never;
    fn encode(&self, req: &mut RequestParts) -> Result<(), EncodeError> {
        req.path_param("out_trade_no", self.out_trade_no);
        req.json(&serde_json::json!({ "mchid": MCHID }))
    }
}

const TX: &str = r#"{"transaction_id":"4200000001","trade_state":"SUCCESS"}"#;

async fn query_with(
    signing: Signing,
    status: u16,
    body: &str,
) -> (Result<Transaction, Error>, usize) {
    let server = MockServer::start().await;
    let (mock, calls) = Mock::new(signing, status, body);
    mount(&server, "GET", "/v3/pay/transactions/id/4200000001", mock).await;
    let result = public_key_client(&server)
        .send(&QueryById {
            transaction_id: "4200000001".into(),
        })
        .await;
    (result, calls.load(Ordering::SeqCst))
}

fn check(result: &Result<Transaction, Error>) -> SignatureCheck {
    match result {
        Err(Error::Signature(e)) => e.check().clone(),
        other => panic!("expected a signature error, got {other:?}"),
    }
}

#[tokio::test]
async fn public_key_mode_query_is_signed_verified_and_decoded() {
    let server = MockServer::start().await;
    let (mock, calls) = Mock::new(Signing::public_key_mode(), 200, TX);
    mount(&server, "GET", "/v3/pay/transactions/id/4200000001", mock).await;
    let client = public_key_client(&server);
    let tx = client
        .send(&QueryById {
            transaction_id: "4200000001".into(),
        })
        .await
        .expect("verified");
    assert_eq!(
        tx,
        Transaction {
            transaction_id: "4200000001".into(),
            trade_state: "SUCCESS".into()
        }
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    let received = server.received_requests().await.expect("recorded");
    let req = &received[0];
    assert_eq!(req.url.query(), Some("mchid=1234567891"));
    let h = |n: &str| {
        req.headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    assert_eq!(h("wechatpay-serial").as_deref(), Some(PUB_KEY_ID));
    assert_eq!(h("accept").as_deref(), Some("application/json"));
    assert!(h("user-agent").expect("ua").starts_with("weixin-rs/"));
    assert!(h("content-type").is_none(), "no body, no content type");
}

#[tokio::test]
async fn post_with_chinese_body_and_204_ack() {
    let server = MockServer::start().await;
    let (prepay, _) = Mock::new(
        Signing::public_key_mode(),
        200,
        r#"{"prepay_id":"wx201410272009395522657a690389285100"}"#,
    );
    mount(&server, "POST", "/v3/pay/transactions/jsapi", prepay).await;
    let (close, close_calls) = Mock::new(Signing::public_key_mode(), 204, "");
    mount(
        &server,
        "POST",
        "/v3/pay/transactions/out-trade-no/T%2F1/close",
        close,
    )
    .await;
    let client = public_key_client(&server);
    let r = client.send(&Prepay).await.expect("prepay");
    assert_eq!(r.prepay_id, "wx201410272009395522657a690389285100");
    let ack = client
        .send(&Close {
            out_trade_no: "T/1",
        })
        .await
        .expect("204");
    assert_eq!(ack, Ack::default());
    assert_eq!(close_calls.load(Ordering::SeqCst), 1);
    let received = server.received_requests().await.expect("recorded");
    assert_eq!(
        received[0]
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    let params = client
        .jsapi_params("wxd678efh567hg6787", &r.prepay_id)
        .expect("params");
    assert_eq!(params.package, format!("prepay_id={}", r.prepay_id));
}

#[tokio::test]
async fn call_json_escape_hatch_signs_the_raw_query() {
    let server = MockServer::start().await;
    let (mock, calls) = Mock::new(Signing::public_key_mode(), 200, TX);
    mount(&server, "GET", "/v3/pay/transactions/out-trade-no/T1", mock).await;
    let v = public_key_client(&server)
        .call_json(
            Method::Get,
            "/v3/pay/transactions/out-trade-no/T1?mchid=1234567891&x=a%20b",
            None,
        )
        .await
        .expect("call_json");
    assert_eq!(v["trade_state"], "SUCCESS");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn tampered_wrong_serial_stale_wrong_key_probe_and_unsigned_are_rejected() {
    let mut tampered = Signing::public_key_mode();
    tampered.tamper = true;
    assert_eq!(
        check(&query_with(tampered, 200, TX).await.0),
        SignatureCheck::Mismatch
    );

    let wrong_serial = Signing::with(wechat_pay_key(), "PUB_KEY_ID_0999");
    assert_eq!(
        check(&query_with(wrong_serial, 200, TX).await.0),
        SignatureCheck::UnknownSerial("PUB_KEY_ID_0999".into())
    );

    let mut stale = Signing::public_key_mode();
    stale.timestamp_offset = -301;
    assert!(
        matches!(check(&query_with(stale, 200, TX).await.0), SignatureCheck::Stale { skew_secs } if skew_secs >= 300)
    );
    let mut future = Signing::public_key_mode();
    future.timestamp_offset = 400;
    assert!(matches!(
        check(&query_with(future, 200, TX).await.0),
        SignatureCheck::Stale { .. }
    ));

    let wrong_key = Signing::with(merchant_key(), PUB_KEY_ID);
    assert_eq!(
        check(&query_with(wrong_key, 200, TX).await.0),
        SignatureCheck::Mismatch
    );

    let mut probe = Signing::public_key_mode();
    probe.signature_override = Some("WECHATPAY/SIGNTEST/abcdef".into());
    assert_eq!(
        check(&query_with(probe, 200, TX).await.0),
        SignatureCheck::Probe
    );

    let (unsigned, calls) = query_with(Signing::none(), 200, TX).await;
    assert_eq!(
        check(&unsigned),
        SignatureCheck::MissingHeader("wechatpay-timestamp")
    );
    assert_eq!(calls, 1);
    let text = unsigned.expect_err("error").to_string();
    assert!(
        !text.contains("4200000001"),
        "the body is never in the error: {text}"
    );
}

#[tokio::test]
async fn error_bodies_become_pay_api_errors() {
    let (r, _) = query_with(
        Signing::public_key_mode(),
        404,
        r#"{"code":"ORDER_NOT_EXIST","message":"订单不存在"}"#,
    )
    .await;
    let Err(Error::Pay(e)) = r else {
        panic!("{r:?}")
    };
    assert_eq!(
        (e.status(), e.code(), e.message()),
        (404, PayApiError::ORDER_NOT_EXIST, "订单不存在")
    );
    assert!(e.verified());
    assert_eq!(
        e.request_id(),
        Some("08F0B1C1B20610A5A2B08E0518B0A6A0C00120A2A0B00128A0B0")
    );
    assert_eq!(e.retry(), PayRetry::No);

    let (r, _) = query_with(Signing::public_key_mode(), 400, r#"{"code":"PARAM_ERROR","message":"bad","detail":{"field":"/amount/total","location":"body"}}"#).await;
    let Err(Error::Pay(e)) = r else {
        panic!("{r:?}")
    };
    assert_eq!(e.code(), PayApiError::PARAM_ERROR);
    assert_eq!(e.detail().expect("detail")["field"], "/amount/total");
    assert!(!Error::Pay(e).is_retryable());

    // A safe call is resent twice on 5xx, then the error is reported.
    let (r, calls) = query_with(
        Signing::public_key_mode(),
        500,
        r#"{"code":"SYSTEM_ERROR","message":"busy"}"#,
    )
    .await;
    assert_eq!(calls, 3);
    let err = r.expect_err("500");
    assert!(err.is_retryable());
    let Error::Pay(e) = err else { panic!() };
    assert_eq!(
        (e.code(), e.retry()),
        (PayApiError::SYSTEM_ERROR, PayRetry::Now)
    );

    let (r, _) = query_with(
        Signing::none(),
        429,
        r#"{"code":"RATELIMIT_EXCEEDED","message":"slow down"}"#,
    )
    .await;
    let Err(Error::Pay(e)) = r else {
        panic!("{r:?}")
    };
    assert_eq!(e.retry(), PayRetry::Later);
    assert!(!e.verified(), "unsigned error response");

    // An error response with a bad signature is a signature error.
    let mut tampered = Signing::public_key_mode();
    tampered.tamper = true;
    let (r, _) = query_with(tampered, 403, r#"{"code":"NOT_ENOUGH","message":"1"}"#).await;
    assert_eq!(check(&r), SignatureCheck::Mismatch);
}

#[tokio::test]
async fn never_resent_post_times_out_once_and_safe_get_thrice() {
    let server = MockServer::start().await;
    let (mut slow, calls) = Mock::new(Signing::public_key_mode(), 200, r#"{"prepay_id":"x"}"#);
    slow.delay = Some(Duration::from_millis(800));
    mount(&server, "POST", "/v3/pay/transactions/jsapi", slow).await;
    let (mut slow_get, get_calls) = Mock::new(Signing::public_key_mode(), 200, TX);
    slow_get.delay = Some(Duration::from_millis(800));
    mount(&server, "GET", "/v3/pay/transactions/id/1", slow_get).await;
    let client = builder(&server)
        .public_key(PUB_KEY_ID, read("wechat_pay_public_key.pem"))
        .timeout(Duration::from_millis(200))
        .build()
        .expect("client");
    let err = client.send(&Prepay).await.expect_err("timeout");
    assert!(
        matches!(&err, Error::Transport(t) if t.is_timeout()),
        "{err:?}"
    );
    assert!(!err.is_retryable());
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "an order creation is sent exactly once"
    );

    let err = client
        .send(&QueryById {
            transaction_id: "1".into(),
        })
        .await
        .expect_err("timeout");
    assert!(err.is_retryable());
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(get_calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn bad_request_signature_is_reported_by_the_mock() {
    let server = MockServer::start().await;
    let (mock, _) = Mock::new(Signing::public_key_mode(), 200, TX);
    mount(&server, "GET", "/v3/pay/transactions/id/1", mock).await;
    // Signed with another key than the merchant certificate's: the mock answers SIGN_ERROR.
    let client = PayClient::builder(
        MCHID,
        MERCHANT_SERIAL,
        read("wechat_pay_private_key.pem"),
        APIV3_KEY,
    )
    .base_url(server.uri())
    .public_key(PUB_KEY_ID, read("wechat_pay_public_key.pem"))
    .build()
    .expect("client");
    let r = client
        .send(&QueryById {
            transaction_id: "1".into(),
        })
        .await;
    let Err(Error::Pay(e)) = r else {
        panic!("{r:?}")
    };
    assert_eq!((e.status(), e.code()), (401, PayApiError::SIGN_ERROR));
}

/// Serves `/v3/certificates`: the n-th download lists `lists[min(n, len-1)]`, each certificate
/// encrypted with the APIv3 key and the response signed with `signing`.
struct Certificates {
    lists: Vec<Vec<&'static str>>,
    signing: Signing,
    calls: Arc<AtomicUsize>,
}

impl Respond for Certificates {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        if let Err(why) = check_authorization(request) {
            return ResponseTemplate::new(401).set_body_string(why);
        }
        let files = &self.lists[n.min(self.lists.len() - 1)];
        let data: Vec<serde_json::Value> = files
            .iter()
            .enumerate()
            .map(|(i, file)| {
                let pem = read(file);
                let cert = weixin_runtime::pay::PlatformCertificate::from_pem(&pem).expect("cert");
                let nonce = format!("nonce{i:07}");
                let ciphertext = aead::encrypt(APIV3_KEY.as_bytes(), nonce.as_bytes(), b"certificate", pem.as_bytes()).expect("encrypt");
                serde_json::json!({
                    "serial_no": cert.serial(),
                    "effective_time": "2026-01-01T00:00:00+08:00",
                    "expire_time": "2036-01-01T00:00:00+08:00",
                    "encrypt_certificate": {"algorithm": "AEAD_AES_256_GCM", "nonce": nonce, "associated_data": "certificate", "ciphertext": ciphertext}
                })
            })
            .collect();
        self.signing
            .response(200, &serde_json::json!({ "data": data }).to_string())
    }
}

async fn certificate_server(
    lists: Vec<Vec<&'static str>>,
    signing: Signing,
) -> (MockServer, Arc<AtomicUsize>) {
    let server = MockServer::start().await;
    let calls = Arc::new(AtomicUsize::new(0));
    mount(
        &server,
        "GET",
        "/v3/certificates",
        Certificates {
            lists,
            signing,
            calls: calls.clone(),
        },
    )
    .await;
    (server, calls)
}

#[tokio::test]
async fn certificate_mode_downloads_verifies_and_uses_the_certificate() {
    let signing = Signing::with(wechat_pay_key(), NEW_CERT_SERIAL);
    let (server, downloads) = certificate_server(
        vec![vec!["wechat_pay_certificate_2026.pem"]],
        signing.clone(),
    )
    .await;
    let (mock, _) = Mock::new(signing, 200, TX);
    mount(&server, "GET", "/v3/pay/transactions/id/7", mock).await;
    let client = builder(&server)
        .platform_certificates()
        .build()
        .expect("client");
    let tx = client
        .send(&QueryById {
            transaction_id: "7".into(),
        })
        .await
        .expect("verified");
    assert_eq!(tx.trade_state, "SUCCESS");
    client
        .send(&QueryById {
            transaction_id: "7".into(),
        })
        .await
        .expect("again");
    assert_eq!(
        downloads.load(Ordering::SeqCst),
        1,
        "downloaded once, reused"
    );
    let received = server.received_requests().await.expect("recorded");
    let last = received.last().expect("request");
    assert_eq!(
        last.headers
            .get("wechatpay-serial")
            .and_then(|v| v.to_str().ok()),
        Some(NEW_CERT_SERIAL)
    );
    let field = client.encrypt_sensitive("张三").await.expect("encrypt");
    assert_eq!(field.serial, NEW_CERT_SERIAL);
    assert_eq!(
        weixin_runtime::pay::sensitive::decrypt(&wechat_pay_key(), &field.ciphertext)
            .expect("decrypt"),
        "张三"
    );
}

#[tokio::test]
async fn certificate_download_with_a_bad_signature_is_refused() {
    let mut bad = Signing::with(merchant_key(), NEW_CERT_SERIAL);
    bad.timestamp_offset = 0;
    let (server, _) = certificate_server(vec![vec!["wechat_pay_certificate_2026.pem"]], bad).await;
    let client = builder(&server)
        .platform_certificates()
        .build()
        .expect("client");
    let err = client
        .ensure_certificates()
        .await
        .expect_err("forged download");
    assert!(
        matches!(&err, Error::Signature(e) if e.check() == &SignatureCheck::Mismatch),
        "{err:?}"
    );
    assert!(client.verifier().is_empty());

    // Wrong APIv3 key: decryption fails.
    let (server, _) = certificate_server(
        vec![vec!["wechat_pay_certificate_2026.pem"]],
        Signing::with(wechat_pay_key(), NEW_CERT_SERIAL),
    )
    .await;
    let client = PayClient::builder(
        MCHID,
        MERCHANT_SERIAL,
        read("merchant_private_key.pem"),
        "b7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb",
    )
    .base_url(server.uri())
    .platform_certificates()
    .build()
    .expect("client");
    let err = client.ensure_certificates().await.expect_err("wrong key");
    assert!(
        matches!(&err, Error::Signature(e) if e.check() == &SignatureCheck::Decrypt),
        "{err:?}"
    );
}

#[tokio::test]
async fn unknown_serial_triggers_one_refresh_per_minute() {
    let list_signing = Signing::with(wechat_pay_key(), OLD_CERT_SERIAL);
    let (server, downloads) = certificate_server(
        vec![
            vec!["wechat_pay_certificate.pem"],
            vec![
                "wechat_pay_certificate.pem",
                "wechat_pay_certificate_2026.pem",
            ],
        ],
        list_signing,
    )
    .await;
    let (rotated, _) = Mock::new(Signing::with(wechat_pay_key(), NEW_CERT_SERIAL), 200, TX);
    mount(&server, "GET", "/v3/pay/transactions/id/8", rotated).await;
    let (unknown, _) = Mock::new(Signing::with(wechat_pay_key(), "0123456789ABCDEF"), 200, TX);
    mount(&server, "GET", "/v3/pay/transactions/id/9", unknown).await;
    let client = builder(&server)
        .platform_certificates()
        .build()
        .expect("client");
    client.ensure_certificates().await.expect("first download");
    assert_eq!(downloads.load(Ordering::SeqCst), 1);
    // Signed by a certificate not yet known: one more download finds it.
    client
        .send(&QueryById {
            transaction_id: "8".into(),
        })
        .await
        .expect("after refresh");
    assert_eq!(downloads.load(Ordering::SeqCst), 2);
    // A serial nobody knows: no download within the minute, a clear error.
    let r = client
        .send(&QueryById {
            transaction_id: "9".into(),
        })
        .await;
    assert_eq!(
        check(&r),
        SignatureCheck::UnknownSerial("0123456789ABCDEF".into())
    );
    assert_eq!(downloads.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn mixed_mode_verifies_both_kinds() {
    let (server, _) = certificate_server(
        vec![vec!["wechat_pay_certificate_2026.pem"]],
        Signing::public_key_mode(),
    )
    .await;
    let (by_key, _) = Mock::new(Signing::public_key_mode(), 200, TX);
    mount(&server, "GET", "/v3/pay/transactions/id/1", by_key).await;
    let (by_cert, _) = Mock::new(Signing::with(wechat_pay_key(), NEW_CERT_SERIAL), 200, TX);
    mount(&server, "GET", "/v3/pay/transactions/id/2", by_cert).await;
    let client = builder(&server)
        .public_key(PUB_KEY_ID, read("wechat_pay_public_key.pem"))
        .platform_certificates()
        .build()
        .expect("client");
    client
        .send(&QueryById {
            transaction_id: "1".into(),
        })
        .await
        .expect("public key");
    client
        .send(&QueryById {
            transaction_id: "2".into(),
        })
        .await
        .expect("certificate");
    let received = server.received_requests().await.expect("recorded");
    assert_eq!(
        received
            .last()
            .and_then(|r| r.headers.get("wechatpay-serial"))
            .and_then(|v| v.to_str().ok()),
        Some(PUB_KEY_ID)
    );
}

#[tokio::test]
async fn configuration_errors_and_the_debug_opt_out() {
    let server = MockServer::start().await;
    let err = builder(&server).build().expect_err("no key");
    assert!(
        matches!(&err, Error::Config(c) if c.message().contains("no WeChat Pay key")),
        "{err}"
    );
    let err = PayClient::builder(MCHID, MERCHANT_SERIAL, "garbage", APIV3_KEY)
        .public_key(PUB_KEY_ID, read("wechat_pay_public_key.pem"))
        .build()
        .expect_err("bad key");
    assert!(err.to_string().contains("merchant private key"), "{err}");
    let err = PayClient::builder(
        MCHID,
        MERCHANT_SERIAL,
        read("merchant_private_key.pem"),
        "short",
    )
    .public_key(PUB_KEY_ID, read("wechat_pay_public_key.pem"))
    .build()
    .expect_err("apiv3");
    assert!(err.to_string().contains("APIv3"), "{err}");

    let (mock, _) = Mock::new(Signing::none(), 200, TX);
    mount(&server, "GET", "/v3/pay/transactions/id/1", mock).await;
    let client = builder(&server)
        .dangerously_skip_response_verification_for_debugging()
        .build()
        .expect("opt-out");
    client
        .send(&QueryById {
            transaction_id: "1".into(),
        })
        .await
        .expect("unverified");
    let debug = format!("{client:?}");
    assert!(
        debug.contains("verify: false") && !debug.contains("PRIVATE"),
        "{debug}"
    );
}

#[tokio::test]
async fn path_parameters_are_required() {
    struct Missing;
    impl Endpoint for Missing {
        type Response = Ack;
        const ID: &'static str = "missing";
        const METHOD: Method = Method::Get;
        const HOST: Host = Host::Mch;
        const PATH: &'static str = "/v3/refund/domestic/refunds/{out_refund_no}";
        fn encode(&self, _: &mut RequestParts) -> Result<(), EncodeError> {
            Ok(())
        }
    }
    let server = MockServer::start().await;
    let err = public_key_client(&server)
        .send(&Missing)
        .await
        .expect_err("missing");
    assert!(
        matches!(&err, Error::Encode(EncodeError::PathParam { name, .. }) if name == "out_refund_no"),
        "{err}"
    );
    assert!(
        server
            .received_requests()
            .await
            .expect("recorded")
            .is_empty(),
        "nothing sent"
    );
}

/// Bill file: unsigned response body.
struct Bill(&'static [u8]);
impl Respond for Bill {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        match check_authorization(request) {
            Ok(()) => ResponseTemplate::new(200).set_body_bytes(self.0),
            Err(why) => ResponseTemplate::new(401).set_body_string(why),
        }
    }
}

#[tokio::test]
async fn bill_download_checks_the_digest() {
    const FILE: &[u8] = "交易时间,公众账号ID\n`2026-01-01 00:00:00,`wx1\n".as_bytes();
    let server = MockServer::start().await;
    mount(&server, "GET", "/v3/billdownload/file", Bill(FILE)).await;
    let client = public_key_client(&server);
    let url = "https://api.mch.weixin.qq.com/v3/billdownload/file?token=6XIv5TUPto7pByrTQKhd6kwvyKLG2uY2wMMR8cNXqaA_Cv_isgaUtBzp4QtiozLO";
    let sha1 = hex::encode(sha1::Sha1::digest(FILE));
    let mut out = Vec::new();
    let n = client
        .download_bill(url, HashType::Sha1, &sha1.to_uppercase(), &mut out)
        .await
        .expect("download");
    assert_eq!((n, out.as_slice()), (FILE.len() as u64, FILE));
    let sha256 = hex::encode(sha2::Sha256::digest(FILE));
    let mut out = Vec::new();
    client
        .download_bill(
            url,
            HashType::from_name("sha256").expect("name"),
            &sha256,
            &mut out,
        )
        .await
        .expect("sha256");

    let mut out = Vec::new();
    let err = client
        .download_bill(url, HashType::Sha1, &"0".repeat(40), &mut out)
        .await
        .expect_err("mismatch");
    assert!(
        matches!(&err, Error::Signature(e) if e.check() == &SignatureCheck::Digest),
        "{err:?}"
    );
    let err = client
        .download_bill(
            "https://evil.example/steal",
            HashType::Sha1,
            &sha1,
            &mut Vec::new(),
        )
        .await
        .expect_err("path");
    assert!(matches!(err, Error::Encode(EncodeError::Path { .. })));
    let received = server.received_requests().await.expect("recorded");
    assert_eq!(received.len(), 3);
    assert!(received.iter().all(|r| r.url.query()
        == Some("token=6XIv5TUPto7pByrTQKhd6kwvyKLG2uY2wMMR8cNXqaA_Cv_isgaUtBzp4QtiozLO")));
}
