//! Forgetting settled and punished requests once nothing about them can be accepted.
//!
//! A request expiring at `E` can be settled, and evidence about it accepted, only up to
//! `E + fastpath_settle_window` ([`super::request::chain_window`]); after that a replayed
//! receipt or a second piece of evidence is refused by the window alone. So its replay marker
//! (`SETTLED`) and its per-worker evidence markers (`EVIDENCE_HANDLED`) are only needed until
//! then. Settlement and evidence queue the request at that height; end block drains the queue
//! in height order, at most [`MAX_PRUNES_PER_BLOCK`] requests per block (the rest wait for
//! the next block: a late prune only keeps a marker a little longer). Nothing scans all
//! requests.

use bls_core::Context;
use cosmwasm_std::{Order, Storage};
use cw_storage_plus::Bound;

use super::request::prune_height;
use super::state::{EVIDENCE_HANDLED, MAX_PRUNES_PER_BLOCK, PRUNE_QUEUE, SETTLED};
use crate::error::OrchestrationError;

/// Queues request `id_hex` (expiring at `expiry`) to be forgotten after its chain window.
pub(crate) fn schedule(
    store: &mut dyn Storage,
    id_hex: &str,
    expiry: u64,
    settle_window: u64,
) -> Result<(), OrchestrationError> {
    Ok(PRUNE_QUEUE.save(store, (prune_height(expiry, settle_window), id_hex), &())?)
}

/// End block: forgets the markers of requests whose chain window ended at or before this
/// height.
pub fn end_block(ctx: &mut Context<'_>) -> Result<(), OrchestrationError> {
    let end = Bound::exclusive((ctx.block.height.saturating_add(1), ""));
    let due: Vec<(u64, String)> = PRUNE_QUEUE
        .keys(ctx.store, None, Some(end), Order::Ascending)
        .take(MAX_PRUNES_PER_BLOCK)
        .collect::<Result<_, _>>()?;
    for (at, id) in due {
        PRUNE_QUEUE.remove(ctx.store, (at, id.as_str()));
        SETTLED.remove(ctx.store, &id);
        let workers: Vec<String> = EVIDENCE_HANDLED
            .prefix(id.as_str())
            .keys(ctx.store, None, None, Order::Ascending)
            .collect::<Result<_, _>>()?;
        for w in workers {
            EVIDENCE_HANDLED.remove(ctx.store, (id.as_str(), w.as_str()));
        }
    }
    Ok(())
}
