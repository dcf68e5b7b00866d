//! A token (or ticket) cached in a [`TokenStore`], refreshed early, one refresh at a time.
//!
//! Within a process, callers of the same key queue on one async mutex (single flight); across
//! processes, the refresher holds the store's lock while it fetches, and others keep using the
//! old value while it is still valid or poll the store for the new one.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crate::error::{Error, StoreError, TokenError};
use crate::shared::Shared;
use crate::store::{StoredToken, TokenStore};

/// How often a waiter polls the store while another process refreshes.
const POLL: Duration = Duration::from_millis(50);
/// A value with less time left than this is not handed out while another process refreshes.
const MIN_USABLE: Duration = Duration::from_secs(5);
/// The largest random addition to the refresh margin.
const MAX_JITTER: Duration = Duration::from_secs(30);

/// One cached value: where it lives and when it is refreshed.
#[derive(Clone)]
pub(crate) struct TokenCache {
    what: &'static str,
    store: Arc<dyn TokenStore>,
    key: String,
    lock_key: String,
    owner: String,
    flight: Arc<tokio::sync::Mutex<()>>,
    margin: Duration,
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenCache")
            .field("key", &self.key)
            .field("margin", &self.margin)
            .finish_non_exhaustive()
    }
}

impl TokenCache {
    /// A cache of `what` under `key`, refreshed `refresh_before` (plus a little jitter) before
    /// it expires. `flight` is shared by every cache of the same key in this process.
    pub(crate) fn new(
        what: &'static str,
        store: Arc<dyn TokenStore>,
        key: String,
        flight: Arc<tokio::sync::Mutex<()>>,
        refresh_before: Duration,
    ) -> Self {
        let jitter_cap = (refresh_before / 10).min(MAX_JITTER).as_millis() as u64;
        let jitter = Duration::from_millis(rand::random::<u64>() % (jitter_cap + 1));
        let owner = format!(
            "{:016x}{:016x}",
            rand::random::<u64>(),
            rand::random::<u64>()
        );
        Self {
            what,
            store,
            lock_key: format!("{key}:lock"),
            key,
            owner,
            flight,
            margin: refresh_before + jitter,
        }
    }

    /// [`new`](Self::new) with the single-flight mutex of `key` from `shared`.
    pub(crate) fn keyed(
        what: &'static str,
        store: &Arc<dyn TokenStore>,
        shared: &Shared,
        key: String,
        refresh_before: Duration,
    ) -> Self {
        let flight = shared.flight(&key);
        Self::new(what, store.clone(), key, flight, refresh_before)
    }

    /// The store key.
    pub(crate) fn key(&self) -> &str {
        &self.key
    }

    /// The cached value, or a fresh one from `fetch` (value and lifetime) when it is missing or
    /// due for refresh.
    pub(crate) async fn get<F, Fut>(&self, fetch: F) -> Result<String, Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(String, Duration), Error>>,
    {
        if let Some(value) = self.fresh().await? {
            return Ok(value);
        }
        let _flight = self.flight.lock().await;
        let current = self.load().await?;
        if let Some(token) = &current {
            if self.is_fresh(token) {
                return Ok(token.value().to_owned());
            }
        }
        let lock_ttl = self.store.lock_ttl();
        let deadline = Instant::now() + lock_ttl + Duration::from_secs(1);
        loop {
            if self
                .store
                .try_lock(&self.lock_key, &self.owner, lock_ttl)
                .await
                .map_err(|e| self.fail(e))?
            {
                let result = self.refresh_locked(fetch).await;
                if let Err(e) = self.store.unlock(&self.lock_key, &self.owner).await {
                    tracing::warn!(key = %self.key, error = %e, "could not release the token refresh lock");
                }
                return result;
            }
            // Another process is refreshing: keep using the old value while it works.
            if let Some(token) = &current {
                if token.remaining(SystemTime::now()) > MIN_USABLE {
                    return Ok(token.value().to_owned());
                }
            }
            tokio::time::sleep(POLL).await;
            if let Some(value) = self.fresh().await? {
                return Ok(value);
            }
            if Instant::now() >= deadline {
                break;
            }
        }
        tracing::warn!(key = %self.key, "token refresh lock not released in time; refreshing anyway");
        self.fetch_and_store(fetch).await
    }

    /// The cached value, if there is one and it is not yet due for refresh.
    async fn fresh(&self) -> Result<Option<String>, Error> {
        let token = self.load().await?;
        Ok(token
            .filter(|t| self.is_fresh(t))
            .map(|t| t.value().to_owned()))
    }

    /// Drops the cached value if it is still `stale`; returns whether it did.
    pub(crate) async fn invalidate(&self, stale: &str) -> Result<bool, Error> {
        self.store
            .compare_and_delete(&self.key, stale)
            .await
            .map_err(|e| self.fail(e))
    }

    async fn refresh_locked<F, Fut>(&self, fetch: F) -> Result<String, Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(String, Duration), Error>>,
    {
        // Another process may have refreshed between our check and taking the lock.
        if let Some(value) = self.fresh().await? {
            return Ok(value);
        }
        self.fetch_and_store(fetch).await
    }

    async fn fetch_and_store<F, Fut>(&self, fetch: F) -> Result<String, Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(String, Duration), Error>>,
    {
        let (value, lifetime) = fetch().await?;
        let now = SystemTime::now();
        let token = StoredToken::with_issued_at(value.clone(), now, now + lifetime);
        self.store
            .set(&self.key, token, lifetime)
            .await
            .map_err(|e| self.fail(e))?;
        tracing::debug!(key = %self.key, expires_in = lifetime.as_secs(), "cached a new {}", self.what);
        Ok(value)
    }

    async fn load(&self) -> Result<Option<StoredToken>, Error> {
        self.store.get(&self.key).await.map_err(|e| self.fail(e))
    }

    /// Whether `token` is outside its early-refresh window. The margin is capped at half the
    /// token's life so a short-lived token is not refetched on every call.
    fn is_fresh(&self, token: &StoredToken) -> bool {
        let margin = self.margin.min(token.lifetime() / 2);
        let remaining = token.remaining(SystemTime::now());
        !remaining.is_zero() && remaining > margin
    }

    fn fail(&self, e: StoreError) -> Error {
        Error::Token(TokenError::store(self.what, e))
    }
}
