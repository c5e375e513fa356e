//! Event types emitted by the registry.

/// A worker registered (`worker`, `role`, `region`, `bond`).
pub const WORKER_REGISTERED: &str = "bls.worker_registered";
/// A worker's fields changed (`worker`).
pub const WORKER_UPDATED: &str = "bls.worker_updated";
/// A worker started unbonding (`worker`, `completion_height`).
pub const WORKER_DEREGISTERED: &str = "bls.worker_deregistered";
/// A worker's bond was returned and its record removed (`worker`, `amount`).
pub const WORKER_UNBONDED: &str = "bls.worker_unbonded";
/// A worker was unjailed (`worker`).
pub const WORKER_UNJAILED: &str = "bls.worker_unjailed";
/// A worker was slashed (`worker`, `amount`, `reason`). Emitted by the caller of
/// [`crate::state::slash_worker`].
pub const WORKER_SLASHED: &str = "bls.worker_slashed";
/// A worker was jailed (`worker`, `until`, `reason`). Emitted by the caller.
pub const WORKER_JAILED: &str = "bls.worker_jailed";
/// Bond was added to a worker by `MsgBondWorker` (`worker`, `amount`, `bond`).
pub const WORKER_BONDED: &str = "bls.worker_bonded";
/// Part of a worker's bond started unbonding (`worker`, `amount`, `start_height`,
/// `completion_height`).
pub const WORKER_UNBOND_STARTED: &str = "bls.worker_unbond_started";
/// A partial unbonding completed and was returned to the operator (`worker`, `amount`).
pub const WORKER_UNBOND_COMPLETED: &str = "bls.worker_unbond_completed";
/// Part of a worker's bond was paid to an account it harmed (`worker`, `to`, `amount`,
/// `reason`): see [`crate::restitution::pay_from_bond`].
pub const WORKER_RESTITUTION: &str = "bls.worker_restitution";
