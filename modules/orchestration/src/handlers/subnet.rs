//! Which workers may run a function, its subnetwork, and fresh picks for reassignment.

use std::collections::BTreeMap;

use bls_core::{Address, Context, Event};
use bls_registry::Worker;

use crate::error::OrchestrationError;
use crate::events;
use crate::handlers::join;
use crate::manifest::Manifest;
use crate::params::Params;
use crate::placement::{self, Candidate};
use crate::state::{Function, Job, Subnetwork, SUBNETS};

/// True when the worker's capabilities cover the manifest's limits and permissions.
pub fn fits(w: &Worker, m: &Manifest) -> bool {
    let mem = w.capabilities.memory_mb.saturating_mul(1 << 20);
    mem >= m.limits.memory_bytes
        && w.capabilities.max_timeout_ms >= m.limits.timeout_ms
        && (m.permissions.http.is_empty() || w.capabilities.http_allowed)
}

/// The placement view of a worker (weight = bond; group from its registered multiaddrs, not
/// from its free-text network label).
pub fn candidate(w: &Worker) -> Candidate {
    Candidate {
        id: w.operator.clone(),
        region: w.region.clone(),
        group: bls_registry::address_group::group_of(&w.multiaddrs),
        operator: w.operator.clone(),
        weight: w.bond,
    }
}

/// Active workers able to run function `function` with manifest `m`, by id: its capabilities
/// fit, and for a function with secrets it has an encryption key (a keyless worker could
/// never hold them: it would take a seat and never run).
pub fn eligible(
    store: &dyn cosmwasm_std::Storage,
    function: u64,
    m: &Manifest,
) -> Result<BTreeMap<Address, Candidate>, OrchestrationError> {
    let needs_key = crate::secrets::state::has_secrets(store, function);
    Ok(bls_registry::state::active_workers(store)?
        .iter()
        .filter(|w| fits(w, m) && (!needs_key || !w.encryption_pubkey.is_empty()))
        .map(|w| (w.operator.clone(), candidate(w)))
        .collect())
}

/// Returns the live members of the function's subnetwork, first dropping members that left,
/// were jailed (liveness or dissent) or no longer fit, and refilling empty seats from the
/// eligible workers ([`placement::select`], seeded by this block's beacon randomness: call it
/// only from begin block, where the randomness was unknown to whoever chose the previous
/// block's transactions).
pub fn ensure_subnetwork(
    ctx: &mut Context<'_>,
    f: &Function,
    m: &Manifest,
    p: &Params,
) -> Result<Vec<Candidate>, OrchestrationError> {
    let target = usize::try_from(p.subnetwork_size.max(f.replication)).unwrap_or(usize::MAX);
    let pool = eligible(ctx.store, f.id, m)?;
    let current = SUBNETS.may_load(ctx.store, f.id)?.unwrap_or_default();
    let kept: Vec<Candidate> = current
        .workers
        .iter()
        .filter_map(|id| pool.get(id).cloned())
        .collect();
    if kept.len() >= target || pool.len() <= kept.len() {
        if kept.len() != current.workers.len() {
            let workers: Vec<Address> = kept.iter().map(|c| c.id.clone()).collect();
            save_subnet(ctx, f.id, workers)?;
        }
        return Ok(kept);
    }
    let seed = placement::seed(
        "bls/placement",
        &[
            &ctx.block.randomness,
            &f.id.to_be_bytes(),
            &ctx.block.height.to_be_bytes(),
        ],
    );
    let all: Vec<Candidate> = pool.values().cloned().collect();
    let picks = placement::select(&all, &kept, target.saturating_sub(kept.len()), &seed);
    let mut members = kept;
    members.extend(picks.iter().filter_map(|id| pool.get(id).cloned()));
    let workers: Vec<Address> = members.iter().map(|c| c.id.clone()).collect();
    save_subnet(ctx, f.id, workers)?;
    Ok(members)
}

fn save_subnet(
    ctx: &mut Context<'_>,
    function_id: u64,
    workers: Vec<Address>,
) -> Result<(), OrchestrationError> {
    // Members that stay keep the height they joined; new ones join now.
    let previous = SUBNETS
        .may_load(ctx.store, function_id)?
        .unwrap_or_default();
    let joined: Vec<u64> = workers
        .iter()
        .map(|w| previous.member_since(w).unwrap_or(ctx.block.height))
        .collect();
    crate::secrets::state::members_changed(ctx, function_id, &previous.workers, &workers)?;
    let never_placed = previous.workers.is_empty() && previous.placed_height == 0;
    let first_placed = if never_placed {
        ctx.block.height
    } else {
        previous.first_placed
    };
    ctx.emit(
        Event::new(events::SUBNETWORK_PLACED)
            .attr("function_id", function_id)
            .attr("workers", join(&workers)),
    );
    SUBNETS.save(
        ctx.store,
        function_id,
        &Subnetwork {
            workers,
            placed_height: ctx.block.height,
            joined,
            first_placed,
        },
    )?;
    Ok(())
}

/// Picks `n` workers never assigned to `job`: subnetwork members first, then any other
/// eligible worker, seeded by this block's beacon randomness (begin block only, like
/// [`ensure_subnetwork`]: a seed known when the round failed would let a worker that makes it
/// fail know who takes over). Returns fewer than `n` when there are not enough.
pub fn pick_fresh(
    ctx: &mut Context<'_>,
    job: &Job,
    p: &Params,
) -> Result<Vec<Address>, OrchestrationError> {
    let n = usize::try_from(job.replication).unwrap_or(usize::MAX);
    let Ok(m) = Manifest::from_json(job.manifest_json.as_bytes()) else {
        return Ok(Vec::new());
    };
    let f = crate::state::FUNCTIONS.may_load(ctx.store, job.function_id)?;
    let members = match f {
        Some(f) if f.status == crate::state::FunctionStatus::Active => {
            ensure_subnetwork(ctx, &f, &m, p)?
        }
        _ => Vec::new(),
    };
    let fresh = |c: &Candidate| !job.previously_assigned.contains(&c.id);
    let seed = placement::seed(
        "bls/reassign",
        &[
            &ctx.block.randomness,
            &job.id.to_be_bytes(),
            &job.round.to_be_bytes(),
        ],
    );
    let sealed = crate::secrets::state::has_secrets(ctx.store, job.function_id);
    let members = crate::handlers::assign::runnable(ctx, job.function_id, members)?;
    let inside: Vec<Candidate> = members.iter().filter(|c| fresh(c)).cloned().collect();
    let mut picks = placement::select(&inside, &[], n, &seed);
    // Workers outside the subnetwork hold no envelopes: a function with secrets stays inside.
    if picks.len() < n && !sealed {
        let pool = eligible(ctx.store, job.function_id, &m)?;
        let chosen: Vec<Candidate> = picks
            .iter()
            .filter_map(|id| pool.get(id).cloned())
            .collect();
        let outside: Vec<Candidate> = pool
            .values()
            .filter(|c| fresh(c) && !picks.contains(&c.id))
            .cloned()
            .collect();
        let seed2 = placement::seed("bls/reassign-outside", &[&seed]);
        picks.extend(placement::select(
            &outside,
            &chosen,
            n.saturating_sub(picks.len()),
            &seed2,
        ));
    }
    Ok(picks)
}
