//! Redis stores for pushes: retries recognised across instances, conversation context shared.

use std::time::Duration;

use ::redis::{AsyncCommands, Script};

use super::{Redis, millis_at_least_one};
use crate::error::StoreError;
use crate::push::{Claim, ContextStore, DedupStore};
use crate::store::BoxFuture;

/// Returns the value of KEYS[1]; if there is none, sets it to `p` (in progress) for ARGV[1] ms.
const CLAIM: &str = r"
local v = redis.call('GET', KEYS[1])
if v then return v end
redis.call('SET', KEYS[1], 'p', 'PX', ARGV[1])
return false";

/// A [`DedupStore`] in Redis, so a push retried to another instance still runs the handler
/// once. A key holds `p` while the handler runs and `d<reply>` after; claiming is one atomic
/// script (`GET`, else `SET … PX`).
///
/// When Redis is unreachable, claims fail and the push service handles the push anyway (at
/// least once rather than never), logging a warning.
#[derive(Debug, Clone)]
pub struct RedisDedupStore {
    redis: Redis,
    claim: Script,
}

impl RedisDedupStore {
    /// A store on `redis`.
    pub fn new(redis: Redis) -> Self {
        RedisDedupStore {
            redis,
            claim: Script::new(CLAIM),
        }
    }
}

impl DedupStore for RedisDedupStore {
    fn claim<'a>(
        &'a self,
        key: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Claim, StoreError>> {
        Box::pin(async move {
            let found: Option<String> = self.redis.check(
                "claim",
                self.claim
                    .key(self.redis.key(key))
                    .arg(millis_at_least_one(ttl))
                    .invoke_async(&mut self.redis.connection())
                    .await,
            )?;
            Ok(match found {
                None => Claim::First,
                Some(v) => match v.strip_prefix('d') {
                    Some(reply) => Claim::Done(reply.to_owned()),
                    None => Claim::InProgress,
                },
            })
        })
    }

    fn complete<'a>(
        &'a self,
        key: &'a str,
        reply: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move { self.redis.set_px(key, format!("d{reply}"), ttl).await })
    }

    fn release<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(self.redis.del(key))
    }
}

/// A [`ContextStore`] in Redis: each user's context is one key with an idle expiry, so a
/// dialogue continues whichever instance the next push reaches.
///
/// When Redis is unreachable, the push service runs the handler without stored context and
/// logs a warning; the conversation resumes when Redis is back.
#[derive(Debug, Clone)]
pub struct RedisContextStore {
    redis: Redis,
}

impl RedisContextStore {
    /// A store on `redis`.
    pub fn new(redis: Redis) -> Self {
        RedisContextStore { redis }
    }
}

impl ContextStore for RedisContextStore {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>, StoreError>> {
        Box::pin(async move {
            self.redis.check(
                "GET",
                self.redis.connection().get(self.redis.key(key)).await,
            )
        })
    }

    fn put<'a>(
        &'a self,
        key: &'a str,
        value: Vec<u8>,
        idle: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(self.redis.set_px(key, value, idle))
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(self.redis.del(key))
    }
}
