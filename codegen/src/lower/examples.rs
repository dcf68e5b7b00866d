//! `[[example]]` tables: read them and check that their JSON fits the declared fields.

use serde_json::Value as J;

use super::Cx;
use super::fields::Lowered;
use crate::diag::Loc;
use crate::ir::{
    BinaryExample, BodyKind, Example, Field, FileField, PayloadAt, Response, Ty, TypeKind, TypeRef,
    WireFmt,
};
use crate::load::ValueKind;
use crate::reader::{Sp, Tbl, to_json};

/// The parts of an endpoint that examples are checked against.
pub(crate) struct ExampleSrc<'a> {
    /// A WeChat Pay endpoint: errors are HTTP statuses with string codes.
    pub pay: bool,
    pub path: &'a [Lowered],
    pub query: &'a [Lowered],
    pub fields: &'a [Lowered],
    pub texts: &'a [Lowered],
    pub files: &'a [(FileField, Loc)],
    pub body: BodyKind,
    pub response: &'a Response,
}

/// Direction of the JSON being checked.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Request,
    Response,
}

/// Reads every `[[example]]`; returns them and their names.
pub(crate) fn read_all(
    cx: &mut Cx<'_>,
    root: &Tbl<'_>,
    src: &ExampleSrc<'_>,
) -> (Vec<Example>, Vec<String>) {
    let mut out: Vec<Example> = Vec::new();
    let Some(v) = root.get("example") else {
        return (out, Vec::new());
    };
    let ValueKind::Array(items) = &v.kind else {
        cx.sink.error_help(
            &root.loc_of(v),
            "`example` must be an array of tables",
            "write each as `[[example]]`",
        );
        return (out, Vec::new());
    };
    for item in items {
        let Some(t) = Tbl::of(&mut cx.sink, root.file, item, "an example") else {
            continue;
        };
        if let Some(ex) = read_one(cx, &t, src) {
            if out.iter().any(|e| e.name == ex.name) {
                cx.sink
                    .error(&t.loc(), format!("duplicate example name `{}`", ex.name));
                continue;
            }
            out.push(ex);
        }
    }
    let names = out.iter().map(|e| e.name.clone()).collect();
    (out, names)
}

fn read_one(cx: &mut Cx<'_>, t: &Tbl<'_>, src: &ExampleSrc<'_>) -> Option<Example> {
    t.check_keys(
        &mut cx.sink,
        &[
            "name", "docs", "path", "query", "request", "files", "response", "binary", "error",
            "status",
        ],
        "an example",
    );
    let name = t.req_str(&mut cx.sink, "name", "an example")?.v;
    let query_fields: Vec<&Field> = src.query.iter().map(|f| &f.field).collect();
    let path_fields: Vec<&Field> = src.path.iter().map(|f| &f.field).collect();

    // path parameters
    let mut path = J::Object(Default::default());
    if let Some(v) = t.get("path") {
        if matches!(v.kind, ValueKind::Table(_)) {
            path = to_json(v);
        } else {
            cx.sink.error(&t.loc_of(v), "`path` must be a table");
        }
    }
    if !path_fields.is_empty() || t.get("path").is_some() {
        let loc = t.get("path").map_or_else(|| t.loc(), |v| t.loc_of(v));
        Checker {
            cx,
            loc: &loc,
            example: &name,
        }
        .object(&path, &path_fields, "path", Mode::Request, &[]);
    }

    // query
    let mut query = J::Object(Default::default());
    match t.get("query") {
        Some(v) if matches!(v.kind, ValueKind::Table(_)) => {
            query = to_json(v);
            Checker {
                cx,
                loc: &t.loc_of(v),
                example: &name,
            }
            .object(&query, &query_fields, "query", Mode::Request, &[]);
        }
        Some(v) => cx.sink.error(&t.loc_of(v), "`query` must be a table"),
        None => Checker {
            cx,
            loc: &t.loc(),
            example: &name,
        }
        .object(&query, &query_fields, "query", Mode::Request, &[]),
    }
    let query_loc = t.get("query").map_or_else(|| t.loc(), |v| t.loc_of(v));
    check_fixed(cx, &query_loc, &name, &query, &query_fields, "query", true);

    // request body (JSON body, or the text parts of a multipart body)
    let body_fields: Vec<&Field> = match src.body {
        BodyKind::Json => src.fields.iter().map(|f| &f.field).collect(),
        BodyKind::Multipart => src.texts.iter().map(|f| &f.field).collect(),
        BodyKind::None => Vec::new(),
    };
    let request = match t.str(&mut cx.sink, "request") {
        Some(r) if src.body == BodyKind::None => {
            cx.sink.error_help(
                &r.loc,
                format!("example `{name}` has a `request` but the endpoint has no body"),
                "remove it, or set `[request] body`",
            );
            None
        }
        Some(r) => match parse_json(cx, &r, &name, "request") {
            Some(j) => {
                Checker {
                    cx,
                    loc: &r.loc,
                    example: &name,
                }
                .object(&j, &body_fields, "request", Mode::Request, &[]);
                let as_text = src.body == BodyKind::Multipart;
                check_fixed(cx, &r.loc, &name, &j, &body_fields, "request", as_text);
                Some(j)
            }
            None => None,
        },
        None => {
            if body_fields.iter().any(|f| f.required) {
                cx.sink.error_help(
                    &t.loc(),
                    format!("example `{name}` has no `request`, but the body has required fields"),
                    "add `request = '''{...}'''`",
                );
            }
            None
        }
    };

    // files
    let mut files = serde_json::Map::new();
    if let Some(ft) = t.table(&mut cx.sink, "files") {
        for (key, v) in ft.iter() {
            if !src.files.iter().any(|(f, _)| f.wire == key.v) {
                let help = crate::diag::did_you_mean(
                    &key.v,
                    src.files.iter().map(|(f, _)| f.wire.as_str()),
                )
                .unwrap_or_else(|| "declare it under `[request.files]`".into());
                cx.sink.error_help(
                    &key.loc,
                    format!("example `{name}`: unknown file `{}`", key.v),
                    help,
                );
                continue;
            }
            let Some(vt) = Tbl::of(&mut cx.sink, ft.file, v, "a file") else {
                continue;
            };
            vt.check_keys(
                &mut cx.sink,
                &["file_name", "content_type", "size"],
                "an example file",
            );
            let file_name = vt.req_str(&mut cx.sink, "file_name", "an example file");
            let content_type = vt.str(&mut cx.sink, "content_type");
            let size = vt.int(&mut cx.sink, "size");
            if let Some(s) = &size {
                if s.v < 0 {
                    cx.sink.error(&s.loc, "`size` must not be negative");
                }
            }
            let Some(file_name) = file_name else { continue };
            let mut obj = serde_json::Map::new();
            obj.insert("file_name".into(), J::String(file_name.v));
            if let Some(ct) = content_type {
                obj.insert("content_type".into(), J::String(ct.v));
            }
            obj.insert("size".into(), J::from(size.map_or(0, |s| s.v.max(0))));
            files.insert(key.v, J::Object(obj));
        }
    }
    for (f, _) in src.files {
        if f.required && !files.contains_key(&f.wire) {
            cx.sink.error_help(
                &t.loc(),
                format!("example `{name}` is missing the required file `{}`", f.wire),
                "add `files = { ... }`",
            );
        }
    }

    // error and status
    let (error, error_code) = if src.pay {
        (None, t.str(&mut cx.sink, "error"))
    } else {
        (t.int(&mut cx.sink, "error"), None)
    };
    if let Some(e) = &error {
        cx.check_errcode(e);
    }
    if let Some(c) = &error_code {
        if !super::endpoint::is_pay_code(&c.v) {
            cx.sink.error_help(
                &c.loc,
                format!("example `{name}`: `{}` is not a WeChat Pay error code", c.v),
                "a SCREAMING_SNAKE_CASE string such as `ORDER_NOT_EXIST`",
            );
        }
    }
    let status = read_status(cx, t, &name, src.pay, error_code.is_some());
    let no_content = status == Some(204);

    // response
    let response = t.str(&mut cx.sink, "response");
    let response_json = response
        .as_ref()
        .and_then(|r| parse_json(cx, r, &name, "response").map(|j| (j, r.loc.clone())));
    let binary = match t.table(&mut cx.sink, "binary") {
        Some(b) => {
            b.check_keys(&mut cx.sink, &["content_type", "size"], "`binary`");
            if !matches!(src.response, Response::Binary) {
                cx.sink.error(
                    &b.loc(),
                    format!("example `{name}` has `binary` but the response kind is not binary"),
                );
            }
            let ct = b.req_str(&mut cx.sink, "content_type", "`binary`");
            let size = b.int(&mut cx.sink, "size");
            ct.map(|ct| BinaryExample {
                content_type: ct.v,
                size: size.map_or(0, |s| s.v.max(0) as u64),
            })
        }
        None => None,
    };
    if let (true, Some(r)) = (no_content, &response) {
        cx.sink.error_help(
            &r.loc,
            format!("example `{name}` has status 204 (no content) and a `response`"),
            "remove `response`",
        );
    }
    if response.is_none() && binary.is_none() && !no_content {
        cx.sink.error_help(
            &t.loc(),
            format!("example `{name}` has no `response`"),
            "add `response = '''{...}'''` (or `binary` for a binary endpoint)",
        );
    }
    if let (Some((j, loc)), true) = (&response_json, src.pay) {
        let code = j.get("code").and_then(J::as_str);
        match (&error_code, code) {
            (Some(want), got) if got != Some(want.v.as_str()) => cx.sink.error_help(
                loc,
                format!(
                    "example `{name}` expects code {} but its response carries {}",
                    want.v,
                    got.unwrap_or("none")
                ),
                format!("put `\"code\":\"{}\"` in the response", want.v),
            ),
            (Some(_), _) => {}
            (None, Some(got)) => cx.sink.error_help(
                loc,
                format!("example `{name}`: the response carries code {got} but the example has no `error`"),
                format!("add `error = \"{got}\"` and its `status`"),
            ),
            (None, None) => check_success(cx, loc, &name, j, src.response),
        }
    } else if let Some((j, loc)) = &response_json {
        let code = j.get("errcode").and_then(J::as_i64).unwrap_or(0);
        match &error {
            Some(e) if code != e.v => cx.sink.error_help(
                &e.loc,
                format!("example `{name}` expects errcode {} but its response carries {code}", e.v),
                format!("put `\"errcode\":{}` in the response", e.v),
            ),
            Some(_) => {}
            None if code != 0 => cx.sink.error_help(
                loc,
                format!("example `{name}`: the response carries errcode {code} but the example has no `error`"),
                format!("add `error = {code}`"),
            ),
            None => check_success(cx, loc, &name, j, src.response),
        }
    } else if let Some(e) = &error {
        if response.is_none() {
            cx.sink.error_help(
                &e.loc,
                format!("example `{name}` has `error` but no response carrying it"),
                "add `response = '''{\"errcode\":...}'''`",
            );
        }
    } else if let (Some(c), None) = (&error_code, &response) {
        cx.sink.error_help(
            &c.loc,
            format!("example `{name}` has `error` but no response carrying it"),
            "add `response = '''{\"code\":\"…\",\"message\":\"…\"}'''`",
        );
    }

    Some(Example {
        name,
        path,
        query,
        request,
        files: J::Object(files),
        response: response.map(|r| r.v),
        binary,
        error: error.map(|e| e.v),
        error_code: error_code.map(|c| c.v),
        status,
    })
}

/// A success response must fit the declared response fields.
fn check_success(cx: &mut Cx<'_>, loc: &Loc, name: &str, j: &J, response: &Response) {
    let mut checker = Checker {
        cx,
        loc,
        example: name,
    };
    let fields: Vec<&Field> = match response {
        Response::Json { fields, .. } => fields.iter().collect(),
        Response::Ack => Vec::new(),
        Response::Binary => return,
    };
    checker.object(
        j,
        &fields,
        "response",
        Mode::Response,
        &["errcode", "errmsg"],
    );
}

/// `status = 404`: only WeChat Pay answers with statuses other than 200. An error needs a 4xx or
/// 5xx status, a success a 2xx one.
fn read_status(cx: &mut Cx<'_>, t: &Tbl<'_>, name: &str, pay: bool, error: bool) -> Option<u16> {
    let status = t.int(&mut cx.sink, "status");
    let Some(s) = status else {
        if pay && error {
            cx.sink.error_help(
                &t.loc(),
                format!("example `{name}`: a WeChat Pay error needs its HTTP `status`"),
                "add e.g. `status = 400`",
            );
        }
        return None;
    };
    if !pay {
        cx.sink.error_help(
            &s.loc,
            format!("example `{name}`: WeChat answers errors with HTTP 200 and an errcode"),
            "remove `status` (only WeChat Pay examples have one)",
        );
        return None;
    }
    let ok = if error {
        (400..=599).contains(&s.v)
    } else {
        (200..=299).contains(&s.v)
    };
    if !ok {
        let want = if error { "a 4xx or 5xx" } else { "a 2xx" };
        cx.sink.error_help(
            &s.loc,
            format!("example `{name}`: status {} does not fit the example", s.v),
            format!(
                "an example {} `error` has {want} status",
                if error { "with" } else { "without" }
            ),
        );
        return None;
    }
    u16::try_from(s.v).ok()
}

/// Checks that `obj` carries every fixed-value field of `fields` with exactly its value: as JSON
/// in a JSON body, as text in the query string and in multipart text parts.
fn check_fixed(
    cx: &mut Cx<'_>,
    loc: &Loc,
    example: &str,
    obj: &J,
    fields: &[&Field],
    path: &str,
    as_text: bool,
) {
    for f in fields {
        let (Some(want), Some(got)) = (f.fixed_json(), obj.get(&f.wire)) else {
            continue;
        };
        let ok = if as_text {
            Some(text_of(got)) == f.fixed_text()
        } else {
            *got == want
        };
        if !ok {
            cx.sink.error_help(
                loc,
                format!(
                    "example `{example}`: `{path}.{}` is {got}, but the field always sends {want}",
                    f.wire
                ),
                format!("write `{}` as {want}, the field's `value`", f.wire),
            );
        }
    }
}

/// A query-string or text-part value as the server sees it.
fn text_of(v: &J) -> String {
    match v {
        J::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn parse_json(cx: &mut Cx<'_>, s: &Sp<String>, example: &str, what: &str) -> Option<J> {
    match serde_json::from_str::<J>(&s.v) {
        Ok(j) => Some(j),
        Err(e) => {
            cx.sink.error(
                &s.loc,
                format!("example `{example}`: `{what}` is not valid JSON: {e}"),
            );
            None
        }
    }
}

/// Checks example JSON against fields and types, reporting each mismatch with its JSON path.
struct Checker<'c, 'a, 'b> {
    cx: &'c mut Cx<'a>,
    loc: &'b Loc,
    example: &'b str,
}

impl Checker<'_, '_, '_> {
    fn err(&mut self, path: &str, msg: String) {
        let m = format!("example `{}`: `{path}`: {msg}", self.example);
        self.cx.sink.error(self.loc, m);
    }

    /// Checks an object against fields (flattened structs and unions included).
    fn object(&mut self, v: &J, fields: &[&Field], path: &str, mode: Mode, extra: &[&str]) {
        let J::Object(map) = v else {
            self.err(path, format!("expected an object, found {}", kind(v)));
            return;
        };
        let mut allowed: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        for f in fields {
            if f.flatten {
                if let Ty::Named(r) = &f.ty {
                    let keys = self.flat_keys(r, map);
                    let present = map.keys().any(|k| keys.contains(k));
                    allowed.extend(keys);
                    if f.required || present {
                        self.named(v, r, path, mode, true);
                    }
                }
                continue;
            }
            allowed.push(f.wire.clone());
            let sub = format!("{path}.{}", f.wire);
            match map.get(&f.wire) {
                None if f.required => {
                    self.err(path, format!("missing required field `{}`", f.wire))
                }
                None => {}
                Some(J::Null) if !f.required => {}
                Some(x) => self.value(x, &f.ty, f.wire_fmt, &sub, mode),
            }
        }
        for k in map.keys() {
            if !allowed.contains(k) {
                let msg = match crate::diag::did_you_mean(k, allowed.iter().map(String::as_str)) {
                    Some(h) => format!("unknown field `{k}` ({h})"),
                    None => format!("unknown field `{k}`"),
                };
                self.err(path, msg);
            }
        }
    }

    /// Keys a flattened struct or union contributes to its parent object.
    fn flat_keys(&self, r: &TypeRef, map: &serde_json::Map<String, J>) -> Vec<String> {
        match self.def(r) {
            Some(TypeKind::Struct { fields }) => fields.iter().map(|f| f.wire.clone()).collect(),
            Some(TypeKind::Union {
                tag,
                payload,
                variants,
            }) => {
                let mut keys = vec![tag.clone()];
                for var in &variants {
                    match payload {
                        PayloadAt::UnderTag => keys.push(var.tag.clone()),
                        PayloadAt::Inline => {
                            if map.get(&tag).and_then(J::as_str) == Some(var.tag.as_str()) {
                                if let Some(TypeKind::Struct { fields }) = self.def(&var.ty) {
                                    keys.extend(fields.iter().map(|f| f.wire.clone()));
                                }
                            }
                        }
                    }
                }
                keys
            }
            _ => Vec::new(),
        }
    }

    fn def(&self, r: &TypeRef) -> Option<TypeKind> {
        self.cx
            .defs
            .get(&((r.product.clone(), r.group.clone()), r.name.clone()))
            .map(|d| d.kind.clone())
    }

    fn value(&mut self, v: &J, ty: &Ty, fmt: WireFmt, path: &str, mode: Mode) {
        let ok = match (ty, fmt) {
            (Ty::String, WireFmt::StringOrInt) => v.is_string() || v.is_i64() || v.is_u64(),
            (Ty::String, _) => v.is_string(),
            (Ty::Bool, WireFmt::IntBool) => v.is_boolean() || matches!(v.as_u64(), Some(0 | 1)),
            (Ty::Bool, _) => v.is_boolean(),
            (
                Ty::I32 | Ty::I64 | Ty::U32 | Ty::U64 | Ty::Timestamp | Ty::F64,
                WireFmt::StringNumber,
            ) => {
                let text = v
                    .as_str()
                    .map(str::to_owned)
                    .or_else(|| v.is_number().then(|| v.to_string()));
                text.is_some_and(|t| int_fits(ty, &t))
            }
            (Ty::I32 | Ty::I64 | Ty::U32 | Ty::U64 | Ty::Timestamp, _) => {
                v.is_number() && int_fits(ty, &v.to_string())
            }
            (Ty::F64, _) => v.is_number(),
            (Ty::Json, _) => true,
            (Ty::List(inner), _) => match v {
                J::Array(items) => {
                    for (i, x) in items.iter().enumerate() {
                        self.value(x, inner, WireFmt::Native, &format!("{path}[{i}]"), mode);
                    }
                    true
                }
                _ => false,
            },
            (Ty::Map(inner), _) => match v {
                J::Object(m) => {
                    for (k, x) in m {
                        self.value(x, inner, WireFmt::Native, &format!("{path}.{k}"), mode);
                    }
                    true
                }
                _ => false,
            },
            (Ty::Named(r), _) => {
                self.named(v, r, path, mode, false);
                true
            }
        };
        if !ok {
            self.err(
                path,
                format!("expected {}, found {}", expected(ty, fmt), kind(v)),
            );
        }
    }

    /// Checks a named type. `flattened`: `v` is the parent object, whose other keys are not ours.
    fn named(&mut self, v: &J, r: &TypeRef, path: &str, mode: Mode, flattened: bool) {
        match self.def(r) {
            None => {}
            Some(TypeKind::Struct { fields }) => {
                let refs: Vec<&Field> = fields.iter().collect();
                if flattened {
                    let own = own_keys(v, &fields);
                    self.object(&own, &refs, path, mode, &[]);
                } else {
                    self.object(v, &refs, path, mode, &[]);
                }
            }
            Some(TypeKind::Enum { values, open }) => match v.as_str() {
                None => self.err(
                    path,
                    format!("expected a `{}` string, found {}", r.name, kind(v)),
                ),
                Some(s) if !open && !values.iter().any(|x| x.wire == s) => {
                    let list: Vec<&str> = values.iter().map(|x| x.wire.as_str()).collect();
                    self.err(
                        path,
                        format!(
                            "`{s}` is not a value of `{}` (one of: {})",
                            r.name,
                            list.join(", ")
                        ),
                    );
                }
                Some(_) => {}
            },
            Some(TypeKind::Union {
                tag,
                payload,
                variants,
            }) => {
                let Some(t) = v.get(&tag).and_then(J::as_str) else {
                    self.err(path, format!("`{}` needs a string `{tag}`", r.name));
                    return;
                };
                let Some(var) = variants.iter().find(|x| x.tag == t) else {
                    if mode == Mode::Request {
                        let list: Vec<&str> = variants.iter().map(|x| x.tag.as_str()).collect();
                        self.err(
                            &format!("{path}.{tag}"),
                            format!(
                                "`{t}` is not a variant of `{}` (one of: {})",
                                r.name,
                                list.join(", ")
                            ),
                        );
                    }
                    return;
                };
                let Some(TypeKind::Struct { fields }) = self.def(&var.ty) else {
                    return;
                };
                let refs: Vec<&Field> = fields.iter().collect();
                match payload {
                    PayloadAt::UnderTag => match v.get(&var.tag) {
                        Some(p) => self.object(p, &refs, &format!("{path}.{}", var.tag), mode, &[]),
                        None => self.err(
                            path,
                            format!("missing payload `{}` of variant `{t}`", var.tag),
                        ),
                    },
                    PayloadAt::Inline => {
                        if flattened {
                            let own = own_keys(v, &fields);
                            self.object(&own, &refs, path, mode, &[]);
                        } else {
                            self.object(v, &refs, path, mode, &[tag.as_str()]);
                        }
                    }
                }
            }
        }
    }
}

/// The entries of object `v` that belong to `fields`.
fn own_keys(v: &J, fields: &[Field]) -> J {
    let J::Object(m) = v else { return v.clone() };
    J::Object(
        m.iter()
            .filter(|(k, _)| fields.iter().any(|f| &f.wire == *k))
            .map(|(k, x)| (k.clone(), x.clone()))
            .collect(),
    )
}

fn int_fits(ty: &Ty, text: &str) -> bool {
    match ty {
        Ty::I32 => text.parse::<i32>().is_ok(),
        Ty::I64 | Ty::Timestamp => text.parse::<i64>().is_ok(),
        Ty::U32 => text.parse::<u32>().is_ok(),
        Ty::U64 => text.parse::<u64>().is_ok(),
        Ty::F64 => text.parse::<f64>().is_ok(),
        _ => false,
    }
}

fn expected(ty: &Ty, fmt: WireFmt) -> String {
    match (ty, fmt) {
        (Ty::String, WireFmt::StringOrInt) => "a string or an integer".into(),
        (Ty::String, _) => "a string".into(),
        (Ty::Bool, WireFmt::IntBool) => "0 or 1".into(),
        (Ty::Bool, _) => "a boolean".into(),
        (_, WireFmt::StringNumber) => "a number in a string".into(),
        (Ty::I32, _) => "an i32".into(),
        (Ty::I64 | Ty::Timestamp, _) => "an i64".into(),
        (Ty::U32, _) => "a u32".into(),
        (Ty::U64, _) => "a u64".into(),
        (Ty::F64, _) => "a number".into(),
        (Ty::List(_), _) => "an array".into(),
        (Ty::Map(_), _) => "an object".into(),
        (Ty::Json, _) => "any JSON".into(),
        (Ty::Named(r), _) => format!("a `{}`", r.name),
    }
}

fn kind(v: &J) -> &'static str {
    match v {
        J::Null => "null",
        J::Bool(_) => "a boolean",
        J::Number(_) => "a number",
        J::String(_) => "a string",
        J::Array(_) => "an array",
        J::Object(_) => "an object",
    }
}
