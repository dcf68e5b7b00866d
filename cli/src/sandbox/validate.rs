//! Checks a request against its endpoint's spec, answering the errcode WeChat would: 44002 for
//! an empty JSON body, 47001 for JSON that does not parse, `41xxx` for a missing field whose
//! `MISSING_<FIELD>` code the errcode table has (41005 for a missing file), 40002 for a wrong
//! `grant_type`, else 40097 (invalid args), always naming the field.

use serde_json::{Map, Value};
use weixin_codegen::ir::{BodyKind, Endpoint, Field, Ir, Ty, TypeKind, WireFmt};

use super::incoming::{BodyIn, Incoming};

/// errcode 40097: invalid arguments (not in the spec's table, but what WeChat answers).
pub const INVALID_ARGS: i64 = 40097;
/// errcode 44002: empty POST body.
const EMPTY_POST_DATA: i64 = 44002;
/// errcode 47001: the JSON does not parse.
const BAD_JSON: i64 = 47001;
/// errcode 40002: invalid `grant_type`.
const INVALID_GRANT_TYPE: i64 = 40002;

/// A refusal: errcode and message (without the rid).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// errcode.
    pub code: i64,
    /// errmsg, naming the field.
    pub message: String,
}

impl Problem {
    fn new(code: i64, message: impl Into<String>) -> Problem {
        Problem {
            code,
            message: message.into(),
        }
    }
}

/// Account fields WeChat reports with the code of another name (WeCom's `corpid` is 41002
/// like `appid`).
const ALIASES: [(&str, &str); 4] = [
    ("corpid", "appid"),
    ("corpsecret", "secret"),
    ("component_appid", "appid"),
    ("component_appsecret", "secret"),
];

/// The errcode for a missing field named `wire`: `MISSING_<WIRE>` from the table, else 40097.
pub fn missing_code(ir: &Ir, wire: &str) -> i64 {
    let wire = ALIASES
        .iter()
        .find(|(from, _)| *from == wire)
        .map_or(wire, |(_, to)| to);
    code_named(ir, &format!("MISSING_{}", wire.to_ascii_uppercase()))
}

/// The errcode the table names `name`, else 40097.
fn code_named(ir: &Ir, name: &str) -> i64 {
    ir.errcodes
        .iter()
        .find(|c| c.name == name)
        .map_or(INVALID_ARGS, |c| c.code)
}

/// A missing field's problem.
pub fn missing(ir: &Ir, wire: &str) -> Problem {
    let code = missing_code(ir, wire);
    if code == INVALID_ARGS {
        Problem::new(code, format!("invalid args: missing {wire}"))
    } else {
        Problem::new(code, format!("missing {wire}"))
    }
}

/// Checks the path values, query, body, files and text parts of `req` against `endpoint`.
pub fn request(ir: &Ir, endpoint: &Endpoint, req: &Incoming) -> Result<(), Problem> {
    for field in &endpoint.path_params {
        query_field(ir, field, req.path_param(&field.wire))?;
    }
    for field in &endpoint.query {
        query_field(ir, field, req.query(&field.wire))?;
    }
    match endpoint.body {
        BodyKind::None => Ok(()),
        BodyKind::Json => json_body(ir, endpoint, &req.body),
        BodyKind::Multipart => multipart(ir, endpoint, &req.body),
    }
}

/// A query parameter: present when required, equal to its fixed value, of its type.
fn query_field(ir: &Ir, field: &Field, value: Option<&str>) -> Result<(), Problem> {
    let Some(value) = value else {
        if field.wire == "grant_type" && field.value.is_some() {
            return Err(Problem::new(INVALID_GRANT_TYPE, "invalid grant_type"));
        }
        return if field.required || field.value.is_some() {
            Err(missing(ir, &field.wire))
        } else {
            Ok(())
        };
    };
    if let Some(fixed) = field.fixed_text() {
        if value != fixed {
            return Err(fixed_mismatch(field, &fixed));
        }
        return Ok(());
    }
    text(ir, &field.ty, field.wire_fmt, value, &field.wire)
}

/// A fixed-value field with another value.
fn fixed_mismatch(field: &Field, fixed: &str) -> Problem {
    if field.wire == "grant_type" {
        Problem::new(INVALID_GRANT_TYPE, "invalid grant_type")
    } else {
        Problem::new(
            INVALID_ARGS,
            format!("invalid args: {} must be {fixed}", field.wire),
        )
    }
}

/// A query or text-part value of type `ty`: numbers parse, bools are 0/1/true/false, closed
/// enums hold a listed value, JSON-typed parts parse and are checked as JSON.
fn text(ir: &Ir, ty: &Ty, fmt: WireFmt, value: &str, at: &str) -> Result<(), Problem> {
    let ok = match ty {
        Ty::String | Ty::Json => true,
        Ty::Bool => matches!(value, "0" | "1" | "true" | "false"),
        Ty::I32 => value.parse::<i32>().is_ok(),
        Ty::I64 | Ty::Timestamp => value.parse::<i64>().is_ok(),
        Ty::U32 => value.parse::<u32>().is_ok(),
        Ty::U64 => value.parse::<u64>().is_ok(),
        Ty::F64 => value.parse::<f64>().is_ok(),
        Ty::Named(r) => match ir.type_def(r).map(|d| &d.kind) {
            Some(TypeKind::Enum { .. }) => {
                return json_value(ir, ty, fmt, &Value::String(value.to_owned()), at);
            }
            _ => {
                let parsed: Value = serde_json::from_str(value)
                    .map_err(|_| Problem::new(BAD_JSON, format!("data format error: {at}")))?;
                return json_value(ir, ty, fmt, &parsed, at);
            }
        },
        Ty::List(_) | Ty::Map(_) => {
            let parsed: Value = serde_json::from_str(value)
                .map_err(|_| Problem::new(BAD_JSON, format!("data format error: {at}")))?;
            return json_value(ir, ty, fmt, &parsed, at);
        }
    };
    if ok { Ok(()) } else { Err(invalid(at, ty)) }
}

/// A value at `at` that is not of type `ty`.
fn invalid(at: &str, ty: &Ty) -> Problem {
    Problem::new(
        INVALID_ARGS,
        format!("invalid args: {at} is not a valid {}", ty_name(ty)),
    )
}

/// A short name of a type, for messages.
fn ty_name(ty: &Ty) -> String {
    match ty {
        Ty::String => "string".into(),
        Ty::Bool => "bool".into(),
        Ty::I32 | Ty::I64 | Ty::U32 | Ty::U64 | Ty::Timestamp => "integer".into(),
        Ty::F64 => "number".into(),
        Ty::Json => "JSON value".into(),
        Ty::List(t) => format!("list of {}", ty_name(t)),
        Ty::Map(t) => format!("object of {}", ty_name(t)),
        Ty::Named(r) => r.name.clone(),
    }
}

/// A JSON body: present, parseable, an object, and its fields valid.
fn json_body(ir: &Ir, endpoint: &Endpoint, body: &BodyIn) -> Result<(), Problem> {
    let bytes = match body {
        BodyIn::Bytes(b) if !b.iter().all(u8::is_ascii_whitespace) => b,
        BodyIn::Multipart(_) => {
            return Err(Problem::new(BAD_JSON, "data format error: expected JSON"));
        }
        _ => return Err(Problem::new(EMPTY_POST_DATA, "empty post data")),
    };
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| Problem::new(BAD_JSON, format!("data format error: {e}")))?;
    let Value::Object(object) = &value else {
        return Err(Problem::new(
            BAD_JSON,
            "data format error: not a JSON object",
        ));
    };
    fields(ir, &endpoint.fields, object, "")
}

/// The fields of one object (flattened fields checked against the same object).
fn fields(ir: &Ir, fields: &[Field], object: &Map<String, Value>, at: &str) -> Result<(), Problem> {
    for field in fields {
        let path = join(at, &field.wire);
        if field.flatten {
            json_value(
                ir,
                &field.ty,
                field.wire_fmt,
                &Value::Object(object.clone()),
                at,
            )?;
            continue;
        }
        match object.get(&field.wire) {
            None | Some(Value::Null) => {
                if field.wire == "grant_type" && field.value.is_some() {
                    return Err(Problem::new(INVALID_GRANT_TYPE, "invalid grant_type"));
                }
                if field.required || field.value.is_some() {
                    return Err(missing(ir, &path));
                }
            }
            Some(value) => {
                if let Some(fixed) = field.fixed_json() {
                    if *value != fixed {
                        return Err(fixed_mismatch(field, &fixed.to_string()));
                    }
                    continue;
                }
                json_value(ir, &field.ty, field.wire_fmt, value, &path)?;
            }
        }
    }
    Ok(())
}

/// One JSON value of type `ty` in wire format `fmt`.
fn json_value(ir: &Ir, ty: &Ty, fmt: WireFmt, v: &Value, at: &str) -> Result<(), Problem> {
    let number_text = |v: &Value| match v {
        Value::String(s) if matches!(fmt, WireFmt::StringNumber | WireFmt::StringOrInt) => {
            Some(s.clone())
        }
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let ok = match ty {
        Ty::Json => true,
        Ty::String => v.is_string() || (fmt == WireFmt::StringOrInt && v.is_number()),
        Ty::Bool => v.is_boolean() || v.as_u64().is_some_and(|n| n <= 1),
        Ty::I32 => number_text(v).is_some_and(|t| t.parse::<i32>().is_ok()),
        Ty::I64 | Ty::Timestamp => number_text(v).is_some_and(|t| t.parse::<i64>().is_ok()),
        Ty::U32 => number_text(v).is_some_and(|t| t.parse::<u32>().is_ok()),
        Ty::U64 => number_text(v).is_some_and(|t| t.parse::<u64>().is_ok()),
        Ty::F64 => number_text(v).is_some_and(|t| t.parse::<f64>().is_ok()),
        Ty::List(item) => {
            let Value::Array(items) = v else {
                return Err(invalid(at, ty));
            };
            for (i, item_value) in items.iter().enumerate() {
                json_value(ir, item, fmt, item_value, &format!("{at}[{i}]"))?;
            }
            true
        }
        Ty::Map(item) => {
            let Value::Object(entries) = v else {
                return Err(invalid(at, ty));
            };
            for (k, item_value) in entries {
                json_value(ir, item, fmt, item_value, &join(at, k))?;
            }
            true
        }
        Ty::Named(r) => {
            let Some(def) = ir.type_def(r) else {
                return Ok(());
            };
            return named(ir, &def.kind, ty, v, at);
        }
    };
    if ok { Ok(()) } else { Err(invalid(at, ty)) }
}

/// A value of a named struct, enum or union.
fn named(ir: &Ir, kind: &TypeKind, ty: &Ty, v: &Value, at: &str) -> Result<(), Problem> {
    match kind {
        TypeKind::Struct { fields: fs } => {
            let Value::Object(object) = v else {
                return Err(invalid(at, ty));
            };
            fields(ir, fs, object, at)
        }
        TypeKind::Enum { values, open } => {
            let text = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => return Err(invalid(at, ty)),
            };
            if *open || values.iter().any(|x| x.wire == text) {
                Ok(())
            } else {
                let known: Vec<&str> = values.iter().map(|x| x.wire.as_str()).collect();
                Err(Problem::new(
                    INVALID_ARGS,
                    format!("invalid args: {at} must be one of {}", known.join(", ")),
                ))
            }
        }
        TypeKind::Union {
            tag,
            payload,
            variants,
        } => {
            let Value::Object(object) = v else {
                return Err(invalid(at, ty));
            };
            let tag_at = join(at, tag);
            let Some(tag_value) = object.get(tag).and_then(Value::as_str) else {
                return Err(missing(ir, &tag_at));
            };
            let Some(variant) = variants.iter().find(|x| x.tag == tag_value) else {
                return Err(Problem::new(
                    INVALID_ARGS,
                    format!("invalid args: unknown {tag_at} {tag_value:?}"),
                ));
            };
            let variant_ty = Ty::Named(variant.ty.clone());
            match payload {
                weixin_codegen::ir::PayloadAt::UnderTag => match object.get(tag_value) {
                    Some(inner) => json_value(
                        ir,
                        &variant_ty,
                        WireFmt::Native,
                        inner,
                        &join(at, tag_value),
                    ),
                    None => Err(missing(ir, &join(at, tag_value))),
                },
                weixin_codegen::ir::PayloadAt::Inline => {
                    json_value(ir, &variant_ty, WireFmt::Native, v, at)
                }
            }
        }
    }
}

/// A multipart body: every required file present and non-empty, text parts valid.
fn multipart(ir: &Ir, endpoint: &Endpoint, body: &BodyIn) -> Result<(), Problem> {
    let empty = super::incoming::Form::default();
    let form = match body {
        BodyIn::Multipart(form) => form,
        _ => &empty,
    };
    for file in &endpoint.files {
        match form.files.iter().find(|f| f.name == file.wire) {
            None if file.required => {
                return Err(Problem::new(
                    code_named(ir, "MISSING_MEDIA_DATA"),
                    format!("media data missing: {}", file.wire),
                ));
            }
            Some(part) if part.bytes.is_empty() => {
                return Err(Problem::new(
                    code_named(ir, "EMPTY_MEDIA_FILE"),
                    format!("empty media file: {}", file.wire),
                ));
            }
            _ => {}
        }
    }
    for field in &endpoint.texts {
        let value = form
            .texts
            .iter()
            .find(|(name, _)| *name == field.wire)
            .map(|(_, v)| v.as_str());
        match value {
            None if field.required || field.value.is_some() => {
                return Err(missing(ir, &field.wire));
            }
            None => {}
            Some(value) => match field.fixed_text() {
                Some(fixed) if value != fixed => return Err(fixed_mismatch(field, &fixed)),
                Some(_) => {}
                None => text(ir, &field.ty, field.wire_fmt, value, &field.wire)?,
            },
        }
    }
    Ok(())
}

/// `a.b`, or `b` at the top.
fn join(at: &str, key: &str) -> String {
    if at.is_empty() {
        key.to_owned()
    } else {
        format!("{at}.{key}")
    }
}
