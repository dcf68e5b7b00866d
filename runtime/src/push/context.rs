//! Per-user conversation context: the recent exchange with one user and a piece of state the
//! handler keeps for them (a step in a dialogue, a pending choice…).
//!
//! A record per (account, user) is kept in a [`ContextStore`] (as JSON in shared stores such as
//! Redis, as a typed [`ContextRecord`] in memory) and forgotten after a period of inactivity. Before the handler runs, the service appends the incoming push to the
//! record; after it, the reply. The handler reads the history from [`Context::history`] and
//! keeps its state with [`Context::state`] / [`Context::set_state`].

use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::expiring::{ExpiringMap, Write};
use super::{Meta, Node};
use crate::error::StoreError;
use crate::store::BoxFuture;

/// The longest text kept in one entry, in UTF-8 bytes; longer texts are cut.
const ENTRY_TEXT_MAX_BYTES: usize = 2048;

/// Which way an entry went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// A push from the user.
    Incoming,
    /// A passive reply to the user.
    Outgoing,
}

/// One message of the exchange with a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContextEntry {
    /// Whether the user sent it or the account replied.
    pub direction: Direction,
    /// `MsgType` (`text`, `event`, `image`…; `InfoType` for Open Platform notices).
    pub msg_type: String,
    /// `Event`, for events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// The text (`Content`) of a text message or reply, or the `EventKey` of an event; cut to
    /// 2048 bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Unix seconds: the push's `CreateTime`, or when the reply was made.
    pub time: i64,
}

impl ContextEntry {
    /// The entry for an incoming push.
    pub fn incoming(meta: &Meta, node: &Node) -> Self {
        let text = if meta.is_event() {
            node.get("EventKey")
        } else {
            node.get("Content")
        };
        ContextEntry {
            direction: Direction::Incoming,
            msg_type: meta
                .info_type
                .clone()
                .filter(|_| meta.msg_type.is_empty())
                .unwrap_or_else(|| meta.msg_type.clone()),
            event: meta.event.clone(),
            text: text.filter(|t| !t.is_empty()).map(cut),
            time: meta.create_time,
        }
    }

    /// The entry for a reply of `msg_type`, with its `Content` if any.
    pub fn outgoing(msg_type: &str, text: Option<&str>, time: i64) -> Self {
        ContextEntry {
            direction: Direction::Outgoing,
            msg_type: msg_type.to_owned(),
            event: None,
            text: text.map(cut),
            time,
        }
    }
}

/// Cuts `text` to at most [`ENTRY_TEXT_MAX_BYTES`] at a character boundary.
fn cut(text: &str) -> String {
    let mut end = text.len().min(ENTRY_TEXT_MAX_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

/// What is stored per user: the recent entries, oldest first, and the handler's state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ContextRecord {
    /// Recent entries, oldest first.
    #[serde(default)]
    pub entries: Vec<ContextEntry>,
    /// The state the handler set, as JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<serde_json::Value>,
}

impl ContextRecord {
    /// Reads a stored record.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, StoreError> {
        serde_json::from_slice(bytes)
            .map_err(|e| StoreError::with_source("a stored push context is not valid JSON", e))
    }

    /// The bytes to store.
    pub fn to_bytes(&self) -> Vec<u8> {
        // A record holds only strings, integers and JSON values: serializing cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Appends `entry`, dropping the oldest entries beyond `max_entries`.
    pub fn push(&mut self, entry: ContextEntry, max_entries: usize) {
        self.entries.push(entry);
        if self.entries.len() > max_entries {
            let excess = self.entries.len() - max_entries;
            self.entries.drain(..excess);
        }
    }
}

/// Where context records are kept: serialized [`ContextRecord`]s under keys like
/// `weixin:push_context:<account>:<user>`, forgotten after `idle` without a write.
///
/// The shape maps onto Redis directly: `GET`, `SET key value EX idle`, `DEL`. The service goes
/// through [`update`](Self::update) and [`load`](Self::load), whose provided implementations use
/// `get` and `put` with JSON; a store that holds records in memory overrides them to skip the
/// serialization.
pub trait ContextStore: Send + Sync + 'static {
    /// The record under `key`, if one is kept.
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>, StoreError>>;

    /// Stores `value` under `key`, to be forgotten after `idle` unless written again.
    fn put<'a>(
        &'a self,
        key: &'a str,
        value: Vec<u8>,
        idle: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Forgets `key`.
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Reads the record under `key` (none, or an unreadable one, counts as empty, the latter
    /// with a warning), lets `change` edit it (it is called once) and stores it for `idle`.
    /// Returns the record as stored.
    fn update<'a>(
        &'a self,
        key: &'a str,
        idle: Duration,
        change: &'a mut (dyn FnMut(&mut ContextRecord) + Send),
    ) -> BoxFuture<'a, Result<Arc<ContextRecord>, StoreError>> {
        Box::pin(async move {
            let mut record = match self.get(key).await? {
                Some(bytes) => readable_or_empty(&bytes),
                None => ContextRecord::default(),
            };
            change(&mut record);
            self.put(key, record.to_bytes(), idle).await?;
            Ok(Arc::new(record))
        })
    }

    /// The record under `key`, if one is kept; an unreadable one is an error.
    fn load<'a>(
        &'a self,
        key: &'a str,
    ) -> BoxFuture<'a, Result<Option<Arc<ContextRecord>>, StoreError>> {
        Box::pin(async move {
            match self.get(key).await? {
                Some(bytes) => ContextRecord::from_bytes(&bytes).map(|r| Some(Arc::new(r))),
                None => Ok(None),
            }
        })
    }
}

/// Reads a stored record; an unreadable one is discarded (with a warning) for an empty one.
fn readable_or_empty(bytes: &[u8]) -> ContextRecord {
    ContextRecord::from_bytes(bytes).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "discarding an unreadable push context");
        ContextRecord::default()
    })
}

/// What the memory store holds under a key.
#[derive(Clone)]
enum Held {
    /// A record, shared with the contexts that read it (copied on write while they hold it).
    Record(Arc<ContextRecord>),
    /// Bytes written with [`ContextStore::put`] that are not a record, kept as they were.
    Bytes(Arc<[u8]>),
}

/// The default [`ContextStore`]: a map in this process's memory, bounded in size; records
/// expire after their idle time and the least recently written are evicted first.
///
/// Records are kept typed, not serialized: an update changes the record in place and hands the
/// handler a shared snapshot.
pub struct MemoryContextStore {
    records: ExpiringMap<Held>,
}

impl MemoryContextStore {
    /// The default bound on the number of users kept.
    pub const DEFAULT_CAPACITY: usize = 10_000;

    /// An empty store keeping at most [`DEFAULT_CAPACITY`](Self::DEFAULT_CAPACITY) users.
    pub fn new() -> Self {
        Self::with_capacity(Self::DEFAULT_CAPACITY)
    }

    /// An empty store keeping at most `capacity` users (at least one).
    pub fn with_capacity(capacity: usize) -> Self {
        MemoryContextStore {
            records: ExpiringMap::new(capacity),
        }
    }

    /// How many records are held (expired ones not yet swept included).
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether no record is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Default for MemoryContextStore {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for MemoryContextStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryContextStore")
            .field("records", &self.len())
            .finish()
    }
}

impl ContextStore for MemoryContextStore {
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>, StoreError>> {
        let found = self.records.read(key, |held| {
            held.map(|held| match held {
                Held::Record(record) => record.to_bytes(),
                Held::Bytes(bytes) => bytes.to_vec(),
            })
        });
        Box::pin(std::future::ready(Ok(found)))
    }

    fn put<'a>(
        &'a self,
        key: &'a str,
        value: Vec<u8>,
        idle: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        let held = match ContextRecord::from_bytes(&value) {
            Ok(record) => Held::Record(Arc::new(record)),
            Err(_) => Held::Bytes(Arc::from(value)),
        };
        self.records.insert(key, held, idle);
        Box::pin(std::future::ready(Ok(())))
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        self.records.remove(key);
        Box::pin(std::future::ready(Ok(())))
    }

    fn update<'a>(
        &'a self,
        key: &'a str,
        idle: Duration,
        change: &'a mut (dyn FnMut(&mut ContextRecord) + Send),
    ) -> BoxFuture<'a, Result<Arc<ContextRecord>, StoreError>> {
        let stored = self.records.modify(key, idle, |held| match held {
            Some(Held::Record(record)) => {
                change(Arc::make_mut(record));
                Write::Touched(Arc::clone(record))
            }
            other => {
                let mut record = match other {
                    Some(Held::Bytes(bytes)) => readable_or_empty(bytes),
                    _ => ContextRecord::default(),
                };
                change(&mut record);
                let record = Arc::new(record);
                Write::Put(Held::Record(Arc::clone(&record)), record)
            }
        });
        Box::pin(std::future::ready(Ok(stored)))
    }

    fn load<'a>(
        &'a self,
        key: &'a str,
    ) -> BoxFuture<'a, Result<Option<Arc<ContextRecord>>, StoreError>> {
        let found = self.records.read(key, |held| match held {
            Some(Held::Record(record)) => Ok(Some(Arc::clone(record))),
            Some(Held::Bytes(bytes)) => ContextRecord::from_bytes(bytes).map(|r| Some(Arc::new(r))),
            None => Ok(None),
        });
        Box::pin(std::future::ready(found))
    }
}

/// A [`ContextStore`] that keeps nothing: turns conversation context off. Histories hold only
/// the current push, and state is never kept ([`Context::state`] is always `None`).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoContext;

impl ContextStore for NoContext {
    fn get<'a>(&'a self, _key: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>, StoreError>> {
        Box::pin(std::future::ready(Ok(None)))
    }

    fn put<'a>(
        &'a self,
        _key: &'a str,
        _value: Vec<u8>,
        _idle: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(std::future::ready(Ok(())))
    }

    fn delete<'a>(&'a self, _key: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(std::future::ready(Ok(())))
    }

    fn update<'a>(
        &'a self,
        _key: &'a str,
        _idle: Duration,
        change: &'a mut (dyn FnMut(&mut ContextRecord) + Send),
    ) -> BoxFuture<'a, Result<Arc<ContextRecord>, StoreError>> {
        let mut record = ContextRecord::default();
        change(&mut record);
        Box::pin(std::future::ready(Ok(Arc::new(record))))
    }

    fn load<'a>(
        &'a self,
        _key: &'a str,
    ) -> BoxFuture<'a, Result<Option<Arc<ContextRecord>>, StoreError>> {
        Box::pin(std::future::ready(Ok(None)))
    }
}

/// How much context to keep.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ContextLimits {
    /// Entries kept per user.
    pub(crate) max_entries: usize,
    /// Forget a user after this long without a push.
    pub(crate) idle: Duration,
}

/// The context of the user who sent a push, handed to the handler in
/// [`Push::context`](super::Push::context).
#[derive(Clone)]
pub struct Context {
    store: Option<Arc<dyn ContextStore>>,
    key: String,
    limits: ContextLimits,
    /// The record as it was when the push arrived (shared with the memory store until either
    /// changes).
    snapshot: Arc<ContextRecord>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("key", &self.key)
            .field("history", &self.snapshot.entries.len())
            .finish_non_exhaustive()
    }
}

impl Context {
    /// A context that stores nothing and holds `history` (pushes without a sender, such as Open
    /// Platform notices).
    pub(crate) fn detached(history: Vec<ContextEntry>) -> Self {
        Context {
            store: None,
            key: String::new(),
            limits: ContextLimits {
                max_entries: 0,
                idle: Duration::ZERO,
            },
            snapshot: Arc::new(ContextRecord {
                entries: history,
                state: None,
            }),
        }
    }

    /// Loads the record of `meta`'s sender, appends the incoming entry and saves it. A store
    /// failure is logged and leaves a context holding only the current push.
    pub(crate) async fn begin(
        store: &Arc<dyn ContextStore>,
        limits: ContextLimits,
        meta: &Meta,
        node: &Node,
    ) -> Context {
        if meta.from_user_name.is_empty() {
            return Context::detached(vec![ContextEntry::incoming(meta, node)]);
        }
        let account = if meta.to_user_name.is_empty() {
            meta.app_id.as_deref().unwrap_or_default()
        } else {
            &meta.to_user_name
        };
        let key = ["weixin:push_context:", account, ":", &meta.from_user_name].concat();
        let entry = ContextEntry::incoming(meta, node);
        let updated = update_in(store.as_ref(), &key, limits.idle, |record| {
            record.push(entry, limits.max_entries)
        })
        .await;
        let snapshot = updated.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "push context could not be loaded or saved; the handler sees only this push");
            Arc::new(ContextRecord {
                entries: vec![ContextEntry::incoming(meta, node)],
                state: None,
            })
        });
        Context {
            store: Some(Arc::clone(store)),
            key,
            limits,
            snapshot,
        }
    }

    /// Appends the reply's entry, re-reading the record so the handler's state writes are kept.
    /// Consumes the context so its snapshot is released first: the memory store then extends
    /// the record in place instead of copying it.
    pub(crate) async fn finish(self, entry: ContextEntry) {
        let Context {
            store,
            key,
            limits,
            snapshot,
        } = self;
        let Some(store) = store else {
            return;
        };
        drop(snapshot);
        let updated = update_in(store.as_ref(), &key, limits.idle, |record| {
            record.push(entry, limits.max_entries)
        })
        .await;
        if let Err(e) = updated {
            tracing::warn!(error = %e, "the reply could not be added to the push context");
        }
    }

    /// The recent exchange with this user, oldest first, as it was when the push arrived: the
    /// current push is the last entry.
    pub fn history(&self) -> &[ContextEntry] {
        &self.snapshot.entries
    }

    /// The state last set for this user, read from the store now; `None` if none is set (or
    /// context is off).
    pub async fn state<T: DeserializeOwned>(&self) -> Result<Option<T>, StoreError> {
        let Some(store) = &self.store else {
            return Ok(None);
        };
        let Some(record) = store.load(&self.key).await? else {
            return Ok(None);
        };
        match &record.state {
            None => Ok(None),
            Some(value) => T::deserialize(value).map(Some).map_err(|e| {
                StoreError::with_source(
                    "the push context state does not have the requested type",
                    e,
                )
            }),
        }
    }

    /// Sets the state for this user (kept until the context goes idle). Concurrent pushes from
    /// one user race: the last write wins.
    pub async fn set_state<T: Serialize>(&self, state: &T) -> Result<(), StoreError> {
        let value = serde_json::to_value(state)
            .map_err(|e| StoreError::with_source("the push context state does not serialize", e))?;
        self.update(|record| record.state = Some(value))
            .await
            .map(drop)
    }

    /// Clears the state for this user; the history is kept.
    pub async fn clear_state(&self) -> Result<(), StoreError> {
        self.update(|record| record.state = None).await.map(drop)
    }

    /// Reads the record, changes it and writes it back; returns what was written.
    async fn update(
        &self,
        change: impl FnOnce(&mut ContextRecord) + Send,
    ) -> Result<Arc<ContextRecord>, StoreError> {
        match &self.store {
            Some(store) => update_in(store.as_ref(), &self.key, self.limits.idle, change).await,
            None => Ok(Arc::default()),
        }
    }
}

/// [`ContextStore::update`] with a one-shot `change`.
async fn update_in(
    store: &dyn ContextStore,
    key: &str,
    idle: Duration,
    change: impl FnOnce(&mut ContextRecord) + Send,
) -> Result<Arc<ContextRecord>, StoreError> {
    let mut change = Some(change);
    store
        .update(key, idle, &mut |record| {
            if let Some(change) = change.take() {
                change(record);
            }
        })
        .await
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use super::*;

    fn entry(text: &str, time: i64) -> ContextEntry {
        ContextEntry::outgoing("text", Some(text), time)
    }

    async fn append(
        store: &dyn ContextStore,
        key: &str,
        text: &str,
        max: usize,
    ) -> Arc<ContextRecord> {
        update_in(store, key, Duration::from_secs(60), |record| {
            record.push(entry(text, 1), max)
        })
        .await
        .expect("update")
    }

    /// A store holding bytes only, so the provided (JSON) `update` and `load` are used.
    #[derive(Default)]
    struct BytesOnly(Mutex<HashMap<String, Vec<u8>>>);

    impl ContextStore for BytesOnly {
        fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>, StoreError>> {
            let found = self.0.lock().unwrap().get(key).cloned();
            Box::pin(std::future::ready(Ok(found)))
        }

        fn put<'a>(
            &'a self,
            key: &'a str,
            value: Vec<u8>,
            _idle: Duration,
        ) -> BoxFuture<'a, Result<(), StoreError>> {
            self.0.lock().unwrap().insert(key.to_owned(), value);
            Box::pin(std::future::ready(Ok(())))
        }

        fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
            self.0.lock().unwrap().remove(key);
            Box::pin(std::future::ready(Ok(())))
        }
    }

    #[tokio::test(start_paused = true)]
    async fn memory_and_bytes_stores_agree() {
        let memory = MemoryContextStore::new();
        let bytes = BytesOnly::default();
        for store in [&memory as &dyn ContextStore, &bytes] {
            for (i, text) in ["a", "b", "c"].into_iter().enumerate() {
                let record = append(store, "k", text, 2).await;
                assert_eq!(record.entries.len(), (i + 1).min(2));
            }
            let record = store.load("k").await.unwrap().unwrap();
            let texts: Vec<_> = record.entries.iter().map(|e| e.text.as_deref()).collect();
            assert_eq!(texts, [Some("b"), Some("c")]);
            // The wire form is the same JSON either way.
            let json = store.get("k").await.unwrap().unwrap();
            assert_eq!(ContextRecord::from_bytes(&json).unwrap(), *record);
            assert!(store.load("other").await.unwrap().is_none());
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_snapshot_does_not_see_later_writes() {
        let store = MemoryContextStore::new();
        let first = append(&store, "k", "a", 20).await;
        let second = append(&store, "k", "b", 20).await;
        assert_eq!(first.entries.len(), 1, "copied on write while shared");
        assert_eq!(second.entries.len(), 2);
        drop(first);
        let third = append(&store, "k", "c", 20).await;
        assert_eq!(third.entries.len(), 3);
        assert_eq!(second.entries.len(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn bytes_that_are_not_a_record_are_kept_but_not_read() {
        let store = MemoryContextStore::new();
        let idle = Duration::from_secs(60);
        store.put("k", b"not json".to_vec(), idle).await.unwrap();
        assert_eq!(
            store.get("k").await.unwrap().as_deref(),
            Some(&b"not json"[..])
        );
        assert!(store.load("k").await.is_err());
        let record = append(&store, "k", "a", 20).await;
        assert_eq!(
            record.entries.len(),
            1,
            "the unreadable record was discarded"
        );
        let json = serde_json::to_vec(&*record).unwrap();
        store.put("j", json, idle).await.unwrap();
        assert_eq!(store.load("j").await.unwrap().unwrap(), record);
        store.delete("j").await.unwrap();
        assert!(store.get("j").await.unwrap().is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn users_are_bounded_and_forgotten_when_idle() {
        let store = MemoryContextStore::with_capacity(2);
        for key in ["a", "b", "c"] {
            append(&store, key, "x", 20).await;
        }
        assert_eq!(store.len(), 2);
        assert!(
            store.load("a").await.unwrap().is_none(),
            "least recently written"
        );
        tokio::time::advance(Duration::from_secs(61)).await;
        assert!(store.load("b").await.unwrap().is_none());
        let fresh = append(&store, "c", "y", 20).await;
        assert_eq!(fresh.entries.len(), 1, "an expired record starts over");
    }

    #[tokio::test]
    async fn no_context_returns_the_change_and_keeps_nothing() {
        let record = append(&NoContext, "k", "a", 20).await;
        assert_eq!(record.entries.len(), 1);
        assert!(NoContext.load("k").await.unwrap().is_none());
        assert_eq!(append(&NoContext, "k", "b", 20).await.entries.len(), 1);
    }
}
