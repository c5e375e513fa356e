//! Registry parameters (set in genesis).

use serde::{Deserialize, Serialize};

use crate::error::RegistryError;

/// Parameters of the registry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Minimum bond of a `worker`, in ubls.
    #[serde(with = "bls_core::amount::u128_str")]
    pub min_worker_bond: u128,
    /// Minimum bond of a `head` worker, in ubls.
    #[serde(with = "bls_core::amount::u128_str")]
    pub min_head_bond: u128,
    /// Blocks between deregistration and the bond's return.
    pub unbonding_blocks: u64,
    /// Blocks a worker stays jailed after falling below the liveness threshold.
    pub jail_blocks: u64,
    /// Number of most recent assignments the liveness window covers.
    pub signed_jobs_window: u64,
    /// Assignments that must be answered per window; fewer jails the worker.
    pub min_answered_per_window: u64,
    /// Most multiaddrs a worker may publish.
    pub max_multiaddrs: u32,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            min_worker_bond: 100_000_000,
            min_head_bond: 1_000_000_000,
            unbonding_blocks: 1_000,
            jail_blocks: 100,
            signed_jobs_window: 100,
            min_answered_per_window: 50,
            max_multiaddrs: 16,
        }
    }
}

impl Params {
    /// Checks internal consistency.
    pub fn validate(&self) -> Result<(), RegistryError> {
        if self.signed_jobs_window == 0 {
            return Err(RegistryError::InvalidParams(
                "signed_jobs_window must be positive".into(),
            ));
        }
        if self.min_answered_per_window > self.signed_jobs_window {
            return Err(RegistryError::InvalidParams(
                "min_answered_per_window must not exceed signed_jobs_window".into(),
            ));
        }
        if self.max_multiaddrs == 0 || self.max_multiaddrs > 64 {
            return Err(RegistryError::InvalidParams(
                "max_multiaddrs must be 1..=64".into(),
            ));
        }
        Ok(())
    }
}

impl bls_core::governed_params::GovernedParams for Params {
    type Error = RegistryError;

    fn load(store: &dyn cosmwasm_std::Storage) -> Result<Self, RegistryError> {
        crate::state::params(store)
    }

    fn check(&self, store: &dyn cosmwasm_std::Storage) -> Result<(), RegistryError> {
        self.validate()?;
        let current = crate::state::params(store)?.signed_jobs_window;
        bls_core::governed_params::window_fixed_after_genesis(
            "signed_jobs_window",
            self.signed_jobs_window,
            current,
        )
        .map_err(RegistryError::InvalidParams)
    }

    fn store(&self, store: &mut dyn cosmwasm_std::Storage) -> Result<(), RegistryError> {
        Ok(crate::state::PARAMS.save(store, self)?)
    }
}
