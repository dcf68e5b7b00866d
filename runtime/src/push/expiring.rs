//! A bounded map whose entries expire: the engine of the in-memory dedup and context stores.
//!
//! Every key has one slot in a FIFO queue, in order of last write, and the slot carries the
//! expiry that write set. Writes sweep expired entries from the front of the queue, so memory
//! never holds much more than one expiry window of entries, and the capacity bound evicts the
//! oldest entries first. A sweep reads only the front slot until something there has expired,
//! so the map is not touched for it; it stops at the first slot whose expiry has not passed (with
//! one TTL per map, as every store here uses, nothing behind it has expired either). Each
//! operation is O(1) amortised. A key is allocated once, when it is first written, and shared
//! by the map and the queue; rewriting a held key allocates nothing.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

/// A value with its expiry and the queue slot that owns it.
struct Slot<V> {
    key: Arc<str>,
    value: V,
    expires_at: Instant,
    seq: u64,
}

/// A write, in the queue: a slot whose `seq` no longer matches the map's is stale.
struct Written {
    key: Arc<str>,
    seq: u64,
    /// The expiry this write set.
    expires_at: Instant,
}

struct State<V> {
    map: HashMap<Arc<str>, Slot<V>>,
    /// Writes in order.
    queue: VecDeque<Written>,
    next_seq: u64,
}

/// What [`ExpiringMap::modify`] does after its callback ran.
pub(crate) enum Write<V, T> {
    /// Leave the entry as it was (no write: its expiry and queue position stay); return `T`.
    Keep(T),
    /// The live value was changed in place: count it as a write (new expiry, back of the queue).
    Touched(T),
    /// Store this value (a write); return `T`.
    Put(V, T),
}

/// A thread-safe map of `String` keys to values that expire, holding at most `capacity` entries.
pub(crate) struct ExpiringMap<V> {
    state: Mutex<State<V>>,
    capacity: usize,
}

impl<V> ExpiringMap<V> {
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

    /// Calls `read` with the live value under `key`, if any; an expired one is removed.
    pub(crate) fn read<T>(&self, key: &str, read: impl FnOnce(Option<&V>) -> T) -> T {
        let now = Instant::now();
        let mut state = self.lock();
        match state.map.get(key) {
            Some(slot) if slot.expires_at > now => read(Some(&slot.value)),
            Some(_) => {
                state.map.remove(key);
                read(None)
            }
            None => read(None),
        }
    }

    /// Stores `value` under `key` for `ttl`, replacing any previous value.
    pub(crate) fn insert(&self, key: &str, value: V, ttl: Duration) {
        self.modify(key, ttl, |_| Write::Put(value, ()));
    }

    /// Calls `decide` with the live value under `key` (if any), under the lock, and applies
    /// the [`Write`] it returns: a write keeps the entry for `ttl` from now.
    pub(crate) fn modify<T>(
        &self,
        key: &str,
        ttl: Duration,
        decide: impl FnOnce(Option<&mut V>) -> Write<V, T>,
    ) -> T {
        let now = Instant::now();
        let expires_at = now.checked_add(ttl).unwrap_or_else(far_future);
        let mut guard = self.lock();
        let state = &mut *guard;
        sweep(state, now);
        let seq = state.next_seq + 1;
        let (written, out) = match state.map.get_mut(key) {
            Some(slot) => {
                let live = slot.expires_at > now;
                match decide(live.then_some(&mut slot.value)) {
                    Write::Keep(out) => (None, out),
                    Write::Touched(out) if live => {
                        slot.expires_at = expires_at;
                        slot.seq = seq;
                        (Some(Arc::clone(&slot.key)), out)
                    }
                    // Nothing live was handed out, so nothing was changed.
                    Write::Touched(out) => (None, out),
                    Write::Put(value, out) => {
                        slot.value = value;
                        slot.expires_at = expires_at;
                        slot.seq = seq;
                        (Some(Arc::clone(&slot.key)), out)
                    }
                }
            }
            None => match decide(None) {
                Write::Keep(out) | Write::Touched(out) => (None, out),
                Write::Put(value, out) => {
                    let key: Arc<str> = Arc::from(key);
                    let slot = Slot {
                        key: Arc::clone(&key),
                        value,
                        expires_at,
                        seq,
                    };
                    state.map.insert(Arc::clone(&key), slot);
                    (Some(key), out)
                }
            },
        };
        if let Some(key) = written {
            state.next_seq = seq;
            state.queue.push_back(Written {
                key,
                seq,
                expires_at,
            });
            while state.map.len() > self.capacity {
                if !pop_front(state) {
                    break;
                }
            }
            compact(state);
        }
        out
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

#[cfg(test)]
impl<V: Clone> ExpiringMap<V> {
    /// The live value under `key`; an expired one is removed.
    pub(crate) fn get(&self, key: &str) -> Option<V> {
        self.read(key, |value| value.cloned())
    }
}

/// Removes expired entries from the front of the queue. A live slot carries its entry's expiry
/// (every write that changes an expiry queues a new slot), so the queue alone tells.
fn sweep<V>(state: &mut State<V>, now: Instant) {
    while state
        .queue
        .front()
        .is_some_and(|front| front.expires_at <= now)
    {
        pop_front(state);
    }
}

/// Pops the front queue slot and, if it is the live one, evicts its entry whatever its expiry.
/// Returns whether a slot was popped.
fn pop_front<V>(state: &mut State<V>) -> bool {
    let Some(front) = state.queue.pop_front() else {
        return false;
    };
    if state
        .map
        .get(&front.key)
        .is_some_and(|slot| slot.seq == front.seq)
    {
        state.map.remove(&front.key);
    }
    true
}

/// Drops stale queue slots once they outnumber the live entries, keeping the queue within
/// twice the map's size.
fn compact<V>(state: &mut State<V>) {
    if state.queue.len() > 2 * state.map.len() + 16 {
        let map = &state.map;
        state.queue.retain(|written| {
            map.get(&written.key)
                .is_some_and(|slot| slot.seq == written.seq)
        });
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

    #[tokio::test(start_paused = true)]
    async fn modify_keeps_touches_or_puts() {
        let map = ExpiringMap::new(10);
        let ttl = Duration::from_secs(10);
        let seen = map.modify("a", ttl, |held| match held {
            None => Write::Put(1, "absent"),
            Some(_) => Write::Keep("present"),
        });
        assert_eq!(seen, "absent");
        tokio::time::advance(Duration::from_secs(6)).await;
        // Keep changes nothing: the entry still expires 10 s after it was put.
        assert_eq!(map.modify("a", ttl, |_| Write::<i32, _>::Keep(())), ());
        map.modify("a", ttl, |held| {
            *held.expect("live") += 1;
            Write::Touched(())
        });
        tokio::time::advance(Duration::from_secs(6)).await;
        assert_eq!(map.get("a"), Some(2), "touched: kept 10 s from the change");
        tokio::time::advance(Duration::from_secs(5)).await;
        assert_eq!(map.get("a"), None);
        // Touching an absent key writes nothing.
        map.modify("b", ttl, |held| {
            assert!(held.is_none());
            Write::<i32, _>::Touched(())
        });
        assert_eq!(map.len(), 0);
    }
}
