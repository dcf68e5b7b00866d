//! Named types and shared field emission: structs, enums, unions.

use proc_macro2::TokenStream;
use quote::quote;

use super::{Ctx, doc, ident, paragraphs};
use crate::ir::{
    Field, NamedKind, PayloadAt, Ty, TypeDef, TypeKind, TypeRef, Usage, Variant, WireFmt,
};

/// When a serde impl is compiled.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gate {
    /// Always.
    Always,
    /// Only with the `__examples` feature.
    Examples,
}

impl Gate {
    fn of(used: bool) -> Gate {
        if used { Gate::Always } else { Gate::Examples }
    }

    /// `item`, behind `#[cfg(feature = "__examples")]` when gated; nothing when gated and the
    /// examples are not emitted.
    pub fn wrap(self, cx: &Ctx<'_>, item: TokenStream) -> TokenStream {
        match self {
            Gate::Always => item,
            Gate::Examples if cx.examples => quote!(#[cfg(feature = "__examples")] #item),
            Gate::Examples => TokenStream::new(),
        }
    }
}

/// Usage with "unused" treated as both, so an unused type is still complete.
pub(crate) fn effective(u: Usage) -> Usage {
    if u.request || u.response {
        u
    } else {
        Usage {
            request: true,
            response: true,
            whole_response: false,
        }
    }
}

/// The Rust type of a field type, as seen from `cx.group`.
pub(crate) fn rust_ty(cx: &Ctx<'_>, ty: &Ty) -> TokenStream {
    match ty {
        Ty::String => quote!(String),
        Ty::Bool => quote!(bool),
        Ty::I32 => quote!(i32),
        Ty::I64 | Ty::Timestamp => quote!(i64),
        Ty::U32 => quote!(u32),
        Ty::U64 => quote!(u64),
        Ty::F64 => quote!(f64),
        Ty::Json => quote!(::serde_json::Value),
        Ty::List(t) => {
            let t = rust_ty(cx, t);
            quote!(Vec<#t>)
        }
        Ty::Map(t) => {
            let t = rust_ty(cx, t);
            quote!(::std::collections::BTreeMap<String, #t>)
        }
        Ty::Named(r) => named_path(cx, r),
    }
}

/// Path of a named type from the current module.
pub(crate) fn named_path(cx: &Ctx<'_>, r: &TypeRef) -> TokenStream {
    let name = ident(&r.name);
    match (&r.group, cx.group) {
        (None, Some(_)) => quote!(super::types::#name),
        _ => quote!(#name),
    }
}

/// How a struct's fields look.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// Private fields, `Option` for optional ones, `new` + setters.
    Request,
    /// Public fields, `Option`/`Vec` + `#[serde(default)]`, no constructor.
    Response,
    /// Public fields with request-style types, plus `new` + setters.
    Both,
}

/// What a field is in a request struct.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// A JSON body field or a struct field.
    Body,
    /// Not in the JSON body (query parameter, file, text part).
    Skip,
}

/// One field to emit, with its Rust type decided.
pub(crate) struct FieldOut<'a> {
    pub field: &'a Field,
    /// The Rust type as declared (without `Option`).
    pub ty: TokenStream,
    pub role: Role,
}

impl<'a> FieldOut<'a> {
    /// `field` with the Rust type its spec type declares.
    pub(crate) fn declared(cx: &Ctx<'_>, field: &'a Field, role: Role) -> Self {
        FieldOut {
            field,
            ty: rust_ty(cx, &field.ty),
            role,
        }
    }
}

fn is_collection(ty: &Ty) -> bool {
    matches!(ty, Ty::List(_) | Ty::Map(_))
}

/// Whether the field is declared as `Option<T>` in this style.
pub(crate) fn is_option(f: &Field, style: Style) -> bool {
    !(f.required || style == Style::Response && is_collection(&f.ty))
}

fn field_docs(f: &Field) -> String {
    let default = f
        .default
        .as_ref()
        .map(|d| format!("WeChat's default: `{d}`."));
    let deviation = f
        .deviation
        .as_ref()
        .map(|(d, e)| format!("Deviation from the official docs: {d} (evidence: `{e}`)"));
    let sensitive = f
        .sensitive
        .then(|| "Sensitive: redacted in `Debug` output.".to_owned());
    paragraphs(
        [
            Some(f.docs.as_str()),
            default.as_deref(),
            deviation.as_deref(),
            sensitive.as_deref(),
        ]
        .into_iter()
        .flatten(),
    )
}

fn with_module(cx: &Ctx<'_>, f: &Field, option: bool) -> Option<String> {
    if is_collection(&f.ty) {
        return None;
    }
    let base = match f.wire_fmt {
        WireFmt::Native => return None,
        WireFmt::IntBool => "int_bool",
        WireFmt::StringNumber => "string_number",
        WireFmt::StringOrInt => "string_or_int",
    };
    let prefix = if option { "opt_" } else { "" };
    Some(format!("{}::wire::{prefix}{base}", cx.rt_str))
}

/// Field declarations of a struct.
pub(crate) fn field_decls(
    cx: &Ctx<'_>,
    fields: &[FieldOut<'_>],
    style: Style,
    serde_always: bool,
) -> TokenStream {
    let mut out = TokenStream::new();
    for fo in fields {
        let f = fo.field;
        let name = ident(&f.rust);
        let option = is_option(f, style);
        let inner = &fo.ty;
        let ty = if option {
            quote!(Option<#inner>)
        } else {
            inner.clone()
        };
        let mut args: Vec<TokenStream> = Vec::new();
        if f.wire != f.rust && !f.flatten {
            let w = &f.wire;
            args.push(quote!(rename = #w));
        }
        if f.flatten {
            args.push(quote!(flatten));
        }
        if fo.role == Role::Skip {
            args.push(quote!(skip_serializing));
        }
        if let Some(w) = with_module(cx, f, option) {
            args.push(quote!(with = #w));
        }
        if option {
            args.push(quote!(default));
            if fo.role == Role::Body {
                args.push(quote!(skip_serializing_if = "Option::is_none"));
            }
        } else if !f.required && is_collection(&f.ty) {
            args.push(quote!(default));
        }
        let serde = match (args.is_empty(), serde_always, cx.examples) {
            (true, _, _) | (false, false, false) => TokenStream::new(),
            (false, true, _) => quote!(#[serde(#(#args),*)]),
            (false, false, true) => {
                quote!(#[cfg_attr(feature = "__examples", serde(#(#args),*))])
            }
        };
        let docs = doc(&field_docs(f));
        let vis = if style == Style::Request {
            TokenStream::new()
        } else {
            quote!(pub)
        };
        let deprecated = match (&f.deprecated, style) {
            (Some(d), Style::Response | Style::Both) => quote!(#[deprecated = #d]),
            _ => TokenStream::new(),
        };
        out.extend(quote! {
            #docs
            #deprecated
            #serde
            #vis #name: #ty,
        });
    }
    out
}

/// A manual `Debug` that prints `"***"` for sensitive fields, or `None` if no field is sensitive.
pub(crate) fn manual_debug(name: &str, fields: &[&Field]) -> Option<TokenStream> {
    if !fields.iter().any(|f| f.sensitive) {
        return None;
    }
    let n = ident(name);
    let entries = fields.iter().map(|f| {
        let r = &f.rust;
        let id = ident(r);
        if f.sensitive {
            quote!(.field(#r, &"***"))
        } else {
            quote!(.field(#r, &self.#id))
        }
    });
    Some(quote! {
        #[allow(deprecated)]
        impl ::std::fmt::Debug for #n {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.debug_struct(#name) #(#entries)* .finish()
            }
        }
    })
}

/// Parameter type and conversion for `new`/setters: strings take `impl Into<String>`.
pub(crate) fn param(f: &Field, ty: &TokenStream) -> (TokenStream, TokenStream) {
    let id = ident(&f.rust);
    if f.ty == Ty::String {
        (quote!(impl Into<String>), quote!(#id.into()))
    } else {
        (ty.clone(), quote!(#id))
    }
}

/// `new(required…)` and one setter per optional field.
pub(crate) fn builder(
    name: &str,
    fields: &[FieldOut<'_>],
    style: Style,
    what: &str,
) -> TokenStream {
    let n = ident(name);
    let mut params = Vec::new();
    let mut inits = Vec::new();
    let mut param_docs = String::new();
    let mut setters = TokenStream::new();
    for fo in fields {
        let f = fo.field;
        let id = ident(&f.rust);
        let (pty, conv) = param(f, &fo.ty);
        if f.required {
            params.push(quote!(#id: #pty));
            inits.push(if f.ty == Ty::String {
                quote!(#id: #conv)
            } else {
                quote!(#id)
            });
            let first = f.docs.lines().next().unwrap_or("").trim();
            param_docs.push_str(&format!(
                "\n- `{}`: {}",
                f.rust,
                if first.is_empty() { "required." } else { first }
            ));
        } else {
            let option = is_option(f, style);
            inits.push(if option {
                quote!(#id: None)
            } else {
                quote!(#id: Default::default())
            });
            let value = if option { quote!(Some(#conv)) } else { conv };
            let d = if f.docs.trim().is_empty() {
                format!("Sets `{}`.", f.rust)
            } else {
                field_docs(f)
            };
            let docs = doc(&d);
            let deprecated = match &f.deprecated {
                Some(d) => quote!(#[deprecated = #d]),
                None => TokenStream::new(),
            };
            setters.extend(quote! {
                #docs
                #deprecated
                pub fn #id(mut self, #id: #pty) -> Self {
                    self.#id = #value;
                    self
                }
            });
        }
    }
    let allow = if fields.iter().any(|f| f.field.deprecated.is_some()) {
        quote!(#[allow(deprecated)])
    } else {
        TokenStream::new()
    };
    let many = allow_many_arguments(params.len());
    let new_docs = doc(&format!(
        "Creates {what}.{}",
        if param_docs.is_empty() {
            String::new()
        } else {
            format!("\n{param_docs}")
        }
    ));
    quote! {
        #allow
        impl #n {
            #new_docs
            #many
            pub fn new(#(#params),*) -> Self {
                Self { #(#inits),* }
            }
            #setters
        }
    }
}

/// Serde derive attributes for a struct with the given gates.
pub(crate) fn derives(
    cx: &Ctx<'_>,
    ser: Option<Gate>,
    de: Option<Gate>,
    debug: bool,
    default: bool,
) -> TokenStream {
    let mut always = vec![quote!(Clone)];
    if debug {
        always.push(quote!(Debug));
    }
    if default {
        always.push(quote!(Default));
    }
    let mut gated = Vec::new();
    match ser {
        Some(Gate::Always) => always.push(quote!(::serde::Serialize)),
        Some(Gate::Examples) => gated.push(quote!(::serde::Serialize)),
        None => {}
    }
    match de {
        Some(Gate::Always) => always.push(quote!(::serde::Deserialize)),
        Some(Gate::Examples) => gated.push(quote!(::serde::Deserialize)),
        None => {}
    }
    let gated = if gated.is_empty() || !cx.examples {
        TokenStream::new()
    } else {
        quote!(#[cfg_attr(feature = "__examples", derive(#(#gated),*))])
    };
    quote!(#[derive(#(#always),*)] #gated)
}

/// A named type of a `types.toml`.
pub(crate) fn type_def(
    cx: &Ctx<'_>,
    t: &TypeDef,
    all: &dyn Fn(&TypeRef) -> Option<TypeDef>,
) -> TokenStream {
    let usage = effective(t.usage);
    match &t.kind {
        TypeKind::Struct { fields } => named_struct(cx, t, fields, usage),
        TypeKind::Enum { values, open } => enum_def(cx, t, values, *open, usage),
        TypeKind::Union {
            tag,
            payload,
            variants,
        } => union_def(cx, t, tag, *payload, variants, usage, all),
    }
}

fn named_struct(cx: &Ctx<'_>, t: &TypeDef, fields: &[Field], usage: Usage) -> TokenStream {
    let style = match (usage.request, usage.response) {
        (true, true) => Style::Both,
        (true, false) => Style::Request,
        _ => Style::Response,
    };
    let outs: Vec<FieldOut<'_>> = fields
        .iter()
        .map(|f| FieldOut::declared(cx, f, Role::Body))
        .collect();
    let refs: Vec<&Field> = fields.iter().collect();
    let debug = manual_debug(&t.name, &refs);
    let default = style != Style::Response && fields.iter().all(|f| !f.required);
    let derive = derives(
        cx,
        Some(Gate::of(usage.request)),
        Some(Gate::of(usage.response)),
        debug.is_none(),
        default,
    );
    let decls = field_decls(cx, &outs, style, true);
    let name = ident(&t.name);
    let docs = doc(&t.docs);
    let non_exhaustive = if style == Style::Request {
        TokenStream::new()
    } else {
        quote!(#[non_exhaustive])
    };
    let builder = if style == Style::Response {
        TokenStream::new()
    } else {
        builder(&t.name, &outs, style, &format!("a `{}`", t.name))
    };
    let rt = &cx.rt;
    let json_response = if usage.whole_response {
        quote!(impl #rt::JsonResponse for #name {})
    } else {
        TokenStream::new()
    };
    quote! {
        #docs
        #derive
        #non_exhaustive
        pub struct #name { #decls }
        #builder
        #debug
        #json_response
    }
}

fn enum_def(
    cx: &Ctx<'_>,
    t: &TypeDef,
    values: &[crate::ir::EnumValue],
    open: bool,
    usage: Usage,
) -> TokenStream {
    let rt = &cx.rt;
    let name = ident(&t.name);
    let docs = doc(&t.docs);
    let variants = values.iter().map(|v| {
        let d = doc(&if v.docs.trim().is_empty() {
            format!("`{}`", v.wire)
        } else {
            format!("{} (`{}`)", v.docs.trim(), v.wire)
        });
        let id = ident(&v.rust);
        quote!(#d #id,)
    });
    let arms_out = values.iter().map(|v| {
        let id = ident(&v.rust);
        let w = &v.wire;
        quote!(Self::#id => #w,)
    });
    let wires: Vec<&str> = values.iter().map(|v| v.wire.as_str()).collect();
    let ids: Vec<_> = values.iter().map(|v| ident(&v.rust)).collect();
    let ser_impl = Gate::of(usage.request).wrap(
        cx,
        quote! {
            impl ::serde::Serialize for #name {
                fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                    #rt::wire::enum_str(s, self.as_str())
                }
            }
        },
    );
    let de_body = if open {
        quote!(#rt::wire::open_enum(d, Self::from_wire))
    } else {
        quote!(#rt::wire::closed_enum(d, Self::from_wire, Self::WIRE_VALUES))
    };
    let de_impl = Gate::of(usage.response).wrap(
        cx,
        quote! {
            impl<'de> ::serde::Deserialize<'de> for #name {
                fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                    #de_body
                }
            }
        },
    );
    if open {
        quote! {
            #docs
            #[derive(Clone, Debug, PartialEq, Eq, Hash)]
            #[non_exhaustive]
            pub enum #name {
                #(#variants)*
                /// A value this version does not know yet, kept verbatim.
                Unknown(String),
            }
            impl #name {
                /// The value on the wire.
                pub fn as_str(&self) -> &str {
                    match self {
                        #(#arms_out)*
                        Self::Unknown(s) => s,
                    }
                }
                /// Parses a wire value; unknown values become `Unknown`.
                pub fn from_wire(s: &str) -> Self {
                    match s {
                        #(#wires => Self::#ids,)*
                        other => Self::Unknown(other.to_owned()),
                    }
                }
            }
            impl ::std::fmt::Display for #name {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    f.write_str(self.as_str())
                }
            }
            #ser_impl
            #de_impl
        }
    } else {
        quote! {
            #docs
            #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
            pub enum #name {
                #(#variants)*
            }
            impl #name {
                /// Every wire value, in declaration order.
                pub const WIRE_VALUES: &'static [&'static str] = &[#(#wires),*];
                /// The value on the wire.
                pub const fn as_str(self) -> &'static str {
                    match self {
                        #(#arms_out)*
                    }
                }
                /// Parses a wire value; `None` if it is not one of [`Self::WIRE_VALUES`].
                pub fn from_wire(s: &str) -> Option<Self> {
                    match s {
                        #(#wires => Some(Self::#ids),)*
                        _ => None,
                    }
                }
            }
            impl ::std::fmt::Display for #name {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    f.write_str(self.as_str())
                }
            }
            #ser_impl
            #de_impl
        }
    }
}

fn union_def(
    cx: &Ctx<'_>,
    t: &TypeDef,
    tag: &str,
    payload: PayloadAt,
    variants: &[Variant],
    usage: Usage,
    all: &dyn Fn(&TypeRef) -> Option<TypeDef>,
) -> TokenStream {
    let rt = &cx.rt;
    let name = ident(&t.name);
    let docs = doc(&t.docs);
    let unknown = usage.response;
    let vdecls = variants.iter().map(|v| {
        let d = doc(&paragraphs([
            format!("`{tag} = \"{}\"`.", v.tag).as_str(),
            v.docs.as_str(),
        ]));
        let id = ident(&v.rust);
        let ty = named_path(cx, &v.ty);
        quote!(#d #id(#ty),)
    });
    let unknown_decl = if unknown {
        quote! {
            /// A variant this version does not know yet, with the whole JSON object.
            Unknown {
                /// The tag value.
                tag: String,
                /// The whole object, as received.
                raw: ::serde_json::Value,
            },
        }
    } else {
        TokenStream::new()
    };
    let non_exhaustive = if unknown {
        quote!(#[non_exhaustive])
    } else {
        TokenStream::new()
    };

    // Shorthands and From impls.
    let mut shorthands = TokenStream::new();
    let mut froms = TokenStream::new();
    for v in variants {
        let id = ident(&v.rust);
        let ty = named_path(cx, &v.ty);
        let def = all(&v.ty);
        if usage.request {
            if let Some(TypeDef {
                kind: TypeKind::Struct { fields },
                ..
            }) = &def
            {
                if fields.len() == 1 && fields[0].required && fields[0].ty == Ty::String {
                    let fname =
                        crate::names::snake(&v.rust).unwrap_or_else(|_| v.rust.to_lowercase());
                    let f = ident(&fname);
                    let arg = ident(&fields[0].rust);
                    let d = doc(&format!("A `{tag} = \"{}\"` value.", v.tag));
                    shorthands.extend(quote! {
                        #d
                        pub fn #f(#arg: impl Into<String>) -> Self {
                            Self::#id(#ty::new(#arg))
                        }
                    });
                }
            }
        }
        if variants.iter().filter(|o| o.ty == v.ty).count() == 1 {
            froms.extend(quote! {
                impl From<#ty> for #name {
                    fn from(v: #ty) -> Self {
                        Self::#id(v)
                    }
                }
            });
        }
    }
    let shorthands = if shorthands.is_empty() {
        shorthands
    } else {
        quote!(impl #name { #shorthands })
    };

    let ser_arms = variants.iter().map(|v| {
        let id = ident(&v.rust);
        let tv = &v.tag;
        let key = match payload {
            PayloadAt::UnderTag => quote!(Some(#tv)),
            PayloadAt::Inline => quote!(None),
        };
        quote!(Self::#id(v) => #rt::wire::serialize_tagged(s, #tag, #tv, #key, v),)
    });
    let ser_unknown = if unknown {
        quote!(Self::Unknown { raw, .. } => ::serde::Serialize::serialize(raw, s),)
    } else {
        TokenStream::new()
    };
    let de_arms = variants.iter().map(|v| {
        let id = ident(&v.rust);
        let tv = &v.tag;
        let key = match payload {
            PayloadAt::UnderTag => quote!(Some(#tv)),
            PayloadAt::Inline => quote!(None),
        };
        quote!(#tv => #rt::wire::tagged_payload(&raw, #key).map(Self::#id),)
    });
    let tags: Vec<&str> = variants.iter().map(|v| v.tag.as_str()).collect();
    let de_fallback = if unknown {
        quote!(_ => Ok(Self::Unknown { tag, raw }),)
    } else {
        quote!(other => Err(#rt::wire::unknown_tag(#tag, other, &[#(#tags),*])),)
    };
    let ser_impl = Gate::of(usage.request).wrap(
        cx,
        quote! {
            impl ::serde::Serialize for #name {
                fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                    match self {
                        #(#ser_arms)*
                        #ser_unknown
                    }
                }
            }
        },
    );
    let de_impl = Gate::of(usage.response).wrap(
        cx,
        quote! {
            impl<'de> ::serde::Deserialize<'de> for #name {
                fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                    let (tag, raw) = #rt::wire::read_tagged(d, #tag)?;
                    match tag.as_str() {
                        #(#de_arms)*
                        #de_fallback
                    }
                }
            }
        },
    );
    quote! {
        #docs
        #[derive(Clone, Debug)]
        #non_exhaustive
        // A union value is built once and serialized; boxing its big variants would only make
        // it harder to write.
        #[allow(clippy::large_enum_variant)]
        pub enum #name {
            #(#vdecls)*
            #unknown_decl
        }
        #shorthands
        #froms
        #ser_impl
        #de_impl
    }
}

/// Whether a type reference is an enum (written to queries via `as_str`).
pub(crate) fn is_enum(r: &TypeRef) -> bool {
    matches!(r.kind, NamedKind::ClosedEnum | NamedKind::OpenEnum)
}

/// `#[allow(clippy::too_many_arguments)]` for a function of `count` parameters (`self` included)
/// above clippy's limit of 7: a request's required fields are its parameters.
pub(crate) fn allow_many_arguments(count: usize) -> TokenStream {
    if count > 7 {
        quote!(#[allow(clippy::too_many_arguments)])
    } else {
        TokenStream::new()
    }
}
