//! The push simulator: sends WeChat-shaped pushes built from the spec's message examples to a
//! webhook, plain or encrypted (safe mode) with valid `signature` / `msg_signature`, optionally
//! several times like WeChat's retries, and reads the reply back (decrypted and parsed).

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};
use weixin_codegen::ir::push::{Message, Push, PushBody};
use weixin_runtime::push::Node;
use weixin_runtime::push::crypto::MsgCrypt;
use weixin_runtime::push::signature::sorted_sha1_hex;

/// What to send.
#[derive(Clone, Debug)]
pub struct Simulation {
    /// The webhook URL (the push URL configured in the console).
    pub url: String,
    /// The push Token.
    pub token: String,
    /// Safe mode: the 43-character EncodingAESKey and the receive id (AppID, CorpID…).
    pub encrypt: Option<(String, String)>,
    /// The message body (XML or JSON), as [`build`] made it.
    pub body: String,
    /// How many times the same push is sent (WeChat retries up to three times).
    pub repeat: u32,
}

/// One delivery and its reply.
#[derive(Clone, Debug, PartialEq)]
pub struct Delivery {
    /// HTTP status of the reply.
    pub status: u16,
    /// The reply body as received.
    pub raw: String,
    /// The reply's plaintext (decrypted in safe mode).
    pub plain: String,
    /// The plaintext parsed: `null` for `success` or an empty body, else the XML or JSON
    /// as a JSON object.
    pub parsed: Value,
}

/// A message type by name: its variant (`Text`, `subscribe`, case and `_` ignored), its match
/// values joined by dots (`text`, `event.subscribe`), or the last match value when only one
/// message has it.
pub fn find_message<'a>(push: &'a Push, name: &str) -> Result<&'a Message, String> {
    let squash = |s: &str| s.replace('_', "").to_ascii_lowercase();
    let wanted = squash(name);
    if let Some(m) = push.messages.iter().find(|m| squash(&m.rust) == wanted) {
        return Ok(m);
    }
    if let Some(m) = push
        .messages
        .iter()
        .find(|m| type_name(m).eq_ignore_ascii_case(name))
    {
        return Ok(m);
    }
    let by_last: Vec<&Message> = push
        .messages
        .iter()
        .filter(|m| {
            m.matches
                .iter()
                .any(|(k, v)| k != "MsgType" && v.eq_ignore_ascii_case(name))
        })
        .collect();
    match by_last.as_slice() {
        [one] => Ok(one),
        [] => Err(format!(
            "no push type {name:?}; see `weixin simulate --list`{}",
            crate::spec::suggest(name, push.messages.iter().map(|m| m.rust.as_str()))
                .map(|s| format!(" (did you mean {s}?)"))
                .unwrap_or_default()
        )),
        many => Err(format!(
            "{name:?} is ambiguous: {}",
            many.iter()
                .map(|m| type_name(m))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// The dotted type name of a message: `MsgType` first, then the other match values.
pub fn type_name(m: &Message) -> String {
    let mut parts: Vec<&str> = m
        .matches
        .iter()
        .filter(|(k, _)| k == "MsgType")
        .map(|(_, v)| v.as_str())
        .collect();
    parts.extend(
        m.matches
            .iter()
            .filter(|(k, _)| k != "MsgType")
            .map(|(_, v)| v.as_str()),
    );
    parts.join(".")
}

/// Builds the push body from `message`'s example (`example`, or the first), with `CreateTime`
/// set to now, a fresh `MsgId` (or `msg_id`), and `overrides` (element or key → value,
/// `FromUserName`/`ToUserName`/`Content` included) applied.
pub fn build(
    message: &Message,
    example: Option<&str>,
    msg_id: Option<u64>,
    overrides: &[(String, String)],
) -> Result<String, String> {
    let chosen = match example {
        Some(name) => message
            .examples
            .iter()
            .find(|x| x.name == name)
            .ok_or_else(|| {
                let known: Vec<&str> = message.examples.iter().map(|x| x.name.as_str()).collect();
                format!(
                    "{} has no example {name:?}; it has {}",
                    message.rust,
                    known.join(", ")
                )
            })?,
        None => message
            .examples
            .first()
            .ok_or_else(|| format!("{} has no example in the spec", message.rust))?,
    };
    let now = unix_now().to_string();
    let id = msg_id.unwrap_or_else(rand::random::<u64>).to_string();
    let mut sets: Vec<(String, String)> = vec![("CreateTime".into(), now)];
    sets.push(("MsgId".into(), id));
    sets.extend(overrides.iter().cloned());
    match &chosen.body {
        PushBody::Xml(xml) => {
            let mut out = xml.clone();
            for (name, value) in &sets {
                let only_if_present = name == "MsgId";
                out = set_xml(&out, name, value, only_if_present);
            }
            Ok(out)
        }
        PushBody::Json(json) => {
            let mut value: Value =
                serde_json::from_str(json).map_err(|e| format!("example JSON: {e}"))?;
            let Value::Object(object) = &mut value else {
                return Err("the example JSON is not an object".into());
            };
            for (name, v) in &sets {
                if name == "MsgId" && !object.contains_key("MsgId") {
                    continue;
                }
                let new = match object.get(name) {
                    Some(Value::Number(_)) => v
                        .parse::<i64>()
                        .map(Value::from)
                        .unwrap_or(Value::String(v.clone())),
                    _ => Value::String(v.clone()),
                };
                object.insert(name.clone(), new);
            }
            Ok(value.to_string())
        }
    }
}

/// Sets the first `<name>` element's text (as CDATA unless numeric), or adds it before
/// `</xml>` unless `only_if_present`.
fn set_xml(xml: &str, name: &str, value: &str, only_if_present: bool) -> String {
    let text = if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        value.to_owned()
    } else {
        format!("<![CDATA[{}]]>", value.replace("]]>", "]]]]><![CDATA[>"))
    };
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    if let Some(start) = xml.find(&open) {
        if let Some(len) = xml[start..].find(&close) {
            let inner_start = start + open.len();
            return format!("{}{text}{}", &xml[..inner_start], &xml[start + len..]);
        }
    }
    if only_if_present {
        return xml.to_owned();
    }
    match xml.rfind("</xml>") {
        Some(end) => format!("{}  {open}{text}{close}\n{}", &xml[..end], &xml[end..]),
        None => xml.to_owned(),
    }
}

/// Sends the push `repeat` times (the same body and query, as a retry is) and returns every
/// delivery.
pub async fn send(sim: &Simulation) -> Result<Vec<Delivery>, String> {
    let crypt = match &sim.encrypt {
        Some((key, receive_id)) => Some(
            MsgCrypt::new(sim.token.clone(), key, receive_id.clone())
                .map_err(|e| format!("--aes-key: {e}"))?,
        ),
        None => None,
    };
    let timestamp = unix_now().to_string();
    let nonce = rand::random::<u32>().to_string();
    let signature = sorted_sha1_hex(&[&sim.token, &timestamp, &nonce]);
    let is_json = sim.body.trim_start().starts_with('{');
    let mut query = vec![
        ("signature", signature),
        ("timestamp", timestamp.clone()),
        ("nonce", nonce.clone()),
    ];
    if let Some(open_id) = field_of(&sim.body, "FromUserName") {
        query.push(("openid", open_id));
    }
    let body = match &crypt {
        None => sim.body.clone(),
        Some(crypt) => {
            let encrypt = crypt.encrypt(sim.body.as_bytes());
            query.push(("encrypt_type", "aes".into()));
            query.push((
                "msg_signature",
                crypt.msg_signature(&timestamp, &nonce, &encrypt),
            ));
            let to = field_of(&sim.body, "ToUserName").unwrap_or_default();
            if is_json {
                serde_json::json!({"ToUserName": to, "Encrypt": encrypt}).to_string()
            } else {
                format!(
                    "<xml><ToUserName><![CDATA[{to}]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
                )
            }
        }
    };
    let content_type = if is_json {
        "application/json"
    } else {
        "text/xml"
    };
    let http = reqwest::Client::new();
    let mut deliveries = Vec::new();
    for _ in 0..sim.repeat.max(1) {
        let response = http
            .post(&sim.url)
            .query(&query)
            .header("content-type", content_type)
            .body(body.clone())
            .send()
            .await
            .map_err(|e| format!("cannot reach {}: {e}", sim.url))?;
        let status = response.status().as_u16();
        let raw = response
            .text()
            .await
            .map_err(|e| format!("reading the reply: {e}"))?;
        let plain = match (&crypt, status) {
            (Some(crypt), 200) => open_reply(crypt, &raw)?,
            _ => raw.clone(),
        };
        deliveries.push(Delivery {
            status,
            parsed: parse_reply(&plain),
            raw,
            plain,
        });
    }
    Ok(deliveries)
}

/// Sends the GET a push URL gets when it is configured (`echostr`) and checks the echo.
pub async fn verify_url(url: &str, token: &str) -> Result<(), String> {
    let timestamp = unix_now().to_string();
    let nonce = rand::random::<u32>().to_string();
    let echostr = format!("echo{}", rand::random::<u64>());
    let signature = sorted_sha1_hex(&[token, &timestamp, &nonce]);
    let response = reqwest::Client::new()
        .get(url)
        .query(&[
            ("signature", signature.as_str()),
            ("timestamp", &timestamp),
            ("nonce", &nonce),
            ("echostr", &echostr),
        ])
        .send()
        .await
        .map_err(|e| format!("cannot reach {url}: {e}"))?;
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    if status == 200 && text == echostr {
        Ok(())
    } else {
        Err(format!(
            "URL verification failed: HTTP {status}, body {text:?}"
        ))
    }
}

/// Checks and decrypts an encrypted reply; `success` and empty replies are not encrypted.
fn open_reply(crypt: &MsgCrypt, raw: &str) -> Result<String, String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() || trimmed == "success" {
        return Ok(trimmed.to_owned());
    }
    let node = if trimmed.starts_with('{') {
        Node::parse_json(trimmed.as_bytes())
    } else {
        Node::parse_xml(trimmed.as_bytes())
    }
    .map_err(|e| format!("the reply is not XML or JSON: {e}"))?;
    let get = |a: &str, b: &str| node.get(a).or_else(|| node.get(b)).map(str::to_owned);
    let Some(encrypt) = get("Encrypt", "encrypt") else {
        return Err(format!(
            "safe mode, but the reply is not encrypted: {trimmed}"
        ));
    };
    let signature = get("MsgSignature", "msgsignature").ok_or("the reply has no MsgSignature")?;
    let timestamp = get("TimeStamp", "timestamp").ok_or("the reply has no TimeStamp")?;
    let nonce = get("Nonce", "nonce").ok_or("the reply has no Nonce")?;
    crypt
        .verify_msg_signature(&signature, &timestamp, &nonce, &encrypt)
        .map_err(|e| format!("the reply's signature: {e}"))?;
    let plain = crypt
        .decrypt(&encrypt)
        .map_err(|e| format!("decrypting the reply: {e}"))?;
    String::from_utf8(plain).map_err(|_| "the decrypted reply is not UTF-8".into())
}

/// The reply as JSON: `null` for `success`/empty, else its elements.
pub fn parse_reply(plain: &str) -> Value {
    let trimmed = plain.trim();
    if trimmed.is_empty() || trimmed == "success" {
        return Value::Null;
    }
    let node = if trimmed.starts_with('{') {
        Node::parse_json(trimmed.as_bytes())
    } else {
        Node::parse_xml(trimmed.as_bytes())
    };
    match node {
        Ok(node) => node_json(&node),
        Err(_) => Value::String(trimmed.to_owned()),
    }
}

/// A node as JSON: text for a leaf, an object of children (repeated names as arrays).
fn node_json(node: &Node) -> Value {
    if node.children().is_empty() {
        return Value::String(node.text().to_owned());
    }
    let mut out = Map::new();
    for child in node.children() {
        let value = node_json(child);
        match out.get_mut(child.name()) {
            Some(Value::Array(items)) => items.push(value),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, value]);
            }
            None => {
                out.insert(child.name().to_owned(), value);
            }
        }
    }
    Value::Object(out)
}

/// The text of a top-level field of an XML or JSON push.
fn field_of(body: &str, name: &str) -> Option<String> {
    let node = if body.trim_start().starts_with('{') {
        Node::parse_json(body.as_bytes())
    } else {
        Node::parse_xml(body.as_bytes())
    };
    node.ok()?.get(name).map(str::to_owned)
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_xml_replaces_or_adds() {
        let xml = "<xml><Content><![CDATA[a]]></Content><MsgId>1</MsgId>\n</xml>";
        let out = set_xml(xml, "Content", "b", false);
        assert!(out.contains("<Content><![CDATA[b]]></Content>"), "{out}");
        let out = set_xml(&out, "MsgId", "42", true);
        assert!(out.contains("<MsgId>42</MsgId>"), "{out}");
        let out = set_xml(&out, "Extra", "x", false);
        assert!(out.contains("<Extra><![CDATA[x]]></Extra>"), "{out}");
        assert_eq!(set_xml("<xml></xml>", "MsgId", "1", true), "<xml></xml>");
    }

    #[test]
    fn every_spec_message_builds_and_is_found_by_name() {
        let ir = crate::spec::embedded();
        let push = ir.push().expect("the spec has push/");
        for m in &push.messages {
            assert_eq!(find_message(push, &m.rust).map(|x| &x.rust), Ok(&m.rust));
            let body = build(m, None, Some(7), &[("FromUserName".into(), "o_me".into())]).unwrap();
            assert_eq!(
                field_of(&body, "FromUserName").as_deref(),
                Some("o_me"),
                "{}",
                m.rust
            );
        }
        assert_eq!(
            find_message(push, "text").map(|m| m.rust.as_str()),
            Ok("Text")
        );
        assert!(find_message(push, "no-such-type").is_err());
    }

    #[test]
    fn replies_parse_to_json() {
        assert_eq!(parse_reply("success"), Value::Null);
        let v = parse_reply("<xml><Content><![CDATA[hi]]></Content><A>1</A><A>2</A></xml>");
        assert_eq!(v["Content"], "hi");
        assert_eq!(v["A"], serde_json::json!(["1", "2"]));
    }
}
