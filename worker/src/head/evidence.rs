//! The head reports signed results that contradict its quorum as `MsgSubmitEvidence`.
//!
//! The chain judges a dissent only against a majority of the function's subnetwork members
//! (at least `max(quorum, ⌊n/2⌋ + 1)` member signatures on one hash) and only with the
//! outcome bytes of both hashes. A quorum of `m` agreeing workers can be fewer than that, so
//! before reporting, the head asks the members it has not asked yet for their signed results
//! of the same request (each answers with its stored answer if it already signed one, so
//! asking again never makes an honest worker sign twice). It submits the evidence — the
//! invoker's signed request, every signed result and the outcome of every hash — only when
//! the majority bar is met and the chain's dissent rule ([`dissent_penalty`]) finds some
//! dissent to be the worker's fault; otherwise it logs why not (the chain would refuse it as
//! inconclusive, and the head would pay for the failed transaction).

use std::collections::BTreeMap;
use std::sync::Arc;

use bls_client::head_api::WorkerSig;
use bls_core::manifest::Manifest;
use bls_core::module::encode_any;
use bls_core::outcome::Outcome;
use bls_orchestration::dissent::{dissent_penalty, DissentPenalty};
use bls_orchestration::fastpath::msgs::{
    MsgSubmitEvidence, ResultOutcome, SignedResult, MSG_SUBMIT_EVIDENCE,
};
use bls_registry::Worker;

use super::dispatch;
use crate::p2p::executor::Executor;
use crate::p2p::protocol::WorkOrder;

/// A disagreement the head saw while serving a request.
pub struct Conflict {
    /// The executor (asks more members).
    pub exec: Arc<Executor>,
    /// Submits the evidence.
    pub signer: crate::daemon::signer::SignerHandle,
    /// The work order (carries the invoker-signed request).
    pub order: WorkOrder,
    /// Its request id.
    pub request_id: [u8; 32],
    /// The requested code hash.
    pub code_hash: [u8; 32],
    /// Number of current subnetwork members.
    pub members: usize,
    /// The function's quorum `m`.
    pub quorum: usize,
    /// The function's manifest (the dissent rule depends on it).
    pub manifest: Manifest,
    /// Result hash → (outcome bytes, signatures) gathered so far.
    pub by_hash: BTreeMap<[u8; 32], (Vec<u8>, Vec<WorkerSig>)>,
    /// Active members not asked yet.
    pub rest: Vec<Worker>,
    /// The request's key window (signatures are checked against the keys held in it).
    pub key_window: (u64, u64),
}

/// The member signatures one hash needs to be the chain's majority.
pub fn majority_bar(members: usize, quorum: usize) -> usize {
    quorum.max(1).max(members / 2 + 1)
}

/// Completes the picture if needed and submits the evidence (in the background of a served
/// request).
pub async fn report(mut c: Conflict) {
    let bar = majority_bar(c.members, c.quorum);
    let best = |by_hash: &BTreeMap<[u8; 32], (Vec<u8>, Vec<WorkerSig>)>| {
        by_hash.values().map(|(_, s)| s.len()).max().unwrap_or(0)
    };
    if best(&c.by_hash) < bar && !c.rest.is_empty() {
        let wait = dispatch::order_wait(&c.manifest);
        let more = dispatch::run(
            &c.exec,
            &c.order,
            &c.request_id,
            &c.code_hash,
            &c.rest,
            c.rest.len(),
            c.rest.len(),
            c.key_window,
            wait,
        )
        .await;
        for (h, (outcome, sigs)) in more.by_hash {
            let e = c.by_hash.entry(h).or_insert_with(|| (outcome, Vec::new()));
            e.1.extend(sigs);
        }
    }
    let request = hex::encode(c.request_id);
    let at_bar: Vec<[u8; 32]> = c
        .by_hash
        .iter()
        .filter(|(_, (_, s))| s.len() >= bar)
        .map(|(h, _)| *h)
        .collect();
    let [majority] = at_bar.as_slice() else {
        tracing::warn!(
            request,
            bar,
            members = c.members,
            "conflicting results but no hash has a majority of the subnetwork: not reported (the chain would find it inconclusive)"
        );
        return;
    };
    if !punishable(&c.manifest, majority, &c.by_hash) {
        tracing::info!(
            request,
            "conflicting results, but no dissent is the worker's fault (HTTP function or environment-dependent outcome): not reported"
        );
        return;
    }
    let msg = evidence_msg(&c.exec, &c.order, &c.by_hash);
    match c.signer.submit(encode_any(&msg, MSG_SUBMIT_EVIDENCE)).await {
        Ok(r) => tracing::info!(
            request,
            height = r.height,
            "evidence of conflicting results accepted"
        ),
        Err(e) => tracing::warn!(request, error = %e, "evidence rejected"),
    }
}

/// Whether the chain's dissent rule would punish any signer of a hash other than `majority`.
fn punishable(
    manifest: &Manifest,
    majority: &[u8; 32],
    by_hash: &BTreeMap<[u8; 32], (Vec<u8>, Vec<WorkerSig>)>,
) -> bool {
    let Some(Ok(m)) = by_hash.get(majority).map(|(o, _)| Outcome::decode(o)) else {
        return false;
    };
    by_hash
        .iter()
        .filter(|(h, _)| *h != majority)
        .filter_map(|(_, (o, _))| Outcome::decode(o).ok())
        .any(|d| dissent_penalty(manifest, &m, &d) != DissentPenalty::Unpaid)
}

/// `MsgSubmitEvidence` with the signed request, every signed result and every hash's
/// outcome bytes.
pub fn evidence_msg(
    exec: &Executor,
    order: &WorkOrder,
    by_hash: &BTreeMap<[u8; 32], (Vec<u8>, Vec<WorkerSig>)>,
) -> MsgSubmitEvidence {
    let results = by_hash
        .values()
        .flat_map(|(_, sigs)| sigs)
        .filter_map(|s| {
            Some(SignedResult {
                worker: s.worker.clone(),
                result_hash: hex::decode(&s.result_hash).ok()?,
                signature: hex::decode(&s.signature).ok()?,
            })
        })
        .collect();
    let outcomes = by_hash
        .iter()
        .map(|(h, (outcome, _))| ResultOutcome {
            result_hash: h.to_vec(),
            outcome: outcome.clone(),
        })
        .collect();
    MsgSubmitEvidence {
        submitter: exec.key.address().to_string(),
        results,
        request: Some(order.request.clone()),
        outcomes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_is_a_member_majority_and_at_least_the_quorum() {
        assert_eq!(majority_bar(4, 2), 3);
        assert_eq!(majority_bar(5, 2), 3);
        assert_eq!(majority_bar(3, 3), 3);
        assert_eq!(majority_bar(1, 1), 1);
        assert_eq!(majority_bar(0, 0), 1);
    }
}
