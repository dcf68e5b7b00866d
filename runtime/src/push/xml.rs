//! The one XML reader of the push path: walks a document's events, enforcing what every push
//! parse enforces, and reports elements and text to a [`Sink`].
//!
//! Enforced: well-formedness (matching end tags, one root, no text outside it), no DTD, only
//! the five predefined entities and character references, at most [`MAX_DEPTH`] levels and
//! [`MAX_NODES`] elements.

use std::borrow::Cow;

use quick_xml::Reader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;

use super::PushError;

/// The deepest element nesting accepted; WeChat's pushes are at most four levels deep.
pub(crate) const MAX_DEPTH: usize = 16;
/// The most elements accepted in one push.
pub(crate) const MAX_NODES: usize = 10_000;

/// A byte range of the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) start: u32,
    pub(crate) end: u32,
}

impl Span {
    /// The empty range at the start.
    pub(crate) const EMPTY: Span = Span { start: 0, end: 0 };

    /// The whole of a text of `len` bytes.
    pub(crate) fn whole(len: usize) -> Span {
        Span {
            start: 0,
            end: u32::try_from(len).unwrap_or(u32::MAX),
        }
    }

    /// The text of this range of `src` (empty should it not lie on character boundaries).
    pub(crate) fn of(self, src: &str) -> &str {
        src.get(self.start as usize..self.end as usize)
            .unwrap_or_default()
    }
}

/// Receives the elements and text of a document, in order.
pub(crate) trait Sink<'s> {
    /// An element starts; `name` is its range of the document.
    fn open(&mut self, name: Span);

    /// A piece of text of the innermost open element: `span` is set when the piece is a range of
    /// the document as it is (no entity, no line end rewritten).
    fn text(&mut self, piece: Cow<'s, str>, span: Option<Span>);

    /// The innermost open element ends.
    fn close(&mut self) -> Result<(), PushError>;
}

/// The document as UTF-8, refused when it is not or is larger than 4 GiB (ranges are 32-bit).
pub(crate) fn as_text(input: &[u8]) -> Result<&str, PushError> {
    let text = std::str::from_utf8(input).map_err(|e| {
        error(format!(
            "the document is not UTF-8 (at byte {})",
            e.valid_up_to()
        ))
    })?;
    if u32::try_from(text.len()).is_err() {
        return Err(error("the document is larger than 4 GiB"));
    }
    Ok(text)
}

/// Walks `src` (checked with [`as_text`]) and reports it to `sink`.
pub(crate) fn walk<'s>(src: &'s str, sink: &mut impl Sink<'s>) -> Result<(), PushError> {
    let mut reader = Reader::from_str(src);
    reader.config_mut().check_end_names = true;
    let mut depth = 0usize;
    let mut count = 0usize;
    let mut root_done = false;
    loop {
        match reader.read_event().map_err(|e| error(e.to_string()))? {
            Event::Start(_) | Event::Empty(_) if root_done => {
                return Err(error("content after the root element"));
            }
            Event::Start(start) => {
                open(src, start.name().as_ref(), &mut depth, &mut count, sink)?;
            }
            Event::Empty(start) => {
                open(src, start.name().as_ref(), &mut depth, &mut count, sink)?;
                depth -= 1;
                sink.close()?;
                root_done = depth == 0;
            }
            Event::End(_) => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| error("unbalanced end tag"))?;
                sink.close()?;
                root_done = depth == 0;
            }
            Event::Text(text) => {
                // A run of the (validated) document without CR needs neither decoding nor
                // line-end normalisation.
                let run = span_of(src, &text)
                    .map(|span| span.of(src))
                    .filter(|run| !run.contains('\r'));
                let text = match run {
                    Some(run) => Cow::Borrowed(run),
                    None => text.xml10_content().map_err(|e| error(e.to_string()))?,
                };
                push_text(src, text, depth, sink)?;
            }
            Event::CData(data) => {
                let text = match data.into_inner() {
                    Cow::Borrowed(bytes) => Cow::Borrowed(match span_of(src, bytes) {
                        Some(span) => span.of(src),
                        None => {
                            std::str::from_utf8(bytes).map_err(|_| error("CDATA is not UTF-8"))?
                        }
                    }),
                    Cow::Owned(bytes) => Cow::Owned(
                        String::from_utf8(bytes).map_err(|_| error("CDATA is not UTF-8"))?,
                    ),
                };
                push_text(src, text, depth, sink)?;
            }
            Event::GeneralRef(reference) => {
                let resolved = if reference.is_char_ref() {
                    reference
                        .resolve_char_ref()
                        .map_err(|e| error(e.to_string()))?
                        .ok_or_else(|| error("invalid character reference"))?
                        .to_string()
                } else {
                    let name = reference.decode().map_err(|e| error(e.to_string()))?;
                    resolve_predefined_entity(&name)
                        .ok_or_else(|| error(format!("undefined entity `&{name};`")))?
                        .to_owned()
                };
                push_text(src, Cow::Owned(resolved), depth, sink)?;
            }
            Event::DocType(_) => return Err(error("a DTD is not accepted in a push")),
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if depth != 0 {
        return Err(error("the document ends inside an element"));
    }
    if !root_done {
        return Err(error("no root element"));
    }
    Ok(())
}

fn open<'s>(
    src: &'s str,
    name: &[u8],
    depth: &mut usize,
    count: &mut usize,
    sink: &mut impl Sink<'s>,
) -> Result<(), PushError> {
    *count += 1;
    if *count > MAX_NODES || *depth >= MAX_DEPTH {
        return Err(error("too many or too deeply nested elements"));
    }
    let name = span_of(src, name).ok_or_else(|| error("an element name is not UTF-8"))?;
    *depth += 1;
    sink.open(name);
    Ok(())
}

fn push_text<'s>(
    src: &'s str,
    piece: Cow<'s, str>,
    depth: usize,
    sink: &mut impl Sink<'s>,
) -> Result<(), PushError> {
    if depth == 0 {
        return if piece.trim().is_empty() {
            Ok(())
        } else {
            Err(error("text outside the root element"))
        };
    }
    let span = match &piece {
        Cow::Borrowed(text) => span_of(src, text.as_bytes()),
        Cow::Owned(_) => None,
    };
    sink.text(piece, span);
    Ok(())
}

/// The range of `part` in `src`, when `part` is a slice of it on character boundaries.
fn span_of(src: &str, part: &[u8]) -> Option<Span> {
    let start = (part.as_ptr() as usize).checked_sub(src.as_ptr() as usize)?;
    let end = start.checked_add(part.len())?;
    let inside = end <= src.len() && src.is_char_boundary(start) && src.is_char_boundary(end);
    inside.then(|| Span {
        start: u32::try_from(start).unwrap_or(u32::MAX),
        end: u32::try_from(end).unwrap_or(u32::MAX),
    })
}

/// A syntax error in an XML push.
pub(crate) fn error(reason: impl Into<String>) -> PushError {
    PushError::Syntax {
        format: "XML",
        reason: reason.into(),
    }
}
