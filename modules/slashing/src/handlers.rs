//! Begin-block evidence and downtime handling, and `MsgUnjail`.

use bls_core::{Address, Coin, Context, Event, Misbehavior, VoteInfo};
use bls_staking::state as staking;

use crate::error::SlashingError;
use crate::events;
use crate::msgs::{MsgUnjail, MsgUnjailResponse};
use crate::state::{self, MISSED};

fn parse_addr(field: &'static str, s: &str) -> Result<Address, SlashingError> {
    Address::parse(s).map_err(|e| SlashingError::InvalidField {
        field,
        reason: e.to_string(),
    })
}

/// Begin block: double-sign evidence first (it tombstones), then the last commit's votes.
pub fn begin_block(ctx: &mut Context<'_>) -> Result<(), SlashingError> {
    let evidence = ctx.block.misbehavior.clone();
    for m in &evidence {
        handle_evidence(ctx, m)?;
    }
    let votes = ctx.block.last_commit.clone();
    for v in &votes {
        handle_vote(ctx, v)?;
    }
    Ok(())
}

/// Double sign: slash `slash_fraction_double_sign` (unbonding entries from the offence height
/// on included), jail, tombstone. Unknown or already tombstoned validators and light-client
/// attacks are ignored (with an event).
pub fn handle_evidence(ctx: &mut Context<'_>, m: &Misbehavior) -> Result<(), SlashingError> {
    let cons = staking::consensus_address_key(&m.validator_address);
    let ignore = |ctx: &mut Context<'_>, reason: &str| {
        ctx.emit(
            Event::new(events::EVIDENCE_IGNORED)
                .attr("consensus_address", &cons)
                .attr("reason", reason),
        );
    };
    if !m.duplicate_vote {
        ignore(ctx, "not duplicate-vote evidence");
        return Ok(());
    }
    let Some(v) = staking::validator_by_consensus_address(ctx.store, &m.validator_address)? else {
        ignore(ctx, "validator not managed by staking");
        return Ok(());
    };
    let p = state::params(ctx.store)?;
    let mut info = state::signing_info_or_new(ctx.store, &cons, ctx.block.height)?;
    if info.tombstoned {
        ignore(ctx, "validator already tombstoned");
        return Ok(());
    }
    let out = bls_staking::slash::slash(ctx, &v.operator, m.height, p.slash_fraction_double_sign)?;
    staking::jail(ctx.store, &v.operator)?;
    info.tombstoned = true;
    info.jailed_until = u64::MAX;
    state::save_signing_info(ctx.store, &info)?;
    ctx.emit(
        Event::new(events::SLASH)
            .attr("validator", &v.operator)
            .attr("consensus_address", &cons)
            .attr("reason", events::REASON_DOUBLE_SIGN)
            .attr("burned", Coin::ubls(out.total()))
            .attr("infraction_height", m.height)
            .attr("jailed_until", info.jailed_until),
    );
    Ok(())
}

/// One vote of the last commit: slides the validator's window; too many misses in a full
/// window slashes `slash_fraction_downtime`, jails for `downtime_jail_blocks` and resets the
/// window.
pub fn handle_vote(ctx: &mut Context<'_>, vote: &VoteInfo) -> Result<(), SlashingError> {
    let Some(v) = staking::validator_by_consensus_address(ctx.store, &vote.validator_address)?
    else {
        return Ok(());
    };
    if v.jailed {
        // Still in CometBFT's set for a block or two after jailing: do not count it.
        return Ok(());
    }
    let p = state::params(ctx.store)?;
    let cons = staking::consensus_address_key(&vote.validator_address);
    let height = ctx.block.height;
    let mut info = state::signing_info_or_new(ctx.store, &cons, height)?;
    let slot = info.index_offset % p.signed_blocks_window;
    let was_missed = MISSED.has(ctx.store, (cons.as_str(), slot));
    let missed = !vote.signed;
    if missed && !was_missed {
        MISSED.save(ctx.store, (cons.as_str(), slot), &())?;
        info.missed_blocks_counter = info.missed_blocks_counter.saturating_add(1);
    } else if !missed && was_missed {
        MISSED.remove(ctx.store, (cons.as_str(), slot));
        info.missed_blocks_counter = info.missed_blocks_counter.saturating_sub(1);
    }
    info.index_offset = info.index_offset.saturating_add(1);
    let window_full = info.index_offset >= p.signed_blocks_window;
    if window_full && info.missed_blocks_counter > p.max_missed() {
        let missed_blocks = info.missed_blocks_counter;
        let out = bls_staking::slash::slash(ctx, &v.operator, height, p.slash_fraction_downtime)?;
        staking::jail(ctx.store, &v.operator)?;
        state::clear_missed(ctx.store, &cons)?;
        info.missed_blocks_counter = 0;
        info.index_offset = 0;
        info.start_height = height;
        info.jailed_until = height.saturating_add(p.downtime_jail_blocks);
        ctx.emit(
            Event::new(events::LIVENESS)
                .attr("validator", &v.operator)
                .attr("consensus_address", &cons)
                .attr("missed_blocks", missed_blocks),
        );
        ctx.emit(
            Event::new(events::SLASH)
                .attr("validator", &v.operator)
                .attr("consensus_address", &cons)
                .attr("reason", events::REASON_DOWNTIME)
                .attr("burned", Coin::ubls(out.total()))
                .attr("infraction_height", height)
                .attr("jailed_until", info.jailed_until),
        );
    }
    state::save_signing_info(ctx.store, &info)
}

/// `MsgUnjail`: the operator returns its validator to the candidate set.
pub fn unjail(ctx: &mut Context<'_>, msg: &MsgUnjail) -> Result<MsgUnjailResponse, SlashingError> {
    let signer = parse_addr("operator", &msg.operator)?;
    let id = parse_addr("validator", &msg.validator)?;
    let v = staking::must_get_validator(ctx.store, &id)?;
    if v.operator != signer {
        return Err(SlashingError::WrongOperator {
            validator: id.to_string(),
            operator: v.operator.to_string(),
            signer: signer.to_string(),
        });
    }
    if !v.jailed {
        return Err(SlashingError::NotJailed(id.to_string()));
    }
    let info = state::signing_info(ctx.store, &v.consensus_address)?;
    if let Some(info) = &info {
        if info.tombstoned {
            return Err(SlashingError::Tombstoned(id.to_string()));
        }
        if ctx.block.height < info.jailed_until {
            return Err(SlashingError::UnjailTooEarly {
                validator: id.to_string(),
                until: info.jailed_until,
                height: ctx.block.height,
            });
        }
    }
    let min = staking::params(ctx.store)?.min_self_bond;
    let have = staking::self_bond(ctx.store, &v.operator)?;
    if have < min {
        return Err(SlashingError::NotEnoughSelfBond {
            validator: id.to_string(),
            have: Coin::ubls(have).to_string(),
            need: Coin::ubls(min).to_string(),
        });
    }
    staking::unjail(ctx.store, &id)?;
    ctx.emit(Event::new(events::UNJAIL).attr("validator", &id));
    Ok(MsgUnjailResponse {})
}
