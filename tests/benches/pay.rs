//! WeChat Pay APIv3 crypto per operation.
//!
//! `cargo bench -p weixin-tests --bench pay`
//!
//! - `pay/sign_request`: the `Authorization` header of a JSAPI prepay POST (RSA-2048 PKCS#1 v1.5
//!   SHA-256 signature with blinding, base64, formatting).
//! - `pay/verify_response`: timestamp window and signature check of a 200 response, public-key
//!   mode.
//! - `pay/notify_verify_decrypt`: a payment notification through `NotifyParser::parse`: window,
//!   signature, envelope parsing, AES-256-GCM decryption and decoding (into `serde_json::Value`).
//!
//! Keys: the public test keys of the official SDKs (runtime/tests/data/pay).

use std::time::{SystemTime, UNIX_EPOCH};

use criterion::{Criterion, criterion_group, criterion_main};
use reqwest::header::{HeaderMap, HeaderValue};
use weixin_runtime::pay::verify::{check_timestamp, response_message};
use weixin_runtime::pay::{
    ApiV3Key, MerchantKey, NotifyParser, NotifyRequest, RequestSigner, Verifier,
    WechatPayPublicKey, aead,
};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../runtime/tests/data/pay");
const APIV3_KEY: &str = "a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb";
const PUB_KEY_ID: &str = "PUB_KEY_ID_0114232134912410000000000000";
const BODY: &str = r#"{"appid":"wxd678efh567hg6787","mchid":"1900007291","description":"Image形象店-深圳腾大-QQ公仔","out_trade_no":"1217752501201407033233368018","notify_url":"https://www.weixin.qq.com/wxpay/pay.php","amount":{"total":100,"currency":"CNY"},"payer":{"openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}}"#;
const TX: &str = r#"{"mchid":"1900007291","appid":"wxd678efh567hg6787","out_trade_no":"1217752501201407033233368018","transaction_id":"4200000001202601010000000001","trade_type":"JSAPI","trade_state":"SUCCESS","trade_state_desc":"支付成功","bank_type":"OTHERS","success_time":"2026-01-01T10:00:00+08:00","payer":{"openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},"amount":{"total":100,"payer_total":100,"currency":"CNY","payer_currency":"CNY"}}"#;

fn read(name: &str) -> String {
    std::fs::read_to_string(format!("{DATA}/{name}")).expect("fixture")
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

fn bench(c: &mut Criterion) {
    let merchant = MerchantKey::from_pem(&read("merchant_private_key.pem")).expect("key");
    let wechat_pay = MerchantKey::from_pem(&read("wechat_pay_private_key.pem")).expect("key");
    let mut verifier = Verifier::new();
    verifier.add_public_key(
        WechatPayPublicKey::from_pem(PUB_KEY_ID, &read("wechat_pay_public_key.pem")).expect("pub"),
    );
    let signer = RequestSigner::new(
        "1900007291",
        "5F1C72E2A8931B72A2E13AF8DEE92471EB397115",
        merchant,
    );

    let mut group = c.benchmark_group("pay");
    group.bench_function("sign_request", |b| {
        b.iter(|| {
            signer
                .authorization("POST", "/v3/pay/transactions/jsapi", BODY.as_bytes())
                .expect("sign")
        })
    });

    let response = r#"{"prepay_id":"wx201410272009395522657a690389285100"}"#;
    let ts = now().to_string();
    let nonce = "593BEC0C930BF1AFEB40B4A08C8FB242";
    let sig = wechat_pay
        .sign(&response_message(&ts, nonce, response.as_bytes()))
        .expect("sign");
    group.bench_function("verify_response", |b| {
        b.iter(|| {
            check_timestamp(&ts, now()).expect("fresh");
            verifier
                .verify(&ts, nonce, response.as_bytes(), &sig, PUB_KEY_ID)
                .expect("verified")
        })
    });

    let ciphertext = aead::encrypt(
        APIV3_KEY.as_bytes(),
        b"fdasflkja484",
        b"transaction",
        TX.as_bytes(),
    )
    .expect("encrypt");
    let body = serde_json::json!({
        "id": "EV-2018022511223320873", "create_time": "2026-01-01T10:00:00+08:00",
        "resource_type": "encrypt-resource", "event_type": "TRANSACTION.SUCCESS", "summary": "支付成功",
        "resource": {"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM", "ciphertext": ciphertext, "associated_data": "transaction", "nonce": "fdasflkja484"}
    })
    .to_string();
    let sig = wechat_pay
        .sign(&response_message(&ts, nonce, body.as_bytes()))
        .expect("sign");
    let mut headers = HeaderMap::new();
    for (name, value) in [
        ("wechatpay-timestamp", ts.as_str()),
        ("wechatpay-nonce", nonce),
        ("wechatpay-signature", sig.as_str()),
        ("wechatpay-serial", PUB_KEY_ID),
    ] {
        headers.insert(name, HeaderValue::from_str(value).expect("header"));
    }
    let parser = NotifyParser::new(verifier.clone(), ApiV3Key::new(APIV3_KEY).expect("key"));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    group.bench_function("notify_verify_decrypt", |b| {
        b.iter(|| {
            let request = NotifyRequest {
                method: "POST",
                headers: &headers,
                body: body.as_bytes(),
            };
            runtime
                .block_on(parser.parse::<serde_json::Value>(request))
                .expect("parsed")
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
