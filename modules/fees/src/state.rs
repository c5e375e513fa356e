//! Fees state and the invocation-split keeper for orchestration.
//!
//! Keys: `fees/params`; `fees/rewards/{address}` → unpaid rewards carried over by a genesis
//! import (ubls); `fees/totals` → cumulative burned / community / distributed amounts.
//! Commission and delegator rewards accrue lazily in staking ([`bls_staking::rewards`]); an
//! account's unpaid rewards are both. The `fee_rewards` module account holds at least the sum
//! of unpaid rewards.

use bls_core::amount::mul_bps;
use bls_core::{Address, ModuleAccount};
use cosmwasm_std::{Order, Storage};
use cw_storage_plus::{Item, Map};
use serde::{Deserialize, Serialize};

use crate::error::FeesError;
use crate::params::Params;

/// Module account the tx pipeline pays gas fees into; end block empties it.
pub const FEE_COLLECTOR: ModuleAccount = ModuleAccount::new("fee_collector");
/// Module account of the community pool (its gas-fee tax, invocation shares and remainders).
pub const COMMUNITY_POOL: ModuleAccount = ModuleAccount::new("community_pool");
/// Module account holding distributed, not yet withdrawn rewards (at least their sum).
pub const REWARDS_POOL: ModuleAccount = ModuleAccount::new("fee_rewards");

/// The fee collector's address.
pub fn fee_collector() -> Address {
    FEE_COLLECTOR.address()
}

/// The community pool's address.
pub fn community_pool() -> Address {
    COMMUNITY_POOL.address()
}

/// The rewards pool's address.
pub fn rewards_pool() -> Address {
    REWARDS_POOL.address()
}

/// Params.
pub(crate) const PARAMS: Item<Params> = Item::new("fees/params");
/// Unpaid rewards per account (decimal string).
pub(crate) const REWARDS: Map<&str, String> = Map::new("fees/rewards");
/// Cumulative totals.
pub(crate) const TOTALS: Item<Totals> = Item::new("fees/totals");

/// Cumulative gas-fee accounting since genesis, ubls.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Totals {
    /// Burned (`burn_ratio`).
    #[serde(with = "bls_core::amount::u128_str")]
    pub burned: u128,
    /// Sent to the community pool (tax and remainders).
    #[serde(with = "bls_core::amount::u128_str")]
    pub community: u128,
    /// Handed to the bonded validators and their delegators (commission and delegator
    /// rewards, settled lazily in staking; what their floors leave stays in the rewards pool).
    #[serde(with = "bls_core::amount::u128_str")]
    pub distributed: u128,
}

/// How an invocation fee is split (basis points summing to 10000).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Split {
    /// Share to the agreeing workers.
    pub worker_bps: u32,
    /// Share burned.
    pub burn_bps: u32,
    /// Share to the community pool.
    pub community_bps: u32,
}

impl Split {
    /// `(workers, burn, community)` of `fee`: the burn and worker parts are floored and the
    /// community pool gets the rest, so the three always sum to `fee`.
    pub fn apply(&self, fee: u128) -> (u128, u128, u128) {
        let workers = mul_bps(fee, self.worker_bps);
        let burn = mul_bps(fee, self.burn_bps);
        (workers, burn, fee - workers - burn)
    }
}

/// Loads the params (defaults when genesis set none).
pub fn params(store: &dyn Storage) -> Result<Params, FeesError> {
    Ok(PARAMS.may_load(store)?.unwrap_or_default())
}

/// The invocation fee split orchestration applies to a finalized job's fee.
pub fn invocation_split(store: &dyn Storage) -> Result<Split, FeesError> {
    let p = params(store)?;
    Ok(Split {
        worker_bps: p.worker_share,
        burn_bps: p.burn_share,
        community_bps: p.community_share,
    })
}

fn parse_stored(s: &str) -> Result<u128, FeesError> {
    s.parse::<u128>()
        .map_err(|e| FeesError::Store(format!("stored amount: {e}")))
}

/// Unpaid rewards held here (carried over by a genesis import).
fn credited(store: &dyn Storage, addr: &Address) -> Result<u128, FeesError> {
    match REWARDS.may_load(store, addr.as_str())? {
        Some(s) => parse_stored(&s),
        None => Ok(0),
    }
}

/// Unpaid rewards of `addr`: credited here plus its pending delegator rewards.
pub fn rewards(store: &dyn Storage, addr: &Address) -> Result<u128, FeesError> {
    credited(store, addr)?
        .checked_add(bls_staking::rewards::pending(store, addr)?)
        .ok_or(FeesError::Overflow("rewards"))
}

/// Takes every unpaid reward of `addr` (credited and delegator rewards); the caller pays it.
pub fn take_rewards(store: &mut dyn Storage, addr: &Address) -> Result<u128, FeesError> {
    let total = credited(store, addr)?
        .checked_add(bls_staking::rewards::take(store, addr)?)
        .ok_or(FeesError::Overflow("rewards"))?;
    set_rewards(store, addr, 0)?;
    Ok(total)
}

/// Sets unpaid rewards (0 removes the entry).
pub fn set_rewards(store: &mut dyn Storage, addr: &Address, amount: u128) -> Result<(), FeesError> {
    if amount == 0 {
        REWARDS.remove(store, addr.as_str());
        Ok(())
    } else {
        Ok(REWARDS.save(store, addr.as_str(), &amount.to_string())?)
    }
}

/// Every account's unpaid rewards (credited here and pending delegator rewards), in address
/// order (genesis export, which therefore carries delegator rewards as settled amounts).
pub fn all_rewards(store: &dyn Storage) -> Result<Vec<(Address, u128)>, FeesError> {
    let mut all: std::collections::BTreeMap<String, (Address, u128)> = Default::default();
    for r in REWARDS.range(store, None, None, Order::Ascending) {
        let (a, s) = r?;
        let addr =
            Address::parse(&a).map_err(|e| FeesError::Store(format!("stored address: {e}")))?;
        all.insert(a, (addr, parse_stored(&s)?));
    }
    for (addr, pending) in bls_staking::rewards::all_pending(store)? {
        let slot = all
            .entry(addr.to_string())
            .or_insert_with(|| (addr.clone(), 0));
        slot.1 = slot
            .1
            .checked_add(pending)
            .ok_or(FeesError::Overflow("rewards"))?;
    }
    Ok(all.into_values().collect())
}

/// Cumulative totals.
pub fn totals(store: &dyn Storage) -> Result<Totals, FeesError> {
    Ok(TOTALS.may_load(store)?.unwrap_or_default())
}
