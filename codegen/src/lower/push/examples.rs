//! `[[message.example]]` and `[[reply.example]]`: read them and check their JSON against the
//! declared fields.

use std::collections::BTreeMap;

use serde_json::Value as J;

use crate::diag::{Loc, did_you_mean};
use crate::ir::push::{MessageExample, PushBody, PushField, PushTy, ReplyExample};
use crate::load::{Value, ValueKind};
use crate::lower::Cx;
use crate::reader::{Tbl, to_json};

/// Fields of every nested struct, by type name.
pub(super) type TypeFields = BTreeMap<String, Vec<PushField>>;

/// What an example belongs to, for checking it.
pub(super) struct Owner<'a> {
    /// `TextMessage`, `TextReply`.
    pub struct_name: &'a str,
    pub fields: &'a [PushField],
    pub types: &'a TypeFields,
}

/// The `example` array of a message or reply table, as tables.
fn tables<'a>(cx: &mut Cx<'_>, parent: &Tbl<'a>, what: &str) -> Vec<Tbl<'a>> {
    let Some(v) = parent.get("example") else {
        return Vec::new();
    };
    let ValueKind::Array(items) = &v.kind else {
        cx.sink.error_help(
            &parent.loc_of(v),
            "`example` must be an array of tables",
            format!("write each as `[[{what}.example]]`"),
        );
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| Tbl::of(&mut cx.sink, parent.file, item, "an example"))
        .collect()
}

/// Reads the examples of a `[[message]]`.
pub(super) fn messages(
    cx: &mut Cx<'_>,
    parent: &Tbl<'_>,
    owner: &Owner<'_>,
) -> Vec<MessageExample> {
    let mut out: Vec<MessageExample> = Vec::new();
    for t in tables(cx, parent, "message") {
        t.check_keys(
            &mut cx.sink,
            &["name", "docs", "xml", "json", "expect"],
            "an example",
        );
        let Some(name) = unique_name(cx, &t, out.iter().map(|e| e.name.as_str())) else {
            continue;
        };
        let xml = t.str(&mut cx.sink, "xml");
        let json = t.str(&mut cx.sink, "json");
        let body = match (xml, json) {
            (Some(x), None) => PushBody::Xml(x.v),
            (None, Some(j)) => PushBody::Json(j.v),
            (x, j) => {
                let loc = x.or(j).map_or_else(|| t.loc(), |s| s.loc);
                cx.sink.error_help(
                    &loc,
                    format!("example `{name}` needs exactly one of `xml` and `json`"),
                    "`xml = '''<xml>…</xml>'''` for XML pushes, `json = '''{…}'''` for JSON ones",
                );
                continue;
            }
        };
        let Some(expect) = object(cx, &t, "expect", &name) else {
            continue;
        };
        check_object(
            cx,
            &expect.1,
            &name,
            &expect.0,
            owner.fields,
            owner,
            owner.struct_name,
        );
        out.push(MessageExample {
            name,
            body,
            expect: expect.0,
        });
    }
    out
}

/// Reads the examples of a `[[reply]]`.
pub(super) fn replies(cx: &mut Cx<'_>, parent: &Tbl<'_>, owner: &Owner<'_>) -> Vec<ReplyExample> {
    let mut out: Vec<ReplyExample> = Vec::new();
    for t in tables(cx, parent, "reply") {
        t.check_keys(
            &mut cx.sink,
            &["name", "docs", "value", "xml"],
            "an example",
        );
        let Some(name) = unique_name(cx, &t, out.iter().map(|e| e.name.as_str())) else {
            continue;
        };
        let xml = t.req_str(&mut cx.sink, "xml", &format!("example `{name}`"));
        let Some(value) = object(cx, &t, "value", &name) else {
            continue;
        };
        check_object(
            cx,
            &value.1,
            &name,
            &value.0,
            owner.fields,
            owner,
            owner.struct_name,
        );
        if let Some(xml) = xml {
            out.push(ReplyExample {
                name,
                value: value.0,
                xml: xml.v,
            });
        }
    }
    out
}

fn unique_name<'a>(
    cx: &mut Cx<'_>,
    t: &Tbl<'_>,
    mut seen: impl Iterator<Item = &'a str>,
) -> Option<String> {
    let name = t.req_str(&mut cx.sink, "name", "an example")?;
    if seen.any(|n| n == name.v) {
        cx.sink
            .error(&name.loc, format!("duplicate example name `{}`", name.v));
        return None;
    }
    Some(name.v)
}

/// The inline table under `key` as JSON, with its location.
fn object(cx: &mut Cx<'_>, t: &Tbl<'_>, key: &str, example: &str) -> Option<(J, Loc)> {
    let Some(v): Option<&Value> = t.get(key) else {
        cx.sink.error_help(
            &t.loc(),
            format!("example `{example}` has no `{key}`"),
            format!("add `{key} = {{ … }}` with the struct as JSON (Rust field names)"),
        );
        return None;
    };
    if !matches!(v.kind, ValueKind::Table(_)) {
        cx.sink
            .error(&t.loc_of(v), format!("`{key}` must be a table"));
        return None;
    }
    Some((to_json(v), t.loc_of(v)))
}

/// Checks that `value` has only declared fields, every required one, and values of the right
/// JSON kind; nested structs are checked the same way.
fn check_object(
    cx: &mut Cx<'_>,
    loc: &Loc,
    example: &str,
    value: &J,
    fields: &[PushField],
    owner: &Owner<'_>,
    path: &str,
) {
    let J::Object(map) = value else {
        cx.sink.error(
            loc,
            format!("example `{example}`: `{path}` must be an object"),
        );
        return;
    };
    let declared: Vec<&PushField> = fields.iter().filter(|f| f.count_of.is_none()).collect();
    for (key, v) in map {
        match declared.iter().find(|f| f.rust == *key) {
            Some(f) => check_value(cx, loc, example, v, &f.ty, owner, &format!("{path}.{key}")),
            None => {
                let help = did_you_mean(key, declared.iter().map(|f| f.rust.as_str()))
                    .unwrap_or_else(|| "keys are the Rust field names".to_owned());
                cx.sink.error_help(
                    loc,
                    format!("example `{example}`: `{key}` is not a field of `{path}`"),
                    help,
                );
            }
        }
    }
    for f in declared {
        if f.required && !f.is_list() && !map.contains_key(&f.rust) {
            cx.sink.error_help(
                loc,
                format!(
                    "example `{example}` lacks the required field `{}` of `{path}`",
                    f.rust
                ),
                format!("add `{} = …`", f.rust),
            );
        }
    }
}

fn check_value(
    cx: &mut Cx<'_>,
    loc: &Loc,
    example: &str,
    v: &J,
    ty: &PushTy,
    owner: &Owner<'_>,
    path: &str,
) {
    let ok = match (ty, v) {
        (PushTy::String, J::String(_)) | (PushTy::Bool, J::Bool(_)) => true,
        (PushTy::I64, J::Number(n)) => n.is_i64(),
        (PushTy::U64, J::Number(n)) => n.is_u64(),
        (PushTy::U32, J::Number(n)) => n.as_u64().is_some_and(|n| u32::try_from(n).is_ok()),
        (PushTy::F64, J::Number(_)) => true,
        (PushTy::Named(name), _) => {
            if let Some(fields) = owner.types.get(name) {
                check_object(cx, loc, example, v, fields, owner, path);
            }
            true
        }
        (PushTy::List(inner), J::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                check_value(
                    cx,
                    loc,
                    example,
                    item,
                    inner,
                    owner,
                    &format!("{path}[{i}]"),
                );
            }
            true
        }
        _ => false,
    };
    if !ok {
        cx.sink.error(
            loc,
            format!(
                "example `{example}`: `{path}` is {v}, which is not a valid {}",
                ty_name(ty)
            ),
        );
    }
}

fn ty_name(ty: &PushTy) -> String {
    match ty {
        PushTy::String => "string".into(),
        PushTy::I64 => "i64".into(),
        PushTy::U64 => "u64".into(),
        PushTy::U32 => "u32".into(),
        PushTy::F64 => "f64".into(),
        PushTy::Bool => "bool".into(),
        PushTy::Named(n) => n.clone(),
        PushTy::List(t) => format!("[{}]", ty_name(t)),
    }
}
