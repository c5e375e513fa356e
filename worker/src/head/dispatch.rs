//! Picking workers from the function's on-chain subnetwork and aggregating their signed
//! results into a quorum.

use std::collections::BTreeMap;
use std::time::Duration;

use bls_client::head_api::WorkerSig;
use bls_core::outcome::Outcome;
use bls_orchestration::fastpath::msgs::verify_result_signature;
use bls_registry::result_keys::ResultKey;
use bls_registry::{Worker, WorkerStatus};
use futures::future::join_all;
use libp2p::PeerId;
use sha2::{Digest, Sha256};

use crate::p2p::executor::Executor;
use crate::p2p::peers::multiaddrs;
use crate::p2p::protocol::{WorkOrder, WorkReply};

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
/// remain. Each reply's signature is verified against the result keys the worker held in
/// the request's `key_window` ([`window_keys`]), exactly the keys the chain judges a
/// presented signature by; a signature that does not verify that way is never presented.
/// A worker that has not answered within `wait` ([`order_wait`]) counts as failed.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    exec: &Executor,
    order: &WorkOrder,
    request_id: &[u8; 32],
    code_hash: &[u8; 32],
    candidates: &[Worker],
    nodes: usize,
    quorum: usize,
    key_window: (u64, u64),
    wait: Duration,
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
        // The worker's key history is read while its reply is in flight, so the fresh read
        // costs no latency. It starts after the request's window was checked against a tip
        // at or after the window's start, so it is read at such a height too.
        let replies = join_all(batch.iter().map(|w| async move {
            let (reply, keys) =
                tokio::join!(ask(exec, w, order, wait), window_keys(exec, w, key_window));
            let started = std::time::Instant::now();
            let checked = match reply {
                Ok(r @ WorkReply::Done { .. }) => match keys {
                    Ok(keys) => check(w, r, request_id, code_hash, &keys),
                    Err(e) => Err(e),
                },
                Ok(r) => check(w, r, request_id, code_hash, &[]),
                Err(e) => Err(e),
            };
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

/// Beyond a function's `timeout_ms`, how long a worker may take to answer a work order:
/// fetching (up to 64 MiB from IPFS or a peer) and compiling code it does not have yet.
pub const ORDER_MARGIN: Duration = Duration::from_secs(60);

/// How long the head waits for one worker's answer to a work order of a function with
/// `manifest`: its timeout plus [`ORDER_MARGIN`] (a 15-minute function gets 16 minutes).
pub fn order_wait(manifest: &bls_core::manifest::Manifest) -> Duration {
    manifest.limits.timeout().saturating_add(ORDER_MARGIN)
}

async fn ask(
    exec: &Executor,
    w: &Worker,
    order: &WorkOrder,
    wait: Duration,
) -> Result<WorkReply, String> {
    // The head can be a member of the subnetwork too: it runs its share itself.
    if &w.operator == exec.key.address() {
        return Ok(exec.execute(order, None).await);
    }
    let peer: PeerId = w
        .peer_id
        .parse()
        .map_err(|e| format!("registered peer id: {e}"))?;
    match tokio::time::timeout(wait, exec.p2p.work(peer, multiaddrs(w), order.clone())).await {
        Ok(r) => r.map_err(|e| e.to_string()),
        Err(_) => Err(format!("no answer within {} s", wait.as_secs())),
    }
}

/// The result keys `w` held in `[lo, hi]` (the request's key window), read fresh from the
/// chain — not from a cache: a worker that rotated its key since a cached read must not get a
/// signature under its retired key presented (the chain's judge checks the window's keys and
/// would call it the head's lie). Read at a height at or after the tip the request was served
/// at (≥ lo), the history holds every key the chain counts for the window: a key current at
/// that height overlaps the window for good, and later rotations only add keys.
pub async fn window_keys(
    exec: &Executor,
    w: &Worker,
    (lo, hi): (u64, u64),
) -> Result<Vec<Vec<u8>>, String> {
    let r = bls_client::registry::worker(exec.chain.rpc(), &w.operator)
        .await
        .map_err(|e| format!("reading its result keys: {e}"))?;
    Ok(keys_in_window(&r.worker, &r.result_keys, lo, hi))
}

/// The keys of `history` (or, when the chain keeps none for `w`, its current key from its
/// registration) that were current somewhere in `[lo, hi]`: the registry's
/// `keys_valid_between` over a queried history.
pub fn keys_in_window(w: &Worker, history: &[ResultKey], lo: u64, hi: u64) -> Vec<Vec<u8>> {
    let fallback;
    let history = if history.is_empty() {
        fallback = [ResultKey {
            pubkey: w.result_pubkey.clone(),
            from_height: w.registered_height,
            until_height: None,
        }];
        &fallback[..]
    } else {
        history
    };
    history
        .iter()
        .filter(|k| k.overlaps(lo, hi))
        .filter_map(|k| hex::decode(&k.pubkey).ok())
        .collect()
}

fn check(
    w: &Worker,
    reply: WorkReply,
    request_id: &[u8; 32],
    code_hash: &[u8; 32],
    keys: &[Vec<u8>],
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
    // The chain's own check of a worker's result signature (low-S, over `result_digest`).
    if !keys
        .iter()
        .any(|pk| verify_result_signature(pk, request_id, code_hash, &hash, &signature).is_ok())
    {
        return Err(
            "signature verifies under none of the result keys it held in the request's window"
                .into(),
        );
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use bls_client::KeyPair;
    use bls_orchestration::fastpath::msgs::result_digest;

    /// HD1, the attack: a worker rotates its result key at height 100 but keeps signing with
    /// the retired one; the invoker (colluding) picks an expiry whose key window starts after
    /// the rotation. A head checking the worker's current key from a stale read would accept
    /// the signature and present it — and the chain's judge, checking the window's keys,
    /// would call that the head's lie. Checked against the window's keys from the history, it
    /// is refused, and a signature under the key valid in the window is accepted.
    #[test]
    fn a_signature_under_a_key_retired_before_the_window_is_not_presented() {
        let (old, _) = KeyPair::generate().unwrap();
        let (new, _) = KeyPair::generate().unwrap();
        let hex_pk = |k: &KeyPair| hex::encode(k.public_key_bytes());
        let mut w = crate::daemon::fit::tests::test_worker(WorkerStatus::Active);
        w.result_pubkey = hex_pk(&new);
        let history = vec![
            ResultKey {
                pubkey: hex_pk(&old),
                from_height: 1,
                until_height: Some(100),
            },
            ResultKey {
                pubkey: hex_pk(&new),
                from_height: 100,
                until_height: None,
            },
        ];
        let request_id = [1u8; 32];
        let code_hash = [2u8; 32];
        let outcome = bls_runtime::Outcome {
            status: bls_runtime::ExitStatus::Exited(0),
            stdout: b"hi".to_vec(),
            stdout_truncated: false,
            stderr: vec![],
            stderr_truncated: false,
            fuel_used: 1,
            wall_time: std::time::Duration::ZERO,
            trap_message: None,
            calls: Vec::new(),
        }
        .canonical_bytes();
        let hash: [u8; 32] = Sha256::digest(&outcome).into();
        let reply = |k: &KeyPair| WorkReply::Done {
            worker: w.operator.to_string(),
            outcome: outcome.clone(),
            result_hash: hash.to_vec(),
            signature: k
                .sign(&result_digest(&request_id, &code_hash, &hash))
                .to_vec(),
        };
        // The window [110, 120] starts after the rotation.
        let keys = keys_in_window(&w, &history, 110, 120);
        assert_eq!(keys.len(), 1);
        let r = check(&w, reply(&old), &request_id, &code_hash, &keys);
        assert!(
            r.is_err(),
            "the retired key's signature must not be presented"
        );
        check(&w, reply(&new), &request_id, &code_hash, &keys).unwrap();
        // A window reaching back before the rotation counts both keys (as the chain does).
        let keys = keys_in_window(&w, &history, 90, 120);
        check(&w, reply(&old), &request_id, &code_hash, &keys).unwrap();
        // The stale view (only the old key, current) is what a cached read gave: it is not
        // what the head checks against any more.
        let stale = vec![ResultKey {
            pubkey: hex_pk(&old),
            from_height: 1,
            until_height: None,
        }];
        assert_eq!(keys_in_window(&w, &stale, 110, 120).len(), 1);
    }
}
