//! Splitting long text into pieces that fit WeChat's per-message byte limit.

/// The most UTF-8 bytes a text reply's `Content` (and a customer-service text message) may
/// hold.
pub const TEXT_MAX_BYTES: usize = 2048;

/// The smallest window accepted: one character of UTF-8 always fits in four bytes.
const MIN_WINDOW: usize = 4;

/// Splits `text` into pieces of at most `max_bytes` UTF-8 bytes each, never inside a character.
///
/// Each piece ends, by preference, just after the last newline in its window, else after the
/// last whitespace, provided that break lies in the second half of the window; otherwise the
/// window is cut at the last character boundary. Concatenating the pieces gives `text` back.
/// No piece is empty, so an empty `text` gives no pieces. A `max_bytes` below 4 counts as 4.
///
/// ```
/// use weixin_runtime::push::split::split_text;
///
/// assert_eq!(split_text("hello world", 8), ["hello ", "world"]);
/// assert_eq!(split_text("中文字", 7), ["中文", "字"]);
/// ```
pub fn split_text(text: &str, max_bytes: usize) -> Vec<&str> {
    let max_bytes = max_bytes.max(MIN_WINDOW);
    let mut pieces = Vec::with_capacity(text.len() / max_bytes + 1);
    let mut rest = text;
    while !rest.is_empty() {
        let end = piece_end(rest, max_bytes);
        let (piece, tail) = rest.split_at(end);
        pieces.push(piece);
        rest = tail;
    }
    pieces
}

/// Where the first piece of `rest` ends (a char boundary in `1..=max_bytes`).
fn piece_end(rest: &str, max_bytes: usize) -> usize {
    if rest.len() <= max_bytes {
        return rest.len();
    }
    let mut cut = max_bytes;
    while !rest.is_char_boundary(cut) {
        cut -= 1;
    }
    let window = &rest[..cut];
    let half = max_bytes / 2;
    let after = |i: usize, c: char| i + c.len_utf8();
    if let Some(i) = window.rfind('\n') {
        let end = after(i, '\n');
        if end > half {
            return end;
        }
    }
    if let Some((i, c)) = window.char_indices().rev().find(|(_, c)| c.is_whitespace()) {
        let end = after(i, c);
        if end > half {
            return end;
        }
    }
    cut
}
