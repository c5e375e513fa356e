//! Deterministic gas accounting.
//!
//! The meter uses a `Cell` so read-only paths (`Storage::get` takes `&self`) can charge too.
//! Running out of gas never panics: the meter latches `exceeded`, and the tx pipeline checks
//! [`GasMeter::check`] after every message and fails the tx (its overlay is dropped).

use std::cell::Cell;

use serde::{Deserialize, Serialize};

/// Gas prices of the primitive operations (Cosmos SDK KV-store defaults).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GasConfig {
    /// Flat cost of a store read.
    pub read_flat: u64,
    /// Per byte read (key + value).
    pub read_per_byte: u64,
    /// Flat cost of a store write.
    pub write_flat: u64,
    /// Per byte written (key + value).
    pub write_per_byte: u64,
    /// Flat cost of a delete.
    pub delete_flat: u64,
    /// Per iterator step.
    pub iter_next_flat: u64,
    /// Per byte of the raw tx.
    pub tx_size_per_byte: u64,
    /// Per secp256k1 signature verified.
    pub sig_verify_secp256k1: u64,
}

impl Default for GasConfig {
    fn default() -> Self {
        Self {
            read_flat: 1000,
            read_per_byte: 3,
            write_flat: 2000,
            write_per_byte: 30,
            delete_flat: 1000,
            iter_next_flat: 30,
            tx_size_per_byte: 10,
            sig_verify_secp256k1: 1000,
        }
    }
}

/// Error returned when a tx used more gas than its limit.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("out of gas in {descriptor}: gas wanted {limit}, gas used {used}")]
pub struct OutOfGas {
    /// What was being charged when the limit was crossed.
    pub descriptor: String,
    /// The tx's gas limit.
    pub limit: u64,
    /// Gas consumed (including the charge that crossed the limit).
    pub used: u64,
}

/// Counts gas against a limit.
#[derive(Debug)]
pub struct GasMeter {
    limit: u64,
    consumed: Cell<u64>,
    exceeded_at: Cell<Option<&'static str>>,
    config: GasConfig,
}

impl GasMeter {
    /// A meter with `limit` gas.
    pub fn new(limit: u64, config: GasConfig) -> Self {
        Self {
            limit,
            consumed: Cell::new(0),
            exceeded_at: Cell::new(None),
            config,
        }
    }

    /// A meter that never runs out (genesis, begin/end block logic).
    pub fn infinite() -> Self {
        Self::new(u64::MAX, GasConfig::default())
    }

    /// The prices in use.
    pub fn config(&self) -> &GasConfig {
        &self.config
    }

    /// Adds `amount`; latches an out-of-gas condition instead of failing here.
    pub fn consume(&self, amount: u64, descriptor: &'static str) {
        let used = self.consumed.get().saturating_add(amount);
        self.consumed.set(used);
        if used > self.limit && self.exceeded_at.get().is_none() {
            self.exceeded_at.set(Some(descriptor));
        }
    }

    /// Adds `amount` and fails at once if the limit is crossed.
    pub fn charge(&self, amount: u64, descriptor: &'static str) -> Result<(), OutOfGas> {
        self.consume(amount, descriptor);
        self.check()
    }

    /// Fails if the limit was ever crossed.
    pub fn check(&self) -> Result<(), OutOfGas> {
        match self.exceeded_at.get() {
            Some(d) => Err(OutOfGas {
                descriptor: d.to_string(),
                limit: self.limit,
                used: self.consumed.get(),
            }),
            None => Ok(()),
        }
    }

    /// Gas consumed so far.
    pub fn consumed(&self) -> u64 {
        self.consumed.get()
    }

    /// The limit.
    pub fn limit(&self) -> u64 {
        self.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latches_and_reports() {
        let m = GasMeter::new(100, GasConfig::default());
        m.consume(60, "a");
        assert!(m.check().is_ok());
        m.consume(60, "b");
        let e = m.check().unwrap_err();
        assert_eq!(e.descriptor, "b");
        assert_eq!(e.used, 120);
        m.consume(u64::MAX, "c");
        assert_eq!(m.consumed(), u64::MAX);
        assert_eq!(m.check().unwrap_err().descriptor, "b");
    }
}
