//! `MsgDeclineJob`: an assigned worker gives up its slot of a job whose code lives off chain
//! (IPFS) because it could not obtain it, got bytes that do not hash to the chain's code hash,
//! or got a module that does not run.
//!
//! The chain cannot tell whether a CID is reachable, so the claim is taken at the worker's
//! word, with what keeps that harmless: the slot is neither paid nor slashed (declining never
//! pays better than working), only a slot still awaiting its commit in an open window can be
//! declined, and never for a job whose code was on chain when it was invoked (its pinned
//! `source_uris` are empty) — every worker can read that with the `Code` query, so
//! "unavailable" would only be a way out of a liveness miss. Whether the same bytes were also
//! stored on chain later does not matter: workers fetch a job's code from its pinned sources. When every slot
//! has committed or declined, the commit phase closes now ([`decline_slot`]): with
//! a quorum of commits reveals open, otherwise the round fails and the job is reassigned to
//! workers not tried yet, or failed and refunded.

use bls_core::{Context, Event};

use crate::error::{invalid, OrchestrationError};
use crate::events;
use crate::handlers::parse_addr;
use crate::handlers::results::decline_slot;
use crate::msgs::{DeclineReason, MsgDeclineJob, MsgDeclineJobResponse};
use crate::state::{self, JobStatus, JOBS};

/// Longest `detail` accepted.
pub const MAX_DETAIL_BYTES: usize = 256;

/// [`MsgDeclineJob`].
pub fn decline_job(
    ctx: &mut Context<'_>,
    msg: &MsgDeclineJob,
) -> Result<MsgDeclineJobResponse, OrchestrationError> {
    let p = state::params(ctx.store)?;
    let worker = parse_addr("worker", &msg.worker)?;
    let reason = match DeclineReason::try_from(msg.reason) {
        Ok(DeclineReason::Unspecified) | Err(_) => {
            return Err(invalid(
                "reason",
                format!(
                "{} is not a decline reason (1 code_unavailable, 2 code_mismatch, 3 code_invalid)",
                msg.reason
            ),
            ))
        }
        Ok(r) => r,
    };
    if msg.detail.len() > MAX_DETAIL_BYTES {
        return Err(invalid(
            "detail",
            format!("at most {MAX_DETAIL_BYTES} bytes"),
        ));
    }
    let mut job = state::must_get_job(ctx.store, msg.job_id)?;
    let refuse = |reason: String| OrchestrationError::NotDeclinable {
        job: msg.job_id,
        reason,
    };
    if job.status != JobStatus::Committing {
        return Err(refuse(format!(
            "it is {}, not awaiting commits",
            job.status.as_str()
        )));
    }
    if ctx.block.height > job.commit_deadline {
        return Err(refuse(format!(
            "its commit window closed at height {}",
            job.commit_deadline
        )));
    }
    // Off-chain code — the job's own or a pinned callee's — may be unreachable for anyone.
    if !job.has_remote_code() {
        return Err(refuse(format!(
            "its code {} and every callee's are stored on chain (read them with the Code query)",
            job.code_hash
        )));
    }
    let slot = job.slot_mut(&worker)?;
    if slot.commitment.is_some() || slot.declined {
        return Err(refuse(format!(
            "{worker} already {} it",
            if slot.declined {
                "declined"
            } else {
                "committed to"
            }
        )));
    }
    ctx.emit(
        Event::new(events::JOB_DECLINED)
            .attr("job_id", job.id)
            .attr("worker", &worker)
            .attr("reason", reason.name())
            .attr("detail", &msg.detail),
    );
    let commits_closed = decline_slot(ctx, &mut job, &worker, &p)?;
    JOBS.save(ctx.store, job.id, &job)?;
    Ok(MsgDeclineJobResponse { commits_closed })
}
