//! `spec/push/*.toml`: the messages and events WeChat POSTs, the passive replies, and the nested
//! structs they use, checked and lowered into [`Push`].

mod examples;
mod fields;
mod message;
mod reply;

use std::collections::{BTreeMap, BTreeSet};

use examples::TypeFields;

use super::Cx;
use crate::diag::Loc;
use crate::ir::push::{Push, PushField, PushTy, PushType};
use crate::load::{DocKind, Spec, ValueKind};
use crate::names;
use crate::reader::{Sp, Tbl};

/// The header every push and every reply carries: exposed on `push::Meta` for pushes, written
/// by `render_reply` for replies, so never declared as a field.
const HEADER_FIELDS: &[&str] = &["ToUserName", "FromUserName", "CreateTime", "MsgType"];

/// Reads every file of `spec/push/`; `None` when the spec has no such directory.
pub(crate) fn read(cx: &mut Cx<'_>, spec: &Spec) -> Option<Push> {
    if !spec.has_push {
        return None;
    }
    let mut roots: Vec<(String, Tbl<'_>)> = Vec::new();
    for doc in spec.docs.iter().filter(|d| d.kind == DocKind::Push) {
        let path = spec.sources.get(doc.file).path.clone();
        let Some(root) = Tbl::of(&mut cx.sink, doc.file, &doc.table, "a push file") else {
            continue;
        };
        root.check_keys(&mut cx.sink, &["message", "reply", "types"], "a push file");
        roots.push((path, root));
    }
    let declared = declare_types(cx, &roots);
    let (mut types, type_fields, type_locs) = read_types(cx, &roots, &declared);
    let mut names: BTreeMap<String, Loc> = declared.clone();
    let mut messages = Vec::new();
    let mut match_seen: BTreeMap<Vec<(String, String)>, String> = BTreeMap::new();
    for (path, root) in &roots {
        for t in array(cx, root, "message") {
            let Some(m) = message::read(cx, path, &t, &declared, &type_fields) else {
                continue;
            };
            let key: Vec<(String, String)> =
                m.ir.matches
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_ascii_lowercase()))
                    .collect();
            if let Some(other) = match_seen.insert(key, m.ir.rust.clone()) {
                cx.sink.error_help(
                    &m.match_loc,
                    format!("message `{}` has the same `match` as `{other}`", m.ir.rust),
                    "two messages cannot be told apart; merge them or match one more header",
                );
            }
            if claim(cx, &mut names, &m.ir.struct_name, &m.rust_loc) {
                messages.push(m.ir);
            }
        }
    }
    let mut replies = Vec::new();
    for (path, root) in &roots {
        for t in array(cx, root, "reply") {
            let Some(r) = reply::read(cx, path, &t, &declared, &type_fields) else {
                continue;
            };
            if claim(cx, &mut names, &r.ir.struct_name, &r.rust_loc) {
                replies.push(r.ir);
            }
        }
    }
    let in_messages = reachable(&type_fields, messages.iter().flat_map(|m| &m.fields));
    let in_replies = reachable(&type_fields, replies.iter().flat_map(|r| &r.fields));
    for t in &mut types {
        t.in_messages = in_messages.contains(&t.name);
        t.in_replies = in_replies.contains(&t.name);
        if t.in_replies {
            for (f, loc) in t.fields.iter().zip(&type_locs[&t.name]) {
                fields::check_writable(cx, &f.ty, loc, f.item.is_some(), false);
            }
        }
    }
    check_cycles(cx, &type_fields, &declared);
    messages.sort_by(|a, b| a.rust.cmp(&b.rust));
    replies.sort_by(|a, b| a.rust.cmp(&b.rust));
    types.sort_by(|a, b| a.name.cmp(&b.name));
    Some(Push {
        messages,
        replies,
        types,
    })
}

/// Whether `name` can be an XML element (and JSON key) written by a reply.
pub(super) fn is_element_name(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The `rust` variant name of a message or reply, checked; `reserved` is the enum's own variant.
pub(super) fn variant_name(
    cx: &mut Cx<'_>,
    t: &Tbl<'_>,
    what: &str,
    reserved: &str,
) -> Option<Sp<String>> {
    let rust = t.req_str(&mut cx.sink, "rust", what)?;
    match names::explicit_pascal(&rust.v) {
        Ok(n) if n == reserved => {
            cx.sink.error_help(
                &rust.loc,
                format!("variant `{n}` is reserved"),
                "choose another `rust` name",
            );
            None
        }
        Ok(_) => Some(rust),
        Err(e) => {
            cx.name_error(&rust.loc, "variant name", e);
            None
        }
    }
}

/// An array of strings under `key` (absent = empty).
pub(super) fn string_list(cx: &mut Cx<'_>, t: &Tbl<'_>, key: &str) -> Vec<String> {
    let Some(v) = t.get(key) else {
        return Vec::new();
    };
    match &v.kind {
        ValueKind::Array(items) if items.iter().all(|i| matches!(i.kind, ValueKind::Str(_))) => {
            items
                .iter()
                .filter_map(|i| match &i.kind {
                    ValueKind::Str(s) => Some(s.clone()),
                    _ => None,
                })
                .collect()
        }
        _ => {
            cx.sink
                .error(&t.loc_of(v), format!("`{key}` must be an array of strings"));
            Vec::new()
        }
    }
}

/// The tables of an array of tables (`[[message]]`).
fn array<'a>(cx: &mut Cx<'_>, root: &Tbl<'a>, key: &str) -> Vec<Tbl<'a>> {
    let Some(v) = root.get(key) else {
        return Vec::new();
    };
    let ValueKind::Array(items) = &v.kind else {
        cx.sink.error_help(
            &root.loc_of(v),
            format!("`{key}` must be an array of tables"),
            format!("write each as `[[{key}]]`"),
        );
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|i| Tbl::of(&mut cx.sink, root.file, i, &format!("a [[{key}]]")))
        .collect()
}

/// Records a Rust type name of the `push` module; false (with an error) if it is taken.
fn claim(cx: &mut Cx<'_>, names: &mut BTreeMap<String, Loc>, name: &str, loc: &Loc) -> bool {
    use crate::ir::push::{GENERATED_ITEMS, RUNTIME_ITEMS};
    const FIELD_ITEMS: &[&str] = &["FromNode", "FieldError"];
    let reserved = [
        GENERATED_ITEMS,
        RUNTIME_ITEMS,
        FIELD_ITEMS,
        names::RESERVED_TYPES,
    ];
    if reserved.iter().any(|list| list.contains(&name)) {
        cx.sink.error_help(
            loc,
            format!("Rust name `{name}` is reserved in the `push` module"),
            "choose another name",
        );
        return false;
    }
    if let Some(first) = names.get(name) {
        let d = crate::diag::Diagnostic::at(cx.sink.sources, first, "", None);
        cx.sink.error_help(
            loc,
            format!("Rust name `{name}` is already used ({}:{})", d.path, d.line),
            "set a distinct `rust` name",
        );
        return false;
    }
    names.insert(name.to_owned(), loc.clone());
    true
}

/// Pass 1: every `[types.*]` name across the push files.
fn declare_types(cx: &mut Cx<'_>, roots: &[(String, Tbl<'_>)]) -> BTreeMap<String, Loc> {
    let mut declared: BTreeMap<String, Loc> = BTreeMap::new();
    for (_, root) in roots {
        let Some(types) = root.table(&mut cx.sink, "types") else {
            continue;
        };
        for (name, _) in types.iter() {
            if cx.type_name(&name, "type name").is_some() {
                claim(cx, &mut declared, &name.v, &name.loc);
            }
        }
    }
    declared
}

/// Pass 2: the bodies of the declared types, their fields by name, and each field's type location.
fn read_types(
    cx: &mut Cx<'_>,
    roots: &[(String, Tbl<'_>)],
    declared: &BTreeMap<String, Loc>,
) -> (Vec<PushType>, TypeFields, BTreeMap<String, Vec<Loc>>) {
    let mut out = Vec::new();
    let mut by_name = TypeFields::new();
    let mut locs = BTreeMap::new();
    for (_, root) in roots {
        let Some(types) = root.table(&mut cx.sink, "types") else {
            continue;
        };
        for (name, value) in types.iter() {
            if declared.get(&name.v) != Some(&name.loc) {
                continue;
            }
            let Some(t) = Tbl::of(
                &mut cx.sink,
                root.file,
                value,
                &format!("type `{}`", name.v),
            ) else {
                continue;
            };
            t.check_keys(&mut cx.sink, &["summary", "docs", "fields"], "a push type");
            let summary = t
                .req_str(&mut cx.sink, "summary", &format!("type `{}`", name.v))
                .map(|s| s.v)
                .unwrap_or_default();
            let docs = t.str(&mut cx.sink, "docs").map(|s| s.v).unwrap_or_default();
            let table = t.table(&mut cx.sink, "fields");
            let lowered = fields::read_all(cx, declared, table, fields::Site::Type);
            locs.insert(
                name.v.clone(),
                lowered.iter().map(|f| f.ty_loc.clone()).collect(),
            );
            let fields: Vec<PushField> = lowered.into_iter().map(|f| f.field).collect();
            by_name.insert(name.v.clone(), fields.clone());
            out.push(PushType {
                name: name.v,
                summary,
                docs,
                fields,
                in_messages: false,
                in_replies: false,
            });
        }
    }
    (out, by_name, locs)
}

fn named(ty: &PushTy) -> Option<&str> {
    match ty {
        PushTy::Named(n) => Some(n),
        PushTy::List(inner) => named(inner),
        _ => None,
    }
}

/// The types reachable from `fields`, through nested types.
fn reachable<'a>(
    types: &TypeFields,
    fields: impl Iterator<Item = &'a PushField>,
) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo: Vec<String> = fields
        .filter_map(|f| named(&f.ty))
        .map(str::to_owned)
        .collect();
    while let Some(name) = todo.pop() {
        if seen.insert(name.clone()) {
            if let Some(fs) = types.get(&name) {
                todo.extend(fs.iter().filter_map(|f| named(&f.ty)).map(str::to_owned));
            }
        }
    }
    seen
}

/// A type that contains itself other than through a list has no finite size.
fn check_cycles(cx: &mut Cx<'_>, types: &TypeFields, declared: &BTreeMap<String, Loc>) {
    for (name, loc) in declared {
        if contains_itself(types, name) {
            cx.sink.error_help(
                loc,
                format!("type `{name}` contains itself"),
                "break the cycle with a list field",
            );
        }
    }
}

fn contains_itself(types: &TypeFields, name: &str) -> bool {
    let mut seen = BTreeSet::new();
    let mut todo = vec![name];
    while let Some(n) = todo.pop() {
        for f in types.get(n).into_iter().flatten() {
            if let PushTy::Named(next) = &f.ty {
                if next == name {
                    return true;
                }
                if seen.insert(next.as_str()) {
                    todo.push(next);
                }
            }
        }
    }
    false
}
