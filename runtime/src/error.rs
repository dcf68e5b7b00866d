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
    /// WeChat Pay answered with a non-2xx status and a `{code, message, detail}` body.
    #[error(transparent)]
    Pay(#[from] PayApiError),
    /// A WeChat Pay response, notification or download failed verification (signature,
    /// timestamp window, serial, decryption or digest). Nothing of it was decoded.
    #[error(transparent)]
    Signature(#[from] SignatureError),
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
            Error::Pay(e) => e.is_retryable(),
            Error::Decode(_) | Error::Encode(_) | Error::Config(_) | Error::Signature(_) => false,
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
    /// A `{name}` placeholder of an endpoint path has no value, or a path parameter has no
    /// placeholder.
    #[error("path parameter `{name}`: {problem}")]
    PathParam {
        /// The parameter (or the malformed placeholder).
        name: String,
        /// What is wrong.
        problem: &'static str,
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
    /// A multipart body does not have the shape the endpoint's host needs (a WeChat Pay upload
    /// carries exactly one file and no text part).
    #[error("`{endpoint}`: {reason}")]
    Multipart {
        /// The endpoint's id.
        endpoint: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The runtime must add fields to a body that is not a JSON object.
    #[error("`{endpoint}` needs credentials in its body, but its body is not a JSON object")]
    NotAnObject {
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

    pub(crate) fn not_an_object(endpoint: &'static str) -> Self {
        EncodeError::NotAnObject { endpoint }
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

    /// An invalid setting of a builder (`push::ServiceBuilder`, `pay::PayClientBuilder`, …).
    pub(crate) fn setting(
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

/// How soon a failed WeChat Pay call may be tried again (see [`PayApiError::retry`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PayRetry {
    /// Final: fix the request (or accept the outcome, e.g. `ORDERPAID`) instead.
    No,
    /// Resend with the **same** parameters (and the same `out_trade_no`/`out_refund_no`), two or
    /// three times: `SYSTEM_ERROR` and HTTP 500 (WeChat Pay's error-code guide).
    Now,
    /// Resend later, after a pause: `SERVICE_UNAVAILABLE` (HTTP 502/503) and the rate limits
    /// `FREQUENCY_LIMITED` / `RATELIMIT_EXCEEDED` (HTTP 429). For refunds, query first.
    Later,
}

/// WeChat Pay answered with a non-2xx status and a `{"code", "message", "detail"}` body.
///
/// The codes are strings; the common ones are constants here (e.g. [`PayApiError::ORDERPAID`]).
#[derive(Clone, Debug, PartialEq)]
pub struct PayApiError(Box<PayApiErrorParts>);

/// The fields of a [`PayApiError`] (boxed to keep [`Error`] small).
#[derive(Clone, Debug, PartialEq)]
struct PayApiErrorParts {
    endpoint: &'static str,
    status: u16,
    code: String,
    message: String,
    detail: Option<serde_json::Value>,
    request_id: Option<String>,
    verified: bool,
}

impl PayApiError {
    /// Invalid parameters (HTTP 400).
    pub const PARAM_ERROR: &'static str = "PARAM_ERROR";
    /// The request is not valid in the current state, e.g. a refund over the amount (HTTP 400).
    pub const INVALID_REQUEST: &'static str = "INVALID_REQUEST";
    /// The request signature was rejected (HTTP 401): check the merchant key and serial.
    pub const SIGN_ERROR: &'static str = "SIGN_ERROR";
    /// The merchant lacks the permission for this API (HTTP 403).
    pub const NO_AUTH: &'static str = "NO_AUTH";
    /// The order was already paid (HTTP 400/403).
    pub const ORDERPAID: &'static str = "ORDERPAID";
    /// The order is closed (HTTP 400).
    pub const ORDER_CLOSED: &'static str = "ORDER_CLOSED";
    /// No such order (HTTP 404).
    pub const ORDER_NOT_EXIST: &'static str = "ORDER_NOT_EXIST";
    /// No such resource (HTTP 404).
    pub const RESOURCE_NOT_EXISTS: &'static str = "RESOURCE_NOT_EXISTS";
    /// Insufficient balance (HTTP 403).
    pub const NOT_ENOUGH: &'static str = "NOT_ENOUGH";
    /// The AppID and the merchant id do not belong together (HTTP 403).
    pub const APPID_MCHID_NOT_MATCH: &'static str = "APPID_MCHID_NOT_MATCH";
    /// The merchant number does not exist (HTTP 400).
    pub const MCH_NOT_EXISTS: &'static str = "MCH_NOT_EXISTS";
    /// `out_trade_no` was already used with other parameters (HTTP 400).
    pub const OUT_TRADE_NO_USED: &'static str = "OUT_TRADE_NO_USED";
    /// A business rule rejected the request (HTTP 403).
    pub const RULE_LIMIT: &'static str = "RULE_LIMIT";
    /// Too frequent calls (HTTP 403/429): slow down.
    pub const FREQUENCY_LIMITED: &'static str = "FREQUENCY_LIMITED";
    /// Rate limit (HTTP 429): slow down; for refunds, query before resending.
    pub const RATELIMIT_EXCEEDED: &'static str = "RATELIMIT_EXCEEDED";
    /// WeChat Pay's own failure (HTTP 500): resend with the same parameters.
    pub const SYSTEM_ERROR: &'static str = "SYSTEM_ERROR";
    /// A bank-side failure (HTTP 500): resend with the same parameters.
    pub const BANK_ERROR: &'static str = "BANK_ERROR";
    /// WeChat Pay is unavailable (HTTP 502/503): resend later.
    pub const SERVICE_UNAVAILABLE: &'static str = "SERVICE_UNAVAILABLE";

    /// Builds an error from a response. `verified` tells whether the error response carried a
    /// signature that verified (gateways answer some 5xx unsigned).
    pub fn new(
        endpoint: &'static str,
        status: u16,
        code: impl Into<String>,
        message: impl Into<String>,
        detail: Option<serde_json::Value>,
        request_id: Option<String>,
        verified: bool,
    ) -> Self {
        Self(Box::new(PayApiErrorParts {
            endpoint,
            status,
            code: code.into(),
            message: message.into(),
            detail,
            request_id,
            verified,
        }))
    }

    /// The endpoint id of the failed call.
    pub fn endpoint(&self) -> &'static str {
        self.0.endpoint
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.0.status
    }

    /// The `code`, e.g. `ORDER_NOT_EXIST` (empty when the body had none).
    pub fn code(&self) -> &str {
        &self.0.code
    }

    /// The `message`.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The `detail` object, if any (e.g. `{"field": …, "location": …}` for `PARAM_ERROR`).
    pub fn detail(&self) -> Option<&serde_json::Value> {
        self.0.detail.as_ref()
    }

    /// The `Request-ID` header, which WeChat Pay support asks for.
    pub fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }

    /// Whether the error response carried a WeChat Pay signature that verified. An unsigned
    /// error (from a gateway, or with verification disabled) is `false`: do not act on its
    /// code beyond retrying.
    pub fn verified(&self) -> bool {
        self.0.verified
    }

    /// How soon the call may be tried again:
    /// - [`PayRetry::Now`]: `SYSTEM_ERROR`, `BANK_ERROR` and any other HTTP 500 (same
    ///   parameters, 2–3 times);
    /// - [`PayRetry::Later`]: `SERVICE_UNAVAILABLE`, `FREQUENCY_LIMITED`,
    ///   `RATELIMIT_EXCEEDED`, HTTP 429 and the other 5xx statuses;
    /// - [`PayRetry::No`]: everything else (fix the request, or the outcome is final).
    pub fn retry(&self) -> PayRetry {
        match self.0.code.as_str() {
            Self::SYSTEM_ERROR | Self::BANK_ERROR => PayRetry::Now,
            Self::SERVICE_UNAVAILABLE | Self::FREQUENCY_LIMITED | Self::RATELIMIT_EXCEEDED => {
                PayRetry::Later
            }
            _ if self.0.status == 500 => PayRetry::Now,
            _ if self.0.status == 429 || self.0.status >= 500 => PayRetry::Later,
            _ => PayRetry::No,
        }
    }

    /// Whether trying again (now or later, see [`retry`](Self::retry)) may succeed.
    pub fn is_retryable(&self) -> bool {
        self.retry() != PayRetry::No
    }
}

impl fmt::Display for PayApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` failed with HTTP {}",
            self.0.endpoint, self.0.status
        )?;
        if !self.0.code.is_empty() {
            write!(f, " {}", self.0.code)?;
        }
        if !self.0.message.is_empty() {
            write!(f, ": {}", self.0.message)?;
        }
        if let Some(id) = &self.0.request_id {
            write!(f, " [Request-ID {id}]")?;
        }
        Ok(())
    }
}

impl StdError for PayApiError {}

/// Which WeChat Pay verification step failed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureCheck {
    /// A required header is missing or not text.
    MissingHeader(&'static str),
    /// `Wechatpay-Timestamp` is not a number of seconds.
    MalformedTimestamp,
    /// `Wechatpay-Timestamp` is 5 minutes or more away from the local clock.
    Stale {
        /// Local time minus the timestamp, in seconds.
        skew_secs: i64,
    },
    /// A `WECHATPAY/SIGNTEST/` probe: WeChat Pay checking that signatures are verified.
    Probe,
    /// No key or certificate is known under `Wechatpay-Serial`.
    UnknownSerial(String),
    /// The signature does not match the message (tampered body, wrong key, not base64).
    Mismatch,
    /// AES-GCM decryption of a resource or certificate failed (wrong APIv3 key or tampered).
    Decrypt,
    /// A downloaded certificate does not match the serial it was listed under.
    CertificateSerial(String),
    /// The digest of a downloaded bill does not match `hash_value`.
    Digest,
}

impl fmt::Display for SignatureCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignatureCheck::MissingHeader(name) => write!(f, "header `{name}` is missing"),
            SignatureCheck::MalformedTimestamp => f.write_str("`Wechatpay-Timestamp` is malformed"),
            SignatureCheck::Stale { skew_secs } => {
                write!(
                    f,
                    "the timestamp is outside the 5-minute window (skew {skew_secs} s)"
                )
            }
            SignatureCheck::Probe => f.write_str("a WECHATPAY/SIGNTEST/ probe signature"),
            SignatureCheck::UnknownSerial(serial) => {
                write!(f, "no key or certificate has serial `{serial}`")
            }
            SignatureCheck::Mismatch => f.write_str("the signature does not match"),
            SignatureCheck::Decrypt => f.write_str("AES-GCM decryption failed"),
            SignatureCheck::CertificateSerial(serial) => {
                write!(f, "the certificate listed as `{serial}` has another serial")
            }
            SignatureCheck::Digest => f.write_str("the digest does not match"),
        }
    }
}

/// A WeChat Pay response, notification or download failed verification. Says which check
/// failed; never contains the body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureError {
    endpoint: &'static str,
    check: SignatureCheck,
}

impl SignatureError {
    /// A failure of `check` for `endpoint` (an endpoint id, or e.g. `"notification"`).
    pub fn new(endpoint: &'static str, check: SignatureCheck) -> Self {
        Self { endpoint, check }
    }

    /// The endpoint id.
    pub fn endpoint(&self) -> &'static str {
        self.endpoint
    }

    /// The check that failed.
    pub fn check(&self) -> &SignatureCheck {
        &self.check
    }
}

impl fmt::Display for SignatureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` failed verification: {}", self.endpoint, self.check)
    }
}

impl StdError for SignatureError {}
