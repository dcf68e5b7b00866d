//! Fields and type expressions: `[… .fields.<wire>]` tables and `list<map<string, Name>>`.

use std::collections::BTreeMap;

use super::{Cx, Scope};
use crate::diag::{Loc, did_you_mean};
use crate::ir::{Const, Field, NamedKind, Ty, TypeRef, WireFmt};
use crate::load::{Value, ValueKind};
use crate::names;
use crate::reader::{Sp, Tbl, to_json};

/// Where a field sits; decides which keys and types are allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Site {
    /// A `{name}` placeholder of the path.
    Path,
    /// A query-string parameter.
    Query,
    /// A JSON body field.
    Body,
    /// A multipart text part.
    Text,
    /// A response field.
    Response,
    /// A field of a named struct.
    Struct,
}

const FIELD_KEYS: &[&str] = &[
    "type",
    "required",
    "rust",
    "docs",
    "wire",
    "flatten",
    "default",
    "deprecated",
    "deviation",
    "evidence",
    "sensitive",
    "value",
];

const PRIMITIVES: &[&str] = &[
    "string",
    "bool",
    "i32",
    "i64",
    "u32",
    "u64",
    "f64",
    "timestamp",
    "json",
];

/// A lowered field and where it came from.
#[derive(Clone, Debug)]
pub(crate) struct Lowered {
    pub field: Field,
    pub loc: Loc,
    /// `evidence` value and location, to be checked against example names.
    pub evidence: Option<Sp<String>>,
}

/// Reads all fields of `table` (the `fields`/`query`/`texts` table), keeping order.
pub(crate) fn read_all(
    cx: &mut Cx<'_>,
    scope: &Scope,
    table: Option<Tbl<'_>>,
    site: Site,
) -> Vec<Lowered> {
    let Some(table) = table else {
        return Vec::new();
    };
    let mut out: Vec<Lowered> = Vec::new();
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for (key, value) in table.iter() {
        let Some(f) = read_one(cx, scope, &table, key, value, site) else {
            continue;
        };
        if let Some(other) = names.insert(f.field.rust.clone(), f.field.wire.clone()) {
            cx.sink.error_help(
                &f.loc,
                format!(
                    "Rust name `{}` is already used by field `{other}`",
                    f.field.rust
                ),
                "set `rust = \"…\"` on one of them",
            );
            continue;
        }
        out.push(f);
    }
    out
}

fn read_one(
    cx: &mut Cx<'_>,
    scope: &Scope,
    parent: &Tbl<'_>,
    key: Sp<String>,
    value: &Value,
    site: Site,
) -> Option<Lowered> {
    let t = Tbl::of(
        &mut cx.sink,
        parent.file,
        value,
        &format!("field `{}`", key.v),
    )?;
    t.check_keys(&mut cx.sink, FIELD_KEYS, &format!("field `{}`", key.v));
    let ty_src = t.req_str(&mut cx.sink, "type", &format!("field `{}`", key.v));
    let ty = ty_src.as_ref().and_then(|s| parse_ty(cx, scope, s));
    let required = t.bool(&mut cx.sink, "required");
    let flatten = t.bool(&mut cx.sink, "flatten");
    let sensitive = t.bool(&mut cx.sink, "sensitive").is_some_and(|b| b.v);
    let docs = t.str(&mut cx.sink, "docs").map(|s| s.v).unwrap_or_default();
    let deprecated = t.str(&mut cx.sink, "deprecated").map(|s| s.v);
    let default = t.get("default").map(|v| match &v.kind {
        ValueKind::Str(s) => s.clone(),
        _ => to_json(v).to_string(),
    });
    let deviation = t.str(&mut cx.sink, "deviation");
    let evidence = t.str(&mut cx.sink, "evidence");
    if let Some(d) = &deviation {
        if evidence.is_none() {
            cx.sink.error_help(
                &d.loc,
                "`deviation` without `evidence`",
                "add `evidence = \"<example name>\"` naming the example that shows it",
            );
        }
    } else if let Some(e) = &evidence {
        cx.sink.error(&e.loc, "`evidence` without a `deviation`");
    }
    let rust = match t.str(&mut cx.sink, "rust") {
        Some(r) => names::explicit_snake(&r.v)
            .map_err(|e| cx.name_error(&r.loc, "field name", e))
            .ok()?,
        None => cx
            .glossary
            .field(&key.v)
            .map_err(|e| cx.name_error(&key.loc, "field name", e))
            .ok()?,
    };
    let ty = ty?;
    let ty_loc = ty_src.map(|s| s.loc).unwrap_or_else(|| key.loc.clone());
    let flatten = match flatten {
        Some(f) if f.v => {
            let ok = matches!(&ty, Ty::Named(r) if matches!(r.kind, NamedKind::Struct | NamedKind::Union));
            if !ok {
                cx.sink.error_help(
                    &f.loc,
                    format!(
                        "`flatten` on field `{}` whose type is not a struct or union",
                        key.v
                    ),
                    "remove `flatten`",
                );
            } else if matches!(site, Site::Path | Site::Query | Site::Text) {
                cx.sink.error(
                    &f.loc,
                    "`flatten` is only allowed on JSON body, response and struct fields",
                );
            }
            ok
        }
        _ => false,
    };
    let wire_fmt = match t.str(&mut cx.sink, "wire") {
        None => WireFmt::Native,
        Some(w) => {
            let (fmt, ok) = match w.v.as_str() {
                "int" => (WireFmt::IntBool, ty == Ty::Bool),
                "string" => (
                    WireFmt::StringNumber,
                    matches!(
                        ty,
                        Ty::I32 | Ty::I64 | Ty::U32 | Ty::U64 | Ty::Timestamp | Ty::F64
                    ),
                ),
                "string_or_int" => (WireFmt::StringOrInt, ty == Ty::String),
                other => {
                    cx.sink.error_help(
                        &w.loc,
                        format!("unknown wire format `{other}`"),
                        "one of: int, string, string_or_int",
                    );
                    (WireFmt::Native, true)
                }
            };
            if !ok {
                let need = match fmt {
                    WireFmt::IntBool => "`bool`",
                    WireFmt::StringNumber => "a number type",
                    _ => "`string`",
                };
                cx.sink.error(
                    &w.loc,
                    format!("`wire = \"{}\"` needs a field of type {need}", w.v),
                );
            }
            fmt
        }
    };
    if site == Site::Query && matches!(ty, Ty::Json | Ty::Map(_)) {
        cx.sink
            .error(&ty_loc, "a query parameter cannot be a map or `json`");
    }
    if site == Site::Path && !matches!(ty, Ty::String | Ty::I32 | Ty::I64 | Ty::U32 | Ty::U64) {
        cx.sink.error_help(
            &ty_loc,
            "a path parameter must be a string or an integer",
            "use `type = \"string\"`",
        );
    }
    if let (Site::Path, Some(r)) = (site, &required) {
        if !r.v {
            cx.sink.error_help(
                &r.loc,
                "a path parameter is always required",
                "remove `required`",
            );
        }
    }
    let value = t
        .get("value")
        .and_then(|v| fixed_value(cx, &t, v, &ty, site));
    if let (Some(_), Some(r)) = (&value, &required) {
        if !r.v {
            cx.sink.error_help(
                &r.loc,
                "a field with `value` is always sent and cannot be `required = false`",
                "remove `required`: a fixed-value field is implicitly required",
            );
        }
    }
    let required = value.is_some() || site == Site::Path || required.is_some_and(|b| b.v);
    Some(Lowered {
        field: Field {
            wire: key.v.clone(),
            rust,
            ty,
            required,
            flatten,
            wire_fmt,
            docs,
            default,
            deprecated,
            deviation: deviation.map(|d| {
                (
                    d.v,
                    evidence.as_ref().map(|e| e.v.clone()).unwrap_or_default(),
                )
            }),
            sensitive,
            value,
        },
        loc: key.loc,
        evidence,
    })
}

/// Reads `value = …`: a scalar constant the request always sends, matching the field's type.
fn fixed_value(cx: &mut Cx<'_>, t: &Tbl<'_>, v: &Value, ty: &Ty, site: Site) -> Option<Const> {
    let loc = t.loc_of(v);
    if !matches!(site, Site::Query | Site::Body | Site::Text) {
        cx.sink.error_help(
            &loc,
            "`value` is only allowed on request fields",
            "fixed values belong in `[request.query]`, `[request.fields]` or `[request.texts]`",
        );
        return None;
    }
    let scalar = matches!(
        ty,
        Ty::String | Ty::Bool | Ty::I32 | Ty::I64 | Ty::U32 | Ty::U64 | Ty::Timestamp
    );
    if !scalar {
        cx.sink.error_help(
            &loc,
            "`value` needs a field of type `string`, `bool` or an integer type",
            "a fixed value is a scalar constant; for a one-value enum use `type = \"string\"`",
        );
        return None;
    }
    let c = match &v.kind {
        ValueKind::Str(s) if *ty == Ty::String => Const::Str(s.clone()),
        ValueKind::Bool(b) if *ty == Ty::Bool => Const::Bool(*b),
        ValueKind::Int(Some(i)) if !matches!(ty, Ty::String | Ty::Bool) => {
            let fits = match ty {
                Ty::I32 => i32::try_from(*i).is_ok(),
                Ty::U32 => u32::try_from(*i).is_ok(),
                Ty::U64 => u64::try_from(*i).is_ok() && i64::try_from(*i).is_ok(),
                _ => i64::try_from(*i).is_ok(),
            };
            if !fits {
                cx.sink.error(
                    &loc,
                    format!("`value = {i}` is out of range for the field's type"),
                );
                return None;
            }
            Const::Int(*i as i64)
        }
        ValueKind::Str(_) | ValueKind::Bool(_) | ValueKind::Int(_) => {
            cx.sink.error_help(
                &loc,
                "`value` does not match the field's `type`",
                "a string for `string`, true/false for `bool`, an integer for integer types",
            );
            return None;
        }
        other => {
            cx.sink.error(
                &loc,
                format!(
                    "`value` must be a string, an integer or a boolean, found {}",
                    crate::reader::kind_name(other)
                ),
            );
            return None;
        }
    };
    Some(c)
}

/// Parses and resolves a type expression.
pub(crate) fn parse_ty(cx: &mut Cx<'_>, scope: &Scope, src: &Sp<String>) -> Option<Ty> {
    match parse_expr(src.v.trim()) {
        Ok(expr) => resolve(cx, scope, src, &expr),
        Err(msg) => {
            cx.sink.error_help(&src.loc, format!("bad type `{}`: {msg}", src.v), "types: string, bool, i32, i64, u32, u64, f64, timestamp, json, list<T>, map<string, T>, Name");
            None
        }
    }
}

enum Expr {
    Word(String),
    List(Box<Expr>),
    Map(Box<Expr>),
}

fn parse_expr(s: &str) -> Result<Expr, String> {
    if let Some(inner) = s.strip_prefix("list<").and_then(|r| r.strip_suffix('>')) {
        return Ok(Expr::List(Box::new(parse_expr(inner.trim())?)));
    }
    if let Some(inner) = s.strip_prefix("map<").and_then(|r| r.strip_suffix('>')) {
        let Some((k, v)) = inner.split_once(',') else {
            return Err("a map needs `map<string, T>`".into());
        };
        if k.trim() != "string" {
            return Err("map keys must be `string`".into());
        }
        return Ok(Expr::Map(Box::new(parse_expr(v.trim())?)));
    }
    if s.is_empty() || !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err("expected a type name".into());
    }
    Ok(Expr::Word(s.to_owned()))
}

fn resolve(cx: &mut Cx<'_>, scope: &Scope, src: &Sp<String>, e: &Expr) -> Option<Ty> {
    match e {
        Expr::List(inner) => resolve(cx, scope, src, inner).map(|t| Ty::List(Box::new(t))),
        Expr::Map(inner) => resolve(cx, scope, src, inner).map(|t| Ty::Map(Box::new(t))),
        Expr::Word(w) => Some(match w.as_str() {
            "string" => Ty::String,
            "bool" => Ty::Bool,
            "i32" => Ty::I32,
            "i64" => Ty::I64,
            "u32" => Ty::U32,
            "u64" => Ty::U64,
            "f64" => Ty::F64,
            "timestamp" => Ty::Timestamp,
            "json" => Ty::Json,
            name => return lookup(cx, scope, src, name).map(Ty::Named),
        }),
    }
}

/// Finds a named type: the group's types first, then the product's.
pub(crate) fn lookup(
    cx: &mut Cx<'_>,
    scope: &Scope,
    src: &Sp<String>,
    name: &str,
) -> Option<TypeRef> {
    let product_scope: Scope = (scope.0.clone(), None);
    for s in [scope, &product_scope] {
        if let Some(d) = cx.scopes.get(s).and_then(|m| m.get(name)) {
            return Some(TypeRef {
                name: name.to_owned(),
                product: s.0.clone(),
                group: s.1.clone(),
                kind: d.kind,
            });
        }
        if s.1.is_none() {
            break;
        }
    }
    let mut candidates: Vec<&str> = PRIMITIVES.to_vec();
    for s in [scope, &product_scope] {
        if let Some(m) = cx.scopes.get(s) {
            candidates.extend(m.keys().map(String::as_str));
        }
    }
    let module = match &scope.1 {
        Some(g) => format!("`{}::{g}` or `{}`", scope.0, scope.0),
        None => format!("`{}`", scope.0),
    };
    let help = did_you_mean(name, candidates.iter().copied())
        .unwrap_or_else(|| format!("define it in a types.toml of {module}"));
    cx.sink.error_help(
        &src.loc,
        format!("unknown type `{name}`, not defined in {module}"),
        help,
    );
    None
}
