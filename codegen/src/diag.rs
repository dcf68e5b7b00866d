//! Diagnostics: every problem found in a spec, with file, line, column, the offending line, a caret
//! and a hint.

use std::fmt;
use std::ops::Range;

/// One spec file's text, kept for rendering diagnostics.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// Path relative to the spec directory, with `/` separators.
    pub path: String,
    /// The file's contents.
    pub text: String,
}

/// A location in a spec file: index into [`Sources`] plus a byte range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loc {
    /// Index of the file in [`Sources`].
    pub file: usize,
    /// Byte range in that file.
    pub span: Range<usize>,
}

/// All spec files read so far.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    /// Adds a file and returns its index.
    pub fn add(&mut self, path: String, text: String) -> usize {
        self.files.push(SourceFile { path, text });
        self.files.len() - 1
    }

    /// The file at `index`.
    pub fn get(&self, index: usize) -> &SourceFile {
        &self.files[index]
    }
}

/// One problem in the spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Relative path of the file (or `""` for a problem with no file).
    pub path: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub col: usize,
    /// What is wrong.
    pub message: String,
    /// The offending source line (empty when there is no file).
    pub source_line: String,
    /// Number of characters to underline (at least 1 when there is a source line).
    pub width: usize,
    /// How to fix it, if known.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic pointing at `loc` in `sources`.
    pub fn at(
        sources: &Sources,
        loc: &Loc,
        message: impl Into<String>,
        help: Option<String>,
    ) -> Self {
        let file = sources.get(loc.file);
        let text = &file.text;
        let start = floor_char_boundary(text, loc.span.start.min(text.len()));
        let end = floor_char_boundary(text, loc.span.end.clamp(start, text.len()));
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let line_text = text[line_start..line_end].trim_end_matches('\r');
        let line = text[..start].matches('\n').count() + 1;
        let col = text[line_start..start].chars().count() + 1;
        let width = text[start..end.min(line_end).max(start)]
            .chars()
            .count()
            .max(1);
        Diagnostic {
            path: file.path.clone(),
            line,
            col,
            message: message.into(),
            source_line: line_text.to_owned(),
            width,
            help,
        }
    }

    /// A diagnostic about a file as a whole (or a missing one).
    pub fn file(path: impl Into<String>, message: impl Into<String>, help: Option<String>) -> Self {
        Diagnostic {
            path: path.into(),
            line: 0,
            col: 0,
            message: message.into(),
            source_line: String::new(),
            width: 0,
            help,
        }
    }

    fn sort_key(&self) -> (&str, usize, usize, &str) {
        (&self.path, self.line, self.col, &self.message)
    }
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error: {}", self.message)?;
        if self.line == 0 {
            if !self.path.is_empty() {
                writeln!(f, "  --> {}", self.path)?;
            }
        } else {
            let gutter = self.line.to_string().len();
            let pad = " ".repeat(gutter);
            writeln!(f, "{pad}--> {}:{}:{}", self.path, self.line, self.col)?;
            writeln!(f, "{pad} |")?;
            writeln!(f, "{} | {}", self.line, self.source_line)?;
            let lead: String = self
                .source_line
                .chars()
                .take(self.col - 1)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            writeln!(f, "{pad} | {lead}{}", "^".repeat(self.width))?;
        }
        if let Some(help) = &self.help {
            writeln!(f, "  = help: {help}")?;
        }
        Ok(())
    }
}

/// Every problem found, sorted by file, line and column.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// No problems yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The same diagnostics with every file path prefixed by `root` (the spec directory as the
    /// user named it), so the paths work from where the command ran.
    pub fn under(mut self, root: &std::path::Path) -> Self {
        for d in &mut self.items {
            if !d.path.is_empty() {
                d.path = root.join(&d.path).display().to_string();
            }
        }
        self
    }

    /// Records a problem.
    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }

    /// Adds all of `other`'s problems.
    pub fn extend(&mut self, other: Diagnostics) {
        self.items.extend(other.items);
    }

    /// Number of problems.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are no problems.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The problems, sorted.
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }

    /// Sorts and de-duplicates; called before handing the diagnostics out.
    pub(crate) fn finish(mut self) -> Self {
        self.items.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        self.items.dedup();
        self
    }

    /// `Err(self)` if there is any problem, else `Ok(value)`.
    pub(crate) fn into_result<T>(self, value: T) -> Result<T, Diagnostics> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self.finish())
        }
    }

    /// All problems as plain text (no colours), followed by a count line.
    pub fn render_plain(&self) -> String {
        let mut out = String::new();
        for d in &self.items {
            out.push_str(&d.to_string());
            out.push('\n');
        }
        let n = self.items.len();
        out.push_str(&format!("{n} error{}\n", if n == 1 { "" } else { "s" }));
        out
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render_plain())
    }
}

impl std::error::Error for Diagnostics {}

/// Collects diagnostics against a set of sources.
#[derive(Debug)]
pub(crate) struct Sink<'a> {
    pub sources: &'a Sources,
    pub diags: Diagnostics,
}

impl<'a> Sink<'a> {
    pub fn new(sources: &'a Sources) -> Self {
        Sink {
            sources,
            diags: Diagnostics::new(),
        }
    }

    /// Records an error at `loc`.
    pub fn error(&mut self, loc: &Loc, message: impl Into<String>) {
        let d = Diagnostic::at(self.sources, loc, message, None);
        self.diags.push(d);
    }

    /// Records an error at `loc` with a hint.
    pub fn error_help(&mut self, loc: &Loc, message: impl Into<String>, help: impl Into<String>) {
        let d = Diagnostic::at(self.sources, loc, message, Some(help.into()));
        self.diags.push(d);
    }
}

/// "did you mean `x`?" for the closest candidate, if any is close enough.
pub(crate) fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        let score = strsim::jaro_winkler(word, c);
        if score > 0.8 && best.is_none_or(|(s, b)| score > s || (score == s && c < b)) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| format!("did you mean `{c}`?"))
}
