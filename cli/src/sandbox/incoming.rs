//! A request as the sandbox sees it, independent of the HTTP framework.

use serde_json::Value;

/// One received request.
#[derive(Clone, Debug, Default)]
pub struct Incoming {
    /// Query parameters, decoded, in order.
    pub query: Vec<(String, String)>,
    /// The body.
    pub body: BodyIn,
    /// `X-Weixin-Sandbox-Example`: the example to answer with.
    pub example: Option<String>,
    /// The `Authorization` header (WeChat Pay requests are signed in it).
    pub authorization: Option<String>,
    /// Path and query exactly as received (what a WeChat Pay signature covers).
    pub target: String,
    /// Values of the endpoint's `{name}` path segments, once the request is routed.
    pub path_params: Vec<(String, String)>,
}

/// A received body.
#[derive(Clone, Debug, Default)]
pub enum BodyIn {
    /// No body.
    #[default]
    Empty,
    /// Raw bytes (JSON or anything not multipart).
    Bytes(Vec<u8>),
    /// A multipart form.
    Multipart(Form),
}

/// A parsed multipart form.
#[derive(Clone, Debug, Default)]
pub struct Form {
    /// Text parts: name, text.
    pub texts: Vec<(String, String)>,
    /// File parts.
    pub files: Vec<FilePart>,
}

/// One file part.
#[derive(Clone, Debug)]
pub struct FilePart {
    /// Form field name.
    pub name: String,
    /// File name.
    pub file_name: String,
    /// Content-Type of the part.
    pub content_type: String,
    /// The bytes.
    pub bytes: Vec<u8>,
}

impl Incoming {
    /// The first value of query parameter `name`.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of path parameter `name`.
    pub fn path_param(&self, name: &str) -> Option<&str> {
        self.path_params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The bytes a WeChat Pay request signature covers: the raw body, or for an upload its
    /// `meta` part.
    pub fn signed_body(&self) -> &[u8] {
        match &self.body {
            BodyIn::Empty => b"",
            BodyIn::Bytes(bytes) => bytes,
            BodyIn::Multipart(form) => form
                .texts
                .iter()
                .find(|(name, _)| name == "meta")
                .map_or(&b""[..], |(_, text)| text.as_bytes()),
        }
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn json(&self) -> Option<Value> {
        match &self.body {
            BodyIn::Bytes(bytes) => serde_json::from_slice(bytes).ok(),
            _ => None,
        }
    }
}
