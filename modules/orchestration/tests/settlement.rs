//! Deferred settlement: the result is final at the first `m` identical reveals, but payment,
//! slashing and liveness are settled in end block once every committer revealed or the reveal
//! window closed. Late agreeing reveals are paid, late dissenting reveals slashed, silent
//! committers (withholders of a pure function's result) slashed, jailed and missed; the
//! reveal tx itself never moves funds. Accounting is exact.

mod common;

use bls_core::Address;
use bls_fees::state::community_pool;
use bls_orchestration::queries::{JobsForWorkerResponse, NextAction, ResultResponse};
use bls_orchestration::state::{escrow_account, JobStatus};
use bls_registry::WorkerStatus;
use common::*;

const INVOKER_FUNDS: u128 = 1_000_000;
const MAX_FEE: u128 = 100_000;
/// Fee of a job with zero fuel: base_fee.
const FEE: u128 = 1_000;

fn params() -> serde_json::Value {
    serde_json::json!({
        "subnetwork_size": 3, "commit_window": 5, "reveal_window": 5, "max_retries": 2,
        "base_fee": FEE.to_string(), "fuel_price": "1", "fuel_unit": 1000000,
        "slash_fraction_bps": 500, "dissent_jail_blocks": 10
    })
}

struct Setup {
    chain: Chain,
    invoker: Address,
    job: u64,
    /// The job's three assigned workers, in assignment order.
    ws: Vec<SimWorker>,
    supply0: u128,
    burned0: u128,
}

/// One job (n = 3, m = 2) invoked and committed by all three workers with `outcomes[i]`;
/// reveals are open.
fn committed(outcomes: [&[u8]; 3]) -> Setup {
    let mut chain = Chain::new(params());
    let all = six_workers();
    for w in &all {
        chain.register(w);
    }
    let invoker = user(201);
    chain.fund(&invoker, INVOKER_FUNDS);
    let f = chain
        .deploy(&user(200), gzip(&hello_wasm()), "{}", 3, 2)
        .unwrap();
    let supply0 = chain.supply();
    let burned0 = chain.burned();
    let job = chain.invoke(&invoker, f, MAX_FEE).unwrap().job_id;
    let ws: Vec<SimWorker> = chain
        .job(job)
        .assignments
        .iter()
        .map(|a| find(&all, a.worker.as_str()).clone())
        .collect();
    for (w, o) in ws.iter().zip(outcomes) {
        chain.commit(w, job, o).unwrap();
    }
    assert_eq!(chain.job(job).status, JobStatus::Revealing);
    Setup {
        chain,
        invoker,
        job,
        ws,
        supply0,
        burned0,
    }
}

fn next_action(c: &Chain, w: &SimWorker, job: u64) -> Option<NextAction> {
    let r: JobsForWorkerResponse = c
        .query(
            "orchestration",
            "JobsForWorker",
            serde_json::json!({"worker": w.addr.to_string()}),
        )
        .unwrap();
    r.jobs
        .iter()
        .find(|j| j.job.id == job)
        .map(|j| j.next_action)
}

fn result(c: &Chain, job: u64) -> ResultResponse {
    c.query(
        "orchestration",
        "Result",
        serde_json::json!({"job_id": job}),
    )
    .unwrap()
}

fn missed(c: &Chain, w: &SimWorker) -> u64 {
    bls_registry::liveness::counters(&c.store, &w.addr)
        .unwrap()
        .missed
}

/// Funds after settlement of a fee `FEE` split among `paid` workers: each worker's share,
/// and the community pool's (its share plus rounding), with the 70/20/10 default split.
fn shares(paid: u128) -> (u128, u128, u128) {
    let per_worker = FEE * 7_000 / 10_000 / paid;
    let burn = FEE * 2_000 / 10_000;
    (per_worker, burn, FEE - per_worker * paid - burn)
}

#[test]
fn late_liar_is_slashed_after_the_result_was_final() {
    let good = outcome(b"42", 0);
    let bad = outcome(b"41", 0);
    let mut s = committed([&bad, &good, &good]);
    let (liar, h1, h2) = (s.ws[0].clone(), s.ws[1].clone(), s.ws[2].clone());
    s.chain.reveal(&h1, s.job, &good).unwrap();
    s.chain.reveal(&h2, s.job, &good).unwrap();
    let j = s.chain.job(s.job);
    assert_eq!(j.status, JobStatus::Finalized);
    assert!(j.settling);
    assert_eq!(result(&s.chain, s.job).result.outcome.as_slice(), good);
    // The liar is still asked to reveal; the job stays unsettled while it may.
    assert_eq!(
        next_action(&s.chain, &liar, s.job),
        Some(NextAction::Reveal)
    );
    assert_eq!(next_action(&s.chain, &h1, s.job), Some(NextAction::Done));
    s.chain.next_block();
    s.chain.next_block();
    assert!(s.chain.job(s.job).settling);
    assert_eq!(
        s.chain.balance(&h1.addr),
        0,
        "nothing paid before settlement"
    );
    s.chain.assert_escrow_invariant();

    // The liar reveals after finality: accepted, and it completes the reveals.
    s.chain.reveal(&liar, s.job, &bad).unwrap();
    assert!(s.chain.events_of("bls.worker_slashed").is_empty());
    let height = s.chain.block.height;
    assert_eq!(
        s.chain.job(s.job).reveal_deadline,
        height,
        "window closed early"
    );
    s.chain.next_block();
    let j = s.chain.job(s.job);
    assert!(!j.settling);
    assert_eq!(j.escrow, 0);

    let rec = bls_registry::state::must_get_worker(&s.chain.store, &liar.addr).unwrap();
    let slash = BOND * 500 / 10_000;
    assert_eq!(rec.bond, BOND - slash);
    assert_eq!(rec.status, WorkerStatus::Jailed);
    let slashed = s.chain.events_of("bls.worker_slashed");
    assert_eq!(slashed.len(), 1);
    assert_eq!(slashed[0].get("worker"), Some(liar.addr.as_str()));

    let (per_worker, burn, community) = shares(2);
    assert_eq!(s.chain.balance(&liar.addr), 0, "liar unpaid");
    assert_eq!(s.chain.balance(&h1.addr), per_worker);
    assert_eq!(s.chain.balance(&h2.addr), per_worker);
    assert_eq!(s.chain.balance(&community_pool()), community);
    assert_eq!(s.chain.balance(&s.invoker), INVOKER_FUNDS - FEE);
    assert_eq!(s.chain.burned() - s.burned0, burn + slash);
    assert_eq!(s.supply0 - s.chain.supply(), burn + slash);
    let r = result(&s.chain, s.job).result;
    let mut listed = r.workers.clone();
    listed.sort();
    let mut honest = vec![h1.addr.clone(), h2.addr.clone()];
    honest.sort();
    assert_eq!(listed, honest);
    s.chain.assert_escrow_invariant();
}

#[test]
fn late_honest_revealer_is_paid_like_the_others() {
    let out = outcome(b"hello", 0);
    let mut s = committed([&out, &out, &out]);
    let (a, b, late) = (s.ws[0].clone(), s.ws[1].clone(), s.ws[2].clone());
    s.chain.reveal(&a, s.job, &out).unwrap();
    s.chain.reveal(&b, s.job, &out).unwrap();
    assert_eq!(s.chain.job(s.job).status, JobStatus::Finalized);
    assert_eq!(result(&s.chain, s.job).result.workers.len(), 2);
    s.chain.next_block();
    s.chain.next_block();
    assert_eq!(
        next_action(&s.chain, &late, s.job),
        Some(NextAction::Reveal)
    );
    s.chain.reveal(&late, s.job, &out).unwrap();
    s.chain.next_block();

    let (per_worker, burn, community) = shares(3);
    for w in [&a, &b, &late] {
        assert_eq!(s.chain.balance(&w.addr), per_worker, "equal split");
        assert_eq!(missed(&s.chain, w), 0);
    }
    assert_eq!(s.chain.balance(&community_pool()), community);
    assert_eq!(s.chain.balance(&s.invoker), INVOKER_FUNDS - FEE);
    assert_eq!(s.chain.burned() - s.burned0, burn);
    assert_eq!(s.supply0 - s.chain.supply(), burn);
    assert_eq!(s.chain.balance(&escrow_account()), 0);
    assert_eq!(result(&s.chain, s.job).result.workers.len(), 3);
    assert_eq!(
        next_action(&s.chain, &late, s.job),
        None,
        "settled: off the list"
    );
    s.chain.assert_escrow_invariant();
}

/// A committer that never reveals a pure function's result withholds: when the reveal
/// window closes it gets the dissent penalty (slash + jail) plus a liveness miss.
#[test]
fn silent_committer_withholds_and_is_slashed_jailed_and_missed_when_the_reveal_window_closes() {
    let out = outcome(b"hello", 2_000_000);
    let mut s = committed([&out, &out, &out]);
    let (a, b, silent) = (s.ws[0].clone(), s.ws[1].clone(), s.ws[2].clone());
    s.chain.reveal(&a, s.job, &out).unwrap();
    s.chain.reveal(&b, s.job, &out).unwrap();
    let rd = s.chain.job(s.job).reveal_deadline;
    s.chain.until(rd);
    // Still settling on the deadline height itself; nothing paid, nobody missed yet.
    let j = s.chain.job(s.job);
    assert!(j.settling);
    assert_eq!(j.escrow, MAX_FEE);
    assert_eq!(missed(&s.chain, &silent), 0);
    s.chain.assert_escrow_invariant();
    s.chain.next_block();

    let j = s.chain.job(s.job);
    assert_eq!(j.status, JobStatus::Finalized);
    assert!(!j.settling);
    assert_eq!(missed(&s.chain, &silent), 1);
    let misses = s.chain.events_of("bls.worker_missed");
    assert_eq!(misses.len(), 1);
    assert_eq!(misses[0].get("worker"), Some(silent.addr.as_str()));
    let slashed = s.chain.events_of("bls.worker_slashed");
    assert_eq!(slashed.len(), 1);
    assert_eq!(slashed[0].get("worker"), Some(silent.addr.as_str()));
    let slash = BOND * 500 / 10_000;
    let rec = bls_registry::state::must_get_worker(&s.chain.store, &silent.addr).unwrap();
    assert_eq!(rec.bond, BOND - slash);
    assert_eq!(rec.status, WorkerStatus::Jailed);

    // fee = 1000 + 2_000_000 / 1_000_000 = 1002: 701 to workers → 350 each, burn 200,
    // community 100 + 1 remainder + 1 (701 − 700) = 102.
    let fee = 1_002u128;
    assert_eq!(s.chain.balance(&a.addr), 350);
    assert_eq!(s.chain.balance(&b.addr), 350);
    assert_eq!(s.chain.balance(&silent.addr), 0);
    assert_eq!(s.chain.balance(&community_pool()), fee - 700 - 200);
    assert_eq!(s.chain.balance(&s.invoker), INVOKER_FUNDS - fee);
    assert_eq!(s.chain.burned() - s.burned0, 200 + slash);
    assert_eq!(s.supply0 - s.chain.supply(), 200 + slash);
    assert_eq!(result(&s.chain, s.job).result.fee, fee);
    s.chain.assert_escrow_invariant();

    // A reveal after settlement is refused and changes nothing.
    let err = s.chain.reveal(&silent, s.job, &out).unwrap_err();
    assert_eq!(err.codespace, "orchestration");
    assert!(err.log.contains("settled"), "{}", err.log);
    assert_eq!(s.chain.balance(&silent.addr), 0);
    assert_eq!(s.chain.events_of("bls.job_settled").len(), 1);
}

#[test]
fn reveal_tx_moves_no_funds_even_when_it_completes_the_quorum() {
    let good = outcome(b"42", 0);
    let bad = outcome(b"41", 0);
    let mut s = committed([&bad, &good, &good]);
    // The liar reveals first (before finality), then the quorum completes and the last
    // committer has revealed, all in one block.
    s.chain.reveal(&s.ws[0].clone(), s.job, &bad).unwrap();
    s.chain.reveal(&s.ws[1].clone(), s.job, &good).unwrap();
    let before = bls_bank::keeper::balance(&s.chain.store, &escrow_account(), "ubls").unwrap();
    let resp = s.chain.reveal(&s.ws[2].clone(), s.job, &good).unwrap();
    let resp: bls_orchestration::msgs::MsgRevealResultResponse =
        prost::Message::decode(resp.value.as_slice()).unwrap();
    assert!(resp.finalized);
    assert_eq!(s.chain.balance(&escrow_account()), before);
    assert_eq!(s.chain.supply(), s.supply0);
    assert!(s.chain.events_of("bls.worker_slashed").is_empty());
    assert!(s.chain.events_of("bls.job_settled").is_empty());
    s.chain.next_block();
    assert_eq!(s.chain.events_of("bls.job_settled").len(), 1);
    assert_eq!(s.chain.events_of("bls.worker_slashed").len(), 1);
    s.chain.assert_escrow_invariant();
}

#[test]
fn all_revealed_without_quorum_is_reassigned_in_end_block() {
    let (x, y, z) = (outcome(b"x", 0), outcome(b"y", 0), outcome(b"z", 0));
    let mut s = committed([&x, &y, &z]);
    let first: Vec<Address> = s.ws.iter().map(|w| w.addr.clone()).collect();
    for (w, o) in s.ws.clone().iter().zip([&x, &y, &z]) {
        s.chain.reveal(w, s.job, o).unwrap();
    }
    // The reveal handler does not reassign; end block does, at once.
    let j = s.chain.job(s.job);
    assert_eq!(j.status, JobStatus::Revealing);
    assert_eq!(j.round, 0);
    s.chain.next_block();
    let j = s.chain.job(s.job);
    assert_eq!(j.status, JobStatus::Committing);
    assert_eq!(j.round, 1);
    assert!(j.assignments.iter().all(|a| !first.contains(&a.worker)));
    let re = s.chain.events_of("bls.job_reassigned");
    assert_eq!(re.len(), 1);
    assert_eq!(
        re[0].get("reason"),
        Some("revealed results did not reach quorum")
    );
    assert_eq!(s.chain.balance(&escrow_account()), MAX_FEE);
    s.chain.assert_escrow_invariant();
}

#[test]
fn a_dissent_whose_outcome_is_not_on_record_is_missed_never_slashed() {
    // State imported from before dissenting outcomes were kept: the chain cannot tell a
    // machine-dependent outcome from a wrong one, so it does not slash on a guess.
    let good = outcome(b"42", 0);
    let bad = outcome(b"41", 0);
    let mut s = committed([&good, &good, &bad]);
    let dissenter = s.ws[2].clone();
    for (w, o) in s.ws.clone().iter().zip([&good, &good, &bad]) {
        s.chain.reveal(w, s.job, o).unwrap();
    }
    let bad_hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bad));
    assert!(bls_orchestration::testing::REVEAL_OUTCOMES.has(&s.chain.store, (s.job, &bad_hash)));
    bls_orchestration::testing::REVEAL_OUTCOMES.remove(&mut s.chain.store, (s.job, &bad_hash));
    s.chain.next_block();
    assert!(!s.chain.job(s.job).settling);
    let rec = bls_registry::state::must_get_worker(&s.chain.store, &dissenter.addr).unwrap();
    assert_eq!((rec.bond, rec.status), (BOND, WorkerStatus::Active));
    assert_eq!(missed(&s.chain, &dissenter), 1);
    assert!(s.chain.events_of("bls.worker_slashed").is_empty());
    s.chain.assert_escrow_invariant();
}

/// One job whose deadline cannot be processed (its stored outcome corrupted: state no rule
/// foresaw) must not stop the others: its writes are dropped and it fails with a full refund,
/// an event says so, the other job due in the same block settles as usual, and the failed
/// deadline is not retried.
#[test]
fn a_job_that_cannot_settle_is_isolated_and_refunded() {
    let out = outcome(b"ok", 0);
    let mut s = committed([&out, &out, &out]);
    // A second job on the same function, committed by its workers too.
    let all = six_workers();
    let f = s.chain.job(s.job).function_id;
    let other = s.chain.invoke(&s.invoker, f, MAX_FEE).unwrap().job_id;
    s.chain.next_block();
    let other_ws: Vec<SimWorker> = s
        .chain
        .job(other)
        .assignments
        .iter()
        .map(|a| find(&all, a.worker.as_str()).clone())
        .collect();
    for w in &other_ws {
        s.chain.commit(w, other, &out).unwrap();
    }
    // Every worker reveals both jobs in one block: both settle in its end block.
    for w in &s.ws.clone() {
        s.chain.reveal(w, s.job, &out).unwrap();
    }
    for w in &other_ws {
        s.chain.reveal(w, other, &out).unwrap();
    }
    // Corrupt the first job's stored outcome.
    let hashes: Vec<String> = bls_orchestration::testing::REVEAL_OUTCOMES
        .prefix(s.job)
        .keys(&s.chain.store, None, None, cosmwasm_std::Order::Ascending)
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(!hashes.is_empty());
    for h in &hashes {
        bls_orchestration::testing::REVEAL_OUTCOMES
            .save(
                &mut s.chain.store,
                (s.job, h.as_str()),
                &cosmwasm_std::Binary::from(b"not an outcome".to_vec()),
            )
            .unwrap();
    }
    let before = s.chain.balance(&s.invoker);
    s.chain.next_block();

    let failed = s.chain.events_of("bls.job_deadline_failed");
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].get("job_id"), Some(s.job.to_string().as_str()));
    assert_eq!(failed[0].get("refunded"), Some("true"));
    let broken = s.chain.job(s.job);
    assert_eq!(broken.status, JobStatus::Failed);
    assert_eq!(broken.escrow, 0);
    // The other job settled: its workers were paid, its fee charged.
    let settled = s.chain.events_of("bls.job_settled");
    assert_eq!(settled.len(), 1, "{settled:?}");
    assert_eq!(settled[0].get("job_id"), Some(other.to_string().as_str()));
    assert!(!s.chain.job(other).settling);
    let (per_worker, _, _) = shares(3);
    for w in &other_ws {
        assert_eq!(
            s.chain.balance(&w.addr),
            per_worker,
            "paid for the settled job only"
        );
    }
    // The invoker got the broken job's max fee back and paid the other job's fee.
    assert_eq!(
        s.chain.balance(&s.invoker),
        before + MAX_FEE + (MAX_FEE - FEE)
    );
    s.chain.assert_escrow_invariant();
    // Not retried.
    let next = s.chain.next_block();
    assert!(
        !next
            .events
            .iter()
            .any(|e| e.kind == "bls.job_deadline_failed"),
        "{:?}",
        next.events
    );
}

/// An end block works off at most `DEADLINES_PER_BLOCK` due deadlines, oldest first; the rest
/// carry over to the next block and none is lost. (Many jobs invoked in one block all fall
/// due in one block: without the bound, that block's time grows with them.)
#[test]
fn due_deadlines_are_worked_off_a_bounded_number_per_block() {
    use bls_orchestration::handlers::settle::DEADLINES_PER_BLOCK;

    let mut chain = Chain::new(params());
    for w in &six_workers() {
        chain.register(w);
    }
    let jobs_count = DEADLINES_PER_BLOCK + 20;
    let invoker = user(201);
    chain.fund(&invoker, MAX_FEE * jobs_count as u128);
    let f = chain
        .deploy(&user(200), gzip(&hello_wasm()), "{}", 3, 2)
        .unwrap();
    let jobs: Vec<u64> = (0..jobs_count)
        .map(|i| {
            chain
                .invoke_in_this_block(&invoker, f, MAX_FEE)
                .unwrap_or_else(|e| panic!("invoke {i}: {e:?}"))
                .job_id
        })
        .collect();
    // Assigned in the next block; nobody commits: every commit window closes at one height.
    chain.next_block();
    let deadline = chain.job(jobs[0]).commit_deadline;
    assert!(jobs
        .iter()
        .all(|j| chain.job(*j).commit_deadline == deadline));
    let handled = |chain: &Chain| {
        jobs.iter()
            .filter(|j| chain.job(**j).current_deadline() != Some(deadline))
            .count()
    };
    chain.until(deadline);
    assert_eq!(handled(&chain), 0);
    // The deadline block's end block.
    chain.next_block();
    assert_eq!(
        handled(&chain),
        DEADLINES_PER_BLOCK,
        "the deadline block handles the bound, no more"
    );
    // The oldest first: by job id within the same deadline.
    assert!(jobs[..DEADLINES_PER_BLOCK]
        .iter()
        .all(|j| chain.job(*j).current_deadline() != Some(deadline)));
    // The next block's end block takes the rest.
    chain.next_block();
    assert_eq!(
        handled(&chain),
        jobs_count,
        "the rest carried over, none lost"
    );
    // Every handled job moved to its next round with fresh workers and a later deadline.
    for j in &jobs {
        let job = chain.job(*j);
        assert_eq!(job.status, JobStatus::Committing, "job {j}");
        assert!(job.commit_deadline > deadline, "job {j}");
    }
    chain.assert_escrow_invariant();
}
