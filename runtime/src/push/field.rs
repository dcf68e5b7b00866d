//! Reading typed fields out of a [`Node`]; the generated push types are built from these.

use std::fmt;

use super::Node;

/// A field that is missing or does not parse, with its path from the push root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Where, e.g. `SendPicsInfo/PicList/item[1]/PicMd5Sum`.
    pub path: String,
    /// What is wrong with it.
    pub reason: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: {}", self.path, self.reason)
    }
}

impl FieldError {
    fn new(path: &str, reason: impl Into<String>) -> Self {
        FieldError {
            path: path.to_owned(),
            reason: reason.into(),
        }
    }

    fn under(mut self, parent: &str) -> Self {
        self.path = if self.path.is_empty() {
            parent.to_owned()
        } else {
            format!("{parent}/{}", self.path)
        };
        self
    }
}

/// A value that can be read from one element of a push.
pub trait FromNode: Sized {
    /// Reads the value from `node`. Errors carry a path relative to `node`.
    fn from_node(node: &Node) -> Result<Self, FieldError>;
}

impl FromNode for String {
    fn from_node(node: &Node) -> Result<Self, FieldError> {
        Ok(node.text().to_owned())
    }
}

macro_rules! from_text {
    ($($ty:ty => $what:literal),* $(,)?) => {$(
        impl FromNode for $ty {
            fn from_node(node: &Node) -> Result<Self, FieldError> {
                node.text()
                    .trim()
                    .parse()
                    .map_err(|_| FieldError::new("", format!("expected {}, found {:?}", $what, node.text())))
            }
        }
    )*};
}

from_text!(i64 => "an integer", u64 => "an unsigned integer", u32 => "an unsigned integer", f64 => "a number");

impl FromNode for bool {
    fn from_node(node: &Node) -> Result<Self, FieldError> {
        match node.text().trim() {
            "1" | "true" | "TRUE" | "True" => Ok(true),
            "0" | "false" | "FALSE" | "False" => Ok(false),
            other => Err(FieldError::new(
                "",
                format!("expected 0/1 or true/false, found {other:?}"),
            )),
        }
    }
}

/// A field that must be present.
pub fn required<T: FromNode>(node: &Node, name: &str) -> Result<T, FieldError> {
    let child = node
        .child(name)
        .ok_or_else(|| FieldError::new(name, "missing"))?;
    T::from_node(child).map_err(|e| e.under(name))
}

/// A field that may be absent. An empty numeric element counts as absent.
pub fn optional<T: FromNode>(node: &Node, name: &str) -> Result<Option<T>, FieldError> {
    match node.child(name) {
        None => Ok(None),
        Some(child) if child.children().is_empty() && child.text().trim().is_empty() => {
            // `<Ticket></Ticket>` means "no value"; strings keep it as "".
            match T::from_node(child) {
                Ok(value) => Ok(Some(value)),
                Err(_) => Ok(None),
            }
        }
        Some(child) => T::from_node(child).map(Some).map_err(|e| e.under(name)),
    }
}

/// A list: the element `name` repeated (`item == None`), or a wrapper `name` holding repeated
/// `item` elements. Absent means empty.
pub fn list<T: FromNode>(
    node: &Node,
    name: &str,
    item: Option<&str>,
) -> Result<Vec<T>, FieldError> {
    let read = |(i, child): (usize, &Node), path: &str| {
        T::from_node(child).map_err(|e| e.under(&format!("{path}[{i}]")))
    };
    match item {
        None => node
            .children_named(name)
            .enumerate()
            .map(|entry| read(entry, name))
            .collect(),
        Some(item) => {
            let Some(wrapper) = node.child(name) else {
                return Ok(Vec::new());
            };
            let path = format!("{name}/{item}");
            wrapper
                .children_named(item)
                .enumerate()
                .map(|entry| read(entry, &path))
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push(xml: &str) -> Node {
        Node::parse_xml(xml.as_bytes()).unwrap()
    }

    #[test]
    fn reads_typed_fields() {
        let node = push("<xml><N> 42 </N><F>23.1</F><B>1</B><S><![CDATA[ a ]]></S><E></E></xml>");
        assert_eq!(required::<u64>(&node, "N"), Ok(42));
        assert_eq!(required::<f64>(&node, "F"), Ok(23.1));
        assert_eq!(required::<bool>(&node, "B"), Ok(true));
        assert_eq!(required::<String>(&node, "S").unwrap(), " a ");
        assert_eq!(optional::<u64>(&node, "E"), Ok(None));
        assert_eq!(optional::<String>(&node, "E"), Ok(Some(String::new())));
        assert_eq!(optional::<u64>(&node, "Missing"), Ok(None));
    }

    #[test]
    fn errors_name_the_path() {
        let node = push("<xml><N>x</N><L><item><V>1</V></item><item><V>y</V></item></L></xml>");
        let err = required::<u64>(&node, "N").unwrap_err();
        assert_eq!(err.path, "N");
        assert!(err.reason.contains("\"x\""));
        assert_eq!(
            required::<u64>(&node, "M").unwrap_err().to_string(),
            "`M`: missing"
        );

        struct V(u64);
        impl FromNode for V {
            fn from_node(node: &Node) -> Result<Self, FieldError> {
                required(node, "V").map(V)
            }
        }
        let err = list::<V>(&node, "L", Some("item")).err().unwrap();
        assert_eq!(err.path, "L/item[1]/V");
        let node = push("<xml><L><V>1</V></L><L><V>2</V></L></xml>");
        let values: Vec<u64> = list::<V>(&node, "L", None)
            .unwrap()
            .into_iter()
            .map(|v| v.0)
            .collect();
        assert_eq!(values, [1, 2]);
        assert!(list::<V>(&node, "Absent", Some("item")).unwrap().is_empty());
    }
}
