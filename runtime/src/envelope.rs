//! Reading WeChat's `{"errcode","errmsg"}` envelope, and safe excerpts of bodies.

use serde::Deserialize;

use crate::errcode::{Action, ErrCode, ErrCodeTable};
use crate::error::ApiError;

/// How many characters of a body go into an error.
const EXCERPT_CHARS: usize = 200;

/// JSON keys whose string values are masked in excerpts.
const SENSITIVE_KEYS: &[&str] = &[
    "access_token",
    "authorizer_access_token",
    "authorizer_refresh_token",
    "component_access_token",
    "refresh_token",
    "secret",
    "session_key",
    "suite_access_token",
    "ticket",
];

#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    errcode: Option<serde_json::Value>,
    #[serde(default)]
    errmsg: Option<String>,
}

/// The non-zero errcode of a JSON body, as an [`ApiError`]; `None` for success or a body that
/// is not a JSON object.
pub(crate) fn api_error(
    endpoint: &'static str,
    body: &[u8],
    table: &ErrCodeTable,
) -> Option<ApiError> {
    let envelope: Envelope = serde_json::from_slice(body).ok()?;
    let code = match envelope.errcode? {
        serde_json::Value::Number(n) => n.as_i64()?,
        serde_json::Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    if code == 0 {
        return None;
    }
    let code = ErrCode::new(code);
    let (message, rid) = split_rid(envelope.errmsg.as_deref().unwrap_or(""));
    let info = table.lookup(code);
    Some(ApiError::new(
        endpoint,
        code,
        message,
        rid,
        info.map(|i| i.name()),
        info.map_or(Action::Permanent, |i| i.action()),
    ))
}

/// Splits `"invalid credential rid: 5f0e-1a2b"` into the message and the rid.
pub(crate) fn split_rid(errmsg: &str) -> (String, Option<String>) {
    let Some(at) = errmsg.rfind("rid:") else {
        return (errmsg.trim().to_owned(), None);
    };
    let before = &errmsg[..at];
    // "rid:" must start the message or follow a separator, not sit inside a word ("grid:").
    if !(before.is_empty() || before.ends_with([' ', ',', ';', '('])) {
        return (errmsg.trim().to_owned(), None);
    }
    let rest = errmsg[at + 4..].trim_start();
    let rid: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    if rid.is_empty() {
        return (errmsg.trim().to_owned(), None);
    }
    let after = rest[rid.len()..].trim();
    let mut message = before.trim_end_matches([' ', ',', ';', '(']).to_owned();
    let after = after.trim_start_matches(')').trim();
    if !after.is_empty() {
        if !message.is_empty() {
            message.push(' ');
        }
        message.push_str(after);
    }
    (message, Some(rid))
}

/// Whether a body looks like a JSON error object rather than file content.
pub(crate) fn looks_like_json(content_type: Option<&str>, body: &[u8]) -> bool {
    let typed = content_type.is_some_and(|ct| {
        let ct = ct.to_ascii_lowercase();
        ct.contains("json") || ct.starts_with("text/")
    });
    typed || starts_with_brace_and_errcode(body)
}

fn starts_with_brace_and_errcode(body: &[u8]) -> bool {
    let trimmed = body.trim_ascii_start();
    trimmed.first() == Some(&b'{') && trimmed.windows(9).any(|w| w == b"\"errcode\"")
}

/// The first characters of a body, with sensitive JSON string values masked.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let masked = mask_sensitive(&text);
    let mut out: String = masked.chars().take(EXCERPT_CHARS).collect();
    if masked.chars().nth(EXCERPT_CHARS).is_some() {
        out.push('…');
    }
    out
}

/// Replaces the string value of every sensitive key with `***`.
pub(crate) fn mask_sensitive(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(quote) = rest.find('"') {
        out.push_str(&rest[..quote]);
        let after_quote = &rest[quote + 1..];
        let Some(end) = after_quote.find('"') else {
            out.push_str(&rest[quote..]);
            return out;
        };
        let key = &after_quote[..end];
        out.push('"');
        out.push_str(key);
        out.push('"');
        rest = &after_quote[end + 1..];
        if !SENSITIVE_KEYS.contains(&key) {
            continue;
        }
        let trimmed = rest.trim_start();
        let Some(value) = trimmed.strip_prefix(':') else {
            continue;
        };
        let value = value.trim_start();
        let Some(inner) = value.strip_prefix('"') else {
            continue;
        };
        // The value's closing quote: skip escaped characters.
        let mut close = None;
        let mut escaped = false;
        for (i, c) in inner.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => {
                    close = Some(i);
                    break;
                }
                _ => {}
            }
        }
        out.push_str(":\"***\"");
        rest = match close {
            Some(i) => &inner[i + 1..],
            None => "",
        };
    }
    out.push_str(rest);
    out
}

/// The file name of a `Content-Disposition` header (`filename*=UTF-8''…` preferred).
pub(crate) fn disposition_file_name(header: &str) -> Option<String> {
    let mut plain = None;
    for param in header.split(';').map(str::trim) {
        let Some((name, value)) = param.split_once('=') else {
            continue;
        };
        let name = name.trim().to_ascii_lowercase();
        let value = value.trim();
        if name == "filename*" {
            let encoded = value.rsplit('\'').next().unwrap_or(value);
            let decoded = url::form_urlencoded::parse(
                format!("x={}", encoded.replace('+', "%2B")).as_bytes(),
            )
            .next()
            .map(|(_, v)| v.into_owned());
            if let Some(decoded) = decoded.filter(|d| !d.is_empty()) {
                return Some(decoded);
            }
        } else if name == "filename" {
            let value = value.trim_matches('"');
            if !value.is_empty() {
                plain = Some(value.to_owned());
            }
        }
    }
    plain
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rid_is_split_off() {
        let (m, rid) = split_rid(
            "invalid credential, access_token is invalid or not latest rid: 6505e2e6-4f6b7a45-3e1c2d6d",
        );
        assert_eq!(
            m,
            "invalid credential, access_token is invalid or not latest"
        );
        assert_eq!(rid.as_deref(), Some("6505e2e6-4f6b7a45-3e1c2d6d"));
        let (m, rid) = split_rid("ok");
        assert_eq!((m.as_str(), rid), ("ok", None));
        let (m, rid) = split_rid("invalid openid hint: [abc] rid: 1-2");
        assert_eq!(m, "invalid openid hint: [abc]");
        assert_eq!(rid.as_deref(), Some("1-2"));
        assert_eq!(split_rid("grid: 5").1, None);
    }

    #[test]
    fn api_error_from_envelope() {
        let e = api_error(
            "x",
            br#"{"errcode":"42001","errmsg":"expired rid: ab-1"}"#,
            &ErrCodeTable::MINIMAL,
        );
        let e = e.expect("an error");
        assert_eq!(e.code(), ErrCode::new(42001));
        assert_eq!(e.action(), Action::RefreshToken);
        assert_eq!(e.message(), "expired");
        assert!(api_error("x", br#"{"errcode":0}"#, &ErrCodeTable::MINIMAL).is_none());
        assert!(api_error("x", b"\x89PNG", &ErrCodeTable::MINIMAL).is_none());
        let unknown = api_error("x", br#"{"errcode":99999}"#, &ErrCodeTable::MINIMAL);
        assert_eq!(unknown.map(|e| e.action()), Some(Action::Permanent));
    }

    #[test]
    fn secrets_masked() {
        let text = r#"{"access_token": "ACCESS\"TOKEN", "expires_in":7200,"ticket":"T1","x":"y"}"#;
        let masked = mask_sensitive(text);
        assert_eq!(
            masked,
            r#"{"access_token":"***", "expires_in":7200,"ticket":"***","x":"y"}"#
        );
        assert_eq!(mask_sensitive(r#"{"access_token":"#), r#"{"access_token":"#);
    }

    #[test]
    fn json_detection() {
        assert!(looks_like_json(
            Some("application/json; charset=utf-8"),
            b""
        ));
        assert!(looks_like_json(Some("text/plain"), b"{}"));
        assert!(looks_like_json(None, b"  {\"errcode\":40007}"));
        assert!(!looks_like_json(Some("image/jpeg"), b"\xff\xd8\xff"));
    }

    #[test]
    fn file_names() {
        assert_eq!(
            disposition_file_name(r#"attachment; filename="MEDIA.jpg""#).as_deref(),
            Some("MEDIA.jpg")
        );
        assert_eq!(
            disposition_file_name("attachment; filename=a.jpg; filename*=UTF-8''%E4%BD%A0+b.jpg")
                .as_deref(),
            Some("你+b.jpg")
        );
        assert_eq!(disposition_file_name("inline"), None);
    }
}
