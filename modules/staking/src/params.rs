//! Staking parameters (set in genesis).

use serde::{Deserialize, Serialize};

use crate::error::StakingError;

/// ubls per unit of consensus power (1 BLS = 1 power).
pub const POWER_REDUCTION: u128 = 1_000_000;
/// Largest power one validator can carry: with at most [`MAX_VALIDATORS_LIMIT`] validators the
/// total stays below CometBFT's limit of `i64::MAX / 8`.
pub const MAX_POWER: i64 = 1 << 50;
/// Default `unbonding_blocks`: 21 days at one block per second.
pub const DEFAULT_UNBONDING_BLOCKS: u64 = 21 * 24 * 3600;
/// Upper bound of the `max_validators` param.
pub const MAX_VALIDATORS_LIMIT: u32 = 1_000;

/// Parameters of the staking module.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Blocks between `MsgUndelegate` and the return of the coins (at least; see
    /// [`crate::evidence_age`]). Must exceed CometBFT's evidence `max_age_num_blocks`.
    pub unbonding_blocks: u64,
    /// Size of the active set: the top validators by power.
    pub max_validators: u32,
    /// Smallest self-bond a validator may be created with (and must keep to stay unjailed).
    #[serde(with = "bls_core::amount::u128_str")]
    pub min_self_bond: u128,
    /// Highest commission, basis points.
    pub max_commission_bps: u32,
    /// Concurrent unbonding entries per delegator/validator pair.
    pub max_unbonding_entries: u32,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            // 21 days of 1 s blocks, the Cosmos Hub's period: above CometBFT's default evidence
            // window (100 000 blocks), so a genesis without params is slashable throughout.
            unbonding_blocks: DEFAULT_UNBONDING_BLOCKS,
            max_validators: 100,
            min_self_bond: 1_000_000,
            max_commission_bps: 5_000,
            max_unbonding_entries: 7,
        }
    }
}

impl Params {
    /// Checks internal consistency.
    pub fn validate(&self) -> Result<(), StakingError> {
        let bad = |s: &str| Err(StakingError::InvalidParams(s.to_string()));
        if self.unbonding_blocks == 0 {
            return bad("unbonding_blocks must be positive");
        }
        if self.max_validators == 0 || self.max_validators > MAX_VALIDATORS_LIMIT {
            return bad("max_validators must be 1..=1000");
        }
        if self.min_self_bond == 0 {
            return bad("min_self_bond must be positive");
        }
        if self.max_commission_bps > 10_000 {
            return bad("max_commission_bps must be at most 10000");
        }
        if self.max_unbonding_entries == 0 {
            return bad("max_unbonding_entries must be positive");
        }
        Ok(())
    }
}

impl bls_core::governed_params::GovernedParams for Params {
    type Error = StakingError;

    fn load(store: &dyn cosmwasm_std::Storage) -> Result<Self, StakingError> {
        crate::state::params(store)
    }

    fn check(&self, store: &dyn cosmwasm_std::Storage) -> Result<(), StakingError> {
        self.validate()?;
        // Every validator's commission stays within the bound (as genesis requires).
        if let Some(v) = crate::state::all_validators(store)?
            .into_iter()
            .find(|v| v.commission_bps > self.max_commission_bps)
        {
            return Err(StakingError::InvalidParams(format!(
                "max_commission_bps {} is below validator {}'s commission {}",
                self.max_commission_bps, v.operator, v.commission_bps
            )));
        }
        // A shorter unbonding period than CometBFT's evidence window would let a validator
        // leave with its stake before its double-sign could be punished.
        match crate::evidence_age::evidence_age(store)? {
            Some(age) => crate::evidence_age::check_unbonding_outlasts_evidence(self, &age),
            None => Ok(()),
        }
    }

    fn store(&self, store: &mut dyn cosmwasm_std::Storage) -> Result<(), StakingError> {
        Ok(crate::state::PARAMS.save(store, self)?)
    }
}
