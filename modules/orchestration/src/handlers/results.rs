//! `MsgCommitResult` and `MsgRevealResult`.
//!
//! Commits close when every assigned worker has committed or the commit window ends (with
//! at least `m` commits). Reveals are accepted only after that, so no reveal is ever visible
//! while a commit can still be made: nobody can copy a revealed answer into a commitment.
//! Reveals only record: finality is a status change, settlement happens in end block
//! ([`settle`]).

use bls_core::outcome::{Outcome, MAX_OUTPUT_BYTES};
use bls_core::{Address, Context, Event};
use cosmwasm_std::Binary;
use sha2::{Digest, Sha256};

use crate::error::{invalid, OrchestrationError};
use crate::events;
use crate::handlers::settle;
use crate::handlers::{join, parse_addr};
use crate::msgs::{
    commitment, MsgCommitResult, MsgCommitResultResponse, MsgRevealResult, MsgRevealResultResponse,
};
use crate::params::Params;
use crate::state::{self, Job, JobStatus, DEADLINES, JOBS, REVEAL_OUTCOMES};

/// Shortest accepted salt.
pub const MIN_SALT_BYTES: usize = 8;
/// Longest accepted salt.
pub const MAX_SALT_BYTES: usize = 64;
/// Canonical encoding overhead: magic 4, version 1, status 5, fuel 8, 2 × (flag 1 + len 4),
/// and room for a full call log.
const OUTCOME_OVERHEAD: usize = 28 + bls_core::outcome::MAX_CALL_LOG_BYTES;

/// Largest canonical outcome a function whose manifest allows `output_bytes` can produce
/// (stdout and stderr each at most the cap, plus the fixed fields and a call log). Reveals and fast-path
/// evidence refuse larger outcome bytes before decoding them.
pub fn max_outcome_len(output_bytes: u32) -> usize {
    let cap = usize::try_from(output_bytes.min(MAX_OUTPUT_BYTES)).unwrap_or(usize::MAX);
    cap.saturating_mul(2).saturating_add(OUTCOME_OVERHEAD)
}

/// Records a worker's commitment; closes the commit phase when all have committed.
pub fn commit_result(
    ctx: &mut Context<'_>,
    msg: &MsgCommitResult,
) -> Result<MsgCommitResultResponse, OrchestrationError> {
    let p = state::params(ctx.store)?;
    let worker = parse_addr("worker", &msg.worker)?;
    let mut job = state::must_get_job(ctx.store, msg.job_id)?;
    match job.status {
        JobStatus::Committing => {}
        JobStatus::Revealing => {
            return Err(OrchestrationError::LateCommit {
                job: job.id,
                deadline: job.commit_deadline,
            })
        }
        s => {
            return Err(OrchestrationError::WrongPhase {
                job: job.id,
                phase: s.as_str().into(),
                action: "committing",
            })
        }
    }
    if ctx.block.height > job.commit_deadline {
        return Err(OrchestrationError::LateCommit {
            job: job.id,
            deadline: job.commit_deadline,
        });
    }
    let commitment_bytes: [u8; 32] = msg
        .commitment
        .as_slice()
        .try_into()
        .map_err(|_| invalid("commitment", "must be 32 bytes"))?;
    let slot = job.slot_mut(&worker)?;
    if slot.declined {
        return Err(OrchestrationError::WrongPhase {
            job: msg.job_id,
            phase: "declined by this worker".into(),
            action: "committing",
        });
    }
    if slot.commitment.is_some() {
        return Err(OrchestrationError::DuplicateCommit {
            job: msg.job_id,
            worker: worker.to_string(),
        });
    }
    slot.commitment = Some(hex::encode(commitment_bytes));
    ctx.emit(
        Event::new(events::JOB_COMMITTED)
            .attr("job_id", job.id)
            .attr("worker", &worker),
    );
    close_commits_if_all_in(ctx, &mut job, &p)?;
    JOBS.save(ctx.store, job.id, &job)?;
    Ok(MsgCommitResultResponse {
        reveals_open: job.status == JobStatus::Revealing,
    })
}

/// Declines `worker`'s slot of a committing job (its worker could not open the function's
/// secrets, or get or run its code from IPFS): never missed, paid or slashed;
/// [`close_commits_if_all_in`] decides whether the commit phase closes now (otherwise the
/// others keep their full window, so none is missed early). Returns whether it closed; the
/// caller saves `job`.
pub fn decline_slot(
    ctx: &mut Context<'_>,
    job: &mut Job,
    worker: &Address,
    p: &Params,
) -> Result<bool, OrchestrationError> {
    job.slot_mut(worker)?.declined = true;
    close_commits_if_all_in(ctx, job, p)
}

/// When every slot has committed or declined (declined slots — a worker that could not open
/// the function's secrets, or get or run its code from IPFS — never commit), the commit phase
/// closes now: reveals open with a quorum of commits; without one the round ends in this
/// block's end block (reassigned or refunded). Otherwise the commit window runs on. Returns
/// whether it closed. The caller saves `job`.
pub fn close_commits_if_all_in(
    ctx: &mut Context<'_>,
    job: &mut Job,
    p: &Params,
) -> Result<bool, OrchestrationError> {
    if job
        .assignments
        .iter()
        .any(|a| a.commitment.is_none() && !a.declined)
    {
        return Ok(false);
    }
    if job.commits() >= usize::try_from(job.quorum).unwrap_or(usize::MAX) {
        open_reveals(ctx, job, p)?;
    } else {
        let id = job.id;
        end_window_now(ctx, id, &mut job.commit_deadline)?;
    }
    Ok(true)
}

/// Moves a job from committing to revealing (requeues its deadline).
pub fn open_reveals(
    ctx: &mut Context<'_>,
    job: &mut Job,
    p: &Params,
) -> Result<(), OrchestrationError> {
    DEADLINES.remove(ctx.store, (job.commit_deadline, job.id));
    job.status = JobStatus::Revealing;
    job.reveal_deadline = ctx.block.height.saturating_add(p.reveal_window);
    DEADLINES.save(ctx.store, (job.reveal_deadline, job.id), &())?;
    ctx.emit(
        Event::new(events::JOB_REVEALS_OPEN)
            .attr("job_id", job.id)
            .attr("reveal_deadline", job.reveal_deadline),
    );
    Ok(())
}

/// Checks a reveal against its commitment and records it. At `m` identical results the
/// result becomes final (status `finalized`, queryable at once); reveals are still accepted
/// until settlement. When every committer has revealed, the reveal window closes at this
/// height so this block's end block settles the job. No payment, slashing or reassignment
/// happens here: a reveal's gas does not depend on whether it completes the quorum.
pub fn reveal_result(
    ctx: &mut Context<'_>,
    msg: &MsgRevealResult,
) -> Result<MsgRevealResultResponse, OrchestrationError> {
    let p = state::params(ctx.store)?;
    let worker = parse_addr("worker", &msg.worker)?;
    let mut job = state::must_get_job(ctx.store, msg.job_id)?;
    if !job.accepts_reveals() {
        return Err(match job.status {
            JobStatus::Committing => OrchestrationError::WrongPhase {
                job: job.id,
                phase: "committing".into(),
                action: "revealing before commits close",
            },
            JobStatus::Finalized => OrchestrationError::WrongPhase {
                job: job.id,
                phase: "finalized and settled".into(),
                action: "revealing",
            },
            s => OrchestrationError::WrongPhase {
                job: job.id,
                phase: s.as_str().into(),
                action: "revealing",
            },
        });
    }
    if ctx.block.height > job.reveal_deadline {
        return Err(OrchestrationError::LateReveal {
            job: job.id,
            deadline: job.reveal_deadline,
        });
    }
    if msg.salt.len() < MIN_SALT_BYTES || msg.salt.len() > MAX_SALT_BYTES {
        return Err(invalid(
            "salt",
            format!("must be {MIN_SALT_BYTES}..={MAX_SALT_BYTES} bytes"),
        ));
    }
    let job_id = job.id;
    let cap = usize::try_from(job.output_bytes.min(MAX_OUTPUT_BYTES)).unwrap_or(usize::MAX);
    let max_len = max_outcome_len(job.output_bytes);
    let slot = job.slot_mut(&worker)?;
    let Some(committed) = slot.commitment.clone() else {
        return Err(OrchestrationError::NoCommit {
            job: job_id,
            worker: worker.to_string(),
        });
    };
    if slot.result_hash.is_some() {
        return Err(OrchestrationError::DuplicateReveal {
            job: job_id,
            worker: worker.to_string(),
        });
    }
    if msg.outcome.len() > max_len {
        return Err(OrchestrationError::InvalidOutcome(format!(
            "{} bytes exceeds the {max_len} byte cap of this function",
            msg.outcome.len()
        )));
    }
    let outcome = Outcome::decode(&msg.outcome)
        .map_err(|e| OrchestrationError::InvalidOutcome(e.to_string()))?;
    if outcome.stdout.len() > cap || outcome.stderr.len() > cap {
        return Err(OrchestrationError::InvalidOutcome(format!(
            "output above the function's output_bytes ({cap})"
        )));
    }
    let result_hash: [u8; 32] = Sha256::digest(&msg.outcome).into();
    if hex::encode(commitment(&result_hash, &msg.salt, &worker)) != committed {
        return Err(OrchestrationError::BadReveal(
            "sha256(result_hash ‖ salt ‖ worker) differs from the commitment".into(),
        ));
    }
    let hash_hex = hex::encode(result_hash);
    slot.result_hash = Some(hash_hex.clone());
    // Settlement judges every dissent by its outcome (dissent::dissent_penalty), so each
    // distinct outcome is kept until then: before finality all of them (the majority is not
    // known yet), after it only those that differ from the final one. At most one per
    // assigned worker, each within the reveal size cap; deleted at settlement.
    let keep = job.status == JobStatus::Revealing || job.result_hash.as_deref() != Some(&hash_hex);
    if keep && !REVEAL_OUTCOMES.has(ctx.store, (job_id, &hash_hex)) {
        REVEAL_OUTCOMES.save(
            ctx.store,
            (job_id, &hash_hex),
            &Binary::from(msg.outcome.clone()),
        )?;
    }
    ctx.emit(
        Event::new(events::JOB_REVEALED)
            .attr("job_id", job_id)
            .attr("worker", &worker)
            .attr("result_hash", &hash_hex),
    );
    let finalized = job.status == JobStatus::Revealing
        && job.agreeing(&hash_hex) >= usize::try_from(job.quorum).unwrap_or(usize::MAX);
    if finalized {
        mark_final(ctx, &mut job, &hash_hex, &outcome, &p);
    }
    if !job.reveals_pending() {
        close_reveals_now(ctx, &mut job)?;
    }
    JOBS.save(ctx.store, job_id, &job)?;
    Ok(MsgRevealResultResponse { finalized })
}

/// `hash_hex` reached quorum: the result is final from now on; settlement is pending.
fn mark_final(ctx: &mut Context<'_>, job: &mut Job, hash_hex: &str, outcome: &Outcome, p: &Params) {
    job.status = JobStatus::Finalized;
    job.settling = true;
    job.result_hash = Some(hash_hex.to_string());
    job.finalized_height = ctx.block.height;
    let agreeing: Vec<Address> = job
        .assignments
        .iter()
        .filter(|a| a.result_hash.as_deref() == Some(hash_hex))
        .map(|a| a.worker.clone())
        .collect();
    ctx.emit(
        Event::new(events::JOB_FINALIZED)
            .attr("job_id", job.id)
            .attr("result_hash", hash_hex)
            .attr("workers", join(&agreeing))
            .attr("fee", settle::fee_of(job, outcome, p)),
    );
}

/// Every committer has revealed: the reveal window ends at this height, so this block's end
/// block settles the job (or, without quorum, reassigns or fails it).
fn close_reveals_now(ctx: &mut Context<'_>, job: &mut Job) -> Result<(), OrchestrationError> {
    let id = job.id;
    end_window_now(ctx, id, &mut job.reveal_deadline)
}

/// Moves job `id`'s window `deadline` (its commit or reveal deadline) to this height, requeued
/// so this block's end block processes it.
fn end_window_now(
    ctx: &mut Context<'_>,
    id: u64,
    deadline: &mut u64,
) -> Result<(), OrchestrationError> {
    if *deadline != ctx.block.height {
        DEADLINES.remove(ctx.store, (*deadline, id));
        *deadline = ctx.block.height;
        DEADLINES.save(ctx.store, (*deadline, id), &())?;
    }
    Ok(())
}
