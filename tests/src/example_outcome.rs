//! The shared half of every example replay (the spec examples through the client, and through
//! the CLI's sandbox): does the outcome of a call match its `[[example]]`?

use serde_json::{Map, Value};
use weixin_codegen::ir::{Endpoint, Example, Response};

/// `Ok` when `outcome` is what `example` promises: its errcode (or WeChat Pay status and code),
/// its binary answer, or a decoded response that [`contained_in`] the example's JSON.
pub fn check_outcome(
    endpoint: &Endpoint,
    example: &Example,
    outcome: Result<Value, weixin::Error>,
) -> Result<(), String> {
    if let Some(code) = &example.error_code {
        let status = example.http_status();
        return match outcome {
            Err(weixin::Error::Pay(e)) if e.code() == code && e.status() == status => Ok(()),
            Err(err) => Err(format!("expected {status} {code}, got error {err}")),
            Ok(value) => Err(format!("expected {status} {code}, got success {value}")),
        };
    }
    match (example.error, outcome) {
        (Some(code), Err(err)) => match err.api_code() {
            Some(got) if got.get() == code => Ok(()),
            _ => Err(format!("expected errcode {code}, got error {err}")),
        },
        (Some(code), Ok(value)) => Err(format!("expected errcode {code}, got success {value}")),
        (None, Err(err)) => Err(format!("the example response did not decode: {err}")),
        (None, Ok(value)) => {
            if let Some(binary) = &example.binary {
                let want =
                    serde_json::json!({"content_type": binary.content_type, "len": binary.size});
                return if value == want {
                    Ok(())
                } else {
                    Err(format!("binary {value}, expected {want}"))
                };
            }
            let text = example.response.as_deref().unwrap_or("{}");
            let wire: Value =
                serde_json::from_str(text).map_err(|e| format!("example response: {e}"))?;
            if matches!(endpoint.response, Response::Ack) {
                return Ok(());
            }
            contained_in(&value, &wire, "$")
        }
    }
}

/// Every value the decoded response holds must be on the wire, at the same path: catches a wrong
/// wire name (the field stays empty while the example has it) or a wrong wire format.
fn contained_in(decoded: &Value, wire: &Value, at: &str) -> Result<(), String> {
    match (decoded, wire) {
        (Value::Null, _) => Ok(()),
        (Value::Object(d), Value::Object(w)) => {
            for (key, value) in d {
                match w.get(key) {
                    Some(wire_value) => contained_in(value, wire_value, &format!("{at}.{key}"))?,
                    None if value.is_null() || value == &Value::Array(vec![]) => {}
                    None if value.as_object().is_some_and(Map::is_empty) => {}
                    None => {
                        return Err(format!(
                            "{at}.{key} decoded to {value} but is not in the example"
                        ));
                    }
                }
            }
            for key in w
                .keys()
                .filter(|k| !matches!(k.as_str(), "errcode" | "errmsg"))
            {
                if !d.contains_key(key) {
                    return Err(format!("{at}.{key} is in the example but was not decoded"));
                }
            }
            Ok(())
        }
        (Value::Array(d), Value::Array(w)) if d.len() == w.len() => d
            .iter()
            .zip(w)
            .enumerate()
            .try_for_each(|(i, (d, w))| contained_in(d, w, &format!("{at}[{i}]"))),
        (d, w) if d == w => Ok(()),
        // An `f64` field decodes a wire `0` to `0.0`: the same number.
        (Value::Number(d), Value::Number(w)) if d.as_f64() == w.as_f64() => Ok(()),
        // `wire = "string_or_int"`: a number on the wire decodes to its text.
        (Value::String(d), Value::Number(w)) if *d == w.to_string() => Ok(()),
        (d, w) => Err(format!("{at} decoded to {d}, the example has {w}")),
    }
}
