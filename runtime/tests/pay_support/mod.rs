//! Shared fixtures of the pay tests: the public SDK test keys, the vectors and a mock
//! "WeChat Pay" that checks request signatures and signs its responses.

#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use weixin_runtime::pay::verify::response_message;
use weixin_runtime::pay::{MerchantKey, PlatformCertificate, Verifier, WechatPayPublicKey};
use wiremock::{Request, Respond, ResponseTemplate};

/// The key files; the path also works from the `tests` crate, which includes this module.
pub const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../runtime/tests/data/pay");
pub const MCHID: &str = "1234567891";
pub const MERCHANT_SERIAL: &str = "5F1C72E2A8931B72A2E13AF8DEE92471EB397115";
pub const APIV3_KEY: &str = "a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb";
pub const PUB_KEY_ID: &str = "PUB_KEY_ID_0114232134912410000000000000";
/// The expired (2025) WeChat Pay test certificate of wechatpay-java.
pub const OLD_CERT_SERIAL: &str = "440024045C4A427599D09BB4E3DE0279F2E813FD";
/// A certificate for the same key, valid 2026–2036 (generated for these tests).
pub const NEW_CERT_SERIAL: &str = "3B2F5C1E9A7D4B6C8E0F1A2B3C4D5E6F70819203";

pub fn read(name: &str) -> String {
    std::fs::read_to_string(format!("{DATA}/{name}")).expect("fixture")
}

pub fn vectors() -> toml::Table {
    read("vectors.toml").parse().expect("vectors.toml")
}

pub fn vector(name: &str) -> toml::Table {
    vectors()[name].as_table().expect("table").clone()
}

pub fn s<'a>(table: &'a toml::Table, key: &str) -> &'a str {
    table[key].as_str().expect("string field")
}

pub fn merchant_key() -> MerchantKey {
    MerchantKey::from_pem(&read("merchant_private_key.pem")).expect("merchant key")
}

pub fn wechat_pay_key() -> MerchantKey {
    MerchantKey::from_pem(&read("wechat_pay_private_key.pem")).expect("wechat pay key")
}

pub fn public_key() -> WechatPayPublicKey {
    WechatPayPublicKey::from_pem(PUB_KEY_ID, &read("wechat_pay_public_key.pem")).expect("pub key")
}

pub fn new_cert() -> PlatformCertificate {
    PlatformCertificate::from_pem(&read("wechat_pay_certificate_2026.pem")).expect("cert")
}

pub fn old_cert() -> PlatformCertificate {
    PlatformCertificate::from_pem(&read("wechat_pay_certificate.pem")).expect("cert")
}

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

/// How the mock signs a response.
#[derive(Clone, Debug)]
pub struct Signing {
    /// `None`: no signature headers at all.
    pub key: Option<Arc<MerchantKey>>,
    pub serial: String,
    pub timestamp_offset: i64,
    /// Replaces the signature (e.g. a SIGNTEST probe).
    pub signature_override: Option<String>,
    /// Changes the body after signing.
    pub tamper: bool,
}

impl Signing {
    pub fn with(key: MerchantKey, serial: &str) -> Self {
        Signing {
            key: Some(Arc::new(key)),
            serial: serial.to_owned(),
            timestamp_offset: 0,
            signature_override: None,
            tamper: false,
        }
    }

    pub fn public_key_mode() -> Self {
        Self::with(wechat_pay_key(), PUB_KEY_ID)
    }

    pub fn none() -> Self {
        Signing {
            key: None,
            serial: String::new(),
            timestamp_offset: 0,
            signature_override: None,
            tamper: false,
        }
    }

    /// A response template with `status` and `body`, signed as configured.
    pub fn response(&self, status: u16, body: &str) -> ResponseTemplate {
        let mut template = ResponseTemplate::new(status)
            .insert_header(
                "Request-ID",
                "08F0B1C1B20610A5A2B08E0518B0A6A0C00120A2A0B00128A0B0",
            )
            .insert_header("Content-Type", "application/json");
        let mut sent = body.as_bytes().to_vec();
        if let Some(key) = &self.key {
            let timestamp = (now() + self.timestamp_offset).to_string();
            let nonce = "mocknonce0123456789abcdefghijklm";
            let signature = match &self.signature_override {
                Some(sig) => sig.clone(),
                None => key
                    .sign(&response_message(&timestamp, nonce, body.as_bytes()))
                    .expect("sign"),
            };
            if self.tamper {
                sent = body.replace("1", "2").into_bytes();
                if sent == body.as_bytes() {
                    sent.push(b' ');
                }
            }
            template = template
                .insert_header("Wechatpay-Timestamp", timestamp.as_str())
                .insert_header("Wechatpay-Nonce", nonce)
                .insert_header("Wechatpay-Signature", signature.as_str())
                .insert_header("Wechatpay-Serial", self.serial.as_str());
        }
        if sent.is_empty() {
            template
        } else {
            template.set_body_raw(sent, "application/json")
        }
    }
}

/// Checks the `Authorization` header of a request against the merchant certificate: parses
/// the fields, rebuilds the signed message and verifies it. Returns why it is wrong.
pub fn check_authorization(request: &Request) -> Result<(), String> {
    let header = request
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .ok_or("no Authorization header")?;
    let rest = header
        .strip_prefix("WECHATPAY2-SHA256-RSA2048 ")
        .ok_or("wrong scheme")?;
    let mut fields = std::collections::BTreeMap::new();
    for part in rest.split(',') {
        let (k, v) = part.split_once('=').ok_or("bad field")?;
        let v = v
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .ok_or("unquoted field")?;
        fields.insert(k.to_owned(), v.to_owned());
    }
    let field = |k: &str| fields.get(k).cloned().ok_or(format!("no {k}"));
    if field("mchid")? != MCHID {
        return Err("wrong mchid".into());
    }
    if field("serial_no")? != MERCHANT_SERIAL {
        return Err("wrong serial_no".into());
    }
    let ts: i64 = field("timestamp")?.parse().map_err(|_| "bad timestamp")?;
    if (now() - ts).abs() > 300 {
        return Err("stale request timestamp".into());
    }
    let mut canonical = request.url.path().to_owned();
    if let Some(q) = request.url.query() {
        canonical.push('?');
        canonical.push_str(q);
    }
    let message = format!(
        "{}\n{canonical}\n{ts}\n{}\n{}\n",
        request.method.as_str(),
        field("nonce_str")?,
        signed_body(request)?
    );
    let cert = PlatformCertificate::from_pem(&read("merchant_certificate.pem")).expect("cert");
    let raw = BASE64
        .decode(field("signature")?)
        .map_err(|_| "signature not base64")?;
    use rsa::signature::Verifier as _;
    let key = rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(cert.key().clone());
    let sig = rsa::pkcs1v15::Signature::try_from(raw.as_slice()).map_err(|_| "bad signature")?;
    key.verify(message.as_bytes(), &sig)
        .map_err(|_| "signature mismatch".to_owned())
}

/// What a request's signature covers: the body, or the `meta` part of a multipart upload.
pub fn signed_body(request: &Request) -> Result<String, String> {
    let content_type = request
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let body = String::from_utf8_lossy(&request.body).into_owned();
    if !content_type.starts_with("multipart/form-data") {
        return Ok(body);
    }
    let header = "name=\"meta\"";
    let at = body
        .find(header)
        .ok_or("multipart upload without a meta part")?;
    let rest = &body[at..];
    let start = rest.find("\r\n\r\n").ok_or("malformed meta part")? + 4;
    let end = rest[start..]
        .find("\r\n--")
        .ok_or("unterminated meta part")?;
    Ok(rest[start..start + end].to_owned())
}

/// A mock endpoint: checks the request signature (401 SIGN_ERROR if wrong), counts calls and
/// answers with a signed response.
pub struct Mock {
    pub signing: Signing,
    pub status: u16,
    pub body: String,
    pub calls: Arc<AtomicUsize>,
    pub delay: Option<std::time::Duration>,
}

impl Mock {
    pub fn new(signing: Signing, status: u16, body: &str) -> (Self, Arc<AtomicUsize>) {
        let calls = Arc::new(AtomicUsize::new(0));
        (
            Mock {
                signing,
                status,
                body: body.to_owned(),
                calls: calls.clone(),
                delay: None,
            },
            calls,
        )
    }
}

impl Respond for Mock {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if let Err(why) = check_authorization(request) {
            return self.signing.response(
                401,
                &format!(r#"{{"code":"SIGN_ERROR","message":"{why}"}}"#),
            );
        }
        let template = self.signing.response(self.status, &self.body);
        match self.delay {
            Some(d) => template.set_delay(d),
            None => template,
        }
    }
}

/// Answers `verb` requests to `at` on `server` with `responder`.
pub async fn mount(
    server: &wiremock::MockServer,
    verb: &str,
    at: &str,
    responder: impl Respond + 'static,
) {
    wiremock::Mock::given(wiremock::matchers::method(verb))
        .and(wiremock::matchers::path(at))
        .respond_with(responder)
        .mount(server)
        .await;
}

/// The one request `server` received.
pub async fn only_request(server: &wiremock::MockServer) -> Request {
    let mut received = server.received_requests().await.expect("recorded");
    assert_eq!(received.len(), 1, "exactly one request");
    received.remove(0)
}

/// A client of the test merchant pointed at `server`, keys still to choose.
///
/// The timeout only keeps a broken test from hanging: unoptimised RSA signs every request and
/// every mock answer, which on a loaded 2-core machine can take seconds.
pub fn builder(server: &wiremock::MockServer) -> weixin_runtime::pay::PayClientBuilder {
    weixin_runtime::pay::PayClient::builder(
        MCHID,
        MERCHANT_SERIAL,
        read("merchant_private_key.pem"),
        APIV3_KEY,
    )
    .base_url(server.uri())
    .timeout(std::time::Duration::from_secs(60))
}

/// A client of the test merchant pointed at `server`, trusting the test WeChat Pay public key.
pub fn public_key_client(server: &wiremock::MockServer) -> weixin_runtime::pay::PayClient {
    builder(server)
        .public_key(PUB_KEY_ID, read("wechat_pay_public_key.pem"))
        .build()
        .expect("client")
}

/// A verifier trusting the test WeChat Pay public key.
pub fn public_key_verifier() -> Verifier {
    let mut v = Verifier::new();
    v.add_public_key(public_key());
    v
}
