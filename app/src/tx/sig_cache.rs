//! Signatures this node has already verified. A mempool tx's secp256k1 signature would
//! otherwise be checked at CheckTx, again at every recheck after each block, and again in
//! FinalizeBlock; with the cache it is checked once.
//!
//! Verification is a pure function of (public key and its type, the tx's signing context,
//! signature) — the context being the direct-mode `SignDoc`, from which an amino doc, its
//! EIP-712 form or its Aptos envelope is rebuilt — so remembering successes cannot change any
//! outcome: a node without the entry verifies and reaches the same answer. Only successes are remembered, gas is charged either way, and the key binds
//! all three inputs, so nothing here depends on local state in a way consensus could see.

use std::collections::{BTreeSet, VecDeque};
use std::sync::Mutex;

use sha2::{Digest, Sha256};

/// Entries kept by default (oldest evicted first): a full mempool's worth and then some.
pub const DEFAULT_CAPACITY: usize = 100_000;

/// A bounded set of verified (public key, signed bytes, signature) triples.
pub struct SigCache {
    capacity: usize,
    entries: Mutex<Entries>,
}

/// The keys, and their insertion order for eviction.
#[derive(Default)]
struct Entries {
    set: BTreeSet<[u8; 32]>,
    order: VecDeque<[u8; 32]>,
}

impl Default for SigCache {
    fn default() -> Self {
        SigCache::new(DEFAULT_CAPACITY)
    }
}

impl SigCache {
    /// An empty cache keeping at most `capacity` entries.
    pub fn new(capacity: usize) -> SigCache {
        SigCache {
            capacity: capacity.max(1),
            entries: Mutex::new(Entries::default()),
        }
    }

    /// The cache key of one verification: every input, length-prefixed.
    pub fn key(pubkey: &[u8], msg: &[u8], sig: &[u8]) -> [u8; 32] {
        let mut h = Sha256::new();
        for part in [pubkey, msg, sig] {
            h.update(u64::try_from(part.len()).unwrap_or(u64::MAX).to_be_bytes());
            h.update(part);
        }
        h.finalize().into()
    }

    /// Whether `key` verified before.
    pub fn contains(&self, key: &[u8; 32]) -> bool {
        self.entries.lock().is_ok_and(|e| e.set.contains(key))
    }

    /// Remembers a successful verification.
    pub fn insert(&self, key: [u8; 32]) {
        let Ok(mut e) = self.entries.lock() else {
            return;
        };
        if !e.set.insert(key) {
            return;
        }
        e.order.push_back(key);
        while e.order.len() > self.capacity {
            if let Some(old) = e.order.pop_front() {
                e.set.remove(&old);
            }
        }
    }

    /// Entries held.
    pub fn len(&self) -> usize {
        self.entries.lock().map_or(0, |e| e.order.len())
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `verify` unless this triple verified before; remembers a success.
    pub fn verify_once<E>(
        &self,
        pubkey: &[u8],
        msg: &[u8],
        sig: &[u8],
        verify: impl FnOnce() -> Result<(), E>,
    ) -> Result<(), E> {
        let key = SigCache::key(pubkey, msg, sig);
        if self.contains(&key) {
            return Ok(());
        }
        verify()?;
        self.insert(key);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_only_successes_and_evicts_the_oldest() {
        let c = SigCache::new(2);
        let mut calls = 0;
        let mut check = |ok: bool, msg: &[u8]| {
            c.verify_once(b"pk", msg, b"sig", || {
                calls += 1;
                if ok {
                    Ok(())
                } else {
                    Err("bad")
                }
            })
        };
        assert_eq!(check(false, b"a"), Err("bad"));
        assert_eq!(check(false, b"a"), Err("bad"), "a failure is never cached");
        assert_eq!(check(true, b"a"), Ok(()));
        assert_eq!(check(false, b"a"), Ok(()), "a success is");
        assert_eq!(check(true, b"b"), Ok(()));
        assert_eq!(check(true, b"c"), Ok(())); // evicts "a"
        assert_eq!(check(false, b"a"), Err("bad"));
        assert_eq!(calls, 6);
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn the_key_binds_every_input_unambiguously() {
        let k = SigCache::key(b"pk", b"msg", b"sig");
        assert_ne!(k, SigCache::key(b"pk", b"msg", b"siG"));
        assert_ne!(k, SigCache::key(b"pkm", b"sg", b"sig"));
        assert_ne!(k, SigCache::key(b"p", b"kmsg", b"sig"));
        assert_eq!(k, SigCache::key(b"pk", b"msg", b"sig"));
    }
}
