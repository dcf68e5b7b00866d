//! Reply structs (limits check, field writing) and `enum Reply` with its constructors and
//! `PushReply` impl.

use proc_macro2::TokenStream;
use quote::quote;

use super::structs;
use crate::emit::{Ctx, doc, ident, paragraphs};
use crate::ir::push::{Push, PushField, PushTy, Reply};

/// Every reply struct and `enum Reply`.
pub(super) fn all(cx: &Ctx<'_>, push: &Push) -> TokenStream {
    let mut out = TokenStream::new();
    for r in &push.replies {
        out.extend(reply_struct(cx, r));
    }
    out.extend(enum_def(cx, push));
    out
}

fn reply_docs(r: &Reply) -> String {
    let msg_type = format!("Written with `MsgType` = `{}`.", r.msg_type);
    let link = r
        .doc_url
        .as_ref()
        .map(|u| format!("[Official documentation]({u})"));
    paragraphs(
        [
            Some(r.summary.as_str()),
            Some(r.docs.as_str()),
            Some(msg_type.as_str()),
            link.as_deref(),
        ]
        .into_iter()
        .flatten(),
    )
}

fn reply_struct(cx: &Ctx<'_>, r: &Reply) -> TokenStream {
    let rt = &cx.rt;
    let n = ident(&r.struct_name);
    let d = doc(&reply_docs(r));
    let decl = structs::declaration(&r.struct_name, &d, &r.fields, true);
    let checks: TokenStream = r.fields.iter().map(|f| check(&r.struct_name, f)).collect();
    let mut write = structs::write_fields(&r.fields);
    if let Some(w) = &r.wrap {
        write = quote! { out.begin(#w); #write out.end(#w); };
    }
    quote! {
        #decl
        impl #n {
            /// Checks the spec's limits (byte lengths, item counts) before sending.
            pub fn check(&self) -> Result<(), String> {
                #checks
                Ok(())
            }

            /// Writes the fields after the header, in spec order.
            pub fn write_fields(&self, out: &mut #rt::push::ReplyWriter) {
                #write
            }
        }
    }
}

/// The limit checks of one field.
fn check(owner: &str, f: &PushField) -> TokenStream {
    let id = ident(&f.rust);
    let wire = &f.wire;
    let mut out = TokenStream::new();
    if let Some(max) = f.max_bytes {
        let msg = format!("{owner}: `{wire}` is {{}} bytes of UTF-8, more than the {max} allowed");
        let max = proc_macro2::Literal::u64_unsuffixed(max);
        out.extend(if f.is_option() {
            quote! {
                if let Some(value) = &self.#id {
                    if value.len() > #max {
                        return Err(format!(#msg, value.len()));
                    }
                }
            }
        } else {
            quote! {
                if self.#id.len() > #max {
                    return Err(format!(#msg, self.#id.len()));
                }
            }
        });
    }
    if let Some(max) = f.max_items {
        let msg = format!("{owner}: `{wire}` has {{}} items, more than the {max} allowed");
        let max = proc_macro2::Literal::u64_unsuffixed(max);
        out.extend(quote! {
            if self.#id.len() > #max {
                return Err(format!(#msg, self.#id.len()));
            }
        });
    }
    if f.is_list() && f.required {
        let msg = format!("{owner}: `{wire}` needs at least one item");
        out.extend(quote! {
            if self.#id.is_empty() {
                return Err(#msg.to_owned());
            }
        });
    }
    out
}

fn enum_def(cx: &Ctx<'_>, push: &Push) -> TokenStream {
    let rt = &cx.rt;
    let variants = push.replies.iter().map(|r| {
        let v = ident(&r.rust);
        let s = ident(&r.struct_name);
        let d = doc(&r.summary);
        quote!(#d #v(#s),)
    });
    let constructors = push.replies.iter().filter_map(constructor);
    let froms = push.replies.iter().map(|r| {
        let v = ident(&r.rust);
        let s = ident(&r.struct_name);
        quote! {
            impl From<#s> for Reply {
                fn from(reply: #s) -> Self {
                    Reply::#v(reply)
                }
            }
        }
    });
    let arms = |f: &dyn Fn(&Reply) -> TokenStream| -> Vec<TokenStream> {
        push.replies
            .iter()
            .map(|r| {
                let v = ident(&r.rust);
                let body = f(r);
                quote!(Reply::#v(reply) => #body,)
            })
            .collect()
    };
    let msg_types = push.replies.iter().map(|r| {
        let v = ident(&r.rust);
        let t = &r.msg_type;
        quote!(Reply::#v(_) => Some(#t),)
    });
    let checks = arms(&|_| quote!(reply.check()));
    let contents = push.replies.iter().map(|r| {
        let v = ident(&r.rust);
        let content = r.fields.iter().find(|f| {
            f.wire == "Content" && f.ty == PushTy::String && f.wrap.is_none() && r.wrap.is_none()
        });
        match content {
            Some(f) if f.is_option() => {
                let name = ident(&f.rust);
                quote!(Reply::#v(reply) => reply.#name.as_deref(),)
            }
            Some(f) => {
                let name = ident(&f.rust);
                quote!(Reply::#v(reply) => Some(&reply.#name),)
            }
            None => quote!(Reply::#v(_) => None,),
        }
    });
    let writes = arms(&|_| quote!(reply.write_fields(out)));
    let constructors: Vec<TokenStream> = constructors.collect();
    let inherent = if constructors.is_empty() {
        TokenStream::new()
    } else {
        quote!(impl Reply { #(#constructors)* })
    };
    quote! {
        /// A passive reply to a push: `Success` or one of the spec's replies. Deserializes from
        /// and serializes to `"Success"` or `{"Text": {…}}`.
        #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
        #[non_exhaustive]
        pub enum Reply {
            /// Answer `success`: WeChat shows the user nothing and does not resend the push.
            Success,
            #(#variants)*
        }

        #inherent

        #(#froms)*

        impl #rt::push::PushReply for Reply {
            fn success() -> Self {
                Reply::Success
            }

            fn msg_type(&self) -> Option<&'static str> {
                match self {
                    Reply::Success => None,
                    #(#msg_types)*
                }
            }

            fn check(&self) -> Result<(), String> {
                match self {
                    Reply::Success => Ok(()),
                    #(#checks)*
                }
            }

            fn content(&self) -> Option<&str> {
                match self {
                    Reply::Success => None,
                    #(#contents)*
                }
            }

            fn write_fields(&self, out: &mut #rt::push::ReplyWriter) {
                match self {
                    Reply::Success => {}
                    #(#writes)*
                }
            }
        }
    }
}

/// `Reply::text(content)`: every required field (all strings) as `impl Into<String>`.
fn constructor(r: &Reply) -> Option<TokenStream> {
    let name = ident(r.constructor.as_deref()?);
    let v = ident(&r.rust);
    let s = ident(&r.struct_name);
    let fields: Vec<&PushField> = r.fields.iter().filter(|f| f.count_of.is_none()).collect();
    let params = fields
        .iter()
        .filter(|f| f.required && f.ty == PushTy::String)
        .map(|f| {
            let id = ident(&f.rust);
            quote!(#id: impl Into<String>)
        });
    let inits = fields.iter().map(|f| {
        let id = ident(&f.rust);
        if f.is_list() {
            quote!(#id: Vec::new())
        } else if f.is_option() {
            quote!(#id: None)
        } else {
            quote!(#id: #id.into())
        }
    });
    let d = doc(&format!(
        "{}\n\nOptional fields are left empty; build a [`{}`] to set them.",
        r.summary.trim(),
        r.struct_name
    ));
    Some(quote! {
        #d
        pub fn #name(#(#params),*) -> Self {
            Reply::#v(#s { #(#inits),* })
        }
    })
}
