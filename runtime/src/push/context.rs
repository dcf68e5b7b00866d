//! Per-user conversation context: the recent exchange with one user and a piece of state the
//! handler keeps for them (a step in a dialogue, a pending choice…).
//!
//! A record per (account, user) is kept in a [`ContextStore`] as JSON and forgotten after a
//! period of inactivity. Before the handler runs, the service appends the incoming push to the
//! record; after it, the reply. The handler reads the history from [`Context::history`] and
//! keeps its state with [`Context::state`] / [`Context::set_state`].

use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::expiring::ExpiringMap;
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
/// The shape maps onto Redis directly: `GET`, `SET key value EX idle`, `DEL`.
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
}

/// The default [`ContextStore`]: a map in this process's memory, bounded in size; records
/// expire after their idle time and the least recently written are evicted first.
pub struct MemoryContextStore {
    records: ExpiringMap<Arc<[u8]>>,
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
        let found = self.records.get(key).map(|bytes| bytes.to_vec());
        Box::pin(std::future::ready(Ok(found)))
    }

    fn put<'a>(
        &'a self,
        key: &'a str,
        value: Vec<u8>,
        idle: Duration,
    ) -> BoxFuture<'a, Result<(), StoreError>> {
        self.records.insert(key, Arc::from(value), idle);
        Box::pin(std::future::ready(Ok(())))
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        self.records.remove(key);
        Box::pin(std::future::ready(Ok(())))
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
    history: Vec<ContextEntry>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("key", &self.key)
            .field("history", &self.history.len())
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
            history,
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
        let entry = ContextEntry::incoming(meta, node);
        if meta.from_user_name.is_empty() {
            return Context::detached(vec![entry]);
        }
        let account = if meta.to_user_name.is_empty() {
            meta.app_id.as_deref().unwrap_or_default()
        } else {
            &meta.to_user_name
        };
        let mut context = Context {
            store: Some(Arc::clone(store)),
            key: format!("weixin:push_context:{account}:{}", meta.from_user_name),
            limits,
            history: Vec::new(),
        };
        let updated = context
            .update(|record| record.push(entry.clone(), limits.max_entries))
            .await;
        context.history = match updated {
            Ok(record) => record.entries,
            Err(e) => {
                tracing::warn!(error = %e, "push context could not be loaded or saved; the handler sees only this push");
                vec![entry]
            }
        };
        context
    }

    /// Appends the reply's entry, re-reading the record so the handler's state writes are kept.
    pub(crate) async fn finish(&self, entry: ContextEntry) {
        if self.store.is_none() {
            return;
        }
        let max_entries = self.limits.max_entries;
        if let Err(e) = self.update(|record| record.push(entry, max_entries)).await {
            tracing::warn!(error = %e, "the reply could not be added to the push context");
        }
    }

    /// The recent exchange with this user, oldest first, as it was when the push arrived: the
    /// current push is the last entry.
    pub fn history(&self) -> &[ContextEntry] {
        &self.history
    }

    /// The state last set for this user, read from the store now; `None` if none is set (or
    /// context is off).
    pub async fn state<T: DeserializeOwned>(&self) -> Result<Option<T>, StoreError> {
        let Some(store) = &self.store else {
            return Ok(None);
        };
        let Some(bytes) = store.get(&self.key).await? else {
            return Ok(None);
        };
        match ContextRecord::from_bytes(&bytes)?.state {
            None => Ok(None),
            Some(value) => serde_json::from_value(value).map(Some).map_err(|e| {
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
        change: impl FnOnce(&mut ContextRecord),
    ) -> Result<ContextRecord, StoreError> {
        let Some(store) = &self.store else {
            return Ok(ContextRecord::default());
        };
        let mut record = match store.get(&self.key).await? {
            Some(bytes) => ContextRecord::from_bytes(&bytes).unwrap_or_else(|e| {
                tracing::warn!(error = %e, "discarding an unreadable push context");
                ContextRecord::default()
            }),
            None => ContextRecord::default(),
        };
        change(&mut record);
        store
            .put(&self.key, record.to_bytes(), self.limits.idle)
            .await?;
        Ok(record)
    }
}
