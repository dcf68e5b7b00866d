//! The `push` module: message and reply types from `spec/push/`, on the runtime's push support.

mod message;
mod reply;
mod structs;

use proc_macro2::TokenStream;
use quote::quote;

use super::{Ctx, ident};
use crate::ir::push::{Push, PushTy};

/// The contents of `push.rs`.
pub(crate) fn file(cx: &Ctx<'_>, push: &Push) -> TokenStream {
    let rt = &cx.rt;
    let items = crate::ir::push::RUNTIME_ITEMS.iter().map(|n| ident(n));
    let mut out = quote! {
        pub use #rt::push::{#(#items),*};

        /// The push endpoint: verifies, decrypts, deduplicates and decodes pushes into
        /// [`Message`], runs the handler and answers with its [`Reply`].
        pub type Service = #rt::push::Service<Message, Reply>;
        /// Configures a [`Service`]; see `Service::builder`.
        pub type ServiceBuilder = #rt::push::ServiceBuilder<Message, Reply>;
        /// What the handler receives: the decoded [`Message`], its envelope and the user's context.
        pub type Push = #rt::push::Push<Message>;
        /// A verified, decoded push, for users who run their own flow (`Service::open`).
        pub type Opened = #rt::push::Opened<Message>;
        /// A reply that missed the deadline, handed to `ServiceBuilder::on_late_reply`.
        pub type LateReply = #rt::push::LateReply<Reply>;
    };
    for t in &push.types {
        out.extend(structs::type_def(cx, t));
    }
    out.extend(message::all(cx, push));
    out.extend(reply::all(cx, push));
    out
}

/// The Rust type of a push field (without `Option`).
pub(super) fn rust_ty(ty: &PushTy) -> TokenStream {
    match ty {
        PushTy::String => quote!(String),
        PushTy::I64 => quote!(i64),
        PushTy::U64 => quote!(u64),
        PushTy::U32 => quote!(u32),
        PushTy::F64 => quote!(f64),
        PushTy::Bool => quote!(bool),
        PushTy::Named(n) => {
            let n = ident(n);
            quote!(#n)
        }
        PushTy::List(inner) => {
            let inner = rust_ty(inner);
            quote!(Vec<#inner>)
        }
    }
}
