//! The Redis token store: shared tokens, a cross-process refresh lock, a local fallback.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ::redis::{AsyncCommands, Script};

use super::{Redis, millis_at_least_one};
use crate::error::StoreError;
use crate::store::{BoxFuture, DEFAULT_LOCK_TTL, MemoryTokenStore, StoredToken, TokenStore};

/// Deletes KEYS[1] if its value is exactly ARGV[1] (a lock owner).
const DELETE_IF_EQUAL: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0";

/// Deletes KEYS[1] if the token part of its value (after two numbers) is ARGV[1].
const DELETE_IF_TOKEN: &str = r"
local v = redis.call('GET', KEYS[1])
if v then
  local _, _, token = string.find(v, '^%d+ %d+ (.*)$')
  if token == ARGV[1] then
    return redis.call('DEL', KEYS[1])
  end
end
return 0";

/// A [`TokenStore`] in Redis: every process of every host sees the same token, and one
/// refresh runs at a time across all of them (`SET NX PX` lock with an owner, released by
/// compare-and-delete; a dead holder's lock expires after [`lock_ttl`](Self::lock_ttl)).
///
/// Values are `"<issued_ms> <expires_ms> <token>"` with a Redis expiry, so other tools can read them.
///
/// When Redis is unreachable the store serves from a copy in this process's memory (see the
/// [module docs](super)); [`fail_fast`](Self::fail_fast) makes every Redis failure an error
/// instead.
pub struct RedisTokenStore {
    redis: Redis,
    lock_ttl: Duration,
    local: Option<MemoryTokenStore>,
    delete_if_equal: Script,
    delete_if_token: Script,
}

impl fmt::Debug for RedisTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisTokenStore")
            .field("redis", &self.redis)
            .field("lock_ttl", &self.lock_ttl)
            .field("local_fallback", &self.local.is_some())
            .finish()
    }
}

impl RedisTokenStore {
    /// A store on `redis`, with the local fallback and a 30 s lock TTL.
    pub fn new(redis: Redis) -> Self {
        RedisTokenStore {
            redis,
            lock_ttl: DEFAULT_LOCK_TTL,
            local: Some(MemoryTokenStore::new()),
            delete_if_equal: Script::new(DELETE_IF_EQUAL),
            delete_if_token: Script::new(DELETE_IF_TOKEN),
        }
    }

    /// How long a refresh lock lives: how long others wait if its holder dies mid-refresh.
    /// Keep it above the token endpoint's worst response time.
    pub fn lock_ttl(mut self, ttl: Duration) -> Self {
        self.lock_ttl = ttl;
        self
    }

    /// Makes every Redis failure an error instead of falling back to this process's memory.
    pub fn fail_fast(mut self) -> Self {
        self.local = None;
        self
    }

    /// After a Redis failure (already logged): the local fallback, or the error when failing fast.
    fn fallback(&self, error: StoreError) -> Result<&MemoryTokenStore, StoreError> {
        self.local.as_ref().ok_or(error)
    }
}

fn millis(t: SystemTime) -> u128 {
    t.duration_since(UNIX_EPOCH).unwrap_or_default().as_millis()
}

fn encode(token: &StoredToken) -> String {
    format!(
        "{} {} {}",
        millis(token.issued_at()),
        millis(token.expires_at()),
        token.value()
    )
}

fn decode(raw: &str) -> Option<StoredToken> {
    let mut parts = raw.splitn(3, ' ');
    let issued: u64 = parts.next()?.parse().ok()?;
    let expires: u64 = parts.next()?.parse().ok()?;
    let value = parts.next()?;
    let at = |ms: u64| UNIX_EPOCH + Duration::from_millis(ms);
    Some(StoredToken::with_issued_at(value, at(issued), at(expires)))
}

impl TokenStore for RedisTokenStore {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<StoredToken>, StoreError>> {
        Box::pin(async move {
            let full = self.redis.key(key);
            let result = self
                .redis
                .connection()
                .get::<_, Option<String>>(&full)
                .await;
            match self.redis.check("GET", result) {
                Ok(raw) => Ok(raw.and_then(|raw| {
                    let token = decode(&raw);
                    if token.is_none() {
                        tracing::warn!(key = %full, "ignoring a malformed token value in Redis");
                    }
                    token
                })),
                Err(e) => self.fallback(e)?.get(key).await,
            }
        })
    }

    fn set<'a>(
        &'a self,
        key: &'a str,
        token: StoredToken,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            if let Some(memory) = &self.local {
                memory.set(key, token.clone(), ttl).await?;
            }
            match self.redis.set_px(key, encode(&token), ttl).await {
                Ok(()) => Ok(()),
                Err(e) => self.fallback(e).map(drop),
            }
        })
    }

    fn compare_and_delete<'a>(
        &'a self,
        key: &'a str,
        expected: &'a str,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let local = match &self.local {
                Some(memory) => memory.compare_and_delete(key, expected).await?,
                None => false,
            };
            let result = self
                .delete_if_token
                .key(self.redis.key(key))
                .arg(expected)
                .invoke_async::<i64>(&mut self.redis.connection())
                .await;
            match self.redis.check("compare-and-delete", result) {
                Ok(deleted) => Ok(deleted > 0),
                Err(e) => self.fallback(e).map(|_| local),
            }
        })
    }

    fn try_lock<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, StoreError>> {
        Box::pin(async move {
            let result = ::redis::cmd("SET")
                .arg(self.redis.key(key))
                .arg(owner)
                .arg("NX")
                .arg("PX")
                .arg(millis_at_least_one(ttl))
                .query_async::<Option<String>>(&mut self.redis.connection())
                .await;
            match self.redis.check("SET NX", result) {
                Ok(taken) => Ok(taken.is_some()),
                Err(e) => self.fallback(e)?.try_lock(key, owner, ttl).await,
            }
        })
    }

    fn unlock<'a>(&'a self, key: &'a str, owner: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            if let Some(memory) = &self.local {
                memory.unlock(key, owner).await?;
            }
            let result = self
                .delete_if_equal
                .key(self.redis.key(key))
                .arg(owner)
                .invoke_async::<i64>(&mut self.redis.connection())
                .await;
            match self.redis.check("unlock", result) {
                Ok(_) => Ok(()),
                Err(e) => self.fallback(e).map(drop),
            }
        })
    }

    fn lock_ttl(&self) -> Duration {
        self.lock_ttl
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_and_reject_garbage() {
        let issued = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
        let token =
            StoredToken::with_issued_at("a b:c", issued, issued + Duration::from_secs(7200));
        let decoded = decode(&encode(&token)).expect("decodes");
        assert_eq!(decoded, token);
        for bad in ["", "1 2", "x 2 t", "1 y t"] {
            assert!(decode(bad).is_none(), "{bad:?}");
        }
    }
}
