//! Deferred assignment: who runs a job, and who sits in a new subnetwork, is decided in the
//! begin block after the transaction that asked for it, with that block's beacon randomness.
//!
//! Why: a seed known when a transaction is included lets the proposer of that block decide
//! whether to include it (or which of its own invokes to include) by the assignment it would
//! get, and a seed from the block itself (its hash) is chosen by that proposer. The beacon's
//! randomness for block `h + 1` mixes validators' reveals made while block `h` was being
//! committed, each bound a height earlier, so nobody choosing block `h`'s transactions could
//! know it (`bls-beacon`). Begin block sees only state fixed by block `h`, so the proposer of
//! `h + 1` cannot steer what the randomness is applied to either.
//!
//! - `MsgInvoke` escrows and queues the job ([`queue_job`], status `queued`); a failed round
//!   queues it again for its next round. Begin block assigns every queued job in id order:
//!   the first round draws `n` members of the subnetwork ([`crate::placement::select`]) and
//!   the job's guest seed, a later round draws never-assigned workers
//!   ([`subnet::pick_fresh`]). The commit deadline counts from the assignment height.
//!   Not enough workers then: the job fails and its escrow is refunded in full.
//! - `MsgDeployFunction` queues its function's first placement ([`queue_placement`]).
//! - The end-block repair of subnetworks runs in begin block for the same reason
//!   ([`crate::handlers::subnet_repair`]).
//!
//! Begin-block work is bounded by the transactions of the previous block (each invoke and
//! deploy paid gas for its eligibility scan) and by the rounds that failed in it.

use bls_core::{Address, Context, Event};
use cosmwasm_std::Order;

use crate::error::OrchestrationError;
use crate::events;
use crate::handlers::invoke::assigned_event;
use crate::handlers::settle::{fail, isolated, isolated_function};
use crate::handlers::subnet::{ensure_subnetwork, pick_fresh};
use crate::manifest::Manifest;
use crate::params::Params;
use crate::placement;
use crate::state::{
    Assignment, FunctionStatus, Job, JobStatus, ASSIGN_QUEUE, DEADLINES, FUNCTIONS, JOBS,
    PLACE_QUEUE, WORKER_JOBS,
};

/// Queues `job` (saved by the caller with status `queued`) for the next begin block.
pub fn queue_job(ctx: &mut Context<'_>, job: &Job) -> Result<(), OrchestrationError> {
    ASSIGN_QUEUE.save(ctx.store, job.id, &())?;
    ctx.emit(
        Event::new(events::JOB_QUEUED)
            .attr("job_id", job.id)
            .attr("function_id", job.function_id)
            .attr("round", job.round)
            .attr("assign_height", ctx.block.height.saturating_add(1)),
    );
    Ok(())
}

/// Queues the first placement of function `id`'s subnetwork for the next begin block.
pub fn queue_placement(ctx: &mut Context<'_>, id: u64) -> Result<(), OrchestrationError> {
    Ok(PLACE_QUEUE.save(ctx.store, id, &())?)
}

/// Begin block, first: the queued first placements, in function id order.
pub fn place_queued(ctx: &mut Context<'_>, p: &Params) -> Result<(), OrchestrationError> {
    let functions: Vec<u64> = PLACE_QUEUE
        .keys(ctx.store, None, None, Order::Ascending)
        .collect::<Result<_, _>>()?;
    for id in functions {
        PLACE_QUEUE.remove(ctx.store, id);
        // One function at a time, all or nothing: reported and skipped on failure.
        isolated_function(
            ctx,
            id,
            |ctx| {
                let Some(f) = FUNCTIONS.may_load(ctx.store, id)? else {
                    return Ok(());
                };
                if f.status != FunctionStatus::Active {
                    return Ok(());
                }
                // A manifest that no longer parses cannot be placed; invoke refuses it too.
                if let Ok(m) = Manifest::from_json(f.manifest_json.as_bytes()) {
                    ensure_subnetwork(ctx, &f, &m, p)?;
                }
                Ok(())
            },
            Event::new(events::PLACEMENT_FAILED),
        );
    }
    Ok(())
}

/// Begin block, last: the queued jobs, in job id order.
pub fn assign_queued(ctx: &mut Context<'_>, p: &Params) -> Result<(), OrchestrationError> {
    let jobs: Vec<u64> = ASSIGN_QUEUE
        .keys(ctx.store, None, None, Order::Ascending)
        .collect::<Result<_, _>>()?;
    for id in jobs {
        ASSIGN_QUEUE.remove(ctx.store, id);
        // One job at a time, all or nothing (the queue entry is gone either way).
        isolated(
            ctx,
            id,
            "it could not be assigned",
            |ctx| match JOBS.may_load(ctx.store, id)? {
                Some(job) if job.status == JobStatus::Queued => assign(ctx, job, p),
                _ => Ok(()),
            },
            Event::new(events::JOB_ASSIGNMENT_FAILED),
        );
    }
    Ok(())
}

/// Assigns a queued job's current round, or fails it with a full refund.
fn assign(ctx: &mut Context<'_>, mut job: Job, p: &Params) -> Result<(), OrchestrationError> {
    let n = usize::try_from(job.replication).unwrap_or(usize::MAX);
    let workers = if job.round == 0 {
        first_round(ctx, &mut job, p)?
    } else {
        pick_fresh(ctx, &job, p)?
    };
    if workers.len() < n {
        // A failed round left its reason in `failure` when it queued the next one.
        let why = if job.round == 0 {
            format!(
                "not enough eligible workers at assignment: need {n}, found {}",
                workers.len()
            )
        } else {
            format!("{}; not enough fresh workers to reassign", job.failure)
        };
        return fail(ctx, job, &why);
    }
    job.failure = String::new();
    job.status = JobStatus::Committing;
    job.secrets_version = crate::secrets::state::last_version(ctx.store, job.function_id)?;
    job.round_height = ctx.block.height;
    job.commit_until_ms = commit_until_ms(ctx, &job, p);
    job.commit_deadline = ctx
        .block
        .height
        .saturating_add(
            p.commit_window
                .max(blocks_until(ctx, &job, job.commit_until_ms)),
        );
    job.reveal_deadline = 0;
    job.assignments = workers
        .iter()
        .map(|w| Assignment {
            worker: w.clone(),
            commitment: None,
            result_hash: None,
            declined: false,
        })
        .collect();
    job.previously_assigned.extend(workers.iter().cloned());
    for w in &workers {
        WORKER_JOBS.save(ctx.store, (w.as_str(), job.id), &())?;
    }
    DEADLINES.save(ctx.store, (job.commit_deadline, job.id), &())?;
    JOBS.save(ctx.store, job.id, &job)?;
    ctx.emit(assigned_event(&job));
    Ok(())
}

/// The block time (Unix milliseconds) before which a round assigned in this block keeps its
/// commit window open: now + the pinned manifest's `timeout_ms` + `commit_grace_ms`. The
/// window is counted in blocks (`commit_window`) and in block time, whichever ends later, so
/// a 15-minute job fits at any block interval ([`crate::handlers::settle`] moves a deadline
/// reached too early).
fn commit_until_ms(ctx: &Context<'_>, job: &Job, p: &Params) -> u64 {
    let timeout_ms = job.pinned_manifest().map_or(0, |m| m.limits.timeout_ms);
    block_time_ms(ctx)
        .saturating_add(timeout_ms)
        .saturating_add(p.commit_grace_ms)
}

/// Shortest block interval [`blocks_until`] assumes, ms: a deadline estimated with too short
/// an interval would lie far beyond the job's end; one estimated too long ends early and is
/// moved on ([`crate::handlers::settle`]), which is harmless.
const MIN_INTERVAL_MS: u64 = 100;

/// Blocks from this one until block time reaches `until_ms`, at the pace the chain kept since
/// `job` was invoked (at least [`MIN_INTERVAL_MS`] per block); 0 when it is already reached.
pub(crate) fn blocks_until(ctx: &Context<'_>, job: &Job, until_ms: u64) -> u64 {
    let now_ms = block_time_ms(ctx);
    let Some(remaining_ms) = until_ms.checked_sub(now_ms).filter(|r| *r > 0) else {
        return 0;
    };
    let since_ms = now_ms.saturating_sub(time_ms(job.time_secs, job.time_nanos));
    let since_blocks = ctx.block.height.saturating_sub(job.height).max(1);
    let interval_ms = (since_ms / since_blocks).max(MIN_INTERVAL_MS);
    remaining_ms.div_ceil(interval_ms)
}

/// This block's time in Unix milliseconds (0 before the epoch).
pub(crate) fn block_time_ms(ctx: &Context<'_>) -> u64 {
    time_ms(ctx.block.time_secs, ctx.block.time_nanos)
}

/// A block time in Unix milliseconds (0 before the epoch).
pub(crate) fn time_ms(secs: i64, nanos: u32) -> u64 {
    u64::try_from(secs)
        .unwrap_or(0)
        .saturating_mul(1000)
        .saturating_add(u64::from(nanos / 1_000_000))
}

/// The members that can run the function: all of them, or for a function with secrets those
/// holding every secret ([`crate::secrets::state::holds_secrets`]).
pub(crate) fn runnable(
    ctx: &Context<'_>,
    function: u64,
    members: Vec<crate::placement::Candidate>,
) -> Result<Vec<crate::placement::Candidate>, OrchestrationError> {
    if !crate::secrets::state::has_secrets(ctx.store, function) {
        return Ok(members);
    }
    let mut out = Vec::with_capacity(members.len());
    for c in members {
        if crate::secrets::state::holds_secrets(ctx.store, function, &c.id)? {
            out.push(c);
        }
    }
    Ok(out)
}

/// The first round: the guest seed and `n` members of the (repaired) subnetwork.
fn first_round(
    ctx: &mut Context<'_>,
    job: &mut Job,
    p: &Params,
) -> Result<Vec<Address>, OrchestrationError> {
    let seed = placement::seed(
        "bls/job",
        &[
            ctx.block.chain_id.as_bytes(),
            &ctx.block.randomness,
            &job.id.to_be_bytes(),
        ],
    );
    job.seed = hex::encode(seed);
    let f = FUNCTIONS.may_load(ctx.store, job.function_id)?;
    let Some(f) = f.filter(|f| f.status == FunctionStatus::Active) else {
        return Ok(Vec::new());
    };
    let Ok(m) = Manifest::from_json(job.manifest_json.as_bytes()) else {
        return Ok(Vec::new());
    };
    let placed = ensure_subnetwork(ctx, &f, &m, p)?;
    let members = runnable(ctx, f.id, placed)?;
    let n = usize::try_from(job.replication).unwrap_or(usize::MAX);
    Ok(placement::select(&members, &[], n, &seed))
}
