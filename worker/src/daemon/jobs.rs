//! Handling one assigned job: fetch it and its code, check the code hash, run it in the
//! runtime with the job's deterministic inputs, save the commit record, commit, then
//! reveal once the chain opens reveals.
//!
//! The chain is the source of truth: after every step the job is re-read (`Job` query) and
//! the next action follows from its status and this worker's assignment, so repeated
//! events, restarts and lost replies all converge on the same behaviour. Execution holds a
//! concurrency slot; waiting for reveals does not.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bls_core::module::encode_any;
use bls_core::Address;
use bls_orchestration::handlers::decline::MAX_DETAIL_BYTES;
use bls_orchestration::handlers::results::max_outcome_len;
use bls_orchestration::msgs::{
    commitment, DeclineReason, MsgCommitResult, MsgDeclineJob, MsgRevealResult, MSG_COMMIT_RESULT,
    MSG_DECLINE_JOB, MSG_REVEAL_RESULT,
};
use bls_orchestration::queries::NextAction;
use bls_orchestration::state::{Job as ChainJob, JobStatus};
use bls_runtime::{BlockTime, Callee, Job, Manifest};
use rand::RngCore;
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};

use super::chain::Chain;
use super::code::{CodeError, CodeSources, CodeStore};
use super::fault::Fault;
use super::fit::{self, Misfit};
use super::runner::{Ran, Runner};
use super::signer::{SignerHandle, TxFailure};
use super::store::{CommitRecord, Store};
use crate::metrics::Metrics;
use crate::p2p::code_fetch::CodeFetcher;

/// How often a waiting job re-reads the chain when no new height was signalled.
const POLL: Duration = Duration::from_secs(2);
/// First wait before re-sending a commit or reveal the chain did not take; doubles per
/// consecutive failure up to [`MAX_RESEND_DELAY`]. There is no cap on attempts: a commit is
/// re-sent while the job accepts commits, a reveal until the chain has it or its reveal
/// deadline has passed and the job settles (a congested mempool must not turn an honest
/// worker into a withholder).
const RESEND_DELAY: Duration = Duration::from_millis(250);
/// Longest wait between two sends of one commit or reveal.
const MAX_RESEND_DELAY: Duration = Duration::from_secs(4);
/// Bytes of a reveal transaction besides its message: the body and auth-info envelopes, the
/// signer's public key, fee, gas, sequence, memo-less body, and the 64-byte signature, with
/// a wide margin (a real one is about 300 bytes).
pub const REVEAL_TX_OVERHEAD: u64 = 2048;
/// Attempts at reading a job before giving up on it for now.
const READ_ATTEMPTS: u32 = 5;
/// Attempts at executing a job when the failure may be transient.
const EXECUTE_ATTEMPTS: u32 = 4;

/// Why a job cannot be run (no commit is made for it).
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// The job record is malformed (bad hash, seed or time).
    #[error("job {id}: {reason}")]
    BadJob {
        /// Job id.
        id: u64,
        /// What is wrong.
        reason: String,
    },
    /// Reading the chain failed.
    #[error("job {id}: {source}")]
    Chain {
        /// Job id.
        id: u64,
        /// The RPC error.
        source: bls_client::RpcError,
    },
    /// The code could not be obtained or failed its hash check.
    #[error("job {id}: {source}")]
    Code {
        /// Job id.
        id: u64,
        /// Why.
        source: super::code::CodeError,
    },
    /// The runtime could not run it (as opposed to an outcome such as a trap).
    #[error("job {id}: {source}")]
    Runtime {
        /// Job id.
        id: u64,
        /// Why.
        source: bls_runtime::RuntimeError,
    },
    /// The manifest asks for more than this worker's config gives ([`fit::check`], the same
    /// check the fast path makes).
    #[error("job {id}: {source}")]
    DoesNotFit {
        /// Job id.
        id: u64,
        /// Which limit.
        source: Misfit,
    },
    /// The outcome could not be revealed: its reveal transaction would be larger than the
    /// chain takes. Not committed (a commit that cannot be revealed is slashed as withholding).
    #[error("job {id}: the reveal would be a {size} byte transaction; the chain takes at most {max} (chain.max_tx_bytes, function output cap {cap})")]
    Unrevealable {
        /// Job id.
        id: u64,
        /// Estimated reveal tx size (or the outcome's size when over the function's cap).
        size: u64,
        /// The limit it exceeds.
        max: u64,
        /// The chain's outcome cap for this job (`max_outcome_len`).
        cap: u64,
    },
    /// The function's secrets could not be opened: reported on chain (the slot is declined
    /// without penalty), not run.
    #[error("job {id}: {source}")]
    Secrets {
        /// Job id.
        id: u64,
        /// Why.
        source: super::secrets::SecretsFailure,
    },
    /// Saving the commit record failed: committing without it could double-commit later.
    #[error("job {id}: {source}")]
    Store {
        /// Job id.
        id: u64,
        /// Why.
        source: super::store::StoreError,
    },
}

/// Everything a job task needs; shared by all of them.
pub struct Jobs {
    chain: Chain,
    runner: Runner,
    code: CodeStore,
    fetcher: Option<Arc<CodeFetcher>>,
    signer: SignerHandle,
    store: Store,
    me: Address,
    fault: Option<Fault>,
    metrics: Arc<Metrics>,
    data_dir: Option<PathBuf>,
    slots: Arc<Semaphore>,
    /// Prefetches on placement running at once ([`PREFETCHES_AT_ONCE`]).
    prefetch_slots: Arc<Semaphore>,
    in_flight: Mutex<BTreeSet<u64>>,
    heights: watch::Receiver<u64>,
    /// True once shutdown began: no new executions; committed jobs may still reveal.
    stopping: watch::Receiver<bool>,
    tasks: tokio::sync::Mutex<tokio::task::JoinSet<()>>,
    caps: bls_registry::msgs::Capabilities,
    max_tx_bytes: u64,
    /// Reveal sends still to drop ([`Fault::DropReveals`]).
    drop_reveals: std::sync::atomic::AtomicU32,
    secrets: Arc<super::secrets::WorkerSecrets>,
}

/// Construction parameters of [`Jobs`].
pub struct JobsConfig {
    /// Chain queries.
    pub chain: Chain,
    /// The sandbox, with outcome metrics and the test fault.
    pub runner: Runner,
    /// Code cache.
    pub code: CodeStore,
    /// Code from peers too (with `--p2p-listen`).
    pub fetcher: Option<Arc<CodeFetcher>>,
    /// Signer queue.
    pub signer: SignerHandle,
    /// On-disk state.
    pub store: Store,
    /// This worker's address.
    pub me: Address,
    /// Test-only misbehaviour.
    pub fault: Option<Fault>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Directory offered to functions with filesystem permission.
    pub data_dir: Option<PathBuf>,
    /// Jobs executing at once.
    pub max_concurrent: usize,
    /// Last processed height (signals "re-read the chain").
    pub heights: watch::Receiver<u64>,
    /// Shutdown flag.
    pub stopping: watch::Receiver<bool>,
    /// What this worker's config lets it run ([`fit::check`]).
    pub caps: bls_registry::msgs::Capabilities,
    /// Largest transaction the chain takes (config `chain.max_tx_bytes`).
    pub max_tx_bytes: u64,
    /// Opening the functions' sealed secrets.
    pub secrets: Arc<super::secrets::WorkerSecrets>,
}

impl Jobs {
    /// Creates the shared job state.
    pub fn new(c: JobsConfig) -> Arc<Jobs> {
        Arc::new(Jobs {
            chain: c.chain,
            runner: c.runner,
            code: c.code,
            fetcher: c.fetcher,
            signer: c.signer,
            store: c.store,
            me: c.me,
            fault: c.fault,
            metrics: c.metrics,
            data_dir: c.data_dir,
            slots: Arc::new(Semaphore::new(c.max_concurrent.max(1))),
            prefetch_slots: Arc::new(Semaphore::new(PREFETCHES_AT_ONCE)),
            in_flight: Mutex::new(BTreeSet::new()),
            heights: c.heights,
            stopping: c.stopping,
            tasks: tokio::sync::Mutex::new(tokio::task::JoinSet::new()),
            caps: c.caps,
            max_tx_bytes: c.max_tx_bytes,
            drop_reveals: std::sync::atomic::AtomicU32::new(match c.fault {
                Some(Fault::DropReveals) => super::fault::DROPPED_REVEALS,
                _ => 0,
            }),
            secrets: c.secrets,
        })
    }

    fn stopping(&self) -> bool {
        *self.stopping.borrow()
    }

    /// Takes on job `id` unless it is already being handled. Waits for a free execution
    /// slot first, so a busy worker slows its follower down instead of queueing without
    /// bound.
    pub async fn dispatch(self: &Arc<Self>, id: u64) {
        if self.stopping() || !self.claim(id) {
            return;
        }
        let mut stopping = self.stopping.clone();
        let permit = tokio::select! {
            p = self.slots.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => return self.release(id),
            },
            _ = stopping.wait_for(|s| *s) => return self.release(id),
        };
        let this = self.clone();
        self.spawn(async move {
            this.handle(id, Some(permit)).await;
            this.release(id);
        })
        .await;
    }

    /// After a restart: resumes every saved commit (reveal, or re-send the same
    /// commitment) and takes on every open job the chain says is assigned to this worker.
    pub async fn resume(self: &Arc<Self>) {
        match self.store.commits() {
            Ok(records) => {
                for r in records {
                    if self.claim(r.job_id) {
                        tracing::info!(job = r.job_id, round = r.round, "resuming saved commit");
                        let this = self.clone();
                        let id = r.job_id;
                        self.spawn(async move {
                            this.drive(r).await;
                            this.release(id);
                        })
                        .await;
                    }
                }
            }
            Err(e) => tracing::error!(error = %e, "cannot read saved commits"),
        }
        match self.chain.jobs_for_worker(self.me.as_str()).await {
            Ok(open) => {
                for wj in open {
                    if wj.next_action != NextAction::Done {
                        self.dispatch(wj.job.id).await;
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot list open jobs; relying on events"),
        }
    }

    /// Waits up to `grace` for running job tasks (reveals of committed jobs) to finish.
    pub async fn drain(&self, grace: Duration) {
        let mut tasks = self.tasks.lock().await;
        let all = async { while tasks.join_next().await.is_some() {} };
        if tokio::time::timeout(grace, all).await.is_err() {
            tracing::warn!(
                "shutdown grace period over; {} job task(s) left",
                tasks.len()
            );
            tasks.abort_all();
        }
    }

    async fn spawn(&self, f: impl std::future::Future<Output = ()> + Send + 'static) {
        let mut tasks = self.tasks.lock().await;
        // Reap finished tasks so the set does not grow without bound.
        while tasks.try_join_next().is_some() {}
        tasks.spawn(f);
    }

    fn claim(&self, id: u64) -> bool {
        self.in_flight
            .lock()
            .map(|mut s| s.insert(id))
            .unwrap_or(false)
    }

    fn release(&self, id: u64) {
        if let Ok(mut s) = self.in_flight.lock() {
            s.remove(&id);
        }
    }

    /// Reads job `id`, retrying transient failures (not a pruned job's answer).
    async fn read_job(&self, id: u64) -> Result<ChainJob, JobError> {
        let mut wait = Duration::from_millis(200);
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.chain.job(id).await {
                Ok(j) => return Ok(j),
                // Pruned: closed long ago, asking again cannot bring it back.
                Err(source) if attempt >= READ_ATTEMPTS || is_pruned(&source) => {
                    return Err(JobError::Chain { id, source })
                }
                Err(e) => {
                    tracing::debug!(job = id, error = %e, "reading job failed; retrying");
                    tokio::time::sleep(wait).await;
                    wait = wait.saturating_mul(2);
                }
            }
        }
    }

    /// From assignment to reveal.
    async fn handle(self: &Arc<Self>, id: u64, permit: Option<OwnedSemaphorePermit>) {
        let job = match self.read_job(id).await {
            Ok(j) => j,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read assigned job");
                return;
            }
        };
        let Some(assignment) = job.assignment(&self.me) else {
            tracing::debug!(job = id, "not assigned to this worker in the current round");
            return;
        };
        if assignment.declined {
            tracing::debug!(job = id, "this worker declined the job");
            return;
        }
        let record = match self.store.commit(id, job.round) {
            Ok(Some(r)) => r,
            Ok(None) => {
                if job.status != JobStatus::Committing || assignment.commitment.is_some() {
                    // Committed in the past but the record is gone (e.g. the data directory
                    // was wiped): the outcome cannot be revealed, and committing again
                    // would be a second commit.
                    if assignment.commitment.is_some() {
                        tracing::warn!(job = id, "committed earlier but no saved record");
                    }
                    return;
                }
                if self.fault == Some(Fault::Silent) {
                    tracing::info!(job = id, "fault injection: staying silent");
                    return;
                }
                if self.stopping() {
                    return;
                }
                match self.execute_with_retry(&job).await {
                    Some(r) => r,
                    None => return,
                }
            }
            Err(e) => {
                tracing::error!(job = id, error = %e, "cannot read saved commit");
                return;
            }
        };
        drop(permit);
        self.drive(record).await;
    }

    /// [`Jobs::execute`], retried while the failure may be transient (chain or cache I/O)
    /// and the job still accepts commits. `None` when it will not be committed.
    async fn execute_with_retry(&self, job: &ChainJob) -> Option<CommitRecord> {
        let mut wait = Duration::from_millis(500);
        for attempt in 1..=EXECUTE_ATTEMPTS {
            self.metrics.jobs_in_flight.inc();
            let r = self.execute(job).await;
            self.metrics.jobs_in_flight.dec();
            let e = match r {
                Ok(r) => return Some(r),
                Err(e) => e,
            };
            let transient = matches!(
                e,
                JobError::Chain { .. }
                    | JobError::Store { .. }
                    | JobError::Code {
                        source: CodeError::Query { .. } | CodeError::Cache(_),
                        ..
                    }
            );
            if !transient || attempt == EXECUTE_ATTEMPTS || self.stopping() {
                self.metrics.job(match &e {
                    JobError::Unrevealable { .. } => "unrevealable",
                    JobError::DoesNotFit { .. } => "does_not_fit",
                    JobError::Secrets { .. } => "secrets_unopenable",
                    // Declined (code off chain it could not get or run): by the reason.
                    JobError::Code { source, .. } if job.has_remote_code() => source
                        .decline_reason()
                        .map_or("failed", DeclineReason::name),
                    _ => "failed",
                });
                tracing::error!(error = %e, "job not run; not committing");
                return None;
            }
            tracing::warn!(error = %e, attempt, "job not run yet; retrying");
            tokio::time::sleep(wait).await;
            wait = wait.saturating_mul(2);
            match self.read_job(job.id).await {
                Ok(j) if j.status == JobStatus::Committing && j.round == job.round => {}
                _ => return None,
            }
        }
        None
    }

    /// Runs the job and saves the commit record.
    async fn execute(&self, job: &ChainJob) -> Result<CommitRecord, JobError> {
        let id = job.id;
        let bad = |reason: String| JobError::BadJob { id, reason };
        let code_hash = parse_hash32(&job.code_hash).ok_or_else(|| bad("bad code hash".into()))?;
        let seed = parse_hash32(&job.seed).ok_or_else(|| bad("bad seed".into()))?;
        let seconds =
            u64::try_from(job.time_secs).map_err(|_| bad("block time before 1970".into()))?;
        let manifest = Manifest::from_json(job.manifest_json.as_bytes())
            .map_err(|e| bad(format!("manifest: {e}")))?;
        fit::check(&self.caps, &manifest).map_err(|source| JobError::DoesNotFit { id, source })?;

        self.ensure_or_decline(
            job,
            code_hash,
            &CodeSources::of_job(job, fetch_deadline(job)),
        )
        .await?;
        // Every function the job may call, as the chain pinned it, fetched and checked alike.
        let mut callees = Vec::with_capacity(job.callees.len());
        for c in &job.callees {
            let hash = parse_hash32(&c.code_hash)
                .ok_or_else(|| bad(format!("bad code hash of callee {}", c.function_id)))?;
            let manifest = Manifest::from_json(c.manifest_json.as_bytes())
                .map_err(|e| bad(format!("manifest of callee {}: {e}", c.function_id)))?;
            self.ensure_or_decline(job, hash, &CodeSources::of_callee(c, fetch_deadline(job)))
                .await?;
            callees.push(Callee {
                function_id: c.function_id,
                version: c.version,
                code_hash: hash,
                manifest,
            });
        }
        let secrets = match self
            .secrets
            .open_for(
                job.function_id,
                Some(job.secrets_version),
                super::secrets::Freshness::Now,
            )
            .await
        {
            Ok(s) => s,
            Err(super::secrets::SecretsFailure::Query(source)) => {
                return Err(JobError::Chain { id, source })
            }
            Err(source) => {
                self.secrets.report(job.function_id, id, &source).await;
                return Err(JobError::Secrets { id, source });
            }
        };
        let run = Job {
            id: seed,
            code_hash,
            manifest,
            input: job.input.to_vec(),
            args: job.args.clone(),
            block_time: BlockTime {
                seconds,
                nanos: job.time_nanos,
            },
            data_dir: self.data_dir.clone(),
            secrets,
            callees,
        };
        let Ran {
            outcome,
            bytes,
            result_hash,
        } = self
            .runner
            .run(&run)
            .await
            .map_err(|source| JobError::Runtime { id, source })?;
        self.metrics.job("executed");
        let mut salt = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut salt);
        // Never commit what cannot be revealed.
        reveal_fits(
            id,
            &MsgRevealResult {
                worker: self.me.to_string(),
                job_id: id,
                outcome: bytes.clone(),
                salt: salt.to_vec(),
            },
            job.output_bytes,
            self.max_tx_bytes,
        )?;
        let record = CommitRecord {
            job_id: id,
            round: job.round,
            salt: hex::encode(salt),
            outcome: hex::encode(&bytes),
            result_hash: hex::encode(result_hash),
            commitment: hex::encode(commitment(&result_hash, &salt, &self.me)),
        };
        self.store
            .save_commit(&record)
            .map_err(|source| JobError::Store { id, source })?;
        tracing::info!(
            job = id,
            status = ?outcome.status,
            fuel = outcome.fuel_used,
            wall_ms = outcome.wall_time.as_millis() as u64,
            result_hash = %record.result_hash,
            "executed"
        );
        Ok(record)
    }

    /// [`Jobs::ensure_code`] for `job`'s own code or a pinned callee's; code off chain that
    /// cannot be had or run declines the job (no penalty) before the error is returned.
    async fn ensure_or_decline(
        &self,
        job: &ChainJob,
        hash: [u8; 32],
        sources: &CodeSources,
    ) -> Result<(), JobError> {
        if let Err(source) = self.ensure_code(hash, sources).await {
            if let Some(reason) = source.decline_reason().filter(|_| sources.is_remote()) {
                self.decline(job, reason, &source).await;
            }
            return Err(JobError::Code { id: job.id, source });
        }
        Ok(())
    }

    /// Loads the module `hash` into the runtime unless it is there: through the peer-aware
    /// fetcher when p2p is on, else from the code store (cache, chain, IPFS). Every path
    /// checks the hash before compiling.
    async fn ensure_code(&self, hash: [u8; 32], sources: &CodeSources) -> Result<(), CodeError> {
        if self.runner.has_module(&hash) {
            return Ok(());
        }
        if let Some(f) = &self.fetcher {
            return f.ensure(hash, None, sources).await;
        }
        let wasm = self.code.get(&hash, sources).await?;
        self.runner.load_code(hash, wasm).await
    }

    /// Fetches and compiles function `function_id`'s code ahead of its first job (this worker
    /// was just placed in its subnetwork), so that job does not pay for the download.
    pub async fn prefetch(self: &Arc<Self>, function_id: u64) {
        let this = self.clone();
        self.spawn(async move {
            // A burst of placements (many deploys in one block) compiles a few modules at a
            // time, not all at once beside the jobs.
            let Ok(_slot) = this.prefetch_slots.clone().acquire_owned().await else {
                return;
            };
            let f = match this.chain.function(function_id).await {
                Ok(f) => f.function,
                Err(e) => {
                    tracing::debug!(function = function_id, error = %e, "prefetch: reading the function failed");
                    return;
                }
            };
            let Some(hash) = parse_hash32(&f.code_hash) else {
                return;
            };
            if this.runner.has_module(&hash) {
                return;
            }
            match this.ensure_code(hash, &CodeSources::of_function(&f)).await {
                Ok(()) => {
                    this.metrics.prefetches.inc();
                    tracing::info!(function = function_id, code = %f.code_hash, "code prefetched and compiled on placement");
                }
                Err(e) => tracing::warn!(function = function_id, error = %e, "prefetch on placement failed"),
            }
        })
        .await;
    }

    /// Declines this worker's slot of `job` (code not on chain that it could not get or run):
    /// not missed, not paid, not slashed.
    async fn decline(&self, job: &ChainJob, reason: DeclineReason, why: &CodeError) {
        let detail = decline_detail(why);
        tracing::warn!(job = job.id, reason = reason.name(), %detail, "declining the job");
        let msg = encode_any(
            &MsgDeclineJob {
                worker: self.me.to_string(),
                job_id: job.id,
                reason: reason as i32,
                detail,
            },
            MSG_DECLINE_JOB,
        );
        if let Err(e) = self.signer.submit(msg).await {
            tracing::warn!(job = job.id, error = %e, "declining failed (the slot will count as missed)");
        }
    }

    /// Commits, then reveals when the chain allows, re-reading the job after every height.
    async fn drive(&self, record: CommitRecord) {
        let id = record.job_id;
        // Consecutive sends the chain did not take (reset by a success): the backoff.
        let mut failures = 0u32;
        let mut heights = self.heights.clone();
        loop {
            let job = match self.read_job(id).await {
                Ok(j) => j,
                Err(JobError::Chain { source, .. }) if is_pruned(&source) => {
                    // A record older than the chain's job retention (a worker that was down
                    // for that long): the job closed without this worker.
                    tracing::info!(job = id, "job closed and pruned on chain; forgetting it");
                    self.forget(&record);
                    return;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read job; will retry");
                    self.wait_next(&mut heights).await;
                    continue;
                }
            };
            // A finalized job still takes reveals until it settles (a late agreeing reveal
            // is paid; a missing one is a liveness miss).
            let closed = !job.is_unsettled() || job.round != record.round;
            let Some(a) = job.assignment(&self.me).filter(|_| !closed) else {
                tracing::info!(job = id, status = job.status.as_str(), "job round closed");
                self.forget(&record);
                return;
            };
            match (job.status, &a.commitment, &a.result_hash) {
                (JobStatus::Committing, None, _) => {
                    if self.stopping() {
                        return;
                    }
                    let msg = MsgCommitResult {
                        worker: self.me.to_string(),
                        job_id: id,
                        commitment: record.commitment_bytes(),
                    };
                    // Counted and logged per job before the send, so a second commit shows
                    // even when the chain refuses it.
                    self.metrics.commit_sends.inc();
                    tracing::info!(job = id, round = record.round, "sending commit");
                    match self
                        .signer
                        .submit(encode_any(&msg, MSG_COMMIT_RESULT))
                        .await
                    {
                        Ok(r) => {
                            failures = 0;
                            self.metrics.job("committed");
                            tracing::info!(job = id, height = r.height, "committed");
                            if self.fault == Some(Fault::CrashAfterCommit) {
                                tracing::warn!(job = id, "fault injection: crashing after commit");
                                std::process::exit(3);
                            }
                            continue;
                        }
                        Err(e) => {
                            failures = failures.saturating_add(1);
                            self.log_tx_failure(id, "commit", &e);
                        }
                    }
                }
                (JobStatus::Committing, Some(_), _) => {}
                (JobStatus::Revealing | JobStatus::Finalized, Some(c), None) => {
                    if c != &record.commitment {
                        tracing::error!(
                            job = id,
                            "on-chain commitment differs from the saved one; cannot reveal"
                        );
                        self.forget(&record);
                        return;
                    }
                    let msg = MsgRevealResult {
                        worker: self.me.to_string(),
                        job_id: id,
                        outcome: record.outcome_bytes(),
                        salt: record.salt_bytes(),
                    };
                    if self.drop_reveal() {
                        failures = failures.saturating_add(1);
                        self.metrics.job("reveal_failed");
                        tracing::warn!(job = id, "fault injection: reveal dropped");
                    } else {
                        match self
                            .signer
                            .submit(encode_any(&msg, MSG_REVEAL_RESULT))
                            .await
                        {
                            Ok(r) => {
                                self.metrics.job("revealed");
                                tracing::info!(job = id, height = r.height, "revealed");
                                continue;
                            }
                            Err(e) => {
                                failures = failures.saturating_add(1);
                                self.log_tx_failure(id, "reveal", &e);
                            }
                        }
                    }
                }
                (JobStatus::Revealing | JobStatus::Finalized, Some(_), Some(_)) => {
                    // Revealed; nothing left but the chain's verdict.
                    self.forget(&record);
                    return;
                }
                _ => {
                    tracing::info!(job = id, "commit window missed");
                    self.forget(&record);
                    return;
                }
            }
            if self.stopping() && a.commitment.is_none() {
                return;
            }
            if failures > 0 {
                tokio::time::sleep(resend_delay(failures)).await;
            }
            self.wait_next(&mut heights).await;
        }
    }

    /// True when this reveal send is to be dropped ([`Fault::DropReveals`]).
    fn drop_reveal(&self) -> bool {
        use std::sync::atomic::Ordering;
        self.drop_reveals
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }

    fn log_tx_failure(&self, id: u64, what: &str, e: &TxFailure) {
        self.metrics.job(&format!("{what}_failed"));
        tracing::warn!(job = id, error = %e, "{what} not accepted");
    }

    fn forget(&self, record: &CommitRecord) {
        if let Err(e) = self.store.remove_commit(record.job_id, record.round) {
            tracing::warn!(job = record.job_id, error = %e, "cannot remove commit record");
        }
    }

    /// Until the next processed height or [`POLL`], whichever is first.
    async fn wait_next(&self, heights: &mut watch::Receiver<u64>) {
        // An error means the follower is gone (shutdown): fall back to polling.
        if let Ok(Err(_)) = tokio::time::timeout(POLL, heights.changed()).await {
            tokio::time::sleep(POLL).await;
        }
    }
}

/// The wait before the next send after `failures` consecutive failed ones.
pub fn resend_delay(failures: u32) -> Duration {
    let shift = failures.saturating_sub(1).min(16);
    RESEND_DELAY
        .saturating_mul(1u32 << shift)
        .min(MAX_RESEND_DELAY)
}

/// Refuses an outcome whose reveal the chain would not take: over the function's outcome cap
/// (`max_outcome_len(output_bytes)`, checked by the reveal handler), or a reveal transaction
/// (message plus [`REVEAL_TX_OVERHEAD`]) over `max_tx_bytes`.
pub fn reveal_fits(
    id: u64,
    reveal: &MsgRevealResult,
    output_bytes: u32,
    max_tx_bytes: u64,
) -> Result<(), JobError> {
    let cap = u64::try_from(max_outcome_len(output_bytes)).unwrap_or(u64::MAX);
    let len = u64::try_from(reveal.outcome.len()).unwrap_or(u64::MAX);
    if len > cap {
        return Err(JobError::Unrevealable {
            id,
            size: len,
            max: cap,
            cap,
        });
    }
    let any = encode_any(reveal, MSG_REVEAL_RESULT);
    let size = u64::try_from(prost::Message::encoded_len(&any))
        .unwrap_or(u64::MAX)
        .saturating_add(REVEAL_TX_OVERHEAD);
    if size > max_tx_bytes {
        return Err(JobError::Unrevealable {
            id,
            size,
            max: max_tx_bytes,
            cap,
        });
    }
    Ok(())
}

/// What a decline tells operators: the error without the code hash the job already names,
/// cut at a character boundary to the chain's [`MAX_DETAIL_BYTES`].
fn decline_detail(why: &CodeError) -> String {
    let text = why.to_string();
    let names_hash = |rest: &str| {
        rest.get(..64)
            .is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
    };
    let mut detail = match text.strip_prefix("code ") {
        Some(rest) if names_hash(rest) => rest[64..].trim_start().to_string(),
        _ => text,
    };
    if detail.len() > MAX_DETAIL_BYTES {
        let mut cut = MAX_DETAIL_BYTES;
        while !detail.is_char_boundary(cut) {
            cut -= 1;
        }
        detail.truncate(cut);
    }
    detail
}

/// Prefetches on placement (fetch + compile) running at once.
const PREFETCHES_AT_ONCE: usize = 2;

/// Margin kept at the end of a job's commit window for getting a decline (or a quick run's
/// commit) into a block.
const AFTER_FETCH: Duration = Duration::from_secs(5);
/// Shortest time given to a fetch, however late the job is.
const MIN_FETCH: Duration = Duration::from_secs(2);

/// Until when a job's code may be fetched: its commit window's block-time end
/// (`commit_until_ms`, the assignment plus the manifest's timeout plus `commit_grace_ms`) less
/// [`AFTER_FETCH`], so an honest worker that cannot get the code still declines inside the
/// window (read against this machine's clock, which tracks block time). The whole window is
/// the fetch's: a job rarely runs to its timeout, and a worker that got its code late and
/// then runs long commits late rather than declining code it has.
fn fetch_deadline(job: &ChainJob) -> tokio::time::Instant {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    let left = Duration::from_millis(job.commit_until_ms.saturating_sub(now_ms))
        .saturating_sub(AFTER_FETCH)
        .max(MIN_FETCH);
    tokio::time::Instant::now() + left
}

fn parse_hash32(s: &str) -> Option<[u8; 32]> {
    let v = hex::decode(s).ok()?;
    <[u8; 32]>::try_from(v.as_slice()).ok()
}

/// Whether the chain answered that the job finished long ago and was deleted
/// (`job_retention_blocks`).
fn is_pruned(e: &bls_client::RpcError) -> bool {
    use bls_core::AbciCode as _;
    let pruned = bls_orchestration::error::OrchestrationError::JobPruned(0);
    matches!(e, bls_client::RpcError::Query { code, codespace, .. }
        if *code == pruned.code() && codespace == pruned.codespace())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decline_says_why_within_the_chains_bound() {
        let hash = "ab".repeat(32);
        let why = CodeError::Unavailable {
            hash: hash.clone(),
            tried: format!("bafy: {}", "é".repeat(400)),
        };
        let d = decline_detail(&why);
        assert!(
            d.starts_with("is not on chain and no source gave it: bafy: é"),
            "{d}"
        );
        assert!(!d.contains(&hash));
        assert!(d.len() <= MAX_DETAIL_BYTES);
        let short = CodeError::Cache("disk full".into());
        assert_eq!(decline_detail(&short), "code cache: disk full");
    }

    fn reveal(outcome_len: usize) -> MsgRevealResult {
        MsgRevealResult {
            worker: bls_core::Address::from_bytes(&[1; 20]).to_string(),
            job_id: 7,
            outcome: vec![0xab; outcome_len],
            salt: vec![1; 32],
        }
    }

    /// The attack on an honest worker: a function whose outcome makes the reveal larger than
    /// the chain or the mempool takes. Committing it would get the worker slashed for
    /// withholding; it is refused before the commit instead.
    #[test]
    fn an_outcome_whose_reveal_cannot_fit_is_not_committed() {
        let max_tx = crate::config::DEFAULT_MAX_TX_BYTES;
        let cap = bls_core::outcome::MAX_OUTPUT_BYTES;
        // A full-size outcome (stdout and stderr at the 1 MiB cap) does not fit 1 MiB.
        let big = max_outcome_len(cap);
        let r = reveal_fits(7, &reveal(big), cap, max_tx);
        assert!(
            matches!(r, Err(JobError::Unrevealable { id: 7, max, .. }) if max == max_tx),
            "{r:?}"
        );
        // One that fits with the envelope is committed.
        let ok = usize::try_from(max_tx - REVEAL_TX_OVERHEAD).unwrap() - 200;
        reveal_fits(7, &reveal(ok), cap, max_tx).unwrap();
        // An outcome over the function's own cap (the reveal handler refuses it) is refused.
        let small_cap = 1000u32;
        let over = max_outcome_len(small_cap) + 1;
        assert!(matches!(
            reveal_fits(7, &reveal(over), small_cap, max_tx),
            Err(JobError::Unrevealable { .. })
        ));
        reveal_fits(7, &reveal(over - 1), small_cap, max_tx).unwrap();
    }

    /// Re-sending backs off but is bounded, and nothing in it gives up: the drive loop stops
    /// only when the chain has the reveal or the job settled (its reveal deadline passed).
    #[test]
    fn resends_back_off_without_giving_up() {
        assert_eq!(resend_delay(1), RESEND_DELAY);
        assert_eq!(resend_delay(2), RESEND_DELAY * 2);
        assert!(resend_delay(3) > resend_delay(2));
        for f in [10, 100, u32::MAX] {
            assert_eq!(resend_delay(f), MAX_RESEND_DELAY);
        }
    }

    #[test]
    fn only_the_chains_pruned_answer_counts_as_pruned() {
        let query = |code: u32, codespace: &str| bls_client::RpcError::Query {
            path: "/bls.orchestration.v1.Query/Job".into(),
            code,
            codespace: codespace.into(),
            log: "job 7 not found".into(),
        };
        assert!(super::is_pruned(&query(28, "orchestration")));
        // Never issued, another module's 28, or a transport failure: keep retrying.
        assert!(!super::is_pruned(&query(11, "orchestration")));
        assert!(!super::is_pruned(&query(28, "registry")));
        assert!(!super::is_pruned(&bls_client::RpcError::Unreachable {
            url: "http://127.0.0.1:1".into(),
            detail: "refused".into(),
        }));
    }
}
