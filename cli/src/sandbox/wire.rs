//! What the sandbox sends back: WeChat-shaped JSON errors (with a fake `rid`), JSON documents
//! and bytes.

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};

/// One answer, before it becomes an HTTP response.
#[derive(Clone, Debug)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Content-Type.
    pub content_type: String,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
    /// The errcode carried, for the journal (0 for success).
    pub errcode: Option<i64>,
    /// The WeChat Pay error code carried (`ORDER_NOT_EXIST`), for the journal.
    pub code: Option<String>,
}

/// Content type of every JSON answer, as WeChat sends it.
pub const JSON: &str = "application/json; charset=UTF-8";

impl Answer {
    /// A JSON document, exactly as given (an example's text keeps its key order).
    pub fn json_text(text: &str) -> Answer {
        let errcode = serde_json::from_str::<Value>(text)
            .ok()
            .map(|v| v.get("errcode").and_then(Value::as_i64).unwrap_or(0));
        Answer {
            status: 200,
            content_type: JSON.into(),
            headers: Vec::new(),
            body: text.as_bytes().to_vec(),
            errcode,
            code: None,
        }
    }

    /// A JSON value.
    pub fn json(value: &Value) -> Answer {
        Answer::json_text(&value.to_string())
    }

    /// WeChat's error shape: `{"errcode":code,"errmsg":"<message> rid: <rid>"}`, HTTP 200.
    pub fn error(code: i64, message: impl std::fmt::Display) -> Answer {
        Answer::json(&json!({"errcode": code, "errmsg": format!("{message} rid: {}", rid())}))
    }

    /// Bytes of `content_type`, with an optional download file name.
    pub fn bytes(content_type: &str, body: Vec<u8>, file_name: Option<&str>) -> Answer {
        let mut headers = Vec::new();
        if let Some(name) = file_name {
            let safe: String = name.chars().filter(|c| *c != '"' && *c != '\\').collect();
            headers.push((
                "content-disposition".into(),
                format!("attachment; filename=\"{safe}\""),
            ));
        }
        Answer {
            status: 200,
            content_type: content_type.into(),
            headers,
            body,
            errcode: Some(0),
            code: None,
        }
    }

    /// A bare HTTP status with a short text body (5xx faults, unknown paths).
    pub fn status(status: u16, text: &str) -> Answer {
        Answer {
            status,
            content_type: "text/plain; charset=utf-8".into(),
            headers: Vec::new(),
            body: text.as_bytes().to_vec(),
            errcode: None,
            code: None,
        }
    }

    /// An answer without a body (WeChat Pay's `204 No Content`).
    pub fn no_content(status: u16) -> Answer {
        Answer {
            status,
            content_type: String::new(),
            headers: Vec::new(),
            body: Vec::new(),
            errcode: None,
            code: None,
        }
    }

    /// A JSON answer of the sandbox's own control API (not WeChat-shaped).
    pub fn control(status: u16, value: &Value) -> Answer {
        Answer {
            status,
            content_type: "application/json".into(),
            headers: Vec::new(),
            body: value.to_string().into_bytes(),
            errcode: None,
            code: None,
        }
    }
}

/// A fresh request id shaped like WeChat's (`6523b1c2-3a4f5e6d-1b2c3d4e`).
pub fn rid() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    format!(
        "{:08x}-{:08x}-{:08x}",
        now as u32,
        rand::random::<u32>(),
        n as u32
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_wechat_shaped() {
        let a = Answer::error(41001, "missing access_token");
        let v: Value = serde_json::from_slice(&a.body).unwrap();
        assert_eq!(v["errcode"], 41001);
        let msg = v["errmsg"].as_str().unwrap();
        assert!(msg.starts_with("missing access_token rid: "), "{msg}");
        assert_eq!(a.errcode, Some(41001));
    }

    #[test]
    fn rids_differ() {
        assert_ne!(rid(), rid());
        assert_eq!(rid().len(), 26);
    }
}
