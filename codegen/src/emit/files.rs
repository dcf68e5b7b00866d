//! Which files are emitted and what each contains: the root, `errcode`, products, groups, types
//! and the `__examples` runner.

use proc_macro2::TokenStream;
use quote::quote;

use super::types::{self};
use super::{Ctx, doc, endpoint, finish, ident, paragraphs};
use crate::ir::{ClientKind, ErrAction, Group, Ir, Product, Response, TypeDef, TypeRef};
use crate::{Options, OutputFile};

/// Every output file.
pub(crate) fn all(ir: &Ir, opts: &Options, cx: &Ctx<'_>) -> Vec<OutputFile> {
    let lookup = |r: &TypeRef| -> Option<TypeDef> { ir.type_def(r).cloned() };
    let mut out = vec![
        OutputFile {
            path: "weixin.rs".into(),
            contents: finish(root(ir, opts), "**"),
        },
        OutputFile {
            path: "errcode.rs".into(),
            contents: finish(errcode(ir, cx), "errcodes.toml"),
        },
    ];
    if let Some(push) = ir.push() {
        out.push(OutputFile {
            path: "push.rs".into(),
            contents: finish(super::push::file(cx, push), "push/*.toml"),
        });
    }
    if opts.examples {
        out.push(OutputFile {
            path: "__examples.rs".into(),
            contents: finish(examples(ir, cx), "**"),
        });
    }
    for p in &ir.products {
        out.push(OutputFile {
            path: format!("{}/mod.rs", p.name),
            contents: finish(product(p, cx), &format!("{}/_product.toml", p.name)),
        });
        if !p.types.is_empty() {
            let tcx = cx.with_group(None);
            let body: TokenStream = p
                .types
                .iter()
                .map(|t| types::type_def(&tcx, t, &lookup))
                .collect();
            out.push(OutputFile {
                path: format!("{}/types.rs", p.name),
                contents: finish(body, &format!("{}/types.toml", p.name)),
            });
        }
        for g in &p.groups {
            let gcx = cx.with_group(Some(&g.name));
            out.push(OutputFile {
                path: format!("{}/{}.rs", p.name, g.module),
                contents: finish(
                    group(g, p.client, &gcx, &lookup),
                    &format!("{}/{}/*.toml", p.name, g.name),
                ),
            });
        }
    }
    out
}

fn include(path: &str) -> TokenStream {
    let p = format!("/{path}");
    quote!(include!(concat!(env!("OUT_DIR"), #p));)
}

fn root(ir: &Ir, opts: &Options) -> TokenStream {
    let products = ir.products.iter().map(|p| {
        let m = ident(&p.module);
        let d = doc(&paragraphs([p.summary.as_str(), p.docs.as_str()]));
        let inc = include(&format!("{}/mod.rs", p.name));
        // The Pay client needs the runtime's `pay` feature, which only Pay's group features enable.
        let cfg = if opts.features && p.client == ClientKind::Pay {
            any_group_feature(&p.groups)
        } else {
            TokenStream::new()
        };
        quote!(#d #cfg pub mod #m { #inc })
    });
    let errcode = include("errcode.rs");
    let push = if ir.push().is_some() {
        let inc = include("push.rs");
        let cfg = if opts.features {
            quote!(#[cfg(feature = "push")])
        } else {
            TokenStream::new()
        };
        quote! {
            #cfg
            /// Pushes (messages and events WeChat POSTs to your server) and passive replies, from
            /// `spec/push/`: parse a body into a `Node`, decode it with `PushMessage::decode` into
            /// a `Message`, and answer with a `Reply` written by `render_reply`.
            pub mod push { #inc }
        }
    } else {
        TokenStream::new()
    };
    let examples = if opts.examples {
        let inc = include("__examples.rs");
        quote! {
            /// Runs a spec example through the generated types (tests only).
            #[cfg(feature = "__examples")]
            #[doc(hidden)]
            pub mod __examples { #inc }
        }
    } else {
        TokenStream::new()
    };
    quote! {
        #(#products)*
        /// Named WeChat errcodes (from `spec/errcodes.toml`) and the table the clients use to classify them.
        pub mod errcode { #errcode }
        #push
        #examples
    }
}

fn errcode(ir: &Ir, cx: &Ctx<'_>) -> TokenStream {
    let rt = &cx.rt;
    let consts = ir.errcodes.iter().map(|e| {
        let n = ident(&e.name);
        let code = super::int_lit(e.code);
        let action = action_doc(e.action);
        let d = doc(&format!(
            "{} (errcode {})\n\n{action}",
            e.meaning.trim(),
            e.code
        ));
        quote!(#d pub const #n: #rt::ErrCode = #rt::ErrCode::new(#code);)
    });
    let rows = ir.errcodes.iter().map(|e| {
        let code = super::int_lit(e.code);
        let name = &e.name;
        let meaning = e.meaning.trim();
        let a = match e.action {
            ErrAction::RefreshToken => quote!(RefreshToken),
            ErrAction::RateLimited => quote!(RateLimited),
            ErrAction::Transient => quote!(Transient),
            ErrAction::Permanent => quote!(Permanent),
        };
        quote!(#rt::ErrCodeInfo::new(#code, #name, #meaning, #rt::Action::#a))
    });
    quote! {
        #(#consts)*
        /// Every errcode above with its meaning and action, sorted by code.
        pub static TABLE: #rt::ErrCodeTable = #rt::ErrCodeTable::new(&[#(#rows),*]);
    }
}

fn action_doc(a: ErrAction) -> &'static str {
    match a {
        ErrAction::RefreshToken => {
            "Action: the client drops its cached access token and resends the call once."
        }
        ErrAction::RateLimited => "Action: a quota or frequency limit; retry later, more slowly.",
        ErrAction::Transient => "Action: temporary; the call may succeed if retried later.",
        ErrAction::Permanent => {
            "Action: permanent; fix the request or the account before retrying."
        }
    }
}

fn product(p: &Product, cx: &Ctx<'_>) -> TokenStream {
    let groups = p.groups.iter().map(|g| {
        let m = ident(&g.module);
        let enabled = cx
            .features
            .then(|| format!("Enabled by the `{}` feature.", g.feature));
        let d = doc(&paragraphs([
            g.summary.as_str(),
            g.docs.as_str(),
            enabled.as_deref().unwrap_or_default(),
        ]));
        let cfg = feature_cfg(cx, g);
        let inc = include(&format!("{}/{}.rs", p.name, g.module));
        quote!(#cfg #d pub mod #m { #inc })
    });
    let features: Vec<&str> = p.groups.iter().map(|g| g.feature.as_str()).collect();
    let types_mod = if p.types.is_empty() || features.is_empty() {
        TokenStream::new()
    } else {
        let inc = include(&format!("{}/types.rs", p.name));
        let d = doc(&format!(
            "Types shared by the groups of `{}`; group modules refer to them as `super::types::Name`.",
            p.name
        ));
        let cfg = if cx.features {
            quote!(#[cfg(any(#(feature = #features),*))])
        } else {
            TokenStream::new()
        };
        quote!(#cfg #d pub mod types { #inc })
    };
    let client = if cx.clients {
        client(p, cx)
    } else {
        TokenStream::new()
    };
    quote! {
        #(#groups)*
        #types_mod
        #client
    }
}

/// `#[cfg(any(feature = "<product>-<group>", …))]` over `groups`.
fn any_group_feature(groups: &[Group]) -> TokenStream {
    let features = groups.iter().map(|g| &g.feature);
    quote!(#[cfg(any(#(feature = #features),*))])
}

/// `#[cfg(feature = "<product>-<group>")]`, or nothing when features are off.
fn feature_cfg(cx: &Ctx<'_>, g: &Group) -> TokenStream {
    if cx.features {
        let feat = &g.feature;
        quote!(#[cfg(feature = #feat)])
    } else {
        TokenStream::new()
    }
}

/// The product's `Client`: a newtype over the runtime client with one accessor per group.
fn client(p: &Product, cx: &Ctx<'_>) -> TokenStream {
    let accessors = p.groups.iter().map(|g| {
        let m = ident(&g.module);
        let a = ident(&g.accessor);
        let cfg = feature_cfg(cx, g);
        let d = doc(&format!(
            "{} (`{}::{}`)",
            g.summary.trim(),
            p.module,
            g.module
        ));
        quote! {
            #cfg
            #d
            pub fn #a(&self) -> #m::Api<'_> {
                #m::Api::new(&self.inner)
            }
        }
    });
    let summary = p.summary.trim();
    match p.client {
        ClientKind::App => client_over_runtime(
            cx,
            &format!(
                "Client for {summary}\n\nCheap to clone; dereferences to the runtime client for `send` and the other generic calls."
            ),
            quote!(app_id),
            quote!(app_secret),
            "A client for the account with this AppID and AppSecret, with default settings.",
            quote!(Stable),
            accessors.collect(),
        ),
        ClientKind::WeCom => client_over_runtime(
            cx,
            &format!(
                "Client for {summary}\n\nOne client per application: its CorpID and that application's secret. Tokens are cached per (CorpID, application), so two applications never use each other's token; name the application with `builder(…).agent_id(…)` for readable cache keys. Cheap to clone; dereferences to the runtime client."
            ),
            quote!(corp_id),
            quote!(secret),
            "A client for one application of the corp `corp_id`, with that application's secret (or the contacts / customer-contact secret).",
            quote!(WeCom),
            accessors.collect(),
        ),
        ClientKind::Component => component_client(
            cx,
            &format!(
                "Client for {summary}\n\nIts token is the component access token, fetched with the latest `component_verify_ticket` (save each ticket push with `save_ticket`). Dereferences to the runtime `Component` for the durable state (ticket, authorizations, health) and `authorizer::<C>(app_id)`, a client of any product acting for an authorizer. Cheap to clone."
            ),
            accessors.collect(),
        ),
        ClientKind::Pay => pay_client(
            cx,
            &format!(
                "Client for {summary}\n\nOne merchant: every request is signed with the merchant key and every response verified with WeChat Pay's public key or platform certificates before it is decoded. Errors are `Error::Pay` (HTTP status and string code) and `Error::Signature`. Orders and refunds are never resent after a timeout: query them before trying again. Cheap to clone; dereferences to the runtime `PayClient` (`jsapi_params`, `app_params`, `encrypt_sensitive`, `download_bill`, `notify_parser`)."
            ),
            accessors.collect(),
        ),
    }
}

/// The WeChat Pay client: a newtype over the runtime `PayClient`.
fn pay_client(cx: &Ctx<'_>, docs: &str, accessors: Vec<TokenStream>) -> TokenStream {
    let rt = &cx.rt;
    let d = doc(docs);
    quote! {
        #d
        #[derive(Clone, Debug)]
        pub struct Client {
            inner: #rt::pay::PayClient,
        }
        impl Client {
            /// A builder for merchant `mchid`: the serial of its API certificate, its private key
            /// (PEM) and its APIv3 key. Then say how responses are verified (`public_key(id, pem)`,
            /// `platform_certificates()`, or both during a migration) and `build()`.
            pub fn builder(
                mchid: impl Into<String>,
                merchant_cert_serial: impl Into<String>,
                merchant_key_pem: impl Into<String>,
                apiv3_key: impl Into<String>,
            ) -> #rt::pay::PayClientBuilder<Self> {
                #rt::pay::PayClientBuilder::new(mchid, merchant_cert_serial, merchant_key_pem, apiv3_key)
            }
            #(#accessors)*
        }
        impl From<#rt::pay::PayClient> for Client {
            fn from(inner: #rt::pay::PayClient) -> Self {
                Self { inner }
            }
        }
        impl ::std::ops::Deref for Client {
            type Target = #rt::pay::PayClient;
            fn deref(&self) -> &#rt::pay::PayClient {
                &self.inner
            }
        }
    }
}

/// A product client that is a newtype over the runtime `Client`.
fn client_over_runtime(
    cx: &Ctx<'_>,
    docs: &str,
    id: TokenStream,
    secret: TokenStream,
    new_docs: &str,
    source: TokenStream,
    accessors: Vec<TokenStream>,
) -> TokenStream {
    let rt = &cx.rt;
    let d = doc(docs);
    let nd = doc(new_docs);
    quote! {
        #d
        #[derive(Clone, Debug)]
        pub struct Client {
            inner: #rt::Client,
        }
        impl Client {
            #nd
            pub fn new(#id: impl Into<String>, #secret: impl Into<String>) -> Self {
                Self { inner: #rt::Client::with_source(#id, #secret, #rt::TokenSource::#source).errcodes(&crate::errcode::TABLE) }
            }
            /// A builder for a client with custom settings (base URLs, timeouts, token store…).
            pub fn builder(#id: impl Into<String>, #secret: impl Into<String>) -> #rt::ClientBuilder<Self> {
                #rt::ClientBuilder::<Self>::new(#id, #secret)
                    .token_source(#rt::TokenSource::#source)
                    .errcodes(&crate::errcode::TABLE)
            }
            #(#accessors)*
        }
        impl From<#rt::Client> for Client {
            fn from(inner: #rt::Client) -> Self {
                Self { inner }
            }
        }
        impl ::std::ops::Deref for Client {
            type Target = #rt::Client;
            fn deref(&self) -> &#rt::Client {
                &self.inner
            }
        }
    }
}

/// The Open Platform client: a newtype over the runtime `Component`.
fn component_client(cx: &Ctx<'_>, docs: &str, accessors: Vec<TokenStream>) -> TokenStream {
    let rt = &cx.rt;
    let d = doc(docs);
    quote! {
        #d
        #[derive(Clone, Debug)]
        pub struct Client {
            inner: #rt::Component,
        }
        impl Client {
            /// A client for the third-party platform with this component AppID and AppSecret,
            /// with default settings (in-memory credential store: use `builder` and a durable
            /// `credential_store` in production).
            pub fn new(component_app_id: impl Into<String>, component_app_secret: impl Into<String>) -> Self {
                Self::from(#rt::Client::with_source(component_app_id, component_app_secret, #rt::TokenSource::Component).errcodes(&crate::errcode::TABLE))
            }
            /// A builder for a client with custom settings (credential store, base URLs, …).
            pub fn builder(component_app_id: impl Into<String>, component_app_secret: impl Into<String>) -> #rt::ClientBuilder<Self> {
                #rt::Component::builder::<Self>(component_app_id, component_app_secret)
                    .errcodes(&crate::errcode::TABLE)
            }
            #(#accessors)*
        }
        impl From<#rt::Client> for Client {
            fn from(inner: #rt::Client) -> Self {
                Self { inner: #rt::Component::from(inner) }
            }
        }
        impl ::std::ops::Deref for Client {
            type Target = #rt::Component;
            fn deref(&self) -> &#rt::Component {
                &self.inner
            }
        }
    }
}

fn group(
    g: &Group,
    client: ClientKind,
    cx: &Ctx<'_>,
    lookup: &dyn Fn(&TypeRef) -> Option<TypeDef>,
) -> TokenStream {
    let mut out = endpoint::api(cx, g, client);
    for ep in &g.endpoints {
        out.extend(endpoint::endpoint(cx, ep));
    }
    for t in &g.types {
        out.extend(types::type_def(cx, t, lookup));
    }
    out
}

fn examples(ir: &Ir, cx: &Ctx<'_>) -> TokenStream {
    let rt = &cx.rt;
    let is_pay = |p: &&Product| p.client == ClientKind::Pay;
    let wechat: Vec<&Product> = ir.products.iter().filter(|p| !is_pay(p)).collect();
    let pay: Vec<&Product> = ir.products.iter().filter(is_pay).collect();
    let run = example_runner(
        cx,
        &wechat,
        quote!(run),
        quote!(#rt::Client),
        TokenStream::new(),
    );
    let pay_groups: Vec<Group> = pay.iter().flat_map(|p| p.groups.clone()).collect();
    let pay_cfg = if cx.features {
        any_group_feature(&pay_groups)
    } else {
        TokenStream::new()
    };
    let run_pay = if pay.is_empty() {
        TokenStream::new()
    } else {
        example_runner(
            cx,
            &pay,
            quote!(run_pay),
            quote!(#rt::pay::PayClient),
            pay_cfg,
        )
    };
    quote!(#run #run_pay)
}

/// `fn #name(client: &#client, endpoint_id, input)` over the endpoints of `products`.
fn example_runner(
    cx: &Ctx<'_>,
    products: &[&Product],
    name: TokenStream,
    client: TokenStream,
    cfg: TokenStream,
) -> TokenStream {
    let rt = &cx.rt;
    let arms = products.iter().flat_map(|p| p.groups.iter().map(move |g| (p, g))).flat_map(|(p, g)| {
        g.endpoints.iter().map(move |ep| {
            let pm = ident(&p.module);
            let gm = ident(&g.module);
            let ty = ident(&ep.type_name);
            let id = &ep.id;
            let cfg = feature_cfg(cx, g);
            let to_value = match ep.response {
                Response::Binary => quote!(Ok(::serde_json::json!({"content_type": b.content_type(), "len": b.len()}))),
                _ => quote!(::serde_json::to_value(&b).map_err(|e| #rt::Error::from(#rt::EncodeError::json(e)))),
            };
            quote! {
                #cfg
                #id => {
                    let req: crate::#pm::#gm::#ty = match ::serde_json::from_value(input) {
                        Ok(req) => req,
                        Err(e) => return Some(Err(#rt::Error::from(#rt::EncodeError::json(e)))),
                    };
                    Some(match client.send(&req).await {
                        Ok(b) => #to_value,
                        Err(e) => Err(e),
                    })
                }
            }
        })
    });
    quote! {
        /// Builds the request of endpoint `endpoint_id` from `input` (the example's path, query,
        /// body and files merged into one object), sends it with `client`, and returns the
        /// response as JSON (binary responses as `{"content_type", "len"}`). `None` for an
        /// endpoint id this client does not send.
        #cfg
        pub async fn #name(
            client: &#client,
            endpoint_id: &str,
            input: ::serde_json::Value,
        ) -> Option<Result<::serde_json::Value, #rt::Error>> {
            let _ = (&client, &input);
            match endpoint_id {
                #(#arms)*
                _ => None,
            }
        }
    }
}
