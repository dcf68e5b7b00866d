//! Fields of pushes, replies and nested types: `[….fields.<Wire>]` tables and their types.

use std::collections::BTreeMap;

use crate::diag::{Loc, did_you_mean};
use crate::ir::push::{PushField, PushTy};
use crate::lower::Cx;
use crate::names;
use crate::reader::{Sp, Tbl};

/// Where a field sits; decides which keys are allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Site {
    /// A field of a `[[message]]`.
    Message,
    /// A field of a `[types.*]` struct.
    Type,
    /// A field of a `[[reply]]`.
    Reply,
}

const KEYS: &[&str] = &["type", "required", "docs", "rust", "item"];
const REPLY_KEYS: &[&str] = &[
    "type",
    "required",
    "docs",
    "rust",
    "item",
    "max_bytes",
    "max_items",
    "wrap",
    "count_of",
];
const SCALARS: &[&str] = &["string", "i64", "u64", "u32", "f64", "bool"];

/// A lowered field with the places diagnostics point at.
#[derive(Clone, Debug)]
pub(super) struct Lowered {
    pub field: PushField,
    /// The field's key.
    pub loc: Loc,
    /// The `type` value.
    pub ty_loc: Loc,
    /// The `count_of` value, with the wire name it names.
    pub count_of: Option<Sp<String>>,
}

/// Reads every field of `table` in order; `types` are the declared nested struct names.
pub(super) fn read_all(
    cx: &mut Cx<'_>,
    types: &BTreeMap<String, Loc>,
    table: Option<Tbl<'_>>,
    site: Site,
) -> Vec<Lowered> {
    let Some(table) = table else {
        return Vec::new();
    };
    let mut out: Vec<Lowered> = Vec::new();
    for (key, value) in table.iter() {
        let Some(f) = read_one(cx, types, &table, key, value, site) else {
            continue;
        };
        if let Some(other) = out.iter().find(|o| o.field.rust == f.field.rust) {
            cx.sink.error_help(
                &f.loc,
                format!(
                    "Rust name `{}` is already used by field `{}`",
                    f.field.rust, other.field.wire
                ),
                "set `rust = \"…\"` on one of them",
            );
            continue;
        }
        out.push(f);
    }
    if site == Site::Reply {
        resolve_counts(cx, &mut out);
    }
    out
}

fn read_one(
    cx: &mut Cx<'_>,
    types: &BTreeMap<String, Loc>,
    parent: &Tbl<'_>,
    key: Sp<String>,
    value: &crate::load::Value,
    site: Site,
) -> Option<Lowered> {
    let what = format!("field `{}`", key.v);
    let t = Tbl::of(&mut cx.sink, parent.file, value, &what)?;
    let known = if site == Site::Reply {
        REPLY_KEYS
    } else {
        KEYS
    };
    t.check_keys(&mut cx.sink, known, &what);
    let ty_src = t.req_str(&mut cx.sink, "type", &what);
    let ty = ty_src.as_ref().and_then(|s| parse_ty(cx, types, s));
    let required = t.bool(&mut cx.sink, "required").is_some_and(|b| b.v);
    let docs = t.str(&mut cx.sink, "docs").map(|s| s.v).unwrap_or_default();
    let item = t.str(&mut cx.sink, "item");
    // Reply-only keys; elsewhere `check_keys` has reported them already.
    let reply = site == Site::Reply;
    let max_bytes = positive(cx, &t, "max_bytes").filter(|_| reply);
    let max_items = positive(cx, &t, "max_items").filter(|_| reply);
    let wrap = t.str(&mut cx.sink, "wrap").filter(|_| reply);
    let count_of = t.str(&mut cx.sink, "count_of").filter(|_| reply);
    let rust = match t.str(&mut cx.sink, "rust") {
        Some(r) => names::explicit_snake(&r.v).map_err(|e| cx.name_error(&r.loc, "field name", e)),
        None => names::snake(&key.v).map_err(|e| cx.name_error(&key.loc, "field name", e)),
    }
    .ok()?;
    let ty = ty?;
    let ty_loc = ty_src.map_or_else(|| key.loc.clone(), |s| s.loc);
    let is_list = matches!(ty, PushTy::List(_));
    for (present, what, need) in [
        (item.as_ref().map(|i| &i.loc), "item", "a list"),
        (max_items.as_ref().map(|m| &m.loc), "max_items", "a list"),
    ] {
        if let Some(loc) = present.filter(|_| !is_list) {
            cx.sink.error_help(
                loc,
                format!("`{what}` on field `{}`, which is not {need}", key.v),
                "remove it, or make the type a list such as `[string]`",
            );
        }
    }
    if let Some(m) = &max_bytes {
        if ty != PushTy::String {
            cx.sink.error_help(
                &m.loc,
                format!("`max_bytes` on field `{}`, which is not a string", key.v),
                "remove it: only strings have a byte limit",
            );
        }
    }
    for name in [&item, &wrap].into_iter().flatten() {
        if !super::is_element_name(&name.v) {
            cx.sink.error_help(
                &name.loc,
                format!("`{}` is not an element name", name.v),
                "use letters, digits and `_`, as WeChat's element names do",
            );
        }
    }
    if site == Site::Reply {
        check_writable(cx, &ty, &ty_loc, item.is_some(), count_of.is_some());
    }
    Some(Lowered {
        field: PushField {
            wire: key.v.clone(),
            rust,
            ty,
            required,
            docs,
            item: item.map(|i| i.v),
            max_bytes: max_bytes.map(|m| m.v),
            max_items: max_items.map(|m| m.v),
            wrap: wrap.map(|w| w.v),
            count_of: None,
        },
        loc: key.loc,
        ty_loc,
        count_of,
    })
}

fn positive(cx: &mut Cx<'_>, t: &Tbl<'_>, key: &str) -> Option<Sp<u64>> {
    let v = t.int(&mut cx.sink, key)?;
    match u64::try_from(v.v) {
        Ok(n) if n > 0 => Some(Sp { v: n, loc: v.loc }),
        _ => {
            cx.sink
                .error(&v.loc, format!("`{key}` must be a positive integer"));
            None
        }
    }
}

/// A reply writes strings, integers and booleans (as 0/1), nested structs, and lists of nested
/// structs wrapped in an item element; a `count_of` field is an integer.
pub(super) fn check_writable(
    cx: &mut Cx<'_>,
    ty: &PushTy,
    loc: &Loc,
    has_item: bool,
    counted: bool,
) {
    if counted {
        if !matches!(ty, PushTy::I64 | PushTy::U32) {
            cx.sink.error_help(
                loc,
                "a `count_of` field must be an integer",
                "use `type = \"u32\"`",
            );
        }
        return;
    }
    match ty {
        PushTy::U64 | PushTy::F64 => cx.sink.error_help(
            loc,
            "a reply cannot write a `u64` or `f64` field",
            "use `string`, `i64`, `u32` or `bool`",
        ),
        PushTy::List(inner) if !matches!(**inner, PushTy::Named(_)) || !has_item => {
            cx.sink.error_help(
                loc,
                "a list in a reply must be a list of a nested struct with `item`",
                "e.g. `type = \"[Article]\"` and `item = \"item\"`",
            )
        }
        _ => {}
    }
}

/// Links each `count_of` to the list field it counts (by wire name).
fn resolve_counts(cx: &mut Cx<'_>, fields: &mut [Lowered]) {
    let lists: Vec<(String, String)> = fields
        .iter()
        .filter(|f| f.field.is_list())
        .map(|f| (f.field.wire.clone(), f.field.rust.clone()))
        .collect();
    for f in fields.iter_mut() {
        let Some(target) = &f.count_of else {
            continue;
        };
        match lists.iter().find(|(wire, _)| *wire == target.v) {
            Some((_, rust)) => f.field.count_of = Some(rust.clone()),
            None => {
                let help = match did_you_mean(&target.v, lists.iter().map(|(w, _)| w.as_str())) {
                    Some(h) => h,
                    None => "name a list field of this reply by its wire name".to_owned(),
                };
                cx.sink.error_help(
                    &target.loc,
                    format!(
                        "`count_of = \"{}\"` does not name a list field of this reply",
                        target.v
                    ),
                    help,
                );
            }
        }
    }
}

/// Parses `string`, `Name`, `[string]` or `[Name]`.
fn parse_ty(cx: &mut Cx<'_>, types: &BTreeMap<String, Loc>, src: &Sp<String>) -> Option<PushTy> {
    let text = src.v.trim();
    if let Some(inner) = text.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        let inner = inner.trim();
        if inner.starts_with('[') {
            cx.sink.error_help(
                &src.loc,
                format!("bad type `{}`: a list of lists", src.v),
                "wrap the inner list in a nested struct",
            );
            return None;
        }
        return word(cx, types, src, inner).map(|t| PushTy::List(Box::new(t)));
    }
    word(cx, types, src, text)
}

fn word(
    cx: &mut Cx<'_>,
    types: &BTreeMap<String, Loc>,
    src: &Sp<String>,
    w: &str,
) -> Option<PushTy> {
    Some(match w {
        "string" => PushTy::String,
        "i64" => PushTy::I64,
        "u64" => PushTy::U64,
        "u32" => PushTy::U32,
        "f64" => PushTy::F64,
        "bool" => PushTy::Bool,
        name if types.contains_key(name) => PushTy::Named(name.to_owned()),
        name => {
            let candidates = SCALARS
                .iter()
                .copied()
                .chain(types.keys().map(String::as_str));
            let help = did_you_mean(name, candidates).unwrap_or_else(|| {
                "types: string, i64, u64, u32, f64, bool, a `[types.*]` name, or a list `[T]`"
                    .into()
            });
            cx.sink
                .error_help(&src.loc, format!("unknown field type `{name}`"), help);
            return None;
        }
    })
}
