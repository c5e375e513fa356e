//! Deleting finished jobs `job_retention_blocks` after they finished, so state does not grow
//! with every invocation ever made.
//!
//! A job is queued here when it closes (settled or failed, [`super::settle`]), at the height
//! it may go; end block deletes the due ones in height order, at most
//! [`MAX_JOB_PRUNES_PER_BLOCK`] per block (the rest wait for the next block: a late delete
//! only keeps a job a little longer). Nothing scans all jobs. A deleted job's id is never
//! issued again (ids come from `JOB_SEQ`), and queries for it answer `JobPruned` rather than
//! `UnknownJob`.

use bls_core::Context;
use cosmwasm_std::Order;
use cw_storage_plus::Bound;

use crate::error::OrchestrationError;
use crate::state::{self, JobStatus, JOBS, JOBS_BY_FUNCTION, JOB_PRUNE_QUEUE, RESULTS};

/// Finished jobs deleted per block at most. A job record is up to ~80 KiB (its input and
/// manifest), so this bounds the block's deletes to ~20 MiB of state.
pub const MAX_JOB_PRUNES_PER_BLOCK: usize = 256;

/// Queues finished job `id` for deletion `job_retention_blocks` after this block.
pub(crate) fn schedule(ctx: &mut Context<'_>, id: u64) -> Result<(), OrchestrationError> {
    let retention = state::params(ctx.store)?.job_retention_blocks;
    let at = ctx.block.height.saturating_add(retention);
    Ok(JOB_PRUNE_QUEUE.save(ctx.store, (at, id), &())?)
}

/// End block: deletes the finished jobs due at or before this height, their function index
/// entry and their result.
pub fn end_block(ctx: &mut Context<'_>) -> Result<(), OrchestrationError> {
    let end = Bound::exclusive((ctx.block.height.saturating_add(1), 0u64));
    let due: Vec<(u64, u64)> = JOB_PRUNE_QUEUE
        .keys(ctx.store, None, Some(end), Order::Ascending)
        .take(MAX_JOB_PRUNES_PER_BLOCK)
        .collect::<Result<_, _>>()?;
    for (at, id) in due {
        JOB_PRUNE_QUEUE.remove(ctx.store, (at, id));
        let Some(job) = JOBS.may_load(ctx.store, id)? else {
            continue;
        };
        // Only a closed job was queued; never delete one that still holds escrow.
        if job.is_unsettled() || job.status == JobStatus::Queued {
            continue;
        }
        JOBS.remove(ctx.store, id);
        JOBS_BY_FUNCTION.remove(ctx.store, (job.function_id, id));
        RESULTS.remove(ctx.store, id);
    }
    Ok(())
}
