//! Validator and delegator rewards, accounted lazily (F1 fee distribution, as in the Cosmos
//! SDK, with the per-validator step made lazy too).
//!
//! Each block the fees module hands what it distributes to [`allocate_block`]: one write, a
//! cumulative reward per unit of bonded power. Nothing walks the validators or their
//! delegations per block; end-block work does not grow with either.
//!
//! - **Validator level.** A bonded validator earns `power × (per_power − its start)`, settled
//!   ([`settle_validator`]) whenever its record changes (tokens, commission, jail: all through
//!   [`crate::state::save_validator`]), its power in the active set changes (valset), one of
//!   its delegations changes, or someone withdraws from it: the commission is credited to
//!   the operator, the rest added to the validator's reward per bonded token.
//! - **Delegation level.** A delegation earns `amount × (per_token − its start)`, settled
//!   whenever its amount changes (delegate, undelegate, slash: all through
//!   [`crate::state::set_delegation`]) and at withdrawal.
//!
//! A start is always the current cumulative value when a validator enters the set or a
//! delegation is created: nothing earned before can be claimed. Integer math, floors
//! everywhere; what floors leave behind stays in the fees module's rewards pool.
//!
//! Keys: `staking/reward_per_power` → per-power ratio; `staking/bonded_power` → the active
//! set's total power; `staking/reward_validator_start/{validator}` → its per-power start;
//! `staking/reward_ratio/{validator}` → per-token ratio;
//! `staking/reward_start/{validator}/{delegator}` → a delegation's per-token start;
//! `staking/reward_settled/{address}` → settled, unpaid rewards (commission and delegator
//! rewards). Ratios are scaled by [`RATIO_SCALE`]; amounts and ratios are decimal strings.
//!
//! Genesis does not carry these: the fees export settles every pending reward into its unpaid
//! rewards, and an imported chain starts every ratio at zero.

use bls_core::amount::{mul_bps, mul_div};
use bls_core::Address;
use cosmwasm_std::{Order, Storage};
use cw_storage_plus::{Item, Map};

use crate::error::StakingError;
use crate::state::{self, DELEGATIONS_BY_DELEGATOR, LAST_POWERS};

/// Fixed-point scale of reward ratios (ubls per unit × 10¹⁸).
pub const RATIO_SCALE: u128 = 1_000_000_000_000_000_000;

const PER_POWER: Item<String> = Item::new("staking/reward_per_power");
pub(crate) const BONDED_POWER: Item<String> = Item::new("staking/bonded_power");
const VALIDATOR_START: Map<&str, String> = Map::new("staking/reward_validator_start");
const RATIO: Map<&str, String> = Map::new("staking/reward_ratio");
const START: Map<(&str, &str), String> = Map::new("staking/reward_start");
const SETTLED: Map<&str, String> = Map::new("staking/reward_settled");

/// A stored amount or ratio; absent is 0.
fn parse(v: Option<String>, what: &str) -> Result<u128, StakingError> {
    v.map_or(Ok(0), |s| state::parse_stored(&s, what))
}

fn add(a: u128, b: u128, what: &'static str) -> Result<u128, StakingError> {
    a.checked_add(b).ok_or(StakingError::Overflow(what))
}

fn per_power(store: &dyn Storage) -> Result<u128, StakingError> {
    parse(PER_POWER.may_load(store)?, "reward per power")
}

/// The active set's total power (kept by the valset as it changes).
pub fn bonded_power(store: &dyn Storage) -> Result<u128, StakingError> {
    parse(BONDED_POWER.may_load(store)?, "bonded power")
}

fn ratio(store: &dyn Storage, validator: &Address) -> Result<u128, StakingError> {
    parse(RATIO.may_load(store, validator.as_str())?, "reward ratio")
}

fn settled(store: &dyn Storage, addr: &Address) -> Result<u128, StakingError> {
    parse(SETTLED.may_load(store, addr.as_str())?, "settled rewards")
}

fn credit(store: &mut dyn Storage, addr: &Address, amount: u128) -> Result<(), StakingError> {
    if amount == 0 {
        return Ok(());
    }
    let total = add(settled(store, addr)?, amount, "settled rewards")?;
    Ok(SETTLED.save(store, addr.as_str(), &total.to_string())?)
}

/// Shares `amount` among the bonded validators by power: one write, however many there are.
/// `false` (nothing recorded) when no validator is bonded; the caller then keeps the coins,
/// else moves `amount` into the rewards pool.
pub fn allocate_block(store: &mut dyn Storage, amount: u128) -> Result<bool, StakingError> {
    let power = bonded_power(store)?;
    if power == 0 {
        return Ok(false);
    }
    if amount == 0 {
        return Ok(true);
    }
    let step = mul_div(amount, RATIO_SCALE, power).ok_or(StakingError::Overflow("reward step"))?;
    let next = add(per_power(store)?, step, "reward per power")?;
    PER_POWER.save(store, &next.to_string())?;
    Ok(true)
}

/// What validator `op` earned since its last settlement and has not split yet:
/// (commission, per-token ratio step for its delegators, the current per-power value).
fn validator_unsettled(
    store: &dyn Storage,
    op: &Address,
) -> Result<(u128, u128, u128), StakingError> {
    let now = per_power(store)?;
    let power = LAST_POWERS
        .may_load(store, op.as_str())?
        .map_or(0, |p| u128::try_from(p).unwrap_or(0));
    if power == 0 {
        return Ok((0, 0, now));
    }
    let start = parse(
        VALIDATOR_START.may_load(store, op.as_str())?,
        "validator reward start",
    )?;
    let since = now
        .checked_sub(start)
        .ok_or_else(|| StakingError::Store("validator reward start above the ratio".into()))?;
    let earned =
        mul_div(power, since, RATIO_SCALE).ok_or(StakingError::Overflow("validator reward"))?;
    let Some(v) = state::get_validator(store, op)? else {
        return Ok((0, 0, now));
    };
    let commission = mul_bps(earned, v.commission_bps);
    let to_delegators = earned - commission;
    let step = if v.tokens == 0 {
        0
    } else {
        mul_div(to_delegators, RATIO_SCALE, v.tokens)
            .ok_or(StakingError::Overflow("reward ratio"))?
    };
    Ok((commission, step, now))
}

/// Settles validator `op` at its stored record and current power: commission credited to
/// the operator, the delegators' part added to its per-token ratio; restarts it now. Call
/// before anything its earnings depend on changes (record, power, a delegation).
pub fn settle_validator(store: &mut dyn Storage, op: &Address) -> Result<(), StakingError> {
    let (commission, step, now) = validator_unsettled(store, op)?;
    credit(store, op, commission)?;
    if step > 0 {
        let next = add(ratio(store, op)?, step, "reward ratio")?;
        RATIO.save(store, op.as_str(), &next.to_string())?;
    }
    if now == 0 {
        VALIDATOR_START.remove(store, op.as_str());
    } else {
        VALIDATOR_START.save(store, op.as_str(), &now.to_string())?;
    }
    Ok(())
}

/// What a delegation of `amount` earned since its last settlement, given the validator's
/// per-token ratio `ratio_now`.
fn delegation_earned(
    store: &dyn Storage,
    validator: &Address,
    delegator: &Address,
    amount: u128,
    ratio_now: u128,
) -> Result<u128, StakingError> {
    let start = parse(
        START.may_load(store, (validator.as_str(), delegator.as_str()))?,
        "reward start",
    )?;
    let since = ratio_now
        .checked_sub(start)
        .ok_or_else(|| StakingError::Store("reward start above the validator's ratio".into()))?;
    mul_div(amount, since, RATIO_SCALE).ok_or(StakingError::Overflow("delegator reward"))
}

/// Settles a delegation before its amount changes from `amount_before` to `amount_after`
/// (its validator first), and restarts it at the validator's current ratio: it earns at the
/// new amount from now on only. A new delegation starts at the current ratio.
pub(crate) fn settle_delegation(
    store: &mut dyn Storage,
    validator: &Address,
    delegator: &Address,
    amount_before: u128,
    amount_after: u128,
) -> Result<(), StakingError> {
    settle_validator(store, validator)?;
    let now = ratio(store, validator)?;
    let earned = delegation_earned(store, validator, delegator, amount_before, now)?;
    credit(store, delegator, earned)?;
    let key = (validator.as_str(), delegator.as_str());
    if amount_after == 0 || now == 0 {
        START.remove(store, key);
    } else {
        START.save(store, key, &now.to_string())?;
    }
    Ok(())
}

/// `addr`'s unpaid rewards held here: settled, its unsettled commission if it operates a
/// validator, and what each of its delegations earned (read only: queries, exports).
pub fn pending(store: &dyn Storage, addr: &Address) -> Result<u128, StakingError> {
    let (commission, _, _) = validator_unsettled(store, addr)?;
    let mut total = add(settled(store, addr)?, commission, "pending rewards")?;
    for d in state::delegator_delegations(store, addr)? {
        let (_, step, _) = validator_unsettled(store, &d.validator)?;
        let ratio_now = add(ratio(store, &d.validator)?, step, "reward ratio")?;
        let earned = delegation_earned(store, &d.validator, addr, d.amount, ratio_now)?;
        total = add(total, earned, "pending rewards")?;
    }
    Ok(total)
}

/// Settles everything `addr` is owed (its validator, if any, and each of its delegations) and
/// takes it; the caller pays it out of the rewards pool.
pub fn take(store: &mut dyn Storage, addr: &Address) -> Result<u128, StakingError> {
    settle_validator(store, addr)?;
    for d in state::delegator_delegations(store, addr)? {
        settle_delegation(store, &d.validator, addr, d.amount, d.amount)?;
    }
    let total = settled(store, addr)?;
    SETTLED.remove(store, addr.as_str());
    Ok(total)
}

/// Every address with unpaid rewards held here, in address order (genesis export: walks
/// every delegation and bonded validator).
pub fn all_pending(store: &dyn Storage) -> Result<Vec<(Address, u128)>, StakingError> {
    let mut addrs: Vec<String> = SETTLED
        .keys(store, None, None, Order::Ascending)
        .collect::<Result<_, _>>()?;
    let delegators: Vec<(String, String)> = DELEGATIONS_BY_DELEGATOR
        .keys(store, None, None, Order::Ascending)
        .collect::<Result<_, _>>()?;
    addrs.extend(delegators.into_iter().map(|(d, _)| d));
    let bonded: Vec<String> = LAST_POWERS
        .keys(store, None, None, Order::Ascending)
        .collect::<Result<_, _>>()?;
    addrs.extend(bonded);
    addrs.sort();
    addrs.dedup();
    let mut out = Vec::new();
    for a in addrs {
        let addr =
            Address::parse(&a).map_err(|e| StakingError::Store(format!("stored address: {e}")))?;
        let amount = pending(store, &addr)?;
        if amount > 0 {
            out.push((addr, amount));
        }
    }
    Ok(out)
}
