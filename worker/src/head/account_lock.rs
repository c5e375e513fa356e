//! One request at a time per paying account, from its deposit check to its charge: two
//! concurrent requests from the same account could otherwise both pass the check before
//! either is charged and together spend more than the deposit. Requests of different
//! accounts never wait for each other; the per-account rate limit already bounds how many
//! can queue here.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tokio::sync::OwnedMutexGuard;

/// The per-account locks (an entry exists only while someone holds or waits for it).
#[derive(Default)]
pub struct AccountLocks {
    map: Mutex<BTreeMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// Held while one request of `account` is checked, run and charged.
pub struct AccountGuard<'a> {
    locks: &'a AccountLocks,
    account: String,
    guard: Option<OwnedMutexGuard<()>>,
}

impl AccountLocks {
    /// Waits for `account`'s turn.
    pub async fn lock(&self, account: &str) -> AccountGuard<'_> {
        let lock = match self.map.lock() {
            Ok(mut m) => m.entry(account.to_string()).or_default().clone(),
            // A poisoned map cannot happen (no panics under it); serialize nothing then.
            Err(_) => Arc::new(tokio::sync::Mutex::new(())),
        };
        AccountGuard {
            locks: self,
            account: account.to_string(),
            guard: Some(lock.lock_owned().await),
        }
    }

    /// Accounts with a holder or waiters.
    pub fn len(&self) -> usize {
        self.map.lock().map_or(0, |m| m.len())
    }

    /// Whether no account is locked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Drop for AccountGuard<'_> {
    fn drop(&mut self) {
        drop(self.guard.take());
        if let Ok(mut m) = self.locks.map.lock() {
            // Only the map still holds it: nobody waits, forget the account.
            if m.get(&self.account)
                .is_some_and(|l| Arc::strong_count(l) == 1)
            {
                m.remove(&self.account);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::FutureExt;

    #[tokio::test]
    async fn one_holder_per_account_and_entries_are_forgotten() {
        let locks = AccountLocks::default();
        let a = locks.lock("alice").await;
        // Another account is not held up.
        let b = locks.lock("bob").now_or_never();
        assert!(b.is_some());
        drop(b);
        // The same account waits while `a` is held...
        let mut second = Box::pin(locks.lock("alice"));
        assert!((&mut second).now_or_never().is_none());
        drop(a);
        // ...and gets its turn once `a` is released.
        let second = second.now_or_never();
        assert!(second.is_some());
        drop(second);
        assert!(locks.is_empty(), "no holder, no entry");
    }
}
