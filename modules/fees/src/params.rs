//! Fees parameters (set in genesis), all in basis points.

use serde::{Deserialize, Serialize};

use crate::error::FeesError;

/// Parameters of the fees module.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Share of each block's collected gas fees burned.
    pub burn_ratio: u32,
    /// Share of each block's collected gas fees sent to the community pool (it also gets every
    /// rounding remainder and the rest when no staking validator is bonded).
    pub community_tax: u32,
    /// Invocation fee split: share paid to the agreeing workers.
    pub worker_share: u32,
    /// Invocation fee split: share burned.
    pub burn_share: u32,
    /// Invocation fee split: share to the community pool.
    pub community_share: u32,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            burn_ratio: 2_000,
            community_tax: 200,
            worker_share: 7_000,
            burn_share: 2_000,
            community_share: 1_000,
        }
    }
}

impl Params {
    /// Checks internal consistency.
    pub fn validate(&self) -> Result<(), FeesError> {
        let bad = |s: &str| Err(FeesError::InvalidParams(s.to_string()));
        if u64::from(self.burn_ratio) + u64::from(self.community_tax) > 10_000 {
            return bad("burn_ratio + community_tax must be at most 10000");
        }
        let split = u64::from(self.worker_share)
            + u64::from(self.burn_share)
            + u64::from(self.community_share);
        if split != 10_000 {
            return bad("worker_share + burn_share + community_share must be 10000");
        }
        Ok(())
    }
}

impl bls_core::governed_params::GovernedParams for Params {
    type Error = FeesError;

    fn load(store: &dyn cosmwasm_std::Storage) -> Result<Self, FeesError> {
        crate::state::params(store)
    }

    fn check(&self, _store: &dyn cosmwasm_std::Storage) -> Result<(), FeesError> {
        self.validate()
    }

    fn store(&self, store: &mut dyn cosmwasm_std::Storage) -> Result<(), FeesError> {
        Ok(crate::state::PARAMS.save(store, self)?)
    }
}
