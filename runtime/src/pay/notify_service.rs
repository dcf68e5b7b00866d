//! [`NotifyService`]: answers the notification URL, independent of any web framework.
//!
//! For each request: method and size, timestamp window and signature (401 when they fail),
//! envelope (400), decryption and decoding (500), deduplication by notification `id`, then the
//! handler. Success is `200` with an empty body; a handler failure is `500` and releases the
//! dedup claim, so WeChat Pay's retry runs the handler again. Every refusal carries
//! `{"code":"FAIL","message":"…"}` and logs one line naming the reason, never the body.
//!
//! Deduplication is at-least-once: a notification whose handler succeeded is answered `200`
//! without running the handler again while its record lives (25 h by default, past WeChat
//! Pay's 24 h retry schedule). A delivery arriving while another one of the same notification
//! is being handled gets a `500` (WeChat Pay retries later). Should the store fail, the handler
//! runs anyway.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;

use super::notify::{Notification, NotifyError, NotifyParser, NotifyRequest};
use crate::push::dedup::{Claim, DedupStore, MemoryDedupStore};
use crate::store::BoxFuture;

/// `Content-Type` of the answers.
pub const CONTENT_TYPE_JSON: &str = "application/json";

/// How long a finished notification is remembered.
pub const DEFAULT_DEDUP_TTL: Duration = Duration::from_secs(25 * 3600);
/// How long a claim protects a running handler (a crashed process frees it after this).
pub const DEFAULT_CLAIM_TTL: Duration = Duration::from_secs(60);

/// What to answer on the notification URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyResponse {
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type` header.
    pub content_type: &'static str,
    /// The body (empty on success).
    pub body: String,
}

impl NotifyResponse {
    fn ok() -> Self {
        NotifyResponse {
            status: 200,
            content_type: CONTENT_TYPE_JSON,
            body: String::new(),
        }
    }

    fn fail(status: u16, message: &str) -> Self {
        NotifyResponse {
            status,
            content_type: CONTENT_TYPE_JSON,
            body: serde_json::json!({ "code": "FAIL", "message": message }).to_string(),
        }
    }
}

/// Handles verified notifications. Implemented for every
/// `Fn(Notification<T>) -> impl Future<Output = Result<(), E>>` with `E: Display`, so an async
/// closure is a handler. An `Err` answers 500 so WeChat Pay retries.
pub trait NotifyHandler<T>: Send + Sync + 'static {
    /// Handles one notification.
    fn call(&self, notification: Notification<T>) -> BoxFuture<'static, Result<(), String>>;
}

impl<T, F, Fut, E> NotifyHandler<T> for F
where
    T: Send + 'static,
    F: Fn(Notification<T>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: fmt::Display,
{
    fn call(&self, notification: Notification<T>) -> BoxFuture<'static, Result<(), String>> {
        let fut = self(notification);
        Box::pin(async move { fut.await.map_err(|e| e.to_string()) })
    }
}

struct Inner<T> {
    parser: NotifyParser,
    dedup: Arc<dyn DedupStore>,
    dedup_ttl: Duration,
    claim_ttl: Duration,
    handler: Box<dyn NotifyHandler<T>>,
}

/// Answers WeChat Pay notifications with a handler for resources of type `T`. Cheap to clone.
/// `handle` must run inside a Tokio runtime (the handler runs on its own task).
pub struct NotifyService<T> {
    inner: Arc<Inner<T>>,
}

impl<T> Clone for NotifyService<T> {
    fn clone(&self) -> Self {
        NotifyService {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<T> fmt::Debug for NotifyService<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NotifyService")
            .field("parser", &self.inner.parser)
            .field("dedup_ttl", &self.inner.dedup_ttl)
            .finish_non_exhaustive()
    }
}

/// Configures a [`NotifyService`].
pub struct NotifyServiceBuilder<T> {
    parser: NotifyParser,
    dedup: Arc<dyn DedupStore>,
    dedup_ttl: Duration,
    claim_ttl: Duration,
    _resource: PhantomData<fn() -> T>,
}

impl<T> fmt::Debug for NotifyServiceBuilder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NotifyServiceBuilder")
            .field("parser", &self.parser)
            .field("dedup_ttl", &self.dedup_ttl)
            .field("claim_ttl", &self.claim_ttl)
            .finish_non_exhaustive()
    }
}

impl<T: DeserializeOwned + Send + 'static> NotifyServiceBuilder<T> {
    /// Keeps dedup records in `store` (share one across processes, e.g. Redis) instead of
    /// this process's memory.
    #[must_use]
    pub fn dedup_store(mut self, store: Arc<dyn DedupStore>) -> Self {
        self.dedup = store;
        self
    }

    /// How long handled notifications are remembered (default 25 h).
    #[must_use]
    pub fn dedup_ttl(mut self, ttl: Duration) -> Self {
        self.dedup_ttl = ttl;
        self
    }

    /// How long a running handler's claim lasts before another delivery may run (default 60 s).
    #[must_use]
    pub fn claim_ttl(mut self, ttl: Duration) -> Self {
        self.claim_ttl = ttl;
        self
    }

    /// Builds the service around `handler`.
    pub fn build(self, handler: impl NotifyHandler<T>) -> NotifyService<T> {
        NotifyService {
            inner: Arc::new(Inner {
                parser: self.parser,
                dedup: self.dedup,
                dedup_ttl: self.dedup_ttl,
                claim_ttl: self.claim_ttl,
                handler: Box::new(handler),
            }),
        }
    }
}

impl<T: DeserializeOwned + Send + 'static> NotifyService<T> {
    /// Configures a service verifying and decrypting with `parser`.
    pub fn builder(parser: NotifyParser) -> NotifyServiceBuilder<T> {
        NotifyServiceBuilder {
            parser,
            dedup: Arc::new(MemoryDedupStore::new()),
            dedup_ttl: DEFAULT_DEDUP_TTL,
            claim_ttl: DEFAULT_CLAIM_TTL,
            _resource: PhantomData,
        }
    }

    /// The largest body accepted, in bytes.
    pub fn max_body_bytes(&self) -> usize {
        self.inner.parser.body_limit()
    }

    /// Answers one request on the notification URL. Never panics; a request failing
    /// verification never reaches the handler.
    pub async fn handle(&self, request: NotifyRequest<'_>) -> NotifyResponse {
        let notification = match self.inner.parser.parse::<T>(request).await {
            Ok(n) => n,
            Err(e) => return refusal(&e),
        };
        let key = format!("wxpay:{}", notification.id);
        let tracked = match self.inner.dedup.claim(&key, self.inner.claim_ttl).await {
            Ok(Claim::First) => true,
            Ok(Claim::Done(_)) => {
                tracing::debug!(id = %notification.id, "duplicate WeChat Pay notification; already handled");
                return NotifyResponse::ok();
            }
            Ok(Claim::InProgress) => {
                tracing::info!(id = %notification.id, "WeChat Pay notification is being handled by another delivery");
                return NotifyResponse::fail(500, "being processed; retry later");
            }
            Err(e) => {
                tracing::warn!(error = %e, "the dedup store failed; handling the notification without dedup");
                false
            }
        };
        let (id, event_type) = (notification.id.clone(), notification.event_type.clone());
        // A handler may panic while making its future, as well as while it runs.
        let call =
            std::panic::catch_unwind(AssertUnwindSafe(|| self.inner.handler.call(notification)));
        let failure = match call {
            Err(_panic) => Some("the handler panicked".to_owned()),
            Ok(future) => match tokio::spawn(future).await {
                Ok(Ok(())) => None,
                Ok(Err(message)) => Some(message),
                Err(join) if join.is_panic() => Some("the handler panicked".to_owned()),
                Err(_) => Some("the handler was cancelled".to_owned()),
            },
        };
        match failure {
            None => {
                if tracked {
                    let done = self
                        .inner
                        .dedup
                        .complete(&key, "", self.inner.dedup_ttl)
                        .await;
                    if let Err(e) = done {
                        tracing::warn!(error = %e, "the notification could not be recorded in the dedup store");
                    }
                }
                NotifyResponse::ok()
            }
            Some(reason) => {
                tracing::error!(%id, %event_type, %reason, "the WeChat Pay notification handler failed; answering 500 so WeChat Pay retries");
                if tracked {
                    if let Err(e) = self.inner.dedup.release(&key).await {
                        tracing::warn!(error = %e, "the dedup claim could not be released");
                    }
                }
                NotifyResponse::fail(500, "handler failed")
            }
        }
    }
}

/// The answer to a refused notification; logs the reason (never the body).
fn refusal(error: &NotifyError) -> NotifyResponse {
    let status = error.status();
    tracing::warn!(status, reason = %error, "WeChat Pay notification refused");
    let message = match error {
        NotifyError::Method(_) => "method not allowed",
        NotifyError::TooLarge { .. } => "payload too large",
        NotifyError::Signature(_) => "signature verification failed",
        NotifyError::Body(_) => "bad notification body",
        NotifyError::Decrypt | NotifyError::Resource { .. } => "could not process the resource",
    };
    NotifyResponse::fail(status, message)
}
