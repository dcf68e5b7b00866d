//! Shared fixtures: a tiny hand-written message and reply type, signing helpers and requests.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use weixin_runtime::push::field::{optional, required};
use weixin_runtime::push::signature::sorted_sha1_hex;
use weixin_runtime::push::{
    Node, PushError, PushMessage, PushReply, PushRequest, PushResponse, ReplyWriter, Service,
    Unknown,
};

/// The push token of most tests.
pub const TOKEN: &str = "test-token";
/// The account (ToUserName) of most tests.
pub const ACCOUNT: &str = "gh_account";

/// A test message: text, event, or anything else.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    Text { content: String, msg_id: u64 },
    Event { event: String, key: Option<String> },
    Other(Unknown),
}

impl PushMessage for Msg {
    fn decode(node: &Node) -> Result<Self, PushError> {
        let decode = |field| PushError::Decode {
            message: "TextMessage",
            field,
        };
        match node.get("MsgType") {
            Some("text") => Ok(Msg::Text {
                content: required(node, "Content").map_err(decode)?,
                msg_id: required(node, "MsgId").map_err(decode)?,
            }),
            Some("event") => Ok(Msg::Event {
                event: required(node, "Event").map_err(decode)?,
                key: optional(node, "EventKey").map_err(decode)?,
            }),
            _ => Ok(Msg::Other(Unknown::new(node.clone()))),
        }
    }
}

/// A test reply: `success` or text.
#[derive(Debug, Clone, PartialEq)]
pub enum Rep {
    Success,
    Text(String),
}

impl PushReply for Rep {
    fn success() -> Self {
        Rep::Success
    }

    fn msg_type(&self) -> Option<&'static str> {
        match self {
            Rep::Success => None,
            Rep::Text(_) => Some("text"),
        }
    }

    fn check(&self) -> Result<(), String> {
        match self {
            Rep::Text(text) if text.len() > 2048 => {
                Err(format!("Content is {} bytes, more than 2048", text.len()))
            }
            _ => Ok(()),
        }
    }

    fn write_fields(&self, out: &mut ReplyWriter) {
        if let Some(text) = self.content() {
            out.string("Content", text);
        }
    }

    fn content(&self) -> Option<&str> {
        match self {
            Rep::Success => None,
            Rep::Text(text) => Some(text),
        }
    }
}

pub type Svc = Service<Msg, Rep>;

/// Unix seconds now.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

/// A window that accepts the fixed timestamps of published vectors.
pub const FOREVER: Duration = Duration::from_secs(u64::MAX);

/// `signature=…&timestamp=…&nonce=…` for a plain push signed with `token`.
pub fn plain_query(token: &str, timestamp: i64, nonce: &str) -> String {
    let timestamp = timestamp.to_string();
    let signature = sorted_sha1_hex(&[token, &timestamp, nonce]);
    format!("signature={signature}&timestamp={timestamp}&nonce={nonce}&openid=o_user")
}

/// A text push from `from` to [`ACCOUNT`].
pub fn text_push(from: &str, content: &str, msg_id: u64) -> String {
    format!(
        "<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{from}]]></FromUserName><CreateTime>{}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>",
        now()
    )
}

/// An event push from `from` with a fixed `CreateTime`.
pub fn event_push(from: &str, create_time: i64, key: &str) -> String {
    format!(
        "<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{from}]]></FromUserName><CreateTime>{create_time}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[CLICK]]></Event><EventKey><![CDATA[{key}]]></EventKey></xml>"
    )
}

/// POSTs `body` with `query`.
pub async fn post(service: &Svc, query: &str, body: &str) -> PushResponse {
    post_bytes(service, query, body.as_bytes()).await
}

/// POSTs raw bytes with `query`.
pub async fn post_bytes(service: &Svc, query: &str, body: &[u8]) -> PushResponse {
    service
        .handle(PushRequest {
            method: "POST",
            query,
            body,
        })
        .await
}

/// GETs with `query`.
pub async fn get(service: &Svc, query: &str) -> PushResponse {
    service
        .handle(PushRequest {
            method: "GET",
            query,
            body: b"",
        })
        .await
}

/// Percent-encodes everything but unreserved characters.
pub fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Counts handler runs.
#[derive(Clone, Default)]
pub struct Calls(Arc<AtomicUsize>);

impl Calls {
    /// Counts one run and returns how many came before.
    pub fn hit(&self) -> usize {
        self.0.fetch_add(1, Ordering::SeqCst)
    }

    /// Runs so far.
    pub fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// A service for [`TOKEN`] whose handler counts runs and echoes text as `echo: <content>`.
pub fn echo_service(calls: &Calls) -> Svc {
    echo_builder_service(calls, |b| b)
}

/// Like [`echo_service`], with extra builder settings.
pub fn echo_builder_service(
    calls: &Calls,
    configure: impl FnOnce(
        weixin_runtime::push::ServiceBuilder<Msg, Rep>,
    ) -> weixin_runtime::push::ServiceBuilder<Msg, Rep>,
) -> Svc {
    let calls = calls.clone();
    configure(Service::builder(TOKEN))
        .build(move |push: weixin_runtime::push::Push<Msg>| {
            calls.hit();
            async move {
                match push.message() {
                    Msg::Text { content, .. } => Rep::Text(format!("echo: {content}")),
                    _ => Rep::Success,
                }
            }
        })
        .expect("service builds")
}

/// The text of `name` in an XML or JSON body.
pub fn field(body: &str, name: &str) -> Option<String> {
    let node = if body.trim_start().starts_with('{') {
        Node::parse_json(body.as_bytes())
    } else {
        Node::parse_xml(body.as_bytes())
    };
    node.ok()?.get(name).map(str::to_owned)
}
