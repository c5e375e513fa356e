//! Slashing parameters (set in genesis). Fractions are basis points of the validator's tokens.

use serde::{Deserialize, Serialize};

use crate::error::SlashingError;

/// Parameters of the slashing module.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Number of most recent last-commit votes the downtime window covers.
    pub signed_blocks_window: u64,
    /// Votes that must be signed per full window; fewer slashes and jails.
    pub min_signed_per_window: u64,
    /// Blocks a validator stays jailed for downtime.
    pub downtime_jail_blocks: u64,
    /// Slash for double signing, basis points (also tombstones).
    pub slash_fraction_double_sign: u32,
    /// Slash for downtime, basis points.
    pub slash_fraction_downtime: u32,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            signed_blocks_window: 100,
            min_signed_per_window: 50,
            downtime_jail_blocks: 600,
            slash_fraction_double_sign: 500,
            slash_fraction_downtime: 1,
        }
    }
}

impl Params {
    /// Checks internal consistency.
    pub fn validate(&self) -> Result<(), SlashingError> {
        let bad = |s: &str| Err(SlashingError::InvalidParams(s.to_string()));
        if self.signed_blocks_window == 0 || self.signed_blocks_window > 100_000 {
            return bad("signed_blocks_window must be 1..=100000");
        }
        if self.min_signed_per_window > self.signed_blocks_window {
            return bad("min_signed_per_window must not exceed signed_blocks_window");
        }
        if self.slash_fraction_double_sign > 10_000 || self.slash_fraction_downtime > 10_000 {
            return bad("slash fractions must be at most 10000 bps");
        }
        Ok(())
    }

    /// Misses tolerated in a full window.
    pub fn max_missed(&self) -> u64 {
        self.signed_blocks_window - self.min_signed_per_window.min(self.signed_blocks_window)
    }
}

impl bls_core::governed_params::GovernedParams for Params {
    type Error = SlashingError;

    fn load(store: &dyn cosmwasm_std::Storage) -> Result<Self, SlashingError> {
        crate::state::params(store)
    }

    fn check(&self, store: &dyn cosmwasm_std::Storage) -> Result<(), SlashingError> {
        self.validate()?;
        let current = crate::state::params(store)?.signed_blocks_window;
        bls_core::governed_params::window_fixed_after_genesis(
            "signed_blocks_window",
            self.signed_blocks_window,
            current,
        )
        .map_err(SlashingError::InvalidParams)
    }

    fn store(&self, store: &mut dyn cosmwasm_std::Storage) -> Result<(), SlashingError> {
        Ok(crate::state::PARAMS.save(store, self)?)
    }
}
