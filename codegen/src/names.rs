//! The one place where Rust names are made: heck case conversion, glossary words, keyword
//! handling and identifier checks. Emitters never call heck.

use std::collections::BTreeMap;

use heck::{ToPascalCase, ToSnakeCase};

/// Rust keywords (strict and reserved, 2024 edition).
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
    "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "type",
    "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "try", "typeof", "unsized", "virtual", "yield",
];

/// Type names that would shadow std, the prelude, or names generated code relies on.
pub const RESERVED_TYPES: &[&str] = &[
    "Self",
    "Result",
    "Option",
    "Some",
    "None",
    "Ok",
    "Err",
    "String",
    "Vec",
    "Box",
    "Error",
    "Client",
    "Api",
    "Into",
    "From",
    "Default",
    "Clone",
    "Debug",
    "Copy",
    "Send",
    "Sync",
    "Sized",
    "Fn",
    "FnMut",
    "FnOnce",
    "Drop",
    "Iterator",
    "ToString",
    "ToOwned",
    "PartialEq",
    "Eq",
    "PartialOrd",
    "Ord",
    "Hash",
    "AsRef",
    "AsMut",
    "BTreeMap",
    "HashMap",
    "Value",
    "Endpoint",
    "Upload",
    "Binary",
    "Ack",
];

/// Whether `s` is a Rust keyword.
pub fn is_keyword(s: &str) -> bool {
    KEYWORDS.contains(&s)
}

/// Why a name could not be made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NameError {
    /// Not a valid identifier (empty, starts with a digit, odd characters).
    Invalid(String),
    /// An explicit `rust = "…"` name that is a keyword.
    Keyword(String),
}

/// Wire word -> Rust word(s), from `glossary.toml`.
#[derive(Clone, Debug, Default)]
pub struct Glossary {
    words: BTreeMap<String, String>,
}

impl Glossary {
    /// A glossary from (wire, rust) pairs.
    pub fn new(words: BTreeMap<String, String>) -> Self {
        Glossary { words }
    }

    /// The Rust snake-case name of a wire field name: whole-name glossary entry, else
    /// snake_case with each word replaced by its glossary entry; a trailing `_` if it is still a
    /// keyword.
    pub fn field(&self, wire: &str) -> Result<String, NameError> {
        let snake = self.snake_words(wire);
        let name = if is_keyword(&snake) {
            format!("{snake}_")
        } else {
            snake
        };
        check_snake(&name).map(|()| name)
    }

    /// A `UpperCamelCase` name from a wire word (enum values, union tags, endpoint ids).
    pub fn pascal(&self, wire: &str) -> Result<String, NameError> {
        let name = self.snake_words(wire).to_pascal_case();
        check_pascal(&name).map(|()| name)
    }

    fn snake_words(&self, wire: &str) -> String {
        if let Some(w) = self.words.get(wire) {
            return w.clone();
        }
        let snake = wire.to_snake_case();
        snake
            .split('_')
            .filter(|w| !w.is_empty())
            .map(|w| self.words.get(w).map_or(w, String::as_str))
            .collect::<Vec<_>>()
            .join("_")
    }
}

/// Checks an explicit (`rust = "…"`) snake-case name.
pub fn explicit_snake(name: &str) -> Result<String, NameError> {
    if is_keyword(name) {
        return Err(NameError::Keyword(name.to_owned()));
    }
    check_snake(name).map(|()| name.to_owned())
}

/// Checks an explicit `UpperCamelCase` name.
pub fn explicit_pascal(name: &str) -> Result<String, NameError> {
    if is_keyword(name) {
        return Err(NameError::Keyword(name.to_owned()));
    }
    check_pascal(name).map(|()| name.to_owned())
}

/// Snake-case identifier of a directory name (module) or id (method).
pub fn snake(name: &str) -> Result<String, NameError> {
    let s = name.to_snake_case();
    let s = if is_keyword(&s) { format!("{s}_") } else { s };
    check_snake(&s).map(|()| s)
}

/// Field of the local body struct that holds the `i`-th fixed-value field of a JSON body.
pub fn fixed_slot(i: usize) -> String {
    format!("fixed_{i}")
}

/// Field of the local body struct that holds the (flattened) request itself.
pub const FIXED_REST: &str = "request";

/// Cargo feature of a group: `<product>-<group>` with `_` as `-`.
pub fn feature(product: &str, group: &str) -> String {
    format!("{}-{}", product.replace('_', "-"), group.replace('_', "-"))
}

fn check_snake(s: &str) -> Result<(), NameError> {
    let ok = s
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && s != "_"
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(NameError::Invalid(s.to_owned()))
    }
}

fn check_pascal(s: &str) -> Result<(), NameError> {
    let ok = s.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && s.chars().all(|c| c.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(NameError::Invalid(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glossary() -> Glossary {
        let mut m = BTreeMap::new();
        m.insert("openid".into(), "open_id".into());
        m.insert("tagid_list".into(), "tag_ids".into());
        m.insert("type".into(), "kind".into());
        Glossary::new(m)
    }

    #[test]
    fn fields() {
        let g = glossary();
        assert_eq!(g.field("openid").unwrap(), "open_id");
        assert_eq!(g.field("next_openid").unwrap(), "next_open_id");
        assert_eq!(g.field("tagid_list").unwrap(), "tag_ids");
        assert_eq!(g.field("type").unwrap(), "kind");
        assert_eq!(g.field("match").unwrap(), "match_");
        assert_eq!(g.field("subscribeTime").unwrap(), "subscribe_time");
        assert!(matches!(g.field("1st"), Err(NameError::Invalid(_))));
        assert!(matches!(g.field(""), Err(NameError::Invalid(_))));
    }

    #[test]
    fn pascal_and_explicit() {
        let g = glossary();
        assert_eq!(g.pascal("zh_CN").unwrap(), "ZhCn");
        assert_eq!(g.pascal("get_user_info").unwrap(), "GetUserInfo");
        assert_eq!(g.pascal("openid").unwrap(), "OpenId");
        assert!(g.pascal("1").is_err());
        assert_eq!(explicit_snake("kind").unwrap(), "kind");
        assert_eq!(
            explicit_snake("type"),
            Err(NameError::Keyword("type".into()))
        );
        assert!(explicit_pascal("lower").is_err());
        assert_eq!(
            feature("offiaccount", "custom_service"),
            "offiaccount-custom-service"
        );
        assert_eq!(snake("mod").unwrap(), "mod_");
    }

    #[test]
    fn fixed_body_slots_are_valid_and_distinct() {
        let slots: Vec<String> = (0..3).map(fixed_slot).collect();
        for s in slots.iter().map(String::as_str).chain([FIXED_REST]) {
            assert_eq!(explicit_snake(s).as_deref(), Ok(s));
        }
        assert!(!slots.iter().any(|s| s == FIXED_REST));
        assert_eq!(slots[1], "fixed_1");
    }
}
