//! A bounded map whose entries expire: the engine of the in-memory dedup and context stores.
//!
//! Every key has one slot in a FIFO queue, in order of last write. Writes sweep expired entries
//! from the front of the queue, so memory never holds much more than one expiry window of
//! entries, and the capacity bound evicts the oldest entries first. Each operation is O(1)
//! amortised.

use std::collections::hash_map::Entry as MapEntry;
use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

/// A value with its expiry and the queue slot that owns it.
struct Slot<V> {
    value: V,
    expires_at: Instant,
    seq: u64,
}

struct State<V> {
    map: HashMap<String, Slot<V>>,
    /// `(key, seq)` in order of last write; a slot whose `seq` no longer matches is stale.
    queue: VecDeque<(String, u64)>,
    next_seq: u64,
}

/// A thread-safe map of `String` keys to values that expire, holding at most `capacity` entries.
pub(crate) struct ExpiringMap<V> {
    state: Mutex<State<V>>,
    capacity: usize,
}

impl<V: Clone> ExpiringMap<V> {
    /// An empty map holding at most `capacity` entries (at least one).
    pub(crate) fn new(capacity: usize) -> Self {
        ExpiringMap {
            state: Mutex::new(State {
                map: HashMap::new(),
                queue: VecDeque::new(),
                next_seq: 0,
            }),
            capacity: capacity.max(1),
        }
    }

    /// The live value under `key`; an expired one is removed.
    pub(crate) fn get(&self, key: &str) -> Option<V> {
        let now = Instant::now();
        let mut state = self.lock();
        match state.map.get(key) {
            Some(slot) if slot.expires_at > now => Some(slot.value.clone()),
            Some(_) => {
                state.map.remove(key);
                None
            }
            None => None,
        }
    }

    /// Stores `value` under `key` for `ttl`, replacing any previous value.
    pub(crate) fn insert(&self, key: &str, value: V, ttl: Duration) {
        let _ = self.upsert(key, ttl, |_| Ok::<_, std::convert::Infallible>(Some(value)));
    }

    /// Calls `decide` with the live value under `key` (if any). `Ok(Some(v))` stores `v` for
    /// `ttl`; `Ok(None)` leaves the map as it is; `Err(e)` is passed back unchanged.
    pub(crate) fn upsert<E>(
        &self,
        key: &str,
        ttl: Duration,
        decide: impl FnOnce(Option<&V>) -> Result<Option<V>, E>,
    ) -> Result<(), E> {
        let now = Instant::now();
        let mut guard = self.lock();
        let state = &mut *guard;
        sweep(state, now);
        let live = state
            .map
            .get(key)
            .filter(|slot| slot.expires_at > now)
            .map(|slot| &slot.value);
        let Some(value) = decide(live)? else {
            return Ok(());
        };
        let expires_at = now.checked_add(ttl).unwrap_or_else(far_future);
        state.next_seq += 1;
        let seq = state.next_seq;
        match state.map.entry(key.to_owned()) {
            MapEntry::Occupied(mut slot) => {
                *slot.get_mut() = Slot {
                    value,
                    expires_at,
                    seq,
                };
            }
            MapEntry::Vacant(slot) => {
                slot.insert(Slot {
                    value,
                    expires_at,
                    seq,
                });
            }
        }
        state.queue.push_back((key.to_owned(), seq));
        while state.map.len() > self.capacity {
            if !pop_front(state, None) {
                break;
            }
        }
        compact(state);
        Ok(())
    }

    /// Removes `key`.
    pub(crate) fn remove(&self, key: &str) {
        self.lock().map.remove(key);
    }

    /// How many entries are held (expired ones not yet swept included).
    pub(crate) fn len(&self) -> usize {
        self.lock().map.len()
    }

    fn lock(&self) -> MutexGuard<'_, State<V>> {
        // Every update leaves the map consistent, so a poisoned lock is still usable.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Removes expired entries from the front of the queue.
fn sweep<V>(state: &mut State<V>, now: Instant) {
    while pop_front(state, Some(now)) {}
}

/// Pops the front queue slot. With `expired_before`, only a stale slot or an expired entry is
/// popped; without, the front entry is evicted whatever its expiry. Returns whether a slot was
/// popped.
fn pop_front<V>(state: &mut State<V>, expired_before: Option<Instant>) -> bool {
    let Some((key, seq)) = state.queue.front() else {
        return false;
    };
    let live = state.map.get(key).filter(|slot| slot.seq == *seq);
    if let (Some(slot), Some(now)) = (live, expired_before) {
        if slot.expires_at > now {
            return false;
        }
    }
    let is_live = live.is_some();
    if let Some((key, _)) = state.queue.pop_front() {
        if is_live {
            state.map.remove(&key);
        }
    }
    true
}

/// Drops stale queue slots once they outnumber the live entries, keeping the queue within
/// twice the map's size.
fn compact<V>(state: &mut State<V>) {
    if state.queue.len() > 2 * state.map.len() + 16 {
        let map = &state.map;
        state
            .queue
            .retain(|(key, seq)| map.get(key).is_some_and(|slot| slot.seq == *seq));
    }
}

/// An instant far enough ahead to stand for "never" when `now + ttl` overflows.
fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(100 * 365 * 24 * 3600)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn expires_and_sweeps() {
        let map = ExpiringMap::new(100);
        map.insert("a", 1, Duration::from_secs(10));
        tokio::time::advance(Duration::from_secs(5)).await;
        map.insert("b", 2, Duration::from_secs(10));
        assert_eq!(map.get("a"), Some(1));
        tokio::time::advance(Duration::from_secs(6)).await;
        assert_eq!(map.get("a"), None);
        assert_eq!(map.get("b"), Some(2));
        tokio::time::advance(Duration::from_secs(10)).await;
        map.insert("c", 3, Duration::from_secs(10));
        assert_eq!(map.len(), 1, "the write swept the expired entries");
    }

    #[tokio::test(start_paused = true)]
    async fn rewrites_move_to_the_back_and_capacity_evicts_oldest() {
        let map = ExpiringMap::new(2);
        map.insert("a", 1, Duration::from_secs(60));
        map.insert("b", 2, Duration::from_secs(60));
        map.insert("a", 10, Duration::from_secs(60));
        map.insert("c", 3, Duration::from_secs(60));
        assert_eq!(map.get("b"), None, "b was the least recently written");
        assert_eq!(map.get("a"), Some(10));
        assert_eq!(map.get("c"), Some(3));
        for i in 0..1000 {
            map.insert("a", i, Duration::from_secs(60));
        }
        assert_eq!(map.len(), 2);
        assert!(map.lock().queue.len() <= 2 * 2 + 16);
    }
}
