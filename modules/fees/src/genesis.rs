//! Fees genesis: params, unpaid rewards and cumulative totals, exported the same way.
//!
//! Coins are not minted here: bank genesis must fund the `fee_rewards` module account with at
//! least the sum of unpaid rewards (an export carries exactly that balance).

use std::collections::BTreeSet;

use bls_core::Address;
use cosmwasm_std::Storage;
use serde::{Deserialize, Serialize};

use crate::error::FeesError;
use crate::params::Params;
use crate::state::{self, rewards_pool, Totals, PARAMS, TOTALS};

/// The fees `app_state` section.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GenesisState {
    /// Params.
    pub params: Params,
    /// Unpaid rewards.
    pub rewards: Vec<GenesisReward>,
    /// Cumulative totals.
    pub totals: Totals,
}

/// One account's unpaid rewards.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisReward {
    /// Account.
    pub address: Address,
    /// Amount, ubls.
    #[serde(with = "bls_core::amount::u128_str")]
    pub amount: u128,
}

fn bad(s: impl Into<String>) -> FeesError {
    FeesError::InvalidGenesis(s.into())
}

/// Validates and writes the genesis state.
pub fn init_genesis(store: &mut dyn Storage, g: &GenesisState) -> Result<(), FeesError> {
    g.params.validate()?;
    PARAMS.save(store, &g.params)?;
    TOTALS.save(store, &g.totals)?;
    let mut seen = BTreeSet::new();
    let mut sum: u128 = 0;
    for r in &g.rewards {
        if r.amount == 0 || !seen.insert(r.address.clone()) {
            return Err(bad(format!(
                "reward of {} is zero or duplicated",
                r.address
            )));
        }
        state::set_rewards(store, &r.address, r.amount)?;
        sum = sum
            .checked_add(r.amount)
            .ok_or(FeesError::Overflow("genesis rewards"))?;
    }
    let held = bls_bank::keeper::balance(store, &rewards_pool(), bls_core::DENOM)?;
    if held < sum {
        return Err(bad(format!(
            "module account {} ({}) holds {held}{d}, unpaid rewards need {sum}{d}",
            state::REWARDS_POOL.name(),
            rewards_pool(),
            d = bls_core::DENOM
        )));
    }
    Ok(())
}

/// Reads the state back as genesis.
pub fn export_genesis(store: &dyn Storage) -> Result<GenesisState, FeesError> {
    Ok(GenesisState {
        params: state::params(store)?,
        rewards: state::all_rewards(store)?
            .into_iter()
            .map(|(address, amount)| GenesisReward { address, amount })
            .collect(),
        totals: state::totals(store)?,
    })
}
