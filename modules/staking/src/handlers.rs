//! Message handlers, the unbonding queue and the end-block hook.

use bls_core::{Address, Coin, Context, Event};
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;

use crate::error::{invalid, StakingError};
use crate::events;
use crate::msgs::{
    MsgCreateValidator, MsgCreateValidatorResponse, MsgDelegate, MsgDelegateResponse,
    MsgEditValidator, MsgEditValidatorResponse, MsgUndelegate, MsgUndelegateResponse,
};
use crate::params::Params;
use crate::state::{
    self, bonded_pool, consensus_address, unbonding_pool, UnbondingEntry, Validator, CONS_INDEX,
    VALIDATORS,
};
use crate::valset;
use crate::{consensus_keys, evidence_age};

/// Longest moniker, in bytes.
pub const MAX_MONIKER: usize = 70;
/// Length of an ed25519 public key.
pub const ED25519_PUBKEY_LEN: usize = 32;

pub(crate) fn parse_addr(field: &'static str, s: &str) -> Result<Address, StakingError> {
    Address::parse(s).map_err(|e| invalid(field, e.to_string()))
}

/// Checks a moniker: 1..=70 bytes, no control characters.
pub fn validate_moniker(s: &str) -> Result<(), StakingError> {
    if s.trim().is_empty() || s.len() > MAX_MONIKER || s.chars().any(char::is_control) {
        return Err(invalid(
            "moniker",
            format!("must be 1..={MAX_MONIKER} bytes without control characters"),
        ));
    }
    Ok(())
}

/// Checks an ed25519 consensus key's length (CometBFT accepts any 32 bytes as a key).
pub fn validate_consensus_pubkey(pk: &[u8]) -> Result<(), StakingError> {
    if pk.len() != ED25519_PUBKEY_LEN {
        return Err(invalid(
            "consensus_pubkey",
            format!(
                "expected {ED25519_PUBKEY_LEN} bytes of ed25519 key, got {}",
                pk.len()
            ),
        ));
    }
    Ok(())
}

fn validate_commission(bps: u32, p: &Params) -> Result<(), StakingError> {
    if bps > p.max_commission_bps {
        return Err(invalid(
            "commission_bps",
            format!("{bps} exceeds max_commission_bps {}", p.max_commission_bps),
        ));
    }
    Ok(())
}

/// Parses a positive `ubls` amount.
fn parse_ubls(field: &'static str, c: Option<&ProtoCoin>) -> Result<u128, StakingError> {
    let c = c.ok_or_else(|| invalid(field, "required"))?;
    let amount = bls_core::coins::ubls_amount(&c.denom, &c.amount)
        .map_err(|e| invalid(field, e.to_string()))?;
    if amount == 0 {
        return Err(invalid(field, "must be positive"));
    }
    Ok(amount)
}

/// Creates a validator and bonds its self-delegation.
pub fn create_validator(
    ctx: &mut Context<'_>,
    msg: &MsgCreateValidator,
) -> Result<MsgCreateValidatorResponse, StakingError> {
    let p = state::params(ctx.store)?;
    let operator = parse_addr("operator", &msg.operator)?;
    validate_consensus_pubkey(&msg.consensus_pubkey)?;
    validate_moniker(&msg.moniker)?;
    validate_commission(msg.commission_bps, &p)?;
    let bond = parse_ubls("self_bond", msg.self_bond.as_ref())?;
    if bond < p.min_self_bond {
        return Err(StakingError::NotEnoughBond {
            have: Coin::ubls(bond).to_string(),
            need: Coin::ubls(p.min_self_bond).to_string(),
        });
    }
    if VALIDATORS.has(ctx.store, operator.as_str()) {
        return Err(StakingError::DuplicateValidator(format!(
            "operator {operator} already runs a validator"
        )));
    }
    let cons = consensus_address(&msg.consensus_pubkey);
    consensus_keys::ensure_unused(ctx.store, ctx.block, &cons)?;
    bls_bank::keeper::send_ubls(ctx, &operator, &bonded_pool(), bond)?;
    let v = Validator {
        operator: operator.clone(),
        consensus_pubkey: hex::encode(&msg.consensus_pubkey),
        consensus_address: cons.clone(),
        moniker: msg.moniker.clone(),
        commission_bps: msg.commission_bps,
        tokens: bond,
        jailed: false,
        created_height: ctx.block.height,
    };
    state::save_validator(ctx.store, &v)?;
    CONS_INDEX.save(ctx.store, &cons, &operator.to_string())?;
    state::set_delegation(ctx.store, &operator, &operator, bond)?;
    ctx.emit(
        Event::new(events::CREATE_VALIDATOR)
            .attr("validator", &operator)
            .attr("consensus_address", &cons)
            .attr("amount", Coin::ubls(bond)),
    );
    Ok(MsgCreateValidatorResponse {
        consensus_address: cons,
    })
}

/// Changes moniker and/or commission; only the operator may.
pub fn edit_validator(
    ctx: &mut Context<'_>,
    msg: &MsgEditValidator,
) -> Result<MsgEditValidatorResponse, StakingError> {
    let p = state::params(ctx.store)?;
    let signer = parse_addr("operator", &msg.operator)?;
    let id = parse_addr("validator", &msg.validator)?;
    let mut v = state::must_get_validator(ctx.store, &id)?;
    if v.operator != signer {
        return Err(StakingError::WrongOperator {
            validator: id.to_string(),
            operator: v.operator.to_string(),
            signer: signer.to_string(),
        });
    }
    if !msg.moniker.is_empty() {
        validate_moniker(&msg.moniker)?;
        v.moniker = msg.moniker.clone();
    }
    if let Some(bps) = msg.commission_bps {
        validate_commission(bps, &p)?;
        v.commission_bps = bps;
    }
    state::save_validator(ctx.store, &v)?;
    ctx.emit(
        Event::new(events::EDIT_VALIDATOR)
            .attr("validator", &v.operator)
            .attr("commission_bps", v.commission_bps)
            .attr("moniker", &v.moniker),
    );
    Ok(MsgEditValidatorResponse {})
}

/// Bonds more coins to a validator.
pub fn delegate(
    ctx: &mut Context<'_>,
    msg: &MsgDelegate,
) -> Result<MsgDelegateResponse, StakingError> {
    let delegator = parse_addr("delegator", &msg.delegator)?;
    let val = parse_addr("validator", &msg.validator)?;
    let amount = parse_ubls("amount", msg.amount.as_ref())?;
    let mut v = state::must_get_validator(ctx.store, &val)?;
    let have = state::delegation(ctx.store, &val, &delegator)?;
    let new_del = have
        .checked_add(amount)
        .ok_or(StakingError::Overflow("delegation"))?;
    v.tokens = v
        .tokens
        .checked_add(amount)
        .ok_or(StakingError::Overflow("validator tokens"))?;
    bls_bank::keeper::send_ubls(ctx, &delegator, &bonded_pool(), amount)?;
    state::set_delegation(ctx.store, &val, &delegator, new_del)?;
    state::save_validator(ctx.store, &v)?;
    ctx.emit(
        Event::new(events::DELEGATE)
            .attr("delegator", &delegator)
            .attr("validator", &val)
            .attr("amount", Coin::ubls(amount)),
    );
    Ok(MsgDelegateResponse {})
}

/// Starts unbonding part of a delegation; an operator whose self-bond falls below
/// `min_self_bond` is jailed.
pub fn undelegate(
    ctx: &mut Context<'_>,
    msg: &MsgUndelegate,
) -> Result<MsgUndelegateResponse, StakingError> {
    let p = state::params(ctx.store)?;
    let delegator = parse_addr("delegator", &msg.delegator)?;
    let val = parse_addr("validator", &msg.validator)?;
    let amount = parse_ubls("amount", msg.amount.as_ref())?;
    let mut v = state::must_get_validator(ctx.store, &val)?;
    let have = state::delegation(ctx.store, &val, &delegator)?;
    if have == 0 {
        return Err(StakingError::UnknownDelegation {
            delegator: delegator.to_string(),
            validator: val.to_string(),
        });
    }
    if amount > have {
        return Err(StakingError::InsufficientDelegation {
            have: Coin::ubls(have).to_string(),
            need: Coin::ubls(amount).to_string(),
        });
    }
    let pending = state::delegator_unbondings(ctx.store, &delegator)?
        .iter()
        .filter(|e| e.validator == val)
        .count();
    if pending >= usize::try_from(p.max_unbonding_entries).unwrap_or(usize::MAX) {
        return Err(StakingError::TooManyUnbondingEntries {
            delegator: delegator.to_string(),
            validator: val.to_string(),
            max: p.max_unbonding_entries,
        });
    }
    let left = have - amount;
    v.tokens = v
        .tokens
        .checked_sub(amount)
        .ok_or_else(|| StakingError::Store("delegation exceeds validator tokens".into()))?;
    let low_self_bond = delegator == v.operator && left < p.min_self_bond;
    let newly_jailed = low_self_bond && !v.jailed;
    if low_self_bond {
        v.jailed = true;
    }
    let completion = ctx
        .block
        .height
        .checked_add(p.unbonding_blocks)
        .ok_or(StakingError::Overflow("completion height"))?;
    let completion_time = evidence_age::completion_time(ctx.store, ctx.block)?;
    bls_bank::keeper::send_ubls(ctx, &bonded_pool(), &unbonding_pool(), amount)?;
    state::set_delegation(ctx.store, &val, &delegator, left)?;
    state::save_validator(ctx.store, &v)?;
    let id = state::next_unbonding_id(ctx.store)?;
    state::save_new_unbonding(
        ctx.store,
        &UnbondingEntry {
            id,
            delegator: delegator.clone(),
            validator: val.clone(),
            creation_height: ctx.block.height,
            completion_height: completion,
            completion_time,
            initial_balance: amount,
            balance: amount,
        },
    )?;
    ctx.emit(
        Event::new(events::UNBOND)
            .attr("delegator", &delegator)
            .attr("validator", &val)
            .attr("amount", Coin::ubls(amount))
            .attr("completion_height", completion)
            .attr("completion_time", completion_time),
    );
    if newly_jailed {
        ctx.emit(Event::new(events::JAIL_LOW_SELF_BOND).attr("validator", &val));
    }
    Ok(MsgUndelegateResponse {
        completion_height: completion,
        unbonding_id: id,
        completion_time,
    })
}

/// Returns the coins of every unbonding entry due at this block (what a slash left of them):
/// at or past both its completion height and its completion time ([`evidence_age`]). An entry
/// due by height but not yet by time moves to the time queue and completes there.
pub fn complete_unbondings(ctx: &mut Context<'_>) -> Result<(), StakingError> {
    let now = ctx.block.time_secs;
    let mut due = Vec::new();
    for e in state::due_unbondings(ctx.store, ctx.block.height)? {
        if e.completion_time <= now {
            due.push(e);
        } else {
            state::wait_for_completion_time(ctx.store, &e)?;
        }
    }
    due.extend(state::due_by_time(ctx.store, now)?);
    for e in due {
        if e.balance > 0 {
            bls_bank::keeper::send_ubls(ctx, &unbonding_pool(), &e.delegator, e.balance)?;
        }
        state::remove_unbonding(ctx.store, &e);
        ctx.emit(
            Event::new(events::COMPLETE_UNBONDING)
                .attr("delegator", &e.delegator)
                .attr("validator", &e.validator)
                .attr("amount", Coin::ubls(e.balance)),
        );
    }
    Ok(())
}

/// End block: matured unbondings, then the validator set.
pub fn end_block(ctx: &mut Context<'_>) -> Result<(), StakingError> {
    complete_unbondings(ctx)?;
    valset::apply_validator_set(ctx)
}
