//! Per endpoint: the request struct, `impl Endpoint`, the response type; per group: `Api`.

use proc_macro2::TokenStream;
use quote::quote;

use super::types::{self, FieldOut, Gate, Role, Style};
use super::{Ctx, doc, ident, paragraphs};
use crate::ir::{
    Auth, BodyKind, ClientKind, Credential, Endpoint, Field, FileLimitSpec, Group, Host, Input,
    Limit, Response, Retry, Ty, WireFmt,
};
use crate::names;

/// The request type's docs: summary, HTTP line, prose, errcodes, link.
fn request_docs(ep: &Endpoint) -> String {
    let http = format!("`{} {}`", ep.method.as_str(), ep.path);
    let items: Vec<String> = ep
        .errors
        .iter()
        .map(|(c, n)| format!("- [`errcode::{n}`](crate::errcode::{n}) ({c})"))
        .chain(ep.error_codes.iter().map(|c| format!("- `{c}`")))
        .collect();
    let errors = if items.is_empty() {
        String::new()
    } else {
        format!("Documented error codes:\n\n{}", items.join("\n"))
    };
    let link = ep
        .doc_url
        .as_ref()
        .map(|u| format!("[Official documentation]({u})"))
        .unwrap_or_default();
    let fixed: Vec<String> = ep
        .inputs()
        .filter_map(|i| match i {
            Input::Query(f) | Input::Body(f) | Input::Text(f) => {
                f.fixed_text().map(|v| format!("`{}={v}`", f.wire))
            }
            Input::Path(_) | Input::File(_) => None,
        })
        .collect();
    let fixed = match fixed.as_slice() {
        [] => String::new(),
        [one] => format!("Always sends {one}."),
        [init @ .., last] => format!("Always sends {} and {last}.", init.join(", ")),
    };
    paragraphs([
        ep.summary.as_str(),
        http.as_str(),
        fixed.as_str(),
        ep.docs.as_str(),
        errors.as_str(),
        link.as_str(),
    ])
}

fn upload_field(cx: &Ctx<'_>, f: &crate::ir::FileField) -> Field {
    let _ = cx;
    Field {
        wire: f.wire.clone(),
        rust: f.rust.clone(),
        ty: Ty::Json, // placeholder type tag; the Rust type is set explicitly below
        required: f.required,
        flatten: false,
        wire_fmt: WireFmt::Native,
        docs: f.docs.clone(),
        default: None,
        deprecated: None,
        deviation: None,
        sensitive: false,
        value: None,
    }
}

/// Everything one endpoint emits.
/// The fields a request stores: fixed-value fields are written by `encode`, never stored.
fn settable(fields: &[Field]) -> impl Iterator<Item = &Field> {
    fields.iter().filter(|f| f.value.is_none())
}

pub(crate) fn endpoint(cx: &Ctx<'_>, ep: &Endpoint) -> TokenStream {
    let rt = &cx.rt;
    let json_body = ep.body == BodyKind::Json;
    let file_fields: Vec<Field> = ep.files.iter().map(|f| upload_field(cx, f)).collect();
    let outs: Vec<FieldOut<'_>> = ep
        .path_params
        .iter()
        .chain(settable(&ep.query))
        .map(|f| FieldOut::declared(cx, f, Role::Skip))
        .chain(settable(&ep.fields).map(|f| FieldOut::declared(cx, f, Role::Body)))
        .chain(file_fields.iter().map(|f| FieldOut {
            field: f,
            ty: quote!(#rt::Upload),
            role: Role::Skip,
        }))
        .chain(settable(&ep.texts).map(|f| FieldOut::declared(cx, f, Role::Skip)))
        .collect();
    let all: Vec<&Field> = outs.iter().map(|o| o.field).collect();
    let debug = types::manual_debug(&ep.type_name, &all);
    let default = outs.iter().all(|o| !o.field.required);
    let derive = types::derives(
        cx,
        json_body.then_some(Gate::Always),
        Some(Gate::Examples),
        debug.is_none(),
        default,
    );
    let decls = types::field_decls(cx, &outs, Style::Request, json_body);
    let name = ident(&ep.type_name);
    let docs = doc(&request_docs(ep));
    let builder = types::builder(&ep.type_name, &outs, Style::Request, "the request");
    let (resp_ty, resp_def) = response(cx, ep);
    let consts = consts(cx, ep);
    let encode = encode(cx, ep);
    let req_param = if encode.is_empty() {
        quote!(_req)
    } else {
        quote!(req)
    };
    let id = &ep.id;
    let path = &ep.path;
    let method = ident(&heck::ToUpperCamelCase::to_upper_camel_case(
        ep.method.as_str(),
    ));
    quote! {
        #docs
        #derive
        #[must_use = "a request does nothing until passed to `Client::send`"]
        pub struct #name { #decls }
        #builder
        #debug
        impl #rt::Endpoint for #name {
            type Response = #resp_ty;
            const ID: &'static str = #id;
            const METHOD: #rt::Method = #rt::Method::#method;
            const PATH: &'static str = #path;
            #consts
            fn encode(&self, #req_param: &mut #rt::RequestParts) -> Result<(), #rt::EncodeError> {
                #encode
                Ok(())
            }
        }
        #resp_def
    }
}

fn consts(cx: &Ctx<'_>, ep: &Endpoint) -> TokenStream {
    let rt = &cx.rt;
    let mut out = TokenStream::new();
    let host = match ep.host {
        Host::Api => None,
        Host::File => Some(quote!(File)),
        Host::Mp => Some(quote!(Mp)),
        Host::Qyapi => Some(quote!(Qyapi)),
        Host::Mch => Some(quote!(Mch)),
    };
    if let Some(h) = host {
        out.extend(quote!(const HOST: #rt::Host = #rt::Host::#h;));
    }
    let credentials = |pairs: &[(String, Credential)]| {
        let items = pairs.iter().map(|(n, c)| {
            let c = match c {
                Credential::AppId => quote!(AppId),
                Credential::AppSecret => quote!(AppSecret),
                Credential::MchId => quote!(MchId),
            };
            quote!((#n, #rt::Credential::#c))
        });
        quote!(&[#(#items),*])
    };
    match &ep.auth {
        Auth::AccessToken => {}
        Auth::TokenParam(name) => {
            out.extend(quote!(const AUTH: #rt::Auth = #rt::Auth::TokenParam(#name);))
        }
        Auth::None => out.extend(quote!(const AUTH: #rt::Auth = #rt::Auth::None;)),
        Auth::Credentials(pairs) => {
            let list = credentials(pairs);
            out.extend(quote!(const AUTH: #rt::Auth = #rt::Auth::Credentials(#list);));
        }
    }
    if !ep.body_credentials.is_empty() {
        let list = credentials(&ep.body_credentials);
        out.extend(
            quote!(const BODY_CREDENTIALS: &'static [(&'static str, #rt::Credential)] = #list;),
        );
    }
    if ep.retry == Retry::Never {
        out.extend(quote!(const RETRY: #rt::Retry = #rt::Retry::Never;));
    }
    match ep.response {
        Response::Json { .. } => {}
        Response::Ack => {
            out.extend(quote!(const RESPONSE: #rt::ResponseKind = #rt::ResponseKind::Ack;))
        }
        Response::Binary => {
            out.extend(quote!(const RESPONSE: #rt::ResponseKind = #rt::ResponseKind::Binary;))
        }
    }
    out
}

/// How a query value is written: `place` names the value, `recv` is a method receiver for
/// it, `reference` borrows it.
fn query_value(
    f: &Field,
    place: &TokenStream,
    recv: &TokenStream,
    reference: &TokenStream,
    cx: &Ctx<'_>,
) -> TokenStream {
    let rt = &cx.rt;
    match (&f.ty, f.wire_fmt) {
        (Ty::Bool, WireFmt::IntBool) => quote!(u8::from(#place)),
        (Ty::String, _) => quote!(#reference),
        // Copy scalars go by value (`Display` either way).
        (Ty::Bool | Ty::I32 | Ty::I64 | Ty::U32 | Ty::U64 | Ty::F64 | Ty::Timestamp, _) => {
            quote!(#place)
        }
        (Ty::Named(r), _) if types::is_enum(r) => quote!(#recv.as_str()),
        _ => quote!(::serde_json::to_string(#reference).map_err(#rt::EncodeError::json)?),
    }
}

fn limit_tokens(cx: &Ctx<'_>, l: &Limit) -> TokenStream {
    let rt = &cx.rt;
    let max = proc_macro2::Literal::u64_unsuffixed(l.max_bytes);
    let exts = &l.extensions;
    quote!(#rt::FileLimit::new(#max, &[#(#exts),*]))
}

fn encode(cx: &Ctx<'_>, ep: &Endpoint) -> TokenStream {
    let rt = &cx.rt;
    let mut out = TokenStream::new();
    for f in &ep.path_params {
        let id = ident(&f.rust);
        let w = &f.wire;
        let v = query_value(
            f,
            &quote!(self.#id),
            &quote!(self.#id),
            &quote!(&self.#id),
            cx,
        );
        out.extend(quote!(req.path_param(#w, #v);));
    }
    for f in &ep.query {
        let id = ident(&f.rust);
        let w = &f.wire;
        if let Some(text) = f.fixed_text() {
            out.extend(quote!(req.query(#w, #text);));
        } else if f.required {
            let v = query_value(
                f,
                &quote!(self.#id),
                &quote!(self.#id),
                &quote!(&self.#id),
                cx,
            );
            out.extend(quote!(req.query(#w, #v);));
        } else {
            let v = query_value(f, &quote!(*v), &quote!(v), &quote!(v), cx);
            out.extend(quote!(if let Some(v) = &self.#id { req.query(#w, #v); }));
        }
    }
    if ep.body == BodyKind::Json {
        out.extend(json_body(ep));
    }
    for f in &ep.files {
        let id = ident(&f.rust);
        let w = &f.wire;
        let limit = match &f.limit {
            FileLimitSpec::None => quote!(None),
            FileLimitSpec::Fixed(l) => {
                let l = limit_tokens(cx, l);
                quote!(Some(&#l))
            }
            FileLimitSpec::By {
                field,
                required,
                ty,
                limits,
            } => {
                let by = ident(field);
                let ename = types::named_path(cx, ty);
                let mut arms: Vec<TokenStream> = limits
                    .iter()
                    .map(|(var, l)| {
                        let var = ident(var);
                        let val = match l {
                            Some(l) => {
                                let l = limit_tokens(cx, l);
                                quote!(Some(#l))
                            }
                            None => quote!(None),
                        };
                        if *required {
                            quote!(#ename::#var => #val,)
                        } else {
                            quote!(Some(#ename::#var) => #val,)
                        }
                    })
                    .collect();
                if matches!(ty.kind, crate::ir::NamedKind::OpenEnum) {
                    arms.push(if *required {
                        quote!(#ename::Unknown(_) => None,)
                    } else {
                        quote!(Some(#ename::Unknown(_)) => None,)
                    });
                }
                if !required {
                    arms.push(quote!(None => None,));
                }
                out.extend(quote! {
                    let limit: Option<#rt::FileLimit> = match &self.#by { #(#arms)* };
                });
                quote!(limit.as_ref())
            }
        };
        if f.required {
            out.extend(quote!(req.file(#w, &self.#id, #limit)?;));
        } else {
            out.extend(quote!(if let Some(file) = &self.#id { req.file(#w, file, #limit)?; }));
        }
    }
    for f in &ep.texts {
        let id = ident(&f.rust);
        let w = &f.wire;
        if let Some(text) = f.fixed_text() {
            out.extend(quote!(req.text(#w, #text);));
            continue;
        }
        let val = |v: TokenStream| match f.ty {
            Ty::String => quote!(#v),
            _ => quote!(::serde_json::to_string(#v).map_err(#rt::EncodeError::json)?),
        };
        if f.required {
            let v = val(quote!(&self.#id));
            out.extend(quote!(req.text(#w, #v);));
        } else {
            let v = val(quote!(v));
            out.extend(quote!(if let Some(v) = &self.#id { req.text(#w, #v); }));
        }
    }
    out
}

/// Writes the JSON body. Fixed-value fields are not in the request struct: a local struct
/// serializes them first, then the request's own fields (flattened).
fn json_body(ep: &Endpoint) -> TokenStream {
    let fixed: Vec<(&Field, serde_json::Value)> = ep
        .fields
        .iter()
        .filter_map(|f| f.fixed_json().map(|v| (f, v)))
        .collect();
    if fixed.is_empty() {
        return quote!(req.json(self)?;);
    }
    let mut decls = Vec::new();
    let mut inits = Vec::new();
    for (i, (f, v)) in fixed.iter().enumerate() {
        let slot = ident(&names::fixed_slot(i));
        let w = &f.wire;
        let (ty, lit) = match v {
            serde_json::Value::String(s) => (quote!(&'static str), quote!(#s)),
            serde_json::Value::Bool(b) => (quote!(bool), quote!(#b)),
            other => {
                let n = other.as_i64().unwrap_or_default();
                (quote!(i64), super::int_lit(n))
            }
        };
        decls.push(quote!(#[serde(rename = #w)] #slot: #ty,));
        inits.push(quote!(#slot: #lit,));
    }
    let rest = ident(names::FIXED_REST);
    let name = ident(&ep.type_name);
    quote! {
        #[derive(::serde::Serialize)]
        struct Body<'a> {
            #(#decls)*
            #[serde(flatten)]
            #rest: &'a #name,
        }
        req.json(&Body { #(#inits)* #rest: self })?;
    }
}

/// The `Response` type and, for JSON responses, its definition.
fn response(cx: &Ctx<'_>, ep: &Endpoint) -> (TokenStream, TokenStream) {
    let rt = &cx.rt;
    match &ep.response {
        Response::Ack => (quote!(#rt::Ack), TokenStream::new()),
        Response::Binary => (quote!(#rt::Binary), TokenStream::new()),
        Response::Json {
            shared: Some(r), ..
        } => (types::named_path(cx, r), TokenStream::new()),
        Response::Json { name, fields, .. } => {
            let n = ident(name);
            let outs: Vec<FieldOut<'_>> = fields
                .iter()
                .map(|f| FieldOut::declared(cx, f, Role::Body))
                .collect();
            let refs: Vec<&Field> = fields.iter().collect();
            let debug = types::manual_debug(name, &refs);
            let derive = types::derives(
                cx,
                Some(Gate::Examples),
                Some(Gate::Always),
                debug.is_none(),
                false,
            );
            let decls = types::field_decls(cx, &outs, Style::Response, true);
            let d = doc(&format!("Response of [`{}`].", ep.type_name));
            let def = quote! {
                #d
                #derive
                #[non_exhaustive]
                pub struct #n { #decls }
                #debug
                impl #rt::JsonResponse for #n {}
            };
            (quote!(#n), def)
        }
    }
}

/// The response type's name as seen by the `Api` method.
fn response_ty(cx: &Ctx<'_>, ep: &Endpoint) -> TokenStream {
    let rt = &cx.rt;
    match &ep.response {
        Response::Ack => quote!(#rt::Ack),
        Response::Binary => quote!(#rt::Binary),
        Response::Json {
            shared: Some(r), ..
        } => types::named_path(cx, r),
        Response::Json { name, .. } => {
            let n = ident(name);
            quote!(#n)
        }
    }
}

/// The group's `Api<'a>` with one method per endpoint, over the client of the product's kind.
pub(crate) fn api(cx: &Ctx<'_>, g: &Group, client: ClientKind) -> TokenStream {
    let rt = &cx.rt;
    let (client_ty, send_docs) = match client {
        ClientKind::Pay => (quote!(#rt::pay::PayClient), "PayClient::send"),
        _ => (quote!(#rt::Client), "Client::send"),
    };
    let methods = g.endpoints.iter().map(|ep| {
        let call = ident(&ep.call);
        let ty = ident(&ep.type_name);
        let resp = response_ty(cx, ep);
        let mut params = Vec::new();
        let mut args = Vec::new();
        let files: Vec<Field> = ep.files.iter().map(|f| upload_field(cx, f)).collect();
        let inputs = ep
            .path_params
            .iter()
            .chain(&ep.query)
            .chain(&ep.fields)
            .map(|f| (f, types::rust_ty(cx, &f.ty)));
        let inputs = inputs.chain(files.iter().map(|f| (f, quote!(#rt::Upload))));
        let inputs = inputs.chain(ep.texts.iter().map(|f| (f, types::rust_ty(cx, &f.ty))));
        let mut optional = false;
        for (f, t) in inputs.filter(|(f, _)| f.value.is_none()) {
            optional |= !f.required;
            if f.required {
                let id = ident(&f.rust);
                let (pty, _) = types::param(f, &t);
                params.push(quote!(#id: #pty));
                args.push(quote!(#id));
            }
        }
        let d = doc(&if optional {
            format!(
                "{}\n\nFor optional parameters, build [`{}`] and call `{send_docs}`.",
                ep.summary.trim(),
                ep.type_name
            )
        } else {
            ep.summary.trim().to_owned()
        });
        let many = types::allow_many_arguments(params.len() + 1);
        quote! {
            #d
            #many
            pub async fn #call(&self, #(#params),*) -> Result<#resp, #rt::Error> {
                self.client.send(&#ty::new(#(#args),*)).await
            }
        }
    });
    let get = if cx.clients {
        format!(
            "Get one with the product client's `{}()` accessor.",
            g.accessor
        )
    } else {
        "Create one with [`Api::new`] over a client (a product `Client` dereferences to one)."
            .into()
    };
    let d = doc(&format!("{}\n\n{get}", g.summary.trim()));
    quote! {
        #d
        #[derive(Clone, Copy, Debug)]
        pub struct Api<'a> {
            client: &'a #client_ty,
        }
        impl<'a> Api<'a> {
            /// The group's API over `client`.
            pub fn new(client: &'a #client_ty) -> Self {
                Self { client }
            }
            #(#methods)*
        }
    }
}
