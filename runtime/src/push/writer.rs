//! Writing a passive reply as XML (CDATA-escaped) or as JSON.

use std::fmt::Write as _;

/// The body format of a reply: what the push came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `<xml>…</xml>`, the default for every product.
    Xml,
    /// A JSON object, for Mini Program and WeCom pushes configured as JSON.
    Json,
}

/// Writes the fields of a reply; generated reply types call it in spec order.
#[derive(Debug)]
pub struct ReplyWriter {
    format: Format,
    out: String,
    /// Per open JSON object or array: whether a member was written yet.
    json_first: Vec<bool>,
}

impl ReplyWriter {
    /// Starts a reply body: `<xml>` or `{`.
    pub fn new(format: Format) -> Self {
        let mut writer = ReplyWriter {
            format,
            out: String::with_capacity(512),
            json_first: Vec::new(),
        };
        match format {
            Format::Xml => writer.out.push_str("<xml>"),
            Format::Json => {
                writer.out.push('{');
                writer.json_first.push(true);
            }
        }
        writer
    }

    /// The format being written.
    pub fn format(&self) -> Format {
        self.format
    }

    /// A text field: CDATA in XML (a `]]>` inside is split across two sections), a JSON string.
    /// Characters XML 1.0 forbids (control characters other than tab, CR, LF) are dropped.
    pub fn string(&mut self, name: &str, value: &str) {
        match self.format {
            Format::Xml => {
                self.open_tag(name);
                self.out.push_str("<![CDATA[");
                if needs_cdata_care(value) {
                    for (i, part) in value.split("]]>").enumerate() {
                        if i > 0 {
                            self.out.push_str("]]]]><![CDATA[>");
                        }
                        self.out
                            .extend(part.chars().filter(|&c| !is_forbidden_in_xml(c)));
                    }
                } else {
                    self.out.push_str(value);
                }
                self.out.push_str("]]>");
                self.close_tag(name);
            }
            Format::Json => {
                self.json_key(name);
                // Serializing a str into a String cannot fail.
                let _ = serde_json::to_writer(string_sink(&mut self.out), value);
            }
        }
    }

    /// An integer field, written bare.
    pub fn int(&mut self, name: &str, value: i64) {
        match self.format {
            Format::Xml => {
                self.open_tag(name);
                let _ = write!(self.out, "{value}");
                self.close_tag(name);
            }
            Format::Json => {
                self.json_key(name);
                let _ = write!(self.out, "{value}");
            }
        }
    }

    /// Opens a nested element (XML) or object (JSON) named `name`.
    pub fn begin(&mut self, name: &str) {
        match self.format {
            Format::Xml => self.open_tag(name),
            Format::Json => {
                self.json_key(name);
                self.out.push('{');
                self.json_first.push(true);
            }
        }
    }

    /// Closes what the matching [`begin`](Self::begin) opened.
    pub fn end(&mut self, name: &str) {
        match self.format {
            Format::Xml => self.close_tag(name),
            Format::Json => {
                self.json_first.pop();
                self.out.push('}');
            }
        }
    }

    /// Opens a list named `name`: a wrapper element in XML, an array in JSON.
    pub fn begin_list(&mut self, name: &str) {
        match self.format {
            Format::Xml => self.open_tag(name),
            Format::Json => {
                self.json_key(name);
                self.out.push('[');
                self.json_first.push(true);
            }
        }
    }

    /// Closes a list.
    pub fn end_list(&mut self, name: &str) {
        match self.format {
            Format::Xml => self.close_tag(name),
            Format::Json => {
                self.json_first.pop();
                self.out.push(']');
            }
        }
    }

    /// Opens one list item: `<item>` in XML, an object in JSON.
    pub fn begin_item(&mut self, item: &str) {
        match self.format {
            Format::Xml => self.open_tag(item),
            Format::Json => {
                self.json_comma();
                self.out.push('{');
                self.json_first.push(true);
            }
        }
    }

    /// Closes one list item.
    pub fn end_item(&mut self, item: &str) {
        self.end(item);
    }

    /// Closes the body and returns it.
    pub fn finish(mut self) -> String {
        match self.format {
            Format::Xml => self.out.push_str("</xml>"),
            Format::Json => self.out.push('}'),
        }
        self.out
    }

    fn open_tag(&mut self, name: &str) {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
    }

    fn close_tag(&mut self, name: &str) {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    fn json_key(&mut self, name: &str) {
        self.json_comma();
        let _ = serde_json::to_writer(string_sink(&mut self.out), name);
        self.out.push(':');
    }

    fn json_comma(&mut self) {
        if let Some(first) = self.json_first.last_mut() {
            if !*first {
                self.out.push(',');
            }
            *first = false;
        }
    }
}

/// Whether `value` holds `]]>` or a character XML forbids, so it cannot be copied into a CDATA
/// section as it is. Checked on bytes: the forbidden characters are ASCII controls and
/// U+FFFE/U+FFFF (`EF BF BE`/`EF BF BF`).
fn needs_cdata_care(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes.iter().enumerate().any(|(i, &b)| match b {
        b'\t' | b'\n' | b'\r' => false,
        0..=0x1f => true,
        b']' => bytes[i..].starts_with(b"]]>"),
        0xEF => matches!(bytes.get(i + 1..i + 3), Some([0xBF, 0xBE | 0xBF])),
        _ => false,
    })
}

fn is_forbidden_in_xml(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
}

/// An `io::Write` that appends to a `String`; serde_json only ever writes valid UTF-8.
fn string_sink(out: &mut String) -> StringSink<'_> {
    StringSink(out)
}

struct StringSink<'a>(&'a mut String);

impl std::io::Write for StringSink<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = std::str::from_utf8(buf)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        self.0.push_str(text);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::push::Node;

    #[test]
    fn cdata_survives_a_round_trip() {
        for content in [
            "a]]>b",
            "]]>",
            "]]]]>>",
            "<&>\"'",
            "中文\n\ttab",
            "x\u{1}y",
            "a\u{fffe}b\u{ffff}c\u{fffd}",
            "plain ] ]] > text",
        ] {
            let mut w = ReplyWriter::new(Format::Xml);
            w.string("Content", content);
            let xml = w.finish();
            let parsed = Node::parse_xml(xml.as_bytes()).unwrap();
            let expected: String = content
                .chars()
                .filter(|&c| !is_forbidden_in_xml(c))
                .collect();
            assert_eq!(parsed.get("Content"), Some(expected.as_str()), "{xml}");
        }
    }

    #[test]
    fn only_unsafe_text_takes_the_careful_path() {
        for safe in ["", "plain", "中文\r\n\t", "]]", "] ]>", "\u{fffd}\u{fffc}"] {
            assert!(!needs_cdata_care(safe), "{safe:?}");
        }
        for unsafe_text in ["]]>", "a\u{0}", "\u{1f}", "\u{b}", "\u{fffe}", "x\u{ffff}"] {
            assert!(needs_cdata_care(unsafe_text), "{unsafe_text:?}");
        }
    }

    #[test]
    fn writes_nested_xml_and_json() {
        for (format, expected) in [
            (
                Format::Xml,
                "<xml><N>2</N><Articles><item><T><![CDATA[a]]></T></item><item><T><![CDATA[b]]></T></item></Articles><W><K><![CDATA[k]]></K></W></xml>",
            ),
            (
                Format::Json,
                r#"{"N":2,"Articles":[{"T":"a"},{"T":"b"}],"W":{"K":"k"}}"#,
            ),
        ] {
            let mut w = ReplyWriter::new(format);
            w.int("N", 2);
            w.begin_list("Articles");
            for t in ["a", "b"] {
                w.begin_item("item");
                w.string("T", t);
                w.end_item("item");
            }
            w.end_list("Articles");
            w.begin("W");
            w.string("K", "k");
            w.end("W");
            assert_eq!(w.finish(), expected);
        }
    }
}
