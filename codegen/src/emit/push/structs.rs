//! Structs of pushes, replies and nested types: field declarations, `FromNode` (reading a push)
//! and `write_to` (writing a reply).

use proc_macro2::TokenStream;
use quote::quote;

use super::rust_ty;
use crate::emit::{Ctx, doc, ident, paragraphs};
use crate::ir::push::{PushField, PushTy, PushType};

/// A nested struct of `[types.*]`.
pub(super) fn type_def(cx: &Ctx<'_>, t: &PushType) -> TokenStream {
    let d = doc(&paragraphs([t.summary.as_str(), t.docs.as_str()]));
    let decl = declaration(&t.name, &d, &t.fields, t.in_replies);
    let read = from_node(cx, &t.name, &t.fields);
    let write = if t.in_replies {
        let rt = &cx.rt;
        let n = ident(&t.name);
        let body = write_fields(&t.fields);
        quote! {
            impl #n {
                fn write_to(&self, out: &mut #rt::push::ReplyWriter) {
                    #body
                }
            }
        }
    } else {
        TokenStream::new()
    };
    quote!(#decl #read #write)
}

/// `pub struct Name { … }` with the derives, serde attributes and field docs.
pub(super) fn declaration(
    name: &str,
    docs: &TokenStream,
    fields: &[PushField],
    deserialize: bool,
) -> TokenStream {
    let n = ident(name);
    let de = deserialize.then(|| quote!(, ::serde::Deserialize));
    let decls = fields.iter().filter(|f| f.count_of.is_none()).map(|f| {
        let id = ident(&f.rust);
        let ty = rust_ty(&f.ty);
        let (ty, skip) = if f.is_list() {
            (ty, Some("Vec::is_empty"))
        } else if f.is_option() {
            (quote!(Option<#ty>), Some("Option::is_none"))
        } else {
            (ty, None)
        };
        let serde = match (skip, deserialize) {
            (Some(s), true) => quote!(#[serde(default, skip_serializing_if = #s)]),
            (Some(s), false) => quote!(#[serde(skip_serializing_if = #s)]),
            (None, _) => TokenStream::new(),
        };
        let d = doc(&field_docs(f));
        quote!(#d #serde pub #id: #ty,)
    });
    quote! {
        #docs
        #[derive(Debug, Clone, PartialEq, ::serde::Serialize #de)]
        pub struct #n {
            #(#decls)*
        }
    }
}

fn field_docs(f: &PushField) -> String {
    let own = if f.docs.trim().is_empty() {
        format!("The `{}` element.", f.wire)
    } else {
        f.docs.clone()
    };
    let bytes = f
        .max_bytes
        .map(|n| format!("At most {n} bytes of UTF-8, checked before sending."));
    let items = f
        .max_items
        .map(|n| format!("At most {n} items, checked before sending."));
    paragraphs(
        [Some(own.as_str()), bytes.as_deref(), items.as_deref()]
            .into_iter()
            .flatten(),
    )
}

/// `impl FromNode`: each field read with `field::required`, `optional` or `list`.
pub(super) fn from_node(cx: &Ctx<'_>, name: &str, fields: &[PushField]) -> TokenStream {
    let rt = &cx.rt;
    let n = ident(name);
    let node = if fields.is_empty() {
        quote!(_node)
    } else {
        quote!(node)
    };
    let inits = fields.iter().map(|f| {
        let id = ident(&f.rust);
        let wire = &f.wire;
        let read = if f.is_list() {
            let item = match &f.item {
                Some(i) => quote!(Some(#i)),
                None => quote!(None),
            };
            quote!(#rt::push::field::list(node, #wire, #item)?)
        } else if f.required {
            quote!(#rt::push::field::required(node, #wire)?)
        } else {
            quote!(#rt::push::field::optional(node, #wire)?)
        };
        quote!(#id: #read)
    });
    quote! {
        impl #rt::push::field::FromNode for #n {
            fn from_node(#node: &#rt::push::Node) -> Result<Self, #rt::push::field::FieldError> {
                Ok(Self { #(#inits),* })
            }
        }
    }
}

/// Statements writing `fields` of `self` to `out`, in order: optional fields and empty optional
/// lists are skipped, `wrap` puts a field inside an element, `count_of` writes a list's length.
pub(super) fn write_fields(fields: &[PushField]) -> TokenStream {
    fields.iter().map(write_field).collect()
}

fn write_field(f: &PushField) -> TokenStream {
    let id = ident(&f.rust);
    if let Some(list) = &f.count_of {
        let wire = &f.wire;
        let list = ident(list);
        return quote!(out.int(#wire, self.#list.len() as i64););
    }
    let place = Access {
        by_ref: quote!(&self.#id),
        by_val: quote!(self.#id),
        recv: quote!(self.#id),
    };
    let (access, guard) = if f.is_option() {
        let bound = Access {
            by_ref: quote!(value),
            by_val: quote!(*value),
            recv: quote!(value),
        };
        (bound, Some(quote!(if let Some(value) = &self.#id)))
    } else if f.is_list() && !f.required {
        (place, Some(quote!(if !self.#id.is_empty())))
    } else {
        (place, None)
    };
    let mut body = write_value(&f.ty, &f.wire, f.item.as_deref(), &access);
    if let Some(w) = &f.wrap {
        body = quote! { out.begin(#w); #body out.end(#w); };
    }
    match guard {
        Some(g) => quote!(#g { #body }),
        None => body,
    }
}

/// How a field's value is reached: a reference to it, the value itself (a place or `*ref`), and
/// a method receiver.
struct Access {
    by_ref: TokenStream,
    by_val: TokenStream,
    recv: TokenStream,
}

/// Writes the value of type `ty` under `wire`.
fn write_value(ty: &PushTy, wire: &str, item: Option<&str>, v: &Access) -> TokenStream {
    let Access {
        by_ref,
        by_val,
        recv,
    } = v;
    match ty {
        PushTy::String => quote!(out.string(#wire, #by_ref);),
        PushTy::I64 => quote!(out.int(#wire, #by_val);),
        PushTy::U32 | PushTy::Bool => quote!(out.int(#wire, i64::from(#by_val));),
        PushTy::Named(_) => quote! {
            out.begin(#wire);
            #recv.write_to(out);
            out.end(#wire);
        },
        PushTy::List(_) => {
            // Lowering allows only lists of nested structs with an item element in replies.
            let item = item.unwrap_or("item");
            quote! {
                out.begin_list(#wire);
                for entry in #by_ref {
                    out.begin_item(#item);
                    entry.write_to(out);
                    out.end_item(#item);
                }
                out.end_list(#wire);
            }
        }
        // Lowering rejects u64 and f64 in replies; written as text if it ever allowed them.
        PushTy::U64 | PushTy::F64 => quote!(out.string(#wire, &#recv.to_string());),
    }
}
