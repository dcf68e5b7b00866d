//! Configuring a push [`Service`].

use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use super::context::{ContextLimits, ContextStore, MemoryContextStore};
use super::crypto::MsgCrypt;
use super::dedup::{DedupStore, MemoryDedupStore};
use super::handler::{Handler, LateReply};
use super::open::Verifier;
use super::service::{Inner, LateFn, Service};
use super::{PushMessage, PushReply};
use crate::error::ConfigError;

/// Default freshness window of the `timestamp` parameter.
const DEFAULT_TIMESTAMP_WINDOW: Duration = Duration::from_secs(300);
/// Default body size limit.
const DEFAULT_MAX_BODY_BYTES: usize = 256 * 1024;
/// Default time a push's dedup entry is kept: longer than WeChat's three tries.
const DEFAULT_DEDUP_TTL: Duration = Duration::from_secs(300);
/// Default number of history entries kept per user.
const DEFAULT_CONTEXT_ENTRIES: usize = 20;
/// Default idle time after which a user's context is forgotten.
const DEFAULT_CONTEXT_IDLE: Duration = Duration::from_secs(30 * 60);
/// Default time the handler has before `success` is answered: WeChat gives up after 5 s.
const DEFAULT_DEADLINE: Duration = Duration::from_millis(4500);

impl<M: PushMessage, R: PushReply> Service<M, R> {
    /// Starts configuring a service for the push `token` set in the WeChat console.
    pub fn builder(token: impl Into<String>) -> ServiceBuilder<M, R> {
        ServiceBuilder {
            token: token.into(),
            app_id: None,
            also_accept: Vec::new(),
            encoding_aes_key: None,
            require_encryption: false,
            timestamp_window: DEFAULT_TIMESTAMP_WINDOW,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            dedup: Arc::new(MemoryDedupStore::new()),
            dedup_ttl: DEFAULT_DEDUP_TTL,
            context: Arc::new(MemoryContextStore::new()),
            context_limits: ContextLimits {
                max_entries: DEFAULT_CONTEXT_ENTRIES,
                idle: DEFAULT_CONTEXT_IDLE,
            },
            deadline: DEFAULT_DEADLINE,
            on_late_reply: None,
            types: PhantomData,
        }
    }
}

/// Settings of a push [`Service`]; [`build`](Self::build) checks them.
pub struct ServiceBuilder<M, R> {
    token: String,
    app_id: Option<String>,
    also_accept: Vec<String>,
    encoding_aes_key: Option<String>,
    require_encryption: bool,
    timestamp_window: Duration,
    max_body_bytes: usize,
    dedup: Arc<dyn DedupStore>,
    dedup_ttl: Duration,
    context: Arc<dyn ContextStore>,
    context_limits: ContextLimits,
    deadline: Duration,
    on_late_reply: Option<LateFn<R>>,
    types: PhantomData<fn() -> M>,
}

impl<M, R> std::fmt::Debug for ServiceBuilder<M, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceBuilder")
            .field("app_id", &self.app_id)
            .field("encrypted", &self.encoding_aes_key.is_some())
            .field("require_encryption", &self.require_encryption)
            .finish_non_exhaustive()
    }
}

impl<M: PushMessage, R: PushReply> ServiceBuilder<M, R> {
    /// The receive id encrypted pushes must carry: the AppID (Official Account, Mini Program),
    /// the component AppID (Open Platform), the CorpID (WeCom app) or the SuiteID (WeCom
    /// suite); `""` for personal-entity WeCom third-party apps. Required with
    /// [`encoding_aes_key`](Self::encoding_aes_key); also the id written into encrypted replies.
    pub fn app_id(mut self, id: impl Into<String>) -> Self {
        self.app_id = Some(id.into());
        self
    }

    /// Also accepts encrypted pushes carrying this receive id (e.g. a suite's SuiteID and the
    /// CorpIDs of the corps that installed it).
    pub fn also_accept_receive_id(mut self, id: impl Into<String>) -> Self {
        self.also_accept.push(id.into());
        self
    }

    /// The 43-character `EncodingAESKey`: enables safe mode. An invalid key makes
    /// [`build`](Self::build) fail.
    pub fn encoding_aes_key(mut self, key: impl Into<String>) -> Self {
        self.encoding_aes_key = Some(key.into());
        self
    }

    /// Refuses plain pushes (403) once a key is set. Off by default: in safe mode both plain and
    /// encrypted pushes are accepted (WeChat's compatible mode).
    pub fn require_encryption(mut self, required: bool) -> Self {
        self.require_encryption = required;
        self
    }

    /// How far the `timestamp` parameter may be from the server's clock (300 s by default, which
    /// covers WeChat's retries of one push).
    pub fn timestamp_window(mut self, window: Duration) -> Self {
        self.timestamp_window = window;
        self
    }

    /// The largest body accepted (256 KiB by default); larger ones get 413.
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// Where claims and replies of recent pushes are kept ([`MemoryDedupStore`] by default).
    pub fn dedup(mut self, store: impl DedupStore) -> Self {
        self.dedup = Arc::new(store);
        self
    }

    /// How long a push is remembered for dedup (300 s by default).
    pub fn dedup_ttl(mut self, ttl: Duration) -> Self {
        self.dedup_ttl = ttl;
        self
    }

    /// Where conversation context is kept ([`MemoryContextStore`] by default;
    /// [`NoContext`](super::NoContext) turns it off).
    pub fn context(mut self, store: impl ContextStore) -> Self {
        self.context = Arc::new(store);
        self
    }

    /// How many history entries are kept per user (20 by default) and after how long without a
    /// push a user's context is forgotten (30 minutes by default).
    pub fn context_limits(mut self, max_entries: usize, idle: Duration) -> Self {
        self.context_limits = ContextLimits { max_entries, idle };
        self
    }

    /// How long the handler has before `success` is answered (4.5 s by default; WeChat waits
    /// 5 s). The handler keeps running; its reply then goes to
    /// [`on_late_reply`](Self::on_late_reply).
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// Receives replies the handler made after the deadline, e.g. to send them with the
    /// customer-service message API. Without it they are dropped with a warning. A late
    /// `success` is not passed on.
    pub fn on_late_reply<F, Fut>(mut self, callback: F) -> Self
    where
        F: Fn(LateReply<R>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.on_late_reply = Some(Arc::new(move |late| Box::pin(callback(late))));
        self
    }

    /// Checks the settings and builds the service around `handler`.
    pub fn build(self, handler: impl Handler<M, R>) -> Result<Service<M, R>, ConfigError> {
        if self.token.is_empty() {
            return Err(ConfigError::setting("the push token is empty", None));
        }
        let crypt = match (&self.encoding_aes_key, self.app_id) {
            (None, _) if self.require_encryption => {
                return Err(ConfigError::setting(
                    "require_encryption needs an encoding_aes_key",
                    None,
                ));
            }
            (None, _) => None,
            (Some(_), None) => {
                return Err(ConfigError::setting(
                    "encoding_aes_key needs app_id, the receive id of encrypted pushes (\"\" for personal-entity WeCom apps)",
                    None,
                ));
            }
            (Some(key), Some(app_id)) => {
                let crypt = MsgCrypt::new(self.token.clone(), key, app_id).map_err(|e| {
                    ConfigError::setting(
                        format!("invalid encoding_aes_key: {e}"),
                        Some(Box::new(e)),
                    )
                })?;
                Some(
                    self.also_accept
                        .into_iter()
                        .fold(crypt, |crypt, id| crypt.also_accept(id)),
                )
            }
        };
        Ok(Service::from_inner(Inner {
            verifier: Verifier {
                token: self.token,
                crypt,
                require_encryption: self.require_encryption,
                window: self.timestamp_window,
                max_body_bytes: self.max_body_bytes,
            },
            dedup: self.dedup,
            dedup_ttl: self.dedup_ttl,
            context: self.context,
            context_limits: self.context_limits,
            deadline: self.deadline,
            on_late_reply: self.on_late_reply,
            handler: Box::new(handler),
        }))
    }
}
