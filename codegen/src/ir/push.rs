//! The IR of `spec/push/`: the messages and events WeChat POSTs to the developer's server, the
//! passive replies, and the nested structs both use. Sorted by Rust name, so output is stable.

use serde::{Deserialize, Serialize};

/// Everything under `spec/push/`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Push {
    /// Messages and events, sorted by variant name.
    pub messages: Vec<Message>,
    /// Passive replies, sorted by variant name.
    pub replies: Vec<Reply>,
    /// Nested structs of `[types.*]`, sorted by name.
    pub types: Vec<PushType>,
}

impl Push {
    /// The nested struct called `name`.
    pub fn type_named(&self, name: &str) -> Option<&PushType> {
        self.types.iter().find(|t| t.name == name)
    }
}

/// One kind of push: a variant of `push::Message`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Message {
    /// Spec file, relative to the spec directory.
    pub source: String,
    /// Variant name, e.g. `Text`.
    pub rust: String,
    /// Struct name, `<rust>Message`.
    pub struct_name: String,
    /// Header values that select this message: (wire key, value), sorted by key. Values are
    /// compared ignoring ASCII case.
    pub matches: Vec<(String, String)>,
    /// One-line summary.
    pub summary: String,
    /// Longer prose.
    pub docs: String,
    /// Official documentation URL.
    pub doc_url: Option<String>,
    /// Products WeChat sends it from (docs only).
    pub products: Vec<String>,
    /// Fields after the header, in spec order.
    pub fields: Vec<PushField>,
    /// Examples, in spec order.
    pub examples: Vec<MessageExample>,
}

/// A nested struct of `[types.*]`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PushType {
    /// Type name.
    pub name: String,
    /// One-line summary.
    pub summary: String,
    /// Longer prose.
    pub docs: String,
    /// Fields, in spec order.
    pub fields: Vec<PushField>,
    /// Reachable from a message (it gets a `FromNode` impl either way).
    pub in_messages: bool,
    /// Reachable from a reply: also `Deserialize`, and written by replies.
    pub in_replies: bool,
}

/// A field of a message, reply or nested struct.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PushField {
    /// XML element / JSON key, exactly as WeChat sends it.
    pub wire: String,
    /// Rust identifier.
    pub rust: String,
    /// Type.
    pub ty: PushTy,
    /// Always present (else `Option`; lists are never `Option`).
    pub required: bool,
    /// Docs.
    pub docs: String,
    /// Lists: the repeated child inside a wrapper element named `wire` (`<PicList><item>…`);
    /// `None` when the element itself repeats.
    pub item: Option<String>,
    /// Replies: a UTF-8 byte limit on a string, checked before sending.
    pub max_bytes: Option<u64>,
    /// Replies: the most items of a list, checked before sending.
    pub max_items: Option<u64>,
    /// Replies: written inside this element, only when present.
    pub wrap: Option<String>,
    /// Replies: not a struct field but the length of this list field (its Rust name).
    pub count_of: Option<String>,
}

impl PushField {
    /// Whether the field is a list (a `Vec`, never an `Option`).
    pub fn is_list(&self) -> bool {
        matches!(self.ty, PushTy::List(_))
    }

    /// Whether the struct holds it as `Option<T>`.
    pub fn is_option(&self) -> bool {
        !self.required && !self.is_list() && self.count_of.is_none()
    }
}

/// A field type of a push.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PushTy {
    /// `string`
    String,
    /// `i64`
    I64,
    /// `u64`
    U64,
    /// `u32`
    U32,
    /// `f64`
    F64,
    /// `bool`, on the wire `0`/`1`/`true`/`false`.
    Bool,
    /// A nested struct of `[types.*]`.
    Named(String),
    /// A list of a scalar or a nested struct.
    List(Box<PushTy>),
}

/// The body of a message example.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PushBody {
    /// An XML push.
    Xml(String),
    /// A JSON push (Mini Program and WeCom JSON formats).
    Json(String),
}

/// An example push and the struct it decodes to.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MessageExample {
    /// Name, unique within the message.
    pub name: String,
    /// The push as WeChat sends it.
    pub body: PushBody,
    /// The decoded struct as JSON (Rust field names; absent options and empty lists omitted).
    pub expect: serde_json::Value,
}

/// One kind of passive reply: a variant of `push::Reply`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Reply {
    /// Spec file, relative to the spec directory.
    pub source: String,
    /// Variant name, e.g. `Text`.
    pub rust: String,
    /// Struct name, `<rust>Reply`.
    pub struct_name: String,
    /// Constructor on `Reply` (snake case of `rust`), when every required field is a string and
    /// no field is a list.
    pub constructor: Option<String>,
    /// Written as `<MsgType>`.
    pub msg_type: String,
    /// One-line summary.
    pub summary: String,
    /// Longer prose.
    pub docs: String,
    /// Official documentation URL.
    pub doc_url: Option<String>,
    /// Every field is written inside this element.
    pub wrap: Option<String>,
    /// Fields, in spec (= writing) order.
    pub fields: Vec<PushField>,
    /// Examples, in spec order.
    pub examples: Vec<ReplyExample>,
}

/// An example reply and the exact bytes it renders to.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ReplyExample {
    /// Name, unique within the reply.
    pub name: String,
    /// The reply struct as JSON (Rust field names).
    pub value: serde_json::Value,
    /// The rendered XML for `ToUserName=toUser`, `FromUserName=fromUser`, `CreateTime=12345678`.
    pub xml: String,
}

/// Runtime items the `push` module re-exports, so users need only `weixin::push`.
pub(crate) const RUNTIME_ITEMS: &[&str] = &[
    "CONTENT_TYPE_JSON",
    "CONTENT_TYPE_TEXT",
    "CONTENT_TYPE_XML",
    "Claim",
    "Context",
    "ContextEntry",
    "ContextStore",
    "DedupStore",
    "Handler",
    "MemoryContextStore",
    "MemoryDedupStore",
    "NoContext",
    "PushRequest",
    "PushResponse",
    "Format",
    "Meta",
    "Node",
    "PushError",
    "PushMessage",
    "PushReply",
    "ReplyWriter",
    "Unknown",
    "crypto",
    "field",
    "render_reply",
    "signature",
    "split",
];

/// Names the generated `push` module defines besides the spec's types: the two enums and
/// the aliases of the runtime's generic service types.
pub(crate) const GENERATED_ITEMS: &[&str] = &[
    "Message",
    "Reply",
    "Service",
    "ServiceBuilder",
    "Push",
    "Opened",
    "LateReply",
];
