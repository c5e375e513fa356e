//! Staking state and the keeper interface slashing and fees call.
//!
//! Keys: `staking/validators/{operator}` → [`Validator`]; `staking/cons/{hex}` → operator
//! (consensus address index, keeps keys unique); `staking/delegations/{validator}/{delegator}`
//! → amount with the reverse index `staking/deleg_by_del/{delegator}/{validator}`;
//! `staking/unbonding/{id}` → [`UnbondingEntry`] with indexes by completion height (the queue),
//! by completion time (entries past their height waiting for their time), by validator
//! (slashing) and by delegator (queries, entry limit); `staking/last_powers/{operator}` → power
//! CometBFT currently has (what end block diffs against); `staking/params`;
//! `staking/evidence_age` and `staking/cometbft_genesis_keys/{hex}` (what InitChain told
//! staking, see [`crate::evidence_age`] and [`crate::consensus_keys`]).
//!
//! Invariants: a validator's `tokens` is the sum of its delegations; the `staking_bonded`
//! module account holds the sum of all validators' tokens and `staking_unbonding` the sum of
//! all unbonding entries' balances.

use bls_core::{Address, ModuleAccount};
use cosmwasm_std::{Order, Storage};
use cw_storage_plus::{Bound, Item, Map};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::StakingError;
use crate::params::{Params, MAX_POWER, POWER_REDUCTION};

/// Module account holding bonded coins (exactly the sum of validators' tokens).
pub const BONDED_POOL: ModuleAccount = ModuleAccount::new("staking_bonded");
/// Module account holding coins of unbonding entries until they complete (exactly the sum of
/// their balances).
pub const UNBONDING_POOL: ModuleAccount = ModuleAccount::new("staking_unbonding");

/// The bonded pool's address.
pub fn bonded_pool() -> Address {
    BONDED_POOL.address()
}

/// The unbonding pool's address.
pub fn unbonding_pool() -> Address {
    UNBONDING_POOL.address()
}

pub use crate::consensus_keys::consensus_pubkey;

/// Params.
pub(crate) const PARAMS: Item<Params> = Item::new("staking/params");
/// Validators by operator address.
pub(crate) const VALIDATORS: Map<&str, Validator> = Map::new("staking/validators");
/// Set when a validator record changed since the active set was last computed; end block
/// recomputes the set only then (blocks that change no validator do no validator work).
pub(crate) const SET_CHANGED: Item<bool> = Item::new("staking/set_changed");
/// Consensus address (hex) → operator.
pub(crate) const CONS_INDEX: Map<&str, String> = Map::new("staking/cons");
/// (validator, delegator) → amount (decimal string).
pub(crate) const DELEGATIONS: Map<(&str, &str), String> = Map::new("staking/delegations");
/// (delegator, validator) → () reverse index.
pub(crate) const DELEGATIONS_BY_DELEGATOR: Map<(&str, &str), ()> = Map::new("staking/deleg_by_del");
/// Unbonding entries by id.
pub(crate) const UNBONDINGS: Map<u64, UnbondingEntry> = Map::new("staking/unbonding");
/// Unbonding queue: (completion height, id).
pub(crate) const UNBONDING_QUEUE: Map<(u64, u64), ()> = Map::new("staking/unbonding_queue");
/// Entries past their completion height still waiting for their completion time:
/// (completion time, id).
const UNBONDING_TIME_QUEUE: Map<(i64, u64), ()> = Map::new("staking/unbonding_time_queue");
/// (validator, id) → () for slashing entries created after an offence.
pub(crate) const UNBONDINGS_BY_VALIDATOR: Map<(&str, u64), ()> =
    Map::new("staking/unbonding_by_val");
/// (delegator, id) → () for queries and the per-pair entry limit.
pub(crate) const UNBONDINGS_BY_DELEGATOR: Map<(&str, u64), ()> =
    Map::new("staking/unbonding_by_del");
/// Next unbonding entry id.
pub(crate) const NEXT_UNBONDING_ID: Item<u64> = Item::new("staking/next_unbonding_id");
/// Operator → power CometBFT has for it (the set staking last sent).
pub(crate) const LAST_POWERS: Map<&str, i64> = Map::new("staking/last_powers");

/// A validator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Validator {
    /// Operator account and validator id.
    pub operator: Address,
    /// ed25519 consensus public key, hex of 32 bytes.
    pub consensus_pubkey: String,
    /// Consensus address, upper-case hex of sha256(pubkey)[..20] (as CometBFT prints it).
    pub consensus_address: String,
    /// Display name.
    pub moniker: String,
    /// Commission on delegators' rewards, basis points.
    pub commission_bps: u32,
    /// Bonded tokens (sum of delegations), ubls.
    #[serde(with = "bls_core::amount::u128_str")]
    pub tokens: u128,
    /// Excluded from the active set until unjailed.
    pub jailed: bool,
    /// Height of creation (0 for genesis validators).
    #[serde(default)]
    pub created_height: u64,
}

impl Validator {
    /// Consensus power of this validator's tokens (0 when jailed).
    pub fn power(&self) -> i64 {
        if self.jailed {
            0
        } else {
            power_of(self.tokens)
        }
    }

    /// The consensus public key's bytes.
    pub fn pubkey_bytes(&self) -> Result<Vec<u8>, StakingError> {
        hex::decode(&self.consensus_pubkey)
            .map_err(|e| StakingError::Store(format!("stored consensus key: {e}")))
    }
}

/// Consensus power of `tokens` ubls: whole BLS, capped at [`MAX_POWER`].
pub fn power_of(tokens: u128) -> i64 {
    i64::try_from(tokens / POWER_REDUCTION)
        .unwrap_or(MAX_POWER)
        .min(MAX_POWER)
}

/// CometBFT's consensus address of an ed25519 key: sha256(pubkey)[..20], upper-case hex.
pub fn consensus_address(pubkey: &[u8]) -> String {
    hex::encode_upper(&Sha256::digest(pubkey)[..20])
}

/// The index key of a consensus address given as raw bytes (e.g. from a vote).
pub fn consensus_address_key(address: &[u8]) -> String {
    hex::encode_upper(address)
}

/// A delegation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Delegation {
    /// Delegator.
    pub delegator: Address,
    /// Validator (operator address).
    pub validator: Address,
    /// Bonded amount, ubls.
    #[serde(with = "bls_core::amount::u128_str")]
    pub amount: u128,
}

/// Coins on their way back to a delegator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnbondingEntry {
    /// Entry id.
    pub id: u64,
    /// Who gets the coins.
    pub delegator: Address,
    /// The validator they were bonded to (slashing of offences before completion applies).
    pub validator: Address,
    /// Height of the `MsgUndelegate`.
    pub creation_height: u64,
    /// First height at whose end block the coins may be returned.
    pub completion_height: u64,
    /// First block time (Unix seconds) at which the coins may be returned (see
    /// [`crate::evidence_age`]); entries exported before it existed load as 0 (no wait).
    #[serde(default)]
    pub completion_time: i64,
    /// Amount when created, ubls (slash fractions apply to it).
    #[serde(with = "bls_core::amount::u128_str")]
    pub initial_balance: u128,
    /// Amount still to be returned, ubls.
    #[serde(with = "bls_core::amount::u128_str")]
    pub balance: u128,
}

pub(crate) fn parse_stored(s: &str, what: &str) -> Result<u128, StakingError> {
    s.parse::<u128>()
        .map_err(|e| StakingError::Store(format!("{what}: {e}")))
}

fn stored_addr(s: &str) -> Result<Address, StakingError> {
    Address::parse(s).map_err(|e| StakingError::Store(format!("stored address: {e}")))
}

/// Loads the params (defaults when genesis set none).
pub fn params(store: &dyn Storage) -> Result<Params, StakingError> {
    Ok(PARAMS.may_load(store)?.unwrap_or_default())
}

/// Loads a validator, if any.
pub fn get_validator(
    store: &dyn Storage,
    operator: &Address,
) -> Result<Option<Validator>, StakingError> {
    Ok(VALIDATORS.may_load(store, operator.as_str())?)
}

/// Loads a validator or fails with [`StakingError::UnknownValidator`].
pub fn must_get_validator(
    store: &dyn Storage,
    operator: &Address,
) -> Result<Validator, StakingError> {
    get_validator(store, operator)?
        .ok_or_else(|| StakingError::UnknownValidator(operator.to_string()))
}

/// Saves a validator.
pub fn save_validator(store: &mut dyn Storage, v: &Validator) -> Result<(), StakingError> {
    // What it earned under the record being replaced (tokens, commission) is settled first.
    crate::rewards::settle_validator(store, &v.operator)?;
    VALIDATORS.save(store, v.operator.as_str(), v)?;
    Ok(SET_CHANGED.save(store, &true)?)
}

/// The validator whose consensus address is `address` (raw 20 bytes), if staking manages it.
pub fn validator_by_consensus_address(
    store: &dyn Storage,
    address: &[u8],
) -> Result<Option<Validator>, StakingError> {
    let Some(op) = CONS_INDEX.may_load(store, &consensus_address_key(address))? else {
        return Ok(None);
    };
    Ok(VALIDATORS.may_load(store, &op)?)
}

/// All validators in operator order.
pub fn all_validators(store: &dyn Storage) -> Result<Vec<Validator>, StakingError> {
    VALIDATORS
        .range(store, None, None, Order::Ascending)
        .map(|r| Ok(r?.1))
        .collect()
}

/// The amount `delegator` has bonded to `validator` (0 when none).
pub fn delegation(
    store: &dyn Storage,
    validator: &Address,
    delegator: &Address,
) -> Result<u128, StakingError> {
    match DELEGATIONS.may_load(store, (validator.as_str(), delegator.as_str()))? {
        Some(s) => parse_stored(&s, "delegation"),
        None => Ok(0),
    }
}

/// Sets a delegation amount, keeping the reverse index (0 removes it). What the delegation
/// earned at its previous amount is settled first ([`crate::rewards`]).
pub fn set_delegation(
    store: &mut dyn Storage,
    validator: &Address,
    delegator: &Address,
    amount: u128,
) -> Result<(), StakingError> {
    let before = delegation(store, validator, delegator)?;
    crate::rewards::settle_delegation(store, validator, delegator, before, amount)?;
    let key = (validator.as_str(), delegator.as_str());
    let rev = (delegator.as_str(), validator.as_str());
    if amount == 0 {
        DELEGATIONS.remove(store, key);
        DELEGATIONS_BY_DELEGATOR.remove(store, rev);
    } else {
        DELEGATIONS.save(store, key, &amount.to_string())?;
        DELEGATIONS_BY_DELEGATOR.save(store, rev, &())?;
    }
    Ok(())
}

/// Delegations to `validator`, in delegator order.
pub fn validator_delegations(
    store: &dyn Storage,
    validator: &Address,
) -> Result<Vec<Delegation>, StakingError> {
    DELEGATIONS
        .prefix(validator.as_str())
        .range(store, None, None, Order::Ascending)
        .map(|r| {
            let (del, amount) = r?;
            Ok(Delegation {
                delegator: stored_addr(&del)?,
                validator: validator.clone(),
                amount: parse_stored(&amount, "delegation")?,
            })
        })
        .collect()
}

/// Delegations of `delegator`, in validator order.
pub fn delegator_delegations(
    store: &dyn Storage,
    delegator: &Address,
) -> Result<Vec<Delegation>, StakingError> {
    let vals: Vec<String> = DELEGATIONS_BY_DELEGATOR
        .prefix(delegator.as_str())
        .keys(store, None, None, Order::Ascending)
        .collect::<Result<_, _>>()?;
    vals.iter()
        .map(|v| {
            let validator = stored_addr(v)?;
            let amount = delegation(store, &validator, delegator)?;
            Ok(Delegation {
                delegator: delegator.clone(),
                validator,
                amount,
            })
        })
        .collect()
}

/// Every delegation, in (validator, delegator) order.
pub fn all_delegations(store: &dyn Storage) -> Result<Vec<Delegation>, StakingError> {
    DELEGATIONS
        .range(store, None, None, Order::Ascending)
        .map(|r| {
            let ((val, del), amount) = r?;
            Ok(Delegation {
                delegator: stored_addr(&del)?,
                validator: stored_addr(&val)?,
                amount: parse_stored(&amount, "delegation")?,
            })
        })
        .collect()
}

/// Stores a new unbonding entry with all its indexes.
pub fn save_new_unbonding(store: &mut dyn Storage, e: &UnbondingEntry) -> Result<(), StakingError> {
    UNBONDINGS.save(store, e.id, e)?;
    UNBONDING_QUEUE.save(store, (e.completion_height, e.id), &())?;
    UNBONDINGS_BY_VALIDATOR.save(store, (e.validator.as_str(), e.id), &())?;
    UNBONDINGS_BY_DELEGATOR.save(store, (e.delegator.as_str(), e.id), &())?;
    Ok(())
}

/// Removes an unbonding entry and its indexes.
pub fn remove_unbonding(store: &mut dyn Storage, e: &UnbondingEntry) {
    UNBONDINGS.remove(store, e.id);
    UNBONDING_QUEUE.remove(store, (e.completion_height, e.id));
    UNBONDING_TIME_QUEUE.remove(store, (e.completion_time, e.id));
    UNBONDINGS_BY_VALIDATOR.remove(store, (e.validator.as_str(), e.id));
    UNBONDINGS_BY_DELEGATOR.remove(store, (e.delegator.as_str(), e.id));
}

/// Allocates the next unbonding id.
pub fn next_unbonding_id(store: &mut dyn Storage) -> Result<u64, StakingError> {
    let id = NEXT_UNBONDING_ID.may_load(store)?.unwrap_or(0);
    let next = id
        .checked_add(1)
        .ok_or(StakingError::Overflow("unbonding id"))?;
    NEXT_UNBONDING_ID.save(store, &next)?;
    Ok(id)
}

/// Unbonding entries of `delegator`, in id order.
pub fn delegator_unbondings(
    store: &dyn Storage,
    delegator: &Address,
) -> Result<Vec<UnbondingEntry>, StakingError> {
    let ids: Vec<u64> = UNBONDINGS_BY_DELEGATOR
        .prefix(delegator.as_str())
        .keys(store, None, None, Order::Ascending)
        .collect::<Result<_, _>>()?;
    load_entries(store, &ids)
}

/// Unbonding entries from `validator`, in id order.
pub fn validator_unbondings(
    store: &dyn Storage,
    validator: &Address,
) -> Result<Vec<UnbondingEntry>, StakingError> {
    let ids: Vec<u64> = UNBONDINGS_BY_VALIDATOR
        .prefix(validator.as_str())
        .keys(store, None, None, Order::Ascending)
        .collect::<Result<_, _>>()?;
    load_entries(store, &ids)
}

fn load_entries(store: &dyn Storage, ids: &[u64]) -> Result<Vec<UnbondingEntry>, StakingError> {
    ids.iter()
        .map(|id| {
            UNBONDINGS
                .may_load(store, *id)?
                .ok_or_else(|| StakingError::Store(format!("unbonding index points at {id}")))
        })
        .collect()
}

/// Every unbonding entry, in id order.
pub fn all_unbondings(store: &dyn Storage) -> Result<Vec<UnbondingEntry>, StakingError> {
    UNBONDINGS
        .range(store, None, None, Order::Ascending)
        .map(|r| Ok(r?.1))
        .collect()
}

/// Entries due at or before `height`, in (height, id) order.
pub fn due_unbondings(
    store: &dyn Storage,
    height: u64,
) -> Result<Vec<UnbondingEntry>, StakingError> {
    let end = Bound::inclusive((height, u64::MAX));
    let keys: Vec<(u64, u64)> = UNBONDING_QUEUE
        .keys(store, None, Some(end), Order::Ascending)
        .collect::<Result<_, _>>()?;
    let ids: Vec<u64> = keys.into_iter().map(|(_, id)| id).collect();
    load_entries(store, &ids)
}

/// Moves an entry that is due by height but not by time from the height queue to the time
/// queue (each entry moves at most once, so end block never rescans waiting entries).
pub fn wait_for_completion_time(
    store: &mut dyn Storage,
    e: &UnbondingEntry,
) -> Result<(), StakingError> {
    UNBONDING_QUEUE.remove(store, (e.completion_height, e.id));
    Ok(UNBONDING_TIME_QUEUE.save(store, (e.completion_time, e.id), &())?)
}

/// Entries in the time queue due at or before `time` (Unix seconds), in (time, id) order.
pub fn due_by_time(store: &dyn Storage, time: i64) -> Result<Vec<UnbondingEntry>, StakingError> {
    let end = Bound::inclusive((time, u64::MAX));
    let keys: Vec<(i64, u64)> = UNBONDING_TIME_QUEUE
        .keys(store, None, Some(end), Order::Ascending)
        .collect::<Result<_, _>>()?;
    let ids: Vec<u64> = keys.into_iter().map(|(_, id)| id).collect();
    load_entries(store, &ids)
}

/// The active set as CometBFT has it: (operator, power) in operator order.
pub fn last_powers(store: &dyn Storage) -> Result<Vec<(Address, i64)>, StakingError> {
    LAST_POWERS
        .range(store, None, None, Order::Ascending)
        .map(|r| {
            let (op, p) = r?;
            Ok((stored_addr(&op)?, p))
        })
        .collect()
}

/// Bonded validators (in the active set) with their power, in operator order: what fees
/// distribution pays.
pub fn bonded_validators(store: &dyn Storage) -> Result<Vec<(Validator, i64)>, StakingError> {
    let mut out = Vec::new();
    for (op, power) in last_powers(store)? {
        if let Some(v) = get_validator(store, &op)? {
            out.push((v, power));
        }
    }
    Ok(out)
}

/// Marks a validator jailed; end block removes it from the active set.
pub fn jail(store: &mut dyn Storage, operator: &Address) -> Result<(), StakingError> {
    let mut v = must_get_validator(store, operator)?;
    v.jailed = true;
    save_validator(store, &v)
}

/// Clears a validator's jail flag (the caller checks the conditions); it rejoins the active
/// set at end block if its power ranks.
pub fn unjail(store: &mut dyn Storage, operator: &Address) -> Result<(), StakingError> {
    let mut v = must_get_validator(store, operator)?;
    v.jailed = false;
    save_validator(store, &v)
}

/// The operator's own delegation to its validator.
pub fn self_bond(store: &dyn Storage, operator: &Address) -> Result<u128, StakingError> {
    delegation(store, operator, operator)
}
