//! Picking workers from the function's on-chain subnetwork and aggregating their signed
//! results into a quorum.

use std::collections::BTreeMap;

use bls_core::outcome::Outcome;
use bls_orchestration::fastpath::msgs::result_digest;
use bls_registry::{Worker, WorkerStatus};
use futures::future::join_all;
use libp2p::PeerId;
use sha2::{Digest, Sha256};

use super::api::WorkerSig;
use crate::p2p::protocol::{WorkOrder, WorkReply};
use crate::p2p::serve::{bls_auth_verify, multiaddrs, Executor};

/// Subnetwork members in this request's order: by sha256(request id ‖ worker id), so the
/// choice is deterministic per request and spreads load (never "first responders").
pub fn order_members(request_id: &[u8; 32], members: Vec<Worker>) -> Vec<Worker> {
    let mut keyed: Vec<([u8; 32], Worker)> = members
        .into_iter()
        .filter(|w| w.status == WorkerStatus::Active)
        .map(|w| {
            let k: [u8; 32] = Sha256::new()
                .chain_update(request_id)
                .chain_update(w.operator.as_bytes())
                .finalize()
                .into();
            (k, w)
        })
        .collect();
    keyed.sort_by_key(|a| a.0);
    keyed.into_iter().map(|(_, w)| w).collect()
}

/// What the workers answered.
pub struct Aggregate {
    /// Result hash → (outcome bytes, signatures).
    pub by_hash: BTreeMap<[u8; 32], (Vec<u8>, Vec<WorkerSig>)>,
    /// Workers that failed, with why.
    pub failures: Vec<String>,
    /// Time spent checking replies (hashes, outcome decoding, signatures) on this head,
    /// summed (the checks overlap with waiting for the slower workers).
    pub verify_time: std::time::Duration,
}

impl Aggregate {
    /// The hash with the most signatures and its count.
    pub fn best(&self) -> Option<([u8; 32], usize)> {
        self.by_hash
            .iter()
            .map(|(h, (_, s))| (*h, s.len()))
            .max_by_key(|(_, n)| *n)
    }
}

/// Sends `order` to `candidates` in order until `quorum` signatures agree: first to
/// `nodes` of them at once, then to as many more as are still missing, while candidates
/// remain. Each reply's signature is verified against the worker's registered key.
pub async fn run(
    exec: &Executor,
    order: &WorkOrder,
    request_id: &[u8; 32],
    code_hash: &[u8; 32],
    candidates: &[Worker],
    nodes: usize,
    quorum: usize,
) -> Aggregate {
    let mut agg = Aggregate {
        by_hash: BTreeMap::new(),
        failures: Vec::new(),
        verify_time: std::time::Duration::ZERO,
    };
    let mut next = 0usize;
    let mut want = nodes.max(quorum);
    while next < candidates.len() {
        let end = next.saturating_add(want).min(candidates.len());
        let batch = candidates.get(next..end).unwrap_or_default();
        next = end;
        // Each reply is checked as soon as it arrives, while the others are still in flight.
        let replies = join_all(batch.iter().map(|w| async move {
            let reply = ask(exec, w, order).await;
            let started = std::time::Instant::now();
            let checked = reply.and_then(|r| check(w, r, request_id, code_hash));
            (checked, started.elapsed())
        }))
        .await;
        for (w, (checked, took)) in batch.iter().zip(replies) {
            agg.verify_time = agg.verify_time.saturating_add(took);
            match checked {
                Ok((hash, outcome, sig)) => {
                    let e = agg
                        .by_hash
                        .entry(hash)
                        .or_insert_with(|| (outcome, Vec::new()));
                    e.1.push(sig);
                }
                Err(why) => agg.failures.push(format!("{}: {why}", w.operator)),
            }
        }
        let have = agg.best().map_or(0, |(_, n)| n);
        if have >= quorum {
            break;
        }
        want = quorum - have;
    }
    agg
}

async fn ask(exec: &Executor, w: &Worker, order: &WorkOrder) -> Result<WorkReply, String> {
    // The head can be a member of the subnetwork too: it runs its share itself.
    if &w.operator == exec.key.address() {
        return Ok(exec.execute(order, None).await);
    }
    let peer: PeerId = w
        .peer_id
        .parse()
        .map_err(|e| format!("registered peer id: {e}"))?;
    exec.p2p
        .work(peer, multiaddrs(w), order.clone())
        .await
        .map_err(|e| e.to_string())
}

fn check(
    w: &Worker,
    reply: WorkReply,
    request_id: &[u8; 32],
    code_hash: &[u8; 32],
) -> Result<([u8; 32], Vec<u8>, WorkerSig), String> {
    let (worker, outcome, result_hash, signature) = match reply {
        WorkReply::Done {
            worker,
            outcome,
            result_hash,
            signature,
        } => (worker, outcome, result_hash, signature),
        WorkReply::Refused(why) => return Err(format!("refused: {why}")),
    };
    if worker != w.operator.as_str() {
        return Err(format!("answered as {worker}"));
    }
    let hash: [u8; 32] = Sha256::digest(&outcome).into();
    if result_hash != hash {
        return Err("result hash does not match the outcome".into());
    }
    Outcome::decode(&outcome).map_err(|e| format!("outcome: {e}"))?;
    let pk = hex::decode(&w.result_pubkey).map_err(|e| format!("registered key: {e}"))?;
    bls_auth_verify(
        &pk,
        &result_digest(request_id, code_hash, &hash),
        &signature,
    )?;
    Ok((
        hash,
        outcome,
        WorkerSig {
            worker,
            result_hash: hex::encode(hash),
            signature: hex::encode(signature),
        },
    ))
}
