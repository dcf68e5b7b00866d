//! The crate's one error type and the context structs of its variants.
//!
//! No `reqwest` or `hyper` type appears here: transport failures expose their cause only through
//! [`std::error::Error::source`], and that cause never carries the request URL (which may hold
//! an access token or a secret).

use std::error::Error as StdError;
use std::fmt;
use std::path::PathBuf;

use crate::endpoint::Host;
use crate::errcode::{Action, ErrCode};

/// A boxed error cause.
type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// Everything that can go wrong with a call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// WeChat answered with a non-zero `errcode`.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The request could not be sent or the response not received (connect, TLS, timeout).
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// An HTTP status other than 2xx (rare with WeChat; proxies and gateways).
    #[error(transparent)]
    Status(#[from] StatusError),
    /// The body was not the JSON the endpoint promised.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// Obtaining an access token (or a JS-SDK ticket) failed.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// The request could not be encoded (bad JSON, a file over its limit, …).
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// The client was configured wrongly (bad base URL, …).
    #[error(transparent)]
    Config(#[from] ConfigError),
}

impl Error {
    /// The `errcode` of an [`Error::Api`]. Token-endpoint codes are in [`TokenError::code`].
    pub fn api_code(&self) -> Option<ErrCode> {
        match self {
            Error::Api(e) => Some(e.code()),
            _ => None,
        }
    }

    /// Whether trying again later may succeed: a transient errcode (system busy), or a
    /// transport failure or 5xx status of a call that is safe to resend.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api(e) => e.action() == Action::Transient,
            Error::Transport(e) => e.resend_safe,
            Error::Status(e) => e.resend_safe && e.status >= 500,
            Error::Token(e) => e.is_retryable(),
            Error::Decode(_) | Error::Encode(_) | Error::Config(_) => false,
        }
    }
}

/// WeChat answered with a non-zero `errcode`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    code: ErrCode,
    name: Option<&'static str>,
    message: String,
    rid: Option<String>,
    endpoint: &'static str,
    action: Action,
}

impl ApiError {
    /// Builds an API error. `name` and `action` come from an errcode table.
    pub fn new(
        endpoint: &'static str,
        code: ErrCode,
        message: impl Into<String>,
        rid: Option<String>,
        name: Option<&'static str>,
        action: Action,
    ) -> Self {
        Self {
            code,
            name,
            message: message.into(),
            rid,
            endpoint,
            action,
        }
    }

    /// The same error, with a refresh-class action downgraded to permanent (used where the
    /// code cannot mean a stale token, e.g. at the token endpoint itself).
    pub(crate) fn without_refresh(mut self) -> Self {
        if self.action == Action::RefreshToken {
            self.action = Action::Permanent;
        }
        self
    }

    /// The `errcode`.
    pub fn code(&self) -> ErrCode {
        self.code
    }

    /// The code's constant name, when the client's errcode table knows it.
    pub fn name(&self) -> Option<&'static str> {
        self.name
    }

    /// `errmsg`, without its trailing ` rid: …` part.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The request id (`rid`) WeChat support asks for, if `errmsg` carried one.
    pub fn rid(&self) -> Option<&str> {
        self.rid.as_deref()
    }

    /// The endpoint id (`Endpoint::ID`) of the failed call.
    pub fn endpoint(&self) -> &'static str {
        self.endpoint
    }

    /// What to do about the code, from the client's errcode table (unknown codes: permanent).
    pub fn action(&self) -> Action {
        self.action
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` failed with errcode {}", self.endpoint, self.code)?;
        if let Some(name) = self.name {
            write!(f, " ({name})")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(rid) = &self.rid {
            write!(f, " [rid {rid}]")?;
        }
        Ok(())
    }
}

impl StdError for ApiError {}

/// What kind of transport failure happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TransportKind {
    Timeout,
    Connect,
    Body,
    Write,
    Other,
}

/// The request could not be sent or the response not received.
#[derive(Debug)]
pub struct TransportError {
    endpoint: &'static str,
    kind: TransportKind,
    resend_safe: bool,
    source: BoxError,
}

impl TransportError {
    /// From a `reqwest` error; the URL (which may carry a token) is stripped first.
    pub(crate) fn from_reqwest(
        endpoint: &'static str,
        resend_safe: bool,
        e: reqwest::Error,
    ) -> Self {
        let kind = if e.is_timeout() {
            TransportKind::Timeout
        } else if e.is_connect() {
            TransportKind::Connect
        } else if e.is_body() || e.is_decode() {
            TransportKind::Body
        } else {
            TransportKind::Other
        };
        Self {
            endpoint,
            kind,
            resend_safe,
            source: Box::new(e.without_url()),
        }
    }

    /// Writing a download to the caller's writer failed.
    pub(crate) fn write(endpoint: &'static str, e: std::io::Error) -> Self {
        Self {
            endpoint,
            kind: TransportKind::Write,
            resend_safe: false,
            source: Box::new(e),
        }
    }

    /// The endpoint id of the failed call.
    pub fn endpoint(&self) -> &'static str {
        self.endpoint
    }

    /// Whether the request or the response timed out.
    pub fn is_timeout(&self) -> bool {
        self.kind == TransportKind::Timeout
    }

    /// Whether the connection could not be established.
    pub fn is_connect(&self) -> bool {
        self.kind == TransportKind::Connect
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            TransportKind::Timeout => "timed out",
            TransportKind::Connect => "could not connect",
            TransportKind::Body => "failed while reading the response",
            TransportKind::Write => "failed while writing the download",
            TransportKind::Other => "failed to send the request",
        };
        write!(f, "`{}` {what}", self.endpoint)
    }
}

impl StdError for TransportError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(self.source.as_ref())
    }
}

/// An HTTP status other than 2xx.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusError {
    endpoint: &'static str,
    status: u16,
    excerpt: String,
    resend_safe: bool,
}

impl StatusError {
    pub(crate) fn new(
        endpoint: &'static str,
        status: u16,
        excerpt: String,
        resend_safe: bool,
    ) -> Self {
        Self {
            endpoint,
            status,
            excerpt,
            resend_safe,
        }
    }

    /// The endpoint id.
    pub fn endpoint(&self) -> &'static str {
        self.endpoint
    }

    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The start of the response body (secrets masked).
    pub fn excerpt(&self) -> &str {
        &self.excerpt
    }
}

impl fmt::Display for StatusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` answered HTTP {}", self.endpoint, self.status)?;
        if !self.excerpt.is_empty() {
            write!(f, ": {}", self.excerpt)?;
        }
        Ok(())
    }
}

impl StdError for StatusError {}

/// The response body did not decode into the endpoint's response type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeError {
    endpoint: &'static str,
    path: String,
    message: String,
    excerpt: String,
}

impl DecodeError {
    /// Builds a decode error; `excerpt` should already be shortened and masked.
    pub fn new(
        endpoint: &'static str,
        path: impl Into<String>,
        message: impl Into<String>,
        excerpt: impl Into<String>,
    ) -> Self {
        Self {
            endpoint,
            path: path.into(),
            message: message.into(),
            excerpt: excerpt.into(),
        }
    }

    /// The endpoint id.
    pub fn endpoint(&self) -> &'static str {
        self.endpoint
    }

    /// Where in the JSON document decoding failed, e.g. `user_info_list[3].subscribe`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What was wrong there.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The start of the body (secrets masked).
    pub fn excerpt(&self) -> &str {
        &self.excerpt
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "could not decode the response of `{}`", self.endpoint)?;
        if !self.path.is_empty() && self.path != "." {
            write!(f, " at `{}`", self.path)?;
        }
        write!(f, ": {}", self.message)?;
        if !self.excerpt.is_empty() {
            write!(f, " (body: {})", self.excerpt)?;
        }
        Ok(())
    }
}

impl StdError for DecodeError {}

/// A failure of a [`TokenStore`](crate::TokenStore) (e.g. Redis unreachable).
#[derive(Debug)]
pub struct StoreError {
    message: String,
    source: Option<BoxError>,
}

impl StoreError {
    /// A store failure described by `message`.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            source: None,
        }
    }

    /// A store failure caused by `source`.
    pub fn with_source(message: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self {
            message: message.into(),
            source: Some(source.into()),
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "store: {}", self.message)
    }
}

impl StdError for StoreError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_ref()
            .map(|e| e.as_ref() as &(dyn StdError + 'static))
    }
}

/// Why a token could not be obtained.
#[derive(Debug)]
enum TokenCause {
    /// The token endpoint (or the transport to it) failed.
    Fetch(Box<Error>),
    /// The token store failed.
    Store(StoreError),
    /// A custom provider's own failure.
    Other(BoxError),
}

/// Obtaining an access token or a JS-SDK ticket failed. The token endpoint's own errcodes
/// (40013 bad AppID, 40125 bad AppSecret, 40164 IP not whitelisted, 40001 wrong secret there)
/// are reported here, never retried.
#[derive(Debug)]
pub struct TokenError {
    what: &'static str,
    cause: TokenCause,
}

impl TokenError {
    pub(crate) fn fetch(what: &'static str, error: Error) -> Self {
        Self {
            what,
            cause: TokenCause::Fetch(Box::new(error)),
        }
    }

    pub(crate) fn store(what: &'static str, error: StoreError) -> Self {
        Self {
            what,
            cause: TokenCause::Store(error),
        }
    }

    /// A custom [`TokenProvider`](crate::TokenProvider)'s failure.
    pub fn other(what: &'static str, error: impl Into<BoxError>) -> Self {
        Self {
            what,
            cause: TokenCause::Other(error.into()),
        }
    }

    /// The token endpoint's errcode, if it answered with one.
    pub fn code(&self) -> Option<ErrCode> {
        match &self.cause {
            TokenCause::Fetch(e) => e.api_code(),
            _ => None,
        }
    }

    /// The token endpoint's error, if it answered with an errcode.
    pub fn api_error(&self) -> Option<&ApiError> {
        match &self.cause {
            TokenCause::Fetch(e) => match e.as_ref() {
                Error::Api(api) => Some(api),
                _ => None,
            },
            _ => None,
        }
    }

    /// Whether the failure was a timeout.
    pub fn is_timeout(&self) -> bool {
        matches!(&self.cause, TokenCause::Fetch(e) if matches!(e.as_ref(), Error::Transport(t) if t.is_timeout()))
    }

    fn is_retryable(&self) -> bool {
        match &self.cause {
            TokenCause::Fetch(e) => e.is_retryable(),
            TokenCause::Store(_) | TokenCause::Other(_) => false,
        }
    }
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "could not obtain the {}", self.what)?;
        if let Some(code) = self.code() {
            write!(f, " (errcode {code})")?;
        }
        Ok(())
    }
}

impl StdError for TokenError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match &self.cause {
            TokenCause::Fetch(e) => Some(e.as_ref()),
            TokenCause::Store(e) => Some(e),
            TokenCause::Other(e) => Some(e.as_ref()),
        }
    }
}

/// The request could not be encoded; nothing was sent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The body (or a JSON text part) could not be serialized.
    #[error("could not serialize the request as JSON")]
    Json(#[source] serde_json::Error),
    /// A file is larger than the endpoint accepts.
    #[error("file `{field}` has {size} bytes; at most {max} are allowed")]
    FileTooLarge {
        /// Form field name.
        field: &'static str,
        /// The file's size.
        size: u64,
        /// The limit.
        max: u64,
    },
    /// A file's extension is not one the endpoint accepts.
    #[error("file `{field}` has extension `{extension}`; allowed: {}", allowed.join(", "))]
    BadExtension {
        /// Form field name.
        field: &'static str,
        /// The file's extension (empty if it has none).
        extension: String,
        /// The accepted extensions.
        allowed: &'static [&'static str],
    },
    /// A file is empty.
    #[error("file `{field}` is empty")]
    EmptyFile {
        /// Form field name.
        field: &'static str,
    },
    /// A file's content type is not a valid MIME type.
    #[error("file `{field}` has an invalid content type `{content_type}`")]
    ContentType {
        /// Form field name.
        field: &'static str,
        /// The rejected value.
        content_type: String,
    },
    /// A path given to [`Client::call_json`](crate::Client::call_json) does not start with `/`.
    #[error("request path `{path}` must start with `/` and contain no `?` or `#`")]
    Path {
        /// The rejected path.
        path: String,
    },
    /// Only a `GET` endpoint that needs no token or credentials has a URL safe to hand out.
    #[error("`{endpoint}` needs a token or credentials, or is not a GET; it has no public URL")]
    NotLinkable {
        /// The endpoint's id.
        endpoint: &'static str,
    },
    /// A file could not be read from disk.
    #[error("could not read `{}`", path.display())]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl EncodeError {
    /// Wraps a JSON serialization error.
    pub fn json(error: serde_json::Error) -> Self {
        EncodeError::Json(error)
    }
}

/// The client configuration is invalid.
#[derive(Debug)]
pub struct ConfigError {
    message: String,
    source: Option<BoxError>,
}

impl ConfigError {
    pub(crate) fn base_url(host: Host, url: &str, reason: impl fmt::Display) -> Self {
        Self {
            message: format!("invalid base URL `{url}` for {host:?}: {reason}"),
            source: None,
        }
    }

    pub(crate) fn http_client(e: reqwest::Error) -> Self {
        Self {
            message: "could not build the HTTP client".to_owned(),
            source: Some(Box::new(e)),
        }
    }

    /// An invalid push service setting (see `push::ServiceBuilder`).
    pub(crate) fn push(
        message: impl Into<String>,
        source: Option<Box<dyn StdError + Send + Sync + 'static>>,
    ) -> Self {
        Self {
            message: message.into(),
            source,
        }
    }

    /// What is wrong.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for ConfigError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_ref()
            .map(|e| e.as_ref() as &(dyn StdError + 'static))
    }
}
