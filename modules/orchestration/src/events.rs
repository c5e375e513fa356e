//! Event types emitted by orchestration (attributes listed per event). Penalty and liveness
//! events (`bls.worker_slashed`, `bls.worker_jailed`, `bls.worker_missed`) are the registry's,
//! emitted by its keepers ([`bls_registry::events`]).

/// `function_id`, `owner`, `code_hash`, `code_on_chain`, `version`.
pub const FUNCTION_DEPLOYED: &str = "bls.function_deployed";
/// `function_id`, `code_hash`, `code_on_chain`, `version`.
pub const FUNCTION_UPDATED: &str = "bls.function_updated";
/// `function_id`.
pub const FUNCTION_RETIRED: &str = "bls.function_retired";
/// `function_id`, `workers` (comma-separated): the subnetwork was placed or repaired.
pub const SUBNETWORK_PLACED: &str = "bls.subnetwork_placed";
/// `function_id`, `dropped` (comma-separated members no longer Active or no longer fitting),
/// `workers` (the repaired subnetwork): begin block re-placed a subnetwork (follows the
/// `bls.subnetwork_placed` the repair emits).
pub const SUBNETWORK_REPAIRED: &str = "bls.subnetwork_repaired";
/// `job_id`, `function_id`, `round`, `assign_height`: the job (a new invoke, or a job whose
/// round failed) waits for the begin block of `assign_height` to draw its workers.
pub const JOB_QUEUED: &str = "bls.job_queued";
/// `job_id`, `function_id`, `code_hash` (hex), `workers` (comma-separated), `round`, `seed`,
/// `height` (of the invoke), `time_secs`, `time_nanos`, `commit_deadline`. A block event of
/// the begin block after the invoke, and after every failed round.
pub const JOB_ASSIGNED: &str = "bls.job_assigned";
/// `job_id`, `round`, `reason`: the previous round failed and the job was queued for the
/// next one (followed by `bls.job_queued`, and in the next block `bls.job_assigned` or
/// `bls.job_failed`).
pub const JOB_REASSIGNED: &str = "bls.job_reassigned";
/// `job_id`, `worker`, `reason` (`code_unavailable`, `code_mismatch`, `code_invalid`),
/// `detail`: an assigned worker declined its slot of a job whose code is not on chain (not
/// missed, not paid, not slashed).
pub const JOB_DECLINED: &str = "bls.job_declined";
/// `job_id`, `worker`.
pub const JOB_COMMITTED: &str = "bls.job_committed";
/// `job_id`, `reveal_deadline`: commits closed; assigned workers that committed may reveal.
pub const JOB_REVEALS_OPEN: &str = "bls.job_reveals_open";
/// `job_id`, `worker`, `result_hash`.
pub const JOB_REVEALED: &str = "bls.job_revealed";
/// `job_id`, `result_hash`, `workers` (agreeing so far), `fee`: `m` identical results; the
/// result is final and queryable. Settlement follows (`bls.job_settled`).
pub const JOB_FINALIZED: &str = "bls.job_finalized";
/// `job_id`, `workers` (every agreeing worker, each paid `per_worker`), `fee`, `per_worker`,
/// `burn`, `community`, `refund`: a finalized job was settled in end block (every committer
/// revealed, or the reveal window closed).
pub const JOB_SETTLED: &str = "bls.job_settled";
/// `job_id`, `reason`, `refund`.
pub const JOB_FAILED: &str = "bls.job_failed";
/// `job_id`, `deadline`, `error`, `refunded`: processing a job's due deadline failed; its
/// writes were dropped and the job failed with a refund (`refunded = true`) or, when even that
/// failed, was left as it was. Every other due job went on. A bug if it ever appears.
pub const JOB_DEADLINE_FAILED: &str = "bls.job_deadline_failed";
/// `job_id`, `error`, `refunded`: assigning a queued job failed; its writes were dropped and
/// the job failed with a refund (`refunded = true`) or was left as it was. Every other queued
/// job went on. A bug if it ever appears.
pub const JOB_ASSIGNMENT_FAILED: &str = "bls.job_assignment_failed";
/// `function_id`, `error`: repairing a function's subnetwork failed; its writes were dropped
/// and the other subnetworks went on (it is visited again when the cursor comes round). A bug
/// if it ever appears.
pub const SUBNETWORK_REPAIR_FAILED: &str = "bls.subnetwork_repair_failed";
/// `function_id`, `error`: a deployed function's first placement failed; its writes were
/// dropped and the other placements went on (its first job's assignment places it again).
/// A bug if it ever appears.
pub const PLACEMENT_FAILED: &str = "bls.placement_failed";
/// `function_id`, `name`, `version`, `workers`: the owner set a secret, sealed to those members.
pub const SECRET_SET: &str = "bls.secret_set";
/// `function_id`, `name`: the owner removed a secret and its envelopes.
pub const SECRET_UNSET: &str = "bls.secret_unset";
/// `function_id`, `name`, `version`, `sealer`, `worker`: a member re-sealed a secret to another.
pub const SECRET_RESEALED: &str = "bls.secret_resealed";
/// `function_id`, `worker`: a member joined a function with secrets and waits for a reseal.
pub const SECRETS_RESEAL_NEEDED: &str = "bls.secrets_reseal_needed";
/// `function_id`, `worker`, `job_id` (0: none), `excluded`, `reason`: a member's envelopes did
/// not open; they were deleted, it waits for a reseal, and a named job slot was declined.
pub const SECRETS_UNOPENABLE: &str = "bls.secrets_unopenable";
