//! Composition on chain, in process: what a function may call (declared, existing, listed,
//! not retired, no sealed secrets, a bounded closure), pinned at invoke (code, version,
//! manifest, price) whatever the callees' owners do next, escrowed as a reserve beside the
//! worst case, and paid per call that exited 0 in the agreed outcome — exactly, within the
//! reserve, never for a call the job did not pin, never for a failed job.

mod common;

use bls_core::composition::{Call, MAX_CALLEES_PER_JOB, MAX_CALLS_PER_JOB};
use bls_core::module::encode_any;
use bls_core::outcome::{ExitStatus, Outcome};
use bls_core::Address;
use bls_orchestration::market::msgs::*;
use bls_orchestration::market::queries::StatsView;
use bls_orchestration::msgs::{
    MsgRetireFunction, MsgUpdateFunction, MSG_RETIRE_FUNCTION, MSG_UPDATE_FUNCTION,
};
use bls_orchestration::queries::{FunctionResponse, ResultResponse};
use bls_orchestration::state::{escrow_account, JobStatus};
use common::*;

const FEE: u128 = 1_000;
const PRICE_B: u128 = 3_000;
const PRICE_C: u128 = 7_000;
const FUNDS: u128 = 10_000_000;
const MAX_FEE: u128 = 1_000_000;

fn params() -> serde_json::Value {
    serde_json::json!({
        "subnetwork_size": 3, "commit_window": 5, "reveal_window": 5, "max_retries": 0,
        "base_fee": FEE.to_string(), "fuel_price": "1", "fuel_unit": 1000000,
        "slash_fraction_bps": 500, "dissent_jail_blocks": 10
    })
}

struct World {
    chain: Chain,
    workers: Vec<SimWorker>,
    invoker: Address,
}

fn world() -> World {
    let mut chain = Chain::new(params());
    let workers = six_workers();
    for w in &workers {
        chain.register(w);
    }
    let invoker = user(201);
    chain.fund(&invoker, FUNDS);
    World {
        chain,
        workers,
        invoker,
    }
}

fn calls(ids: &[u64]) -> String {
    serde_json::json!({ "calls": ids }).to_string()
}

impl World {
    fn deploy(&mut self, owner: &Address, manifest: &str) -> Result<u64, String> {
        self.chain
            .deploy(owner, gzip(&hello_wasm()), manifest, 3, 2)
            .map_err(|e| e.to_string())
    }

    fn send<M: prost::Message>(
        &mut self,
        signer: &Address,
        m: &M,
        url: &str,
    ) -> Result<(), String> {
        self.chain
            .orch(signer, encode_any(m, url))
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    fn list(&mut self, owner: &Address, function_id: u64, price: u128) {
        let msg = MsgPublishListing {
            owner: owner.to_string(),
            function_id,
            name: format!("f{function_id}"),
            description: String::new(),
            tags: vec![],
            license: "MIT".into(),
            source_url: String::new(),
            price: Some(ProtoCoin::ubls(price)),
            terms: String::new(),
        };
        self.send(owner, &msg, MSG_PUBLISH_LISTING).unwrap();
    }

    fn invoke(&mut self, f: u64, max_fee: u128) -> Result<u64, String> {
        let who = self.invoker.clone();
        self.chain
            .invoke(&who, f, max_fee)
            .map(|r| r.job_id)
            .map_err(|e| e.to_string())
    }

    fn function(&self, f: u64) -> FunctionResponse {
        self.chain
            .query("orchestration", "Function", serde_json::json!({"id": f}))
            .unwrap()
    }

    fn stats(&self, f: u64) -> StatsView {
        self.chain
            .query(
                "orchestration",
                "FunctionStats",
                serde_json::json!({"function_id": f}),
            )
            .unwrap()
    }

    /// Every assigned worker commits and reveals `outcome`; the job settles.
    fn finish(&mut self, job: u64, outcome: &[u8]) -> u128 {
        let ws: Vec<SimWorker> = self
            .chain
            .job(job)
            .assignments
            .iter()
            .map(|a| find(&self.workers, a.worker.as_str()).clone())
            .collect();
        for w in &ws {
            self.chain.commit(w, job, outcome).unwrap();
        }
        for w in &ws {
            self.chain.reveal(w, job, outcome).unwrap();
        }
        self.chain.next_block();
        assert_eq!(self.chain.job(job).status, JobStatus::Finalized);
        assert_eq!(self.chain.job(job).escrow, 0);
        self.chain
            .query::<ResultResponse>(
                "orchestration",
                "Result",
                serde_json::json!({"job_id": job}),
            )
            .unwrap()
            .result
            .fee
    }
}

fn with_calls(log: &[(u64, bool)]) -> Vec<u8> {
    Outcome {
        status: ExitStatus::Exited(0),
        stdout: b"composed".to_vec(),
        stdout_truncated: false,
        stderr: vec![],
        stderr_truncated: false,
        fuel_used: 0,
        wall_time: std::time::Duration::ZERO,
        trap_message: None,
        calls: log
            .iter()
            .map(|(function_id, ok)| Call {
                function_id: *function_id,
                ok: *ok,
            })
            .collect(),
    }
    .canonical_bytes()
}

#[test]
fn each_callee_owner_earns_its_price_per_call_that_exited_zero_exactly() {
    let mut w = world();
    let (owner_a, owner_b, owner_c) = (user(210), user(211), user(212));
    let b = w.deploy(&owner_b, "{}").unwrap();
    let c = w.deploy(&owner_c, "{}").unwrap();
    w.list(&owner_b, b, PRICE_B);
    w.list(&owner_c, c, PRICE_C);
    let a = w.deploy(&owner_a, &calls(&[b, c])).unwrap();
    let reserve = u128::from(MAX_CALLS_PER_JOB) * PRICE_C;
    assert_eq!(w.function(a).call_reserve, reserve.to_string());
    assert_eq!(w.function(b).call_reserve, "0");
    let (supply0, burned0) = (w.chain.supply(), w.chain.burned());

    // max_fee must cover the worst case and the reserve; below it nothing is escrowed.
    let e = w.invoke(a, FEE + reserve - 1).unwrap_err();
    assert!(e.contains("max_fee"), "{e}");
    assert_eq!(w.chain.balance(&w.invoker), FUNDS);

    let job = w.invoke(a, MAX_FEE).unwrap();
    let pinned = w.chain.job(job);
    assert_eq!(
        pinned
            .callees
            .iter()
            .map(|p| (p.function_id, p.price))
            .collect::<Vec<_>>(),
        vec![(b, PRICE_B), (c, PRICE_C)]
    );
    assert_eq!(pinned.call_reserve, reserve);
    // B twice, C once exited 0; C once failed; function 99 was never pinned: 2·B + 1·C.
    let fee = w.finish(
        job,
        &with_calls(&[(b, true), (c, true), (b, true), (c, false), (99, true)]),
    );
    assert_eq!(w.chain.balance(&owner_b), 2 * PRICE_B);
    assert_eq!(w.chain.balance(&owner_c), PRICE_C);
    assert_eq!(w.chain.balance(&owner_a), 0, "A is not listed: no price");
    assert_eq!(
        w.chain.balance(&w.invoker),
        FUNDS - fee - 2 * PRICE_B - PRICE_C,
        "the unused reserve is refunded"
    );
    assert_eq!(w.chain.balance(&escrow_account()), 0);
    w.chain.assert_escrow_invariant();
    assert_eq!(supply0 - w.chain.supply(), w.chain.burned() - burned0);
    let paid: Vec<(String, String)> = w
        .chain
        .events_of("bls.royalty_paid")
        .iter()
        .map(|e| {
            (
                e.get("function_id").unwrap_or_default().to_string(),
                e.get("amount").unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        paid,
        vec![
            (b.to_string(), (2 * PRICE_B).to_string()),
            (c.to_string(), PRICE_C.to_string())
        ]
    );
    let settled = w.chain.events_of("bls.job_settled");
    assert_eq!(
        settled[0].get("calls_paid"),
        Some((2 * PRICE_B + PRICE_C).to_string().as_str())
    );
    let sb = w.stats(b);
    assert_eq!((sb.invocations, sb.results), (2, 2));
    assert_eq!(sb.revenue, (2 * PRICE_B).to_string());
}

#[test]
fn a_call_log_can_never_take_more_than_the_reserve_nor_pay_a_failed_job() {
    let mut w = world();
    let (owner_a, owner_b) = (user(210), user(211));
    let b = w.deploy(&owner_b, "{}").unwrap();
    w.list(&owner_b, b, PRICE_B);
    let a = w.deploy(&owner_a, &calls(&[b])).unwrap();
    // The most a log can hold: every call the job may make, all exited 0.
    let job = w.invoke(a, MAX_FEE).unwrap();
    let full = vec![(b, true); MAX_CALLS_PER_JOB as usize];
    let fee = w.finish(job, &with_calls(&full));
    let reserve = u128::from(MAX_CALLS_PER_JOB) * PRICE_B;
    assert_eq!(w.chain.balance(&owner_b), reserve);
    assert_eq!(w.chain.balance(&w.invoker), FUNDS - fee - reserve);
    // A job nobody answers fails: refunded in full, reserve included, no callee paid.
    let before = w.chain.balance(&w.invoker);
    let job = w.invoke(a, MAX_FEE).unwrap();
    let d = w.chain.job(job).commit_deadline;
    w.chain.until(d + 1);
    assert_eq!(w.chain.job(job).status, JobStatus::Failed);
    assert_eq!(w.chain.balance(&w.invoker), before);
    assert_eq!(w.chain.balance(&owner_b), reserve);
    w.chain.assert_escrow_invariant();
}

#[test]
fn calls_reach_only_existing_listed_live_functions_within_the_bound() {
    let mut w = world();
    let (owner_a, owner_b) = (user(210), user(211));
    // Unknown at deploy, and at update.
    let e = w.deploy(&owner_a, &calls(&[999])).unwrap_err();
    assert!(
        e.contains("calls function 999, which does not exist"),
        "{e}"
    );
    let b = w.deploy(&owner_b, "{}").unwrap();
    let a = w.deploy(&owner_a, &calls(&[b])).unwrap();
    let upd = MsgUpdateFunction {
        owner: owner_a.to_string(),
        function_id: a,
        manifest_json: calls(&[b, 998]),
        ..Default::default()
    };
    let e = w.send(&owner_a, &upd, MSG_UPDATE_FUNCTION).unwrap_err();
    assert!(
        e.contains("calls function 998, which does not exist"),
        "{e}"
    );
    // Malformed declarations are the manifest's error.
    let e = w.deploy(&owner_a, &calls(&[b, b])).unwrap_err();
    assert!(e.contains("calls must name"), "{e}");

    // Not listed: refused at invoke, nothing escrowed.
    let e = w.invoke(a, MAX_FEE).unwrap_err();
    assert!(
        e.contains(&format!(
            "function {a} calls function {b}, which is not listed in the marketplace"
        )),
        "{e}"
    );
    assert_eq!(w.chain.balance(&w.invoker), FUNDS);
    assert_eq!(w.function(a).call_reserve, "0");

    // A callee's own callee is checked too, and named.
    let owner_d = user(213);
    let d = w.deploy(&owner_d, "{}").unwrap();
    let upd = MsgUpdateFunction {
        owner: owner_b.to_string(),
        function_id: b,
        manifest_json: calls(&[d]),
        ..Default::default()
    };
    w.send(&owner_b, &upd, MSG_UPDATE_FUNCTION).unwrap();
    w.list(&owner_b, b, PRICE_B);
    let e = w.invoke(a, MAX_FEE).unwrap_err();
    assert!(
        e.contains(&format!(
            "function {b} calls function {d}, which is not listed"
        )),
        "{e}"
    );
    w.list(&owner_d, d, PRICE_C);
    let job = w.invoke(a, MAX_FEE).unwrap();
    assert_eq!(
        w.chain
            .job(job)
            .callees
            .iter()
            .map(|p| p.function_id)
            .collect::<Vec<_>>(),
        vec![b, d]
    );

    // Retired: refused.
    let retire = MsgRetireFunction {
        owner: owner_d.to_string(),
        function_id: d,
    };
    w.send(&owner_d, &retire, MSG_RETIRE_FUNCTION).unwrap();
    let e = w.invoke(a, MAX_FEE).unwrap_err();
    assert!(
        e.contains(&format!(
            "function {b} calls function {d}, which is retired"
        )),
        "{e}"
    );
    assert_eq!(
        w.chain.balance(&w.invoker),
        FUNDS - MAX_FEE,
        "only the first job escrowed"
    );
}

#[test]
fn a_job_reaches_at_most_the_bounded_number_of_functions() {
    let mut w = world();
    let owner = user(210);
    // A chain f1 → f2 → … where each is listed: 16 callees below the root are fine, 17 not.
    let mut next: Option<u64> = None;
    let mut ids = Vec::new();
    for _ in 0..=MAX_CALLEES_PER_JOB {
        let manifest = next.map_or("{}".to_string(), |n| calls(&[n]));
        let id = w.deploy(&owner, &manifest).unwrap();
        w.list(&owner, id, 10);
        ids.push(id);
        next = Some(id);
    }
    // ids[16] reaches the 16 others: allowed.
    let top = *ids.last().unwrap();
    let job = w.invoke(top, MAX_FEE).unwrap();
    assert_eq!(w.chain.job(job).callees.len(), MAX_CALLEES_PER_JOB);
    let root = w.deploy(&owner, &calls(&[top])).unwrap();
    let e = w.invoke(root, MAX_FEE).unwrap_err();
    assert!(e.contains("a job may reach at most 16"), "{e}");
}

#[test]
fn callees_are_pinned_at_invoke_whatever_their_owners_do_next() {
    let mut w = world();
    let (owner_a, owner_b) = (user(210), user(211));
    let b = w.deploy(&owner_b, "{}").unwrap();
    w.list(&owner_b, b, PRICE_B);
    let a = w.deploy(&owner_a, &calls(&[b])).unwrap();
    let job = w.invoke(a, MAX_FEE).unwrap();
    let pinned = w.chain.job(job).callees[0].clone();
    // Mid-flight the owner ships new code and unlists B.
    let upd = MsgUpdateFunction {
        owner: owner_b.to_string(),
        function_id: b,
        wasm: gzip(&wasm("(module (func (export \"_start\")))")),
        ..Default::default()
    };
    w.send(&owner_b, &upd, MSG_UPDATE_FUNCTION).unwrap();
    let unlist = MsgUnlistFunction {
        owner: owner_b.to_string(),
        function_id: b,
    };
    w.send(&owner_b, &unlist, MSG_UNLIST_FUNCTION).unwrap();
    let now = w.chain.job(job).callees[0].clone();
    assert_eq!(now, pinned, "the job keeps what it pinned");
    assert_ne!(w.function(b).function.code_hash, pinned.code_hash);
    // The job still runs and pays as pinned; the next invocation is refused.
    w.finish(job, &with_calls(&[(b, true)]));
    assert_eq!(w.chain.balance(&owner_b), PRICE_B);
    let e = w.invoke(a, MAX_FEE).unwrap_err();
    assert!(e.contains("is not listed"), "{e}");
}

#[test]
fn a_cycle_is_pinned_once_and_each_call_pays_its_callee() {
    let mut w = world();
    let (owner_a, owner_b) = (user(210), user(211));
    let a = w.deploy(&owner_a, "{}").unwrap();
    let b = w.deploy(&owner_b, &calls(&[a])).unwrap();
    let upd = MsgUpdateFunction {
        owner: owner_a.to_string(),
        function_id: a,
        manifest_json: calls(&[b]),
        ..Default::default()
    };
    w.send(&owner_a, &upd, MSG_UPDATE_FUNCTION).unwrap();
    w.list(&owner_a, a, PRICE_C);
    w.list(&owner_b, b, PRICE_B);
    let job = w.invoke(a, MAX_FEE).unwrap();
    let j = w.chain.job(job);
    assert_eq!(
        j.callees.iter().map(|p| p.function_id).collect::<Vec<_>>(),
        vec![b, a],
        "each function once"
    );
    // The runtime's depth limit ends the cycle after four frames: B, A, B, A.
    w.finish(
        job,
        &with_calls(&[(b, true), (a, true), (b, true), (a, true)]),
    );
    assert_eq!(w.chain.balance(&owner_b), 2 * PRICE_B);
    assert_eq!(
        w.chain.balance(&owner_a),
        3 * PRICE_C,
        "A's price as the invoked function and as a callee twice"
    );
    w.chain.assert_escrow_invariant();
}

#[test]
fn callees_pin_at_most_max_manifest_bytes_into_a_job() {
    // The job record carries its callees' manifests and every commit and reveal rewrites it:
    // what one invoke can make workers rewrite is bounded.
    let mut w = world();
    let (owner_a, owner_b) = (user(210), user(211));
    let big = serde_json::json!({
        "env": {"A": "a".repeat(4090), "B": "b".repeat(4090), "C": "c".repeat(1000)}
    })
    .to_string();
    let b1 = w.deploy(&owner_b, &big).unwrap();
    let b2 = w.deploy(&owner_b, &big).unwrap();
    w.list(&owner_b, b1, PRICE_B);
    w.list(&owner_b, b2, PRICE_B);
    let one = w.deploy(&owner_a, &calls(&[b1])).unwrap();
    let job = w.invoke(one, MAX_FEE).unwrap();
    assert_eq!(w.chain.job(job).callees.len(), 1);
    let two = w.deploy(&owner_a, &calls(&[b1, b2])).unwrap();
    let before = w.chain.balance(&w.invoker);
    let e = w.invoke(two, MAX_FEE).unwrap_err();
    assert!(
        e.contains(&format!(
            "function {two} calls function {b2}, which would pin more than"
        )) && e.contains("max_manifest_bytes"),
        "{e}"
    );
    assert_eq!(w.chain.balance(&w.invoker), before, "nothing escrowed");
}
