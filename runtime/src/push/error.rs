use super::crypto::CryptoError;

/// Why a push was refused. Nothing from a refused push reaches the handler.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PushError {
    /// The request is not a GET (URL verification) or a POST (a push).
    #[error("method {0} is not accepted on a push URL")]
    Method(String),
    /// A query parameter the check needs is missing.
    #[error("the query parameter `{0}` is missing")]
    MissingParam(&'static str),
    /// `signature` or `msg_signature` does not match.
    #[error("the push signature does not match")]
    Signature,
    /// The timestamp is outside the freshness window (a replay, or a badly set clock).
    #[error("the push timestamp {timestamp} is more than {window_secs} s away from now ({now})")]
    Stale {
        /// The request's `timestamp`.
        timestamp: i64,
        /// The server's clock, unix seconds.
        now: i64,
        /// The configured window.
        window_secs: u64,
    },
    /// A plain push arrived while encryption is required.
    #[error("the push is not encrypted, and encryption is required")]
    EncryptionRequired,
    /// An encrypted push arrived but no EncodingAESKey is configured.
    #[error("the push is encrypted, and no EncodingAESKey is configured")]
    NoKey,
    /// Decrypting failed (bad base64, padding, length or receive id).
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// The body is larger than the configured limit.
    #[error("the push body is larger than {limit} bytes")]
    TooLarge {
        /// The configured limit.
        limit: usize,
    },
    /// The body is not well-formed XML or JSON.
    #[error("the push is not well-formed {format}: {reason}")]
    Syntax {
        /// `XML` or `JSON`.
        format: &'static str,
        /// What the parser reported.
        reason: String,
    },
    /// A known message type lacks a required field, or a field does not parse.
    #[error("the {message} push has a bad field {field}")]
    Decode {
        /// The message struct, e.g. `TextMessage`.
        message: &'static str,
        /// The field and what is wrong with it.
        field: super::field::FieldError,
    },
}

impl PushError {
    /// The HTTP status a push URL answers with for this error.
    pub fn status(&self) -> u16 {
        match self {
            PushError::Method(_) => 405,
            PushError::MissingParam(_) | PushError::Syntax { .. } | PushError::Decode { .. } => 400,
            PushError::Signature | PushError::Stale { .. } | PushError::EncryptionRequired => 403,
            PushError::Crypto(_) | PushError::NoKey => 400,
            PushError::TooLarge { .. } => 413,
        }
    }
}
