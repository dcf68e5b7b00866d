//! Named types (`types.toml`): structs, enums and tagged unions.

use std::collections::BTreeMap;

use super::fields::{self, Site};
use super::{Cx, Decl, Scope};
use crate::ir::{EnumValue, NamedKind, PayloadAt, TypeDef, TypeKind, Usage, Variant};
use crate::load::{DocKind, Document, Spec, ValueKind};
use crate::names;
use crate::reader::{Sp, Tbl};

const STRUCT_KEYS: &[&str] = &["kind", "docs", "fields", "received"];
const ENUM_KEYS: &[&str] = &["kind", "docs", "open", "strip_prefix", "values"];
const UNION_KEYS: &[&str] = &["kind", "docs", "tag", "payload", "variants", "received"];

fn scope_of(kind: &DocKind) -> Option<Scope> {
    match kind {
        DocKind::ProductTypes { product } => Some((product.clone(), None)),
        DocKind::GroupTypes { product, group } => Some((product.clone(), Some(group.clone()))),
        _ => None,
    }
}

fn types_table<'a>(cx: &mut Cx<'_>, doc: &'a Document) -> Option<Tbl<'a>> {
    let root = Tbl::of(&mut cx.sink, doc.file, &doc.table, "types.toml")?;
    root.check_keys(&mut cx.sink, &["types"], "types.toml");
    root.table(&mut cx.sink, "types")
}

/// Pass 1: records every type name and kind, so fields can refer to types in any order.
pub(crate) fn declare_all(cx: &mut Cx<'_>, spec: &Spec) {
    for doc in &spec.docs {
        let Some(scope) = scope_of(&doc.kind) else {
            continue;
        };
        let Some(types) = types_table(cx, doc) else {
            continue;
        };
        let mut decls: BTreeMap<String, Decl> = BTreeMap::new();
        for (name, value) in types.iter() {
            let Some(name_ok) = cx.type_name(&name, "type name") else {
                continue;
            };
            let Some(t) = Tbl::of(&mut cx.sink, doc.file, value, &format!("type `{name_ok}`"))
            else {
                continue;
            };
            let kind = match t.str(&mut cx.sink, "kind").map(|k| k.v).as_deref() {
                None | Some("struct") => NamedKind::Struct,
                Some("enum")
                    if t.get("open")
                        .is_some_and(|v| matches!(v.kind, ValueKind::Bool(true))) =>
                {
                    NamedKind::OpenEnum
                }
                Some("enum") => NamedKind::ClosedEnum,
                Some("union") => NamedKind::Union,
                Some(other) => {
                    let loc = t.loc_of(t.get("kind").unwrap_or(value));
                    cx.sink.error_help(
                        &loc,
                        format!("unknown type kind `{other}`"),
                        "one of: struct, enum, union",
                    );
                    continue;
                }
            };
            decls.insert(name_ok, Decl { kind });
        }
        cx.scopes.insert(scope, decls);
    }
}

/// Pass 2: reads the bodies of the types of `scope` (none if it has no types.toml).
pub(crate) fn read_scope(cx: &mut Cx<'_>, spec: &Spec, scope: &Scope) -> Vec<TypeDef> {
    let Some(doc) = spec
        .docs
        .iter()
        .find(|d| scope_of(&d.kind).as_ref() == Some(scope))
    else {
        return Vec::new();
    };
    let Some(types) = types_table(cx, doc) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, value) in types.iter() {
        let Some(decl) = cx.scopes.get(scope).and_then(|m| m.get(&name.v)).cloned() else {
            continue;
        };
        let Some(t) = Tbl::of(&mut cx.sink, doc.file, value, "a type") else {
            continue;
        };
        let docs = t.str(&mut cx.sink, "docs").map(|s| s.v).unwrap_or_default();
        let received = t.bool(&mut cx.sink, "received").is_some_and(|b| b.v);
        let kind = match decl.kind {
            NamedKind::Struct => {
                t.check_keys(&mut cx.sink, STRUCT_KEYS, &format!("struct `{}`", name.v));
                let table = t.table(&mut cx.sink, "fields");
                let fields = fields::read_all(cx, scope, table, Site::Struct);
                TypeKind::Struct {
                    fields: fields.into_iter().map(|f| f.field).collect(),
                }
            }
            NamedKind::OpenEnum | NamedKind::ClosedEnum => {
                t.check_keys(&mut cx.sink, ENUM_KEYS, &format!("enum `{}`", name.v));
                read_enum(cx, &t, &name, decl.kind == NamedKind::OpenEnum)
            }
            NamedKind::Union => {
                t.check_keys(&mut cx.sink, UNION_KEYS, &format!("union `{}`", name.v));
                match read_union(cx, scope, &t, &name) {
                    Some(k) => k,
                    None => continue,
                }
            }
        };
        let def = TypeDef {
            name: name.v.clone(),
            docs,
            usage: Usage::default(),
            received,
            kind,
        };
        cx.defs.insert((scope.clone(), name.v.clone()), def.clone());
        out.push(def);
    }
    out
}

fn read_enum(cx: &mut Cx<'_>, t: &Tbl<'_>, name: &Sp<String>, open: bool) -> TypeKind {
    let strip = t.str(&mut cx.sink, "strip_prefix").map(|s| s.v);
    let mut values: Vec<EnumValue> = Vec::new();
    match t.table(&mut cx.sink, "values") {
        None => cx.sink.error_help(
            &name.loc,
            format!("enum `{}` has no `values`", name.v),
            "add a `values` table: wire value = \"docs\"",
        ),
        Some(vt) => {
            for (wire, v) in vt.iter() {
                let (docs, rust) = match &v.kind {
                    ValueKind::Str(s) => (s.clone(), None),
                    ValueKind::Table(_) => {
                        let Some(vt2) = Tbl::of(&mut cx.sink, t.file, v, "an enum value") else {
                            continue;
                        };
                        vt2.check_keys(&mut cx.sink, &["docs", "rust"], "an enum value");
                        (
                            vt2.str(&mut cx.sink, "docs")
                                .map(|s| s.v)
                                .unwrap_or_default(),
                            vt2.str(&mut cx.sink, "rust"),
                        )
                    }
                    _ => {
                        cx.sink.error(&wire.loc, "an enum value must be a docs string or `{ docs = \"…\", rust = \"…\" }`");
                        continue;
                    }
                };
                let made = match &rust {
                    Some(r) => names::explicit_pascal(&r.v),
                    None => {
                        let base = strip
                            .as_deref()
                            .and_then(|p| wire.v.strip_prefix(p))
                            .unwrap_or(&wire.v);
                        cx.glossary.pascal(base)
                    }
                };
                let rust = match made {
                    Ok(r) => r,
                    Err(e) => {
                        let loc = rust.map_or(wire.loc.clone(), |r| r.loc);
                        cx.name_error(&loc, "enum variant", e);
                        continue;
                    }
                };
                if open && rust == "Unknown" {
                    cx.sink.error_help(
                        &wire.loc,
                        "variant `Unknown` is reserved in open enums",
                        "set `rust = \"…\"`",
                    );
                    continue;
                }
                if let Some(prev) = values.iter().find(|x| x.rust == rust) {
                    cx.sink.error_help(
                        &wire.loc,
                        format!("variant `{rust}` is already used by `{}`", prev.wire),
                        "set `rust = \"…\"`",
                    );
                    continue;
                }
                values.push(EnumValue {
                    wire: wire.v,
                    rust,
                    docs,
                });
            }
        }
    }
    TypeKind::Enum { values, open }
}

fn read_union(cx: &mut Cx<'_>, scope: &Scope, t: &Tbl<'_>, name: &Sp<String>) -> Option<TypeKind> {
    let tag = t.req_str(&mut cx.sink, "tag", &format!("union `{}`", name.v))?;
    let payload = match t.str(&mut cx.sink, "payload") {
        None => PayloadAt::UnderTag,
        Some(p) => match p.v.as_str() {
            "under_tag" | "under_tag_value" => PayloadAt::UnderTag,
            "inline" => PayloadAt::Inline,
            other => {
                cx.sink.error_help(
                    &p.loc,
                    format!("unknown payload placement `{other}`"),
                    "one of: under_tag, inline",
                );
                PayloadAt::UnderTag
            }
        },
    };
    let mut variants: Vec<Variant> = Vec::new();
    let Some(vt) = t.table(&mut cx.sink, "variants") else {
        cx.sink.error_help(
            &name.loc,
            format!("union `{}` has no `variants`", name.v),
            "add `[types.<Name>.variants]`",
        );
        return None;
    };
    for (tag_value, v) in vt.iter() {
        let Some(v) = Tbl::of(&mut cx.sink, t.file, v, "a union variant") else {
            continue;
        };
        v.check_keys(&mut cx.sink, &["type", "docs", "rust"], "a union variant");
        let Some(ty_src) = v.req_str(&mut cx.sink, "type", "a union variant") else {
            continue;
        };
        let docs = v.str(&mut cx.sink, "docs").map(|s| s.v).unwrap_or_default();
        let rust = match v.str(&mut cx.sink, "rust") {
            Some(r) => names::explicit_pascal(&r.v)
                .map_err(|e| cx.name_error(&r.loc, "union variant", e))
                .ok(),
            None => cx
                .glossary
                .pascal(&tag_value.v)
                .map_err(|e| cx.name_error(&tag_value.loc, "union variant", e))
                .ok(),
        };
        let ty = super::fields::lookup(cx, scope, &ty_src, ty_src.v.trim());
        let (Some(rust), Some(ty)) = (rust, ty) else {
            continue;
        };
        if ty.kind != NamedKind::Struct {
            cx.sink.error_help(
                &ty_src.loc,
                format!(
                    "the payload of variant `{}` must be a struct type",
                    tag_value.v
                ),
                "wrap it in a struct",
            );
            continue;
        }
        if rust == "Unknown" || variants.iter().any(|x| x.rust == rust) {
            cx.sink.error_help(
                &tag_value.loc,
                format!("variant name `{rust}` is reserved or already used"),
                "set `rust = \"…\"`",
            );
            continue;
        }
        variants.push(Variant {
            tag: tag_value.v,
            rust,
            ty,
            docs,
        });
    }
    Some(TypeKind::Union {
        tag: tag.v,
        payload,
        variants,
    })
}
