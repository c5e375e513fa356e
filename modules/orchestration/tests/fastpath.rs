//! Fast path on chain: deposits, receipt settlement with exact accounting, replay
//! rejection, signature and eligibility checks, pinned heads, and evidence slashing.

mod common;

use bls_core::module::encode_any;
use bls_core::{Address, ModuleError};
use bls_fees::state::community_pool;
use bls_orchestration::fastpath::handlers::fastpath_split;
use bls_orchestration::fastpath::msgs::*;
use bls_orchestration::fastpath::state::{deposit_of, fastpath_account, stats, FastPathStats};
use bls_orchestration::testing::{DEPOSITS, SUBNETS};
use bls_registry::WorkerStatus;
use common::fastpath::*;
use common::*;

fn sha(b: &[u8]) -> [u8; 32] {
    sha2::Digest::finalize(sha2::Digest::chain_update(
        <sha2::Sha256 as sha2::Digest>::new(),
        b,
    ))
    .into()
}
use cosmwasm_std::Order;

struct Setup {
    chain: Chain,
    workers: Vec<SimWorker>,
    head: SimWorker,
    owner: Address,
    invoker: Invoker,
    function: u64,
    code_hash: [u8; 32],
}

fn setup() -> Setup {
    let mut chain = Chain::new(params());
    let workers = six_workers();
    for w in &workers {
        chain.register(w);
    }
    let head = SimWorker::new(50, "eu", "AS999");
    register_head(&mut chain, &head);
    let owner = user(200);
    let wasm = hello_wasm();
    let code_hash: [u8; 32] = sha2::Digest::finalize(sha2::Digest::chain_update(
        <sha2::Sha256 as sha2::Digest>::new(),
        &wasm,
    ))
    .into();
    let function = chain
        .deploy(&owner, gzip(&wasm), "{}", 3, 2)
        .expect("deploy");
    let invoker = Invoker::new(77);
    chain.fund(&invoker.addr, 1_000_000);
    let mut s = Setup {
        chain,
        workers,
        head,
        owner,
        invoker,
        function,
        code_hash,
    };
    s.deposit(100_000).expect("deposit");
    s
}

impl Setup {
    fn deposit(&mut self, amount: u128) -> Result<(), ModuleError> {
        deposit(&mut self.chain, &self.invoker.addr, amount)
    }

    fn subnet(&self) -> Vec<&SimWorker> {
        let members = SUBNETS
            .load(&self.chain.store, self.function)
            .unwrap()
            .workers;
        // The head is a worker too and may hold a seat.
        members
            .iter()
            .map(|a| {
                if *a == self.head.addr {
                    &self.head
                } else {
                    find(&self.workers, a.as_str())
                }
            })
            .collect()
    }

    fn outsider(&self) -> &SimWorker {
        let members = SUBNETS
            .load(&self.chain.store, self.function)
            .unwrap()
            .workers;
        self.workers
            .iter()
            .find(|w| !members.contains(&w.addr))
            .expect("a worker outside the subnetwork")
    }

    fn worker_sig(&self, w: &SimWorker, id: &[u8; 32], result: &[u8; 32]) -> WorkerSignature {
        worker_sig(w, id, &self.code_hash, result)
    }

    /// An expiry as far ahead as requests may be (the harness TTL).
    fn expiry(&self) -> u64 {
        self.chain.block.height + FASTPATH_TTL
    }

    fn receipt(&self, nonce: u64, signers: &[&SimWorker]) -> (Receipt, [u8; 32]) {
        receipt(
            &self.invoker,
            self.function,
            &self.code_hash,
            nonce,
            self.expiry(),
            signers.iter().copied(),
        )
    }

    fn request(&self, chain_id: &str, nonce: u64, max_fee: u128) -> (SignedRequest, [u8; 32]) {
        self.invoker.request(
            chain_id,
            self.function,
            &self.code_hash,
            nonce,
            max_fee,
            self.expiry(),
        )
    }

    fn settle_as(&mut self, head: &Address, receipts: Vec<Receipt>) -> Result<(), ModuleError> {
        settle(&mut self.chain, head, receipts)
    }

    fn settle(&mut self, receipts: Vec<Receipt>) -> Result<(), ModuleError> {
        let h = self.head.addr.clone();
        self.settle_as(&h, receipts)
    }

    fn deposit_now(&self) -> u128 {
        deposit_of(&self.chain.store, &self.invoker.addr).unwrap()
    }

    /// The module account holds exactly the sum of deposits.
    fn assert_deposit_invariant(&self) {
        let total: u128 = DEPOSITS
            .range(&self.chain.store, None, None, Order::Ascending)
            .map(|r| r.unwrap().1.parse::<u128>().unwrap())
            .sum();
        assert_eq!(self.chain.balance(&fastpath_account()), total);
        assert_eq!(stats(&self.chain.store).unwrap().deposits, total);
    }

    /// The `FastPathStats` query's answer.
    fn stats_query(&self) -> FastPathStats {
        self.chain
            .query("orchestration", "FastPathStats", serde_json::json!({}))
            .unwrap()
    }
}

#[test]
fn settlement_charges_the_deposit_and_pays_exactly_then_rejects_a_replay() {
    let mut s = setup();
    // Signers other than the head, so its balance shows only the head's share.
    let head = s.head.addr.clone();
    let subnet: Vec<SimWorker> = s
        .subnet()
        .into_iter()
        .filter(|w| w.addr != head)
        .cloned()
        .collect();
    let signers: Vec<&SimWorker> = subnet.iter().take(3).collect();
    let before_workers: Vec<u128> = signers.iter().map(|w| s.chain.balance(&w.addr)).collect();
    let head_before = s.chain.balance(&s.head.addr);
    let community_before = s.chain.balance(&community_pool());
    let burned_before = s.chain.burned();
    let deposit_before = s.deposit_now();

    const N: u128 = 5;
    let receipts: Vec<Receipt> = (0..N as u64).map(|n| s.receipt(n, &signers).0).collect();
    s.settle(receipts.clone()).expect("settle");

    let split = fastpath_split(
        &bls_fees::state::invocation_split(&s.chain.store).unwrap(),
        FEE,
        3,
    );
    assert!(split.per_worker > 0 && split.head > 0 && split.burn > 0);
    assert_eq!(
        split.per_worker * 3 + split.head + split.burn + split.community,
        FEE
    );
    assert_eq!(s.deposit_now(), deposit_before - N * FEE);
    for (w, b) in signers.iter().zip(&before_workers) {
        assert_eq!(s.chain.balance(&w.addr), b + N * split.per_worker);
    }
    assert_eq!(s.chain.balance(&s.head.addr), head_before + N * split.head);
    assert_eq!(s.chain.burned(), burned_before + N * split.burn);
    assert_eq!(
        s.chain.balance(&community_pool()),
        community_before + N * split.community
    );
    s.assert_deposit_invariant();
    assert_eq!(s.chain.events_of("bls.fastpath_settled").len(), 5);

    // Replaying any receipt (alone or in a batch) fails and changes nothing.
    let e = assert_refused(
        s.settle(vec![receipts[2].clone()]),
        &variant!(FastPathError::Replayed(_)),
    );
    assert!(e.log.contains("already settled"), "{e}");
    let (fresh, _) = s.receipt(99, &signers);
    assert_refused(
        s.settle(vec![fresh.clone(), receipts[0].clone()]),
        &variant!(FastPathError::Replayed(_)),
    );
    assert_eq!(s.deposit_now(), deposit_before - N * FEE);
    // The same fresh receipt twice in one message is a replay too.
    assert_refused(
        s.settle(vec![fresh.clone(), fresh]),
        &variant!(FastPathError::Replayed(_)),
    );
}

#[test]
fn bad_receipts_are_rejected_with_a_reason() {
    let mut s = setup();
    let subnet: Vec<SimWorker> = s.subnet().into_iter().cloned().collect();
    let two: Vec<&SimWorker> = subnet.iter().take(2).collect();
    let one: Vec<&SimWorker> = subnet.iter().take(1).collect();

    // Tampered invoker signature.
    let (mut r, _) = s.receipt(1, &two);
    if let Some(req) = r.request.as_mut() {
        req.nonce = 2; // the signature was over nonce 1
    }
    assert_refused(
        s.settle(vec![r]),
        &variant!(FastPathError::BadRequestSignature { index, reason }),
    );

    // A worker signature over a different result hash.
    let (mut r, _) = s.receipt(3, &two);
    r.result_hash = vec![8u8; 32];
    assert_refused(
        s.settle(vec![r]),
        &variant!(FastPathError::BadWorkerSignature {
            index,
            worker,
            reason
        }),
    );

    // Below quorum.
    let (r, _) = s.receipt(4, &one);
    assert_refused(
        s.settle(vec![r]),
        &variant!(FastPathError::NoQuorum { index, have, need }),
    );

    // A duplicate signer does not count twice.
    let (r, _) = s.receipt(5, &[one[0], one[0]]);
    assert_refused(
        s.settle(vec![r]),
        &variant!(FastPathError::BadWorkerSignature {
            index,
            worker,
            reason
        }),
    );

    // A signer outside the subnetwork.
    let outsider = s.outsider().clone();
    let (r, _) = s.receipt(6, &[two[0], &outsider]);
    let e = s.settle(vec![r]).unwrap_err();
    assert!(e.log.contains("subnetwork"), "{e}");

    // Settled by a plain worker, not a head.
    let (r, _) = s.receipt(7, &two);
    assert_refused(
        s.settle_as(&two[0].addr.clone(), vec![r]),
        &variant!(FastPathError::NotHead(_)),
    );

    // A receipt naming other code than its request asks for.
    let (mut r, id) = s.receipt(8, &[]);
    r.code_hash = vec![1u8; 32];
    r.signatures = two
        .iter()
        .map(|w| WorkerSignature {
            worker: w.addr.to_string(),
            signature: sign(&w.key, &result_digest(&id, &[1u8; 32], &[9u8; 32])),
        })
        .collect();
    assert_refused(
        s.settle(vec![r]),
        &variant!(FastPathError::CodeNotRequested {
            index,
            requested,
            receipt
        }),
    );

    // A request (and receipt) for code that is not the function's.
    let (req, id) = s
        .invoker
        .request(CHAIN_ID, s.function, &[1u8; 32], 80, MAX_FEE, s.expiry());
    let r = Receipt {
        request: Some(req),
        code_hash: vec![1u8; 32],
        result_hash: vec![9u8; 32],
        signatures: two
            .iter()
            .map(|w| worker_sig(w, &id, &[1u8; 32], &[9u8; 32]))
            .collect(),
    };
    assert_refused(
        s.settle(vec![r]),
        &variant!(FastPathError::WrongCode {
            index,
            function,
            want,
            got
        }),
    );

    // max_fee below the fee.
    let (req, id) = s.request("bls-test", 9, FEE - 1);
    let r = Receipt {
        request: Some(req),
        code_hash: s.code_hash.to_vec(),
        result_hash: vec![9u8; 32],
        signatures: two
            .iter()
            .map(|w| s.worker_sig(w, &id, &[9u8; 32]))
            .collect(),
    };
    assert_refused(
        s.settle(vec![r]),
        &variant!(FastPathError::FeeAboveMax {
            index,
            fee,
            max_fee
        }),
    );

    // A request signed for another chain.
    let (req, id) = s.request("other-chain", 10, 5_000);
    let r = Receipt {
        request: Some(req),
        code_hash: s.code_hash.to_vec(),
        result_hash: vec![9u8; 32],
        signatures: two
            .iter()
            .map(|w| s.worker_sig(w, &id, &[9u8; 32]))
            .collect(),
    };
    assert_refused(
        s.settle(vec![r]),
        &variant!(FastPathError::BadRequestSignature { index, reason }),
    );

    // Unfunded: withdraw everything, then a valid receipt cannot be charged.
    let all = s.deposit_now();
    let msg = MsgFastPathWithdraw {
        invoker: s.invoker.addr.to_string(),
        amount: Some(ProtoCoin::ubls(all)),
    };
    let inv = s.invoker.addr.clone();
    let bal = s.chain.balance(&inv);
    s.chain
        .orch(&inv, encode_any(&msg, MSG_FASTPATH_WITHDRAW))
        .expect("withdraw request");
    let release = s.chain.block.height + FASTPATH_WITHDRAW_DELAY;
    s.chain.until(release);
    s.chain
        .orch(&inv, encode_any(&msg, MSG_FASTPATH_WITHDRAW))
        .expect("withdraw completed");
    assert_eq!(s.chain.balance(&inv), bal + all);
    assert_eq!(s.deposit_now(), 0);
    let (r, _) = s.receipt(11, &two);
    assert_refused(
        s.settle(vec![r]),
        &variant!(FastPathError::InsufficientDeposit {
            invoker,
            have,
            need
        }),
    );
    s.assert_deposit_invariant();
    assert!(s.chain.events_of("bls.fastpath_settled").is_empty());
}

#[test]
fn pinned_heads_restrict_settlement() {
    let mut s = setup();
    let other_head = SimWorker::new(51, "us", "AS998");
    register_head(&mut s.chain, &other_head);
    let owner = s.owner.clone();
    let pin = MsgSetPinnedHeads {
        owner: owner.to_string(),
        function_id: s.function,
        heads: vec![other_head.addr.to_string()],
    };
    // Only the owner may pin.
    let inv = s.invoker.addr.clone();
    let not_owner = MsgSetPinnedHeads {
        owner: inv.to_string(),
        ..pin.clone()
    };
    assert_refused(
        s.chain
            .orch(&inv, encode_any(&not_owner, MSG_SET_PINNED_HEADS)),
        &variant!(OrchestrationError::NotOwner {
            function,
            owner,
            signer
        }),
    );
    s.chain
        .orch(&owner, encode_any(&pin, MSG_SET_PINNED_HEADS))
        .expect("pin");
    let subnet: Vec<SimWorker> = s.subnet().into_iter().cloned().collect();
    let two: Vec<&SimWorker> = subnet.iter().take(2).collect();
    let (r, _) = s.receipt(1, &two);
    assert_refused(
        s.settle(vec![r.clone()]),
        &variant!(FastPathError::HeadNotPinned { function, head }),
    );
    s.settle_as(&other_head.addr, vec![r])
        .expect("pinned head settles");
}

#[test]
fn evidence_slashes_the_minority_and_equivocators_once() {
    let mut s = setup();
    let subnet: Vec<SimWorker> = s.subnet().into_iter().cloned().collect();
    assert_eq!(
        subnet.len(),
        4,
        "bar = max(quorum 2, 4/2 + 1) = 3 member signatures"
    );
    let (req, id) = s.request("bls-test", 1, 5_000);
    let good_bytes = outcome(b"good", 1);
    let bad_bytes = outcome(b"bad", 1);
    let good = sha(&good_bytes);
    let bad = sha(&bad_bytes);
    let code = s.code_hash;
    let signed = |w: &SimWorker, h: &[u8; 32]| signed_result(w, &w.key, &id, &code, h);
    let liar = subnet[3].clone();
    let outcomes: [(&[u8; 32], &[u8]); 2] = [(&good, &good_bytes), (&bad, &bad_bytes)];
    let ev = |results: Vec<SignedResult>| evidence(&user(9), &req, results, &outcomes);
    // 2 vs 1 with quorum 2 but 4 members: no majority of the subnetwork, inconclusive.
    let m = ev(vec![
        signed(&subnet[0], &good),
        signed(&subnet[1], &good),
        signed(&liar, &bad),
    ]);
    let e = assert_refused(
        submit(&mut s.chain, &m),
        &variant!(FastPathError::Inconclusive(_)),
    );
    assert!(e.log.contains("subnetwork members"), "{e}");
    // A forged signature is refused.
    let mut forged = signed(&subnet[1], &good);
    forged.signature = sign(&liar.key, &result_digest(&id, &code, &good));
    let m = ev(vec![signed(&subnet[0], &good), forged, signed(&liar, &bad)]);
    assert_refused(
        submit(&mut s.chain, &m),
        &variant!(FastPathError::BadWorkerSignature {
            index,
            worker,
            reason
        }),
    );

    let bond_before = bls_registry::state::must_get_worker(&s.chain.store, &liar.addr)
        .unwrap()
        .bond;
    let m = ev(vec![
        signed(&subnet[0], &good),
        signed(&subnet[1], &good),
        signed(&subnet[2], &good),
        signed(&liar, &bad),
    ]);
    let r = submit(&mut s.chain, &m).expect("evidence accepted");
    assert_eq!(r.slashed, vec![liar.addr.to_string()]);
    let w = bls_registry::state::must_get_worker(&s.chain.store, &liar.addr).unwrap();
    assert_eq!(w.status, WorkerStatus::Jailed);
    assert_eq!(w.bond, bond_before - bond_before * 500 / 10_000);
    for honest in &subnet[..3] {
        let h = bls_registry::state::must_get_worker(&s.chain.store, &honest.addr).unwrap();
        assert_eq!(h.status, WorkerStatus::Active);
        assert_eq!(h.slashed_total, 0);
    }
    // The same evidence again: nobody new to punish.
    let e = assert_refused(
        submit(&mut s.chain, &m),
        &variant!(FastPathError::Inconclusive(_)),
    );
    assert!(e.log.contains("already punished"), "{e}");

    // An equivocating worker (two different hashes for one request) is slashed on its own,
    // outcomes or not.
    let (req2, id2) = s.request("bls-test", 2, 5_000);
    let eq = &subnet[0];
    let m = evidence(
        &user(9),
        &req2,
        vec![
            signed_result(eq, &eq.key, &id2, &code, &good),
            signed_result(eq, &eq.key, &id2, &code, &bad),
        ],
        &[],
    );
    let r = submit(&mut s.chain, &m).expect("equivocation evidence");
    assert_eq!(r.slashed, vec![eq.addr.to_string()]);
}

#[test]
fn deposit_and_withdraw_keep_the_module_account_equal_to_deposits() {
    let mut s = setup();
    let inv = s.invoker.addr.clone();
    let bal = s.chain.balance(&inv);
    s.deposit(500).unwrap();
    assert_eq!(s.deposit_now(), 100_500);
    assert_eq!(s.chain.balance(&inv), bal - 500);
    let too_much = MsgFastPathWithdraw {
        invoker: inv.to_string(),
        amount: Some(ProtoCoin::ubls(100_501)),
    };
    assert_refused(
        s.chain
            .orch(&inv, encode_any(&too_much, MSG_FASTPATH_WITHDRAW)),
        &variant!(FastPathError::InsufficientDeposit {
            invoker,
            have,
            need
        }),
    );
    // A withdrawal is a request first; the money stays (and can still pay receipts)
    // until the delay has passed.
    let w = MsgFastPathWithdraw {
        invoker: inv.to_string(),
        amount: Some(ProtoCoin::ubls(60_000)),
    };
    s.chain
        .orch(&inv, encode_any(&w, MSG_FASTPATH_WITHDRAW))
        .expect("request");
    let requested_at = s.chain.block.height;
    let q: bls_orchestration::fastpath::queries::DepositResponse = s
        .chain
        .query(
            "orchestration",
            "FastPathDeposit",
            serde_json::json!({"invoker": inv.to_string()}),
        )
        .unwrap();
    assert_eq!(
        (q.withdrawing.as_str(), q.release_height),
        ("60000", requested_at + FASTPATH_WITHDRAW_DELAY)
    );
    assert_eq!(s.chain.balance(&inv), bal - 500);
    s.chain.until(requested_at + FASTPATH_WITHDRAW_DELAY - 1);
    let e = s
        .chain
        .orch(&inv, encode_any(&w, MSG_FASTPATH_WITHDRAW))
        .unwrap_err();
    assert!(e.log.contains("pending until height"), "{e}");
    // Receipts settled meanwhile are charged first; the payout is what is left.
    let subnet: Vec<SimWorker> = s.subnet().into_iter().cloned().collect();
    let (r, _) = s.receipt(1, &[&subnet[0], &subnet[1]]);
    s.settle(vec![r]).expect("settle during the delay");
    s.chain.until(requested_at + FASTPATH_WITHDRAW_DELAY);
    s.chain
        .orch(&inv, encode_any(&w, MSG_FASTPATH_WITHDRAW))
        .expect("complete");
    assert_eq!(s.deposit_now(), 100_500 - FEE - 60_000);
    assert_eq!(s.chain.balance(&inv), bal - 500 + 60_000);
    s.assert_deposit_invariant();
    assert_refused(
        s.deposit(0),
        &variant!(FastPathError::InvalidField { field, reason }),
    );
    assert!(s.deposit(10_000_000).is_err(), "more than the balance");
    s.assert_deposit_invariant();
    let q: bls_orchestration::fastpath::queries::DepositResponse = s
        .chain
        .query(
            "orchestration",
            "FastPathDeposit",
            serde_json::json!({"invoker": inv.to_string()}),
        )
        .unwrap();
    assert_eq!(q.deposit, (100_500 - FEE - 60_000).to_string());
}

#[test]
fn payload_hash_binds_input_args_and_env() {
    use sha2::{Digest, Sha256};
    use std::collections::BTreeMap;
    let none = BTreeMap::new();
    // Without env: exactly the length-prefixed input and args (what clients already sign).
    let mut h = Sha256::new();
    h.update(3u64.to_be_bytes());
    h.update(b"Ada");
    h.update(1u64.to_be_bytes());
    h.update(1u64.to_be_bytes());
    h.update(b"x");
    let want: [u8; 32] = h.finalize().into();
    assert_eq!(payload_hash(b"Ada", &["x".into()], &none), want);
    // Env changes the hash, unambiguously, whatever order it was built in.
    let env = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let a = payload_hash(b"Ada", &[], &env(&[("A", "1"), ("B", "2")]));
    assert_ne!(a, payload_hash(b"Ada", &[], &none));
    assert_eq!(
        a,
        payload_hash(b"Ada", &[], &env(&[("B", "2"), ("A", "1")]))
    );
    assert_ne!(
        payload_hash(b"", &[], &env(&[("a", "bc")])),
        payload_hash(b"", &[], &env(&[("ab", "c")]))
    );
    assert_ne!(
        a,
        payload_hash(b"Ada", &[], &env(&[("A", "1"), ("B", "3")]))
    );
}

#[test]
fn stats_count_exactly_what_settled_and_nothing_of_a_rejected_message() {
    let mut s = setup();
    let subnet: Vec<SimWorker> = s.subnet().into_iter().cloned().collect();
    let three: Vec<&SimWorker> = subnet.iter().take(3).collect();
    let two: Vec<&SimWorker> = subnet.iter().take(2).collect();
    let shares = bls_fees::state::invocation_split(&s.chain.store).unwrap();
    let (split3, split2) = (
        fastpath_split(&shares, FEE, 3),
        fastpath_split(&shares, FEE, 2),
    );
    let burned_before = s.chain.burned();

    // Before any settlement: only the setup's deposit. Amounts are strings in JSON.
    assert_eq!(
        s.stats_query(),
        FastPathStats {
            deposits: 100_000,
            ..FastPathStats::default()
        }
    );
    let raw = bls_core::Module::query(
        &bls_orchestration::OrchestrationModule,
        &s.chain.store,
        "FastPathStats",
        b"",
    )
    .unwrap();
    let raw: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    assert_eq!(raw["receipts_settled"], "0");
    assert_eq!(raw["deposits"], "100000");

    // Three receipts signed by three workers, then two signed by two, in two messages.
    let batch: Vec<Receipt> = (1..=3).map(|n| s.receipt(n, &three).0).collect();
    s.settle(batch).expect("settle 3");
    let batch: Vec<Receipt> = (4..=5).map(|n| s.receipt(n, &two).0).collect();
    s.settle(batch).expect("settle 2");
    let want = FastPathStats {
        settlements: 2,
        receipts_settled: 5,
        fees_charged: 5 * FEE,
        burned: 3 * split3.burn + 2 * split2.burn,
        to_heads: 3 * split3.head + 2 * split2.head,
        to_workers: 3 * 3 * split3.per_worker + 2 * 2 * split2.per_worker,
        to_community: 3 * split3.community + 2 * split2.community,
        deposits: 100_000 - 5 * FEE,
        to_owners: 0,
    };
    assert_eq!(s.stats_query(), want);
    assert_eq!(
        want.burned + want.to_heads + want.to_workers + want.to_community,
        want.fees_charged
    );
    assert_eq!(s.chain.burned() - burned_before, want.burned);
    s.assert_deposit_invariant();

    // A message whose first receipt is good and second a replay fails whole: no counter moves.
    let (fresh, _) = s.receipt(6, &three);
    let (replay, _) = s.receipt(1, &three);
    assert_refused(
        s.settle(vec![fresh.clone(), replay]),
        &variant!(FastPathError::Replayed(_)),
    );
    // So does one whose second receipt lacks the quorum.
    let (thin, _) = s.receipt(7, &two[..1]);
    assert_refused(
        s.settle(vec![fresh, thin]),
        &variant!(FastPathError::NoQuorum { index, have, need }),
    );
    assert_eq!(s.stats_query(), want);

    // A deposit and a completed withdrawal move the deposit total; a pending one does not.
    s.deposit(2_500).unwrap();
    let inv = s.invoker.addr.clone();
    let w = MsgFastPathWithdraw {
        invoker: inv.to_string(),
        amount: Some(ProtoCoin::ubls(1_000)),
    };
    s.chain
        .orch(&inv, encode_any(&w, MSG_FASTPATH_WITHDRAW))
        .expect("request");
    assert_eq!(s.stats_query().deposits, want.deposits + 2_500);
    let height = s.chain.block.height;
    s.chain.until(height + FASTPATH_WITHDRAW_DELAY);
    s.chain
        .orch(&inv, encode_any(&w, MSG_FASTPATH_WITHDRAW))
        .expect("complete");
    assert_eq!(
        s.stats_query(),
        FastPathStats {
            deposits: want.deposits + 2_500 - 1_000,
            ..want
        }
    );
    s.assert_deposit_invariant();
}

/// A listed function's settled receipt charges the deposit the fee plus the price, paid to the
/// owner. The price charged is the one the invoker could have seen: a request signed before a
/// price raise pays the old price, one signed after pays the new one within what its signed
/// `max_fee` leaves; relisting higher after a request was signed collects at most what its
/// `max_fee` leaves beside the fee (nothing for a client that signs the exact cost). A price
/// changes at most once per cooldown.
#[test]
fn a_listed_function_pays_its_owner_no_more_than_its_invoker_could_see() {
    use bls_core::module::encode_any;
    use bls_orchestration::market::msgs::{
        MsgPublishListing, MsgUnlistFunction, MSG_PUBLISH_LISTING, MSG_UNLIST_FUNCTION,
        MSG_UPDATE_LISTING,
    };
    let mut s = setup();
    let (owner, function) = (s.owner.clone(), s.function);
    let publish = |price: u128| MsgPublishListing {
        owner: owner.to_string(),
        function_id: function,
        name: "Hello".into(),
        description: String::new(),
        tags: vec![],
        license: "MIT".into(),
        source_url: String::new(),
        price: Some(ProtoCoin::ubls(price)),
        terms: String::new(),
    };
    // An update carries the same fields as a publish (one `ListingMsg`).
    let update = publish;
    s.chain
        .orch(&owner, encode_any(&publish(3_000), MSG_PUBLISH_LISTING))
        .unwrap();
    let listed_at = s.chain.block.height;
    let members: Vec<SimWorker> = s.subnet().into_iter().cloned().collect();
    let three: Vec<&SimWorker> = members[..3].iter().collect();
    let earned = |s: &Setup| s.chain.balance(&s.owner);
    let mut deposit = 100_000;

    // Signed and settled while the price is 3 000.
    s.chain.next_block();
    let (r1, _) = s.receipt(1, &three);
    s.settle(vec![r1]).unwrap();
    deposit -= FEE + 3_000;
    assert_eq!((earned(&s), s.deposit_now()), (3_000, deposit));
    let paid = s.chain.events_of("bls.royalty_paid");
    assert_eq!(paid.len(), 1);
    assert_eq!(paid[0].get("amount"), Some("3000"));

    // Too soon to change the price again (requests signed under it may still settle).
    let e = s
        .chain
        .orch(&owner, encode_any(&update(10_000), MSG_UPDATE_LISTING))
        .unwrap_err()
        .to_string();
    assert!(e.contains("may change again from height"), "{e}");
    let cooldown = FASTPATH_TTL + FASTPATH_SETTLE_WINDOW;
    s.chain.until(listed_at + cooldown - 1);
    // Signed now, settled after the raise: the price it could see.
    let (before_raise, _) = s.receipt(2, &three);
    s.chain.next_block();
    s.chain
        .orch(&owner, encode_any(&update(10_000), MSG_UPDATE_LISTING))
        .unwrap();
    s.chain.next_block();
    s.settle(vec![before_raise]).unwrap();
    deposit -= FEE + 3_000;
    assert_eq!((earned(&s), s.deposit_now()), (6_000, deposit));
    // Signed after the raise: the new price, but only what max_fee (5 000) leaves beside the
    // fee (1 000).
    let (after_raise, _) = s.receipt(3, &three);
    s.settle(vec![after_raise]).unwrap();
    deposit -= MAX_FEE;
    assert_eq!(
        (earned(&s), s.deposit_now()),
        (6_000 + MAX_FEE - FEE, deposit)
    );

    // Unlisted, then relisted at 50 000: a request signed in between pays what its max_fee
    // leaves (4 000 here), not 50 000.
    s.chain
        .orch(
            &owner,
            encode_any(
                &MsgUnlistFunction {
                    owner: owner.to_string(),
                    function_id: function,
                },
                MSG_UNLIST_FUNCTION,
            ),
        )
        .unwrap();
    let (unlisted, _) = s.receipt(4, &three);
    s.chain.next_block();
    s.chain
        .orch(&owner, encode_any(&publish(50_000), MSG_PUBLISH_LISTING))
        .unwrap();
    s.chain.next_block();
    s.settle(vec![unlisted]).unwrap();
    deposit -= MAX_FEE;
    assert_eq!(
        (earned(&s), s.deposit_now()),
        (6_000 + 2 * (MAX_FEE - FEE), deposit)
    );

    let st = s.stats_query();
    assert_eq!(st.to_owners, 6_000 + 2 * (MAX_FEE - FEE));
    assert_eq!(
        st.burned + st.to_heads + st.to_workers + st.to_community + st.to_owners,
        st.fees_charged
    );
    s.assert_deposit_invariant();
    let f: bls_orchestration::market::queries::StatsView = s
        .chain
        .query(
            "orchestration",
            "FunctionStats",
            serde_json::json!({"function_id": s.function}),
        )
        .unwrap();
    assert_eq!((f.invocations, f.results), (4, 4));
    assert_eq!(f.revenue, (6_000 + 2 * (MAX_FEE - FEE)).to_string());
}
