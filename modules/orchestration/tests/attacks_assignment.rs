//! Attack 6, seed half: whoever can predict or choose an assignment's seed chooses who runs
//! the job. Before the fix the job seed was sha256(chain id ‖ block hash ‖ job id) of the
//! block that included the invoke, computed in the invoke tx: the proposer of that block
//! chose the hash (time, tx order) and knew the assignment of every invoke it included.
//! Now the invoke only queues the job; the next block's begin block draws the workers with
//! that block's beacon randomness, which no hash of either block moves.

mod common;

use bls_core::module::encode_any;
use bls_orchestration::msgs::{MsgInvoke, MsgInvokeResponse, ProtoCoin, MSG_INVOKE};
use bls_orchestration::state::JobStatus;
use common::*;

fn params() -> serde_json::Value {
    serde_json::json!({
        "subnetwork_size": 6, "commit_window": 3, "reveal_window": 3, "base_fee": "1000",
        "max_retries": 2, "commit_grace_ms": 0
    })
}

/// Six workers, one function (n = 2) placed, an invoker with funds.
fn setup() -> (Chain, u64) {
    let mut c = Chain::new(params());
    for w in six_workers() {
        c.register(&w);
    }
    // A 1 s function: its commit windows are the 3-block count (1 s blocks here).
    let f = c
        .deploy(
            &user(50),
            hello_wasm(),
            r#"{"limits":{"timeout_ms":1000}}"#,
            2,
            2,
        )
        .unwrap();
    c.fund(&user(60), 1_000_000);
    (c, f)
}

/// Sends the invoke tx in the current block (whose hash is `hash`) without advancing.
fn invoke_in_block(c: &mut Chain, f: u64, hash: u8) -> u64 {
    c.block.hash = vec![hash; 32];
    let msg = MsgInvoke {
        invoker: user(60).to_string(),
        function_id: f,
        input: b"in".to_vec(),
        args: vec![],
        max_fee: Some(ProtoCoin::ubls(20_000)),
        version: 0,
    };
    let r = c.orch(&user(60), encode_any(&msg, MSG_INVOKE)).unwrap();
    let resp = <MsgInvokeResponse as prost::Message>::decode(r.value.as_slice()).unwrap();
    assert!(
        resp.workers.is_empty(),
        "the invoke tx must not know its workers"
    );
    let job = c.job(resp.job_id);
    assert_eq!(job.status, JobStatus::Queued);
    assert!(job.assignments.is_empty() && job.seed.is_empty());
    let queued = c.events_of("bls.job_queued");
    let last = queued.last().expect("bls.job_queued");
    assert_eq!(
        last.get("assign_height"),
        Some((c.block.height + 1).to_string().as_str())
    );
    resp.job_id
}

fn workers(c: &Chain, job: u64) -> Vec<String> {
    c.job(job)
        .assignments
        .iter()
        .map(|a| a.worker.to_string())
        .collect()
}

#[test]
fn attack_grind_assignment_seed() {
    // The proposer of the invoke's block and of the next one try hashes; the beacon output of
    // the next block is what it is.
    let beacon = [0x5au8; 32];
    let mut seen = Vec::new();
    for (invoke_hash, next_hash) in [(1u8, 1u8), (2, 9), (200, 77), (3, 3)] {
        let (mut c, f) = setup();
        let job = invoke_in_block(&mut c, f, invoke_hash);
        c.next_block_with(vec![next_hash; 32], beacon);
        let j = c.job(job);
        assert_eq!(j.status, JobStatus::Committing);
        assert_eq!(j.round_height, c.block.height, "assigned in the next block");
        assert_eq!(
            j.commit_deadline,
            c.block.height + 3,
            "deadline counts from assignment"
        );
        seen.push((workers(&c, job), j.seed.clone()));
        c.assert_escrow_invariant();
    }
    assert!(
        seen.windows(2).all(|w| w[0] == w[1]),
        "a block hash changed the assignment or the guest seed: {seen:?}"
    );
    // The beacon output is what decides: different outputs, different draws.
    let draws: std::collections::BTreeSet<Vec<String>> = (0..16u8)
        .map(|b| {
            let (mut c, f) = setup();
            let job = invoke_in_block(&mut c, f, 1);
            c.next_block_with(vec![1; 32], [b; 32]);
            workers(&c, job)
        })
        .collect();
    assert!(draws.len() > 1, "the randomness must matter: {draws:?}");
}

#[test]
fn attack_grind_reassignment_seed() {
    // A round that fails (nobody committed) is queued, not reassigned in the end block that
    // closes it: a worker that lets its round fail could otherwise know who takes over.
    let beacon = [0x33u8; 32];
    let mut seen = Vec::new();
    for hash in [4u8, 5, 6] {
        let (mut c, f) = setup();
        let job = invoke_in_block(&mut c, f, 1);
        c.next_block_with(vec![hash; 32], [0x10; 32]);
        let first = workers(&c, job);
        let deadline = c.job(job).commit_deadline;
        while c.block.height < deadline {
            c.next_block_with(vec![hash; 32], [hash; 32]);
        }
        // End block of the deadline: the round fails and the job is queued again.
        c.next_block_with(vec![hash.wrapping_add(50); 32], beacon);
        let j = c.job(job);
        assert_eq!(j.round, 1);
        assert_eq!(j.status, JobStatus::Committing);
        let second = workers(&c, job);
        assert!(
            second.iter().all(|w| !first.contains(w)),
            "fresh workers only"
        );
        seen.push(second);
        c.assert_escrow_invariant();
    }
    assert!(seen.windows(2).all(|w| w[0] == w[1]), "{seen:?}");
}

#[test]
fn a_job_that_cannot_be_assigned_in_the_next_block_is_refunded() {
    let (mut c, f) = setup();
    let before = c.balance(&user(60));
    let job = invoke_in_block(&mut c, f, 1);
    // Every worker leaves the pool before the draw.
    for w in six_workers() {
        c.jail(&w.addr, 1_000);
    }
    c.next_block();
    let j = c.job(job);
    assert_eq!(j.status, JobStatus::Failed);
    assert!(
        j.failure.contains("not enough eligible workers"),
        "{}",
        j.failure
    );
    assert_eq!(c.balance(&user(60)), before, "escrow refunded in full");
    c.assert_escrow_invariant();
}

/// A queued job that cannot be assigned (state no rule foresaw: here its function's record is
/// unreadable) fails alone, refunded, with an event; the job queued beside it is assigned.
/// Before, the error failed orchestration's whole begin block, dropped every assignment and
/// repeated block after block.
#[test]
fn a_job_that_cannot_be_assigned_fails_alone_and_is_refunded() {
    let (mut c, f) = setup();
    let g = c.deploy(&user(50), hello_wasm(), "{}", 2, 2).unwrap();
    let broken = invoke_in_block(&mut c, f, 1);
    let fine = invoke_in_block(&mut c, g, 1);
    // Function f's record becomes unreadable (the key of orchestration's function map,
    // computed by a map of the same namespace).
    let key = cw_storage_plus::Map::<u64, serde_json::Value>::new("orch/functions")
        .key(f)
        .to_vec();
    assert!(cosmwasm_std::Storage::get(&c.store, &key).is_some());
    cosmwasm_std::Storage::set(&mut c.store, &key, b"not a function");
    let before = c.balance(&user(60));
    let escrow = c.job(broken).escrow;
    c.next_block();
    let failed = c.events_of("bls.job_assignment_failed");
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].get("job_id"), Some(broken.to_string().as_str()));
    assert_eq!(failed[0].get("refunded"), Some("true"));
    assert_eq!(c.job(broken).status, JobStatus::Failed);
    assert_eq!(
        c.balance(&user(60)),
        before + escrow,
        "escrow refunded in full"
    );
    let ok = c.job(fine);
    assert_eq!(ok.status, JobStatus::Committing);
    assert_eq!(ok.assignments.len(), 2);
    c.assert_escrow_invariant();
}
