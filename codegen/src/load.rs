//! Stage 1: read the spec directory and parse every TOML file, keeping byte spans.

use std::fmt;
use std::fs;
use std::path::Path;

use toml::Spanned;
use toml::de::DeTable;

use crate::diag::{Diagnostic, Diagnostics, Loc, Sources};

/// What a spec file describes, from its place in the tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum DocKind {
    /// `errcodes.toml`
    Errcodes,
    /// `glossary.toml`
    Glossary,
    /// `<product>/_product.toml`
    Product { product: String },
    /// `<product>/types.toml`
    ProductTypes { product: String },
    /// `<product>/<group>/_group.toml`
    Group { product: String, group: String },
    /// `<product>/<group>/types.toml`
    GroupTypes { product: String, group: String },
    /// `<product>/<group>/<endpoint>.toml`
    Endpoint { product: String, group: String },
    /// `push/<family>.toml`: messages, replies and nested types of pushes.
    Push,
}

/// The directory of pushes and replies; not a product.
pub(crate) const PUSH_DIR: &str = "push";

/// One parsed TOML document.
pub(crate) struct Document {
    pub file: usize,
    pub kind: DocKind,
    pub table: Value,
}

/// A loaded spec: the text of every file and its parsed TOML, not yet checked.
pub struct Spec {
    pub(crate) sources: Sources,
    pub(crate) docs: Vec<Document>,
    /// Directories that exist (product dirs, group dirs), for module-level checks.
    pub(crate) groups: Vec<(String, String)>,
    /// Whether the spec has a `push/` directory.
    pub(crate) has_push: bool,
}

impl fmt::Debug for Spec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Spec")
            .field(
                "files",
                &self
                    .docs
                    .iter()
                    .map(|d| &self.sources.get(d.file).path)
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Reads every `.toml` file under `spec_dir` (layout in `spec/README.md`) and parses it;
/// `push/` holds pushes and replies rather than a product.
/// Fails with all TOML syntax errors and layout problems at once.
pub fn load(spec_dir: &Path) -> Result<Spec, Diagnostics> {
    let mut loader = Loader {
        root: spec_dir,
        sources: Sources::default(),
        docs: Vec::new(),
        diags: Diagnostics::new(),
    };
    let mut groups = Vec::new();
    let mut has_push = false;
    if !spec_dir.is_dir() {
        loader.diags.push(Diagnostic::file(
            spec_dir.display().to_string(),
            "spec directory not found",
            Some("pass the path of the `spec/` directory".into()),
        ));
        return loader.diags.into_result(unreachable_spec());
    }
    loader.required("errcodes.toml", DocKind::Errcodes);
    loader.required("glossary.toml", DocKind::Glossary);
    for product in loader.subdirs("") {
        if product == PUSH_DIR {
            has_push = true;
            for file in loader.toml_files(PUSH_DIR) {
                loader.read(&format!("{PUSH_DIR}/{file}"), DocKind::Push);
            }
            continue;
        }
        let prod = product.clone();
        loader.required(
            &format!("{prod}/_product.toml"),
            DocKind::Product {
                product: prod.clone(),
            },
        );
        loader.optional(
            &format!("{prod}/types.toml"),
            DocKind::ProductTypes {
                product: prod.clone(),
            },
        );
        for group in loader.subdirs(&prod) {
            let dir = format!("{prod}/{group}");
            groups.push((prod.clone(), group.clone()));
            loader.required(
                &format!("{dir}/_group.toml"),
                DocKind::Group {
                    product: prod.clone(),
                    group: group.clone(),
                },
            );
            loader.optional(
                &format!("{dir}/types.toml"),
                DocKind::GroupTypes {
                    product: prod.clone(),
                    group: group.clone(),
                },
            );
            for file in loader.toml_files(&dir) {
                if file != "_group.toml" && file != "types.toml" {
                    loader.read(
                        &format!("{dir}/{file}"),
                        DocKind::Endpoint {
                            product: prod.clone(),
                            group: group.clone(),
                        },
                    );
                }
            }
        }
    }
    let Loader {
        sources,
        docs,
        diags,
        ..
    } = loader;
    diags.into_result(Spec {
        sources,
        docs,
        groups,
        has_push,
    })
}

fn unreachable_spec() -> Spec {
    Spec {
        sources: Sources::default(),
        docs: Vec::new(),
        groups: Vec::new(),
        has_push: false,
    }
}

struct Loader<'a> {
    root: &'a Path,
    sources: Sources,
    docs: Vec<Document>,
    diags: Diagnostics,
}

impl Loader<'_> {
    fn required(&mut self, rel: &str, kind: DocKind) {
        if self.root.join(rel).is_file() {
            self.read(rel, kind);
        } else {
            self.diags.push(Diagnostic::file(
                rel,
                format!("missing `{rel}`"),
                Some(missing_help(&kind)),
            ));
        }
    }

    fn optional(&mut self, rel: &str, kind: DocKind) {
        if self.root.join(rel).is_file() {
            self.read(rel, kind);
        }
    }

    fn read(&mut self, rel: &str, kind: DocKind) {
        let text = match fs::read_to_string(self.root.join(rel)) {
            Ok(text) => text,
            Err(e) => {
                self.diags.push(Diagnostic::file(
                    rel,
                    format!("cannot read file: {e}"),
                    None,
                ));
                return;
            }
        };
        let file = self.sources.add(rel.to_owned(), text);
        let text: &str = &self.sources.get(file).text;
        match DeTable::parse(text) {
            Ok(table) => {
                let span = table.span();
                let table = Value {
                    span,
                    kind: ValueKind::Table(own_table(table.get_ref())),
                };
                self.docs.push(Document { file, kind, table });
            }
            Err(e) => {
                let span = e.span().unwrap_or(0..0);
                let message = format!("TOML syntax: {}", e.message().trim_end());
                let d = Diagnostic::at(&self.sources, &Loc { file, span }, message, None);
                self.diags.push(d);
            }
        }
    }

    /// Sorted names of the sub-directories of `rel` (hidden ones skipped).
    fn subdirs(&mut self, rel: &str) -> Vec<String> {
        self.entries(rel)
            .into_iter()
            .filter(|(_, is_dir)| *is_dir)
            .map(|(n, _)| n)
            .collect()
    }

    /// Sorted names of the `.toml` files directly in `rel`.
    fn toml_files(&mut self, rel: &str) -> Vec<String> {
        self.entries(rel)
            .into_iter()
            .filter(|(n, is_dir)| !is_dir && n.ends_with(".toml"))
            .map(|(n, _)| n)
            .collect()
    }

    fn entries(&mut self, rel: &str) -> Vec<(String, bool)> {
        let dir = self.root.join(rel);
        let mut out = Vec::new();
        match fs::read_dir(&dir) {
            Ok(rd) => {
                for entry in rd.flatten() {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    if name.starts_with('.') {
                        continue;
                    }
                    out.push((name, entry.path().is_dir()));
                }
            }
            Err(e) => self.diags.push(Diagnostic::file(
                rel,
                format!("cannot read directory: {e}"),
                None,
            )),
        }
        out.sort();
        out
    }
}

fn missing_help(kind: &DocKind) -> String {
    match kind {
        DocKind::Errcodes => "create it with a `[codes.\"<code>\"]` table per errcode".into(),
        DocKind::Glossary => "create it with a `[words]` table (may be empty)".into(),
        DocKind::Product { .. } => {
            "every product directory needs a `_product.toml` with a `[product]` table".into()
        }
        DocKind::Group { .. } => {
            "every group directory needs a `_group.toml` with a `[group]` table".into()
        }
        _ => String::new(),
    }
}

/// A parsed TOML value with its byte span, owning its data.
#[derive(Clone, Debug)]
pub(crate) struct Value {
    pub span: std::ops::Range<usize>,
    pub kind: ValueKind,
}

/// The kinds of TOML values.
#[derive(Clone, Debug)]
pub(crate) enum ValueKind {
    Str(String),
    /// `None` when the integer does not fit in an `i128`.
    Int(Option<i128>),
    Float(f64),
    Bool(bool),
    Datetime(String),
    Array(Vec<Value>),
    Table(Vec<(Key, Value)>),
}

/// A table key with its span.
#[derive(Clone, Debug)]
pub(crate) struct Key {
    pub name: String,
    pub span: std::ops::Range<usize>,
}

fn own_table(table: &DeTable<'_>) -> Vec<(Key, Value)> {
    table
        .iter()
        .map(|(k, v)| {
            (
                Key {
                    name: k.get_ref().to_string(),
                    span: k.span(),
                },
                own_value(v),
            )
        })
        .collect()
}

fn own_value(v: &Spanned<toml::de::DeValue<'_>>) -> Value {
    use toml::de::DeValue;
    let kind = match v.get_ref() {
        DeValue::String(s) => ValueKind::Str(s.to_string()),
        DeValue::Integer(i) => {
            ValueKind::Int(i128::from_str_radix(&i.as_str().replace('_', ""), i.radix()).ok())
        }
        DeValue::Float(x) => {
            ValueKind::Float(x.as_str().replace('_', "").parse().unwrap_or(f64::NAN))
        }
        DeValue::Boolean(b) => ValueKind::Bool(*b),
        DeValue::Datetime(d) => ValueKind::Datetime(d.to_string()),
        DeValue::Array(a) => ValueKind::Array(a.iter().map(own_value).collect()),
        DeValue::Table(t) => ValueKind::Table(own_table(t)),
    };
    Value {
        span: v.span(),
        kind,
    }
}
