//! Settlement of finalized jobs (fees, dissent, withholding, liveness), reassignment,
//! failure, and the end block driver of commit/reveal windows. All of it runs in end block,
//! never in a worker's reveal tx.
//!
//! Every path keeps `balance(orchestration_escrow) == Σ unsettled jobs' escrow`: a
//! finalized job keeps its escrow until settlement, which pays workers, burns, funds the
//! community pool and refunds the rest so the job's escrow becomes 0; failure refunds it
//! all; reassignment keeps it.
//!
//! Penalties go through the registry's keepers ([`bls_registry::penalty`],
//! [`bls_registry::liveness`]), which emit their own events. Each dissent is judged by
//! [`crate::dissent::dissent_penalty`] with the pinned manifest, the final outcome and the
//! dissenter's own outcome; each withheld reveal by
//! [`crate::withholding::withholding_penalty`].

use bls_core::outcome::Outcome;
use bls_core::{Address, Context, Event};
use bls_fees::state::community_pool;
use bls_registry::liveness::{self, Duty};
use bls_registry::penalty::{self, Infraction};
use bls_registry::RegistryError;
use cosmwasm_std::{Order, Storage};
use cw_storage_plus::Bound;

use crate::dissent::{self, DissentPenalty};
use crate::error::OrchestrationError;
use crate::events;
use crate::handlers::assign::queue_job;
use crate::handlers::join;
use crate::handlers::results::open_reveals;
use crate::manifest::Manifest;
use crate::params::Params;
use crate::pricing;
use crate::state::{
    escrow_account, Job, JobResult, JobStatus, DEADLINES, JOBS, RESULTS, REVEAL_OUTCOMES,
    WORKER_JOBS,
};
use crate::withholding::{self, WithholdingPenalty};
use bls_bank::keeper as bank;

/// The fee `job` is charged if `outcome` is its agreed result: [`pricing::job_fee`] under the
/// pinned manifest's limits, capped by the escrow still held beside the job's royalty and
/// its calls' reserve.
pub fn fee_of(job: &Job, outcome: &Outcome, p: &Params) -> u128 {
    let limits = job.pinned_manifest().map(|m| m.limits).unwrap_or_default();
    pricing::job_fee(p, &limits, outcome).min(
        job.escrow
            .saturating_sub(job.royalty)
            .saturating_sub(job.call_reserve),
    )
}

/// How a fee is divided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeeSplit {
    /// Paid to each agreeing worker.
    pub per_worker: u128,
    /// Burnt.
    pub burn: u128,
    /// To the community pool (its share plus every rounding remainder).
    pub community: u128,
}

/// Splits `fee` among `workers` agreeing workers, the burn and the community pool, by the fees
/// module's invocation split (one source of truth for the shares).
pub fn split_fee(split: &bls_fees::state::Split, fee: u128, workers: usize) -> FeeSplit {
    let (worker_part, burn, _) = split.apply(fee);
    let k = u128::try_from(workers.max(1)).unwrap_or(1);
    let per_worker = worker_part / k;
    let paid = per_worker.saturating_mul(k);
    let community = fee.saturating_sub(paid).saturating_sub(burn);
    FeeSplit {
        per_worker,
        burn,
        community,
    }
}

/// The result of a finalized job: the stored record once settled; while settling, derived
/// from the job (agreeing workers so far) and its revealed outcome. `None` before finality.
pub fn result_of(
    store: &dyn Storage,
    job: &Job,
    p: &Params,
) -> Result<Option<JobResult>, OrchestrationError> {
    if let Some(r) = RESULTS.may_load(store, job.id)? {
        return Ok(Some(r));
    }
    let (true, Some(hash_hex)) = (job.settling, job.result_hash.as_deref()) else {
        return Ok(None);
    };
    let outcome_bytes = REVEAL_OUTCOMES.load(store, (job.id, hash_hex))?;
    let outcome = Outcome::decode(outcome_bytes.as_slice())
        .map_err(|e| OrchestrationError::InvalidOutcome(e.to_string()))?;
    Ok(Some(JobResult {
        job_id: job.id,
        function_id: job.function_id,
        result_hash: hash_hex.to_string(),
        outcome: outcome_bytes,
        workers: job
            .assignments
            .iter()
            .filter(|a| a.result_hash.as_deref() == Some(hash_hex))
            .map(|a| a.worker.clone())
            .collect(),
        fee: fee_of(job, &outcome, p),
        fuel_used: outcome.fuel_used,
        height: job.finalized_height,
    }))
}

/// Settles a finalized job (end block: every committer revealed, or the reveal window
/// closed): pays every agreeing worker an equal share, burns, funds the community pool,
/// refunds the rest, judges each dissent and each withheld reveal, records answers, stores
/// the result.
fn settle(ctx: &mut Context<'_>, mut job: Job, p: &Params) -> Result<(), OrchestrationError> {
    let result = result_of(ctx.store, &job, p)?.ok_or_else(|| {
        OrchestrationError::Store(format!("settling job {} has no final result", job.id))
    })?;
    let final_outcome = decode(result.outcome.as_slice())?;
    let manifest = job.pinned_manifest();
    let hash_hex = result.result_hash.as_str();
    let agreeing = result.workers.clone();
    let dissenting: Vec<(Address, String)> = job
        .assignments
        .iter()
        .filter_map(|a| match a.result_hash.as_deref() {
            Some(h) if h != hash_hex => Some((a.worker.clone(), h.to_string())),
            _ => None,
        })
        .collect();
    let silent = withheld(&job);

    let fee = result.fee;
    let shares = bls_fees::state::invocation_split(ctx.store)
        .map_err(|e| OrchestrationError::Store(e.to_string()))?;
    let split = split_fee(&shares, fee, agreeing.len());
    let escrow = escrow_account();
    for w in &agreeing {
        bank::send_ubls(ctx, &escrow, w, split.per_worker)?;
    }
    bank::burn_ubls(ctx, &escrow, split.burn)?;
    bank::send_ubls(ctx, &escrow, &community_pool(), split.community)?;
    // The listing price fixed at invoke goes to the function's owner (a function gone from
    // the store, which retirement never does, would refund it).
    let owner = crate::state::FUNCTIONS
        .may_load(ctx.store, job.function_id)?
        .map(|f| f.owner);
    let royalty = if owner.is_some() {
        job.royalty.min(job.escrow.saturating_sub(fee))
    } else {
        0
    };
    if let (Some(owner), true) = (&owner, royalty > 0) {
        bank::send_ubls(ctx, &escrow, owner, royalty)?;
        crate::market::royalty::paid_event(
            ctx,
            job.function_id,
            owner,
            royalty,
            crate::market::royalty::PaidBy::Job(job.id),
        );
    }
    let latency = job.finalized_height.saturating_sub(job.height);
    crate::market::royalty::record_result(ctx.store, job.function_id, royalty, latency)?;
    // Each call that exited 0 pays its callee's pinned price, within the calls' reserve.
    let reserve = job
        .call_reserve
        .min(job.escrow.saturating_sub(fee).saturating_sub(royalty));
    let calls_paid = crate::market::composition::pay_calls(ctx, &job, &final_outcome, reserve)?;
    let refund = job
        .escrow
        .saturating_sub(fee)
        .saturating_sub(royalty)
        .saturating_sub(calls_paid);
    bank::send_ubls(ctx, &escrow, &job.invoker, refund)?;
    job.escrow = 0;

    for w in &agreeing {
        tolerate_gone(liveness::record_answer(ctx, w))?;
    }
    for (w, h) in &dissenting {
        let judged = match (&manifest, dissent_outcome(ctx.store, job.id, h)?) {
            (Some(m), Some(o)) => dissent::dissent_penalty(m, &final_outcome, &o),
            // Capabilities unknown: nobody is slashed on a guess.
            (None, _) => DissentPenalty::Unpaid,
            // Outcome not on record (state from before outcomes were kept): judged as the
            // rule would without it, and never slashed on a guess.
            (Some(m), None)
                if dissent::nondeterministic_function(m)
                    || dissent::environment_dependent(&final_outcome) =>
            {
                DissentPenalty::Unpaid
            }
            (Some(_), None) => DissentPenalty::Miss,
        };
        match judged {
            DissentPenalty::Slash => {
                let reason = format!("dissenting result for job {}", job.id);
                punish(ctx, &job, w, &reason, p)?;
            }
            DissentPenalty::Miss => miss(ctx, job.id, w)?,
            DissentPenalty::Unpaid => {}
        }
    }
    for w in &silent {
        penalize_withholding(ctx, &job, manifest.as_ref(), w, p)?;
    }

    RESULTS.save(ctx.store, job.id, &result)?;
    job.settling = false;
    close(ctx, &mut job, JobStatus::Finalized)?;
    ctx.emit(
        Event::new(events::JOB_SETTLED)
            .attr("job_id", job.id)
            .attr("workers", join(&agreeing))
            .attr("fee", fee)
            .attr("per_worker", split.per_worker)
            .attr("burn", split.burn)
            .attr("community", split.community)
            .attr("royalty", royalty)
            .attr("calls_paid", calls_paid)
            .attr("refund", refund),
    );
    Ok(())
}

fn decode(bytes: &[u8]) -> Result<Outcome, OrchestrationError> {
    Outcome::decode(bytes).map_err(|e| OrchestrationError::InvalidOutcome(e.to_string()))
}

/// The outcome a dissenter revealed (kept until settlement), if on record.
fn dissent_outcome(
    store: &dyn Storage,
    job_id: u64,
    hash_hex: &str,
) -> Result<Option<Outcome>, OrchestrationError> {
    Ok(REVEAL_OUTCOMES
        .may_load(store, (job_id, hash_hex))?
        .and_then(|b| Outcome::decode(b.as_slice()).ok()))
}

/// Committed workers of the current round that have not revealed.
fn withheld(job: &Job) -> Vec<Address> {
    job.assignments
        .iter()
        .filter(|a| a.commitment.is_some() && a.result_hash.is_none())
        .map(|a| a.worker.clone())
        .collect()
}

/// Registry calls on a worker whose record is gone (unbonded meanwhile) are skipped.
fn tolerate_gone<T: Default>(r: Result<T, RegistryError>) -> Result<T, OrchestrationError> {
    match r {
        Err(RegistryError::UnknownWorker(_)) => Ok(T::default()),
        other => Ok(other?),
    }
}

/// The dissent penalty: slash and jail through the registry's keeper. The answer was
/// committed in the current round, so its start is the earliest height the infraction can
/// have happened.
fn punish(
    ctx: &mut Context<'_>,
    job: &Job,
    w: &Address,
    reason: &str,
    p: &Params,
) -> Result<(), OrchestrationError> {
    let infraction = Infraction {
        fraction_bps: p.slash_fraction_bps,
        height: job.round_height,
        jail_blocks: p.dissent_jail_blocks,
        reason,
    };
    tolerate_gone(penalty::punish(ctx, w, &infraction))?;
    Ok(())
}

/// A liveness miss for job `job_id`.
fn miss(ctx: &mut Context<'_>, job_id: u64, w: &Address) -> Result<(), OrchestrationError> {
    tolerate_gone(liveness::record_miss(ctx, w, &Duty::Job(job_id)))?;
    Ok(())
}

/// A committed worker did not reveal: [`withholding::withholding_penalty`].
fn penalize_withholding(
    ctx: &mut Context<'_>,
    job: &Job,
    manifest: Option<&Manifest>,
    w: &Address,
    p: &Params,
) -> Result<(), OrchestrationError> {
    let max_tx = crate::reveal_size::max_reveal_tx_bytes(ctx.store)?;
    if withholding::withholding_penalty(manifest, max_tx) == WithholdingPenalty::SlashAndMiss {
        let reason = format!(
            "withheld the reveal of a committed result for job {}",
            job.id
        );
        punish(ctx, job, w, &reason, p)?;
    }
    miss(ctx, job.id, w)
}

fn record_answers(ctx: &mut Context<'_>, job: &Job) -> Result<(), OrchestrationError> {
    for a in &job.assignments {
        if a.result_hash.is_some() {
            tolerate_gone(liveness::record_answer(ctx, &a.worker))?;
        }
    }
    Ok(())
}

/// Removes a settled job's indexes and temporary data and saves it with `status`.
fn close(
    ctx: &mut Context<'_>,
    job: &mut Job,
    status: JobStatus,
) -> Result<(), OrchestrationError> {
    if let Some(d) = job.current_deadline() {
        DEADLINES.remove(ctx.store, (d, job.id));
    }
    for a in &job.assignments {
        WORKER_JOBS.remove(ctx.store, (a.worker.as_str(), job.id));
    }
    clear_reveals(ctx, job.id)?;
    job.status = status;
    JOBS.save(ctx.store, job.id, job)?;
    super::job_prune::schedule(ctx, job.id)
}

fn clear_reveals(ctx: &mut Context<'_>, job_id: u64) -> Result<(), OrchestrationError> {
    let hashes: Vec<String> = REVEAL_OUTCOMES
        .prefix(job_id)
        .keys(ctx.store, None, None, Order::Ascending)
        .collect::<Result<_, _>>()?;
    for h in hashes {
        REVEAL_OUTCOMES.remove(ctx.store, (job_id, &h));
    }
    Ok(())
}

/// The current round cannot finish: if retries remain, the job is queued for its next round
/// (begin block of the next block picks never-assigned workers with that block's randomness,
/// or fails the job if there are not enough: [`crate::handlers::assign`]); otherwise it fails
/// with a full refund.
fn round_failed(
    ctx: &mut Context<'_>,
    mut job: Job,
    reason: &str,
    p: &Params,
) -> Result<(), OrchestrationError> {
    if job.round >= p.max_retries {
        return fail(ctx, job, &format!("{reason}; retries exhausted"));
    }
    if let Some(d) = job.current_deadline() {
        DEADLINES.remove(ctx.store, (d, job.id));
    }
    for a in &job.assignments {
        WORKER_JOBS.remove(ctx.store, (a.worker.as_str(), job.id));
    }
    clear_reveals(ctx, job.id)?;
    job.round = job.round.saturating_add(1);
    job.status = JobStatus::Queued;
    job.commit_deadline = 0;
    job.reveal_deadline = 0;
    job.assignments = Vec::new();
    // Kept until the next round is assigned, so a failure then can say why it was needed.
    job.failure = reason.to_string();
    JOBS.save(ctx.store, job.id, &job)?;
    ctx.emit(
        Event::new(events::JOB_REASSIGNED)
            .attr("job_id", job.id)
            .attr("round", job.round)
            .attr("reason", reason),
    );
    queue_job(ctx, &job)
}

/// Fails a job: its escrow is refunded in full.
pub(crate) fn fail(
    ctx: &mut Context<'_>,
    mut job: Job,
    reason: &str,
) -> Result<(), OrchestrationError> {
    let refund = job.escrow;
    bank::send_ubls(ctx, &escrow_account(), &job.invoker, refund)?;
    job.escrow = 0;
    job.failure = reason.to_string();
    crate::market::royalty::record_failure(ctx.store, job.function_id)?;
    close(ctx, &mut job, JobStatus::Failed)?;
    ctx.emit(
        Event::new(events::JOB_FAILED)
            .attr("job_id", job.id)
            .attr("reason", reason)
            .attr("refund", refund),
    );
    Ok(())
}

/// Due deadlines one end block processes at most. Invocations are bounded per block by gas,
/// but every job invoked over many blocks can fall due in one (same window), and a block must
/// not take longer because of it: the rest carry over to the next blocks, oldest first.
pub const DEADLINES_PER_BLOCK: usize = 256;

/// Drives the windows whose deadline is this block (a reveal window ends early, at the
/// height of the last committer's reveal): closes commit phases (misses for the silent,
/// reveals if `m` committed, else reassignment), settles finalized jobs, and ends reveal
/// phases without quorum (the withholding penalty for committed-but-silent workers, then
/// reassignment or failure).
pub fn end_block(ctx: &mut Context<'_>) -> Result<(), OrchestrationError> {
    let p = crate::state::params(ctx.store)?;
    let end = Bound::exclusive((ctx.block.height.saturating_add(1), 0u64));
    // The queue is ordered by (deadline, job id), so its head is the cursor: at most
    // DEADLINES_PER_BLOCK due entries per block, oldest first; the rest stay queued for the
    // next blocks (a job handled late has refused late commits and reveals meanwhile).
    let due: Vec<(u64, u64)> = DEADLINES
        .keys(ctx.store, None, Some(end), Order::Ascending)
        .take(DEADLINES_PER_BLOCK)
        .collect::<Result<_, _>>()?;
    for (deadline, id) in due {
        DEADLINES.remove(ctx.store, (deadline, id));
        // The deadline is not retried, whatever happens.
        isolated(
            ctx,
            id,
            "its deadline could not be processed",
            |ctx| process_deadline(ctx, deadline, id, &p),
            Event::new(events::JOB_DEADLINE_FAILED).attr("deadline", deadline),
        );
    }
    Ok(())
}

/// Runs one function's block-hook `work` (its first placement, a repair) all or nothing:
/// on failure its writes are dropped, `event` reports it with `function_id` and `error`
/// added, and the other functions' work goes on.
pub(crate) fn isolated_function(
    ctx: &mut Context<'_>,
    id: u64,
    work: impl FnOnce(&mut Context<'_>) -> Result<(), OrchestrationError>,
    event: Event,
) {
    if let Err(e) = ctx.branch(work) {
        ctx.emit(event.attr("function_id", id).attr("error", e.to_string()));
    }
}

/// Runs one job's block-hook `work` all or nothing: a job that cannot be processed (state no
/// rule foresaw) must not stop every other job's work, block after block. Its writes are
/// dropped and it fails with a full refund (`why: error`); if even that fails, it is left as
/// it was. Either way `event` reports it, with `job_id`, `error` and `refunded` added.
pub(crate) fn isolated(
    ctx: &mut Context<'_>,
    id: u64,
    why: &str,
    work: impl FnOnce(&mut Context<'_>) -> Result<(), OrchestrationError>,
    event: Event,
) {
    if let Err(e) = ctx.branch(work) {
        let reason = format!("{why}: {e}");
        let refunded = ctx.branch(|ctx| match JOBS.may_load(ctx.store, id)? {
            Some(job) => fail(ctx, job, &reason),
            None => Ok(()),
        });
        ctx.emit(
            event
                .attr("job_id", id)
                .attr("error", e.to_string())
                .attr("refunded", refunded.is_ok()),
        );
    }
}

/// A commit deadline reached before the job's `commit_until_ms` by block time (blocks came
/// faster than estimated at assignment): the deadline moves to where block time should pass
/// it at the chain's pace so far ([`crate::handlers::assign::blocks_until`], at least one
/// block on), and the job stays open. A window closed early because every slot committed or
/// declined is not reopened. Returns whether it moved.
fn extend_commit_window(ctx: &mut Context<'_>, job: &mut Job) -> Result<bool, OrchestrationError> {
    let pending = job
        .assignments
        .iter()
        .any(|a| a.commitment.is_none() && !a.declined);
    if !pending {
        return Ok(false);
    }
    let blocks = crate::handlers::assign::blocks_until(ctx, job, job.commit_until_ms);
    if blocks == 0 {
        return Ok(false);
    }
    job.commit_deadline = ctx.block.height.saturating_add(blocks);
    DEADLINES.save(ctx.store, (job.commit_deadline, job.id), &())?;
    JOBS.save(ctx.store, job.id, job)?;
    Ok(true)
}

/// One job's due deadline (its entry already removed from the queue).
fn process_deadline(
    ctx: &mut Context<'_>,
    deadline: u64,
    id: u64,
    p: &Params,
) -> Result<(), OrchestrationError> {
    let Some(mut job) = JOBS.may_load(ctx.store, id)? else {
        return Ok(());
    };
    if job.current_deadline() != Some(deadline) {
        return Ok(());
    }
    match job.status {
        JobStatus::Committing => {
            if extend_commit_window(ctx, &mut job)? {
                return Ok(());
            }
            let silent: Vec<Address> = job
                .assignments
                .iter()
                .filter(|a| a.commitment.is_none() && !a.declined)
                .map(|a| a.worker.clone())
                .collect();
            for w in &silent {
                miss(ctx, id, w)?;
            }
            if job.commits() >= usize::try_from(job.quorum).unwrap_or(usize::MAX) {
                // The entry was already removed; open_reveals removes it again harmlessly and
                // queues the reveal deadline.
                open_reveals(ctx, &mut job, p)?;
                JOBS.save(ctx.store, id, &job)?;
            } else {
                round_failed(ctx, job, "too few commits before the commit deadline", p)?;
            }
        }
        JobStatus::Revealing => {
            let silent = withheld(&job);
            let manifest = job.pinned_manifest();
            for w in &silent {
                penalize_withholding(ctx, &job, manifest.as_ref(), w, p)?;
            }
            record_answers(ctx, &job)?;
            let reason = if silent.is_empty() {
                "revealed results did not reach quorum"
            } else {
                "no quorum before the reveal deadline"
            };
            round_failed(ctx, job, reason, p)?;
        }
        JobStatus::Finalized if job.settling => settle(ctx, job, p)?,
        JobStatus::Queued | JobStatus::Finalized | JobStatus::Failed => {}
    }
    Ok(())
}
