//! Begin-block repair of subnetworks whose members stopped being eligible.
//!
//! Why: invoke and reassignment repair a subnetwork lazily, but the fast path reads the
//! subnetwork from chain and uses only its Active members, so a function nobody invokes on
//! chain could keep a subnetwork without a quorum after members were jailed, unbonded or
//! deregistered.
//!
//! It runs in begin block, with that block's randomness, on the state the previous block left:
//! a proposer that makes a member ineligible (a deregistration in its block) cannot know the
//! draw that replaces it ([`crate::handlers::assign`] says why).
//!
//! Design (no hook into registry/slashing needed): every begin block visits at most
//! [`REPAIR_PER_BLOCK`] subnetworks in function-id order, starting after a cursor kept in
//! state (`orch/subnet_repair_cursor`, the last function id visited; 0 = start). When a batch
//! comes back short the scan has reached the end and the cursor returns to 0, so every
//! subnetwork is visited at least once every `ceil(subnetworks / REPAIR_PER_BLOCK) + 1`
//! blocks. A visited subnetwork is repaired when one of its members is no longer eligible
//! (not a registered Active worker, or no longer fits the manifest) — exactly the members
//! [`ensure_subnetwork`] drops at assignment, which does the repair (same placement rule,
//! [`crate::placement`]; keeps what it can when too few workers are eligible). Each repair emits
//! `bls.subnetwork_repaired` next to the shared `bls.subnetwork_placed`.
//!
//! The cursor is not exported in genesis: a restarted chain simply starts the scan over.

use bls_core::{Address, Context, Event};
use cosmwasm_std::Order;
use cw_storage_plus::Bound;

use crate::error::OrchestrationError;
use crate::events;
use crate::handlers::join;
use crate::handlers::settle::isolated_function;
use crate::handlers::subnet::{ensure_subnetwork, fits};
use crate::manifest::Manifest;
use crate::params::Params;
use crate::state::{FunctionStatus, Subnetwork, FUNCTIONS, SUBNETS, SUBNET_REPAIR_CURSOR};

/// Subnetworks visited per block (bounds begin-block work independently of how many
/// functions exist; each visit loads the members, a repair also scans the active workers).
pub const REPAIR_PER_BLOCK: usize = 16;

/// Visits the next batch of subnetworks and repairs those with ineligible members.
pub fn repair_batch(ctx: &mut Context<'_>, p: &Params) -> Result<(), OrchestrationError> {
    let cursor = SUBNET_REPAIR_CURSOR.may_load(ctx.store)?.unwrap_or(0);
    let batch: Vec<(u64, Subnetwork)> = SUBNETS
        .range(
            ctx.store,
            Some(Bound::exclusive(cursor)),
            None,
            Order::Ascending,
        )
        .take(REPAIR_PER_BLOCK)
        .collect::<Result<_, _>>()?;
    let next = match batch.last() {
        Some((id, _)) if batch.len() >= REPAIR_PER_BLOCK => *id,
        _ => 0,
    };
    if next != cursor {
        SUBNET_REPAIR_CURSOR.save(ctx.store, &next)?;
    }
    for (id, subnet) in batch {
        // One function at a time, all or nothing: a record no rule foresaw is reported and
        // skipped, never fails the block (and with it every repair and assignment).
        isolated_function(
            ctx,
            id,
            |ctx| repair_one(ctx, id, &subnet, p),
            Event::new(events::SUBNETWORK_REPAIR_FAILED),
        );
    }
    Ok(())
}

/// Repairs function `id`'s subnetwork if a member became ineligible.
fn repair_one(
    ctx: &mut Context<'_>,
    id: u64,
    subnet: &Subnetwork,
    p: &Params,
) -> Result<(), OrchestrationError> {
    let Some(f) = FUNCTIONS.may_load(ctx.store, id)? else {
        return Ok(());
    };
    if f.status != FunctionStatus::Active {
        return Ok(());
    }
    // A manifest that no longer parses cannot be placed by invoke either; leave it.
    let Ok(m) = Manifest::from_json(f.manifest_json.as_bytes()) else {
        return Ok(());
    };
    let dropped = ineligible_members(ctx.store, id, subnet, &m)?;
    if dropped.is_empty() {
        return Ok(());
    }
    let members = ensure_subnetwork(ctx, &f, &m, p)?;
    ctx.emit(
        Event::new(events::SUBNETWORK_REPAIRED)
            .attr("function_id", id)
            .attr("dropped", join(&dropped))
            .attr(
                "workers",
                join(&members.into_iter().map(|c| c.id).collect::<Vec<_>>()),
            ),
    );
    Ok(())
}

/// Members that are not registered, not Active, no longer fit the manifest, or have no
/// encryption key while the function has secrets.
fn ineligible_members(
    store: &dyn cosmwasm_std::Storage,
    function: u64,
    subnet: &Subnetwork,
    m: &Manifest,
) -> Result<Vec<Address>, OrchestrationError> {
    let needs_key = crate::secrets::state::has_secrets(store, function);
    let mut out = Vec::new();
    for id in &subnet.workers {
        let ok = bls_registry::state::get_worker(store, id)?.is_some_and(|w| {
            w.status == bls_registry::state::WorkerStatus::Active
                && fits(&w, m)
                && (!needs_key || !w.encryption_pubkey.is_empty())
        });
        if !ok {
            out.push(id.clone());
        }
    }
    Ok(out)
}
