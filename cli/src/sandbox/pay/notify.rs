//! Signed, encrypted WeChat Pay notifications, as WeChat Pay posts them to a `notify_url`:
//! the resource (plaintext JSON) is encrypted with the APIv3 key (`AEAD_AES_256_GCM`, a random
//! 12-character nonce), wrapped in the notification body and signed like a response.

use rand::Rng as _;
use rand::distr::Alphanumeric;
use serde::Serialize;
use serde_json::{Value, json};
use weixin_codegen::ir::{ClientKind, Endpoint, Ir};
use weixin_runtime::pay::aead;
use weixin_runtime::pay::sign::SCHEMA;

use super::key::Signer;

/// The endpoint whose first success example is a transaction resource.
const TRANSACTION_QUERY: &str = "pay_query_order_by_out_trade_no";
/// The endpoint whose first success example is a refund resource.
const REFUND_QUERY: &str = "pay_query_refund";

/// What to notify.
#[derive(Clone, Debug)]
pub struct Notice {
    /// The receiver (`notify_url`).
    pub url: String,
    /// The merchant's APIv3 key (32 bytes).
    pub apiv3_key: String,
    /// `TRANSACTION.SUCCESS`, `REFUND.SUCCESS`, …
    pub event_type: String,
    /// The plaintext resource (a JSON object).
    pub resource: Value,
}

/// What the receiver answered.
#[derive(Clone, Debug, Serialize)]
pub struct Delivery {
    /// HTTP status.
    pub status: u16,
    /// The body, as text.
    pub body: String,
    /// The notification posted (the encrypted body).
    pub notification: Value,
}

/// The `associated_data` and `original_type` of an event: `transaction` for `TRANSACTION.*`,
/// `refund` for `REFUND.*`, else the event's first word in lower case.
pub fn resource_kind(event_type: &str) -> String {
    event_type
        .split('.')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// The summary WeChat Pay writes for an event.
fn summary(event_type: &str) -> &'static str {
    match event_type {
        "TRANSACTION.SUCCESS" => "支付成功",
        "REFUND.SUCCESS" => "退款成功",
        "REFUND.ABNORMAL" => "退款异常",
        "REFUND.CLOSED" => "退款关闭",
        _ => "通知",
    }
}

/// The default resource of an event: the first success example of the refund query for
/// `REFUND.*`, else of the transaction query by `out_trade_no`.
pub fn default_resource(ir: &Ir, event_type: &str) -> Result<Value, String> {
    let wanted = if event_type.starts_with("REFUND.") {
        REFUND_QUERY
    } else {
        TRANSACTION_QUERY
    };
    let pay_endpoints = || {
        ir.products
            .iter()
            .filter(|p| p.client == ClientKind::Pay)
            .flat_map(|p| &p.groups)
            .flat_map(|g| &g.endpoints)
    };
    let endpoint: &Endpoint = pay_endpoints()
        .find(|e| e.id == wanted)
        .ok_or_else(|| format!("the spec has no {wanted} endpoint for a default resource"))?;
    let text = endpoint
        .examples
        .iter()
        .filter(|x| !x.is_error())
        .find_map(|x| x.response.as_deref())
        .ok_or_else(|| format!("{wanted} has no success example"))?;
    serde_json::from_str(text).map_err(|e| format!("{wanted}'s example is not JSON: {e}"))
}

/// The notification body of `notice`: its resource encrypted with the APIv3 key.
pub fn body(notice: &Notice) -> Result<Value, String> {
    if notice.apiv3_key.len() != 32 {
        return Err(format!(
            "the APIv3 key has {} bytes; it must have 32",
            notice.apiv3_key.len()
        ));
    }
    if !notice.resource.is_object() {
        return Err("the resource must be a JSON object".into());
    }
    let kind = resource_kind(&notice.event_type);
    let nonce = random_text(12);
    let ciphertext = aead::encrypt(
        notice.apiv3_key.as_bytes(),
        nonce.as_bytes(),
        kind.as_bytes(),
        notice.resource.to_string().as_bytes(),
    )
    .map_err(|e| e.to_string())?;
    Ok(json!({
        "id": format!("{}-{}-{}", random_text(8), random_text(4), random_text(12)),
        "create_time": rfc3339_now(),
        "resource_type": "encrypt-resource",
        "event_type": notice.event_type,
        "summary": summary(&notice.event_type),
        "resource": {
            "original_type": kind,
            "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": ciphertext,
            "associated_data": kind,
            "nonce": nonce,
        },
    }))
}

/// Encrypts, signs with `signer` and posts `notice`; returns the receiver's answer.
pub async fn send(notice: &Notice, signer: &Signer) -> Result<Delivery, String> {
    let notification = body(notice)?;
    let bytes = notification.to_string().into_bytes();
    let mut request = reqwest::Client::new()
        .post(&notice.url)
        .timeout(std::time::Duration::from_secs(10))
        .header("content-type", "application/json")
        .header("wechatpay-signature-type", SCHEMA)
        .header("user-agent", "weixin-sandbox (WeChat Pay notification)");
    for (name, value) in signer.headers(&bytes)? {
        request = request.header(name, value);
    }
    let response = request
        .body(bytes)
        .send()
        .await
        .map_err(|e| format!("cannot post to {}: {}", notice.url, e.without_url()))?;
    let status = response.status().as_u16();
    let body = response
        .text()
        .await
        .map_err(|e| format!("cannot read the answer: {}", e.without_url()))?;
    Ok(Delivery {
        status,
        body,
        notification,
    })
}

/// `n` random letters and digits.
fn random_text(n: usize) -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(n)
        .map(char::from)
        .collect()
}

/// The current time as WeChat Pay writes it: RFC 3339 in China time (`2018-06-08T10:34:56+08:00`).
fn rfc3339_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    rfc3339_china(secs)
}

/// `secs` (unix) as `YYYY-MM-DDThh:mm:ss+08:00`.
fn rfc3339_china(secs: u64) -> String {
    let local = secs + 8 * 3600;
    let (days, rest) = (local / 86_400, local % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}+08:00",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn china_time() {
        assert_eq!(rfc3339_china(0), "1970-01-01T08:00:00+08:00");
        assert_eq!(rfc3339_china(1_528_425_296), "2018-06-08T10:34:56+08:00");
        assert_eq!(rfc3339_china(951_782_400), "2000-02-29T08:00:00+08:00");
    }

    #[test]
    fn bodies_decrypt_with_the_key_and_kind() {
        let notice = Notice {
            url: String::new(),
            apiv3_key: "a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb".into(),
            event_type: "REFUND.SUCCESS".into(),
            resource: json!({"out_refund_no": "R1"}),
        };
        let body = body(&notice).unwrap();
        let r = &body["resource"];
        assert_eq!(r["associated_data"], "refund");
        let plain = aead::decrypt(
            notice.apiv3_key.as_bytes(),
            r["nonce"].as_str().unwrap().as_bytes(),
            b"refund",
            r["ciphertext"].as_str().unwrap(),
        )
        .unwrap();
        assert_eq!(
            serde_json::from_slice::<Value>(&plain).unwrap(),
            notice.resource
        );
        let short = Notice {
            apiv3_key: "short".into(),
            ..notice
        };
        assert!(body_err(&short).contains("32"));
    }

    fn body_err(n: &Notice) -> String {
        body(n).unwrap_err()
    }

    #[test]
    fn the_embedded_spec_has_default_resources() {
        let ir = crate::spec::embedded();
        let t = default_resource(&ir, "TRANSACTION.SUCCESS").unwrap();
        assert!(t.get("out_trade_no").is_some());
        let r = default_resource(&ir, "REFUND.SUCCESS").unwrap();
        assert!(r.get("out_refund_no").is_some());
    }
}
