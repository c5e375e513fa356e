//! Code on IPFS and long jobs, attacked: what a deploy may name as a source, who may decline a
//! job and when, that a declined slot is never penalized (and a round of declines ends in a
//! reassignment or a full refund), and that a commit window lasts as long as the job may run,
//! however fast blocks come.

mod common;

use bls_core::module::encode_any;
use bls_core::Address;
use bls_orchestration::msgs::*;
use bls_orchestration::queries::FunctionResponse;
use bls_orchestration::state::JobStatus;
use bls_orchestration::OrchestrationError;
use bls_testkit::{assert_refused, variant};
use common::*;

const FEE: u128 = 10_000_000;
/// kubo 0.43.1, `ipfs add --cid-version=1` of 300 000 random bytes (a chunked dag-pb file).
const CID: &str = "bafybeia2gmfgaaqigt4b2nzc2oft2ejvv2tbzfbkcs3fp553mbj65hty5e";
const CODE_HASH: [u8; 32] = [9; 32];

fn params() -> serde_json::Value {
    serde_json::json!({
        "subnetwork_size": 3, "commit_window": 5, "reveal_window": 5, "base_fee": "1000",
        "commit_grace_ms": 2000
    })
}

fn chain() -> (Chain, Vec<SimWorker>) {
    let mut c = Chain::new(params());
    let ws = six_workers();
    for w in &ws {
        c.register(w);
    }
    c.fund(&user(1), 1_000_000_000);
    c.fund(&user(2), 1_000_000_000);
    (c, ws)
}

fn ipfs_deploy(uris: &[&str], size: u64, manifest: &str, n: u32, m: u32) -> MsgDeployFunction {
    MsgDeployFunction {
        owner: user(1).to_string(),
        code_hash: CODE_HASH.to_vec(),
        source_uris: uris.iter().map(|u| u.to_string()).collect(),
        code_size: size,
        manifest_json: manifest.into(),
        replication: n,
        quorum: m,
        ..Default::default()
    }
}

fn deploy(c: &mut Chain, msg: &MsgDeployFunction) -> Result<u64, bls_core::ModuleError> {
    let r = c.orch(&user(1), encode_any(msg, MSG_DEPLOY_FUNCTION))?;
    c.next_block();
    Ok(
        <MsgDeployFunctionResponse as prost::Message>::decode(r.value.as_slice())
            .unwrap()
            .function_id,
    )
}

/// A function of code on IPFS (n, m) deployed by `user(1)`.
fn deploy_on_ipfs(c: &mut Chain, n: u32, m: u32) -> u64 {
    deploy(
        c,
        &ipfs_deploy(&[&format!("ipfs://{CID}")], 1000, "{}", n, m),
    )
    .unwrap()
}

fn decline(
    c: &mut Chain,
    w: &Address,
    job: u64,
    reason: DeclineReason,
    detail: &str,
) -> Result<MsgDeclineJobResponse, bls_core::ModuleError> {
    let msg = MsgDeclineJob {
        worker: w.to_string(),
        job_id: job,
        reason: reason as i32,
        detail: detail.into(),
    };
    c.orch(w, encode_any(&msg, MSG_DECLINE_JOB))
        .map(|a| <MsgDeclineJobResponse as prost::Message>::decode(a.value.as_slice()).unwrap())
}

fn assigned(c: &Chain, ws: &[SimWorker], job: u64) -> Vec<SimWorker> {
    c.job(job)
        .assignments
        .iter()
        .map(|a| find(ws, a.worker.as_str()).clone())
        .collect()
}

fn bond(c: &Chain, w: &Address) -> u128 {
    bls_registry::state::must_get_worker(&c.store, w)
        .unwrap()
        .bond
}

#[test]
fn code_on_ipfs_is_recorded_with_its_size_and_canonical_cid() {
    let (mut c, _) = chain();
    // Any multibase spelling is recorded in the canonical one.
    let upper = format!("ipfs://B{}", CID[1..].to_ascii_uppercase());
    let f = deploy(&mut c, &ipfs_deploy(&[&upper], 20 << 20, "{}", 3, 2)).unwrap();
    let r: FunctionResponse = c
        .query("orchestration", "Function", serde_json::json!({"id": f}))
        .unwrap();
    assert!(!r.function.code_on_chain);
    assert_eq!(r.function.source_uris, vec![format!("ipfs://{CID}")]);
    assert_eq!(r.function.code_size, 20 << 20);
    assert_eq!(r.function.code_hash, hex::encode(CODE_HASH));
    assert_eq!(r.subnetwork.unwrap().workers.len(), 3);
    let ev = c.events_of(bls_orchestration::events::FUNCTION_DEPLOYED);
    assert_eq!(ev.last().unwrap().get("code_on_chain"), Some("false"));
    // The job pins the sources with the code hash.
    let job = c.invoke(&user(2), f, FEE).unwrap().job_id;
    assert_eq!(c.job(job).source_uris, vec![format!("ipfs://{CID}")]);
    assert_eq!(c.job(job).code_hash, hex::encode(CODE_HASH));
}

#[test]
fn deploys_no_worker_could_run_are_refused_and_change_nothing() {
    let (mut c, _) = chain();
    let ipfs = format!("ipfs://{CID}");
    let too_big = bls_orchestration::params::DEFAULT_MAX_REMOTE_WASM_BYTES + 1;
    let cases: Vec<(MsgDeployFunction, &str)> = vec![
        // No size: the chain records what it accepts.
        (ipfs_deploy(&[&ipfs], 0, "{}", 3, 2), "code_size"),
        (ipfs_deploy(&[&ipfs], 7, "{}", 3, 2), "code_size"),
        (ipfs_deploy(&[&ipfs], too_big, "{}", 3, 2), "on IPFS"),
        // Sources no worker fetches.
        (
            ipfs_deploy(&["https://example.com/f.wasm"], 1000, "{}", 3, 2),
            "only ipfs://CID",
        ),
        (
            ipfs_deploy(&["ar://tx"], 1000, "{}", 3, 2),
            "only ipfs://CID",
        ),
        (
            ipfs_deploy(&[&ipfs, "http://127.0.0.1/f.wasm"], 1000, "{}", 3, 2),
            "only ipfs://CID",
        ),
        (ipfs_deploy(&["ipfs://nope"], 1000, "{}", 3, 2), "not a CID"),
        (
            ipfs_deploy(&["ipfs://bafkqaaa"], 1000, "{}", 3, 2),
            "sha2-256",
        ),
        // No source at all.
        (ipfs_deploy(&[], 1000, "{}", 3, 2), "is stored on chain"),
        // A hash that is not 32 bytes.
        (
            MsgDeployFunction {
                code_hash: vec![1; 31],
                ..ipfs_deploy(&[&ipfs], 1000, "{}", 3, 2)
            },
            "32-byte sha256",
        ),
        // Inline code with a source no worker fetches: sources are checked there too.
        (
            MsgDeployFunction {
                wasm: hello_wasm(),
                code_hash: vec![],
                ..ipfs_deploy(&["https://example.com/f.wasm"], 0, "{}", 3, 2)
            },
            "only ipfs://CID",
        ),
    ];
    for (msg, want) in cases {
        let before = c.snapshot();
        let e = c
            .orch(&user(1), encode_any(&msg, MSG_DEPLOY_FUNCTION))
            .unwrap_err();
        assert!(e.log.contains(want), "want {want:?} in {}", e.log);
        assert_eq!(c.snapshot(), before, "a refused deploy changed state");
    }
}

#[test]
fn declines_are_only_for_assigned_slots_of_code_off_chain() {
    let (mut c, ws) = chain();
    let f = deploy_on_ipfs(&mut c, 3, 2);
    let job = c.invoke(&user(2), f, FEE).unwrap().job_id;
    let slots = assigned(&c, &ws, job);
    let outsider = ws
        .iter()
        .find(|w| !slots.iter().any(|s| s.addr == w.addr))
        .unwrap();
    let before = c.snapshot();
    assert_refused(
        decline(
            &mut c,
            &outsider.addr,
            job,
            DeclineReason::CodeUnavailable,
            "",
        ),
        &variant!(OrchestrationError::NotAssigned { job, worker }),
    );
    for bad in [0, 4, -1] {
        let msg = MsgDeclineJob {
            worker: slots[0].addr.to_string(),
            job_id: job,
            reason: bad,
            detail: String::new(),
        };
        assert_refused(
            c.orch(&slots[0].addr, encode_any(&msg, MSG_DECLINE_JOB)),
            &variant!(OrchestrationError::InvalidField { field, reason }),
        );
    }
    assert_refused(
        decline(
            &mut c,
            &slots[0].addr,
            job,
            DeclineReason::CodeUnavailable,
            &"x".repeat(257),
        ),
        &variant!(OrchestrationError::InvalidField { field, reason }),
    );
    assert_refused(
        decline(
            &mut c,
            &slots[0].addr,
            job + 100,
            DeclineReason::CodeUnavailable,
            "",
        ),
        &variant!(OrchestrationError::UnknownJob(_)),
    );
    // A committed slot cannot be declined afterwards.
    c.commit(&slots[1], job, &outcome(b"hi", 10)).unwrap();
    let after_commit = c.snapshot();
    assert_refused(
        decline(&mut c, &slots[1].addr, job, DeclineReason::CodeMismatch, ""),
        &variant!(OrchestrationError::NotDeclinable { job, reason }),
    );
    assert_eq!(c.snapshot(), after_commit);
    assert_ne!(before, after_commit);

    // Code on chain: every worker can read it, so "unavailable" is no excuse.
    let on_chain = c.deploy(&user(1), hello_wasm(), "{}", 3, 2).unwrap();
    let job2 = c.invoke(&user(2), on_chain, FEE).unwrap().job_id;
    let w = assigned(&c, &ws, job2)[0].clone();
    let e = assert_refused(
        decline(&mut c, &w.addr, job2, DeclineReason::CodeUnavailable, ""),
        &variant!(OrchestrationError::NotDeclinable { job, reason }),
    );
    assert!(e.log.contains("stored on chain"), "{}", e.log);
}

#[test]
fn a_declined_slot_is_neither_missed_nor_paid_nor_slashed() {
    let (mut c, ws) = chain();
    let f = deploy_on_ipfs(&mut c, 3, 2);
    let job = c.invoke(&user(2), f, FEE).unwrap().job_id;
    let slots = assigned(&c, &ws, job);
    let (bonds, balances): (Vec<u128>, Vec<u128>) = slots
        .iter()
        .map(|w| (bond(&c, &w.addr), c.balance(&w.addr)))
        .unzip();
    c.events.clear();
    let r = decline(
        &mut c,
        &slots[0].addr,
        job,
        DeclineReason::CodeMismatch,
        "ipfs: sha256 differs",
    )
    .unwrap();
    assert!(!r.commits_closed);
    let ev = c.events_of(bls_orchestration::events::JOB_DECLINED);
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].get("reason"), Some("code_mismatch"));
    assert_eq!(ev[0].get("detail"), Some("ipfs: sha256 differs"));
    // Declined once; no second decline, no commit.
    assert_refused(
        decline(
            &mut c,
            &slots[0].addr,
            job,
            DeclineReason::CodeUnavailable,
            "",
        ),
        &variant!(OrchestrationError::NotDeclinable { job, reason }),
    );
    assert!(c.commit(&slots[0], job, &outcome(b"hi", 10)).is_err());
    // The other two commit: every slot is in, so reveals open at once.
    let o = outcome(b"hi", 10);
    c.commit(&slots[1], job, &o).unwrap();
    c.commit(&slots[2], job, &o).unwrap();
    assert_eq!(c.job(job).status, JobStatus::Revealing);
    c.reveal(&slots[1], job, &o).unwrap();
    c.reveal(&slots[2], job, &o).unwrap();
    c.next_block();
    assert_eq!(c.job(job).status, JobStatus::Finalized);
    assert!(!c.job(job).settling, "settled");
    // The decliner: same bond, same balance, no miss. The others were paid.
    assert_eq!(bond(&c, &slots[0].addr), bonds[0]);
    assert_eq!(c.balance(&slots[0].addr), balances[0]);
    for (i, w) in slots.iter().enumerate().skip(1) {
        assert!(c.balance(&w.addr) > balances[i], "worker {i} was paid");
    }
    let missed: Vec<_> = c
        .events_of(bls_registry::events::WORKER_MISSED)
        .into_iter()
        .filter(|e| e.get("worker") == Some(slots[0].addr.as_str()))
        .collect();
    assert!(missed.is_empty(), "the decliner was recorded as missing");
    c.assert_escrow_invariant();
}

#[test]
fn when_every_slot_declines_the_job_is_reassigned_then_refunded_and_nobody_is_punished() {
    let (mut c, ws) = chain();
    let f = deploy_on_ipfs(&mut c, 1, 1);
    let invoker = user(2);
    let before = c.balance(&invoker);
    let job = c.invoke(&invoker, f, FEE).unwrap().job_id;
    let bonds: Vec<u128> = ws.iter().map(|w| bond(&c, &w.addr)).collect();
    let mut declined = Vec::new();
    c.events.clear();
    // max_retries (default 2): three rounds, each with a worker not tried before.
    for round in 0..3 {
        let j = c.job(job);
        assert_eq!(j.status, JobStatus::Committing, "round {round}");
        assert_eq!(j.round, round);
        let w = j.assignments[0].worker.clone();
        assert!(!declined.contains(&w), "a decliner was assigned again");
        let r = decline(
            &mut c,
            &w,
            job,
            DeclineReason::CodeUnavailable,
            "no provider",
        )
        .unwrap();
        assert!(r.commits_closed, "the only slot declined: commits close");
        declined.push(w);
        c.next_block(); // end block: the round failed
        c.next_block(); // begin block: reassigned (or failed)
    }
    let j = c.job(job);
    assert_eq!(j.status, JobStatus::Failed, "{j:?}");
    assert_eq!(
        c.balance(&invoker),
        before,
        "the invoker got everything back"
    );
    for (i, w) in ws.iter().enumerate() {
        assert_eq!(bond(&c, &w.addr), bonds[i], "worker {i} was slashed");
    }
    assert!(c.events_of(bls_registry::events::WORKER_MISSED).is_empty());
    c.assert_escrow_invariant();
}

#[test]
fn a_long_job_keeps_its_commit_window_open_by_block_time() {
    // Blocks are one second apart here; commit_window is 5 blocks. A 60 s job must keep its
    // window for 60 s + commit_grace_ms (2 s), not 5 blocks.
    let (mut c, ws) = chain();
    let manifest = r#"{"limits":{"timeout_ms":60000}}"#;
    let f = c.deploy(&user(1), hello_wasm(), manifest, 3, 2).unwrap();
    let job = c.invoke(&user(2), f, FEE * 100).unwrap().job_id;
    let slots = assigned(&c, &ws, job);
    let assigned_at = c.block.height;
    let o = outcome(b"done", 10);
    // One worker finishes early; the others are still computing well past 5 blocks.
    c.commit(&slots[0], job, &o).unwrap();
    while c.block.height < assigned_at + 55 {
        c.next_block();
        assert_eq!(
            c.job(job).status,
            JobStatus::Committing,
            "at {}",
            c.block.height
        );
    }
    // A commit after 55 s is still in time.
    c.commit(&slots[1], job, &o).unwrap();
    // The third never commits: the window ends once 62 s of block time have passed, not
    // before, and only then is it missed.
    c.events.clear();
    while c.job(job).status == JobStatus::Committing {
        assert!(c.block.height <= assigned_at + 70, "the window never ended");
        c.next_block();
    }
    assert!(
        c.block.height >= assigned_at + 62,
        "closed at {} (assigned at {assigned_at})",
        c.block.height
    );
    let missed = c.events_of(bls_registry::events::WORKER_MISSED);
    assert_eq!(missed.len(), 1);
    assert_eq!(missed[0].get("worker"), Some(slots[2].addr.as_str()));
    assert_eq!(c.job(job).status, JobStatus::Revealing);
}

#[test]
fn a_short_job_keeps_the_block_count_window() {
    let (mut c, ws) = chain();
    let f = c
        .deploy(
            &user(1),
            hello_wasm(),
            r#"{"limits":{"timeout_ms":1000}}"#,
            3,
            2,
        )
        .unwrap();
    let job = c.invoke(&user(2), f, FEE).unwrap().job_id;
    let slots = assigned(&c, &ws, job);
    let j = c.job(job);
    assert_eq!(j.commit_deadline, c.block.height + 5);
    let o = outcome(b"done", 10);
    c.commit(&slots[0], job, &o).unwrap();
    c.commit(&slots[1], job, &o).unwrap();
    // 1 s + 2 s grace is under 5 one-second blocks: the block count decides.
    for _ in 0..5 {
        c.next_block();
    }
    assert_eq!(c.job(job).status, JobStatus::Committing);
    c.next_block();
    assert_eq!(c.job(job).status, JobStatus::Revealing);
}

#[test]
fn storing_the_same_bytes_on_chain_later_does_not_take_away_a_decline() {
    // Workers fetch a job's code from the sources it pinned; someone storing the same bytes
    // inline afterwards must not turn their declines into misses.
    let (mut c, ws) = chain();
    let hash: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(hello_wasm()).into();
    let msg = MsgDeployFunction {
        code_hash: hash.to_vec(),
        ..ipfs_deploy(&[&format!("ipfs://{CID}")], 1000, "{}", 3, 2)
    };
    let f = deploy(&mut c, &msg).unwrap();
    let job = c.invoke(&user(2), f, FEE).unwrap().job_id;
    c.deploy(&user(3), hello_wasm(), "{}", 1, 1).unwrap();
    assert!(bls_orchestration::testing::CODES.has(&c.store, &hex::encode(hash)));
    let w = assigned(&c, &ws, job)[0].clone();
    decline(
        &mut c,
        &w.addr,
        job,
        DeclineReason::CodeUnavailable,
        "dead CID",
    )
    .unwrap();
    assert!(c.job(job).assignments[0].declined);
}

#[test]
fn a_function_with_sources_recorded_before_only_ipfs_counted_can_still_be_updated() {
    let (mut c, _) = chain();
    let f = c.deploy(&user(1), hello_wasm(), "{}", 3, 2).unwrap();
    // As an older chain recorded it: an https reference beside code on chain.
    let mut rec = bls_orchestration::testing::FUNCTIONS
        .load(&c.store, f)
        .unwrap();
    rec.source_uris = vec!["https://example.com/f.wasm".into(), format!("ipfs://{CID}")];
    bls_orchestration::testing::FUNCTIONS
        .save(&mut c.store, f, &rec)
        .unwrap();
    let msg = MsgUpdateFunction {
        owner: user(1).to_string(),
        function_id: f,
        manifest_json: r#"{"limits":{"timeout_ms":2000}}"#.into(),
        ..Default::default()
    };
    c.orch(&user(1), encode_any(&msg, MSG_UPDATE_FUNCTION))
        .unwrap();
    let r: FunctionResponse = c
        .query("orchestration", "Function", serde_json::json!({"id": f}))
        .unwrap();
    assert_eq!(r.function.source_uris, vec![format!("ipfs://{CID}")]);
    assert!(r.function.code_on_chain);
}

#[test]
fn a_job_whose_callee_lives_off_chain_may_be_declined_and_nobody_is_punished() {
    let (mut c, ws) = chain();
    // B's code is on IPFS and listed; A's own code is on chain and calls B.
    let b = deploy_on_ipfs(&mut c, 3, 2);
    let listing = bls_orchestration::market::msgs::MsgPublishListing {
        owner: user(1).to_string(),
        function_id: b,
        name: "remote".into(),
        description: String::new(),
        tags: vec![],
        license: String::new(),
        source_url: String::new(),
        price: Some(bls_orchestration::market::msgs::ProtoCoin::ubls(10)),
        terms: String::new(),
    };
    c.orch(
        &user(1),
        encode_any(
            &listing,
            bls_orchestration::market::msgs::MSG_PUBLISH_LISTING,
        ),
    )
    .unwrap();
    let a = c
        .deploy(
            &user(1),
            hello_wasm(),
            &format!(r#"{{"calls":[{b}]}}"#),
            3,
            2,
        )
        .unwrap();
    let job = c.invoke(&user(2), a, FEE).unwrap().job_id;
    assert!(c.job(job).has_remote_code());
    let slots = assigned(&c, &ws, job);
    let bonds: Vec<u128> = slots.iter().map(|w| bond(&c, &w.addr)).collect();
    c.events.clear();
    for w in &slots {
        decline(
            &mut c,
            &w.addr,
            job,
            DeclineReason::CodeUnavailable,
            "callee's ipfs CID: no provider",
        )
        .unwrap();
    }
    // The round closed on the declines; nobody was missed, paid or slashed for them.
    let d = c.job(job).commit_deadline;
    c.until(d + 1);
    for (w, b) in slots.iter().zip(bonds) {
        assert_eq!(bond(&c, &w.addr), b, "{} kept its bond", w.addr);
        let info = bls_registry::state::must_get_worker(&c.store, &w.addr).unwrap();
        assert_eq!(info.status, bls_registry::state::WorkerStatus::Active);
    }
    assert!(c.events_of(bls_registry::events::WORKER_MISSED).is_empty());
    c.assert_escrow_invariant();
    // A callee on chain like its caller: no excuse to decline.
    let b2 = c.deploy(&user(1), hello_wasm(), "{}", 3, 2).unwrap();
    let mut on_chain_listing = listing.clone();
    on_chain_listing.function_id = b2;
    c.orch(
        &user(1),
        encode_any(
            &on_chain_listing,
            bls_orchestration::market::msgs::MSG_PUBLISH_LISTING,
        ),
    )
    .unwrap();
    let a2 = c
        .deploy(
            &user(1),
            hello_wasm(),
            &format!(r#"{{"calls":[{b2}]}}"#),
            3,
            2,
        )
        .unwrap();
    let job2 = c.invoke(&user(2), a2, FEE).unwrap().job_id;
    let w = assigned(&c, &ws, job2)[0].clone();
    let e = assert_refused(
        decline(&mut c, &w.addr, job2, DeclineReason::CodeUnavailable, ""),
        &variant!(OrchestrationError::NotDeclinable { job, reason }),
    );
    assert!(
        e.log.contains("every callee's are stored on chain"),
        "{}",
        e.log
    );
}
