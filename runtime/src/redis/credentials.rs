//! The Redis credential store: durable, never expiring, failing loudly.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ::redis::AsyncCommands;

use super::Redis;
use crate::credentials::{CredentialStore, StoredCredential};
use crate::error::StoreError;
use crate::store::BoxFuture;

/// A [`CredentialStore`] in Redis: one hash per credential (`value`, `updated_at` in unix ms),
/// with no expiry.
///
/// A Redis failure is an error, never worked around: a ticket push whose save fails must be
/// answered with an error so WeChat sends it again. Run Redis with persistence (AOF) and a
/// `maxmemory-policy` that never evicts keys without a TTL (`noeviction` or a `volatile-*` one).
#[derive(Debug, Clone)]
pub struct RedisCredentialStore {
    redis: Redis,
}

impl RedisCredentialStore {
    /// A store on `redis`.
    pub fn new(redis: Redis) -> Self {
        RedisCredentialStore { redis }
    }
}

impl CredentialStore for RedisCredentialStore {
    fn load<'a>(
        &'a self,
        key: &'a str,
    ) -> BoxFuture<'a, Result<Option<StoredCredential>, StoreError>> {
        Box::pin(async move {
            let (value, updated): (Option<String>, Option<u64>) = self.redis.check(
                "HMGET",
                ::redis::cmd("HMGET")
                    .arg(self.redis.key(key))
                    .arg("value")
                    .arg("updated_at")
                    .query_async(&mut self.redis.connection())
                    .await,
            )?;
            Ok(value.map(|value| {
                let at = UNIX_EPOCH + Duration::from_millis(updated.unwrap_or(0));
                StoredCredential::new(value, at)
            }))
        })
    }

    fn save<'a>(&'a self, key: &'a str, value: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_millis() as u64;
            let fields = [("value", value.to_owned()), ("updated_at", now.to_string())];
            self.redis.check(
                "HSET",
                self.redis
                    .connection()
                    .hset_multiple::<_, _, _, ()>(self.redis.key(key), &fields)
                    .await,
            )
        })
    }

    fn remove<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(self.redis.del(key))
    }

    fn keys<'a>(&'a self, prefix: &'a str) -> BoxFuture<'a, Result<Vec<String>, StoreError>> {
        Box::pin(async move {
            let pattern = format!("{}*", escape_glob(&self.redis.key(prefix)));
            let mut conn = self.redis.connection();
            let mut cursor: u64 = 0;
            let mut keys = Vec::new();
            loop {
                let (next, batch): (u64, Vec<String>) = self.redis.check(
                    "SCAN",
                    ::redis::cmd("SCAN")
                        .arg(cursor)
                        .arg("MATCH")
                        .arg(&pattern)
                        .arg("COUNT")
                        .arg(500)
                        .query_async(&mut conn)
                        .await,
                )?;
                let strip = self.redis.prefix().len();
                keys.extend(batch.into_iter().map(|k| k[strip..].to_owned()));
                if next == 0 {
                    break;
                }
                cursor = next;
            }
            keys.sort();
            keys.dedup();
            Ok(keys)
        })
    }
}

/// Escapes Redis glob metacharacters so a prefix matches literally.
fn escape_glob(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
