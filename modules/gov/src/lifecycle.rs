//! End block: proposals whose deposit period ended without `min_deposit` are dropped, and
//! proposals whose vote ended are tallied, then carried out if they passed.
//!
//! A passed proposal runs on a branch of the state: a failure (a parameter the module now
//! refuses, an upgrade height already behind) leaves nothing of it applied and marks it
//! `FAILED` with the reason. Deposits are refunded in every case except a veto, which burns
//! them. Changes take effect from the next block (gov's end block runs after the others).

use bls_core::{Context, Event, Module};

use crate::error::GovError;
use crate::events;
use crate::state::{self, ProposalStatus, DEPOSITS_ACCOUNT, DEPOSIT_QUEUE, VOTING_QUEUE};
use crate::tally::{self, Verdict};

/// Most proposals one end block settles (dropped and tallied together); the rest wait in
/// their queue for the next blocks. Deposits come back, so lining up many ends at one time
/// costs an attacker only locked capital: this bounds the work of any single block.
pub const MAX_SETTLED_PER_BLOCK: usize = 16;

/// Gov's end block.
pub fn end_block(ctx: &mut Context<'_>, modules: &[&'static dyn Module]) -> Result<(), GovError> {
    let now = u64::try_from(ctx.block.time_secs).unwrap_or(0);
    let mut budget = MAX_SETTLED_PER_BLOCK;
    for (end, id) in state::due(ctx.store, &DEPOSIT_QUEUE, now)?
        .into_iter()
        .take(budget)
    {
        budget -= 1;
        DEPOSIT_QUEUE.remove(ctx.store, (end, id));
        // Each proposal on its own branch: one that cannot be settled does not stop the rest.
        if let Err(e) = ctx.branch(|c| drop_inactive(c, id)) {
            settle_failed(ctx, id, &e)?;
        }
    }
    for (end, id) in state::due(ctx.store, &VOTING_QUEUE, now)?
        .into_iter()
        .take(budget)
    {
        VOTING_QUEUE.remove(ctx.store, (end, id));
        if let Err(e) = ctx.branch(|c| end_vote(c, id, modules)) {
            settle_failed(ctx, id, &e)?;
        }
    }
    Ok(())
}

/// A proposal short of `min_deposit` at the end of its deposit period: refunded and deleted.
fn drop_inactive(ctx: &mut Context<'_>, id: u64) -> Result<(), GovError> {
    settle_deposits(ctx, id, false)?;
    // Dropped proposals are deleted, as in the Cosmos SDK: they were never voted on.
    state::PROPOSALS.remove(ctx.store, id);
    ctx.emit(
        Event::new(events::INACTIVE_PROPOSAL)
            .attr("proposal_id", id)
            .attr("proposal_result", events::RESULT_DROPPED),
    );
    Ok(())
}

/// A proposal whose settlement itself failed (a bug, not input): it is taken off its queue and
/// marked failed with the reason, its deposits left held, so governance goes on.
fn settle_failed(ctx: &mut Context<'_>, id: u64, e: &GovError) -> Result<(), GovError> {
    if let Some(mut p) = state::proposal(ctx.store, id)? {
        p.status = ProposalStatus::Failed;
        p.failed_reason = format!("settlement failed (deposits held): {e}");
        state::save(ctx.store, &p)?;
    }
    Ok(())
}

fn end_vote(
    ctx: &mut Context<'_>,
    id: u64,
    modules: &[&'static dyn Module],
) -> Result<(), GovError> {
    let mut proposal = state::must_get(ctx.store, id)?;
    let params = state::params(ctx.store)?;
    let counted = tally::count(ctx.store, id)?;
    let verdict = tally::verdict(&counted, &params);
    let height = ctx.block.height;
    let (status, result, reason) = match verdict {
        Verdict::Passed => {
            let content = proposal.content.clone();
            match ctx.branch(|c| content.execute(c.store, height, modules)) {
                Ok(()) => (ProposalStatus::Passed, events::RESULT_PASSED, String::new()),
                Err(e) => (ProposalStatus::Failed, events::RESULT_FAILED, e.to_string()),
            }
        }
        Verdict::NoQuorum => (
            ProposalStatus::Rejected,
            events::RESULT_REJECTED,
            "quorum not reached".to_string(),
        ),
        Verdict::Rejected => (
            ProposalStatus::Rejected,
            events::RESULT_REJECTED,
            "threshold not reached".to_string(),
        ),
        Verdict::Vetoed => (
            ProposalStatus::Rejected,
            events::RESULT_VETOED,
            "vetoed".to_string(),
        ),
    };
    settle_deposits(ctx, id, verdict == Verdict::Vetoed)?;
    state::clear_votes(ctx.store, id)?;
    proposal.status = status;
    proposal.final_tally_result = counted.tally;
    if status == ProposalStatus::Failed {
        proposal.failed_reason = reason.clone();
    }
    state::save(ctx.store, &proposal)?;
    let t = counted.tally;
    let mut event = Event::new(events::ACTIVE_PROPOSAL)
        .attr("proposal_id", id)
        .attr("proposal_result", result)
        .attr("yes", t.yes)
        .attr("abstain", t.abstain)
        .attr("no", t.no)
        .attr("no_with_veto", t.no_with_veto)
        .attr("total_bonded", counted.total_bonded);
    if !reason.is_empty() {
        event = event.attr("reason", reason);
    }
    ctx.emit(event);
    Ok(())
}

/// Refunds (or burns) every deposit on proposal `id` and removes the records.
fn settle_deposits(ctx: &mut Context<'_>, id: u64, burn: bool) -> Result<(), GovError> {
    let account = DEPOSITS_ACCOUNT.address();
    let mut burned = 0u128;
    for (depositor, amount) in state::deposits(ctx.store, id)? {
        if burn {
            burned = burned
                .checked_add(amount)
                .ok_or(GovError::Overflow("burn"))?;
        } else {
            bls_bank::keeper::send_ubls(ctx, &account, &depositor, amount)?;
        }
    }
    if burned > 0 {
        bls_bank::keeper::burn_ubls(ctx, &account, burned)?;
    }
    state::clear_deposits(ctx.store, id)?;
    Ok(())
}
