//! WeChat Pay in the sandbox (issue 8), over real HTTP on loopback: answers signed with the
//! published sandbox key and verified by `weixin::pay::Client`, `SIGN_ERROR` for unsigned or
//! tampered requests, `PARAM_ERROR`, a `204` close, an error example as `Error::Pay`, and signed,
//! encrypted notifications decrypted by the runtime's `NotifyParser`.

mod support;

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};
use weixin_cli::sandbox::Sandbox;
use weixin_runtime::Error;
use weixin_runtime::pay::{
    ApiV3Key, MerchantKey, NotifyParser, NotifyRequest, RequestSigner, Verifier, WechatPayPublicKey,
};

use support::{APIV3_KEY, MCH_SERIAL as SERIAL, MCHID, MERCHANT_KEY, MERCHANT_PUBLIC_KEY};

/// An order the spec's query example knows as paid.
const PAID: &str = "1217752501201407033233368018";

/// The key the sandbox publishes: `(id, pem)`.
async fn published_key(sandbox: &Sandbox) -> (String, String) {
    let key = support::get_json(&format!("{}/_sandbox/pay/public-key", sandbox.url())).await;
    let id = key["id"].as_str().expect("an id").to_owned();
    assert!(id.starts_with("PUB_KEY_ID_"), "{id}");
    (id, key["pem"].as_str().expect("a pem").to_owned())
}

/// The generated Pay client, pointed at the sandbox's `mch` host, verifying with `(id, pem)`.
fn pay_client(sandbox: &Sandbox, (id, pem): &(String, String)) -> weixin::pay::Client {
    weixin::pay::Client::builder(MCHID, SERIAL, MERCHANT_KEY, APIV3_KEY)
        .public_key(id, pem)
        .base_url(sandbox.url_for("mch".parse().unwrap()))
        .build()
        .expect("a valid client")
}

fn pay_error(result: Result<impl std::fmt::Debug, Error>) -> weixin_runtime::PayApiError {
    match result {
        Err(Error::Pay(e)) => e,
        other => panic!("expected a WeChat Pay error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_pay_query_verifies_with_the_published_key() {
    let sandbox = support::sandbox(|_| {}).await;
    let key = published_key(&sandbox).await;
    let pay = pay_client(&sandbox, &key);
    let paid = pay
        .transactions()
        .query_by_out_trade_no(PAID)
        .await
        .unwrap();
    let paid = serde_json::to_value(&paid).unwrap();
    assert_eq!(paid["trade_state"], "SUCCESS");
    assert_eq!(paid["out_trade_no"], PAID);
    // The example whose path value is the request's wins.
    let unpaid = pay
        .transactions()
        .query_by_out_trade_no("M202406010001")
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&unpaid).unwrap()["trade_state"],
        "NOTPAY"
    );
    // Another order number: the paid example, with the number asked for.
    let other = pay.transactions().query_by_out_trade_no("T_OTHER_1").await;
    assert_eq!(
        serde_json::to_value(other.unwrap()).unwrap()["out_trade_no"],
        "T_OTHER_1"
    );
    // A client trusting another key under the same id refuses the answers.
    let wrong = pay_client(&sandbox, &(key.0.clone(), MERCHANT_PUBLIC_KEY.to_owned()));
    let refused = wrong.transactions().query_by_out_trade_no(PAID).await;
    assert!(matches!(refused, Err(Error::Signature(_))), "{refused:?}");
}

#[tokio::test]
async fn unsigned_and_tampered_requests_get_sign_error() {
    let sandbox = support::sandbox(|_| {}).await;
    let url = format!(
        "{}/_host/mch/v3/pay/transactions/out-trade-no/{PAID}?mchid={MCHID}",
        sandbox.url()
    );
    let unsigned = support::http().get(&url).send().await.unwrap();
    assert_eq!(unsigned.status(), StatusCode::UNAUTHORIZED);
    assert!(unsigned.headers().contains_key("wechatpay-signature"));
    let body: Value = unsigned.json().await.unwrap();
    assert_eq!(body["code"], "SIGN_ERROR");

    let garbled = support::http()
        .get(&url)
        .header("authorization", "WECHATPAY2-SHA256-RSA2048 mchid=\"1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(garbled.status(), StatusCode::UNAUTHORIZED);

    // Once the merchant's public key is registered, its signatures are checked for real.
    let register =
        json!({"mchid": MCHID, "serial_no": SERIAL, "public_key_pem": MERCHANT_PUBLIC_KEY});
    let registered = support::http()
        .post(format!("{}/_sandbox/pay/merchants", sandbox.url()))
        .json(&register)
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), StatusCode::OK);
    let signer = RequestSigner::new(MCHID, SERIAL, MerchantKey::from_pem(MERCHANT_KEY).unwrap());
    let target = format!("/_host/mch/v3/pay/transactions/out-trade-no/{PAID}/close");
    let signed_for = br#"{"mchid":"1230000109"}"#;
    let tampered = support::http()
        .post(format!("{}{target}", sandbox.url()))
        .header("content-type", "application/json")
        .header(
            "authorization",
            signer.authorization("POST", &target, signed_for).unwrap(),
        )
        .body(r#"{"mchid":"1230000109","extra":1}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(tampered.status(), StatusCode::UNAUTHORIZED);
    let body: Value = tampered.json().await.unwrap();
    assert_eq!(body["code"], "SIGN_ERROR");
    let honest = support::http()
        .post(format!("{}{target}", sandbox.url()))
        .header("content-type", "application/json")
        .header(
            "authorization",
            signer.authorization("POST", &target, signed_for).unwrap(),
        )
        .body(&signed_for[..])
        .send()
        .await
        .unwrap();
    assert_eq!(honest.status(), StatusCode::NO_CONTENT);

    // A client signing with another key than the registered one.
    let sandbox_key = weixin_cli::sandbox::pay::key::PRIVATE_KEY_PEM;
    let impostor = weixin::pay::Client::builder(MCHID, SERIAL, sandbox_key, APIV3_KEY)
        .public_key(
            weixin_cli::sandbox::pay::key::PUBLIC_KEY_ID,
            weixin_cli::sandbox::pay::key::PUBLIC_KEY_PEM,
        )
        .base_url(sandbox.url_for("mch".parse().unwrap()))
        .build()
        .unwrap();
    let e = pay_error(impostor.transactions().query_by_out_trade_no(PAID).await);
    assert_eq!((e.status(), e.code()), (401, "SIGN_ERROR"));
    assert!(e.verified(), "the error answer is signed too");
    // The real merchant still gets through.
    let pay = pay_client(&sandbox, &published_key(&sandbox).await);
    assert!(pay.transactions().query_by_out_trade_no(PAID).await.is_ok());
}

#[tokio::test]
async fn a_missing_required_field_is_param_error() {
    let sandbox = support::sandbox(|_| {}).await;
    let pay = pay_client(&sandbox, &published_key(&sandbox).await);
    let body = json!({
        "mchid": MCHID,
        "appid": "wxd678efh567hg6787",
        "description": "no amount",
        "out_trade_no": "T20240601",
        "notify_url": "https://example.com/notify",
        "payer": {"openid": "o_1"},
    });
    let e = pay_error(
        pay.call_json(
            weixin_runtime::Method::Post,
            "/v3/pay/transactions/jsapi",
            Some(&body),
        )
        .await,
    );
    assert_eq!((e.status(), e.code()), (400, "PARAM_ERROR"));
    assert!(e.message().contains("amount"), "{}", e.message());
    assert!(e.verified());
    // The merchant id in the body must be the signing merchant's.
    let mut other = body.clone();
    other["mchid"] = json!("1900000001");
    other["amount"] = json!({"total": 1});
    let e = pay_error(
        pay.call_json(
            weixin_runtime::Method::Post,
            "/v3/pay/transactions/jsapi",
            Some(&other),
        )
        .await,
    );
    assert_eq!(e.code(), "PARAM_ERROR");
}

#[tokio::test]
async fn closing_an_order_answers_204_and_an_unknown_order_is_order_not_exist() {
    let sandbox = support::sandbox(|_| {}).await;
    let pay = pay_client(&sandbox, &published_key(&sandbox).await);
    pay.transactions().close(PAID).await.unwrap();
    let last = sandbox.journal().pop().unwrap();
    assert_eq!(
        (last.status, last.endpoint.as_deref()),
        (204, Some("pay_close_order"))
    );

    let e = pay_error(
        pay.transactions()
            .query_by_out_trade_no("NO_SUCH_ORDER_0001")
            .await,
    );
    assert_eq!((e.status(), e.code()), (404, "ORDER_NOT_EXIST"));
    assert!(e.verified());
    let last = sandbox.journal().pop().unwrap();
    assert_eq!(last.code.as_deref(), Some("ORDER_NOT_EXIST"));
}

/// What the loopback receiver decrypted.
type Received = Arc<Mutex<Vec<(String, Value)>>>;

/// A `notify_url` on loopback: verifies and decrypts with the runtime's `NotifyParser`
/// (the sandbox's public key, the APIv3 key); 204 when it succeeds, 400 otherwise.
async fn receiver(key: &(String, String)) -> (String, Received) {
    let mut verifier = Verifier::new();
    verifier.add_public_key(WechatPayPublicKey::from_pem(&key.0, &key.1).unwrap());
    let parser = Arc::new(NotifyParser::new(
        verifier,
        ApiV3Key::new(APIV3_KEY).unwrap(),
    ));
    let received: Received = Arc::default();
    let store = received.clone();
    let app = axum::Router::new().route(
        "/pay/notify",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let (parser, store) = (parser.clone(), store.clone());
            async move {
                let request = NotifyRequest {
                    method: "POST",
                    headers: &headers,
                    body: &body,
                };
                match parser.parse::<Value>(request).await {
                    Ok(n) => {
                        store.lock().unwrap().push((n.event_type, n.resource));
                        (StatusCode::NO_CONTENT, String::new())
                    }
                    Err(e) => (StatusCode::BAD_REQUEST, e.to_string()),
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/pay/notify", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, received)
}

#[tokio::test]
async fn notifications_decrypt_at_a_loopback_receiver() {
    let sandbox = support::sandbox(|_| {}).await;
    let key = published_key(&sandbox).await;
    let (url, received) = receiver(&key).await;
    let notify = format!("{}/_sandbox/pay/notify", sandbox.url());

    let answer = support::http()
        .post(&notify)
        .json(&json!({"url": url, "apiv3_key": APIV3_KEY, "event_type": "TRANSACTION.SUCCESS"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let answer: Value = answer.json().await.unwrap();
    assert_eq!(answer["status"], 204, "{answer}");
    assert_eq!(
        answer["notification"]["resource"]["associated_data"],
        "transaction"
    );
    let (event, resource) = received.lock().unwrap().pop().expect("one notification");
    assert_eq!(event, "TRANSACTION.SUCCESS");
    assert_eq!(resource["out_trade_no"], PAID);
    assert_eq!(resource["trade_state"], "SUCCESS");

    let refund = json!({"out_refund_no": "R1", "refund_status": "SUCCESS", "amount": {"total": 100, "refund": 100}});
    let answer: Value = support::http()
        .post(&notify)
        .json(&json!({"url": url, "apiv3_key": APIV3_KEY, "event_type": "REFUND.SUCCESS", "resource": refund}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["status"], 204, "{answer}");
    assert_eq!(received.lock().unwrap().pop().unwrap().1, refund);

    // A receiver with another APIv3 key cannot decrypt: the sandbox reports its refusal.
    let answer: Value = support::http()
        .post(&notify)
        .json(&json!({"url": url, "apiv3_key": "another32ByteApiV3Key0123456789x"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["status"], 400, "{answer}");
    assert!(received.lock().unwrap().is_empty());
}

/// Runs the `weixin` binary with the test merchant in the environment.
async fn weixin(args: &[&str]) -> (bool, String, String) {
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/merchant_key.pem");
    let public = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/sandbox/pay/sandbox_public_key.pem"
    );
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_weixin"));
    command
        .args(args)
        .env_remove("WEIXIN_BASE_URL")
        .env("WEIXIN_MCHID", MCHID)
        .env("WEIXIN_MCH_SERIAL", SERIAL)
        .env("WEIXIN_MCH_KEY_FILE", data)
        .env("WEIXIN_APIV3_KEY", APIV3_KEY)
        .env(
            "WEIXIN_PAY_PUBLIC_KEY_ID",
            weixin_cli::sandbox::pay::key::PUBLIC_KEY_ID,
        )
        .env("WEIXIN_PAY_PUBLIC_KEY_FILE", public);
    let output = tokio::task::spawn_blocking(move || command.output().expect("the binary runs"))
        .await
        .unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weixin_call_signs_pay_calls_and_verifies_the_answers() {
    let sandbox = support::sandbox(|_| {}).await;
    let base = sandbox.url();
    let query = "pay.transactions.query_by_out_trade_no";
    let (ok, out, err) = weixin(&[
        "call",
        query,
        &format!("out_trade_no={PAID}"),
        "--base-url",
        &base,
    ])
    .await;
    assert!(ok, "{err}");
    assert!(out.contains("\"trade_state\": \"SUCCESS\""), "{out}");
    let (ok, out, err) = weixin(&[
        "call",
        "pay.transactions.close",
        "out_trade_no=T1",
        "--base-url",
        &base,
    ])
    .await;
    assert!(ok && out.trim() == "{}", "{out}\n{err}");
    let (ok, _, err) = weixin(&[
        "call",
        query,
        "out_trade_no=NO_SUCH_ORDER_0001",
        "--base-url",
        &base,
    ])
    .await;
    assert!(!ok && err.contains("ORDER_NOT_EXIST"), "{err}");
    let (ok, _, err) = weixin(&["call", query, "--base-url", &base]).await;
    assert!(!ok && err.contains("needs out_trade_no"), "{err}");
    let last = sandbox.journal().pop().unwrap();
    assert_eq!(
        last.code.as_deref(),
        Some("ORDER_NOT_EXIST"),
        "the missing input never left"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weixin_pay_notify_posts_to_a_receiver() {
    let key = (
        weixin_cli::sandbox::pay::key::PUBLIC_KEY_ID.to_owned(),
        weixin_cli::sandbox::pay::key::PUBLIC_KEY_PEM.to_owned(),
    );
    let (url, received) = receiver(&key).await;
    let (ok, out, err) = weixin(&["pay-notify", "--url", &url]).await;
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("HTTP 204"), "{out}");
    let (event, resource) = received.lock().unwrap().pop().unwrap();
    assert_eq!(
        (event.as_str(), &resource["out_trade_no"]),
        ("TRANSACTION.SUCCESS", &json!(PAID))
    );
    let (ok, _, err) = weixin(&["pay-notify", "--url", &url, "--apiv3-key", "short"]).await;
    assert!(!ok && err.contains("32"), "{err}");
}

#[tokio::test]
async fn sandbox_help_names_the_public_key() {
    let (ok, out, _) = weixin(&["sandbox", "--help"]).await;
    assert!(
        ok && out.contains(weixin_cli::sandbox::pay::key::PUBLIC_KEY_ID),
        "{out}"
    );
}
