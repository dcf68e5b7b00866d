//! Recognising WeChat's retries of a push, so the handler runs once per push.
//!
//! WeChat waits 5 s for an answer and sends the same push again, three times in all. The service
//! claims a key for each push in a [`DedupStore`] before the handler runs and records the reply
//! after; a retry then gets the recorded reply instead of a second run of the handler.
//!
//! Keys: `msg:<ToUserName>:<MsgId>` for pushes with a `MsgId` (`MsgID`); otherwise
//! `evt:<ToUserName>:<FromUserName>:<CreateTime>:<digest>`, the digest being the SHA-1 of every
//! leaf field of the push in a canonical order. `AppId` stands in for an empty `ToUserName` on
//! Open Platform pushes.

use std::time::Duration;

use sha1::{Digest, Sha1};

use super::expiring::{ExpiringMap, Write};
use super::{Meta, Node};
use crate::error::StoreError;
use crate::store::BoxFuture;

/// What [`DedupStore::claim`] found under a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Nobody had claimed the key: the caller now holds it and runs the handler.
    First,
    /// Another request holds the key and its handler is still running.
    InProgress,
    /// The push was handled; this is the plaintext reply body that was sent (`success` when
    /// there was nothing to say).
    Done(String),
}

/// Where claims and replies of recent pushes are kept. Implement it over a shared store (Redis)
/// when several processes serve one push URL.
///
/// `claim` must be atomic: of concurrent claims of one key, exactly one gets [`Claim::First`]
/// (Redis: `SET key "" NX EX ttl`, then `GET` when that fails).
pub trait DedupStore: Send + Sync + 'static {
    /// Claims `key` for `ttl` if it is free; otherwise reports what holds it.
    fn claim<'a>(&'a self, key: &'a str, ttl: Duration)
    -> BoxFuture<'a, Result<Claim, StoreError>>;

    /// Records the reply sent for `key`, kept for `ttl`.
    fn complete<'a>(
        &'a self,
        key: &'a str,
        reply: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Frees `key` (the handler failed), so a retry runs the handler again.
    fn release<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>>;
}

/// The default [`DedupStore`]: a map in this process's memory.
///
/// Entries expire after their TTL, counted from the claim (recording the reply keeps it), and
/// are swept as new pushes arrive; at most
/// [`capacity`](Self::with_capacity) entries are held (the oldest are evicted first), so memory
/// stays bounded whatever the traffic.
pub struct MemoryDedupStore {
    /// `None` while the handler runs, then the reply sent.
    entries: ExpiringMap<Option<Box<str>>>,
}

impl MemoryDedupStore {
    /// The default bound on the number of entries.
    pub const DEFAULT_CAPACITY: usize = 100_000;

    /// An empty store holding at most [`DEFAULT_CAPACITY`](Self::DEFAULT_CAPACITY) entries.
    pub fn new() -> Self {
        Self::with_capacity(Self::DEFAULT_CAPACITY)
    }

    /// An empty store holding at most `capacity` entries (at least one).
    pub fn with_capacity(capacity: usize) -> Self {
        MemoryDedupStore {
            entries: ExpiringMap::new(capacity),
        }
    }

    /// How many entries are held (expired ones not yet swept included).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no entry is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Default for MemoryDedupStore {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for MemoryDedupStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryDedupStore")
            .field("entries", &self.len())
            .finish()
    }
}

impl DedupStore for MemoryDedupStore {
    fn claim<'a>(
        &'a self,
        key: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<Claim, StoreError>> {
        let claim = self.entries.modify(key, ttl, |held| match held {
            None => Write::Put(None, Claim::First),
            Some(None) => Write::Keep(Claim::InProgress),
            Some(Some(reply)) => Write::Keep(Claim::Done(reply.to_string())),
        });
        Box::pin(std::future::ready(Ok(claim)))
    }

    fn complete<'a>(
        &'a self,
        key: &'a str,
        reply: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        // The claim's expiry is kept (the reply arrives within the deadline, far inside the
        // TTL), so the entry keeps its one queue slot; a claim that lapsed is written anew.
        self.entries.modify(key, ttl, |held| match held {
            Some(held) => {
                *held = Some(Box::from(reply));
                Write::Keep(())
            }
            None => Write::Put(Some(Box::from(reply)), ()),
        });
        Box::pin(std::future::ready(Ok(())))
    }

    fn release<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        self.entries.remove(key);
        Box::pin(std::future::ready(Ok(())))
    }
}

/// The dedup key of a push (see the [module docs](self)).
pub fn dedup_key(meta: &Meta, node: &Node) -> String {
    let account = if meta.to_user_name.is_empty() {
        meta.app_id.as_deref().unwrap_or_default()
    } else {
        meta.to_user_name.as_str()
    };
    match &meta.msg_id {
        Some(id) => ["msg:", account, ":", id].concat(),
        None => format!(
            "evt:{account}:{}:{}:{}",
            meta.from_user_name,
            meta.create_time,
            leaf_digest(node)
        ),
    }
}

/// SHA-1 (lowercase hex) of every leaf of `node` as `(path, text)` pairs, sorted; each part is
/// length-prefixed so no two different pushes hash the same input.
fn leaf_digest(node: &Node) -> String {
    let mut leaves = Vec::new();
    collect_leaves(node, &mut String::new(), &mut leaves);
    leaves.sort_unstable();
    let mut hasher = Sha1::new();
    for (path, text) in &leaves {
        for part in [path.as_bytes(), text.as_bytes()] {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part);
        }
    }
    hex::encode(hasher.finalize())
}

/// Collects `(path, text)` for every leaf under `node`; repeated names get an index
/// (`PicList/item[1]/PicMd5Sum`) so list order counts.
fn collect_leaves<'a>(node: &'a Node, prefix: &mut String, out: &mut Vec<(String, &'a str)>) {
    let mut seen: Vec<(&str, usize)> = Vec::new();
    for child in node.children() {
        let index = match seen.iter_mut().find(|(name, _)| *name == child.name()) {
            Some((_, count)) => {
                *count += 1;
                *count
            }
            None => {
                seen.push((child.name(), 0));
                0
            }
        };
        let len = prefix.len();
        if !prefix.is_empty() {
            prefix.push('/');
        }
        prefix.push_str(child.name());
        if index > 0 {
            prefix.push_str(&format!("[{index}]"));
        }
        if child.children().is_empty() {
            out.push((prefix.clone(), child.text()));
        } else {
            collect_leaves(child, prefix, out);
        }
        prefix.truncate(len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(xml: &str) -> Node {
        Node::parse_xml(xml.as_bytes()).expect("xml")
    }

    #[tokio::test(start_paused = true)]
    async fn a_reply_is_kept_for_the_ttl_from_the_claim() {
        let store = MemoryDedupStore::new();
        let ttl = Duration::from_secs(10);
        assert_eq!(store.claim("k", ttl).await.unwrap(), Claim::First);
        assert_eq!(store.claim("k", ttl).await.unwrap(), Claim::InProgress);
        tokio::time::advance(Duration::from_secs(6)).await;
        store.complete("k", "<xml/>", ttl).await.unwrap();
        assert_eq!(
            store.claim("k", ttl).await.unwrap(),
            Claim::Done("<xml/>".into())
        );
        tokio::time::advance(Duration::from_secs(5)).await;
        assert_eq!(
            store.claim("k", ttl).await.unwrap(),
            Claim::First,
            "expired 10 s after the claim"
        );

        // A claim that lapsed before the reply: the reply is recorded for a fresh TTL.
        tokio::time::advance(Duration::from_secs(11)).await;
        store.complete("k", "late", ttl).await.unwrap();
        tokio::time::advance(Duration::from_secs(9)).await;
        assert_eq!(
            store.claim("k", ttl).await.unwrap(),
            Claim::Done("late".into())
        );
        assert_eq!(store.len(), 1);
    }

    #[test]
    fn message_keys_use_the_msg_id() {
        let push = node(
            "<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName><CreateTime>5</CreateTime><MsgType>text</MsgType><Content>a</Content><MsgId>42</MsgId></xml>",
        );
        assert_eq!(dedup_key(&Meta::from_node(&push), &push), "msg:gh_1:42");
    }

    #[test]
    fn event_keys_hash_every_leaf_in_canonical_order() {
        let a = node(
            "<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName><CreateTime>5</CreateTime><MsgType>event</MsgType><Event>CLICK</Event><EventKey>k</EventKey></xml>",
        );
        let reordered = node(
            "<xml><EventKey>k</EventKey><FromUserName>o1</FromUserName><ToUserName>gh_1</ToUserName><CreateTime>5</CreateTime><Event>CLICK</Event><MsgType>event</MsgType></xml>",
        );
        let other = node(
            "<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName><CreateTime>5</CreateTime><MsgType>event</MsgType><Event>CLICK</Event><EventKey>j</EventKey></xml>",
        );
        let key = dedup_key(&Meta::from_node(&a), &a);
        assert!(key.starts_with("evt:gh_1:o1:5:"), "{key}");
        assert_eq!(key.len(), "evt:gh_1:o1:5:".len() + 40);
        assert_eq!(key, dedup_key(&Meta::from_node(&reordered), &reordered));
        assert_ne!(key, dedup_key(&Meta::from_node(&other), &other));
    }

    #[test]
    fn list_order_and_nesting_count() {
        let a = node("<xml><L><item>1</item><item>2</item></L></xml>");
        let b = node("<xml><L><item>2</item><item>1</item></L></xml>");
        let flat = node("<xml><L>12</L></xml>");
        assert_ne!(leaf_digest(&a), leaf_digest(&b));
        assert_ne!(leaf_digest(&a), leaf_digest(&flat));
    }

    #[test]
    fn open_platform_pushes_use_the_app_id() {
        let push = node(
            "<xml><AppId>wxc</AppId><CreateTime>9</CreateTime><InfoType>component_verify_ticket</InfoType></xml>",
        );
        assert!(dedup_key(&Meta::from_node(&push), &push).starts_with("evt:wxc::9:"));
    }
}
