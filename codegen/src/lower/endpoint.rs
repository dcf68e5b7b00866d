//! One endpoint file: `[endpoint]`, `[request]`, `[response]`, `[[example]]`.

use super::examples::{self, ExampleSrc};
use super::fields::{self, Site};
use super::{Cx, Scope, int_list};
use crate::diag::Loc;
use crate::ir::{
    Auth, BodyKind, ClientKind, Credential, Endpoint, FileField, FileLimitSpec, Host, Limit,
    Method, NamedKind, Response, Retry, Ty, TypeKind,
};
use crate::load::{Document, ValueKind};
use crate::names;
use crate::reader::{Sp, Tbl};

const ENDPOINT_KEYS: &[&str] = &[
    "id",
    "call",
    "method",
    "host",
    "path",
    "auth",
    "credentials",
    "body_credentials",
    "retry",
    "summary",
    "docs",
    "doc_url",
    "errors",
];

/// A lowered endpoint plus the locations later checks need.
pub(crate) struct Lowered {
    pub ir: Endpoint,
    pub loc: Loc,
    pub call_loc: Loc,
    pub response_loc: Loc,
}

impl Lowered {
    /// Type names this endpoint adds to its module, with where they come from.
    pub fn type_names(&self) -> Vec<(String, Loc)> {
        let mut v = vec![(self.ir.type_name.clone(), self.loc.clone())];
        if let Response::Json {
            name, shared: None, ..
        } = &self.ir.response
        {
            v.push((name.clone(), self.response_loc.clone()));
        }
        v
    }
}

/// Reads and checks one endpoint file.
pub(crate) fn read(cx: &mut Cx<'_>, doc: &Document, scope: &Scope) -> Option<Lowered> {
    let root = Tbl::of(&mut cx.sink, doc.file, &doc.table, "an endpoint file")?;
    root.check_keys(
        &mut cx.sink,
        &["endpoint", "request", "response", "example"],
        "an endpoint file",
    );
    let Some(e) = root.table(&mut cx.sink, "endpoint") else {
        cx.sink.error_help(
            &root.loc(),
            "missing `[endpoint]` table",
            "every endpoint file starts with `[endpoint]`",
        );
        return None;
    };
    e.check_keys(&mut cx.sink, ENDPOINT_KEYS, "[endpoint]");
    let id = e.req_str(&mut cx.sink, "id", "[endpoint]")?;
    let id_ok = names::explicit_snake(&id.v)
        .map_err(|err| cx.name_error(&id.loc, "endpoint id", err))
        .ok()?;
    if let Some(first) = cx.ids.get(&id_ok) {
        let first_path = cx.sink.sources.get(first.file).path.clone();
        cx.sink.error_help(
            &id.loc,
            format!("duplicate endpoint id `{id_ok}`"),
            format!("already defined in `{first_path}`"),
        );
        return None;
    }
    cx.ids.insert(id_ok.clone(), id.loc.clone());
    let type_name = cx.glossary.pascal(&id_ok).ok()?;
    let type_name = cx.type_name(
        &Sp {
            v: type_name,
            loc: id.loc.clone(),
        },
        "request type",
    )?;
    let (call, call_loc) = match e.str(&mut cx.sink, "call") {
        Some(c) => (
            names::explicit_snake(&c.v)
                .map_err(|err| cx.name_error(&c.loc, "call", err))
                .ok()?,
            c.loc,
        ),
        None => (id_ok.clone(), id.loc.clone()),
    };
    if call == "new" {
        cx.sink.error_help(
            &call_loc,
            "`new` cannot be a call name",
            "set `call` to something else",
        );
    }
    let pay = cx.client == ClientKind::Pay;
    let method = match e.req_str(&mut cx.sink, "method", "[endpoint]") {
        Some(m) => match Method::ALL.into_iter().find(|x| x.as_str() == m.v) {
            Some(v) if pay || matches!(v, Method::Get | Method::Post) => Some(Sp { v, loc: m.loc }),
            Some(_) => {
                cx.sink.error_help(
                    &m.loc,
                    format!("method `{}` is only used by WeChat Pay", m.v),
                    "GET or POST",
                );
                None
            }
            None => {
                cx.sink.error_help(
                    &m.loc,
                    format!("unknown method `{}`", m.v),
                    "one of: GET, POST, PUT, PATCH, DELETE",
                );
                None
            }
        },
        None => None,
    };
    let host_src = e.str(&mut cx.sink, "host");
    let host = match &host_src {
        None if pay => Host::Mch,
        None => Host::Api,
        Some(h) => match h.v.as_str() {
            "api" => Host::Api,
            "file" => Host::File,
            "mp" => Host::Mp,
            "qyapi" => Host::Qyapi,
            "mch" => Host::Mch,
            other => {
                cx.sink.error_help(
                    &h.loc,
                    format!("unknown host `{other}`"),
                    "one of: api, file, mp, qyapi, mch",
                );
                Host::Api
            }
        },
    };
    if let Some(h) = &host_src {
        if pay != (host == Host::Mch) {
            let help = if pay {
                "a WeChat Pay endpoint lives on `mch`: remove `host`"
            } else {
                "`mch` is WeChat Pay's host: use it in `spec/pay` only"
            };
            cx.sink
                .error_help(&h.loc, format!("host `{}` for this product", h.v), help);
        }
    }
    let path = e.req_str(&mut cx.sink, "path", "[endpoint]");
    if let Some(p) = &path {
        if !p.v.starts_with('/') || p.v.contains(['?', '#', ' ']) {
            cx.sink.error_help(
                &p.loc,
                format!("bad path `{}`", p.v),
                "a path starts with `/` and has no query string",
            );
        }
    }
    let auth = read_auth(cx, &e);
    if pay && matches!(auth, Auth::AccessToken | Auth::TokenParam(_)) {
        if let Some(a) = e.get("auth") {
            cx.sink.error_help(
                &e.loc_of(a),
                "WeChat Pay requests are signed, not sent with a token",
                "remove `auth`, or use `auth = \"credentials\"` with `credentials = { mchid = \"mchid\" }`",
            );
        }
    }
    // A Pay request is signed by the client; nothing else authenticates it.
    let auth = match auth {
        Auth::AccessToken if pay => Auth::None,
        other => other,
    };
    let retry = match e.str(&mut cx.sink, "retry") {
        None => Retry::Safe,
        Some(r) => match r.v.as_str() {
            "safe" => Retry::Safe,
            "never" => Retry::Never,
            other => {
                cx.sink
                    .error_help(&r.loc, format!("unknown retry `{other}`"), "safe or never");
                Retry::Safe
            }
        },
    };
    let summary = e
        .req_str(&mut cx.sink, "summary", "[endpoint]")
        .map(|s| s.v)
        .unwrap_or_default();
    let docs = e.str(&mut cx.sink, "docs").map(|s| s.v).unwrap_or_default();
    let doc_url = e.str(&mut cx.sink, "doc_url").map(|s| s.v);
    let mut errors = Vec::new();
    let mut error_codes = Vec::new();
    if pay {
        error_codes = pay_error_codes(cx, &e);
    } else {
        for code in int_list(cx, &e, "errors") {
            if let Some(name) = cx.check_errcode(&code) {
                errors.push((code.v, name));
            }
        }
    }

    // [request]
    let req = root.table(&mut cx.sink, "request");
    if let Some(r) = &req {
        r.check_keys(
            &mut cx.sink,
            &["body", "path", "query", "fields", "files", "texts"],
            "[request]",
        );
    }
    let body = match req.as_ref().and_then(|r| r.str(&mut cx.sink, "body")) {
        None => Sp {
            v: BodyKind::None,
            loc: id.loc.clone(),
        },
        Some(b) => {
            let v = match b.v.as_str() {
                "none" => BodyKind::None,
                "json" => BodyKind::Json,
                "multipart" => BodyKind::Multipart,
                other => {
                    cx.sink.error_help(
                        &b.loc,
                        format!("unknown body `{other}`"),
                        "one of: none, json, multipart",
                    );
                    BodyKind::None
                }
            };
            Sp { v, loc: b.loc }
        }
    };
    if let (Some(m), true) = (&method, body.v != BodyKind::None) {
        if !m.v.has_body() {
            cx.sink.error_help(
                &body.loc,
                format!("a {} endpoint cannot have a body", m.v.as_str()),
                "use `method = \"POST\"` or move the inputs to `[request.query]`",
            );
        }
    }
    let sub = |cx: &mut Cx<'_>, key: &str| req.as_ref().and_then(|r| r.table(&mut cx.sink, key));
    let path_t = sub(cx, "path");
    let query_t = sub(cx, "query");
    let fields_t = sub(cx, "fields");
    let files_t = sub(cx, "files");
    let texts_t = sub(cx, "texts");
    let path_params = fields::read_all(cx, scope, path_t, Site::Path);
    if let Some(p) = &path {
        check_placeholders(cx, p, &path_params);
    }
    let query = fields::read_all(cx, scope, query_t, Site::Query);
    let body_fields = fields::read_all(cx, scope, fields_t, Site::Body);
    let texts = fields::read_all(cx, scope, texts_t, Site::Text);
    if let Some(t) = fields_t {
        if body.v != BodyKind::Json && !t.entries.is_empty() {
            cx.sink.error_help(
                &t.loc(),
                "`[request.fields]` needs `body = \"json\"`",
                "set `[request] body = \"json\"`",
            );
        }
    }
    for (t, what) in [(files_t, "files"), (texts_t, "texts")] {
        if let Some(t) = t {
            if body.v != BodyKind::Multipart && !t.entries.is_empty() {
                cx.sink.error_help(
                    &t.loc(),
                    format!("`[request.{what}]` needs `body = \"multipart\"`"),
                    "set `[request] body = \"multipart\"`",
                );
            }
        }
    }
    let files = read_files(cx, files_t, &query);

    // Rust and wire names must be unique across all inputs.
    let mut seen_rust = std::collections::BTreeMap::new();
    let mut seen_wire = std::collections::BTreeMap::new();
    let all_inputs = path_params
        .iter()
        .chain(&query)
        .chain(&body_fields)
        .chain(&texts)
        .map(|f| (&f.field.rust, &f.field.wire, &f.loc));
    let file_inputs = files.iter().map(|(f, loc)| (&f.rust, &f.wire, loc));
    for (rust, wire, loc) in all_inputs.chain(file_inputs) {
        if let Some(prev) = seen_rust.insert(rust.clone(), wire.clone()) {
            cx.sink.error_help(
                loc,
                format!("Rust name `{rust}` is already used by input `{prev}`"),
                "set `rust = \"…\"`",
            );
        }
        if seen_wire.insert(wire.clone(), ()).is_some() {
            cx.sink.error(loc, format!("input `{wire}` is declared twice (query, fields, files and texts share one namespace)"));
        }
    }

    // [response]
    let resp = root.table(&mut cx.sink, "response");
    let mut response_loc = id.loc.clone();
    let mut resp_fields_lowered: Vec<fields::Lowered> = Vec::new();
    let response = match resp {
        None => Response::Json {
            name: format!("{type_name}Response"),
            fields: Vec::new(),
            shared: None,
        },
        Some(r) => {
            response_loc = r.loc();
            r.check_keys(
                &mut cx.sink,
                &["kind", "name", "type", "fields", "docs"],
                "[response]",
            );
            let kind = r.str(&mut cx.sink, "kind");
            match kind.as_ref().map(|k| k.v.as_str()) {
                Some("ack") | Some("binary") => {
                    let k = kind.as_ref().map(|k| k.v.as_str()).unwrap_or_default();
                    if let Some(t) = r.get("fields") {
                        cx.sink
                            .error(&r.loc_of(t), format!("a `{k}` response has no fields"));
                    }
                    if k == "ack" {
                        Response::Ack
                    } else {
                        Response::Binary
                    }
                }
                None | Some("json") if r.get("type").is_some() => {
                    shared_response(cx, scope, &r).unwrap_or(Response::Ack)
                }
                None | Some("json") => {
                    let name = match r.str(&mut cx.sink, "name") {
                        Some(n) => {
                            response_loc = n.loc.clone();
                            cx.type_name(&n, "response type")
                                .unwrap_or_else(|| format!("{type_name}Response"))
                        }
                        None => format!("{type_name}Response"),
                    };
                    let ft = r.table(&mut cx.sink, "fields");
                    resp_fields_lowered = fields::read_all(cx, scope, ft, Site::Response);
                    Response::Json {
                        name,
                        fields: resp_fields_lowered
                            .iter()
                            .map(|f| f.field.clone())
                            .collect(),
                        shared: None,
                    }
                }
                Some(other) => {
                    let loc = kind
                        .as_ref()
                        .map(|k| k.loc.clone())
                        .unwrap_or_else(|| r.loc());
                    cx.sink.error_help(
                        &loc,
                        format!("unknown response kind `{other}`"),
                        "one of: json, ack, binary",
                    );
                    Response::Ack
                }
            }
        }
    };
    let body_credentials = read_body_credentials(cx, &e, body.v);
    // [[example]]
    let src = ExampleSrc {
        pay,
        path: &path_params,
        query: &query,
        fields: &body_fields,
        texts: &texts,
        files: &files,
        body: body.v,
        response: &response,
    };
    let (examples, evidence_names) = examples::read_all(cx, &root, &src);

    // Required response fields need an example showing them.
    for f in &resp_fields_lowered {
        if f.field.required
            && !examples
                .iter()
                .any(|ex| !ex.is_error() && shows(ex.response.as_deref(), &f.field.wire))
        {
            cx.sink.error_help(
                &f.loc,
                format!(
                    "required response field `{}` is not shown by any success example",
                    f.field.wire
                ),
                "add an `[[example]]` whose response has it, or drop `required`",
            );
        }
    }
    // Evidence must name an example of this endpoint.
    for f in path_params
        .iter()
        .chain(&query)
        .chain(&body_fields)
        .chain(&texts)
        .chain(&resp_fields_lowered)
    {
        if let Some(ev) = &f.evidence {
            if !evidence_names.contains(&ev.v) && !ev.v.contains('/') {
                cx.sink.error_help(
                    &ev.loc,
                    format!("evidence `{}` is not an example of this endpoint", ev.v),
                    "name an `[[example]]` (or a fixture file path)",
                );
            }
        }
    }

    let (method, path) = (method?, path?);
    Some(Lowered {
        ir: Endpoint {
            product: scope.0.clone(),
            group: scope.1.clone().unwrap_or_default(),
            source: cx.sink.sources.get(doc.file).path.clone(),
            id: id_ok,
            type_name,
            call,
            method: method.v,
            host,
            path: path.v,
            auth,
            body_credentials,
            retry,
            summary,
            docs,
            doc_url,
            errors,
            error_codes,
            path_params: path_params.into_iter().map(|f| f.field).collect(),
            query: query.into_iter().map(|f| f.field).collect(),
            body: body.v,
            fields: body_fields.into_iter().map(|f| f.field).collect(),
            files: files.into_iter().map(|(f, _)| f).collect(),
            texts: texts.into_iter().map(|f| f.field).collect(),
            response,
            examples,
        },
        loc: id.loc,
        call_loc,
        response_loc,
    })
}

fn shows(response: Option<&str>, wire: &str) -> bool {
    response
        .and_then(|r| serde_json::from_str::<serde_json::Value>(r).ok())
        .is_some_and(|v| v.get(wire).is_some_and(|x| !x.is_null()))
}

fn read_auth(cx: &mut Cx<'_>, e: &Tbl<'_>) -> Auth {
    let auth = e.str(&mut cx.sink, "auth");
    let creds = e.table(&mut cx.sink, "credentials");
    match auth.as_ref().map(|a| a.v.as_str()) {
        None | Some("access_token") | Some("none") => {
            if let Some(c) = creds {
                cx.sink.error_help(
                    &c.loc(),
                    "`credentials` is only used with `auth = \"credentials\"`",
                    "remove it or set `auth`",
                );
            }
            if auth.as_ref().is_some_and(|a| a.v == "none") {
                Auth::None
            } else {
                Auth::AccessToken
            }
        }
        Some(name @ "component_access_token") => {
            if let Some(c) = creds {
                cx.sink.error_help(
                    &c.loc(),
                    "`credentials` is only used with `auth = \"credentials\"`",
                    "remove it, or use `body_credentials` for credentials in the JSON body",
                );
            }
            Auth::TokenParam(name.to_owned())
        }
        Some("credentials") => {
            let Some(c) = creds else {
                let loc = auth.map(|a| a.loc).unwrap_or_else(|| e.loc());
                cx.sink.error_help(
                    &loc,
                    "`auth = \"credentials\"` needs a `credentials` table",
                    "e.g. `credentials = { appid = \"app_id\", secret = \"app_secret\" }`",
                );
                return Auth::Credentials(Vec::new());
            };
            Auth::Credentials(read_credentials(cx, &c))
        }
        Some(other) => {
            let loc = auth
                .as_ref()
                .map(|a| a.loc.clone())
                .unwrap_or_else(|| e.loc());
            cx.sink.error_help(
                &loc,
                format!("unknown auth `{other}`"),
                "one of: access_token, component_access_token, none, credentials",
            );
            Auth::AccessToken
        }
    }
}

/// A `{ wire_name = "app_id" | "app_secret" }` table.
fn read_credentials(cx: &mut Cx<'_>, c: &Tbl<'_>) -> Vec<(String, Credential)> {
    let mut out = Vec::new();
    for (name, _) in c.iter() {
        let Some(v) = c.str(&mut cx.sink, &name.v) else {
            continue;
        };
        let pay = cx.client == ClientKind::Pay;
        let cred = match v.v.as_str() {
            "app_id" if !pay => Credential::AppId,
            "app_secret" if !pay => Credential::AppSecret,
            "mchid" if pay => Credential::MchId,
            other => {
                let known = if pay { "mchid" } else { "app_id or app_secret" };
                cx.sink.error_help(
                    &v.loc,
                    format!("unknown credential `{other}` for this product"),
                    known,
                );
                continue;
            }
        };
        out.push((name.v, cred));
    }
    out
}

/// `body_credentials`: only with a JSON body.
fn read_body_credentials(
    cx: &mut Cx<'_>,
    e: &Tbl<'_>,
    body: BodyKind,
) -> Vec<(String, Credential)> {
    let Some(c) = e.table(&mut cx.sink, "body_credentials") else {
        return Vec::new();
    };
    if body != BodyKind::Json {
        cx.sink.error_help(
            &c.loc(),
            "`body_credentials` needs a JSON body",
            "set `[request] body = \"json\"`",
        );
    }
    read_credentials(cx, &c)
}

fn read_limit(cx: &mut Cx<'_>, t: &Tbl<'_>) -> Option<Limit> {
    t.check_keys(&mut cx.sink, &["max_bytes", "extensions"], "a file limit");
    let max = t.int(&mut cx.sink, "max_bytes");
    let mut extensions = Vec::new();
    if let Some(v) = t.get("extensions") {
        match &v.kind {
            ValueKind::Array(items) => {
                for i in items {
                    match &i.kind {
                        ValueKind::Str(s) => {
                            extensions.push(s.trim_start_matches('.').to_ascii_lowercase())
                        }
                        _ => cx.sink.error(&t.loc_of(i), "extensions must be strings"),
                    }
                }
            }
            _ => cx
                .sink
                .error(&t.loc_of(v), "`extensions` must be an array of strings"),
        }
    }
    match max {
        Some(m) if m.v > 0 => Some(Limit {
            max_bytes: m.v as u64,
            extensions,
        }),
        Some(m) => {
            cx.sink.error(&m.loc, "`max_bytes` must be positive");
            None
        }
        None => {
            cx.sink.error_help(
                &t.loc(),
                "a file limit needs `max_bytes`",
                "add `max_bytes = <bytes>`",
            );
            None
        }
    }
}

fn read_files(
    cx: &mut Cx<'_>,
    table: Option<Tbl<'_>>,
    query: &[fields::Lowered],
) -> Vec<(FileField, Loc)> {
    let Some(table) = table else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (key, value) in table.iter() {
        let Some(t) = Tbl::of(
            &mut cx.sink,
            table.file,
            value,
            &format!("file `{}`", key.v),
        ) else {
            continue;
        };
        t.check_keys(
            &mut cx.sink,
            &["required", "docs", "rust", "limit", "limit_by", "limits"],
            &format!("file `{}`", key.v),
        );
        let required = t.bool(&mut cx.sink, "required").is_some_and(|b| b.v);
        let docs = t.str(&mut cx.sink, "docs").map(|s| s.v).unwrap_or_default();
        let rust = match t.str(&mut cx.sink, "rust") {
            Some(r) => names::explicit_snake(&r.v)
                .map_err(|e| cx.name_error(&r.loc, "field name", e))
                .ok(),
            None => cx
                .glossary
                .field(&key.v)
                .map_err(|e| cx.name_error(&key.loc, "field name", e))
                .ok(),
        };
        let Some(rust) = rust else { continue };
        let mut limit = FileLimitSpec::None;
        if let Some(l) = t.table(&mut cx.sink, "limit") {
            if let Some(l) = read_limit(cx, &l) {
                limit = FileLimitSpec::Fixed(l);
            }
        }
        if let Some(by) = t.str(&mut cx.sink, "limit_by") {
            let target = query.iter().find(|q| q.field.wire == by.v);
            let enum_ref = target.and_then(|q| match &q.field.ty {
                Ty::Named(r) if matches!(r.kind, NamedKind::ClosedEnum | NamedKind::OpenEnum) => {
                    Some(r.clone())
                }
                _ => None,
            });
            match (target, enum_ref) {
                (Some(q), Some(ty)) => {
                    let variants: Vec<(String, String)> = cx
                        .defs
                        .get(&((ty.product.clone(), ty.group.clone()), ty.name.clone()))
                        .map(|d| match &d.kind {
                            TypeKind::Enum { values, .. } => values
                                .iter()
                                .map(|v| (v.wire.clone(), v.rust.clone()))
                                .collect(),
                            _ => Vec::new(),
                        })
                        .unwrap_or_default();
                    let mut limits: Vec<(String, Option<crate::ir::Limit>)> =
                        variants.iter().map(|(_, r)| (r.clone(), None)).collect();
                    if let Some(lt) = t.table(&mut cx.sink, "limits") {
                        for (wire, v) in lt.iter() {
                            let Some(pos) = variants.iter().position(|(w, _)| *w == wire.v) else {
                                let help = crate::diag::did_you_mean(
                                    &wire.v,
                                    variants.iter().map(|(w, _)| w.as_str()),
                                )
                                .unwrap_or_else(|| {
                                    format!(
                                        "values of `{}`: {}",
                                        ty.name,
                                        variants
                                            .iter()
                                            .map(|(w, _)| w.as_str())
                                            .collect::<Vec<_>>()
                                            .join(", ")
                                    )
                                });
                                cx.sink.error_help(
                                    &wire.loc,
                                    format!("`{}` is not a value of `{}`", wire.v, ty.name),
                                    help,
                                );
                                continue;
                            };
                            let Some(vt) = Tbl::of(&mut cx.sink, table.file, v, "a file limit")
                            else {
                                continue;
                            };
                            limits[pos].1 = read_limit(cx, &vt);
                        }
                    } else {
                        cx.sink.error_help(
                            &by.loc,
                            "`limit_by` needs a `limits` table",
                            format!("add `[request.files.{}.limits.<value>]`", key.v),
                        );
                    }
                    if !matches!(limit, FileLimitSpec::None) {
                        cx.sink
                            .error(&by.loc, "use either `limit` or `limit_by`, not both");
                    }
                    limit = FileLimitSpec::By {
                        field: q.field.rust.clone(),
                        required: q.field.required,
                        ty,
                        limits,
                    };
                }
                (Some(_), None) => cx.sink.error_help(
                    &by.loc,
                    format!("`limit_by` names `{}`, which is not an enum", by.v),
                    "`limit_by` must name a query parameter whose type is an enum",
                ),
                (None, _) => cx.sink.error_help(
                    &by.loc,
                    format!(
                        "`limit_by` names `{}`, which is not a query parameter",
                        by.v
                    ),
                    "`limit_by` must name a query parameter whose type is an enum",
                ),
            }
        } else if let Some(lt) = t.get("limits") {
            cx.sink.error(&t.loc_of(lt), "`limits` needs `limit_by`");
        }
        out.push((
            FileField {
                wire: key.v.clone(),
                rust,
                required,
                docs,
                limit,
            },
            key.loc,
        ));
    }
    out
}

/// `[response] type = "Transaction"`: the response is a struct of a `types.toml`, as is.
fn shared_response(cx: &mut Cx<'_>, scope: &Scope, r: &Tbl<'_>) -> Option<Response> {
    let ty = r.str(&mut cx.sink, "type")?;
    for key in ["name", "fields"] {
        if let Some(v) = r.get(key) {
            cx.sink.error_help(
                &r.loc_of(v),
                format!("`[response]` has `type`, so it cannot have `{key}`"),
                "the named type's fields are the response's; remove this key",
            );
        }
    }
    let Ty::Named(reference) = fields::parse_ty(cx, scope, &ty)? else {
        cx.sink.error_help(
            &ty.loc,
            format!("response type `{}` is not a named type", ty.v),
            "name a struct of `types.toml`",
        );
        return None;
    };
    let owner: Scope = (reference.product.clone(), reference.group.clone());
    let def = cx.defs.get(&(owner, reference.name.clone()));
    let Some(TypeKind::Struct { fields }) = def.map(|d| &d.kind) else {
        cx.sink.error_help(
            &ty.loc,
            format!("response type `{}` is not a struct", ty.v),
            "a whole response must be a struct",
        );
        return None;
    };
    Some(Response::Json {
        name: reference.name.clone(),
        fields: fields.clone(),
        shared: Some(reference),
    })
}

/// The `{name}` placeholders of `path` must be exactly the declared path parameters.
fn check_placeholders(cx: &mut Cx<'_>, path: &Sp<String>, params: &[fields::Lowered]) {
    let mut placeholders = Vec::new();
    let mut rest = path.v.as_str();
    while let Some(open) = rest.find(['{', '}']) {
        let after = &rest[open..];
        let close = after.find('}').filter(|_| after.starts_with('{'));
        let Some(close) = close else {
            cx.sink.error_help(
                &path.loc,
                format!("unbalanced braces in path `{}`", path.v),
                "write a placeholder as `{name}`",
            );
            return;
        };
        placeholders.push(&after[1..close]);
        rest = &after[close + 1..];
    }
    for name in &placeholders {
        if !params.iter().any(|p| p.field.wire == *name) {
            cx.sink.error_help(
                &path.loc,
                format!("path placeholder `{{{name}}}` is not declared"),
                format!("add `[request.path.{name}]`"),
            );
        }
    }
    for p in params {
        if !placeholders.contains(&p.field.wire.as_str()) {
            cx.sink.error_help(
                &p.loc,
                format!(
                    "path parameter `{}` has no placeholder in the path",
                    p.field.wire
                ),
                format!(
                    "put `{{{}}}` in `path`, or remove the parameter",
                    p.field.wire
                ),
            );
        }
    }
}

/// `errors = ["ORDER_NOT_EXIST", …]`: WeChat Pay's documented error codes.
fn pay_error_codes(cx: &mut Cx<'_>, e: &Tbl<'_>) -> Vec<String> {
    let Some(v) = e.get("errors") else {
        return Vec::new();
    };
    let ValueKind::Array(items) = &v.kind else {
        cx.sink
            .error(&e.loc_of(v), "`errors` must be an array of strings");
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in items {
        match &item.kind {
            ValueKind::Str(code) if is_pay_code(code) => out.push(code.clone()),
            _ => cx.sink.error_help(
                &e.loc_of(item),
                "a WeChat Pay error code is a SCREAMING_SNAKE_CASE string",
                "e.g. `errors = [\"ORDER_NOT_EXIST\"]`",
            ),
        }
    }
    out
}

/// `ORDER_NOT_EXIST`: upper-case ASCII letters, digits and underscores, starting with a letter.
pub(crate) fn is_pay_code(code: &str) -> bool {
    code.starts_with(|c: char| c.is_ascii_uppercase())
        && code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}
