//! `weixin list`: the spec's products, groups and endpoints, and one endpoint's full docs.

use std::fmt::Write;

use weixin_codegen::ir::{Auth, BodyKind, Endpoint, Field, FileLimitSpec, Ir, Response, Retry, Ty};

use crate::sandbox::HostName;
use crate::spec;

/// The listing for `filter`: nothing (every product and group), `product`, `product.group`,
/// or an endpoint (`product.group.call` or its id) for its full description.
pub fn list(ir: &Ir, filter: Option<&str>) -> Result<String, String> {
    let Some(filter) = filter else {
        return Ok(products(ir));
    };
    if let Some(endpoint) = spec::find_endpoint(ir, filter) {
        return Ok(describe(endpoint));
    }
    let mut parts = filter.splitn(2, '.');
    let product_name = parts.next().unwrap_or_default();
    let Some(product) = ir.product(product_name) else {
        let hint = spec::suggest(product_name, ir.products.iter().map(|p| p.name.as_str()))
            .map(|s| format!(" (did you mean {s}?)"))
            .unwrap_or_default();
        return Err(format!("no product, group or endpoint {filter:?}{hint}"));
    };
    match parts.next() {
        None => {
            let mut out = format!("{} — {}\n\n", product.name, product.summary);
            for g in &product.groups {
                let _ = writeln!(
                    out,
                    "{}.{}  ({} endpoints)  {}",
                    product.name,
                    g.name,
                    g.endpoints.len(),
                    g.summary
                );
            }
            Ok(out)
        }
        Some(group_name) => {
            let Some(group) = spec::group(ir, &product.name, group_name) else {
                let hint =
                    spec::suggest(group_name, product.groups.iter().map(|g| g.name.as_str()))
                        .map(|s| format!(" (did you mean {}.{s}?)", product.name))
                        .unwrap_or_default();
                return Err(format!("no group or endpoint {filter:?}{hint}"));
            };
            let mut out = format!("{}.{} — {}\n\n", product.name, group.name, group.summary);
            let width = group
                .endpoints
                .iter()
                .map(|e| spec::dotted(e).len())
                .max()
                .unwrap_or(0);
            let path_width = group
                .endpoints
                .iter()
                .map(|e| e.path.len())
                .max()
                .unwrap_or(0);
            for e in &group.endpoints {
                let _ = writeln!(
                    out,
                    "{:width$}  {:4} {:path_width$}  {}",
                    spec::dotted(e),
                    e.method.as_str(),
                    e.path,
                    e.summary,
                );
            }
            out.push_str("\n`weixin list <endpoint>` shows its fields and docs.\n");
            Ok(out)
        }
    }
}

/// Every product with its groups.
fn products(ir: &Ir) -> String {
    let mut out = String::new();
    for p in &ir.products {
        let count: usize = p.groups.iter().map(|g| g.endpoints.len()).sum();
        let _ = writeln!(out, "{}  ({count} endpoints)  {}", p.name, p.summary);
        for g in &p.groups {
            let _ = writeln!(
                out,
                "  {}.{}  ({})  {}",
                p.name,
                g.name,
                g.endpoints.len(),
                g.summary
            );
        }
    }
    if let Some(push) = ir.push() {
        let _ = writeln!(
            out,
            "\npush: {} message and event types (`weixin simulate --list`), {} passive replies",
            push.messages.len(),
            push.replies.len()
        );
    }
    out
}

/// One endpoint: how it is called, its inputs, its response, errcodes and examples.
pub fn describe(e: &Endpoint) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}  (id {})", spec::dotted(e), e.id);
    let _ = writeln!(out, "{}\n", e.summary);
    let _ = writeln!(
        out,
        "  {} {} on {}",
        e.method.as_str(),
        e.path,
        HostName(e.host)
    );
    let auth = match &e.auth {
        Auth::AccessToken => "access_token".to_owned(),
        Auth::TokenParam(name) => name.clone(),
        Auth::None => "none".to_owned(),
        Auth::Credentials(pairs) => pairs
            .iter()
            .map(|(name, _)| name.as_str())
            .collect::<Vec<_>>()
            .join(" + "),
    };
    let retry = match e.retry {
        Retry::Safe => "safe (resent after a timeout)",
        Retry::Never => "never (not resent after a timeout)",
    };
    let _ = writeln!(out, "  auth: {auth}; retry: {retry}");
    if let Some(url) = &e.doc_url {
        let _ = writeln!(out, "  docs: {url}");
    }
    if !e.docs.trim().is_empty() {
        let _ = writeln!(out, "\n{}", e.docs.trim());
    }
    section(&mut out, "query", &e.query);
    if e.body == BodyKind::Json {
        section(&mut out, "body (JSON)", &e.fields);
    }
    if !e.files.is_empty() {
        out.push_str("\nfiles (multipart):\n");
        for f in &e.files {
            let limit = match &f.limit {
                FileLimitSpec::None => String::new(),
                FileLimitSpec::Fixed(l) => {
                    format!(" ≤ {} bytes {}", l.max_bytes, l.extensions.join("/"))
                }
                FileLimitSpec::By { field, .. } => format!(" limit by {field}"),
            };
            let _ = writeln!(
                out,
                "  {}{}{}  {}",
                f.wire,
                if f.required { " (required)" } else { "" },
                limit,
                one_line(&f.docs)
            );
        }
    }
    section(&mut out, "text parts (multipart)", &e.texts);
    match &e.response {
        Response::Ack => out.push_str("\nresponse: errcode/errmsg only\n"),
        Response::Binary => out.push_str("\nresponse: bytes (or a JSON error)\n"),
        Response::Json { name, fields, .. } => {
            section(&mut out, &format!("response {name}"), fields)
        }
    }
    if !e.errors.is_empty() {
        let codes: Vec<String> = e.errors.iter().map(|(c, n)| format!("{c} {n}")).collect();
        let _ = writeln!(out, "\nerrcodes: {}", codes.join(", "));
    }
    let names: Vec<&str> = e.examples.iter().map(|x| x.name.as_str()).collect();
    let _ = writeln!(out, "examples: {}", names.join(", "));
    out
}

fn section(out: &mut String, title: &str, fields: &[Field]) {
    if fields.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n{title}:");
    for f in fields {
        let mark = match (&f.value, f.required) {
            (Some(_), _) => format!(" = {}", f.fixed_text().unwrap_or_default()),
            (None, true) => " (required)".to_owned(),
            (None, false) => String::new(),
        };
        let _ = writeln!(
            out,
            "  {}: {}{mark}  {}",
            f.wire,
            ty(&f.ty),
            one_line(&f.docs)
        );
    }
}

/// A type as the spec writes it.
pub fn ty(t: &Ty) -> String {
    match t {
        Ty::String => "string".into(),
        Ty::Bool => "bool".into(),
        Ty::I32 => "i32".into(),
        Ty::I64 => "i64".into(),
        Ty::U32 => "u32".into(),
        Ty::U64 => "u64".into(),
        Ty::F64 => "f64".into(),
        Ty::Timestamp => "timestamp".into(),
        Ty::Json => "json".into(),
        Ty::List(t) => format!("list<{}>", ty(t)),
        Ty::Map(t) => format!("map<string, {}>", ty(t)),
        Ty::Named(r) => r.name.clone(),
    }
}

/// The first line of some docs.
fn one_line(docs: &str) -> &str {
    docs.trim().lines().next().unwrap_or_default()
}
