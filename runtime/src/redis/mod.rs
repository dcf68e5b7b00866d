//! Redis-backed stores for running on several processes or hosts (feature `redis`).
//!
//! One [`Redis`] handle (a self-reconnecting connection plus a key prefix) hands out the
//! stores: [`RedisTokenStore`] for access tokens and tickets with a cross-process refresh lock,
//! and the push and credential stores.
//!
//! # When Redis is unreachable
//!
//! Each store documents its choice; they follow one rule: keep serving WeChat traffic when
//! that is safe, and fail loudly when continuing could lose data.
//!
//! - Tokens keep working from a copy in this process's memory; each process refreshes on its
//!   own (one refresh at a time within the process) and a warning is logged once per outage.
//!   With the default `stable_token` source this is safe: a normal `stable_token` call returns
//!   the token already issued instead of revoking it. [`RedisTokenStore::fail_fast`] turns this
//!   off, for the classic `/cgi-bin/token` source, where every fetch invalidates the others'
//!   tokens after five minutes.
//! - Push dedup ([`RedisDedupStore`]) and context ([`RedisContextStore`]) report the error; the
//!   push service then handles the push anyway (at least once rather than never) and without
//!   stored context, with a warning.
//! - Durable credentials ([`RedisCredentialStore`]) fail: a lost ticket or refresh token breaks
//!   every authorizer, so a write must never be silently dropped.

mod credentials;
mod push;
mod token;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ::redis::AsyncCommands;
use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::error::StoreError;

pub use credentials::RedisCredentialStore;
pub use push::{RedisContextStore, RedisDedupStore};
pub use token::RedisTokenStore;

/// How long connecting to Redis may take before a call gives up.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
/// How long one Redis command may take before a call gives up.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(1);

/// A connection to Redis shared by the Redis-backed stores, with a key prefix.
///
/// Cheap to clone. Connecting is lazy and self-healing: a broken connection is re-established
/// on the next command, so a restarted Redis is picked up without a restart of the process.
#[derive(Clone)]
pub struct Redis {
    conn: ConnectionManager,
    prefix: Arc<str>,
    /// Whether an outage is in progress (to log its start and end once).
    down: Arc<AtomicBool>,
}

impl fmt::Debug for Redis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redis")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl Redis {
    /// A handle for the Redis at `url` (`redis://[:password@]host:port[/db]`). No I/O happens
    /// until the first command. Call it inside a Tokio runtime (it panics outside one, as
    /// `tokio::spawn` does).
    pub fn open(url: &str) -> Result<Redis, StoreError> {
        let client = ::redis::Client::open(url)
            .map_err(|e| StoreError::with_source("invalid Redis URL", e))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(20))
            .set_max_delay(Duration::from_millis(200));
        let conn = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| StoreError::with_source("cannot set up the Redis connection", e))?;
        Ok(Redis {
            conn,
            prefix: Arc::from(""),
            down: Arc::new(AtomicBool::new(false)),
        })
    }

    /// Puts every key under `prefix` (e.g. `"prod:"`), so several deployments or
    /// applications can share one Redis database. Empty by default; the stores' own keys
    /// already start with `weixin:`.
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Redis {
        self.prefix = Arc::from(prefix.into());
        self
    }

    /// The key prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// A token store on this connection.
    pub fn token_store(&self) -> RedisTokenStore {
        RedisTokenStore::new(self.clone())
    }

    /// A push dedup store on this connection.
    pub fn dedup_store(&self) -> RedisDedupStore {
        RedisDedupStore::new(self.clone())
    }

    /// A push conversation-context store on this connection.
    pub fn context_store(&self) -> RedisContextStore {
        RedisContextStore::new(self.clone())
    }

    /// A durable credential store on this connection (Open Platform tickets and refresh tokens).
    pub fn credential_store(&self) -> RedisCredentialStore {
        RedisCredentialStore::new(self.clone())
    }

    /// Sends `PING`; `Ok` when Redis answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        ::redis::cmd("PING")
            .query_async::<String>(&mut conn)
            .await
            .map(drop)
            .map_err(|e| self.failed("PING", e))
    }

    pub(crate) fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    pub(crate) fn connection(&self) -> ConnectionManager {
        self.conn.clone()
    }

    /// Turns a Redis error into a [`StoreError`], logging the start of an outage once.
    pub(crate) fn failed(&self, what: &str, error: ::redis::RedisError) -> StoreError {
        if !self.down.swap(true, Ordering::Relaxed) {
            tracing::warn!(error = %error, "Redis is unreachable ({what}); see the stores' documented fallbacks");
        }
        StoreError::with_source(format!("Redis {what} failed"), error)
    }

    /// A command's result, with outages logged.
    pub(crate) fn check<T>(
        &self,
        what: &str,
        result: ::redis::RedisResult<T>,
    ) -> Result<T, StoreError> {
        match result {
            Ok(value) => {
                self.succeeded();
                Ok(value)
            }
            Err(e) => Err(self.failed(what, e)),
        }
    }

    /// `DEL key` (under the prefix).
    pub(crate) async fn del(&self, key: &str) -> Result<(), StoreError> {
        let result = self.connection().del::<_, ()>(self.key(key)).await;
        self.check("DEL", result)
    }

    /// `SET key value PX ttl` (under the prefix).
    pub(crate) async fn set_px<V>(
        &self,
        key: &str,
        value: V,
        ttl: Duration,
    ) -> Result<(), StoreError>
    where
        V: ::redis::ToRedisArgs + ::redis::ToSingleRedisArg + Send + Sync,
    {
        let result = self
            .connection()
            .pset_ex::<_, _, ()>(self.key(key), value, millis_at_least_one(ttl))
            .await;
        self.check("SET", result)
    }

    /// Records a successful command, logging the end of an outage once.
    pub(crate) fn succeeded(&self) {
        if self.down.swap(false, Ordering::Relaxed) {
            tracing::info!("Redis is reachable again");
        }
    }
}

/// A TTL in whole milliseconds for `PX`, which refuses 0.
pub(crate) fn millis_at_least_one(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
}
