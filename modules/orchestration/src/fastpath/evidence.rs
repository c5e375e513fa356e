//! Fast-path evidence: when conflicting signed results for one request punish whom.
//!
//! The chain cannot re-run an off-chain request, so signatures decide — but only signatures
//! that are bound to a request the invoker really signed, made with a key the worker held
//! while that request was alive, by workers whose vote counts for that function.
//!
//! # The rule ([`submit_evidence`])
//! 0. **The request.** The evidence carries the invoker's whole [`SignedRequest`]; the chain
//!    recomputes its id and checks the invoker's signature (a request nobody signed is not
//!    evidence of anything) and its window: evidence lands only while `expiry - ttl ≤ height ≤
//!    expiry + fastpath_settle_window`. The function and code hash come from the request, never
//!    from the submitter. Every signed result must verify over (request id, requested code
//!    hash, its result hash) with a result key its worker held while the request was alive
//!    ([`super::signers`]); one that does not makes the whole evidence invalid.
//! 1. **Equivocation.** A registered worker that signed two different result hashes for one
//!    request is slashed and jailed. Honest workers never do: the request fixes everything
//!    that determines the outcome and every worker persists its answer per request id.
//! 2. **Majority and dissent.** Only the function's *current subnetwork members that are
//!    Active* take part: their signatures count towards a majority (equivocators' do not),
//!    and only they are judged for dissent. A member that is jailed or unbonding, and a
//!    worker that left the subnetwork (repaired away, deregistered), neither counts nor is
//!    judged: whoever holds the subnetwork's seats now says nothing about what a worker
//!    signed while it held another seat, so sybils that got into a function's subnetwork
//!    cannot slash honest former members. Nor do members seated after the request's key
//!    window opened, unless they are the first placement's (`Subnetwork::seated_for`: nobody
//!    served the function before it): sybils placed by a repair after a request was served
//!    cannot outvote, and so slash, the members that served it. With `n` such Active
//!    members and quorum `m`, a result
//!    hash is the majority when it carries at least `max(m, ⌊n/2⌋ + 1,`
//!    [`MIN_DISSENT_MAJORITY`]`)` member signatures and no other hash reaches that bar; no
//!    dissent is judged at all unless `n ≥` [`MIN_DISSENT_MEMBERS`]. Sybils outside the
//!    subnetwork therefore count for nothing, a minority of members can never outvote the
//!    rest, a submitter cannot make one by leaving honest signatures out, and a slash always
//!    takes at least two Active members agreeing against a third. Every Active member that
//!    signed another hash is then judged; an honest worker signs once per request from inputs
//!    the invoker fixed, so for a deterministic function it agrees with an honest member
//!    majority. The judgement is [`crate::dissent::dissent_penalty`] on the function's
//!    manifest, the majority's outcome and the dissenter's — so the evidence must carry both
//!    outcomes' bytes (`outcomes`, checked against their hashes); a dissent without its
//!    outcome is not judged. `Slash` → slash and jail (the dissent params); `Miss` → a
//!    liveness miss; `Unpaid` → nothing (an HTTP function, a timed-out majority). When the
//!    function was updated while the request was alive, workers may have run different
//!    manifests, so no dissent is judged; nor when the stored manifest no longer parses (its
//!    capabilities, hence whether a dissent is the worker's fault, are unknown).
//!    Residual risk: a liar that leaves the subnetwork (or is jailed, or deregisters) within
//!    the request's lifetime escapes the dissent slash — never the equivocation one (rule 1).
//! 3. Anything else is **inconclusive** and refused. A worker answers at most once per
//!    (request, worker) for each penalty: the penalty applied is stored, and later evidence
//!    may only raise it (a liveness miss, then proof of equivocation → slash), never repeat
//!    or lower it, so resubmitting evidence does nothing.
//!
//! Penalties go through one function, [`penalize`].

use std::collections::{BTreeMap, BTreeSet};

use bls_core::manifest::Manifest;
use bls_core::outcome::Outcome;
use bls_core::{Address, Context, Event};
use sha2::{Digest, Sha256};

use super::error::{invalid, FastPathError};
use super::handlers::{hash32, parse_addr, verified_request, FASTPATH_EVIDENCE};
use super::msgs::*;
use super::request::{key_window, VerifiedRequest};
use super::signers::verify_worker_signature;
use super::state::{HandledPenalty, EVIDENCE_HANDLED, MAX_EVIDENCE_RESULTS};
use crate::dissent::{dissent_penalty, DissentPenalty};
use crate::state::{must_get_function, params, Function, SUBNETS};

/// Fewest Active subnetwork members for which any dissent is judged. The dissenter is itself
/// a member, so this leaves at least two others to agree against it: with one or two
/// members a single worker (one sybil) would be the whole "majority".
pub const MIN_DISSENT_MEMBERS: usize = 3;
/// Fewest Active-member signatures a majority must carry before it can slash a dissenter,
/// whatever the function's quorum: one signature is one operator's word.
pub const MIN_DISSENT_MAJORITY: usize = 2;

/// [`MsgSubmitEvidence`]: see the module docs for the rule.
pub fn submit_evidence(
    ctx: &mut Context<'_>,
    m: &MsgSubmitEvidence,
) -> Result<MsgSubmitEvidenceResponse, FastPathError> {
    parse_addr("submitter", &m.submitter)?;
    let req = m
        .request
        .as_ref()
        .ok_or_else(|| invalid("request", "required: the invoker-signed request"))?;
    if m.results.len() < 2 || m.results.len() > MAX_EVIDENCE_RESULTS {
        return Err(invalid(
            "results",
            format!("2..={MAX_EVIDENCE_RESULTS} required"),
        ));
    }
    if m.outcomes.len() > MAX_EVIDENCE_RESULTS {
        return Err(invalid(
            "outcomes",
            format!("at most {MAX_EVIDENCE_RESULTS}"),
        ));
    }
    let p = params(ctx.store)?;
    let v = verified_request(ctx, &p, None, req)?;
    let f = must_get_function(ctx.store, v.terms.function_id)?;

    // result hash → signers; worker → hashes it signed.
    let mut by_hash: BTreeMap<[u8; 32], BTreeSet<Address>> = BTreeMap::new();
    let mut by_worker: BTreeMap<Address, BTreeSet<[u8; 32]>> = BTreeMap::new();
    for (index, r) in m.results.iter().enumerate() {
        let worker = parse_addr("results.worker", &r.worker)?;
        let result_hash = hash32("results.result_hash", &r.result_hash)?;
        verify_worker_signature(
            ctx.store,
            ctx.gas,
            &p,
            &v,
            &worker,
            &result_hash,
            &r.signature,
        )
        .map_err(|e| FastPathError::BadWorkerSignature {
            index,
            worker: worker.to_string(),
            reason: e.to_string(),
        })?;
        by_hash
            .entry(result_hash)
            .or_default()
            .insert(worker.clone());
        by_worker.entry(worker).or_default().insert(result_hash);
    }
    let manifest = Manifest::from_json(f.manifest_json.as_bytes()).map_err(|e| e.to_string());
    let outcomes = checked_outcomes(manifest.as_ref().ok(), &m.outcomes, &by_hash)?;
    if by_hash.len() < 2 {
        return Err(FastPathError::Inconclusive(
            "all results agree; nothing conflicts".into(),
        ));
    }

    let equivocators: BTreeSet<Address> = by_worker
        .iter()
        .filter(|(_, hs)| hs.len() > 1)
        .map(|(w, _)| w.clone())
        .collect();
    let mut verdicts: BTreeMap<Address, DissentPenalty> = equivocators
        .iter()
        .map(|w| (w.clone(), DissentPenalty::Slash))
        .collect();
    let members = active_members(
        ctx.store,
        f.id,
        key_window(v.terms.expiry_height, p.fastpath_request_ttl).0,
    )?;
    let (majority, why_not) = judge_dissent(
        &f,
        manifest.as_ref().map_err(String::as_str),
        &v,
        p.fastpath_request_ttl,
        &members,
        &by_hash,
        &equivocators,
        &outcomes,
        crate::secrets::state::last_change(ctx.store, f.id),
        &mut verdicts,
    )?;

    let id_hex = hex::encode(v.id);
    // Only what raises the penalty already applied for this request (none → miss → slash)
    // is new: the same evidence twice does nothing, and a miss does not shield a worker
    // that later evidence proves equivocated.
    let mut upgrades: BTreeMap<Address, (DissentPenalty, HandledPenalty)> = BTreeMap::new();
    for (w, penalty) in verdicts {
        let Some(new) = handled(penalty) else {
            continue;
        };
        let before = EVIDENCE_HANDLED.may_load(ctx.store, (&id_hex, w.as_str()))?;
        if before.is_none_or(|b| new > b) {
            upgrades.insert(w, (penalty, new));
        }
    }
    let verdicts = upgrades;
    if verdicts.is_empty() {
        let punished: Vec<Address> = by_worker
            .keys()
            .filter(|w| EVIDENCE_HANDLED.has(ctx.store, (&id_hex, w.as_str())))
            .cloned()
            .collect();
        return Err(FastPathError::Inconclusive(if punished.is_empty() {
            why_not.unwrap_or_else(|| {
                "no dissent is the worker's fault (an HTTP function or an environment-dependent majority: dissenters are only unpaid)".into()
            })
        } else {
            format!(
                "{} already punished for this request, nobody new to punish{}",
                crate::handlers::join(&punished),
                why_not.map(|w| format!(" ({w})")).unwrap_or_default()
            )
        }));
    }
    let reason = format!("conflicting fast-path result for request {id_hex}");
    let mut slashed = Vec::new();
    let mut missed = Vec::new();
    for (w, (penalty, marker)) in &verdicts {
        EVIDENCE_HANDLED.save(ctx.store, (&id_hex, w.as_str()), marker)?;
        penalize(ctx, w, *penalty, &id_hex, &reason)?;
        match penalty {
            DissentPenalty::Slash => slashed.push(w.clone()),
            DissentPenalty::Miss => missed.push(w.clone()),
            DissentPenalty::Unpaid => {}
        }
    }
    super::prune::schedule(
        ctx.store,
        &id_hex,
        v.terms.expiry_height,
        p.fastpath_settle_window,
    )?;
    ctx.emit(
        Event::new(FASTPATH_EVIDENCE)
            .attr("request_id", &id_hex)
            .attr("function_id", f.id)
            .attr("slashed", crate::handlers::join(&slashed))
            .attr("missed", crate::handlers::join(&missed))
            .attr(
                "majority_hash",
                majority.map(hex::encode).unwrap_or_default(),
            ),
    );
    Ok(MsgSubmitEvidenceResponse {
        slashed: slashed.iter().map(|a| a.to_string()).collect(),
        missed: missed.iter().map(|a| a.to_string()).collect(),
    })
}

/// The marker a penalty leaves (`Unpaid` leaves none: nothing was applied).
fn handled(p: DissentPenalty) -> Option<HandledPenalty> {
    match p {
        DissentPenalty::Slash => Some(HandledPenalty::Slash),
        DissentPenalty::Miss => Some(HandledPenalty::Miss),
        DissentPenalty::Unpaid => None,
    }
}

/// The function's current subnetwork members that are Active: the only workers whose
/// signatures count towards a majority and the only ones judged for dissent (rule 2).
fn active_members(
    store: &dyn cosmwasm_std::Storage,
    function: u64,
    window_start: u64,
) -> Result<Vec<Address>, FastPathError> {
    let subnet = SUBNETS.may_load(store, function)?.unwrap_or_default();
    let mut out = Vec::new();
    for w in subnet.workers.iter().cloned() {
        // A member seated after the request's window opened (and after the first placement)
        // may not have been one when the request was served: its word about it counts for
        // nothing, and it is not judged.
        if !subnet.seated_for(&w, window_start) {
            continue;
        }
        let active = bls_registry::state::get_worker(store, &w)
            .map_err(|e| crate::OrchestrationError::Store(e.to_string()))?
            .is_some_and(|r| r.status == bls_registry::WorkerStatus::Active);
        if active {
            out.push(w);
        }
    }
    Ok(out)
}

/// Rule 2: finds the majority of Active members (`members`) and adds a verdict for every
/// (non-equivocating) Active member that signed another hash whose outcome is in the
/// evidence. Returns the majority hash (if any) and, when no
/// dissent could be judged, why.
#[allow(clippy::too_many_arguments)]
fn judge_dissent(
    f: &Function,
    manifest: Result<&Manifest, &str>,
    v: &VerifiedRequest,
    ttl: u64,
    members: &[Address],
    by_hash: &BTreeMap<[u8; 32], BTreeSet<Address>>,
    equivocators: &BTreeSet<Address>,
    outcomes: &BTreeMap<[u8; 32], Outcome>,
    secrets_changed: Option<u64>,
    verdicts: &mut BTreeMap<Address, DissentPenalty>,
) -> Result<(Option<[u8; 32]>, Option<String>), FastPathError> {
    let members: BTreeSet<&Address> = members.iter().collect();
    let counted = |signers: &BTreeSet<Address>| -> Vec<Address> {
        signers
            .iter()
            .filter(|w| members.contains(w) && !equivocators.contains(*w))
            .cloned()
            .collect()
    };
    let n = members.len();
    if n < MIN_DISSENT_MEMBERS {
        return Ok((
            None,
            Some(format!(
                "the function's subnetwork has {n} Active members: dissent is judged only with at least {MIN_DISSENT_MEMBERS}"
            )),
        ));
    }
    let quorum = usize::try_from(f.quorum.max(1)).unwrap_or(usize::MAX);
    let bar = quorum.max(n / 2 + 1).max(MIN_DISSENT_MAJORITY);
    let at_bar: Vec<[u8; 32]> = by_hash
        .iter()
        .filter(|(_, s)| counted(s).len() >= bar)
        .map(|(h, _)| *h)
        .collect();
    let majority = match at_bar.as_slice() {
        [one] => *one,
        [] => {
            return Ok((
                None,
                Some(format!(
                    "no result hash has {bar} signatures of the function's {n} Active subnetwork members (max(quorum {quorum}, a majority of them, {MIN_DISSENT_MAJORITY}))"
                )),
            ))
        }
        _ => {
            return Ok((
                None,
                Some(format!(
                    "{} result hashes each have {bar} member signatures: no majority",
                    at_bar.len()
                )),
            ))
        }
    };
    let (window_start, _) = key_window(v.terms.expiry_height, ttl);
    if f.version > 1 && f.updated_height >= window_start {
        return Ok((
            Some(majority),
            Some(format!(
                "function {} was updated at height {} while the request was alive: workers may have run different manifests",
                f.id, f.updated_height
            )),
        ));
    }
    if secrets_changed.is_some_and(|h| h >= window_start) {
        return Ok((
            Some(majority),
            Some(format!(
                "function {}'s secrets changed while the request was alive: workers may have run with different values",
                f.id
            )),
        ));
    }
    let Some(majority_outcome) = outcomes.get(&majority) else {
        return Ok((
            Some(majority),
            Some("the majority's outcome bytes are not in the evidence (outcomes)".into()),
        ));
    };
    // A stored manifest that no longer parses (a genesis import of an older format) leaves
    // the function's capabilities unknown, so whether a dissent is the worker's fault is
    // unknown too: nobody is judged on a guess (equivocation, rule 1, needs no manifest).
    let manifest = match manifest {
        Ok(m) => m,
        Err(e) => {
            return Ok((
                Some(majority),
                Some(format!(
                    "function {}'s stored manifest does not parse ({e}): no dissent is judged",
                    f.id
                )),
            ))
        }
    };
    let mut judged = false;
    for (h, signers) in by_hash {
        if *h == majority {
            continue;
        }
        let Some(dissent) = outcomes.get(h) else {
            continue;
        };
        for w in signers
            .iter()
            .filter(|w| members.contains(w) && !equivocators.contains(*w))
            .cloned()
        {
            judged = true;
            verdicts
                .entry(w)
                .or_insert(dissent_penalty(manifest, majority_outcome, dissent));
        }
    }
    Ok((
        Some(majority),
        (!judged).then(|| {
            "no Active subnetwork member signed another hash whose outcome bytes are in the evidence (outcomes)"
                .to_string()
        }),
    ))
}

/// Checks the evidence's outcomes: each for a hash some result signed, at most once, no
/// larger than the function's output cap allows, decoding as an outcome whose sha256 is its
/// hash. `manifest` is `None` when the stored manifest no longer parses: its cap is unknown,
/// so outcomes are bounded by the protocol ceiling ([`bls_core::outcome::MAX_OUTPUT_BYTES`])
/// only — harmless, since no dissent is judged for such a function ([`judge_dissent`]).
fn checked_outcomes(
    manifest: Option<&Manifest>,
    list: &[ResultOutcome],
    by_hash: &BTreeMap<[u8; 32], BTreeSet<Address>>,
) -> Result<BTreeMap<[u8; 32], Outcome>, FastPathError> {
    let output_bytes = match manifest {
        Some(m) => m.limits.output_bytes,
        None => bls_core::outcome::MAX_OUTPUT_BYTES,
    };
    let cap = usize::try_from(output_bytes.min(bls_core::outcome::MAX_OUTPUT_BYTES))
        .unwrap_or(usize::MAX);
    let max_len = crate::handlers::results::max_outcome_len(output_bytes);
    let mut out = BTreeMap::new();
    for (index, o) in list.iter().enumerate() {
        let bad = |reason: String| FastPathError::BadOutcome { index, reason };
        let hash = <[u8; 32]>::try_from(o.result_hash.as_slice()).map_err(|_| {
            bad(format!(
                "result_hash must be 32 bytes, got {}",
                o.result_hash.len()
            ))
        })?;
        if !by_hash.contains_key(&hash) {
            return Err(bad(format!(
                "no signed result has hash {}",
                hex::encode(hash)
            )));
        }
        if o.outcome.len() > max_len {
            return Err(bad(format!(
                "{} bytes exceeds the {max_len} byte cap of this function",
                o.outcome.len()
            )));
        }
        let actual: [u8; 32] = Sha256::digest(&o.outcome).into();
        if actual != hash {
            return Err(bad(
                "sha256 of the outcome bytes is not its result_hash".into()
            ));
        }
        let outcome = Outcome::decode(&o.outcome).map_err(|e| bad(e.to_string()))?;
        if outcome.stdout.len() > cap || outcome.stderr.len() > cap {
            return Err(bad(format!(
                "output above the function's output_bytes ({cap})"
            )));
        }
        if out.insert(hash, outcome).is_some() {
            return Err(bad(format!("hash {} listed twice", hex::encode(hash))));
        }
    }
    Ok(out)
}

/// The one door from fast-path evidence to the registry's penalties: `Slash` slashes
/// `slash_fraction_bps` of the bond (every unbonding entry in flight too: a signature carries
/// no infraction height) and jails for `dissent_jail_blocks`; `Miss` records a liveness miss
/// (which may jail); `Unpaid` does nothing.
fn penalize(
    ctx: &mut Context<'_>,
    worker: &Address,
    penalty: DissentPenalty,
    request_id: &str,
    reason: &str,
) -> Result<(), FastPathError> {
    match penalty {
        DissentPenalty::Slash => {
            let p = params(ctx.store)?;
            // Fast-path signatures carry no height, so the infraction height is unknown: 0
            // keeps every unbonding entry still in flight at stake (exempting any would let a
            // worker sign a false result, unbond, and escape before the evidence lands).
            bls_registry::penalty::punish(
                ctx,
                worker,
                &bls_registry::penalty::Infraction {
                    fraction_bps: p.slash_fraction_bps,
                    height: 0,
                    jail_blocks: p.dissent_jail_blocks,
                    reason,
                },
            )?;
        }
        DissentPenalty::Miss => {
            bls_registry::liveness::record_miss(
                ctx,
                worker,
                &bls_registry::liveness::Duty::Request(request_id.to_string()),
            )?;
        }
        DissentPenalty::Unpaid => {}
    }
    Ok(())
}
