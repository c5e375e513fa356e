//! The liveness rule: a worker answers for showing up.
//!
//! Every assignment a worker settles counts in a sliding window of its last
//! `signed_jobs_window` assignments, as an answer or as a miss (a missing commit, a missing
//! reveal, or an answer that only its own machine could have produced, such as a timeout the
//! others did not hit). When the window is full and holds fewer than
//! `min_answered_per_window` answers, an active worker is jailed for `jail_blocks` through
//! [`crate::penalty::jail`] and its window starts over. Unjailing and unbonding also clear
//! the window. The window is a bitmap of missed slots, so recording is O(1).
//!
//! These keepers take the context and emit `bls.worker_missed` (and, when a miss jails,
//! `bls.worker_jailed`) themselves.

use bls_core::{Address, Context};
use cosmwasm_std::{Order, Storage};

use crate::error::RegistryError;
use crate::events;
use crate::penalty;
use crate::state::{self, Liveness, WorkerStatus, LIVENESS, MISSED};

/// Why the liveness rule jails (recorded on the worker and in `bls.worker_jailed`).
pub const JAIL_REASON: &str = "liveness: too many missed assignments";

/// The assignment a miss is about (named in `bls.worker_missed`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Duty {
    /// An on-chain job (attribute `job_id`).
    Job(u64),
    /// A fast-path request (attribute `request_id`, hex).
    Request(String),
}

/// Records an answered assignment in the worker's window.
pub fn record_answer(ctx: &mut Context<'_>, worker: &Address) -> Result<(), RegistryError> {
    record(ctx, worker, true).map(|_| ())
}

/// Records a missed assignment and emits `bls.worker_missed`. Returns `Some(jailed_until)`
/// when this miss jailed the worker (fewer than `min_answered_per_window` answers in a full
/// window; `bls.worker_jailed` is emitted too).
pub fn record_miss(
    ctx: &mut Context<'_>,
    worker: &Address,
    duty: &Duty,
) -> Result<Option<u64>, RegistryError> {
    let jailed = record(ctx, worker, false)?;
    ctx.emit(events::worker_missed(worker, duty));
    if let Some(until) = jailed {
        penalty::jail(ctx, worker, until, JAIL_REASON)?;
    }
    Ok(jailed)
}

/// The worker's window counters (zero when nothing is recorded).
pub fn counters(store: &dyn Storage, worker: &Address) -> Result<Liveness, RegistryError> {
    Ok(LIVENESS
        .may_load(store, worker.as_str())?
        .unwrap_or_default())
}

/// Clears a worker's window (after a jail, on unjail and on unbonding).
pub(crate) fn reset(store: &mut dyn Storage, worker: &Address) -> Result<(), RegistryError> {
    let id = worker.as_str();
    let slots: Vec<u64> = MISSED
        .prefix(id)
        .keys(store, None, None, Order::Ascending)
        .collect::<Result<_, _>>()?;
    for s in slots {
        MISSED.remove(store, (id, s));
    }
    LIVENESS.remove(store, id);
    Ok(())
}

/// Updates the window; returns the height to jail until when the worker falls below the
/// bar (the window is then reset).
fn record(
    ctx: &mut Context<'_>,
    worker: &Address,
    answered: bool,
) -> Result<Option<u64>, RegistryError> {
    let store = &mut *ctx.store;
    let w = state::must_get_worker(store, worker)?;
    let p = state::params(store)?;
    let window = p.signed_jobs_window.max(1);
    let id = worker.as_str();
    let mut live = LIVENESS.may_load(store, id)?.unwrap_or_default();
    let slot = live.index % window;
    let was_missed = MISSED.has(store, (id, slot));
    if !answered && !was_missed {
        MISSED.save(store, (id, slot), &())?;
        live.missed = live.missed.saturating_add(1);
    } else if answered && was_missed {
        MISSED.remove(store, (id, slot));
        live.missed = live.missed.saturating_sub(1);
    }
    live.index = live.index.saturating_add(1);
    let answered_in_window = window.saturating_sub(live.missed);
    let below = live.index >= window && answered_in_window < p.min_answered_per_window;
    if below && w.status == WorkerStatus::Active {
        reset(store, worker)?;
        return Ok(Some(ctx.block.height.saturating_add(p.jail_blocks)));
    }
    LIVENESS.save(store, id, &live)?;
    Ok(None)
}
