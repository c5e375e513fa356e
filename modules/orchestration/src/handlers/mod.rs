//! Message handlers and block logic.
//!
//! - [`functions`]: deploy / update / retire;
//! - [`subnet`]: eligibility, subnetwork placement and repair, fresh-worker picks;
//! - [`invoke`]: escrow and queueing;
//! - [`assign`]: begin-block assignment and first placement with the block's randomness;
//! - [`results`]: commit and reveal;
//! - [`decline`]: a worker declines a job whose off-chain code it cannot obtain or run;
//! - [`settle`]: finalization (fees, slashing, liveness), failed rounds, failure, deadlines;
//! - [`subnet_repair`]: begin-block re-placement of subnetworks with ineligible members.

pub mod assign;
pub mod decline;
pub mod functions;
pub mod invoke;
pub mod job_prune;
pub mod results;
pub mod settle;
pub mod subnet;
pub mod subnet_repair;

use bls_core::Address;

use crate::error::{invalid, OrchestrationError};
use crate::msgs::ProtoCoin;

/// Orchestration's begin block: everything that draws from the block's randomness, on the
/// state the previous block left — first placements, a bounded batch of subnetwork repairs,
/// then queued jobs (see [`assign`] for why none of this may happen in a transaction or end
/// block).
pub fn begin_block(ctx: &mut bls_core::Context<'_>) -> Result<(), OrchestrationError> {
    let p = crate::state::params(ctx.store)?;
    assign::place_queued(ctx, &p)?;
    subnet_repair::repair_batch(ctx, &p)?;
    assign::assign_queued(ctx, &p)
}

/// Orchestration's end block: drain the deadline queue (settlement may jail workers; failed
/// rounds queue their jobs for the next begin block), resolve due head challenges (may jail
/// heads) and forget head records past their windows, then forget fast-path requests whose
/// window closed and finished jobs past their retention.
pub fn end_block(ctx: &mut bls_core::Context<'_>) -> Result<(), OrchestrationError> {
    settle::end_block(ctx)?;
    crate::fastpath::head::challenge::end_block(ctx).map_err(|e| match e {
        crate::fastpath::head::HeadError::Orchestration(o) => o,
        other => OrchestrationError::Store(other.to_string()),
    })?;
    crate::fastpath::prune::end_block(ctx)?;
    job_prune::end_block(ctx)
}

/// Parses a bech32 address field.
pub(crate) fn parse_addr(field: &'static str, s: &str) -> Result<Address, OrchestrationError> {
    Address::parse(s).map_err(|e| invalid(field, e.to_string()))
}

/// Parses a `ubls` coin field.
pub(crate) fn parse_ubls(
    field: &'static str,
    c: Option<&ProtoCoin>,
) -> Result<u128, OrchestrationError> {
    let c = c.ok_or_else(|| invalid(field, "required"))?;
    bls_core::coins::ubls_amount(&c.denom, &c.amount).map_err(|e| invalid(field, e.to_string()))
}

/// Comma-separated addresses for event attributes.
pub(crate) fn join(addrs: &[Address]) -> String {
    addrs
        .iter()
        .map(Address::as_str)
        .collect::<Vec<_>>()
        .join(",")
}
