//! Orchestration state.
//!
//! Keys (cw-storage-plus, JSON values): `orch/functions/{id}`, `orch/functions_by_owner/
//! {owner}/{id}`, `orch/codes/{hash hex}` (code metadata; the bytes are a raw blob under
//! `orch/blob/code/{hash}`), `orch/subnets/{function}`, `orch/subnet_repair_cursor`, `orch/jobs/{id}`,
//! `orch/jobs_by_function/{function}/{job}`, `orch/worker_jobs/{worker}/{job}` (open
//! assignments), `orch/deadlines/{height}/{job}` (the window queue end block drains),
//! `orch/reveal_outcomes/{job}/{hash hex}` (revealed outcomes, deduplicated per job: every
//! one before finality, the dissenting ones after it; settlement judges dissent by them),
//! `orch/results/{job}`, `orch/job_prune/{height}/{job}` (finished jobs to delete at that
//! height, [`crate::handlers::job_prune`]), `orch/params`, `orch/fn_seq`, `orch/job_seq`, `orch/assign_queue/{job}`
//! and `orch/place_queue/{function}` (work begin block does with the block's randomness,
//! [`crate::handlers::assign`]).

use bls_core::{Address, ModuleAccount};
use cosmwasm_std::{Binary, Order, Storage};
use cw_storage_plus::{Item, Map};
use serde::{Deserialize, Serialize};

use crate::code::Compression;
use crate::error::OrchestrationError;
use crate::manifest::Manifest;
use crate::params::Params;

/// Module account holding invocation escrow (exactly the sum of unsettled jobs' escrow).
pub const ESCROW_ACCOUNT: ModuleAccount = ModuleAccount::new("orchestration_escrow");

/// The escrow account address.
pub fn escrow_account() -> Address {
    ESCROW_ACCOUNT.address()
}

/// Last function id issued.
pub(crate) const FN_SEQ: Item<u64> = Item::new("orch/fn_seq");
/// Last job id issued.
pub(crate) const JOB_SEQ: Item<u64> = Item::new("orch/job_seq");
/// Functions by id.
pub(crate) const FUNCTIONS: Map<u64, Function> = Map::new("orch/functions");
/// (owner, function id) index.
pub(crate) const FUNCTIONS_BY_OWNER: Map<(&str, u64), ()> = Map::new("orch/functions_by_owner");
/// Code metadata by hex hash.
pub(crate) const CODES: Map<&str, CodeInfo> = Map::new("orch/codes");
/// Subnetwork per function.
pub(crate) const SUBNETS: Map<u64, Subnetwork> = Map::new("orch/subnets");
/// Last function id visited by the end-block subnetwork repair scan (0 = start over); see
/// [`crate::handlers::subnet_repair`].
pub(crate) const SUBNET_REPAIR_CURSOR: Item<u64> = Item::new("orch/subnet_repair_cursor");
/// Jobs by id.
pub(crate) const JOBS: Map<u64, Job> = Map::new("orch/jobs");
/// (function id, job id) index.
pub(crate) const JOBS_BY_FUNCTION: Map<(u64, u64), ()> = Map::new("orch/jobs_by_function");
/// (worker, job id) for unsettled jobs assigned to the worker in their current round.
pub(crate) const WORKER_JOBS: Map<(&str, u64), ()> = Map::new("orch/worker_jobs");
/// (deadline height, job id): the job's current window ends at this height.
pub(crate) const DEADLINES: Map<(u64, u64), ()> = Map::new("orch/deadlines");
/// Revealed outcome bytes per (job, result hash hex), kept until the job settles: the final
/// outcome and every dissenting one (settlement judges each dissent by its outcome).
pub(crate) const REVEAL_OUTCOMES: Map<(u64, &str), Binary> = Map::new("orch/reveal_outcomes");
/// Finalized results.
pub(crate) const RESULTS: Map<u64, JobResult> = Map::new("orch/results");
/// (height, job id): finished jobs to delete at that height (`job_retention_blocks` after
/// they finished).
pub(crate) const JOB_PRUNE_QUEUE: Map<(u64, u64), ()> = Map::new("orch/job_prune");
/// Params.
pub(crate) const PARAMS: Item<Params> = Item::new("orch/params");
/// Jobs waiting for (re)assignment in the next begin block.
pub(crate) const ASSIGN_QUEUE: Map<u64, ()> = Map::new("orch/assign_queue");
/// Functions waiting for their first placement in the next begin block.
pub(crate) const PLACE_QUEUE: Map<u64, ()> = Map::new("orch/place_queue");

const CODE_BLOB_PREFIX: &[u8] = b"orch/blob/code/";

/// Whether a function accepts invocations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FunctionStatus {
    /// Accepts invocations.
    Active,
    /// Retired by its owner.
    Retired,
}

/// A deployed function.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Function {
    /// Sequential id (1, 2, ...).
    pub id: u64,
    /// Owner.
    pub owner: Address,
    /// Hex sha256 of the raw WASM.
    pub code_hash: String,
    /// Whether the code bytes are stored on chain (query `Code`).
    pub code_on_chain: bool,
    /// Where to fetch code that is not on chain (`ipfs://CID`).
    pub source_uris: Vec<String>,
    /// Raw WASM size of code not on chain, as deployed (0 for code on chain: see `CodeInfo`).
    #[serde(default)]
    pub code_size: u64,
    /// Manifest JSON as deployed (validated).
    pub manifest_json: String,
    /// Replication `n`.
    pub replication: u32,
    /// Quorum `m`.
    pub quorum: u32,
    /// Status.
    pub status: FunctionStatus,
    /// Incremented by every update (starts at 1).
    pub version: u64,
    /// Height of deployment.
    pub created_height: u64,
    /// Height of the last update.
    pub updated_height: u64,
}

impl Function {
    /// Where workers fetch the function's code: its `ipfs://` sources when the code is not on
    /// chain; none when it is (workers read it from the chain or from peers).
    pub fn fetch_sources(&self) -> &[String] {
        if self.code_on_chain {
            &[]
        } else {
            &self.source_uris
        }
    }
}

/// Metadata of stored code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeInfo {
    /// Hex sha256 of the raw WASM.
    pub hash: String,
    /// Format of the stored bytes.
    pub compression: Compression,
    /// Stored size.
    pub size: u64,
    /// Raw WASM size.
    pub wasm_size: u64,
    /// First upload height.
    pub height: u64,
}

/// The workers a function's jobs are drawn from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subnetwork {
    /// Member worker ids, in selection order.
    pub workers: Vec<Address>,
    /// Height of the last (re)placement or repair.
    pub placed_height: u64,
    /// `joined[i]`: the height `workers[i]` took its seat (kept across repairs). Absent (a
    /// record from an older genesis): `placed_height` — never earlier than the truth.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub joined: Vec<u64>,
    /// Height of the function's first placement (0: a record from an older genesis). No
    /// request of the function was served before it, so its first members were members
    /// whenever any request was served while they held their seats.
    #[serde(default)]
    pub first_placed: u64,
}

impl Subnetwork {
    /// Whether member `w` held its seat whenever a request whose key window opened at
    /// `window_start` could have been served: seated by then, or one of the first members
    /// (nobody served the function before they were placed).
    pub fn seated_for(&self, w: &Address, window_start: u64) -> bool {
        self.member_since(w)
            .is_some_and(|h| h <= window_start.max(self.first_placed))
    }

    /// The height `w` took its seat, if it is a member (`placed_height` when `joined` does
    /// not line up with `workers`: never earlier than the truth).
    pub fn member_since(&self, w: &Address) -> Option<u64> {
        let i = self.workers.iter().position(|m| m == w)?;
        Some(if self.joined.len() == self.workers.len() {
            self.joined.get(i).copied().unwrap_or(self.placed_height)
        } else {
            self.placed_height
        })
    }
}

/// Lifecycle of a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Escrowed, waiting for its workers: the next block's begin block assigns it with that
    /// block's randomness (first assignment, and every reassignment).
    Queued,
    /// Assigned; accepting commits until `commit_deadline` (or until all have committed).
    Committing,
    /// Commits closed; accepting reveals until `reveal_deadline`.
    Revealing,
    /// Quorum reached: the result is final and queryable. Settlement (payment, slashing,
    /// misses) follows in a later end block while [`Job::settling`] is true.
    Finalized,
    /// Out of retries; escrow refunded.
    Failed,
}

impl JobStatus {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Committing => "committing",
            JobStatus::Revealing => "revealing",
            JobStatus::Finalized => "finalized",
            JobStatus::Failed => "failed",
        }
    }

    /// Parses the lowercase name.
    pub fn parse(s: &str) -> Option<JobStatus> {
        match s {
            "queued" => Some(JobStatus::Queued),
            "committing" => Some(JobStatus::Committing),
            "revealing" => Some(JobStatus::Revealing),
            "finalized" => Some(JobStatus::Finalized),
            "failed" => Some(JobStatus::Failed),
            _ => None,
        }
    }

    /// The result is still undecided (queued, committing or revealing). A finalized job may
    /// still hold escrow until it settles: see [`Job::is_unsettled`].
    pub fn is_open(self) -> bool {
        matches!(
            self,
            JobStatus::Queued | JobStatus::Committing | JobStatus::Revealing
        )
    }
}

/// One worker's slot in the current round.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    /// The worker.
    pub worker: Address,
    /// Hex commitment, once committed.
    pub commitment: Option<String>,
    /// Hex result hash, once revealed.
    pub result_hash: Option<String>,
    /// The worker reported it cannot open the function's secrets
    /// (`MsgReportUnopenableSecrets`): it will not commit, and is neither missed nor paid.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub declined: bool,
}

/// An invocation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// Sequential id (1, 2, ...).
    pub id: u64,
    /// Function invoked.
    pub function_id: u64,
    /// Function version at invocation.
    pub function_version: u64,
    /// Hex code hash to run (pinned at invocation).
    pub code_hash: String,
    /// Where that code is fetched when it is not on chain (pinned with it; empty otherwise).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source_uris: Vec<String>,
    /// Raw size of that code when it is not on chain (pinned with it; 0 otherwise): workers
    /// read no more than this from a source.
    #[serde(default)]
    pub code_size: u64,
    /// Manifest JSON to run with (pinned at invocation).
    pub manifest_json: String,
    /// Who pays.
    pub invoker: Address,
    /// Guest stdin.
    pub input: Binary,
    /// Invocation args.
    pub args: Vec<String>,
    /// Most the invoker pays, ubls.
    #[serde(with = "bls_core::amount::u128_str")]
    pub max_fee: u128,
    /// Escrow still held for this job, ubls (0 once settled); includes `royalty`.
    #[serde(with = "bls_core::amount::u128_str")]
    pub escrow: u128,
    /// The listing price this job pays the function's owner if it ends with an agreed
    /// result, ubls (fixed at invoke; 0 for an unlisted function). Part of `escrow`.
    #[serde(
        default,
        with = "bls_core::amount::u128_str",
        skip_serializing_if = "is_zero_u128"
    )]
    pub royalty: u128,
    /// Hex 32-byte seed for the guest's randomness (the worker's `Job::id`), drawn from the
    /// beacon at the first assignment (empty while queued for it).
    pub seed: String,
    /// Invocation height.
    pub height: u64,
    /// Invocation block time, seconds (the guest's clock).
    pub time_secs: i64,
    /// Invocation block time, nanoseconds part.
    pub time_nanos: u32,
    /// Status.
    pub status: JobStatus,
    /// Current round (0 = first assignment; +1 per reassignment).
    pub round: u32,
    /// Height the current round's workers were assigned (0 while queued for the first time).
    pub round_height: u64,
    /// Replication `n`.
    pub replication: u32,
    /// Quorum `m`.
    pub quorum: u32,
    /// The manifest's `output_bytes` (reveals above it are invalid).
    pub output_bytes: u32,
    /// Current round's workers (empty while queued).
    pub assignments: Vec<Assignment>,
    /// Every worker assigned in any round (reassignment picks others).
    pub previously_assigned: Vec<Address>,
    /// Last height commits are accepted in this round: the assignment height plus
    /// `commit_window` (0 while queued).
    pub commit_deadline: u64,
    /// Last height reveals are accepted (0 until commits close).
    pub reveal_deadline: u64,
    /// Block time (Unix milliseconds) before which the commit window does not end, whatever
    /// `commit_deadline` says: the round's assignment time + the manifest's `timeout_ms` +
    /// `commit_grace_ms`. Reaching `commit_deadline` earlier moves it on (0: no floor).
    #[serde(default)]
    pub commit_until_ms: u64,
    /// Why the job failed.
    #[serde(default)]
    pub failure: String,
    /// Hex result hash that reached quorum (set at finality).
    #[serde(default)]
    pub result_hash: Option<String>,
    /// Height the result became final (0 before).
    #[serde(default)]
    pub finalized_height: u64,
    /// True from finality until settlement: the escrow is still held and committed workers
    /// may still reveal (and be paid, or slashed) until every committer revealed or
    /// `reveal_deadline` passed; end block then settles the job.
    #[serde(default)]
    pub settling: bool,
    /// The function's secrets version ([`crate::secrets::state::last_version`]) when the
    /// current round was assigned: a worker that finds another version when it reads its
    /// envelopes declines (`MsgReportUnopenableSecrets.stale`) rather than run with values
    /// the others may not have used.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub secrets_version: u64,
    /// The functions this job may call (`bls_call`), pinned at invoke: every function its
    /// manifest's `calls` reach, through each callee's own `calls` (empty when it calls none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub callees: Vec<PinnedCallee>,
    /// Escrowed for the callees' prices: [`bls_core::composition::MAX_CALLS_PER_JOB`] times
    /// the highest pinned price (part of `escrow`; what calls did not use is refunded).
    #[serde(
        default,
        with = "bls_core::amount::u128_str",
        skip_serializing_if = "is_zero_u128"
    )]
    pub call_reserve: u128,
}

/// A function a job may call, as pinned at invoke: what workers run for it and what each
/// call of it that exits 0 pays its owner.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinnedCallee {
    /// Function id.
    pub function_id: u64,
    /// Its version at invoke.
    pub version: u64,
    /// Hex code hash to run.
    pub code_hash: String,
    /// Where that code is fetched when it is not on chain (empty otherwise).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source_uris: Vec<String>,
    /// Raw size of that code when it is not on chain (0 otherwise).
    #[serde(default)]
    pub code_size: u64,
    /// Its manifest JSON.
    pub manifest_json: String,
    /// Its listing price at invoke, ubls: paid to its owner per call that exits 0.
    #[serde(with = "bls_core::amount::u128_str")]
    pub price: u128,
}

fn is_zero_u128(v: &u128) -> bool {
    *v == 0
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

impl Job {
    /// Whether any code this job runs — its own or a pinned callee's — is fetched from off
    /// chain (and so may be unreachable: the job may then be declined).
    pub fn has_remote_code(&self) -> bool {
        !self.source_uris.is_empty() || self.callees.iter().any(|c| !c.source_uris.is_empty())
    }

    /// The manifest pinned at invocation, parsed without re-checking the bounds (they may
    /// have tightened since; the job is run, priced and judged by what it pinned). `None`
    /// only if the JSON no longer parses as a manifest at all.
    pub fn pinned_manifest(&self) -> Option<Manifest> {
        serde_json::from_str(&self.manifest_json).ok()
    }

    /// The assignment of `worker` in the current round.
    pub fn assignment(&self, worker: &Address) -> Option<&Assignment> {
        self.assignments.iter().find(|a| &a.worker == worker)
    }

    /// The assignment of `worker` in the current round, to change; `NotAssigned` if it has
    /// none.
    pub fn slot_mut(&mut self, worker: &Address) -> Result<&mut Assignment, OrchestrationError> {
        let job = self.id;
        self.assignments
            .iter_mut()
            .find(|a| &a.worker == worker)
            .ok_or_else(|| OrchestrationError::NotAssigned {
                job,
                worker: worker.to_string(),
            })
    }

    /// Number of commits in the current round.
    pub fn commits(&self) -> usize {
        self.assignments
            .iter()
            .filter(|a| a.commitment.is_some())
            .count()
    }

    /// Holds escrow and has a queued deadline: undecided, or final but not yet settled.
    pub fn is_unsettled(&self) -> bool {
        self.status.is_open() || self.settling
    }

    /// Reveals are accepted (up to `reveal_deadline`): revealing, or final and settling.
    pub fn accepts_reveals(&self) -> bool {
        self.status == JobStatus::Revealing
            || (self.status == JobStatus::Finalized && self.settling)
    }

    /// Number of reveals of `hash_hex` in the current round.
    pub fn agreeing(&self, hash_hex: &str) -> usize {
        self.assignments
            .iter()
            .filter(|a| a.result_hash.as_deref() == Some(hash_hex))
            .count()
    }

    /// Some worker committed but has not revealed yet.
    pub fn reveals_pending(&self) -> bool {
        self.assignments
            .iter()
            .any(|a| a.commitment.is_some() && a.result_hash.is_none())
    }

    /// The deadline entry currently queued for this job.
    pub fn current_deadline(&self) -> Option<u64> {
        match self.status {
            JobStatus::Committing => Some(self.commit_deadline),
            JobStatus::Revealing => Some(self.reveal_deadline),
            JobStatus::Finalized if self.settling => Some(self.reveal_deadline),
            _ => None,
        }
    }
}

/// A finalized result (stored at settlement; until then the `Result` query derives it from
/// the job and its revealed outcome).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobResult {
    /// Job id.
    pub job_id: u64,
    /// Function id.
    pub function_id: u64,
    /// Hex sha256 of the outcome bytes.
    pub result_hash: String,
    /// Canonical outcome bytes (`bls_core::outcome::Outcome::decode`).
    pub outcome: Binary,
    /// Workers whose reveals agreed (so far, while the job is settling; all paid workers
    /// once settled).
    pub workers: Vec<Address>,
    /// Fee charged, ubls.
    #[serde(with = "bls_core::amount::u128_str")]
    pub fee: u128,
    /// Fuel used (from the outcome).
    pub fuel_used: u64,
    /// Finalization height.
    pub height: u64,
}

/// Loads the params (defaults when genesis set none).
pub fn params(store: &dyn Storage) -> Result<Params, OrchestrationError> {
    Ok(PARAMS.may_load(store)?.unwrap_or_default())
}

/// Loads a function or fails with `UnknownFunction`.
pub fn must_get_function(store: &dyn Storage, id: u64) -> Result<Function, OrchestrationError> {
    FUNCTIONS
        .may_load(store, id)?
        .ok_or(OrchestrationError::UnknownFunction(id))
}

/// The subnetwork placed for `function` (`None` before its first placement).
pub fn subnetwork(
    store: &dyn Storage,
    function: u64,
) -> Result<Option<Subnetwork>, OrchestrationError> {
    Ok(SUBNETS.may_load(store, function)?)
}

/// Store key of the last issued job id (value: the id as JSON), for reads proven against the
/// app hash (`/store/key`): the dashboard walks jobs down from it. Part of the module's public
/// interface; nothing writes through it.
pub fn job_seq_store_key() -> Vec<u8> {
    JOB_SEQ.as_slice().to_vec()
}

/// Loads a job or fails with `UnknownJob` (never issued) or `JobPruned` (issued, finished,
/// and deleted after `job_retention_blocks`: ids come from a sequence, so an id at or below
/// it that has no job was pruned).
pub fn must_get_job(store: &dyn Storage, id: u64) -> Result<Job, OrchestrationError> {
    match JOBS.may_load(store, id)? {
        Some(job) => Ok(job),
        None => Err(missing_job(store, id)?),
    }
}

/// Why job `id` is not in the store.
pub(crate) fn missing_job(
    store: &dyn Storage,
    id: u64,
) -> Result<OrchestrationError, OrchestrationError> {
    let issued = JOB_SEQ.may_load(store)?.unwrap_or(0);
    Ok(if id > 0 && id <= issued {
        OrchestrationError::JobPruned(id)
    } else {
        OrchestrationError::UnknownJob(id)
    })
}

/// Issues the next id of a sequence.
pub(crate) fn next_id(store: &mut dyn Storage, seq: &Item<u64>) -> Result<u64, OrchestrationError> {
    let id = seq
        .may_load(store)?
        .unwrap_or(0)
        .checked_add(1)
        .ok_or_else(|| OrchestrationError::Store("id sequence overflow".into()))?;
    seq.save(store, &id)?;
    Ok(id)
}

fn code_blob_key(hash: &[u8; 32]) -> Vec<u8> {
    [CODE_BLOB_PREFIX, hash.as_slice()].concat()
}

/// Stores code bytes under their hash (raw blob: no JSON overhead).
pub fn save_code_blob(store: &mut dyn Storage, hash: &[u8; 32], bytes: &[u8]) {
    store.set(&code_blob_key(hash), bytes);
}

/// Loads stored code bytes.
pub fn load_code_blob(store: &dyn Storage, hash: &[u8; 32]) -> Option<Vec<u8>> {
    store.get(&code_blob_key(hash))
}

/// Sum of the escrow of every job (only unsettled jobs hold any; must equal the escrow
/// account's balance).
pub fn open_escrow_total(store: &dyn Storage) -> Result<u128, OrchestrationError> {
    let mut total: u128 = 0;
    for item in JOBS.range(store, None, None, Order::Ascending) {
        let (_, job) = item?;
        total = total.saturating_add(job.escrow);
    }
    Ok(total)
}

/// Parses a 32-byte hex hash.
pub fn parse_hash(s: &str) -> Option<[u8; 32]> {
    let v = hex::decode(s).ok()?;
    <[u8; 32]>::try_from(v.as_slice()).ok()
}
