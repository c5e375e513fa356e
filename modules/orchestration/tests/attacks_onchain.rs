//! Attacks on the on-chain commit–reveal path (issue #12: 3 dissent griefing with
//! non-deterministic functions, 5 escape by withholding, 9 underpriced timeouts), each
//! performed in-process and shown to fail: honest bonds untouched, the cheater penalized
//! where that is the rule, the escrow invariant kept.

mod common;

use bls_core::module::encode_any;
use bls_core::outcome::{ExitStatus, Outcome, TrapKind};
use bls_core::{Address, Context, GasMeter, Module};
use bls_fees::state::community_pool;
use bls_orchestration::msgs::{MsgUpdateFunction, MSG_UPDATE_FUNCTION};
use bls_orchestration::queries::ResultResponse;
use bls_orchestration::state::{escrow_account, JobStatus};
use bls_orchestration::OrchestrationModule;
use bls_registry::WorkerStatus;
use common::*;

const FUNDS: u128 = 100_000_000;
const MAX_FEE: u128 = 100_000;
const BASE_FEE: u128 = 1_000;
/// 5% of a bond.
const SLASH: u128 = BOND * 500 / 10_000;
/// A function that calls an origin the deployer controls.
const HTTP_MANIFEST: &str = r#"{"permissions":{"http":["https://api.open-meteo.com"]}}"#;
/// A pure function (default limits: 10 s timeout, 10¹⁰ fuel).
const PURE_MANIFEST: &str = "{}";

fn params(subnetwork_size: u32) -> serde_json::Value {
    serde_json::json!({
        "subnetwork_size": subnetwork_size, "commit_window": 5, "reveal_window": 5,
        "max_retries": 2, "base_fee": BASE_FEE.to_string(), "fuel_price": "1",
        "fuel_unit": 1_000_000, "price_per_second": "1000",
        "slash_fraction_bps": 500, "dissent_jail_blocks": 10
    })
}

fn timed_out() -> Vec<u8> {
    Outcome {
        status: ExitStatus::Trapped(TrapKind::Timeout),
        stdout: vec![],
        stdout_truncated: false,
        stderr: vec![],
        stderr_truncated: false,
        fuel_used: 0,
        wall_time: std::time::Duration::ZERO,
        trap_message: None,
        calls: Vec::new(),
    }
    .canonical_bytes()
}

/// A chain with six http-capable workers, a function deployed with `manifest` (n, m) on a
/// subnetwork of `n` workers, and a funded invoker.
struct Net {
    chain: Chain,
    all: Vec<SimWorker>,
    function: u64,
    invoker: Address,
}

impl Net {
    fn new(manifest: &str, n: u32, m: u32) -> Net {
        let mut chain = Chain::new(params(n));
        let all = six_workers();
        for w in &all {
            chain.register_with_http(w, true);
        }
        let invoker = user(201);
        chain.fund(&invoker, FUNDS);
        let function = chain
            .deploy(&user(200), gzip(&hello_wasm()), manifest, n, m)
            .expect("deploy");
        Net {
            chain,
            all,
            function,
            invoker,
        }
    }

    /// Invokes with `max_fee`; every assigned worker `i` commits `outcomes[i]` (None: does
    /// not commit). Returns the job and its workers in assignment order.
    fn committed(&mut self, max_fee: u128, outcomes: &[Option<&[u8]>]) -> (u64, Vec<SimWorker>) {
        let job = self
            .chain
            .invoke(&self.invoker, self.function, max_fee)
            .expect("invoke")
            .job_id;
        let ws: Vec<SimWorker> = self
            .chain
            .job(job)
            .assignments
            .iter()
            .map(|a| find(&self.all, a.worker.as_str()).clone())
            .collect();
        assert_eq!(ws.len(), outcomes.len());
        for (w, o) in ws.iter().zip(outcomes) {
            if let Some(o) = o {
                self.chain.commit(w, job, o).expect("commit");
            }
        }
        (job, ws)
    }

    /// Ends blocks until the job is no longer settling or revealing (at most its windows).
    fn settle(&mut self, job: u64) {
        let j = self.chain.job(job);
        let end = j.reveal_deadline.max(j.commit_deadline) + 1;
        self.chain.until(end);
        self.chain.assert_escrow_invariant();
    }

    fn worker(&self, w: &SimWorker) -> bls_registry::Worker {
        bls_registry::state::must_get_worker(&self.chain.store, &w.addr).unwrap()
    }

    fn missed(&self, w: &SimWorker) -> u64 {
        bls_registry::liveness::counters(&self.chain.store, &w.addr)
            .unwrap()
            .missed
    }

    fn assert_untouched(&self, w: &SimWorker) {
        let rec = self.worker(w);
        assert_eq!(rec.bond, BOND, "{} bond", w.addr);
        assert_eq!(rec.slashed_total, 0, "{} slashed", w.addr);
        assert_eq!(rec.status, WorkerStatus::Active, "{} status", w.addr);
    }
}

/// Per-worker share, burn and community part of `fee` split among `paid` workers (the
/// default 70/20/10 split; rounding to the community pool).
fn shares(fee: u128, paid: u128) -> (u128, u128, u128) {
    let per_worker = fee * 7_000 / 10_000 / paid;
    let burn = fee * 2_000 / 10_000;
    (per_worker, burn, fee - per_worker * paid - burn)
}

// ---- attack 3: dissent griefing with non-deterministic functions ----

/// The deployer's origin answers one worker differently (by its IP): with the old rule the
/// chain slashed whichever worker the deployer chose. Now an HTTP function's dissent costs
/// nothing but the pay: nobody is slashed or jailed, only agreeing workers are paid. Even an
/// origin that answers every worker differently (no quorum) slashes nobody.
#[test]
fn attack_dissent_griefing_nondeterministic_http() {
    let mut net = Net::new(HTTP_MANIFEST, 3, 2);
    let sunny = outcome(b"sunny", 1_000_000);
    let rainy = outcome(b"rainy", 1_000_000);
    let (job, ws) = net.committed(MAX_FEE, &[Some(&sunny), Some(&sunny), Some(&rainy)]);
    for (w, o) in ws.iter().zip([&sunny, &sunny, &rainy]) {
        net.chain.reveal(w, job, o).unwrap();
    }
    net.settle(job);
    let j = net.chain.job(job);
    assert_eq!(j.status, JobStatus::Finalized);
    assert_eq!(j.escrow, 0);
    assert!(net.chain.events_of("bls.worker_slashed").is_empty());
    assert!(net.chain.events_of("bls.worker_jailed").is_empty());
    assert!(net.chain.events_of("bls.worker_missed").is_empty());
    for w in &ws {
        net.assert_untouched(w);
        assert_eq!(net.missed(w), 0);
    }
    // fee = base + 1 000 000 fuel × 1 / 10⁶.
    let (per_worker, _, _) = shares(BASE_FEE + 1, 2);
    assert_eq!(net.chain.balance(&ws[0].addr), per_worker);
    assert_eq!(net.chain.balance(&ws[1].addr), per_worker);
    assert_eq!(
        net.chain.balance(&ws[2].addr),
        0,
        "the dissenter is not paid"
    );

    // Every worker told something different: no quorum, reassigned, still nobody punished.
    let (x, y, z) = (outcome(b"x", 0), outcome(b"y", 0), outcome(b"z", 0));
    let (job, ws) = net.committed(MAX_FEE, &[Some(&x), Some(&y), Some(&z)]);
    for (w, o) in ws.iter().zip([&x, &y, &z]) {
        net.chain.reveal(w, job, o).unwrap();
    }
    net.chain.next_block();
    assert_eq!(net.chain.job(job).round, 1, "reassigned");
    assert!(net.chain.events_of("bls.worker_slashed").is_empty());
    for w in &ws {
        net.assert_untouched(w);
    }
    net.chain.assert_escrow_invariant();
}

/// A pure function that runs at the edge of its timeout finishes on fast machines and
/// times out on slow ones. A timed-out minority gets a liveness miss, never a slash; when
/// the majority times out, the worker that finished is merely unpaid.
#[test]
fn attack_dissent_griefing_edge_of_timeout() {
    let mut net = Net::new(PURE_MANIFEST, 3, 2);
    let ok = outcome(b"done", 2_000_000);
    let timeout = timed_out();

    // (a) Two finish, one times out.
    let (job, ws) = net.committed(MAX_FEE, &[Some(&ok), Some(&ok), Some(&timeout)]);
    for (w, o) in ws.iter().zip([&ok, &ok, &timeout]) {
        net.chain.reveal(w, job, o).unwrap();
    }
    net.settle(job);
    assert!(net.chain.events_of("bls.worker_slashed").is_empty());
    assert!(net.chain.events_of("bls.worker_jailed").is_empty());
    for w in &ws {
        net.assert_untouched(w);
    }
    assert_eq!(net.missed(&ws[2]), 1, "the timed-out worker gets a miss");
    let missed = net.chain.events_of("bls.worker_missed");
    assert_eq!(missed.len(), 1);
    assert_eq!(missed[0].get("worker"), Some(ws[2].addr.as_str()));
    assert_eq!(missed[0].get("job_id"), Some(job.to_string().as_str()));
    assert_eq!(net.chain.balance(&ws[2].addr), 0);
    let (per_worker, _, _) = shares(BASE_FEE + 2, 2);
    assert_eq!(net.chain.balance(&ws[0].addr), per_worker);

    // (b) Two time out, one finishes: the timeout is the result; the finisher is unpaid,
    // unpunished, and the job is charged for the time it held the workers.
    let paid_before: Vec<u128> = ws.iter().map(|w| net.chain.balance(&w.addr)).collect();
    let (job, ws2) = net.committed(MAX_FEE, &[Some(&timeout), Some(&timeout), Some(&ok)]);
    for (w, o) in ws2.iter().zip([&timeout, &timeout, &ok]) {
        net.chain.reveal(w, job, o).unwrap();
    }
    net.settle(job);
    assert!(net.chain.events_of("bls.worker_slashed").is_empty());
    for w in &ws2 {
        net.assert_untouched(w);
    }
    let misses_of = |net: &Net, w: &SimWorker| {
        net.chain
            .events_of("bls.worker_missed")
            .iter()
            .filter(|e| e.get("worker") == Some(w.addr.as_str()))
            .count()
    };
    assert_eq!(
        misses_of(&net, &ws2[2]),
        usize::from(ws2[2].addr == ws[2].addr)
    );
    let r: ResultResponse = net
        .chain
        .query(
            "orchestration",
            "Result",
            serde_json::json!({"job_id": job}),
        )
        .unwrap();
    // 10 s timeout × 1000 ubls/s = 10 000 ubls time fee.
    assert_eq!(r.result.fee, BASE_FEE + 10_000);
    let before = |w: &SimWorker| {
        ws.iter()
            .position(|x| x.addr == w.addr)
            .map_or(0, |i| paid_before[i])
    };
    assert_eq!(
        net.chain.balance(&ws2[2].addr),
        before(&ws2[2]),
        "the finisher in the minority is not paid"
    );
    let (per_worker, _, _) = shares(BASE_FEE + 10_000, 2);
    assert_eq!(
        net.chain.balance(&ws2[0].addr),
        before(&ws2[0]) + per_worker
    );
    net.chain.assert_escrow_invariant();
}

/// The rule is no loophole: a pure function's dissent is still slashed and jailed, and the
/// dissenter's outcome is judged even when it reveals after the result is final.
#[test]
fn pure_function_dissent_is_still_slashed_and_jailed() {
    let mut net = Net::new(PURE_MANIFEST, 3, 2);
    let good = outcome(b"42", 0);
    let bad = outcome(b"41", 0);
    let (job, ws) = net.committed(MAX_FEE, &[Some(&good), Some(&good), Some(&bad)]);
    net.chain.reveal(&ws[0], job, &good).unwrap();
    net.chain.reveal(&ws[1], job, &good).unwrap();
    assert_eq!(net.chain.job(job).status, JobStatus::Finalized);
    net.chain.reveal(&ws[2], job, &bad).unwrap();
    net.settle(job);
    let liar = net.worker(&ws[2]);
    assert_eq!(liar.bond, BOND - SLASH);
    assert_eq!(liar.status, WorkerStatus::Jailed);
    assert_eq!(net.chain.balance(&ws[2].addr), 0);
    net.assert_untouched(&ws[0]);
    net.assert_untouched(&ws[1]);
    // Its outcome was kept until settlement and deleted with the job's other reveals.
    assert!(bls_orchestration::testing::REVEAL_OUTCOMES
        .prefix(job)
        .keys(&net.chain.store, None, None, cosmwasm_std::Order::Ascending)
        .next()
        .is_none());
}

/// Claiming a timeout is not a free way to dodge the dissent penalty: each fake timeout is
/// a liveness miss, and a worker that keeps "timing out" is jailed by the liveness window
/// (10 assignments, 5 answers needed) — still without touching its bond.
#[test]
fn attack_fake_timeouts_to_dodge_slashing_are_jailed_by_liveness() {
    let mut net = Net::new(PURE_MANIFEST, 3, 2);
    let ok = outcome(b"done", 0);
    let fake = timed_out();
    let (job, ws) = net.committed(MAX_FEE, &[Some(&ok), Some(&ok), Some(&fake)]);
    let lazy = ws[2].clone();
    for (w, o) in ws.iter().zip([&ok, &ok, &fake]) {
        net.chain.reveal(w, job, o).unwrap();
    }
    net.settle(job);
    let mut jobs = 1;
    while net.worker(&lazy).status == WorkerStatus::Active {
        assert!(jobs < 10, "jailed by the 10th assignment");
        let job = net
            .chain
            .invoke(&net.invoker, net.function, MAX_FEE)
            .unwrap()
            .job_id;
        let assigned: Vec<SimWorker> = net
            .chain
            .job(job)
            .assignments
            .iter()
            .map(|a| find(&net.all, a.worker.as_str()).clone())
            .collect();
        for w in &assigned {
            let o = if w.addr == lazy.addr { &fake } else { &ok };
            net.chain.commit(w, job, o).unwrap();
        }
        for w in &assigned {
            let o = if w.addr == lazy.addr { &fake } else { &ok };
            net.chain.reveal(w, job, o).unwrap();
        }
        net.settle(job);
        jobs += 1;
    }
    assert_eq!(jobs, 10);
    let rec = net.worker(&lazy);
    assert_eq!(rec.status, WorkerStatus::Jailed);
    assert_eq!(rec.bond, BOND, "misses jail, they do not slash");
    let jailed = net.chain.events_of("bls.worker_jailed");
    assert_eq!(jailed.len(), 1);
    assert_eq!(jailed[0].get("worker"), Some(lazy.addr.as_str()));
    assert_eq!(
        jailed[0].get("reason"),
        Some(bls_registry::liveness::JAIL_REASON)
    );
    assert!(net.chain.events_of("bls.worker_slashed").is_empty());
}

// ---- attack 5: escape by withholding ----

/// Two workers committed a wrong answer; after commits close they see the honest majority.
/// One reveals anyway (a dissenter), the other stays silent (a withholder). The withholder
/// loses at least what the dissenter loses: the same slash and jail, plus a liveness miss.
#[test]
fn attack_escape_by_withholding() {
    let mut net = Net::new(PURE_MANIFEST, 5, 3);
    let good = outcome(b"42", 0);
    let bad = outcome(b"41", 0);
    let (job, ws) = net.committed(
        MAX_FEE,
        &[
            Some(&good),
            Some(&good),
            Some(&good),
            Some(&bad),
            Some(&bad),
        ],
    );
    let (dissenter, withholder) = (&ws[3], &ws[4]);
    for w in &ws[..4] {
        let o = if w.addr == dissenter.addr {
            &bad
        } else {
            &good
        };
        net.chain.reveal(w, job, o).unwrap();
    }
    assert_eq!(net.chain.job(job).status, JobStatus::Finalized);
    // The withholder never reveals: settlement at the reveal deadline.
    net.settle(job);
    assert!(!net.chain.job(job).settling);

    let d = net.worker(dissenter);
    let w = net.worker(withholder);
    assert_eq!(d.bond, BOND - SLASH);
    assert_eq!(d.status, WorkerStatus::Jailed);
    assert_eq!(w.bond, BOND - SLASH);
    assert_eq!(w.status, WorkerStatus::Jailed);
    assert!(w.jailed_until >= d.jailed_until);
    assert!(w.last_penalty.contains("withheld"), "{}", w.last_penalty);
    assert!(
        w.bond <= d.bond,
        "withholding costs at least the dissent's slash"
    );
    assert_eq!(net.missed(dissenter), 0);
    assert_eq!(net.missed(withholder), 1, "…plus a liveness miss");
    assert_eq!(net.chain.balance(&dissenter.addr), 0);
    assert_eq!(net.chain.balance(&withholder.addr), 0);
    let (per_worker, _, _) = shares(BASE_FEE, 3);
    for h in &ws[..3] {
        net.assert_untouched(h);
        assert_eq!(net.chain.balance(&h.addr), per_worker);
    }
    assert_eq!(net.chain.events_of("bls.worker_slashed").len(), 2);
    assert_eq!(net.chain.events_of("bls.worker_jailed").len(), 2);
    net.chain.assert_escrow_invariant();
}

/// Withholding to deny the quorum: two workers disagree, the third (committed) stays
/// silent so that no result reaches quorum and the job is reassigned. The withholder pays
/// the dissent penalty plus a miss; the two revealers are untouched.
#[test]
fn attack_withholding_to_deny_the_quorum_is_slashed() {
    let mut net = Net::new(PURE_MANIFEST, 3, 2);
    let (x, y) = (outcome(b"x", 0), outcome(b"y", 0));
    let (job, ws) = net.committed(MAX_FEE, &[Some(&x), Some(&y), Some(&x)]);
    net.chain.reveal(&ws[0], job, &x).unwrap();
    net.chain.reveal(&ws[1], job, &y).unwrap();
    net.settle(job);
    let j = net.chain.job(job);
    assert_eq!(j.round, 1, "no quorum: reassigned");
    assert_eq!(j.status, JobStatus::Committing);
    let w = net.worker(&ws[2]);
    assert_eq!(w.bond, BOND - SLASH);
    assert_eq!(w.status, WorkerStatus::Jailed);
    assert_eq!(net.missed(&ws[2]), 1);
    net.assert_untouched(&ws[0]);
    net.assert_untouched(&ws[1]);
    assert_eq!(net.chain.balance(&escrow_account()), MAX_FEE);
    net.chain.assert_escrow_invariant();
}

/// For an HTTP function a dissent costs nothing but the pay, and withholding costs a
/// liveness miss: still at least the dissent, and no slash on a function whose honest
/// results may differ.
#[test]
fn withholding_an_http_result_costs_a_miss_not_a_slash() {
    let mut net = Net::new(HTTP_MANIFEST, 3, 2);
    let (a, b) = (outcome(b"a", 0), outcome(b"b", 0));
    let (job, ws) = net.committed(MAX_FEE, &[Some(&a), Some(&a), Some(&b)]);
    net.chain.reveal(&ws[0], job, &a).unwrap();
    net.chain.reveal(&ws[1], job, &a).unwrap();
    net.settle(job);
    for w in &ws {
        net.assert_untouched(w);
    }
    assert_eq!(net.missed(&ws[2]), 1);
    assert!(net.chain.events_of("bls.worker_slashed").is_empty());
}

// ---- attack 9: underpriced timeouts ----

/// A 15-minute function that times out used to pay the base fee only (a timeout records
/// zero fuel) while holding three workers for 15 minutes. Now: an invoke whose max_fee does
/// not cover the worst case is refused and changes nothing; a timed-out job is charged the
/// time fee; the escrow invariant holds throughout.
#[test]
fn attack_underpriced_timeout() {
    let manifest = r#"{"limits":{"timeout_ms":900000,"fuel":1000000000}}"#;
    let mut net = Net::new(manifest, 3, 2);
    // Worst case: base + max(10⁹ fuel → 1 000, 900 s × 1 000 → 900 000).
    let worst = BASE_FEE + 900_000;
    let before = net.chain.snapshot();
    let e = assert_refused(
        net.chain.invoke(&net.invoker, net.function, worst - 1),
        &variant!(OrchestrationError::FeeTooLow {
            function,
            max_fee,
            required
        }),
    );
    assert_eq!(e.codespace, "orchestration");
    assert!(e.log.contains("901000ubls"), "{}", e.log);
    assert!(e.log.contains("900999ubls"), "{}", e.log);
    assert_eq!(net.chain.snapshot(), before, "nothing changed");
    assert_eq!(net.chain.balance(&net.invoker), FUNDS);
    assert_eq!(net.chain.balance(&escrow_account()), 0);

    let supply0 = net.chain.supply();
    let t = timed_out();
    let (job, ws) = net.committed(worst, &[Some(&t), Some(&t), Some(&t)]);
    net.chain.assert_escrow_invariant();
    for w in &ws {
        net.chain.reveal(w, job, &t).unwrap();
    }
    let fin = net.chain.events_of("bls.job_finalized");
    assert_eq!(
        fin.last().unwrap().get("fee"),
        Some(worst.to_string().as_str())
    );
    net.settle(job);
    let r: ResultResponse = net
        .chain
        .query(
            "orchestration",
            "Result",
            serde_json::json!({"job_id": job}),
        )
        .unwrap();
    assert_eq!(r.result.fee, worst, "charged for the 15 minutes it held");
    assert_eq!(net.chain.balance(&net.invoker), FUNDS - worst);
    let (per_worker, burn, community) = shares(worst, 3);
    for w in &ws {
        assert_eq!(net.chain.balance(&w.addr), per_worker);
        net.assert_untouched(w);
    }
    assert_eq!(net.chain.balance(&community_pool()), community);
    assert_eq!(supply0 - net.chain.supply(), burn);
    let settled = net.chain.events_of("bls.job_settled");
    assert_eq!(settled.last().unwrap().get("refund"), Some("0"));
    net.chain.assert_escrow_invariant();
}

/// An unbounded fuel budget would make the worst case (and the required escrow) unbounded:
/// deploy and update refuse `limits.fuel` above `max_fuel` with a typed error and change
/// nothing.
#[test]
fn fuel_above_max_fuel_is_refused_at_deploy_and_update() {
    let mut net = Net::new(PURE_MANIFEST, 3, 2);
    let max_fuel = bls_orchestration::Params::default().max_fuel;
    let over = format!(r#"{{"limits":{{"fuel":{}}}}}"#, max_fuel + 1);
    let before = net.chain.snapshot();
    let e = assert_refused(
        net.chain.deploy(&user(200), hello_wasm(), &over, 3, 2),
        &variant!(OrchestrationError::FuelAboveMax { fuel, max_fuel }),
    );
    assert!(e.log.contains("max_fuel"), "{}", e.log);
    let update = MsgUpdateFunction {
        owner: user(200).to_string(),
        function_id: net.function,
        wasm: vec![],
        code_hash: vec![],
        source_uris: vec![],
        manifest_json: over,
        replication: 0,
        quorum: 0,
        code_size: 0,
    };
    assert_refused(
        net.chain
            .orch(&user(200), encode_any(&update, MSG_UPDATE_FUNCTION)),
        &variant!(OrchestrationError::FuelAboveMax { fuel, max_fuel }),
    );
    assert_eq!(net.chain.snapshot(), before, "nothing changed");
    // At the bound it is accepted.
    let at = format!(r#"{{"limits":{{"fuel":{max_fuel}}}}}"#);
    net.chain
        .deploy(&user(200), hello_wasm(), &at, 3, 2)
        .unwrap();
}

/// A colluding quorum cannot bill more fuel than the job was allowed: a claimed
/// `fuel_used` above the manifest's budget is charged as the budget, never the whole escrow.
#[test]
fn attack_inflated_fuel_claim_is_billed_at_most_the_budget() {
    let manifest = r#"{"limits":{"fuel":1000000000}}"#;
    let mut net = Net::new(manifest, 3, 2);
    let inflated = outcome(b"ok", u64::MAX);
    let (job, ws) = net.committed(
        1_000_000,
        &[Some(&inflated), Some(&inflated), Some(&inflated)],
    );
    for w in &ws {
        net.chain.reveal(w, job, &inflated).unwrap();
    }
    net.settle(job);
    let r: ResultResponse = net
        .chain
        .query(
            "orchestration",
            "Result",
            serde_json::json!({"job_id": job}),
        )
        .unwrap();
    // base + max(10⁹ × 1 / 10⁶, no timeout) = 1000 + 1000.
    assert_eq!(r.result.fee, BASE_FEE + 1_000);
    assert_eq!(net.chain.balance(&net.invoker), FUNDS - BASE_FEE - 1_000);
    net.chain.assert_escrow_invariant();
}

// ---- the registry keepers build the penalty events ----

/// A settlement that slashes emits exactly one `bls.worker_slashed` and one
/// `bls.worker_jailed`, equal to the registry's own constructors' events.
#[test]
fn settlement_that_slashes_emits_one_slashed_and_one_jailed_event_from_the_registry() {
    let mut net = Net::new(PURE_MANIFEST, 3, 2);
    let good = outcome(b"42", 0);
    let bad = outcome(b"41", 0);
    let (job, ws) = net.committed(MAX_FEE, &[Some(&bad), Some(&good), Some(&good)]);
    for (w, o) in ws.iter().zip([&bad, &good, &good]) {
        net.chain.reveal(w, job, o).unwrap();
    }
    let height = net.chain.block.height;
    net.chain.next_block();
    let reason = format!("dissenting result for job {job}");
    let slashed = net.chain.events_of("bls.worker_slashed");
    assert_eq!(slashed.len(), 1);
    assert_eq!(
        *slashed[0],
        bls_registry::events::worker_slashed(&ws[0].addr, SLASH, &reason)
    );
    let jailed = net.chain.events_of("bls.worker_jailed");
    assert_eq!(jailed.len(), 1);
    assert_eq!(
        *jailed[0],
        bls_registry::events::worker_jailed(&ws[0].addr, height + 10, &reason)
    );
}

// ---- bad params ----

/// The new params refuse values that would reopen attack 9, with a clear error.
#[test]
fn genesis_refuses_zero_price_per_second_or_max_fuel() {
    for (field, value, why) in [
        (
            "price_per_second",
            serde_json::json!("0"),
            "price_per_second",
        ),
        ("max_fuel", serde_json::json!(0), "max_fuel"),
        (
            "price_per_second",
            serde_json::json!("-1"),
            "invalid amount",
        ),
        ("price_per_second", serde_json::json!(1000), "string"),
    ] {
        let mut p = params(3);
        p[field] = value;
        let mut store = cosmwasm_std::testing::MockStorage::new();
        let block = bls_core::BlockInfo::default();
        let gas = GasMeter::infinite();
        let mut ctx = Context::new(&mut store, &block, &gas);
        let e = OrchestrationModule
            .init_genesis(&mut ctx, &serde_json::json!({ "params": p }))
            .unwrap_err();
        assert!(e.log.contains(why), "{field}: {}", e.log);
    }
}

// ---- unrevealable outcomes (C2) ----

/// A manifest whose honest outcome (stdout + stderr at `output_bytes` each) cannot fit a
/// reveal tx — or whose dissent evidence cannot fit one — would get every honest worker that
/// committed slashed for withholding. Deploy and update refuse it and change nothing; the
/// largest allowed `output_bytes` is accepted.
#[test]
fn attack_unrevealable_outcome_refused_at_deploy_and_update() {
    use bls_orchestration::reveal_size::{max_deployable_output_bytes, NODE_MAX_TX_BYTES};
    let mut net = Net::new(PURE_MANIFEST, 3, 2);
    let max = max_deployable_output_bytes(NODE_MAX_TX_BYTES);
    let before = net.chain.snapshot();
    for out in [max + 1, bls_core::outcome::MAX_OUTPUT_BYTES] {
        let over = format!(r#"{{"limits":{{"output_bytes":{out}}}}}"#);
        let e = assert_refused(
            net.chain.deploy(&user(200), hello_wasm(), &over, 3, 2),
            &variant!(OrchestrationError::InvalidManifest(_)),
        );
        assert!(e.log.contains("too large to reveal"), "{}", e.log);
        let update = MsgUpdateFunction {
            owner: user(200).to_string(),
            function_id: net.function,
            wasm: vec![],
            code_hash: vec![],
            source_uris: vec![],
            manifest_json: over,
            replication: 0,
            quorum: 0,
            code_size: 0,
        };
        assert_refused(
            net.chain
                .orch(&user(200), encode_any(&update, MSG_UPDATE_FUNCTION)),
            &variant!(OrchestrationError::InvalidManifest(_)),
        );
    }
    assert_eq!(net.chain.snapshot(), before, "nothing changed");
    let at = format!(r#"{{"limits":{{"output_bytes":{max}}}}}"#);
    net.chain
        .deploy(&user(200), hello_wasm(), &at, 3, 2)
        .expect("the largest revealable output_bytes");
}

/// A legacy function (imported in genesis before the rule) whose manifest allows outcomes
/// too large to reveal: a committed worker that does not reveal may have been unable to, so
/// it gets a liveness miss, never the withholding slash.
#[test]
fn attack_legacy_unrevealable_function_does_not_slash_withholding() {
    let mut net = Net::new(PURE_MANIFEST, 3, 2);
    // What a genesis import of an older chain's function looks like.
    let mut f = bls_orchestration::testing::FUNCTIONS
        .load(&net.chain.store, net.function)
        .unwrap();
    f.manifest_json = format!(
        r#"{{"limits":{{"output_bytes":{}}}}}"#,
        bls_core::outcome::MAX_OUTPUT_BYTES
    );
    bls_orchestration::testing::FUNCTIONS
        .save(&mut net.chain.store, net.function, &f)
        .unwrap();
    let good = outcome(b"42", 0);
    let (job, ws) = net.committed(MAX_FEE, &[Some(&good), Some(&good), Some(&good)]);
    net.chain.reveal(&ws[0], job, &good).unwrap();
    net.chain.reveal(&ws[1], job, &good).unwrap();
    // ws[2] cannot get its (here: huge) reveal into a block.
    net.settle(job);
    for w in &ws {
        net.assert_untouched(w);
    }
    assert_eq!(net.missed(&ws[2]), 1, "a liveness miss only");
    assert!(net.chain.events_of("bls.worker_slashed").is_empty());
}
