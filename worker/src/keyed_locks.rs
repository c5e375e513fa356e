//! One holder at a time per key, keys independent of each other. The head serializes each
//! paying account's requests from deposit check to charge (two concurrent requests could
//! otherwise both pass the check before either is charged); the executor fetches each code
//! blob once (a prefetch notice and the first work order arrive together) while fetches of
//! other blobs go on.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tokio::sync::OwnedMutexGuard;

/// The per-key locks (an entry exists only while someone holds or waits for it).
#[derive(Debug)]
pub struct KeyedLocks<K> {
    map: Mutex<BTreeMap<K, Arc<tokio::sync::Mutex<()>>>>,
}

impl<K> Default for KeyedLocks<K> {
    fn default() -> Self {
        KeyedLocks {
            map: Mutex::new(BTreeMap::new()),
        }
    }
}

/// Held while the work on one key runs.
pub struct KeyedGuard<'a, K: Ord> {
    locks: &'a KeyedLocks<K>,
    guard: Option<OwnedMutexGuard<()>>,
}

impl<K: Ord + Clone> KeyedLocks<K> {
    /// Waits for `key`'s turn.
    pub async fn lock(&self, key: &K) -> KeyedGuard<'_, K> {
        let lock = match self.map.lock() {
            Ok(mut m) => m.entry(key.clone()).or_default().clone(),
            // A poisoned map cannot happen (nothing panics under it); serialize nothing then.
            Err(_) => Arc::new(tokio::sync::Mutex::new(())),
        };
        KeyedGuard {
            locks: self,
            guard: Some(lock.lock_owned().await),
        }
    }

    /// Keys with a holder or waiters.
    pub fn len(&self) -> usize {
        self.map.lock().map_or(0, |m| m.len())
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<K: Ord> Drop for KeyedGuard<'_, K> {
    fn drop(&mut self) {
        drop(self.guard.take());
        if let Ok(mut m) = self.locks.map.lock() {
            // Forget keys only the map still refers to: no holder, no waiter (this also
            // sweeps entries left by waiters that gave up, e.g. a disconnected client).
            m.retain(|_, l| Arc::strong_count(l) > 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::FutureExt;

    #[tokio::test]
    async fn one_holder_per_key_and_entries_are_forgotten() {
        let locks = KeyedLocks::<String>::default();
        let (alice, bob) = ("alice".to_string(), "bob".to_string());
        let a = locks.lock(&alice).await;
        // Another key is not held up.
        let b = locks.lock(&bob).now_or_never();
        assert!(b.is_some());
        drop(b);
        // The same key waits while `a` is held...
        let mut second = Box::pin(locks.lock(&alice));
        assert!((&mut second).now_or_never().is_none());
        drop(a);
        // ...and gets its turn once `a` is released.
        let second = second.now_or_never();
        assert!(second.is_some());
        drop(second);
        assert!(locks.is_empty(), "no holder, no entry");
    }

    #[tokio::test]
    async fn a_waiter_that_gives_up_leaves_no_entry() {
        let locks = KeyedLocks::<[u8; 32]>::default();
        let a = locks.lock(&[1; 32]).await;
        let b = locks.lock(&[3; 32]).await;
        let mut gave_up = Box::pin(locks.lock(&[3; 32]));
        assert!((&mut gave_up).now_or_never().is_none());
        drop(gave_up); // e.g. the client disconnected
        drop(b);
        assert_eq!(locks.len(), 1, "only the held key is left");
        drop(a);
        assert!(locks.is_empty());
    }
}
