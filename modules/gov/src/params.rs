//! Gov parameters (genesis, and changeable by governance itself).

use serde::{Deserialize, Serialize};

use crate::error::GovError;

/// Basis points in one.
pub const BPS: u32 = 10_000;

/// Parameters of the gov module.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Deposit (ubls) that moves a proposal into its voting period.
    #[serde(with = "bls_core::amount::u128_str")]
    pub min_deposit: u128,
    /// Deposit the proposer must put down at submission (keeps spam proposals costly).
    #[serde(with = "bls_core::amount::u128_str")]
    pub min_initial_deposit: u128,
    /// Seconds of block time a proposal may take to gather `min_deposit`.
    pub max_deposit_period_secs: u64,
    /// Seconds of block time the vote lasts.
    pub voting_period_secs: u64,
    /// Share of the bonded stake that must vote (abstain included), basis points.
    pub quorum_bps: u32,
    /// Share of the non-abstaining votes that must be yes to pass (strictly above), bps.
    pub threshold_bps: u32,
    /// Share of all votes that vetoes (strictly above), bps; a vetoed proposal's deposits burn.
    pub veto_threshold_bps: u32,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            min_deposit: 10_000_000,
            min_initial_deposit: 1_000_000,
            max_deposit_period_secs: 2 * 24 * 3600,
            voting_period_secs: 2 * 24 * 3600,
            quorum_bps: 3_340,
            threshold_bps: 5_000,
            veto_threshold_bps: 3_340,
        }
    }
}

/// Longest period governance may set (a year): a proposal must end in finite block time.
pub const MAX_PERIOD_SECS: u64 = 365 * 24 * 3600;

impl Params {
    /// Checks internal consistency.
    pub fn validate(&self) -> Result<(), GovError> {
        let bad = |s: &str| Err(GovError::InvalidParams(s.to_string()));
        if self.min_deposit == 0 {
            return bad("min_deposit must be positive");
        }
        if self.min_initial_deposit > self.min_deposit {
            return bad("min_initial_deposit must not exceed min_deposit");
        }
        for (name, v) in [
            ("max_deposit_period_secs", self.max_deposit_period_secs),
            ("voting_period_secs", self.voting_period_secs),
        ] {
            if v == 0 || v > MAX_PERIOD_SECS {
                return Err(GovError::InvalidParams(format!(
                    "{name} must be 1..={MAX_PERIOD_SECS}"
                )));
            }
        }
        // A quorum of 0 would let a single vote of any size decide; thresholds at 100% could
        // never be exceeded.
        if self.quorum_bps == 0 || self.quorum_bps > BPS {
            return bad("quorum_bps must be 1..=10000");
        }
        if self.threshold_bps == 0 || self.threshold_bps >= BPS {
            return bad("threshold_bps must be 1..=9999");
        }
        if self.veto_threshold_bps == 0 || self.veto_threshold_bps >= BPS {
            return bad("veto_threshold_bps must be 1..=9999");
        }
        Ok(())
    }
}

impl bls_core::governed_params::GovernedParams for Params {
    type Error = GovError;

    fn load(store: &dyn cosmwasm_std::Storage) -> Result<Self, GovError> {
        crate::state::params(store)
    }

    fn check(&self, _store: &dyn cosmwasm_std::Storage) -> Result<(), GovError> {
        self.validate()
    }

    fn store(&self, store: &mut dyn cosmwasm_std::Storage) -> Result<(), GovError> {
        Ok(crate::state::PARAMS.save(store, self)?)
    }
}
