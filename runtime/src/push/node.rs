//! The parsed form of a push: an element tree read from XML or JSON, never from a DTD.
//!
//! A tree parsed from XML keeps the document once, shared by every node (`Arc<str>`): names, and
//! texts sent as one run without entities, are ranges of it. Only text that had to be rebuilt
//! (entities resolved, several CDATA sections joined, line ends normalised) is held apart.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use serde::ser::{Serialize, SerializeStruct, Serializer};

use super::PushError;
use super::xml::{self, MAX_DEPTH, Sink, Span};

/// Where a node's text is.
#[derive(Clone)]
enum Text {
    /// A range of the source.
    In(Span),
    /// Rebuilt text, held by the node.
    Own(Box<str>),
}

/// One element of a push: its name, its text and its child elements.
///
/// XML `<xml><Content><![CDATA[hi]]></Content></xml>` and JSON `{"Content":"hi"}` give the
/// same tree: a root named `xml` with one child `Content` whose text is `hi`. A JSON array
/// under a key becomes that key repeated; numbers and booleans become their literal text.
#[derive(Clone)]
pub struct Node {
    /// The text `name` (and `text`, when [`Text::In`]) are ranges of.
    src: Arc<str>,
    name: Span,
    text: Text,
    children: Vec<Node>,
}

impl Node {
    /// A leaf element with text.
    pub fn leaf(name: impl Into<String>, text: impl Into<String>) -> Self {
        let name: String = name.into();
        let text: String = text.into();
        Node {
            name: Span::whole(name.len()),
            src: Arc::from(name),
            text: Text::Own(text.into_boxed_str()),
            children: Vec::new(),
        }
    }

    /// An element with children and no text.
    pub fn parent(name: impl Into<String>, children: Vec<Node>) -> Self {
        let name: String = name.into();
        Node {
            name: Span::whole(name.len()),
            src: Arc::from(name),
            text: Text::In(Span::EMPTY),
            children,
        }
    }

    /// The element name (`xml` for the root).
    pub fn name(&self) -> &str {
        self.slice(self.name)
    }

    /// The text of the element, exactly as sent (CDATA unwrapped, entities resolved).
    pub fn text(&self) -> &str {
        match &self.text {
            Text::In(span) => self.slice(*span),
            Text::Own(text) => text,
        }
    }

    /// The child elements, in document order.
    pub fn children(&self) -> &[Node] {
        &self.children
    }

    /// The first child element with this name.
    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name() == name)
    }

    /// Every child element with this name, in document order.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name() == name)
    }

    /// The text of the first child element with this name.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.child(name).map(Node::text)
    }

    /// Parses an XML push. DTDs are refused and only the five predefined entities and
    /// character references are resolved, so no entity is ever expanded from the input.
    pub fn parse_xml(input: &[u8]) -> Result<Node, PushError> {
        let src: Arc<str> = Arc::from(xml::as_text(input)?);
        let mut builder = Builder {
            src: &src,
            stack: Vec::with_capacity(4),
            root: None,
        };
        xml::walk(&src, &mut builder)?;
        builder.root.ok_or_else(|| xml::error("no root element"))
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

    /// The text of `span` (empty should it not lie on character boundaries, which the
    /// constructors rule out).
    fn slice(&self, span: Span) -> &str {
        span.of(&self.src)
    }
}

impl PartialEq for Node {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
            && self.text() == other.text()
            && self.children == other.children
    }
}

impl Eq for Node {}

impl Default for Node {
    /// An element with an empty name, no text and no children.
    fn default() -> Self {
        Node::parent(String::new(), Vec::new())
    }
}

impl fmt::Debug for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Node")
            .field("name", &self.name())
            .field("text", &self.text())
            .field("children", &self.children)
            .finish()
    }
}

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut node = serializer.serialize_struct("Node", 3)?;
        node.serialize_field("name", self.name())?;
        node.serialize_field("text", self.text())?;
        node.serialize_field("children", &self.children)?;
        node.end()
    }
}

/// The text gathered so far for an open element.
enum Gathered {
    None,
    In(Span),
    Own(String),
}

/// An element whose end tag is still to come.
struct Open {
    name: Span,
    text: Gathered,
    children: Vec<Node>,
}

/// Builds a tree from the XML events of `src`.
struct Builder<'s> {
    src: &'s Arc<str>,
    stack: Vec<Open>,
    root: Option<Node>,
}

impl<'s> Sink<'s> for Builder<'s> {
    fn open(&mut self, name: Span) {
        self.stack.push(Open {
            name,
            text: Gathered::None,
            children: Vec::new(),
        });
    }

    fn text(&mut self, piece: Cow<'s, str>, span: Option<Span>) {
        let src: &str = self.src;
        let Some(open) = self.stack.last_mut() else {
            return;
        };
        open.text = match (std::mem::replace(&mut open.text, Gathered::None), span) {
            (Gathered::None, Some(span)) => Gathered::In(span),
            (Gathered::None, None) => Gathered::Own(piece.into_owned()),
            (Gathered::In(first), _) => {
                let first = first.of(src);
                let mut text = String::with_capacity(first.len() + piece.len());
                text.push_str(first);
                text.push_str(&piece);
                Gathered::Own(text)
            }
            (Gathered::Own(mut text), _) => {
                text.push_str(&piece);
                Gathered::Own(text)
            }
        };
    }

    fn close(&mut self) -> Result<(), PushError> {
        let open = self
            .stack
            .pop()
            .ok_or_else(|| xml::error("unbalanced end tag"))?;
        let text = match open.text {
            Gathered::None => Text::In(Span::EMPTY),
            Gathered::In(span) => Text::In(span),
            Gathered::Own(text) => Text::Own(text.into_boxed_str()),
        };
        let mut node = Node {
            src: Arc::clone(self.src),
            name: open.name,
            text,
            children: open.children,
        };
        if !node.children.is_empty() && node.text().trim().is_empty() {
            node.text = Text::In(Span::EMPTY);
        }
        match self.stack.last_mut() {
            Some(parent) => parent.children.push(node),
            None if self.root.is_none() => self.root = Some(node),
            None => return Err(xml::error("more than one root element")),
        }
        Ok(())
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
    fn texts_are_ranges_of_the_document_or_rebuilt() {
        let xml = "<xml><A>plain</A><B>x &amp; y</B><C><![CDATA[1]]><![CDATA[2]]></C><D>a\r\nb</D>\n<E> </E></xml>";
        let node = Node::parse_xml(xml.as_bytes()).unwrap();
        assert!(matches!(node.child("A").unwrap().text, Text::In(_)));
        assert_eq!(node.get("A"), Some("plain"));
        assert_eq!(node.get("B"), Some("x & y"));
        assert_eq!(node.get("C"), Some("12"));
        assert_eq!(node.get("D"), Some("a\nb"), "line ends are normalised");
        assert_eq!(node.get("E"), Some(" "), "a leaf keeps its whitespace");
        let mixed = Node::parse_xml(b"<xml>\n<A/>x\n</xml>").unwrap();
        assert_eq!(mixed.text(), "\nx\n", "mixed content keeps all of its text");
    }

    #[test]
    fn parsed_and_built_trees_compare_serialize_and_print_alike() {
        let parsed = Node::parse_xml("<xml><A>1</A><L><i>中</i></L></xml>".as_bytes()).unwrap();
        let built = Node::parent(
            "xml",
            vec![
                Node::leaf("A", "1"),
                Node::parent("L", vec![Node::leaf("i", "中")]),
            ],
        );
        assert_eq!(parsed, built);
        assert_eq!(
            serde_json::to_value(&parsed).unwrap(),
            serde_json::json!({"name": "xml", "text": "", "children": [
                {"name": "A", "text": "1", "children": []},
                {"name": "L", "text": "", "children": [{"name": "i", "text": "中", "children": []}]},
            ]})
        );
        assert_eq!(format!("{parsed:?}"), format!("{built:?}"));
        assert!(format!("{parsed:?}").starts_with("Node { name: \"xml\", text: \"\", children: ["));
        assert_ne!(parsed, Node::default());
        assert_eq!(Node::default().name(), "");
    }

    #[test]
    fn truncated_and_oversized_documents_are_errors() {
        let full = "<xml><A><![CDATA[abc]]></A><B>&lt;</B></xml>";
        for end in 0..full.len() {
            let result = Node::parse_xml(&full.as_bytes()[..end]);
            assert!(
                matches!(result, Err(PushError::Syntax { .. })),
                "{:?}",
                &full[..end]
            );
        }
        let wide = format!("<xml>{}</xml>", "<a/>".repeat(crate::push::xml::MAX_NODES));
        let err = Node::parse_xml(wide.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("too many"), "{err}");
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
