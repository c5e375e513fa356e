//! The head's book of invokers' fast-path deposits: the on-chain deposit is read at most
//! once per TTL, and what this head charged since that read is subtracted, so a cached
//! read never lets an invoker spend the same deposit twice.
//!
//! A read stores `base = spendable − owed`, where `owed` is this head's unsettled charges
//! for the invoker ([`super::settle::Pending::owed`]) taken *before* the chain query, and
//! the invoker's running total of charges at that moment. Later, available = base −
//! (charges since the read). A settlement landing after the read lowers the chain deposit
//! and `owed` together, so it cannot make the cached figure too high; a settlement landing
//! between the snapshot and the query is subtracted twice (conservative, for one TTL).
//! Withdrawals are safe as well: the chain keeps requested withdrawals for
//! `fastpath_withdraw_delay` blocks (at least TTL + settle window) and they are excluded from
//! `spendable`.
//! As in `ChainView`, a read past half its TTL elects one caller to re-read it in the
//! background while the others keep using it.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most invokers tracked; beyond it those without a valid read are forgotten.
const MAX_ACCOUNTS: usize = 100_000;

/// Deposits by invoker, as this head may still spend them.
pub struct DepositBook {
    ttl: Duration,
    max: usize,
    state: Mutex<BookState>,
}

#[derive(Default)]
struct BookState {
    /// Bumped whenever accounts are forgotten: reads started before are not cached.
    generation: u64,
    accounts: BTreeMap<String, Account>,
}

#[derive(Default)]
struct Account {
    /// Every fee this head has charged the invoker (monotonic while tracked).
    charged: u128,
    read: Option<Read>,
}

#[derive(Clone, Copy)]
struct Read {
    /// When the snapshot was taken (the read is trusted for a TTL from then).
    at: Instant,
    /// A re-read is running.
    refreshing: bool,
    /// Spendable deposit minus what was owed at the snapshot.
    base: u128,
    /// `charged` at the snapshot.
    charged: u128,
}

/// What the book says an invoker may spend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Available {
    /// From a valid read.
    Fresh(u128),
    /// From a valid read past half its TTL: the caller was chosen to re-read it
    /// ([`DepositBook::snapshot`] then [`DepositBook::store`], or
    /// [`DepositBook::refresh_failed`]).
    Refresh(u128),
    /// No valid read.
    Miss,
}

/// What was known just before a chain read of the deposit.
#[derive(Debug, Clone, Copy)]
pub struct Snapshot {
    generation: u64,
    owed: u128,
    charged: u128,
}

impl DepositBook {
    /// An empty book trusting reads for `ttl`.
    pub fn new(ttl: Duration) -> DepositBook {
        DepositBook::with_capacity(ttl, MAX_ACCOUNTS)
    }

    fn with_capacity(ttl: Duration, max: usize) -> DepositBook {
        DepositBook {
            ttl,
            max: max.max(1),
            state: Mutex::new(BookState::default()),
        }
    }

    /// Accounts the book holds (bounded by `MAX_ACCOUNTS`).
    pub fn len(&self) -> usize {
        self.state.lock().map_or(0, |st| st.accounts.len())
    }

    /// Whether the book holds no account.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// What `invoker` may still spend, from a read younger than the TTL at `now`.
    pub fn available(&self, invoker: &str, now: Instant) -> Available {
        let Ok(mut st) = self.state.lock() else {
            return Available::Miss;
        };
        let Some(a) = st.accounts.get_mut(invoker) else {
            return Available::Miss;
        };
        let charged = a.charged;
        let Some(r) = a.read.as_mut() else {
            return Available::Miss;
        };
        let age = now.saturating_duration_since(r.at);
        let left = r.base.saturating_sub(charged.saturating_sub(r.charged));
        if age >= self.ttl {
            Available::Miss
        } else if age >= self.ttl / 2 && !r.refreshing {
            r.refreshing = true;
            Available::Refresh(left)
        } else {
            Available::Fresh(left)
        }
    }

    /// A re-read elected by [`DepositBook::available`] failed: the next caller may retry.
    pub fn refresh_failed(&self, invoker: &str) {
        if let Ok(mut st) = self.state.lock() {
            if let Some(r) = st.accounts.get_mut(invoker).and_then(|a| a.read.as_mut()) {
                r.refreshing = false;
            }
        }
    }

    /// Call just before querying the chain: records the charges so far, then `owed()`
    /// (this head's unsettled charges; read second, so a charge racing the snapshot is
    /// counted twice rather than never).
    pub fn snapshot(&self, invoker: &str, owed: impl FnOnce() -> u128) -> Snapshot {
        let (generation, charged) = match self.state.lock() {
            Ok(st) => (
                st.generation,
                st.accounts.get(invoker).map_or(0, |a| a.charged),
            ),
            Err(_) => (u64::MAX, 0),
        };
        Snapshot {
            generation,
            owed: owed(),
            charged,
        }
    }

    /// Stores the chain's `spendable` deposit (deposit − withdrawing) read after `snap`
    /// (`started`: when the snapshot was taken);
    /// returns what the invoker may spend now, or `None` when the book forgot accounts
    /// meanwhile (then nothing is cached: use the read with the current `owed` instead).
    pub fn store(
        &self,
        invoker: &str,
        snap: Snapshot,
        spendable: u128,
        started: Instant,
    ) -> Option<u128> {
        let mut st = self.state.lock().ok()?;
        if st.generation != snap.generation {
            return None;
        }
        let base = spendable.saturating_sub(snap.owed);
        if base == 0 && !st.accounts.contains_key(invoker) {
            // Nothing to spend and nothing charged: the request is refused anyway. Keeping
            // the read would let anyone with fresh keys fill the book (and flush the reads
            // of paying invokers) for free.
            return Some(0);
        }
        if !st.accounts.contains_key(invoker) && self.make_room(&mut st, started) {
            return None; // charges made since the snapshot may just have been forgotten
        }
        let a = st.accounts.entry(invoker.to_string()).or_default();
        a.read = Some(Read {
            at: started,
            refreshing: false,
            base,
            charged: snap.charged,
        });
        Some(base.saturating_sub(a.charged.saturating_sub(snap.charged)))
    }

    /// Records a fee charged to `invoker`. Call after the receipt is queued in
    /// [`super::settle::Pending`] (the other order could let a snapshot miss it).
    pub fn charge(&self, invoker: &str, fee: u128) {
        if let Ok(mut st) = self.state.lock() {
            if !st.accounts.contains_key(invoker) {
                self.make_room(&mut st, Instant::now());
            }
            let a = st.accounts.entry(invoker.to_string()).or_default();
            a.charged = a.charged.saturating_add(fee);
        }
    }

    /// Before adding an account at capacity: forgets accounts without a valid read (all,
    /// if that is not enough) and starts a new generation. True if anything was forgotten.
    fn make_room(&self, st: &mut BookState, now: Instant) -> bool {
        if st.accounts.len() < self.max {
            return false;
        }
        let ttl = self.ttl;
        st.accounts.retain(|_, a| {
            a.read
                .is_some_and(|r| now.saturating_duration_since(r.at) < ttl)
        });
        if st.accounts.len() >= self.max {
            st.accounts.clear();
        }
        st.generation = st.generation.wrapping_add(1);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TTL: Duration = Duration::from_secs(1);

    #[test]
    fn a_read_is_trusted_for_the_ttl_only() {
        let b = DepositBook::new(TTL);
        let t0 = Instant::now();
        assert_eq!(b.available("a", t0), Available::Miss);
        let s = b.snapshot("a", || 0);
        assert_eq!(b.store("a", s, 1000, t0), Some(1000));
        let ms = Duration::from_millis;
        assert_eq!(b.available("a", t0 + ms(499)), Available::Fresh(1000));
        let half = t0 + ms(500);
        assert_eq!(b.available("a", half), Available::Refresh(1000));
        let again = b.available("a", half);
        assert_eq!(again, Available::Fresh(1000), "one re-read at a time");
        b.refresh_failed("a");
        assert_eq!(b.available("a", half), Available::Refresh(1000));
        assert_eq!(b.available("a", t0 + TTL), Available::Miss);
        // The re-read (snapshot at `half`) is trusted for a TTL from its snapshot.
        let s = b.snapshot("a", || 0);
        b.store("a", s, 900, half);
        assert_eq!(b.available("a", t0 + ms(999)), Available::Fresh(900));
        assert_eq!(b.available("a", half + TTL), Available::Miss);
    }

    #[test]
    fn charges_after_the_read_are_subtracted() {
        let b = DepositBook::new(TTL);
        let t0 = Instant::now();
        let s = b.snapshot("a", || 300); // 300 unsettled when read
        assert_eq!(b.store("a", s, 1000, t0), Some(700));
        b.charge("a", 100);
        b.charge("a", 100);
        assert_eq!(b.available("a", t0), Available::Fresh(500));
        assert_eq!(b.available("b", t0), Available::Miss, "per invoker");
    }

    #[test]
    fn settlement_after_the_read_does_not_free_money() {
        // Read: deposit 1000, 300 owed. Then 200 more charged (owed 500), then a batch of
        // 300 settles: chain deposit 700, owed 200. Cached must still say 500, and a fresh
        // read must agree.
        let b = DepositBook::new(TTL);
        let t0 = Instant::now();
        let s = b.snapshot("a", || 300);
        b.store("a", s, 1000, t0);
        b.charge("a", 200);
        assert_eq!(b.available("a", t0), Available::Fresh(500));
        let fresh = b.snapshot("a", || 200);
        assert_eq!(b.store("a", fresh, 700, t0), Some(500));
    }

    #[test]
    fn a_charge_during_the_query_is_counted() {
        let b = DepositBook::new(TTL);
        let t0 = Instant::now();
        // First read of a new invoker.
        let s = b.snapshot("a", || 0);
        b.charge("a", 100); // served while the chain query is in flight (owed 100 now)
        assert_eq!(b.store("a", s, 1000, t0), Some(900));
    }

    #[test]
    fn forgetting_accounts_never_overstates() {
        let b = DepositBook::with_capacity(TTL, 2);
        let t0 = Instant::now();
        for k in ["a", "b"] {
            let s = b.snapshot(k, || 0);
            b.store(k, s, 10, t0);
            b.charge(k, 1);
        }
        let in_flight = b.snapshot("a", || 1);
        // A third invoker at capacity (all reads valid): everything is forgotten, and
        // this read is not cached either.
        let s = b.snapshot("c", || 0);
        assert_eq!(b.store("c", s, 10, t0), None);
        assert_eq!(b.available("a", t0), Available::Miss);
        // The read of `a` that started before is not cached.
        assert_eq!(b.store("a", in_flight, 10, t0), None);
        // The next read starts afresh.
        let s = b.snapshot("c", || 0);
        assert_eq!(b.store("c", s, 10, t0), Some(10));
    }

    #[test]
    fn invokers_with_nothing_to_spend_take_no_room() {
        let b = DepositBook::with_capacity(TTL, 2);
        let t0 = Instant::now();
        let s = b.snapshot("payer", || 0);
        assert_eq!(b.store("payer", s, 1000, t0), Some(1000));
        // A flood of fresh keys with no deposit: each is refused (0) and none is kept, so
        // the paying invoker's read survives.
        for i in 0..100 {
            let k = format!("empty{i}");
            let s = b.snapshot(&k, || 0);
            assert_eq!(b.store(&k, s, 0, t0), Some(0));
            assert_eq!(b.available(&k, t0), Available::Miss);
        }
        assert_eq!(b.len(), 1);
        assert_eq!(b.available("payer", t0), Available::Fresh(1000));
    }
}
