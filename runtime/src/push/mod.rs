//! Message push (callbacks): verifying, decrypting and decoding what WeChat POSTs to your
//! server, and writing passive replies.
//!
//! The message and reply types are generated from `spec/push/` into `weixin::push`; this module
//! holds what they stand on: the parsed [`Node`] tree, typed field readers, the reply writer,
//! WXBizMsgCrypt ([`crypto`]) and the signatures ([`signature`]).

pub mod crypto;
mod error;
pub mod field;
mod meta;
mod node;
pub mod signature;
mod writer;
mod xml;

pub use error::PushError;
pub use meta::{Meta, Unknown};
pub use node::Node;
pub use writer::{Format, ReplyWriter};

/// A decoded push: the generated `weixin::push::Message` enum implements this.
pub trait PushMessage: Sized + Send + Sync + 'static {
    /// Decodes a parsed push. A type the spec does not know becomes the `Unknown` variant, never
    /// an error; a known type whose required field is missing or malformed is a
    /// [`PushError::Decode`].
    fn decode(node: &Node) -> Result<Self, PushError>;
}

/// A passive reply: the generated `weixin::push::Reply` enum implements this.
pub trait PushReply: Send + 'static {
    /// The reply that tells WeChat "received, nothing to say" (`success`).
    fn success() -> Self;

    /// The `MsgType` written in the reply, or `None` to answer `success` with no body.
    fn msg_type(&self) -> Option<&'static str>;

    /// Checks the spec's limits (text length in bytes, number of articles) before sending.
    fn check(&self) -> Result<(), String>;

    /// Writes the fields after the header.
    fn write_fields(&self, out: &mut ReplyWriter);

    /// The text written as the top-level `Content` element, if the reply has one (what the
    /// conversation history records of a reply).
    fn content(&self) -> Option<&str>;
}

/// Renders a reply addressed to the sender of a push: the header (`ToUserName` = the user,
/// `FromUserName` = the account, `CreateTime`, `MsgType`) and then the reply's fields.
/// `None` when the reply is `success`.
pub fn render_reply<R: PushReply>(
    reply: &R,
    format: Format,
    to_user: &str,
    from_account: &str,
    create_time: i64,
) -> Option<String> {
    let msg_type = reply.msg_type()?;
    let mut out = ReplyWriter::new(format);
    out.string("ToUserName", to_user);
    out.string("FromUserName", from_account);
    out.int("CreateTime", create_time);
    out.string("MsgType", msg_type);
    reply.write_fields(&mut out);
    Some(out.finish())
}

// The push service: verification, dedup, context, deadline and framework adapters.
#[cfg(feature = "axum")]
mod axum;
mod builder;
pub mod context;
pub mod dedup;
mod envelope;
mod expiring;
mod handler;
mod open;
mod service;
pub mod split;

pub use builder::ServiceBuilder;
pub use context::{Context, ContextEntry, ContextStore, MemoryContextStore, NoContext};
pub use dedup::{Claim, DedupStore, MemoryDedupStore};
pub use handler::{Handler, LateReply, Push};
pub use open::{Opened, PushRequest};
pub use service::{CONTENT_TYPE_JSON, CONTENT_TYPE_TEXT, CONTENT_TYPE_XML, PushResponse, Service};
