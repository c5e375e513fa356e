//! Composition on chain: which functions a job may call, pinned at invoke, and what the calls
//! pay. A function declares callees in its manifest (`calls`); only a listed function may be
//! called (listing is the owner's consent and price). At invoke [`pin_callees`] follows the
//! declarations through every callee's own manifest and pins each function reached — code,
//! version, manifest, price — in the job, so a function updated, repriced or unlisted while the
//! job runs changes nothing for it; the invoker escrows [`call_reserve`] beside the worst-case
//! fee. At settlement every call in the agreed outcome's call log that exited 0 pays its
//! callee's owner the pinned price, within that reserve ([`pay_calls`]); the rest is refunded.
//! A job that fails refunds everything.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use bls_core::composition::{MAX_CALLEES_PER_JOB, MAX_CALLS_PER_JOB};
use bls_core::outcome::Outcome;
use bls_core::Context;
use cosmwasm_std::Storage;

use crate::error::OrchestrationError;
use crate::manifest::Manifest;
use crate::state::{self, FunctionStatus, Job, PinnedCallee, FUNCTIONS};

fn cannot(caller: u64, callee: u64, reason: impl Into<String>) -> OrchestrationError {
    OrchestrationError::CannotCall {
        caller,
        callee,
        reason: reason.into(),
    }
}

/// Every function a job of `root` may call: breadth first from `manifest.calls` through each
/// callee's own `calls`, each function once (a cycle is pinned once; the runtime's depth limit
/// ends it). Refused when a function reached does not exist, is retired, is not listed, keeps
/// sealed secrets (only its own workers can open them), or when more than
/// [`MAX_CALLEES_PER_JOB`] are reached or their manifests and sources add up to more than
/// `max_manifest_bytes` (the job record carries them, and every commit and reveal rewrites it).
/// A function that calls itself is pinned as its own callee, so it too must be listed.
pub fn pin_callees(
    store: &dyn Storage,
    root: u64,
    manifest: &Manifest,
) -> Result<Vec<PinnedCallee>, OrchestrationError> {
    let max_pinned_bytes =
        usize::try_from(state::params(store)?.max_manifest_bytes).unwrap_or(usize::MAX);
    let mut pinned_bytes = 0usize;
    let mut pinned = Vec::new();
    let mut seen = BTreeSet::new();
    let mut queue: VecDeque<(u64, u64)> = manifest.calls.iter().map(|c| (root, *c)).collect();
    while let Some((caller, id)) = queue.pop_front() {
        if !seen.insert(id) {
            continue;
        }
        if seen.len() > MAX_CALLEES_PER_JOB {
            return Err(cannot(
                caller,
                id,
                format!(
                    "would be function number {} reached through calls; a job may reach at most {MAX_CALLEES_PER_JOB}",
                    seen.len()
                ),
            ));
        }
        let f = FUNCTIONS
            .may_load(store, id)?
            .ok_or_else(|| cannot(caller, id, "does not exist"))?;
        if f.status == FunctionStatus::Retired {
            return Err(cannot(caller, id, "is retired"));
        }
        let price = super::royalty::price_of(store, id)?
            .map(|(_, p)| p)
            .ok_or_else(|| {
                cannot(
                    caller,
                    id,
                    "is not listed in the marketplace (only listed functions may be called)",
                )
            })?;
        if crate::secrets::state::has_secrets(store, id) {
            return Err(cannot(
                caller,
                id,
                "keeps sealed secrets, which only its own workers can open",
            ));
        }
        let m = Manifest::from_json(f.manifest_json.as_bytes()).map_err(|e| {
            cannot(
                caller,
                id,
                format!("has a manifest that no longer validates: {e}"),
            )
        })?;
        queue.extend(m.calls.iter().map(|c| (id, *c)));
        pinned_bytes = pinned_bytes
            .saturating_add(f.manifest_json.len())
            .saturating_add(f.fetch_sources().iter().map(String::len).sum::<usize>());
        if pinned_bytes > max_pinned_bytes {
            return Err(cannot(
                caller,
                id,
                format!(
                    "would pin more than {max_pinned_bytes} bytes of callee manifests and sources \
                     in every job (max_manifest_bytes), which each worker's commit and reveal \
                     would rewrite"
                ),
            ));
        }
        pinned.push(PinnedCallee {
            function_id: id,
            version: f.version,
            code_hash: f.code_hash.clone(),
            source_uris: f.fetch_sources().to_vec(),
            code_size: if f.code_on_chain { 0 } else { f.code_size },
            manifest_json: f.manifest_json,
            price,
        });
    }
    Ok(pinned)
}

/// What a job escrows for its calls: the most they can pay, [`MAX_CALLS_PER_JOB`] calls at
/// the highest pinned price.
pub fn call_reserve(callees: &[PinnedCallee]) -> u128 {
    callees
        .iter()
        .map(|c| c.price)
        .max()
        .unwrap_or(0)
        .saturating_mul(u128::from(MAX_CALLS_PER_JOB))
}

/// The escrow a job of `function_id` needs for its calls now (0 when it calls nothing, or
/// when it could not be invoked at all: invoke then says why).
pub fn call_reserve_of(store: &dyn Storage, function_id: u64) -> Result<u128, OrchestrationError> {
    let f = state::must_get_function(store, function_id)?;
    let Ok(m) = Manifest::from_json(f.manifest_json.as_bytes()) else {
        return Ok(0);
    };
    Ok(pin_callees(store, function_id, &m).map_or(0, |c| call_reserve(&c)))
}

/// Checks, at deploy or update of function `id`, that every function its manifest declares in
/// `calls` exists (itself included). Listing and the rest are checked at each invoke.
pub fn check_declared(
    store: &dyn Storage,
    id: u64,
    manifest: &Manifest,
) -> Result<(), OrchestrationError> {
    for callee in &manifest.calls {
        if *callee != id && !FUNCTIONS.has(store, *callee) {
            return Err(cannot(id, *callee, "does not exist"));
        }
    }
    Ok(())
}

/// Pays, at settlement of `job` with the agreed `outcome`, each call that exited 0 its pinned
/// callee's price, within `reserve` (what the escrow holds for calls). Calls to functions the
/// job did not pin pay nothing. Returns what was paid.
pub(crate) fn pay_calls(
    ctx: &mut Context<'_>,
    job: &Job,
    outcome: &Outcome,
    reserve: u128,
) -> Result<u128, OrchestrationError> {
    // Calls per function, in function id order (one payment and one event per callee); a
    // function the job did not pin has no price and is skipped.
    let mut counts: BTreeMap<u64, u64> = BTreeMap::new();
    for call in outcome.calls.iter().filter(|c| c.ok) {
        *counts.entry(call.function_id).or_default() += 1;
    }
    let mut left = reserve;
    for (function_id, calls) in counts {
        let Some(price) = job
            .callees
            .iter()
            .find(|p| p.function_id == function_id)
            .map(|p| p.price)
        else {
            continue;
        };
        let Some(owner) = FUNCTIONS.may_load(ctx.store, function_id)?.map(|f| f.owner) else {
            continue;
        };
        let amount = price.saturating_mul(u128::from(calls)).min(left);
        if amount > 0 {
            left -= amount;
            bls_bank::keeper::send_ubls(ctx, &state::escrow_account(), &owner, amount)?;
            super::royalty::paid_event(
                ctx,
                function_id,
                &owner,
                amount,
                super::royalty::PaidBy::Job(job.id),
            );
        }
        super::royalty::record_settled(ctx.store, function_id, calls, amount)?;
    }
    Ok(reserve - left)
}
