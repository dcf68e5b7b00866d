//! Where tokens are kept: the [`TokenStore`] trait and the in-memory default.
//!
//! The trait is shaped so a shared store (Redis) fits: values carry wall-clock expiry, deletion
//! is compare-and-delete, and refreshes are serialized across processes with an owned lock.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use crate::error::StoreError;

/// A boxed, `Send` future, as returned by the object-safe store and provider traits.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A cached token (or ticket) and when it expires.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredToken {
    value: String,
    issued_at: SystemTime,
    expires_at: SystemTime,
}

impl StoredToken {
    /// A token issued now that expires at `expires_at`.
    pub fn new(value: impl Into<String>, expires_at: SystemTime) -> Self {
        Self::with_issued_at(value, SystemTime::now(), expires_at)
    }

    /// A token with an explicit issue time (a store rebuilding what it saved). The issue time
    /// keeps early refresh from looping on tokens whose whole life is shorter than the margin.
    pub fn with_issued_at(
        value: impl Into<String>,
        issued_at: SystemTime,
        expires_at: SystemTime,
    ) -> Self {
        Self {
            value: value.into(),
            issued_at,
            expires_at,
        }
    }

    /// The token. Do not log it.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// When it was obtained.
    pub fn issued_at(&self) -> SystemTime {
        self.issued_at
    }

    /// When it stops working.
    pub fn expires_at(&self) -> SystemTime {
        self.expires_at
    }

    /// Time left before expiry (zero once expired).
    pub(crate) fn remaining(&self, now: SystemTime) -> Duration {
        self.expires_at.duration_since(now).unwrap_or_default()
    }

    /// The whole validity period.
    pub(crate) fn lifetime(&self) -> Duration {
        self.expires_at
            .duration_since(self.issued_at)
            .unwrap_or_default()
    }
}

impl fmt::Debug for StoredToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredToken")
            .field("value", &"***")
            .field("issued_at", &self.issued_at)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Storage for tokens and tickets, shared by every client of a [`Shared`](crate::Shared).
/// Keys look like `weixin:access_token:<appid>` and `weixin:jsapi_ticket:<appid>`; refresh
/// locks use the same key with a `:lock` suffix.
pub trait TokenStore: Send + Sync + fmt::Debug {
    /// The token under `key`, if any (expired entries may be returned; callers check).
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<StoredToken>, StoreError>>;

    /// Saves `token` under `key`, to be forgotten after `ttl`.
    fn set<'a>(
        &'a self,
        key: &'a str,
        token: StoredToken,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Deletes `key` only if it still holds `expected`; returns whether it did.
    fn compare_and_delete<'a>(
        &'a self,
        key: &'a str,
        expected: &'a str,
    ) -> BoxFuture<'a, Result<bool, StoreError>>;

    /// Takes the lock `key` for `owner` for at most `ttl`; returns whether it was free.
    fn try_lock<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>>;

    /// Releases the lock `key` if `owner` holds it.
    fn unlock<'a>(&'a self, key: &'a str, owner: &'a str) -> BoxFuture<'a, Result<(), StoreError>>;

    /// How long a refresh lock is held at most: the time others wait when its holder dies
    /// mid-refresh. 30 s unless a store says otherwise.
    fn lock_ttl(&self) -> Duration {
        DEFAULT_LOCK_TTL
    }
}

/// The default [`TokenStore::lock_ttl`].
pub const DEFAULT_LOCK_TTL: Duration = Duration::from_secs(30);

/// The default store: a map in this process's memory.
#[derive(Default)]
pub struct MemoryTokenStore {
    tokens: Mutex<HashMap<String, (StoredToken, Instant)>>,
    locks: Mutex<HashMap<String, (String, Instant)>>,
}

impl MemoryTokenStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl fmt::Debug for MemoryTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryTokenStore")
            .field("entries", &lock(&self.tokens).len())
            .finish()
    }
}

/// Locks a mutex, recovering from poisoning (the maps stay consistent: every update is a
/// single insert or remove).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl TokenStore for MemoryTokenStore {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<StoredToken>, StoreError>> {
        let mut tokens = lock(&self.tokens);
        let found = match tokens.get(key) {
            Some((token, forget_at)) if *forget_at > Instant::now() => Some(token.clone()),
            Some(_) => {
                tokens.remove(key);
                None
            }
            None => None,
        };
        Box::pin(std::future::ready(Ok(found)))
    }

    fn set<'a>(
        &'a self,
        key: &'a str,
        token: StoredToken,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let forget_at = Instant::now() + ttl;
        lock(&self.tokens).insert(key.to_owned(), (token, forget_at));
        Box::pin(std::future::ready(Ok(())))
    }

    fn compare_and_delete<'a>(
        &'a self,
        key: &'a str,
        expected: &'a str,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        let mut tokens = lock(&self.tokens);
        let matches = tokens
            .get(key)
            .is_some_and(|(token, _)| token.value() == expected);
        if matches {
            tokens.remove(key);
        }
        Box::pin(std::future::ready(Ok(matches)))
    }

    fn try_lock<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        let now = Instant::now();
        let mut locks = lock(&self.locks);
        let free = locks.get(key).is_none_or(|(_, until)| *until <= now);
        if free {
            locks.insert(key.to_owned(), (owner.to_owned(), now + ttl));
        }
        Box::pin(std::future::ready(Ok(free)))
    }

    fn unlock<'a>(&'a self, key: &'a str, owner: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        let mut locks = lock(&self.locks);
        if locks.get(key).is_some_and(|(held_by, _)| held_by == owner) {
            locks.remove(key);
        }
        Box::pin(std::future::ready(Ok(())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_store_semantics() {
        let store = MemoryTokenStore::new();
        let far = SystemTime::now() + Duration::from_secs(100);
        store
            .set("k", StoredToken::new("a", far), Duration::from_secs(100))
            .await
            .expect("set");
        assert_eq!(
            store
                .get("k")
                .await
                .expect("get")
                .map(|t| t.value().to_owned()),
            Some("a".into())
        );
        assert!(!store.compare_and_delete("k", "b").await.expect("cad"));
        assert!(store.compare_and_delete("k", "a").await.expect("cad"));
        assert!(store.get("k").await.expect("get").is_none());

        store
            .set("gone", StoredToken::new("x", far), Duration::ZERO)
            .await
            .expect("set");
        assert!(store.get("gone").await.expect("get").is_none());

        assert!(
            store
                .try_lock("l", "me", Duration::from_secs(5))
                .await
                .expect("lock")
        );
        assert!(
            !store
                .try_lock("l", "you", Duration::from_secs(5))
                .await
                .expect("lock")
        );
        store.unlock("l", "you").await.expect("unlock");
        assert!(
            !store
                .try_lock("l", "you", Duration::from_secs(5))
                .await
                .expect("lock")
        );
        store.unlock("l", "me").await.expect("unlock");
        assert!(
            store
                .try_lock("l", "you", Duration::ZERO)
                .await
                .expect("lock")
        );
        assert!(
            store
                .try_lock("l", "me", Duration::from_secs(5))
                .await
                .expect("expired lock")
        );
    }

    #[test]
    fn debug_hides_value() {
        let t = StoredToken::new("secret-token", SystemTime::now());
        assert!(!format!("{t:?}").contains("secret-token"));
    }
}
