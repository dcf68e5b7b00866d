//! Durable credentials: the Open Platform's `component_verify_ticket` and each authorizer's
//! refresh token.
//!
//! Unlike access tokens, these cannot be fetched again on demand: the ticket arrives by push
//! every ten minutes, and a lost authorizer refresh token means asking the authorizer to
//! authorize again. So they live in a [`CredentialStore`], apart from the volatile token cache,
//! never expire, and a failed write is an error rather than something to work around.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Mutex;
use std::time::SystemTime;

use crate::error::StoreError;
use crate::store::BoxFuture;

/// A durable credential and when it was last written.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredCredential {
    value: String,
    updated_at: SystemTime,
}

impl StoredCredential {
    /// A credential written at `updated_at`.
    pub fn new(value: impl Into<String>, updated_at: SystemTime) -> Self {
        StoredCredential {
            value: value.into(),
            updated_at,
        }
    }

    /// The credential. Do not log it.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// When it was last written (health checks compare this with the ticket's 10-minute cadence).
    pub fn updated_at(&self) -> SystemTime {
        self.updated_at
    }
}

impl fmt::Debug for StoredCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredCredential")
            .field("value", &"***")
            .field("updated_at", &self.updated_at)
            .finish()
    }
}

/// Durable storage for credentials, under keys like
/// `weixin:component_verify_ticket:<component_appid>` and
/// `weixin:authorizer_refresh_token:<component_appid>:<authorizer_appid>`.
pub trait CredentialStore: Send + Sync + fmt::Debug {
    /// The credential under `key`, if any.
    fn load<'a>(
        &'a self,
        key: &'a str,
    ) -> BoxFuture<'a, Result<Option<StoredCredential>, StoreError>>;

    /// Writes `value` under `key`, stamped with the current time, with no expiry.
    fn save<'a>(&'a self, key: &'a str, value: &'a str) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Deletes `key` (an authorizer that revoked its authorization).
    fn remove<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>>;

    /// The keys starting with `prefix`, sorted (to list authorizers).
    fn keys<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, Result<Vec<String>, StoreError>>;
}

/// The default [`CredentialStore`]: a map in this process's memory. Everything is lost when the
/// process exits, so production deployments of the Open Platform want a durable store
/// (`RedisCredentialStore` with the `redis` feature, or an implementation over their database).
#[derive(Default)]
pub struct MemoryCredentialStore {
    entries: Mutex<BTreeMap<String, StoredCredential>>,
}

impl MemoryCredentialStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, StoredCredential>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl fmt::Debug for MemoryCredentialStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryCredentialStore")
            .field("entries", &self.entries().len())
            .finish()
    }
}

impl CredentialStore for MemoryCredentialStore {
    fn load<'a>(
        &'a self,
        key: &'a str,
    ) -> BoxFuture<'a, Result<Option<StoredCredential>, StoreError>> {
        let found = self.entries().get(key).cloned();
        Box::pin(std::future::ready(Ok(found)))
    }

    fn save<'a>(&'a self, key: &'a str, value: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        self.entries().insert(
            key.to_owned(),
            StoredCredential::new(value, SystemTime::now()),
        );
        Box::pin(std::future::ready(Ok(())))
    }

    fn remove<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        self.entries().remove(key);
        Box::pin(std::future::ready(Ok(())))
    }

    fn keys<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, Result<Vec<String>, StoreError>> {
        let keys = self
            .entries()
            .range(prefix.to_owned()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, _)| k.clone())
            .collect();
        Box::pin(std::future::ready(Ok(keys)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_store_keeps_lists_and_removes() {
        let store = MemoryCredentialStore::new();
        store.save("t:a:1", "one").await.unwrap();
        store.save("t:a:2", "two").await.unwrap();
        store.save("t:b:1", "other").await.unwrap();
        assert_eq!(store.load("t:a:2").await.unwrap().unwrap().value(), "two");
        assert_eq!(store.keys("t:a:").await.unwrap(), ["t:a:1", "t:a:2"]);
        store.remove("t:a:1").await.unwrap();
        assert_eq!(store.keys("t:a:").await.unwrap(), ["t:a:2"]);
        assert!(store.load("t:a:1").await.unwrap().is_none());
        let debug = format!("{:?}", store.load("t:b:1").await.unwrap().unwrap());
        assert!(!debug.contains("other"), "{debug}");
    }
}
