//! The active validator set: the top `max_validators` unjailed validators by power (ties by
//! operator address), diffed against what CometBFT has and sent as validator updates.
//!
//! Staking only manages validators it knows: CometBFT's own genesis validators (when the
//! staking genesis names none) are never touched.

use std::collections::BTreeMap;

use bls_core::{Context, Event, ValidatorUpdate};

use crate::error::StakingError;
use crate::events;
use crate::state::{self, consensus_address_key, Validator, CONS_INDEX, LAST_POWERS, SET_CHANGED};

/// The set staking wants: operator → (power, validator), deterministic.
pub fn target_set(
    store: &dyn cosmwasm_std::Storage,
) -> Result<BTreeMap<String, (i64, Validator)>, StakingError> {
    let p = state::params(store)?;
    let mut candidates: Vec<(i64, Validator)> = state::all_validators(store)?
        .into_iter()
        .map(|v| (v.power(), v))
        .filter(|(power, _)| *power > 0)
        .collect();
    // Power descending, then operator address ascending: the same order on every node.
    candidates.sort_by(|(pa, a), (pb, b)| pb.cmp(pa).then_with(|| a.operator.cmp(&b.operator)));
    let max = usize::try_from(p.max_validators).unwrap_or(usize::MAX);
    Ok(candidates
        .into_iter()
        .take(max)
        .map(|(power, v)| (v.operator.to_string(), (power, v)))
        .collect())
}

/// Recomputes the active set and pushes validator updates for what changed (new, re-powered,
/// removed with power 0). Nothing is pushed when nothing changed, and nothing is even read
/// when no validator record changed since the last computation ([`SET_CHANGED`]).
pub fn apply_validator_set(ctx: &mut Context<'_>) -> Result<(), StakingError> {
    if !SET_CHANGED.may_load(ctx.store)?.unwrap_or(false) {
        return Ok(());
    }
    let target = target_set(ctx.store)?;
    let last: BTreeMap<String, i64> = state::last_powers(ctx.store)?
        .into_iter()
        .map(|(a, p)| (a.to_string(), p))
        .collect();
    if target.is_empty() && !last.is_empty() && !others_in_last_commit(ctx)? {
        // Removing every validator CometBFT has would halt the chain: keep the last set until
        // some validator can take over (the set stays marked changed: retried next block).
        ctx.emit(Event::new(events::EMPTY_SET_AVOIDED).attr("validators", last.len()));
        return Ok(());
    }
    SET_CHANGED.remove(ctx.store);
    let mut changes: BTreeMap<String, (i64, Validator)> = BTreeMap::new();
    for (op, (power, v)) in &target {
        if last.get(op) != Some(power) {
            changes.insert(op.clone(), (*power, v.clone()));
        }
    }
    for op in last.keys() {
        if !target.contains_key(op) {
            // Validators are never deleted, so a member of the last set is always loadable.
            let v = state::VALIDATORS.load(ctx.store, op)?;
            changes.insert(op.clone(), (0, v));
        }
    }
    let bonded_power: u128 = target
        .values()
        .map(|(p, _)| u128::try_from(*p).unwrap_or(0))
        .sum();
    if bonded_power != crate::rewards::bonded_power(ctx.store)? {
        crate::rewards::BONDED_POWER.save(ctx.store, &bonded_power.to_string())?;
    }
    for (op, (power, v)) in changes {
        // What it earned at its old power is settled before the power changes.
        crate::rewards::settle_validator(ctx.store, &v.operator)?;
        if power == 0 {
            LAST_POWERS.remove(ctx.store, &op);
        } else {
            LAST_POWERS.save(ctx.store, &op, &power)?;
        }
        ctx.validator_updates.push(ValidatorUpdate {
            ed25519_pubkey: v.pubkey_bytes()?,
            power,
        });
        ctx.emit(
            Event::new(events::POWER_CHANGE)
                .attr("validator", &op)
                .attr("consensus_address", &v.consensus_address)
                .attr("power", power),
        );
    }
    Ok(())
}

/// True when the last commit has a vote from a validator staking does not manage (one of
/// CometBFT's genesis validators), which keeps consensus alive without staking's validators.
fn others_in_last_commit(ctx: &Context<'_>) -> Result<bool, StakingError> {
    for vote in &ctx.block.last_commit {
        if !CONS_INDEX.has(ctx.store, &consensus_address_key(&vote.validator_address)) {
            return Ok(true);
        }
    }
    Ok(false)
}
