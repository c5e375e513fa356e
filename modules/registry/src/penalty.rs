//! The penalty rule: how a worker's stake answers for misbehaviour another module has proved
//! (a dissenting or withheld on-chain result, fast-path evidence).
//!
//! - **Slash** burns a fraction of the worker's bond and of every partial unbonding entry
//!   that began unbonding at or after the infraction height (an entry begun earlier had left
//!   the bond before the infraction, as in the Cosmos SDK; an entry of unknown start counts
//!   as later). Pass 0 as the infraction height when it is unknown: every entry still in
//!   flight is then cut, so a worker cannot sign a false result, unbond and escape before
//!   the proof lands. The burn is accounted in the worker's and the chain's `slashed_total`.
//! - **Jail** takes the worker out of placement and assignment until a height (extending,
//!   never shortening, a running jail); `MsgUnjailWorker` returns it afterwards if its bond
//!   still meets the minimum. An unbonding worker stays unbonding (it is leaving anyway and
//!   its stake stays slashable until it is returned).
//!
//! These keepers are the only door to a worker's stake and status for other modules: they
//! take the context and emit `bls.worker_slashed` / `bls.worker_jailed` themselves
//! ([`crate::events`]), so no caller builds a registry event.

use bls_core::amount::mul_bps;
use bls_core::{Address, Context};

use crate::error::RegistryError;
use crate::events;
use crate::state::{
    self, bonds_account, slashed_total, UnbondingEntry, WorkerStatus, SLASHED_TOTAL,
};

/// Longest penalty reason kept on the worker record.
const MAX_REASON_CHARS: usize = 256;

/// A proven infraction and what it costs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Infraction<'a> {
    /// Fraction of the stake slashed, basis points (capped at 10000).
    pub fraction_bps: u32,
    /// Earliest height the infraction can have happened (0: unknown).
    pub height: u64,
    /// Blocks the worker is jailed from now.
    pub jail_blocks: u64,
    /// Why (recorded on the worker and in the events).
    pub reason: &'a str,
}

/// What [`punish`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Penalty {
    /// ubls burnt from the bond and unbonding entries.
    pub slashed: u128,
    /// Height until which the worker is jailed (`None`: it is unbonding, not jailed).
    pub jailed_until: Option<u64>,
}

/// Slashes and jails `worker` for `infraction`: one `bls.worker_slashed` event, and one
/// `bls.worker_jailed` event unless the worker is unbonding.
pub fn punish(
    ctx: &mut Context<'_>,
    worker: &Address,
    infraction: &Infraction<'_>,
) -> Result<Penalty, RegistryError> {
    let slashed = slash(
        ctx,
        worker,
        infraction.fraction_bps,
        infraction.height,
        infraction.reason,
    )?;
    let until = ctx.block.height.saturating_add(infraction.jail_blocks);
    let jailed_until = jail(ctx, worker, until, infraction.reason)?;
    Ok(Penalty {
        slashed,
        jailed_until,
    })
}

/// Slashes `fraction_bps` (basis points, capped at 10000) of the worker's stake for an
/// infraction at `infraction_height` (0: unknown), burns it and emits `bls.worker_slashed`.
/// Returns the amount slashed.
pub fn slash(
    ctx: &mut Context<'_>,
    worker: &Address,
    fraction_bps: u32,
    infraction_height: u64,
    reason: &str,
) -> Result<u128, RegistryError> {
    let amount = slash_stake(ctx, worker, fraction_bps, infraction_height, reason)?;
    ctx.emit(events::worker_slashed(worker, amount, reason));
    Ok(amount)
}

/// Jails the worker until `until_height` (extends, never shortens, an existing jail) and
/// emits `bls.worker_jailed`. An unbonding worker stays unbonding and nothing is emitted.
/// Returns the height the worker is jailed until, or `None` when it is unbonding.
pub fn jail(
    ctx: &mut Context<'_>,
    worker: &Address,
    until_height: u64,
    reason: &str,
) -> Result<Option<u64>, RegistryError> {
    let mut w = state::must_get_worker(ctx.store, worker)?;
    match w.status {
        WorkerStatus::Unbonding => return Ok(None),
        WorkerStatus::Jailed => w.jailed_until = w.jailed_until.max(until_height),
        WorkerStatus::Active => {
            w.status = WorkerStatus::Jailed;
            w.jailed_until = until_height;
        }
    }
    w.last_penalty = truncate(reason);
    state::save_worker(ctx.store, &w)?;
    ctx.emit(events::worker_jailed(worker, w.jailed_until, reason));
    Ok(Some(w.jailed_until))
}

/// True when an unbonding entry is still at stake for an infraction at `infraction_height`:
/// it started unbonding at or after that height (the Cosmos SDK rule), or its start is unknown
/// (0, see [`UnbondingEntry::start_height`]).
pub fn entry_slashable(e: &UnbondingEntry, infraction_height: u64) -> bool {
    e.start_height == 0 || e.start_height >= infraction_height
}

fn slash_stake(
    ctx: &mut Context<'_>,
    worker: &Address,
    fraction_bps: u32,
    infraction_height: u64,
    reason: &str,
) -> Result<u128, RegistryError> {
    let mut w = state::must_get_worker(ctx.store, worker)?;
    let mut amount = mul_bps(w.bond, fraction_bps);
    w.bond = w.bond.saturating_sub(amount);
    for e in &mut w.unbonding {
        if !entry_slashable(e, infraction_height) {
            continue;
        }
        let cut = mul_bps(e.amount, fraction_bps);
        e.amount = e.amount.saturating_sub(cut);
        amount = amount.saturating_add(cut);
    }
    if amount > 0 {
        bls_bank::keeper::burn_ubls(ctx, &bonds_account(), amount)?;
        w.slashed_total = w.slashed_total.saturating_add(amount);
        let total = slashed_total(ctx.store)?.saturating_add(amount);
        SLASHED_TOTAL.save(ctx.store, &total.to_string())?;
    }
    w.last_penalty = truncate(reason);
    state::save_worker(ctx.store, &w)?;
    Ok(amount)
}

fn truncate(s: &str) -> String {
    s.chars().take(MAX_REASON_CHARS).collect()
}
