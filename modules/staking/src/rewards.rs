//! Delegator rewards, accounted lazily (F1 fee distribution, as in the Cosmos SDK).
//!
//! The fees module hands each bonded validator's delegator share to [`allocate`] every block.
//! Instead of crediting every delegation (end-block work growing with the delegations, and
//! one-ubls delegations are allowed), a validator keeps a cumulative reward per bonded token
//! (`ratio`, scaled by [`RATIO_SCALE`]); a delegation remembers the ratio it last settled at.
//! What it earned since is `amount × (ratio − start) / RATIO_SCALE`, settled into the
//! delegator's unpaid rewards whenever its amount changes (delegate, undelegate, slash: all go
//! through [`crate::state::set_delegation`]) and when the delegator withdraws. End-block work
//! is one write per bonded validator, however many delegations it has.
//!
//! Keys: `staking/reward_ratio/{validator}` → ratio; `staking/reward_start/{validator}/{delegator}`
//! → the ratio at the delegation's last settlement; `staking/reward_settled/{delegator}` →
//! settled, unpaid delegator rewards (ubls). Amounts are decimal strings; integer math, floors
//! everywhere: what floors leave behind stays in the fees module's rewards pool.
//!
//! Genesis does not carry these: the fees export settles every pending reward into its unpaid
//! rewards, and an imported chain starts every ratio at zero.

use bls_core::amount::mul_div;
use bls_core::Address;
use cosmwasm_std::{Order, Storage};
use cw_storage_plus::Map;

use crate::error::StakingError;
use crate::state::{self, DELEGATIONS_BY_DELEGATOR};

/// Fixed-point scale of reward ratios (ubls per bonded ubls × 10¹⁸).
pub const RATIO_SCALE: u128 = 1_000_000_000_000_000_000;

const RATIO: Map<&str, String> = Map::new("staking/reward_ratio");
const START: Map<(&str, &str), String> = Map::new("staking/reward_start");
const SETTLED: Map<&str, String> = Map::new("staking/reward_settled");

fn load(v: Option<String>, what: &str) -> Result<u128, StakingError> {
    match v {
        Some(s) => s
            .parse::<u128>()
            .map_err(|e| StakingError::Store(format!("{what}: {e}"))),
        None => Ok(0),
    }
}

fn ratio(store: &dyn Storage, validator: &Address) -> Result<u128, StakingError> {
    load(RATIO.may_load(store, validator.as_str())?, "reward ratio")
}

fn start(
    store: &dyn Storage,
    validator: &Address,
    delegator: &Address,
) -> Result<u128, StakingError> {
    load(
        START.may_load(store, (validator.as_str(), delegator.as_str()))?,
        "reward start",
    )
}

fn settled(store: &dyn Storage, delegator: &Address) -> Result<u128, StakingError> {
    load(
        SETTLED.may_load(store, delegator.as_str())?,
        "settled rewards",
    )
}

/// Shares `amount` among `validator`'s delegations pro rata to their amounts (`tokens` is
/// their sum): one write, whatever the number of delegations. The caller moves `amount` into
/// the rewards pool. Nothing happens when `tokens` or `amount` is 0.
pub fn allocate(
    store: &mut dyn Storage,
    validator: &Address,
    amount: u128,
    tokens: u128,
) -> Result<(), StakingError> {
    if amount == 0 || tokens == 0 {
        return Ok(());
    }
    let step =
        mul_div(amount, RATIO_SCALE, tokens).ok_or(StakingError::Overflow("reward ratio"))?;
    let next = ratio(store, validator)?
        .checked_add(step)
        .ok_or(StakingError::Overflow("reward ratio"))?;
    Ok(RATIO.save(store, validator.as_str(), &next.to_string())?)
}

/// What a delegation of `amount` earned since its last settlement.
fn earned(
    store: &dyn Storage,
    validator: &Address,
    delegator: &Address,
    amount: u128,
) -> Result<(u128, u128), StakingError> {
    let now = ratio(store, validator)?;
    let since = now
        .checked_sub(start(store, validator, delegator)?)
        .ok_or_else(|| StakingError::Store("reward start above the validator's ratio".into()))?;
    let earned =
        mul_div(amount, since, RATIO_SCALE).ok_or(StakingError::Overflow("delegator reward"))?;
    Ok((earned, now))
}

/// Settles what the delegation earned at its current amount and restarts it at the current
/// ratio (called before its amount changes, so it earns at the new amount from now on only).
/// A new delegation starts at the current ratio: nothing earned before it can be claimed.
pub(crate) fn settle(
    store: &mut dyn Storage,
    validator: &Address,
    delegator: &Address,
    amount_before: u128,
    amount_after: u128,
) -> Result<(), StakingError> {
    let (earned, now) = earned(store, validator, delegator, amount_before)?;
    if earned > 0 {
        let total = settled(store, delegator)?
            .checked_add(earned)
            .ok_or(StakingError::Overflow("settled rewards"))?;
        SETTLED.save(store, delegator.as_str(), &total.to_string())?;
    }
    let key = (validator.as_str(), delegator.as_str());
    if amount_after == 0 || now == 0 {
        START.remove(store, key);
    } else {
        START.save(store, key, &now.to_string())?;
    }
    Ok(())
}

/// `delegator`'s unpaid delegator rewards: settled plus earned by each of its delegations.
pub fn pending(store: &dyn Storage, delegator: &Address) -> Result<u128, StakingError> {
    let mut total = settled(store, delegator)?;
    for d in state::delegator_delegations(store, delegator)? {
        let (earned, _) = earned(store, &d.validator, delegator, d.amount)?;
        total = total
            .checked_add(earned)
            .ok_or(StakingError::Overflow("pending rewards"))?;
    }
    Ok(total)
}

/// Settles every delegation of `delegator` and takes its unpaid delegator rewards (the caller
/// pays them out of the rewards pool).
pub fn take(store: &mut dyn Storage, delegator: &Address) -> Result<u128, StakingError> {
    for d in state::delegator_delegations(store, delegator)? {
        settle(store, &d.validator, delegator, d.amount, d.amount)?;
    }
    let total = settled(store, delegator)?;
    SETTLED.remove(store, delegator.as_str());
    Ok(total)
}

/// Every delegator with unpaid delegator rewards, in address order (genesis export: walks
/// every delegation).
pub fn all_pending(store: &dyn Storage) -> Result<Vec<(Address, u128)>, StakingError> {
    let mut delegators: Vec<String> = SETTLED
        .keys(store, None, None, Order::Ascending)
        .collect::<Result<_, _>>()?;
    let with_delegations: Vec<(String, String)> = DELEGATIONS_BY_DELEGATOR
        .keys(store, None, None, Order::Ascending)
        .collect::<Result<_, _>>()?;
    delegators.extend(with_delegations.into_iter().map(|(d, _)| d));
    delegators.sort();
    delegators.dedup();
    let mut out = Vec::new();
    for d in delegators {
        let addr =
            Address::parse(&d).map_err(|e| StakingError::Store(format!("stored address: {e}")))?;
        let amount = pending(store, &addr)?;
        if amount > 0 {
            out.push((addr, amount));
        }
    }
    Ok(out)
}
