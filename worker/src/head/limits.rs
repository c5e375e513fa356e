//! Per-account token-bucket rate limiting (in memory; resets on restart).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

/// Token buckets per account.
pub struct RateLimiter {
    per_sec: f64,
    burst: f64,
    buckets: Mutex<BTreeMap<String, (f64, Instant)>>,
}

/// Most accounts tracked; beyond it the oldest-refilled half is dropped.
const MAX_ACCOUNTS: usize = 100_000;

impl RateLimiter {
    /// `per_sec` sustained requests, bursts of `burst`.
    pub fn new(per_sec: u32, burst: u32) -> RateLimiter {
        RateLimiter {
            per_sec: f64::from(per_sec.max(1)),
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(BTreeMap::new()),
        }
    }

    /// Accounts with a bucket (bounded; see [`RateLimiter::allow`]).
    pub fn len(&self) -> usize {
        self.buckets.lock().map_or(0, |b| b.len())
    }

    /// Whether no account has a bucket.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Takes one token for `account`; false when it has none left.
    pub fn allow(&self, account: &str) -> bool {
        let now = Instant::now();
        let Ok(mut b) = self.buckets.lock() else {
            return false;
        };
        if b.len() >= MAX_ACCOUNTS && !b.contains_key(account) {
            let mut ages: Vec<Instant> = b.values().map(|(_, t)| *t).collect();
            ages.sort();
            if let Some(cut) = ages.get(ages.len() / 2).copied() {
                b.retain(|_, (_, t)| *t > cut);
            }
        }
        let (tokens, last) = b.entry(account.to_string()).or_insert((self.burst, now));
        let refill = now.duration_since(*last).as_secs_f64() * self.per_sec;
        *tokens = (*tokens + refill).min(self.burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_refused_per_account() {
        let l = RateLimiter::new(1, 3);
        assert!(l.allow("a") && l.allow("a") && l.allow("a"));
        assert!(!l.allow("a"));
        assert!(l.allow("b"), "accounts are independent");
    }
}
