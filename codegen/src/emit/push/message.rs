//! Message structs and `enum Message` with its one-pass `PushMessage::decode`.

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::quote;

use super::structs;
use crate::emit::{Ctx, doc, ident, paragraphs};
use crate::ir::push::{Message, Push};
use crate::names;

/// Every message struct, `enum Message`, its decoder and `kind`.
pub(super) fn all(cx: &Ctx<'_>, push: &Push) -> TokenStream {
    let mut out = TokenStream::new();
    for m in &push.messages {
        let d = doc(&message_docs(m));
        out.extend(structs::declaration(&m.struct_name, &d, &m.fields, false));
        out.extend(structs::from_node(cx, &m.struct_name, &m.fields));
    }
    out.extend(enum_def(cx, push));
    out
}

fn message_docs(m: &Message) -> String {
    let matched: Vec<String> = m
        .matches
        .iter()
        .map(|(k, v)| format!("`{k}` = `{v}`"))
        .collect();
    let matched = format!("Decoded when {}.", matched.join(" and "));
    let products = (!m.products.is_empty()).then(|| {
        let list: Vec<String> = m.products.iter().map(|p| format!("`{p}`")).collect();
        format!("Sent by: {}.", list.join(", "))
    });
    let link = m
        .doc_url
        .as_ref()
        .map(|u| format!("[Official documentation]({u})"));
    paragraphs(
        [
            Some(m.summary.as_str()),
            Some(m.docs.as_str()),
            Some(matched.as_str()),
            products.as_deref(),
            link.as_deref(),
        ]
        .into_iter()
        .flatten(),
    )
}

fn enum_def(cx: &Ctx<'_>, push: &Push) -> TokenStream {
    let rt = &cx.rt;
    let variants = push.messages.iter().map(|m| {
        let v = ident(&m.rust);
        let s = ident(&m.struct_name);
        let d = doc(&m.summary);
        quote!(#d #v(#s),)
    });
    let kinds = push.messages.iter().map(|m| {
        let v = ident(&m.rust);
        let name = &m.rust;
        quote!(Message::#v(_) => #name,)
    });
    let decode = decode_body(cx, push);
    quote! {
        /// A decoded push: one variant per message and event of the spec, or `Unknown` for a type
        /// it does not describe. Serializes externally tagged: `{"Text": {…}}`.
        #[derive(Debug, Clone, PartialEq, ::serde::Serialize)]
        #[non_exhaustive]
        pub enum Message {
            #(#variants)*
            /// A push of a type the spec does not describe, kept whole.
            Unknown(#rt::push::Unknown),
        }

        impl Message {
            /// The variant name (`"Text"`, `"Unknown"`…), for logs and metrics.
            pub fn kind(&self) -> &'static str {
                match self {
                    #(#kinds)*
                    Message::Unknown(_) => "Unknown",
                }
            }
        }

        impl #rt::push::PushMessage for Message {
            fn decode(node: &#rt::push::Node) -> Result<Self, #rt::push::PushError> {
                #decode
            }
        }

        /// The trimmed, ASCII-lowercased text of a header field.
        fn header_lower(node: &#rt::push::Node, name: &str) -> Option<String> {
            node.get(name).map(|v| v.trim().to_ascii_lowercase())
        }

        /// Decodes a known message, naming it in the error.
        fn decode_as<T: #rt::push::field::FromNode>(
            node: &#rt::push::Node,
            message: &'static str,
        ) -> Result<T, #rt::push::PushError> {
            T::from_node(node).map_err(|field| #rt::push::PushError::Decode { message, field })
        }
    }
}

/// Discriminating headers in the order the decoder reads them; others follow, sorted.
const KEY_ORDER: &[&str] = &["MsgType", "Event", "ChangeType", "InfoType"];

/// Reads each discriminating header once, then one `match` with the most specific arms first.
fn decode_body(cx: &Ctx<'_>, push: &Push) -> TokenStream {
    let rt = &cx.rt;
    let mut keys: Vec<&str> = push
        .messages
        .iter()
        .flat_map(|m| m.matches.iter().map(|(k, _)| k.as_str()))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    // The usual headers first, from the broadest, so the arms read naturally.
    keys.sort_by_key(|k| {
        let rank = KEY_ORDER
            .iter()
            .position(|o| o == k)
            .unwrap_or(KEY_ORDER.len());
        (rank, *k)
    });
    let unknown = quote!(Message::Unknown(#rt::push::Unknown::new(node.clone())));
    if keys.is_empty() {
        return quote!(Ok(#unknown));
    }
    let vars: Vec<proc_macro2::Ident> = keys.iter().map(|k| ident(&local_name(k))).collect();
    let lets = keys
        .iter()
        .zip(&vars)
        .map(|(k, v)| quote!(let #v = header_lower(node, #k);));
    let mut ordered: Vec<&Message> = push.messages.iter().collect();
    ordered.sort_by(|a, b| {
        b.matches
            .len()
            .cmp(&a.matches.len())
            .then_with(|| a.matches.cmp(&b.matches))
    });
    let arms = ordered.iter().map(|m| {
        let pats = keys
            .iter()
            .map(|k| match m.matches.iter().find(|(mk, _)| mk == k) {
                Some((_, v)) => {
                    let v = v.to_ascii_lowercase();
                    quote!(Some(#v))
                }
                None => quote!(_),
            });
        let v = ident(&m.rust);
        let s = &m.struct_name;
        let pat = if keys.len() == 1 {
            quote!(#(#pats)*)
        } else {
            quote!((#(#pats),*))
        };
        quote!(#pat => Message::#v(decode_as(node, #s)?),)
    });
    let scrutinee = if vars.len() == 1 {
        let v = &vars[0];
        quote!(#v.as_deref())
    } else {
        quote!((#(#vars.as_deref()),*))
    };
    quote! {
        #(#lets)*
        Ok(match #scrutinee {
            #(#arms)*
            _ => #unknown,
        })
    }
}

/// A local variable for a header key: its snake case, never `node`.
fn local_name(key: &str) -> String {
    match names::snake(key) {
        Ok(n) if n != "node" => n,
        _ => format!(
            "header_{}",
            key.chars()
                .map(|c| if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                })
                .collect::<String>()
        ),
    }
}
