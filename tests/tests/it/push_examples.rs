//! Every push and reply example of `spec/push/`, through the generated `weixin::push` types: a
//! message example must decode to its `expect`, a reply example must render to its exact XML.
//! Plus the behaviour the spec cannot show: unknown types, missing fields, reply limits.

use serde_json::{Value, json};
use weixin::push::{
    Format, Message, Node, PushError, PushMessage, PushReply, Reply, Unknown, render_reply,
};
use weixin_codegen::ir::push::{Push, PushBody, PushField, PushTy};

use crate::support;

/// The spec's pushes; `None` (and every walk below finds nothing) only when `spec/push/` is absent.
fn spec_push() -> Option<&'static Push> {
    let push = support::spec_ir().push();
    assert_eq!(
        push.is_some(),
        support::spec_dir().join("push").is_dir(),
        "Ir::push() must exist exactly when spec/push/ does"
    );
    if let Some(p) = push {
        assert!(
            !p.messages.is_empty(),
            "spec/push/ exists but declares no message"
        );
        assert!(
            !p.replies.is_empty(),
            "spec/push/ exists but declares no reply"
        );
    }
    push
}

fn parse(body: &PushBody) -> Result<Node, PushError> {
    match body {
        PushBody::Xml(xml) => Node::parse_xml(xml.as_bytes()),
        PushBody::Json(json) => Node::parse_json(json.as_bytes()),
    }
}

/// A copy of `node` whose top-level child `name` is replaced (`Some`) or removed (`None`).
fn with_child(node: &Node, name: &str, text: Option<&str>) -> Node {
    let children = node
        .children()
        .iter()
        .filter_map(|c| match (c.name() == name, text) {
            (false, _) => Some(c.clone()),
            (true, Some(t)) => Some(Node::leaf(name, t)),
            (true, None) => None,
        })
        .collect();
    Node::parent(node.name(), children)
}

#[test]
fn every_message_example_decodes_to_its_expect() {
    let Some(push) = spec_push() else { return };
    let mut failures = Vec::new();
    let mut decoded = 0;
    for m in &push.messages {
        if m.examples.is_empty() {
            failures.push(format!(
                "{} ({}) has no [[message.example]]",
                m.rust, m.source
            ));
        }
        for ex in &m.examples {
            decoded += 1;
            let outcome = parse(&ex.body).and_then(|node| Message::decode(&node));
            let msg = match outcome {
                Ok(msg) => msg,
                Err(e) => {
                    failures.push(format!("{} / {}: {e}", m.rust, ex.name));
                    continue;
                }
            };
            if msg.kind() != m.rust {
                failures.push(format!(
                    "{} / {}: decoded as {}",
                    m.rust,
                    ex.name,
                    msg.kind()
                ));
                continue;
            }
            let got = serde_json::to_value(&msg).expect("a message serializes");
            let want = json!({ m.rust.as_str(): ex.expect });
            if got != want {
                failures.push(format!(
                    "{} / {}:\n  got  {got}\n  want {want}",
                    m.rust, ex.name
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {decoded} message examples failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_reply_example_renders_byte_for_byte() {
    let Some(push) = spec_push() else { return };
    let mut failures = Vec::new();
    for r in &push.replies {
        if r.examples.is_empty() {
            failures.push(format!(
                "{} ({}) has no [[reply.example]]",
                r.rust, r.source
            ));
        }
        for ex in &r.examples {
            let reply: Reply = match serde_json::from_value(json!({ r.rust.as_str(): ex.value })) {
                Ok(reply) => reply,
                Err(e) => {
                    failures.push(format!(
                        "{} / {}: value does not deserialize: {e}",
                        r.rust, ex.name
                    ));
                    continue;
                }
            };
            if let Err(e) = reply.check() {
                failures.push(format!("{} / {}: check failed: {e}", r.rust, ex.name));
            }
            let xml = render_reply(&reply, Format::Xml, "toUser", "fromUser", 12345678);
            if xml.as_deref() != Some(ex.xml.as_str()) {
                failures.push(format!(
                    "{} / {}:\n  got  {xml:?}\n  want {:?}",
                    r.rust, ex.name, ex.xml
                ));
            }
            let json = render_reply(&reply, Format::Json, "toUser", "fromUser", 12345678)
                .expect("a typed reply has a body");
            match serde_json::from_str::<Value>(&json) {
                Ok(v) if v["MsgType"] == r.msg_type.as_str() => {}
                other => failures.push(format!(
                    "{} / {}: JSON reply {json} is not an object with MsgType: {other:?}",
                    r.rust, ex.name
                )),
            }
            let back = serde_json::to_value(&reply).expect("a reply serializes");
            if serde_json::from_value::<Reply>(back).ok().as_ref() != Some(&reply) {
                failures.push(format!(
                    "{} / {}: serde round trip differs",
                    r.rust, ex.name
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn an_unknown_type_is_kept_whole() {
    for xml in [
        "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><MsgType><![CDATA[no_such_type]]></MsgType><Extra>42</Extra></xml>",
        "<xml><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[no_such_event]]></Event><Extra>42</Extra></xml>",
        "<xml><Extra>42</Extra></xml>",
    ] {
        let node = Node::parse_xml(xml.as_bytes()).expect("well-formed");
        let msg = Message::decode(&node).expect("an unknown type is not an error");
        assert_eq!(msg.kind(), "Unknown", "{xml}");
        assert_eq!(msg, Message::Unknown(Unknown::new(node.clone())));
        let Message::Unknown(unknown) = msg else {
            unreachable!("kind() said Unknown")
        };
        assert_eq!(unknown.get("Extra"), Some("42"));
    }
}

#[test]
fn header_values_match_ignoring_ascii_case() {
    let Some(push) = spec_push() else { return };
    let mut checked = 0;
    for m in &push.messages {
        let Some(ex) = m.examples.first() else {
            continue;
        };
        let node = parse(&ex.body).expect("examples parse");
        let mut shouted = node.clone();
        for (key, value) in &m.matches {
            let padded = format!(" {} ", value.to_ascii_uppercase());
            shouted = with_child(&shouted, key, Some(&padded));
        }
        let msg = Message::decode(&shouted).expect("decodes");
        assert_eq!(msg.kind(), m.rust, "{} / {}", m.rust, ex.name);
        checked += 1;
    }
    assert!(checked > 0);
}

fn required_scalar(fields: &[PushField]) -> impl Iterator<Item = &PushField> {
    fields
        .iter()
        .filter(|f| f.required && !matches!(f.ty, PushTy::List(_)))
}

#[test]
fn a_missing_required_field_is_a_decode_error_naming_it() {
    let Some(push) = spec_push() else { return };
    let mut checked = 0;
    for m in &push.messages {
        let Some(ex) = m.examples.first() else {
            continue;
        };
        let node = parse(&ex.body).expect("examples parse");
        for f in required_scalar(&m.fields) {
            let err = Message::decode(&with_child(&node, &f.wire, None))
                .expect_err("a required field is missing");
            match err {
                PushError::Decode { message, field } => {
                    assert_eq!(message, m.struct_name);
                    assert_eq!(field.path, f.wire);
                    assert_eq!(field.reason, "missing");
                }
                other => panic!("{} without {}: {other}", m.rust, f.wire),
            }
            checked += 1;
        }
    }
    assert!(checked > 0, "no message has a required field");
}

#[test]
fn a_malformed_number_is_a_decode_error() {
    let Some(push) = spec_push() else { return };
    let mut checked = 0;
    for m in &push.messages {
        let Some(ex) = m.examples.first() else {
            continue;
        };
        let node = parse(&ex.body).expect("examples parse");
        let numeric = required_scalar(&m.fields)
            .find(|f| matches!(f.ty, PushTy::I64 | PushTy::U64 | PushTy::U32 | PushTy::F64));
        let Some(f) = numeric else { continue };
        let err =
            Message::decode(&with_child(&node, &f.wire, Some("twelve"))).expect_err("not a number");
        assert!(
            matches!(&err, PushError::Decode { field, .. } if field.path == f.wire && field.reason.contains("twelve")),
            "{err}"
        );
        assert!(err.to_string().contains(&m.struct_name), "{err}");
        checked += 1;
    }
    assert!(checked > 0, "no message has a required number");
}

#[test]
fn reply_limits_are_checked_in_bytes_and_items() {
    let Some(push) = spec_push() else { return };
    let (mut bytes, mut items) = (0, 0);
    for r in &push.replies {
        let Some(ex) = r.examples.first() else {
            continue;
        };
        for f in &r.fields {
            let mut over = ex.value.clone();
            let mut at = ex.value.clone();
            if let Some(max) = f.max_bytes {
                let max = max as usize;
                // Fewer characters than the limit, more bytes: the limit is in UTF-8 bytes.
                over[&f.rust] = json!("中".repeat(max / 3 + 1));
                at[&f.rust] = json!("a".repeat(max));
                bytes += 1;
            } else if let Some(max) = f.max_items {
                let Some(first) = ex.value[&f.rust].get(0).cloned() else {
                    continue;
                };
                over[&f.rust] = Value::Array(vec![first.clone(); max as usize + 1]);
                at[&f.rust] = Value::Array(vec![first; max as usize]);
                items += 1;
            } else {
                continue;
            }
            let reply = |v: Value| -> Reply {
                serde_json::from_value(json!({ r.rust.as_str(): v })).expect("deserializes")
            };
            let err = reply(over).check().expect_err("over the limit");
            assert!(
                err.contains(&f.wire) && err.contains(&r.struct_name),
                "{err}"
            );
            assert_eq!(
                reply(at).check(),
                Ok(()),
                "{} at its {} limit",
                r.rust,
                f.wire
            );
        }
    }
    assert!(bytes > 0, "no reply declares max_bytes");
    assert!(items > 0, "no reply declares max_items");
}

#[test]
fn success_has_no_body() {
    assert_eq!(Reply::success(), Reply::Success);
    assert_eq!(Reply::Success.msg_type(), None);
    assert_eq!(Reply::Success.check(), Ok(()));
    assert_eq!(
        render_reply(&Reply::Success, Format::Xml, "u", "a", 1),
        None
    );
    assert_eq!(
        serde_json::to_value(Reply::Success).unwrap(),
        json!("Success")
    );
}

#[test]
fn constructors_fill_required_strings() {
    let reply = Reply::text("hi");
    assert_eq!(reply.msg_type(), Some("text"));
    assert_eq!(
        reply,
        Reply::from(weixin::push::TextReply {
            content: "hi".into()
        })
    );
    let xml = render_reply(&Reply::image("MEDIA"), Format::Xml, "u", "a", 1).expect("a body");
    assert!(
        xml.ends_with("<Image><MediaId><![CDATA[MEDIA]]></MediaId></Image></xml>"),
        "{xml}"
    );
}
