//! Job lifecycle: happy path, dissent, copy resistance, timeouts, reassignment, refunds,
//! and exact fund accounting.

mod common;

use bls_fees::state::community_pool;
use bls_orchestration::queries::{JobsForWorkerResponse, NextAction, ResultResponse};
use bls_orchestration::state::{escrow_account, JobStatus};
use bls_registry::WorkerStatus;
use common::*;

fn params() -> serde_json::Value {
    serde_json::json!({
        "subnetwork_size": 3, "commit_window": 5, "reveal_window": 5, "max_retries": 2,
        "base_fee": "1000", "fuel_price": "1", "fuel_unit": 1000000,
        "slash_fraction_bps": 500, "dissent_jail_blocks": 10
    })
}

struct Setup {
    chain: Chain,
    workers: Vec<SimWorker>,
    invoker: bls_core::Address,
    function: u64,
}

fn setup(p: serde_json::Value, n: u32, m: u32) -> Setup {
    let mut chain = Chain::new(p);
    let workers = six_workers();
    for w in &workers {
        chain.register(w);
    }
    let owner = user(200);
    let invoker = user(201);
    chain.fund(&invoker, 1_000_000);
    let function = chain
        .deploy(&owner, gzip(&hello_wasm()), "{}", n, m)
        .expect("deploy");
    Setup {
        chain,
        workers,
        invoker,
        function,
    }
}

impl Setup {
    /// Invokes the deployed function with `max_fee`; returns the job id.
    fn invoke(&mut self, max_fee: u128) -> u64 {
        self.chain
            .invoke(&self.invoker, self.function, max_fee)
            .unwrap()
            .job_id
    }
}

fn setup_split(p: serde_json::Value, n: u32, m: u32) -> (Setup, Vec<SimWorker>) {
    let s = setup(p, n, m);
    let workers = s.workers.clone();
    (s, workers)
}

fn assigned<'a>(s: &Setup, workers: &'a [SimWorker], job: u64) -> Vec<&'a SimWorker> {
    s.chain
        .job(job)
        .assignments
        .iter()
        .map(|a| find(workers, a.worker.as_str()))
        .collect()
}

#[test]
fn happy_path_pays_burns_refunds_exactly() {
    let (mut s, workers) = setup_split(params(), 3, 2);
    let supply0 = s.chain.supply();
    let burned0 = s.chain.burned();
    let resp = s.chain.invoke(&s.invoker, s.function, 100_000).unwrap();
    let job = resp.job_id;
    assert_eq!(resp.workers.len(), 3);
    s.chain.assert_escrow_invariant();
    assert_eq!(s.chain.balance(&escrow_account()), 100_000);

    // The assignment event names the job, code and workers (at most ceil(3/2) per region).
    let ev = s.chain.events_of("bls.job_assigned");
    let ev = ev.last().unwrap();
    assert_eq!(ev.get("job_id"), Some(job.to_string().as_str()));
    assert_eq!(ev.get("function_id"), Some(s.function.to_string().as_str()));
    assert_eq!(ev.get("code_hash").unwrap().len(), 64);
    assert_eq!(ev.get("workers"), Some(resp.workers.join(",").as_str()));
    let ws = assigned(&s, &workers, job);
    for r in ["eu", "us", "ap"] {
        assert!(
            ws.iter().filter(|w| w.region == r).count() <= 2,
            "region cap"
        );
    }

    // A worker sees its open job after a restart.
    let r: JobsForWorkerResponse = s
        .chain
        .query(
            "orchestration",
            "JobsForWorker",
            serde_json::json!({"worker": ws[0].addr.to_string()}),
        )
        .unwrap();
    assert_eq!(r.jobs.len(), 1);
    assert_eq!(r.jobs[0].next_action, NextAction::Commit);

    let out = outcome(b"hello", 5_000_000);
    s.chain.next_block();
    for w in &ws {
        s.chain.commit(w, job, &out).unwrap();
    }
    assert_eq!(s.chain.job(job).status, JobStatus::Revealing);
    s.chain.reveal(ws[0], job, &out).unwrap();
    assert_eq!(s.chain.job(job).status, JobStatus::Revealing);
    s.chain.reveal(ws[1], job, &out).unwrap();
    // Final at the second identical reveal: the result is queryable at once...
    let j = s.chain.job(job);
    assert_eq!(j.status, JobStatus::Finalized);
    assert!(j.settling);
    let r: ResultResponse = s
        .chain
        .query(
            "orchestration",
            "Result",
            serde_json::json!({"job_id": job}),
        )
        .unwrap();
    assert_eq!(r.result.outcome.as_slice(), out.as_slice());
    assert_eq!(r.result.workers.len(), 2);
    assert_eq!(s.chain.events_of("bls.job_finalized").len(), 1);
    // ...but nothing is paid by the reveal tx: settlement waits for end block.
    assert_eq!(s.chain.balance(&escrow_account()), 100_000);
    assert_eq!(s.chain.balance(&ws[0].addr), 0);
    s.chain.assert_escrow_invariant();
    // The third worker still reveals (and will be paid); it is the last committer, so this
    // block's end block settles.
    s.chain.reveal(ws[2], job, &out).unwrap();
    assert!(s.chain.job(job).settling);
    s.chain.next_block();
    let j = s.chain.job(job);
    assert_eq!(j.status, JobStatus::Finalized);
    assert!(!j.settling);
    assert_eq!(j.escrow, 0);
    // Settled: a further reveal is refused.
    let err = s.chain.reveal(ws[2], job, &out).unwrap_err();
    assert!(err.log.contains("settled"), "{}", err.log);

    // fee = 1000 + 5_000_000 × 1 / 1_000_000 = 1005; workers 70% = 703 → 234 each
    // (remainder 1 to the community), burn 20% = 201, community 100 + 1 = 102... exactly:
    let fee = 1005u128;
    let per_worker = 234u128;
    let burn = 201u128;
    let community = fee - 3 * per_worker - burn;
    assert_eq!(community, 102);
    for w in &ws {
        assert_eq!(s.chain.balance(&w.addr), per_worker);
    }
    assert_eq!(s.chain.balance(&community_pool()), community);
    assert_eq!(s.chain.balance(&s.invoker), 1_000_000 - fee);
    assert_eq!(s.chain.balance(&escrow_account()), 0);
    assert_eq!(s.chain.burned() - burned0, burn);
    assert_eq!(supply0 - s.chain.supply(), burn, "supply change == burned");
    s.chain.assert_escrow_invariant();

    let r: ResultResponse = s
        .chain
        .query(
            "orchestration",
            "Result",
            serde_json::json!({"job_id": job}),
        )
        .unwrap();
    assert_eq!(r.result.outcome.as_slice(), out.as_slice());
    assert_eq!(r.result.fee, fee);
    assert_eq!(
        r.result.workers.len(),
        3,
        "every agreeing revealer is listed"
    );
    let finalized = s.chain.events_of("bls.job_finalized");
    assert_eq!(finalized.len(), 1);
    assert_eq!(
        finalized[0].get("result_hash"),
        Some(r.result.result_hash.as_str())
    );
    let settled = s.chain.events_of("bls.job_settled");
    assert_eq!(settled.len(), 1);
    assert_eq!(settled[0].get("per_worker"), Some("234"));
    assert_eq!(
        settled[0].get("refund"),
        Some((100_000 - fee).to_string().as_str())
    );
    let decoded = bls_core::outcome::Outcome::decode(r.result.outcome.as_slice()).unwrap();
    assert_eq!(decoded.stdout, b"hello");

    let r: JobsForWorkerResponse = s
        .chain
        .query(
            "orchestration",
            "JobsForWorker",
            serde_json::json!({"worker": ws[0].addr.to_string()}),
        )
        .unwrap();
    assert!(
        r.jobs.is_empty(),
        "settled jobs leave the worker's open list"
    );
}

#[test]
fn dissenter_is_slashed_and_jailed_while_job_finalizes() {
    let (mut s, workers) = setup_split(params(), 3, 2);
    let supply0 = s.chain.supply();
    let burned0 = s.chain.burned();
    let job = s.invoke(100_000);
    let ws = assigned(&s, &workers, job);
    let good = outcome(b"42", 0);
    let bad = outcome(b"41", 0);
    s.chain.commit(ws[0], job, &bad).unwrap();
    s.chain.commit(ws[1], job, &good).unwrap();
    s.chain.commit(ws[2], job, &good).unwrap();
    s.chain.reveal(ws[0], job, &bad).unwrap();
    s.chain.reveal(ws[1], job, &good).unwrap();
    assert_eq!(s.chain.job(job).status, JobStatus::Revealing);
    s.chain.reveal(ws[2], job, &good).unwrap();
    assert_eq!(s.chain.job(job).status, JobStatus::Finalized);
    // The reveal only finalized; slashing and payment come with this block's end block.
    let before = bls_registry::state::must_get_worker(&s.chain.store, &ws[0].addr).unwrap();
    assert_eq!(before.bond, BOND);
    assert!(s.chain.events_of("bls.worker_slashed").is_empty());
    s.chain.next_block();
    assert!(!s.chain.job(job).settling);

    let dissenter = bls_registry::state::must_get_worker(&s.chain.store, &ws[0].addr).unwrap();
    let slash = BOND * 500 / 10_000;
    assert_eq!(dissenter.bond, BOND - slash);
    assert_eq!(dissenter.status, WorkerStatus::Jailed);
    assert_eq!(dissenter.slashed_total, slash);
    assert_eq!(s.chain.balance(&ws[0].addr), 0, "dissenter unpaid");
    // fee 1000: workers 700 → 350 each, burn 200, community 100.
    assert_eq!(s.chain.balance(&ws[1].addr), 350);
    assert_eq!(s.chain.balance(&ws[2].addr), 350);
    assert_eq!(s.chain.burned() - burned0, 200 + slash);
    assert_eq!(
        supply0 - s.chain.supply(),
        200 + slash,
        "supply change == burned"
    );
    assert_eq!(
        s.chain.balance(&bls_registry::state::bonds_account()),
        6 * BOND - slash
    );
    let slashed = s.chain.events_of("bls.worker_slashed");
    assert_eq!(slashed.len(), 1);
    assert_eq!(slashed[0].get("worker"), Some(ws[0].addr.as_str()));
    s.chain.assert_escrow_invariant();
}

#[test]
fn copying_a_commitment_or_an_answer_does_not_work() {
    let (mut s, workers) = setup_split(params(), 3, 2);
    let job = s.invoke(100_000);
    let ws = assigned(&s, &workers, job);
    let out = outcome(b"secret answer", 10);
    s.chain.commit(ws[0], job, &out).unwrap();
    s.chain.commit(ws[1], job, &out).unwrap();
    // No reveal while a commit can still be made.
    let err = s.chain.reveal(ws[0], job, &out).unwrap_err();
    assert_eq!(err.codespace, "orchestration");
    assert!(err.log.contains("before commits close"), "{}", err.log);

    // The copier commits the exact bytes of worker 0's commitment...
    let rh: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(&out).into();
    let copied = bls_orchestration::msgs::commitment(&rh, &ws[0].salt(job), &ws[0].addr);
    s.chain.commit_raw(ws[2], job, copied.to_vec()).unwrap();
    assert_eq!(s.chain.job(job).status, JobStatus::Revealing);
    s.chain.reveal(ws[0], job, &out).unwrap();
    // ...and reveals worker 0's outcome and salt: the commitment binds the address.
    let err = s
        .chain
        .reveal_with_salt(ws[2], job, &out, ws[0].salt(job))
        .unwrap_err();
    assert!(err.log.contains("commitment"), "{}", err.log);
    // A fresh commit after reveals opened is refused.
    let err = s.chain.commit(ws[2], job, &out).unwrap_err();
    assert!(err.log.contains("commit window"), "{}", err.log);
}

#[test]
fn timeout_reassigns_to_fresh_workers_then_finalizes() {
    let (mut s, workers) = setup_split(params(), 3, 2);
    let job = s.invoke(100_000);
    let first: Vec<bls_core::Address> = assigned(&s, &workers, job)
        .iter()
        .map(|w| w.addr.clone())
        .collect();
    let out = outcome(b"ok", 0);
    s.chain
        .commit(find(&workers, first[0].as_str()), job, &out)
        .unwrap();
    let deadline = s.chain.job(job).commit_deadline;
    s.chain.until(deadline + 1);
    s.chain.assert_escrow_invariant();

    let j = s.chain.job(job);
    assert_eq!(j.status, JobStatus::Committing);
    assert_eq!(j.round, 1);
    let second: Vec<bls_core::Address> = j.assignments.iter().map(|a| a.worker.clone()).collect();
    assert_eq!(second.len(), 3);
    assert!(
        second.iter().all(|w| !first.contains(w)),
        "fresh workers only"
    );
    assert_eq!(s.chain.events_of("bls.job_reassigned").len(), 1);
    let assigned_events = s.chain.events_of("bls.job_assigned");
    assert_eq!(assigned_events.len(), 2);
    assert_eq!(assigned_events[1].get("round"), Some("1"));
    // The two silent first-round workers got a liveness miss; the committer did not.
    let misses = s.chain.events_of("bls.worker_missed");
    assert_eq!(misses.len(), 2);
    for w in [&first[1], &first[2]] {
        assert_eq!(
            bls_registry::liveness::counters(&s.chain.store, w)
                .unwrap()
                .missed,
            1
        );
    }
    assert_eq!(
        bls_registry::liveness::counters(&s.chain.store, &first[0])
            .unwrap()
            .missed,
        0
    );
    // Old assignees can no longer commit.
    assert_refused(
        s.chain.commit(find(&workers, first[1].as_str()), job, &out),
        &variant!(OrchestrationError::NotAssigned { job, worker }),
    );

    let ws: Vec<&SimWorker> = second.iter().map(|a| find(&workers, a.as_str())).collect();
    for w in &ws {
        s.chain.commit(w, job, &out).unwrap();
    }
    s.chain.reveal(ws[0], job, &out).unwrap();
    s.chain.reveal(ws[1], job, &out).unwrap();
    assert_eq!(s.chain.job(job).status, JobStatus::Finalized);
    s.chain.assert_escrow_invariant();
    // The third committer never reveals: settlement at the reveal deadline.
    let rd = s.chain.job(job).reveal_deadline;
    s.chain.until(rd + 1);
    assert!(!s.chain.job(job).settling);
    s.chain.assert_escrow_invariant();
    assert_eq!(s.chain.balance(&s.invoker), 1_000_000 - 1000);
}

#[test]
fn commit_deadline_with_quorum_opens_reveals_and_late_commit_is_refused() {
    let (mut s, workers) = setup_split(params(), 3, 2);
    let job = s.invoke(100_000);
    let ws = assigned(&s, &workers, job);
    let out = outcome(b"ok", 0);
    s.chain.commit(ws[0], job, &out).unwrap();
    s.chain.commit(ws[1], job, &out).unwrap();
    let deadline = s.chain.job(job).commit_deadline;
    s.chain.until(deadline + 1);
    assert_eq!(s.chain.job(job).status, JobStatus::Revealing);
    let err = s.chain.commit(ws[2], job, &out).unwrap_err();
    assert!(err.log.contains("commit window"), "{}", err.log);
    s.chain.reveal(ws[0], job, &out).unwrap();
    // Reveal window closes with one reveal: the unrevealed committer gets a miss, the job
    // is reassigned (fresh workers exist).
    let rd = s.chain.job(job).reveal_deadline;
    s.chain.until(rd + 1);
    let j = s.chain.job(job);
    assert_eq!(j.round, 1);
    assert_eq!(
        bls_registry::liveness::counters(&s.chain.store, &ws[1].addr)
            .unwrap()
            .missed,
        1
    );
    s.chain.assert_escrow_invariant();
}

#[test]
fn all_retries_fail_refunds_everything() {
    let mut p = params();
    p["max_retries"] = serde_json::json!(1);
    let mut s = setup(p, 3, 2);
    let supply0 = s.chain.supply();
    let job = s.invoke(50_000);
    assert_eq!(s.chain.balance(&s.invoker), 1_000_000 - 50_000);
    let d = s.chain.job(job).commit_deadline;
    s.chain.until(d + 1);
    assert_eq!(s.chain.job(job).round, 1);
    s.chain.assert_escrow_invariant();
    let d = s.chain.job(job).commit_deadline;
    s.chain.until(d + 1);
    let j = s.chain.job(job);
    assert_eq!(j.status, JobStatus::Failed);
    assert!(j.failure.contains("retries exhausted"), "{}", j.failure);
    assert_eq!(j.escrow, 0);
    assert_eq!(s.chain.balance(&s.invoker), 1_000_000, "full refund");
    assert_eq!(s.chain.balance(&escrow_account()), 0);
    assert_eq!(s.chain.supply(), supply0);
    let failed = s.chain.events_of("bls.job_failed");
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].get("refund"), Some("50000"));
    s.chain.assert_escrow_invariant();
}

#[test]
fn no_fresh_workers_fails_without_reassignment() {
    // n = 3 with exactly three workers: a timed-out round cannot be reassigned.
    let mut chain = Chain::new(params());
    let ws: Vec<SimWorker> = (1..=3u8).map(|i| SimWorker::new(i, "eu", "AS1")).collect();
    for w in &ws {
        chain.register(w);
    }
    let invoker = user(9);
    chain.fund(&invoker, 20_000);
    let f = chain.deploy(&user(8), hello_wasm(), "{}", 3, 2).unwrap();
    let job = chain.invoke(&invoker, f, 20_000).unwrap().job_id;
    let d = chain.job(job).commit_deadline;
    chain.until(d + 1);
    let j = chain.job(job);
    assert_eq!(j.status, JobStatus::Failed);
    assert!(j.failure.contains("fresh"), "{}", j.failure);
    assert_eq!(chain.balance(&invoker), 20_000);
    chain.assert_escrow_invariant();
}

#[test]
fn many_jobs_keep_escrow_accounted() {
    let (mut s, workers) = setup_split(params(), 3, 2);
    let supply0 = s.chain.supply();
    let burned0 = s.chain.burned();
    let mut jobs = vec![];
    for i in 0..6u64 {
        jobs.push(s.invoke(20_000 + u128::from(i)));
        s.chain.assert_escrow_invariant();
    }
    // Finalize half, let the others time out (and be reassigned, then fail or finalize): a
    // round of the default 10 s function lasts 10 s + commit_grace_ms of block time.
    for (i, &job) in jobs.iter().enumerate() {
        if i % 2 == 0 {
            let ws = assigned(&s, &workers, job);
            let out = outcome(format!("r{i}").as_bytes(), 1_234_567);
            for w in &ws {
                s.chain.commit(w, job, &out).unwrap();
            }
            s.chain.reveal(ws[0], job, &out).unwrap();
            s.chain.reveal(ws[1], job, &out).unwrap();
            s.chain.assert_escrow_invariant();
        }
    }
    s.chain.until(100);
    s.chain.assert_escrow_invariant();
    assert_eq!(s.chain.balance(&escrow_account()), 0);
    for &job in &jobs {
        assert!(!s.chain.job(job).status.is_open());
    }
    assert_eq!(supply0 - s.chain.supply(), s.chain.burned() - burned0);
}

#[test]
fn genesis_export_import_round_trips_open_jobs() {
    use bls_core::{Context, GasMeter, Module};
    use bls_orchestration::OrchestrationModule;
    let (mut s, workers) = setup_split(params(), 3, 2);
    let done = s.invoke(20_000);
    let ws = assigned(&s, &workers, done);
    let out = outcome(b"ok", 0);
    for w in &ws {
        s.chain.commit(w, done, &out).unwrap();
    }
    for w in &ws {
        s.chain.reveal(w, done, &out).unwrap();
    }
    s.chain.next_block();
    assert!(!s.chain.job(done).settling);
    let settling = s.invoke(25_000);
    let ws = assigned(&s, &workers, settling);
    for w in &ws {
        s.chain.commit(w, settling, &out).unwrap();
    }
    s.chain.reveal(ws[0], settling, &out).unwrap();
    s.chain.reveal(ws[1], settling, &out).unwrap();
    assert!(s.chain.job(settling).settling);
    let open = s.invoke(30_000);
    let ws = assigned(&s, &workers, open);
    for w in &ws {
        s.chain.commit(w, open, &out).unwrap();
    }
    s.chain.reveal(ws[0], open, &out).unwrap();
    let exported = OrchestrationModule.export_genesis(&s.chain.store).unwrap();

    let mut fresh = cosmwasm_std::testing::MockStorage::new();
    let gas = GasMeter::infinite();
    bls_bank::genesis::fund(
        &mut fresh,
        &escrow_account(),
        &bls_core::Coins::parse("55000ubls").unwrap(),
    )
    .unwrap();
    let mut ctx = Context::new(&mut fresh, &s.chain.block, &gas);
    OrchestrationModule
        .init_genesis(&mut ctx, &exported)
        .unwrap();
    assert_eq!(
        OrchestrationModule.export_genesis(&fresh).unwrap(),
        exported
    );
    // Indexes were rebuilt: the open and the settling job are still on their workers'
    // lists and in the deadline queue.
    for id in [open, settling] {
        let j = bls_orchestration::state::must_get_job(&fresh, id).unwrap();
        for a in &j.assignments {
            assert!(bls_orchestration::testing::WORKER_JOBS.has(&fresh, (a.worker.as_str(), id)));
        }
        let d = j.current_deadline().unwrap();
        assert!(bls_orchestration::testing::DEADLINES.has(&fresh, (d, id)));
    }
    let r: bls_orchestration::queries::ResultResponse = serde_json::from_slice(
        &OrchestrationModule
            .query(
                &fresh,
                "Result",
                format!("{{\"job_id\":{settling}}}").as_bytes(),
            )
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        r.result.workers.len(),
        2,
        "a settling job's result survives export"
    );
    // Underfunded escrow is refused.
    let mut poor = cosmwasm_std::testing::MockStorage::new();
    let mut ctx = Context::new(&mut poor, &s.chain.block, &gas);
    assert_refused(
        OrchestrationModule.init_genesis(&mut ctx, &exported),
        &variant!(OrchestrationError::InvalidParams(_)),
    );
}
