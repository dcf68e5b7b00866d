//! Stage 2: check the loaded spec and turn it into the [`Ir`](crate::ir::Ir). Every problem is
//! collected; the IR is returned only when there is none.

mod endpoint;
mod examples;
mod fields;
mod push;
mod types;
mod usage;

use std::collections::BTreeMap;

use crate::diag::{Diagnostics, Loc, Sink};
use crate::ir::{ClientKind, ErrAction, ErrCodeDef, Group, Ir, NamedKind, Product, TypeDef};
use crate::load::{DocKind, Document, Spec};
use crate::names::{self, Glossary, NameError};
use crate::reader::{Sp, Tbl, int_value};

/// Checks `spec` and builds the IR, or returns every problem found.
pub fn lower(spec: Spec) -> Result<Ir, Diagnostics> {
    let mut cx = Cx {
        sink: Sink::new(&spec.sources),
        glossary: Glossary::default(),
        errcodes: BTreeMap::new(),
        scopes: BTreeMap::new(),
        ids: BTreeMap::new(),
        defs: BTreeMap::new(),
        client: ClientKind::App,
    };
    let errcodes = read_errcodes(&mut cx, &spec);
    cx.glossary = read_glossary(&mut cx, &spec);
    types::declare_all(&mut cx, &spec);

    let mut products = Vec::new();
    let product_names: Vec<&String> = {
        let mut v: Vec<&String> = spec
            .docs
            .iter()
            .filter_map(|d| match &d.kind {
                DocKind::Product { product } => Some(product),
                _ => None,
            })
            .collect();
        v.dedup();
        v
    };
    for product in product_names {
        if let Some(p) = read_product(&mut cx, &spec, product) {
            products.push(p);
        }
    }
    usage::compute(&mut products);
    for p in &mut products {
        p.groups.sort_by(|a, b| a.name.cmp(&b.name));
        p.types.sort_by(|a, b| a.name.cmp(&b.name));
        for g in &mut p.groups {
            g.endpoints.sort_by(|a, b| a.id.cmp(&b.id));
            g.types.sort_by(|a, b| a.name.cmp(&b.name));
        }
    }
    products.sort_by(|a, b| a.name.cmp(&b.name));
    let push = push::read(&mut cx, &spec);
    let Cx { sink, .. } = cx;
    sink.diags.into_result(Ir {
        products,
        errcodes,
        push,
    })
}

/// Where a type is declared: (product, group or `None` for product-level types).
pub(crate) type Scope = (String, Option<String>);

/// A declared named type, before its body is read.
#[derive(Clone, Debug)]
pub(crate) struct Decl {
    pub kind: NamedKind,
}

/// Lowering context: diagnostics plus everything resolved so far.
pub(crate) struct Cx<'a> {
    pub sink: Sink<'a>,
    pub glossary: Glossary,
    /// code -> constant name
    pub errcodes: BTreeMap<i64, String>,
    pub scopes: BTreeMap<Scope, BTreeMap<String, Decl>>,
    /// endpoint id -> where first defined
    pub ids: BTreeMap<String, Loc>,
    /// Every named type read so far, by scope and name.
    pub defs: BTreeMap<(Scope, String), TypeDef>,
    /// The client kind of the product being read.
    pub client: ClientKind,
}

impl Cx<'_> {
    /// Reports a name problem at `loc`.
    pub fn name_error(&mut self, loc: &Loc, what: &str, err: NameError) {
        match err {
            NameError::Invalid(n) => self.sink.error_help(
                loc,
                format!("{what} `{n}` is not a valid Rust identifier"),
                "set `rust = \"…\"` to a valid name, or add the word to glossary.toml",
            ),
            NameError::Keyword(n) => self.sink.error_help(
                loc,
                format!("{what} `{n}` is a Rust keyword and cannot be used as given"),
                "choose another `rust` name (e.g. `kind` for `type`)",
            ),
        }
    }

    /// A type name checked for validity and for shadowing std/prelude names.
    pub fn type_name(&mut self, name: &Sp<String>, what: &str) -> Option<String> {
        match names::explicit_pascal(&name.v) {
            Ok(n) if names::RESERVED_TYPES.contains(&n.as_str()) => {
                self.sink.error_help(
                    &name.loc,
                    format!(
                        "{what} `{n}` shadows a std, prelude or runtime name used by generated code"
                    ),
                    format!("rename it, e.g. `{}{n}`", "Wx"),
                );
                None
            }
            Ok(n) => Some(n),
            Err(e) => {
                self.name_error(&name.loc, what, e);
                None
            }
        }
    }

    /// Checks that the errcode exists.
    pub fn check_errcode(&mut self, code: &Sp<i64>) -> Option<String> {
        match self.errcodes.get(&code.v) {
            Some(n) => Some(n.clone()),
            None => {
                self.sink.error_help(
                    &code.loc,
                    format!("unknown errcode {}", code.v),
                    format!("add `[codes.\"{}\"]` to errcodes.toml", code.v),
                );
                None
            }
        }
    }
}

fn docs_of(spec: &Spec, pred: impl Fn(&DocKind) -> bool) -> impl Iterator<Item = &Document> {
    spec.docs.iter().filter(move |d| pred(&d.kind))
}

fn read_errcodes(cx: &mut Cx<'_>, spec: &Spec) -> Vec<ErrCodeDef> {
    let mut out: Vec<ErrCodeDef> = Vec::new();
    let mut names: BTreeMap<String, Loc> = BTreeMap::new();
    for doc in docs_of(spec, |k| *k == DocKind::Errcodes) {
        let Some(root) = Tbl::of(&mut cx.sink, doc.file, &doc.table, "errcodes.toml") else {
            continue;
        };
        root.check_keys(&mut cx.sink, &["codes"], "errcodes.toml");
        let Some(codes) = root.table(&mut cx.sink, "codes") else {
            continue;
        };
        for (key, value) in codes.iter() {
            let Ok(code) = key.v.trim().parse::<i64>() else {
                cx.sink.error_help(
                    &key.loc,
                    format!("errcode key `{}` is not an integer", key.v),
                    "write it as `[codes.\"40001\"]`",
                );
                continue;
            };
            let Some(t) = Tbl::of(&mut cx.sink, doc.file, value, &format!("errcode {code}")) else {
                continue;
            };
            t.check_keys(&mut cx.sink, &["name", "meaning", "action"], "an errcode");
            let name = t.req_str(&mut cx.sink, "name", &format!("errcode {code}"));
            let meaning = t.req_str(&mut cx.sink, "meaning", &format!("errcode {code}"));
            let action = t
                .req_str(&mut cx.sink, "action", &format!("errcode {code}"))
                .and_then(|a| {
                    let v = match a.v.as_str() {
                        "refresh_token" => ErrAction::RefreshToken,
                        "rate_limited" => ErrAction::RateLimited,
                        "transient" => ErrAction::Transient,
                        "permanent" => ErrAction::Permanent,
                        other => {
                            cx.sink.error_help(
                                &a.loc,
                                format!("unknown action `{other}`"),
                                "one of: refresh_token, rate_limited, transient, permanent",
                            );
                            return None;
                        }
                    };
                    Some(v)
                });
            let (Some(name), Some(meaning), Some(action)) = (name, meaning, action) else {
                continue;
            };
            let valid = name
                .v
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_uppercase())
                && name
                    .v
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            if !valid || name.v == "TABLE" {
                cx.sink.error_help(
                    &name.loc,
                    format!(
                        "errcode name `{}` must be SCREAMING_SNAKE_CASE and not `TABLE`",
                        name.v
                    ),
                    "e.g. `INVALID_CREDENTIAL`",
                );
                continue;
            }
            if let Some(first) = names.get(&name.v) {
                let line = crate::diag::Diagnostic::at(cx.sink.sources, first, "", None).line;
                cx.sink.error(
                    &name.loc,
                    format!(
                        "duplicate errcode name `{}` (first used on line {line})",
                        name.v
                    ),
                );
                continue;
            }
            if out.iter().any(|e| e.code == code) {
                cx.sink.error(&key.loc, format!("duplicate errcode {code}"));
                continue;
            }
            names.insert(name.v.clone(), name.loc.clone());
            cx.errcodes.insert(code, name.v.clone());
            out.push(ErrCodeDef {
                code,
                name: name.v,
                meaning: meaning.v,
                action,
            });
        }
    }
    out.sort_by_key(|e| e.code);
    out
}

fn read_glossary(cx: &mut Cx<'_>, spec: &Spec) -> Glossary {
    let mut words = BTreeMap::new();
    for doc in docs_of(spec, |k| *k == DocKind::Glossary) {
        let Some(root) = Tbl::of(&mut cx.sink, doc.file, &doc.table, "glossary.toml") else {
            continue;
        };
        root.check_keys(&mut cx.sink, &["words"], "glossary.toml");
        let Some(t) = root.table(&mut cx.sink, "words") else {
            continue;
        };
        for (key, _) in t.iter() {
            let Some(v) = t.str(&mut cx.sink, &key.v) else {
                continue;
            };
            if let Err(e) = names::explicit_snake(&v.v) {
                cx.name_error(&v.loc, "glossary word", e);
                continue;
            }
            words.insert(key.v, v.v);
        }
    }
    Glossary::new(words)
}

/// Reads `[product]` / `[group]` docs tables: (summary, docs, extra string key).
fn read_header(
    cx: &mut Cx<'_>,
    doc: &Document,
    table: &str,
    extra: &str,
) -> Option<(String, String, Option<Sp<String>>)> {
    let root = Tbl::of(&mut cx.sink, doc.file, &doc.table, "the file")?;
    root.check_keys(&mut cx.sink, &[table], "this file");
    let Some(t) = root.table(&mut cx.sink, table) else {
        cx.sink.error_help(
            &root.loc(),
            format!("missing `[{table}]` table"),
            format!("add `[{table}]` with `summary`"),
        );
        return None;
    };
    t.check_keys(
        &mut cx.sink,
        &["summary", "docs", extra],
        &format!("[{table}]"),
    );
    let summary = t
        .req_str(&mut cx.sink, "summary", &format!("[{table}]"))
        .map(|s| s.v)
        .unwrap_or_default();
    let docs = t.str(&mut cx.sink, "docs").map(|s| s.v).unwrap_or_default();
    let extra = t.str(&mut cx.sink, extra);
    Some((summary, docs, extra))
}

fn read_product(cx: &mut Cx<'_>, spec: &Spec, product: &str) -> Option<Product> {
    let doc = spec.docs.iter().find(|d| {
        d.kind
            == DocKind::Product {
                product: product.to_owned(),
            }
    })?;
    let (summary, docs, client) = read_header(cx, doc, "product", "client")?;
    let client = match client {
        None => ClientKind::App,
        Some(c) => match c.v.as_str() {
            "app" => ClientKind::App,
            "wecom" => ClientKind::WeCom,
            "component" => ClientKind::Component,
            "pay" => ClientKind::Pay,
            other => {
                cx.sink.error_help(
                    &c.loc,
                    format!("unknown client kind `{other}`"),
                    "one of: app, wecom, component, pay",
                );
                ClientKind::App
            }
        },
    };
    let module = match names::snake(product) {
        Ok(m) => m,
        Err(e) => {
            cx.sink.diags.push(crate::diag::Diagnostic::file(
                format!("{product}/_product.toml"),
                format!("product directory `{product}` is not a valid module name ({e:?})"),
                None,
            ));
            return None;
        }
    };
    cx.client = client;
    let product_types = types::read_scope(cx, spec, &(product.to_owned(), None));
    let mut groups: Vec<Group> = Vec::new();
    let mut accessors: BTreeMap<String, String> = BTreeMap::new();
    for (p, g) in &spec.groups {
        if p != product {
            continue;
        }
        let Some(group) = read_group(cx, spec, p, g) else {
            continue;
        };
        if let Some(other) = accessors.insert(group.accessor.clone(), group.name.clone()) {
            cx.sink.diags.push(crate::diag::Diagnostic::file(
                format!("{p}/{g}/_group.toml"),
                format!(
                    "accessor `{}` is also used by group `{other}`",
                    group.accessor
                ),
                Some("set a distinct `accessor`".into()),
            ));
        }
        groups.push(group);
    }
    Some(Product {
        name: product.to_owned(),
        module,
        summary,
        docs,
        client,
        types: product_types,
        groups,
    })
}

fn read_group(cx: &mut Cx<'_>, spec: &Spec, product: &str, group: &str) -> Option<Group> {
    let kind = DocKind::Group {
        product: product.to_owned(),
        group: group.to_owned(),
    };
    let doc = spec.docs.iter().find(|d| d.kind == kind)?;
    let (summary, docs, accessor) = read_header(cx, doc, "group", "accessor")?;
    let module = match names::snake(group) {
        Ok(m) if m != "types" => m,
        _ => {
            let root = Loc {
                file: doc.file,
                span: 0..0,
            };
            cx.sink.error_help(
                &root,
                format!("group directory `{group}` cannot be a Rust module name"),
                "rename the directory (snake_case, not `types`)",
            );
            return None;
        }
    };
    let accessor = match accessor {
        Some(a) => match names::explicit_snake(&a.v) {
            Ok(a) => a,
            Err(e) => {
                cx.name_error(&a.loc, "accessor", e);
                module.clone()
            }
        },
        None => module.clone(),
    };
    let scope: Scope = (product.to_owned(), Some(group.to_owned()));
    let types = types::read_scope(cx, spec, &scope);
    let mut endpoints = Vec::new();
    for doc in docs_of(spec, |k| {
        *k == DocKind::Endpoint {
            product: product.to_owned(),
            group: group.to_owned(),
        }
    }) {
        if let Some(ep) = endpoint::read(cx, doc, &scope) {
            endpoints.push(ep);
        }
    }
    check_module_names(cx, spec, &scope, &endpoints);
    let endpoints = endpoints.into_iter().map(|e| e.ir).collect();
    Some(Group {
        product: product.to_owned(),
        name: group.to_owned(),
        module,
        feature: names::feature(product, group),
        accessor,
        summary,
        docs,
        endpoints,
        types,
    })
}

/// Type names in a group module must be unique: request types, response types, named types, `Api`.
fn check_module_names(
    cx: &mut Cx<'_>,
    spec: &Spec,
    scope: &Scope,
    endpoints: &[endpoint::Lowered],
) {
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    seen.insert("Api".into(), "the group API".into());
    if let Some(decls) = cx.scopes.get(scope) {
        for name in decls.keys() {
            seen.insert(name.clone(), "a type in types.toml".into());
        }
    }
    let mut calls: BTreeMap<String, String> = BTreeMap::new();
    for ep in endpoints {
        let ep_file = spec.sources.get(ep.loc.file).path.clone();
        for (name, loc) in ep.type_names() {
            if let Some(other) = seen.get(&name) {
                cx.sink.error_help(
                    &loc,
                    format!("Rust name `{name}` is already used in this module by {other}"),
                    "rename the endpoint `id` or set `response.name`",
                );
            } else {
                seen.insert(name, format!("`{ep_file}`"));
            }
        }
        if let Some(other) = calls.insert(ep.ir.call.clone(), ep_file.clone()) {
            cx.sink.error_help(
                &ep.call_loc,
                format!("method `{}` is already defined by `{other}`", ep.ir.call),
                "set a distinct `call`",
            );
        }
    }
}

/// Parses an integer list such as `errors = [40003]`.
pub(crate) fn int_list(cx: &mut Cx<'_>, t: &Tbl<'_>, key: &str) -> Vec<Sp<i64>> {
    let Some(v) = t.get(key) else {
        return Vec::new();
    };
    match &v.kind {
        crate::load::ValueKind::Array(items) => items
            .iter()
            .filter_map(|i| int_value(&mut cx.sink, t.file, i, key))
            .collect(),
        _ => {
            cx.sink.error(
                &t.loc_of(v),
                format!("`{key}` must be an array of integers"),
            );
            Vec::new()
        }
    }
}
