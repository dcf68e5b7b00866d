//! The parsed form of a push: an element tree read from XML or JSON, never from a DTD.

use quick_xml::Reader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;
use serde::Serialize;

use super::PushError;

/// The deepest element nesting accepted; WeChat's pushes are at most four levels deep.
const MAX_DEPTH: usize = 16;
/// The most elements accepted in one push.
const MAX_NODES: usize = 10_000;

/// One element of a push: its name, its text and its child elements.
///
/// XML `<xml><Content><![CDATA[hi]]></Content></xml>` and JSON `{"Content":"hi"}` give the
/// same tree: a root named `xml` with one child `Content` whose text is `hi`. A JSON array
/// under a key becomes that key repeated; numbers and booleans become their literal text.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Node {
    name: String,
    text: String,
    children: Vec<Node>,
}

impl Node {
    /// A leaf element with text.
    pub fn leaf(name: impl Into<String>, text: impl Into<String>) -> Self {
        Node {
            name: name.into(),
            text: text.into(),
            children: Vec::new(),
        }
    }

    /// An element with children and no text.
    pub fn parent(name: impl Into<String>, children: Vec<Node>) -> Self {
        Node {
            name: name.into(),
            text: String::new(),
            children,
        }
    }

    /// The element name (`xml` for the root).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The text of the element, exactly as sent (CDATA unwrapped, entities resolved).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The child elements, in document order.
    pub fn children(&self) -> &[Node] {
        &self.children
    }

    /// The first child element with this name.
    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Every child element with this name, in document order.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The text of the first child element with this name.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.child(name).map(Node::text)
    }

    /// Parses an XML push. DTDs are refused and only the five predefined entities and
    /// character references are resolved, so no entity is ever expanded from the input.
    pub fn parse_xml(input: &[u8]) -> Result<Node, PushError> {
        let mut reader = Reader::from_reader(input);
        reader.config_mut().check_end_names = true;
        let mut stack: Vec<Node> = Vec::new();
        let mut root: Option<Node> = None;
        let mut count = 0usize;
        loop {
            let event = reader.read_event().map_err(|e| xml_error(e.to_string()))?;
            match event {
                Event::Start(start) | Event::Empty(start) if root.is_some() => {
                    let _ = start;
                    return Err(xml_error("content after the root element"));
                }
                Event::Start(start) => {
                    count += 1;
                    if count > MAX_NODES || stack.len() >= MAX_DEPTH {
                        return Err(xml_error("too many or too deeply nested elements"));
                    }
                    stack.push(Node::parent(
                        element_name(start.name().as_ref())?,
                        Vec::new(),
                    ));
                }
                Event::Empty(start) => {
                    count += 1;
                    let node = Node::leaf(element_name(start.name().as_ref())?, "");
                    attach(&mut stack, &mut root, node)?;
                }
                Event::End(_) => {
                    let mut node = stack.pop().ok_or_else(|| xml_error("unbalanced end tag"))?;
                    if !node.children.is_empty() && node.text.trim().is_empty() {
                        node.text.clear();
                    }
                    attach(&mut stack, &mut root, node)?;
                }
                Event::Text(text) => {
                    let text = text.xml10_content().map_err(|e| xml_error(e.to_string()))?;
                    push_text(&mut stack, &text)?;
                }
                Event::CData(data) => {
                    let text = std::str::from_utf8(data.as_ref())
                        .map_err(|_| xml_error("CDATA is not UTF-8"))?;
                    push_text(&mut stack, text)?;
                }
                Event::GeneralRef(reference) => {
                    let resolved = if reference.is_char_ref() {
                        reference
                            .resolve_char_ref()
                            .map_err(|e| xml_error(e.to_string()))?
                            .ok_or_else(|| xml_error("invalid character reference"))?
                            .to_string()
                    } else {
                        let name = reference.decode().map_err(|e| xml_error(e.to_string()))?;
                        resolve_predefined_entity(&name)
                            .ok_or_else(|| xml_error(format!("undefined entity `&{name};`")))?
                            .to_owned()
                    };
                    push_text(&mut stack, &resolved)?;
                }
                Event::DocType(_) => return Err(xml_error("a DTD is not accepted in a push")),
                Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
                Event::Eof => break,
            }
        }
        if !stack.is_empty() {
            return Err(xml_error("the document ends inside an element"));
        }
        root.ok_or_else(|| xml_error("no root element"))
    }

    /// Parses a JSON push (Mini Program and WeCom JSON formats) into a root named `xml`.
    pub fn parse_json(input: &[u8]) -> Result<Node, PushError> {
        let value: serde_json::Value =
            serde_json::from_slice(input).map_err(|e| PushError::Syntax {
                format: "JSON",
                reason: e.to_string(),
            })?;
        let serde_json::Value::Object(map) = value else {
            return Err(PushError::Syntax {
                format: "JSON",
                reason: "the push is not a JSON object".into(),
            });
        };
        let mut root = Node::parent("xml", Vec::new());
        for (key, value) in map {
            json_into(&mut root.children, key, value, 1)?;
        }
        Ok(root)
    }
}

fn json_into(
    out: &mut Vec<Node>,
    key: String,
    value: serde_json::Value,
    depth: usize,
) -> Result<(), PushError> {
    use serde_json::Value;
    if depth > MAX_DEPTH {
        return Err(PushError::Syntax {
            format: "JSON",
            reason: "too deeply nested".into(),
        });
    }
    match value {
        Value::Null => {}
        Value::Bool(b) => out.push(Node::leaf(key, b.to_string())),
        Value::Number(n) => out.push(Node::leaf(key, n.to_string())),
        Value::String(s) => out.push(Node::leaf(key, s)),
        Value::Array(items) => {
            for item in items {
                json_into(out, key.clone(), item, depth + 1)?;
            }
        }
        Value::Object(map) => {
            let mut node = Node::parent(key, Vec::new());
            for (k, v) in map {
                json_into(&mut node.children, k, v, depth + 1)?;
            }
            out.push(node);
        }
    }
    Ok(())
}

fn element_name(raw: &[u8]) -> Result<String, PushError> {
    std::str::from_utf8(raw)
        .map(str::to_owned)
        .map_err(|_| xml_error("an element name is not UTF-8"))
}

fn attach(stack: &mut [Node], root: &mut Option<Node>, node: Node) -> Result<(), PushError> {
    match stack.last_mut() {
        Some(parent) => parent.children.push(node),
        None if root.is_none() => *root = Some(node),
        None => return Err(xml_error("more than one root element")),
    }
    Ok(())
}

fn push_text(stack: &mut [Node], text: &str) -> Result<(), PushError> {
    match stack.last_mut() {
        Some(node) => node.text.push_str(text),
        None if text.trim().is_empty() => {}
        None => return Err(xml_error("text outside the root element")),
    }
    Ok(())
}

fn xml_error(reason: impl Into<String>) -> PushError {
    PushError::Syntax {
        format: "XML",
        reason: reason.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdata_entities_and_whitespace() {
        let xml =
            "<xml>\n <A><![CDATA[x]]]]><![CDATA[>y]]></A>\n <B>1 &lt; 2 &#x4e2d;</B><C/></xml>";
        let node = Node::parse_xml(xml.as_bytes()).unwrap();
        assert_eq!(node.name(), "xml");
        assert_eq!(node.text(), "");
        assert_eq!(node.get("A"), Some("x]]>y"));
        assert_eq!(node.get("B"), Some("1 < 2 中"));
        assert_eq!(node.get("C"), Some(""));
    }

    #[test]
    fn refuses_dtds_and_custom_entities() {
        let xxe = r#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xml><A>&e;</A></xml>"#;
        assert!(matches!(
            Node::parse_xml(xxe.as_bytes()),
            Err(PushError::Syntax { .. })
        ));
        let custom = "<xml><A>&e;</A></xml>";
        let err = Node::parse_xml(custom.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("undefined entity"), "{err}");
    }

    #[test]
    fn malformed_xml_is_an_error() {
        for bad in [
            "",
            "<xml>",
            "<xml><A></B></xml>",
            "<xml></xml><xml></xml>",
            "text<xml/>",
            "<xml><A>\u{0}</A>",
        ] {
            assert!(Node::parse_xml(bad.as_bytes()).is_err(), "{bad:?}");
        }
        assert!(Node::parse_xml(b"<xml><A>\xff</A></xml>").is_err());
        let deep = "<a>".repeat(MAX_DEPTH + 1) + &"</a>".repeat(MAX_DEPTH + 1);
        assert!(Node::parse_xml(deep.as_bytes()).is_err());
    }

    #[test]
    fn json_becomes_the_same_tree() {
        let json =
            br#"{"Content":"hi","CreateTime":1348831860,"List":[{"A":"1"},{"A":"2"}],"X":null}"#;
        let node = Node::parse_json(json).unwrap();
        assert_eq!(node.get("Content"), Some("hi"));
        assert_eq!(node.get("CreateTime"), Some("1348831860"));
        let list: Vec<_> = node.children_named("List").map(|n| n.get("A")).collect();
        assert_eq!(list, [Some("1"), Some("2")]);
        assert!(node.child("X").is_none());
        assert!(Node::parse_json(b"[1]").is_err());
        assert!(Node::parse_json(b"{").is_err());
    }
}
