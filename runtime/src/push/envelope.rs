//! Finding the encrypted text of a safe-mode XML push without building a tree.
//!
//! The envelope is `<xml><ToUserName>…</ToUserName><Encrypt>…</Encrypt></xml>` (some products
//! add fields). The whole document is still walked, so it is checked exactly as a parsed push
//! is ([`xml::walk`]); only the root's `Encrypt` child (`encrypt`, if there is none) is kept,
//! borrowed from the body when it is one run of text.

use std::borrow::Cow;

use super::PushError;
use super::xml::{self, Sink, Span};

/// The names the encrypted text is looked for under, in order.
const NAMES: [&str; 2] = ["Encrypt", "encrypt"];
/// How an element of each of [`NAMES`] begins.
const OPENINGS: [&[u8]; 2] = [b"<Encrypt", b"<encrypt"];

/// The text of the envelope's `Encrypt` element, or `None` when it has none (a plain push).
///
/// Refused: a body that is not a well-formed push, an envelope with two `Encrypt` elements
/// (which one the signature covers would be ambiguous), and an `Encrypt` holding elements.
/// A body in which neither name follows a `<` has no such element and is not walked: it is
/// `None` at once, and checked when it is parsed as the push itself.
pub(crate) fn encrypt_text(body: &[u8]) -> Result<Option<Cow<'_, str>>, PushError> {
    if OPENINGS
        .iter()
        .all(|tag| memchr::memmem::find(body, tag).is_none())
    {
        return Ok(None);
    }
    let src = xml::as_text(body)?;
    let mut scan = Scan {
        src,
        depth: 0,
        current: None,
        found: [Found::default(), Found::default()],
    };
    xml::walk(src, &mut scan)?;
    for (name, found) in NAMES.iter().zip(scan.found) {
        match found.count {
            0 => continue,
            1 if found.has_children => {
                return Err(xml::error(format!("<{name}> holds elements, not text")));
            }
            1 => return Ok(Some(found.text.unwrap_or(Cow::Borrowed("")))),
            _ => {
                return Err(xml::error(format!(
                    "the envelope has more than one <{name}> element"
                )));
            }
        }
    }
    Ok(None)
}

/// What was seen of one of [`NAMES`] among the root's children.
#[derive(Default)]
struct Found<'s> {
    count: usize,
    /// The text of the first one.
    text: Option<Cow<'s, str>>,
    /// Whether the first one holds elements.
    has_children: bool,
}

struct Scan<'s> {
    src: &'s str,
    depth: usize,
    /// Which of [`NAMES`] the open child of the root is, if any.
    current: Option<usize>,
    found: [Found<'s>; 2],
}

impl<'s> Sink<'s> for Scan<'s> {
    fn open(&mut self, name: Span) {
        self.depth += 1;
        match self.depth {
            2 => {
                let name = name.of(self.src);
                self.current = NAMES.iter().position(|n| *n == name);
                if let Some(i) = self.current {
                    self.found[i].count += 1;
                }
            }
            3 => {
                if let Some(i) = self.current {
                    if self.found[i].count == 1 {
                        self.found[i].has_children = true;
                    }
                }
            }
            _ => {}
        }
    }

    fn text(&mut self, piece: Cow<'s, str>, _span: Option<Span>) {
        let Some(i) = self.current.filter(|_| self.depth == 2) else {
            return;
        };
        let found = &mut self.found[i];
        if found.count != 1 {
            return;
        }
        found.text = Some(match found.text.take() {
            None => piece,
            Some(first) => Cow::Owned(first.into_owned() + &piece),
        });
    }

    fn close(&mut self) -> Result<(), PushError> {
        if self.depth == 2 {
            self.current = None;
        }
        self.depth = self.depth.saturating_sub(1);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encrypt(body: &str) -> Result<Option<String>, PushError> {
        encrypt_text(body.as_bytes()).map(|found| found.map(Cow::into_owned))
    }

    fn refused(body: &str) -> String {
        match encrypt_text(body.as_bytes()) {
            Err(PushError::Syntax { format, reason }) => {
                assert_eq!(format, "XML");
                reason
            }
            other => panic!("{body:?} was not refused: {other:?}"),
        }
    }

    #[test]
    fn finds_the_encrypted_text_borrowed_when_it_can() {
        let body = "<xml>\n<ToUserName><![CDATA[gh_1]]></ToUserName>\n<Encrypt><![CDATA[a+b/c==]]></Encrypt>\n</xml>";
        let found = encrypt_text(body.as_bytes()).unwrap().unwrap();
        assert!(matches!(found, Cow::Borrowed("a+b/c==")));
        // Escaped text and character references resolve as in a parsed push.
        let escaped = "<xml><Encrypt>a&#43;b/c&#x3D;=</Encrypt></xml>";
        assert_eq!(encrypt(escaped).unwrap().as_deref(), Some("a+b/c=="));
        // Split CDATA sections join up.
        let split = "<xml><Encrypt><![CDATA[a+b]]><![CDATA[/c==]]></Encrypt></xml>";
        assert_eq!(encrypt(split).unwrap().as_deref(), Some("a+b/c=="));
        // The WeCom spelling, and `Encrypt` winning over it.
        assert_eq!(
            encrypt("<xml><encrypt>x</encrypt></xml>")
                .unwrap()
                .as_deref(),
            Some("x")
        );
        let both = "<xml><encrypt>x</encrypt><Encrypt>y</Encrypt></xml>";
        assert_eq!(encrypt(both).unwrap().as_deref(), Some("y"));
        assert_eq!(
            encrypt("<xml><Encrypt/></xml>").unwrap().as_deref(),
            Some("")
        );
    }

    #[test]
    fn only_the_roots_child_counts() {
        let plain = "<xml><ToUserName>gh</ToUserName><MsgType>text</MsgType><Content>Encrypt</Content></xml>";
        assert_eq!(encrypt(plain).unwrap(), None);
        let nested = "<xml><A><Encrypt>x</Encrypt></A></xml>";
        assert_eq!(encrypt(nested).unwrap(), None);
        assert_eq!(
            encrypt("<Encrypt>x</Encrypt>").unwrap(),
            None,
            "the root is not its own child"
        );
    }

    #[test]
    fn a_body_never_naming_encrypt_is_not_walked() {
        // Left to the parse of the push itself, which refuses it.
        for body in ["", "not xml", "<xml><a></xml>", "<xml><Crypt>x</Crypt>"] {
            assert_eq!(encrypt(body).unwrap(), None, "{body:?}");
        }
        // Naming it anywhere, even in text, means the whole body is walked and checked.
        let malformed = refused("<xml><a><![CDATA[<Encrypt]]></xml>");
        assert!(!malformed.is_empty());
    }

    #[test]
    fn refuses_ambiguous_envelopes() {
        let twice = "<xml><Encrypt>a</Encrypt><Encrypt>b</Encrypt></xml>";
        assert!(refused(twice).contains("more than one <Encrypt>"));
        let nested = "<xml><Encrypt><A>x</A></Encrypt></xml>";
        assert!(refused(nested).contains("holds elements"));
    }

    #[test]
    fn refuses_malformed_envelopes() {
        for (body, reason) in [
            ("<xml><Encrypt>abc</Encrypt>", "ends inside an element"),
            ("<xml><Encrypt>abc", "ends inside an element"),
            ("<xml><Encrypt>abc</xml>", ""),
            ("<xml><Encrypt>a&e;</Encrypt></xml>", "undefined entity"),
            (
                "<xml><Encrypt>abc</Encrypt></xml><xml/>",
                "content after the root",
            ),
            (
                "junk<xml><Encrypt>abc</Encrypt></xml>",
                "text outside the root",
            ),
            (
                "<!DOCTYPE x [<!ENTITY e \"z\">]><xml><Encrypt>&e;</Encrypt></xml>",
                "DTD",
            ),
        ] {
            let refusal = refused(body);
            assert!(refusal.contains(reason), "{body:?}: {refusal}");
        }
        let not_utf8 = b"<xml><Encrypt>\xff</Encrypt></xml>";
        assert!(matches!(
            encrypt_text(not_utf8),
            Err(PushError::Syntax { reason, .. }) if reason.contains("not UTF-8 (at byte 14)")
        ));
        let deep = format!(
            "<xml>{}<Encrypt>x</Encrypt></xml>",
            "<a>".repeat(20) + &"</a>".repeat(20)
        );
        assert!(refused(&deep).contains("too deeply nested"));
        let many = format!(
            "<xml>{}<Encrypt>x</Encrypt></xml>",
            "<a/>".repeat(xml::MAX_NODES)
        );
        assert!(refused(&many).contains("too many"));
    }
}
