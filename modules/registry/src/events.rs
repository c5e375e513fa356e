//! Event types emitted by the registry. The penalty, liveness and restitution events are built
//! only by their constructors here and emitted only by the registry's keepers
//! ([`crate::penalty`], [`crate::liveness`], [`crate::restitution`]): no other module spells
//! them.

use bls_core::{Address, Event};

/// A worker registered (`worker`, `role`, `region`, `bond`).
pub const WORKER_REGISTERED: &str = "bls.worker_registered";
/// A worker's fields changed (`worker`).
pub const WORKER_UPDATED: &str = "bls.worker_updated";
/// A worker started unbonding (`worker`, `completion_height`).
pub const WORKER_DEREGISTERED: &str = "bls.worker_deregistered";
/// A worker's bond was returned and its record removed (`worker`, `amount`).
pub const WORKER_UNBONDED: &str = "bls.worker_unbonded";
/// A worker's result key was rotated (`worker`, `pubkey` (the new key, hex), `height`); the old
/// key stays valid for what it signed and reserved while evidence can still reach it.
pub const WORKER_KEY_ROTATED: &str = "bls.worker_key_rotated";
/// A worker registered without an encryption key set one (`worker`, `pubkey` hex).
pub const WORKER_ENCRYPTION_KEY_SET: &str = "bls.worker_encryption_key_set";
/// A worker was unjailed (`worker`).
pub const WORKER_UNJAILED: &str = "bls.worker_unjailed";
/// A worker was slashed (`worker`, `amount`, `reason`): see [`worker_slashed`].
pub const WORKER_SLASHED: &str = "bls.worker_slashed";
/// A worker was jailed (`worker`, `until`, `reason`): see [`worker_jailed`].
pub const WORKER_JAILED: &str = "bls.worker_jailed";
/// A worker missed an assignment (`worker`, and `job_id` or `request_id`): see
/// [`worker_missed`].
pub const WORKER_MISSED: &str = "bls.worker_missed";
/// Bond was added to a worker by `MsgBondWorker` (`worker`, `amount`, `bond`).
pub const WORKER_BONDED: &str = "bls.worker_bonded";
/// Part of a worker's bond started unbonding (`worker`, `amount`, `start_height`,
/// `completion_height`).
pub const WORKER_UNBOND_STARTED: &str = "bls.worker_unbond_started";
/// A partial unbonding completed and was returned to the operator (`worker`, `amount`).
pub const WORKER_UNBOND_COMPLETED: &str = "bls.worker_unbond_completed";
/// Part of a worker's bond was paid to an account it harmed (`worker`, `to`, `amount`,
/// `reason`): see [`worker_restitution`].
pub const WORKER_RESTITUTION: &str = "bls.worker_restitution";

/// `bls.worker_slashed`: `amount` ubls (bond and slashable unbonding entries together) was
/// burnt from `worker`'s stake for `reason`.
pub fn worker_slashed(worker: &Address, amount: u128, reason: &str) -> Event {
    Event::new(WORKER_SLASHED)
        .attr("worker", worker)
        .attr("amount", amount)
        .attr("reason", reason)
}

/// `bls.worker_jailed`: `worker` is out of placement and assignment until height `until`
/// (then `MsgUnjailWorker`), for `reason`.
pub fn worker_jailed(worker: &Address, until: u64, reason: &str) -> Event {
    Event::new(WORKER_JAILED)
        .attr("worker", worker)
        .attr("until", until)
        .attr("reason", reason)
}

/// `bls.worker_missed`: `worker` did not answer `duty` (a liveness miss).
pub fn worker_missed(worker: &Address, duty: &crate::liveness::Duty) -> Event {
    let e = Event::new(WORKER_MISSED).attr("worker", worker);
    match duty {
        crate::liveness::Duty::Job(id) => e.attr("job_id", id),
        crate::liveness::Duty::Request(id) => e.attr("request_id", id),
    }
}

/// `bls.worker_restitution`: `amount` ubls of `worker`'s bond was paid to `to`, an account it
/// harmed, for `reason` ([`crate::restitution::pay_from_bond`]).
pub fn worker_restitution(worker: &Address, to: &Address, amount: u128, reason: &str) -> Event {
    Event::new(WORKER_RESTITUTION)
        .attr("worker", worker)
        .attr("to", to)
        .attr("amount", amount)
        .attr("reason", reason)
}
