//! The push service: one object that answers everything WeChat sends to a push URL.
//!
//! For each request: method and size checks, signature and freshness checks, decryption,
//! decoding, deduplication of WeChat's retries, conversation context, the handler under a
//! deadline, and the (encrypted, when the push was) reply. Refusals are answered with
//! [`PushError::status`] and one `tracing::warn!` line naming the reason, never the body.
//!
//! Deduplication is at-least-once: should the dedup store fail, the push is handled anyway
//! (and a warning logged), so a retry during the outage may run the handler again.

use std::fmt;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use futures_util::FutureExt;
use tokio::task::{JoinError, JoinHandle};
use tokio::time::Instant;

use super::context::{Context, ContextEntry, ContextLimits, ContextStore};
use super::dedup::{Claim, DedupStore, dedup_key};
use super::handler::{Handler, LateReply, Push};
use super::open::{Opened, PushRequest, Verifier, unix_now};
use super::{Format, Meta, Node, PushError, PushMessage, PushReply, render_reply};
use crate::store::BoxFuture;

/// The body that tells WeChat "received, nothing to say".
const SUCCESS: &str = "success";
/// Stands for "no deadline" when the configured one overflows the clock.
const FAR_DEADLINE: Duration = Duration::from_secs(365 * 24 * 3600);
/// First and longest pause between polls while a retry waits for the first delivery.
const POLL_FIRST: Duration = Duration::from_millis(20);
const POLL_MAX: Duration = Duration::from_millis(200);

/// `Content-Type` of XML replies.
pub const CONTENT_TYPE_XML: &str = "text/xml; charset=utf-8";
/// `Content-Type` of JSON replies.
pub const CONTENT_TYPE_JSON: &str = "application/json";
/// `Content-Type` of `success`, URL verification answers and refusals.
pub const CONTENT_TYPE_TEXT: &str = "text/plain; charset=utf-8";

/// What to answer on the push URL, independent of any web framework.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushResponse {
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type` header.
    pub content_type: &'static str,
    /// The body.
    pub body: String,
}

impl PushResponse {
    /// A 200 `text/plain` answer.
    fn text(body: impl Into<String>) -> Self {
        PushResponse {
            status: 200,
            content_type: CONTENT_TYPE_TEXT,
            body: body.into(),
        }
    }

    /// `success`.
    fn success() -> Self {
        Self::text(SUCCESS)
    }

    /// A 200 reply body of `format`.
    fn reply(body: String, format: Format) -> Self {
        PushResponse {
            status: 200,
            content_type: match format {
                Format::Xml => CONTENT_TYPE_XML,
                Format::Json => CONTENT_TYPE_JSON,
            },
            body,
        }
    }

    /// The answer to a refused request; logs the reason (never the body).
    pub(crate) fn refusal(error: &PushError) -> Self {
        let status = error.status();
        match error {
            // The field error may quote the offending value: log only where it is.
            PushError::Decode { message, field } => {
                tracing::warn!(status, message, field = %field.path, "push refused: a field does not decode");
            }
            other => tracing::warn!(status, reason = %other, "push refused"),
        }
        let body = match status {
            403 => "forbidden",
            405 => "method not allowed",
            413 => "payload too large",
            _ => "bad request",
        };
        PushResponse {
            status,
            content_type: CONTENT_TYPE_TEXT,
            body: body.to_owned(),
        }
    }

    /// A 500, after the handler failed: WeChat retries.
    fn internal_error() -> Self {
        PushResponse {
            status: 500,
            content_type: CONTENT_TYPE_TEXT,
            body: "internal error".to_owned(),
        }
    }
}

/// The callback that receives replies made after the deadline.
pub(crate) type LateFn<R> = Arc<dyn Fn(LateReply<R>) -> BoxFuture<'static, ()> + Send + Sync>;

/// Everything a service holds.
pub(crate) struct Inner<M, R> {
    pub(crate) verifier: Verifier,
    pub(crate) dedup: Arc<dyn DedupStore>,
    pub(crate) dedup_ttl: Duration,
    pub(crate) context: Arc<dyn ContextStore>,
    pub(crate) context_limits: ContextLimits,
    pub(crate) deadline: Duration,
    pub(crate) on_late_reply: Option<LateFn<R>>,
    pub(crate) handler: Box<dyn Handler<M, R>>,
}

/// Answers a push URL: verifies, decrypts, decodes, deduplicates, runs the handler and replies.
///
/// Cheap to clone (one `Arc`). Build one with [`Service::builder`]; serve it with
/// [`handle`](Self::handle) from any web framework, or with `router` (feature `axum`).
/// `handle` must run inside a Tokio runtime: a handler that waits continues on a spawned task.
pub struct Service<M, R> {
    inner: Arc<Inner<M, R>>,
}

impl<M, R> Clone for Service<M, R> {
    fn clone(&self) -> Self {
        Service {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<M, R> fmt::Debug for Service<M, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Service")
            .field("verifier", &self.inner.verifier)
            .field("deadline", &self.inner.deadline)
            .finish_non_exhaustive()
    }
}

/// Where a reply goes and how it is wrapped, kept after the push moved into the handler.
struct Target {
    meta: Arc<Meta>,
    format: Format,
    envelope: Format,
    encrypted: bool,
}

/// What the handler's future ends with: its reply, or the payload of its panic.
type HandlerResult<R> = std::thread::Result<R>;

/// How a handler run ended, as far as the request is concerned.
enum Outcome<R> {
    /// It replied before the deadline.
    Reply(R),
    /// It panicked (`panicked`), or its task was cancelled.
    Failed { panicked: bool },
    /// The deadline passed; it goes on running on this task.
    Late(JoinHandle<HandlerResult<R>>),
}

/// The outcome of claiming a push's dedup key.
enum Claimed {
    /// Run the handler; `tracked` when the claim is held and must be completed or released.
    Run { tracked: bool },
    /// A duplicate: answer with this plaintext body (`success` included).
    Answer(String),
}

impl<M: PushMessage, R: PushReply> Service<M, R> {
    pub(crate) fn from_inner(inner: Inner<M, R>) -> Self {
        Service {
            inner: Arc::new(inner),
        }
    }

    /// The largest body accepted, in bytes.
    pub fn max_body_bytes(&self) -> usize {
        self.inner.verifier.max_body_bytes
    }

    /// Answers one request on the push URL. Never panics; a refused request never reaches the
    /// handler.
    pub async fn handle(&self, request: PushRequest<'_>) -> PushResponse {
        let started = Instant::now();
        if request.method.eq_ignore_ascii_case("GET") {
            return match self.verify_url(request.query) {
                Ok(echo) => PushResponse::text(echo),
                Err(e) => PushResponse::refusal(&e),
            };
        }
        if !request.method.eq_ignore_ascii_case("POST") {
            return PushResponse::refusal(&PushError::Method(request.method.to_owned()));
        }
        match self.open(request) {
            Ok(opened) => {
                let deadline_at = started
                    .checked_add(self.inner.deadline)
                    .unwrap_or_else(|| started + FAR_DEADLINE);
                self.dispatch(opened, deadline_at).await
            }
            Err(e) => PushResponse::refusal(&e),
        }
    }

    /// URL verification (the GET WeChat sends when the URL is configured): checks the
    /// signature and returns the text to answer with (the echostr, decrypted on WeCom).
    pub fn verify_url(&self, query: &str) -> Result<String, PushError> {
        self.inner.verifier.verify_url(query)
    }

    /// Checks, decrypts and decodes a push (a POST) without running the handler, for
    /// applications with their own flow; answer it with [`reply`](Self::reply).
    pub fn open(&self, request: PushRequest<'_>) -> Result<Opened<M>, PushError> {
        self.inner.verifier.open(request.body, request.query)
    }

    /// The response carrying `reply` to the sender of `opened`: checked, rendered in the push's
    /// format and encrypted when the push was. A reply failing its check is logged and
    /// replaced by `success`.
    pub fn reply(&self, opened: &Opened<M>, reply: &R) -> PushResponse {
        let target = target_of(opened);
        let body = self.render(&target, reply);
        self.respond(&target, body.as_deref().unwrap_or(SUCCESS))
    }

    /// Runs the handler for an opened push, with dedup, context and the deadline.
    async fn dispatch(&self, opened: Opened<M>, deadline_at: Instant) -> PushResponse {
        let target = target_of(&opened);
        let key = dedup_key(&opened.meta, &opened.node);
        let tracked = match self.claim(&key, deadline_at).await {
            Claimed::Answer(body) => return self.respond(&target, &body),
            Claimed::Run { tracked } => tracked,
        };
        let context = self.begin_context(&opened.meta, &opened.node).await;
        let push = Push {
            opened,
            context: context.clone(),
        };
        let reply = match self.run_handler(push, deadline_at).await {
            Outcome::Reply(reply) => reply,
            Outcome::Failed { panicked } => {
                tracing::error!(
                    openid = %target.meta.from_user_name,
                    msg_type = %target.meta.msg_type,
                    panicked,
                    "the push handler failed; answering 500 so WeChat retries"
                );
                if tracked {
                    if let Err(e) = self.inner.dedup.release(&key).await {
                        tracing::warn!(error = %e, "the dedup claim could not be released");
                    }
                }
                return PushResponse::internal_error();
            }
            Outcome::Late(task) => {
                if tracked {
                    self.complete(&key, SUCCESS).await;
                }
                self.deliver_late(task, target.meta);
                return PushResponse::success();
            }
        };
        let body = self.render(&target, &reply);
        if let (Some(_), Some(msg_type)) = (&body, reply.msg_type()) {
            context
                .finish(ContextEntry::outgoing(
                    msg_type,
                    reply.content(),
                    unix_now(),
                ))
                .await;
        }
        let body = body.unwrap_or_else(|| SUCCESS.to_owned());
        if tracked {
            self.complete(&key, &body).await;
        }
        self.respond(&target, &body)
    }

    /// Runs the handler until it replies or the deadline passes.
    ///
    /// Its first poll happens here, so a handler that answers without waiting costs no task.
    /// One that waits goes on to its own task: from then on it is never cancelled by the
    /// request going away, and it outlives the deadline if it has to. Panics are caught either
    /// way.
    async fn run_handler(&self, push: Push<M>, deadline_at: Instant) -> Outcome<R> {
        // A handler may panic while making its future, as well as while it runs.
        let call = std::panic::catch_unwind(AssertUnwindSafe(|| self.inner.handler.call(push)));
        let Ok(call) = call else {
            return Outcome::Failed { panicked: true };
        };
        let mut call = AssertUnwindSafe(call).catch_unwind();
        let first = std::future::poll_fn(|cx| Poll::Ready(call.poll_unpin(cx))).await;
        let joined = match first {
            Poll::Ready(result) => Ok(result),
            Poll::Pending => {
                let mut task = tokio::spawn(call);
                match tokio::time::timeout_at(deadline_at, &mut task).await {
                    Ok(joined) => joined,
                    Err(_elapsed) => return Outcome::Late(task),
                }
            }
        };
        match reply_of(joined) {
            Ok(reply) => Outcome::Reply(reply),
            Err(panicked) => Outcome::Failed { panicked },
        }
    }

    /// Claims the dedup key. While another request holds it, waits (polling) until that one
    /// finishes or the deadline passes, then answers its reply or `success`.
    async fn claim(&self, key: &str, deadline_at: Instant) -> Claimed {
        let mut pause = POLL_FIRST;
        loop {
            match self.inner.dedup.claim(key, self.inner.dedup_ttl).await {
                Ok(Claim::First) => return Claimed::Run { tracked: true },
                Ok(Claim::Done(body)) => return Claimed::Answer(body),
                Ok(Claim::InProgress) => {
                    if Instant::now() + pause >= deadline_at {
                        return Claimed::Answer(SUCCESS.to_owned());
                    }
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(POLL_MAX);
                }
                Err(e) => {
                    tracing::warn!(error = %e, "the dedup store failed; handling the push without dedup");
                    return Claimed::Run { tracked: false };
                }
            }
        }
    }

    /// Records the plaintext reply for retries.
    async fn complete(&self, key: &str, body: &str) {
        let store = &self.inner.dedup;
        if let Err(e) = store.complete(key, body, self.inner.dedup_ttl).await {
            tracing::warn!(error = %e, "the reply could not be recorded in the dedup store");
        }
    }

    /// Loads the sender's context and appends the push to it.
    async fn begin_context(&self, meta: &Meta, node: &Node) -> Context {
        Context::begin(&self.inner.context, self.inner.context_limits, meta, node).await
    }

    /// Hands a reply that missed the deadline to `on_late_reply`, or logs that it was dropped.
    fn deliver_late(&self, task: JoinHandle<HandlerResult<R>>, meta: Arc<Meta>) {
        let callback = self.inner.on_late_reply.clone();
        tokio::spawn(async move {
            let reply = match reply_of(task.await) {
                Ok(reply) => reply,
                Err(panicked) => {
                    tracing::error!(
                        openid = %meta.from_user_name,
                        msg_type = %meta.msg_type,
                        panicked,
                        "the push handler failed after the deadline"
                    );
                    return;
                }
            };
            if reply.msg_type().is_none() {
                return;
            }
            match callback {
                Some(callback) => {
                    callback(LateReply {
                        meta: Arc::unwrap_or_clone(meta),
                        reply,
                    })
                    .await
                }
                None => tracing::warn!(
                    openid = %meta.from_user_name,
                    msg_type = %meta.msg_type,
                    "a reply made after the deadline was dropped; set ServiceBuilder::on_late_reply to send it"
                ),
            }
        });
    }

    /// Checks and renders a reply; `None` for `success` or a reply failing its check.
    fn render(&self, target: &Target, reply: &R) -> Option<String> {
        if let Err(reason) = reply.check() {
            tracing::error!(
                reason = %reason,
                msg_type = reply.msg_type().unwrap_or_default(),
                "the reply fails its check; answering success"
            );
            return None;
        }
        render_reply(
            reply,
            target.format,
            &target.meta.from_user_name,
            &target.meta.to_user_name,
            unix_now(),
        )
    }

    /// Answers with a plaintext reply body, sealed freshly when the push was encrypted.
    fn respond(&self, target: &Target, body: &str) -> PushResponse {
        if body == SUCCESS || body.is_empty() {
            return PushResponse::text(body);
        }
        let crypt = match (&self.inner.verifier.crypt, target.encrypted) {
            (Some(crypt), true) => crypt,
            _ => return PushResponse::reply(body.to_owned(), target.format),
        };
        let (mut timestamp, mut nonce) = ([0u8; 20], [0u8; 20]);
        let timestamp = decimal(u64::try_from(unix_now()).unwrap_or(0), &mut timestamp);
        let nonce = decimal(u64::from(rand::random::<u32>()), &mut nonce);
        let sealed = match target.envelope {
            Format::Xml => crypt.seal_xml(body, timestamp, nonce),
            Format::Json => crypt.seal_json(body, timestamp, nonce),
        };
        PushResponse::reply(sealed, target.envelope)
    }
}

/// The reply of a handler run, or whether it failed by panicking (`false`: its task was
/// cancelled, as when the runtime shuts down).
fn reply_of<R>(joined: Result<HandlerResult<R>, JoinError>) -> Result<R, bool> {
    match joined {
        Ok(Ok(reply)) => Ok(reply),
        Ok(Err(_panic)) => Err(true),
        Err(join_error) => Err(join_error.is_panic()),
    }
}

/// Writes `value` in decimal into `buf` (20 digits hold any `u64`) and returns the digits.
fn decimal(mut value: u64, buf: &mut [u8; 20]) -> &str {
    let mut start = buf.len();
    loop {
        start -= 1;
        // `value % 10` is a single digit.
        buf[start] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    std::str::from_utf8(&buf[start..]).unwrap_or_default()
}

fn target_of<M>(opened: &Opened<M>) -> Target {
    Target {
        meta: Arc::clone(&opened.meta),
        format: opened.format,
        envelope: opened.envelope,
        encrypted: opened.encrypted,
    }
}

#[cfg(test)]
mod tests {
    use super::decimal;

    #[test]
    fn decimal_writes_any_u64() {
        for value in [0, 7, 10, 1_409_735_669, u64::from(u32::MAX), u64::MAX] {
            let mut buf = [0u8; 20];
            assert_eq!(decimal(value, &mut buf), value.to_string());
        }
    }
}
