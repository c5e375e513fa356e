//! Attack 8 of issue #12, "unanswerable heads": a head worker lies in a signed answer or
//! charges for an answer it never gave, and must not get away with it. Every test performs
//! the attack in-process and asserts the outcome: the cheating head slashed and jailed and the
//! invoker refunded where that is the rule, honest heads and bonds untouched otherwise, and
//! refused messages changing no state.

mod common;

use bls_core::module::encode_any;
use bls_core::{Address, ModuleError};
use bls_orchestration::fastpath::head::genesis::HeadGenesis;
use bls_orchestration::fastpath::head::msgs::*;
use bls_orchestration::fastpath::head::queries::{
    HeadChallengeResponse, OpenHeadChallengesResponse,
};
use bls_orchestration::fastpath::head::state::{
    challenge_account, open_deposits, ChallengeStatus, CHALLENGE_ACCOUNT,
};
use bls_orchestration::fastpath::msgs::*;
use bls_orchestration::fastpath::state::deposit_of;
use bls_orchestration::msgs::{MsgUpdateFunction, MSG_UPDATE_FUNCTION};
use bls_orchestration::testing::SUBNETS;
use bls_registry::WorkerStatus;
use common::fastpath::*;
use common::*;
use cosmwasm_std::{Order, Storage};
use k256::ecdsa::SigningKey;
use sha2::{Digest, Sha256};

/// Head params of these tests (the harness's registry unbonds in 10 blocks).
const SLASH_BPS: u32 = 1_000;
const JAIL: u64 = 20;
const DISPUTE: u64 = 5;
const WINDOW: u64 = 3;
const DEPOSIT: u128 = 2_500;

fn head_params() -> serde_json::Value {
    let mut p = params();
    let o = p.as_object_mut().unwrap();
    o.insert("head_slash_fraction_bps".into(), SLASH_BPS.into());
    o.insert("head_jail_blocks".into(), JAIL.into());
    o.insert("head_dispute_window".into(), DISPUTE.into());
    o.insert("challenge_window".into(), WINDOW.into());
    o.insert("challenge_deposit".into(), DEPOSIT.to_string().into());
    p
}

struct Setup {
    chain: Chain,
    workers: Vec<SimWorker>,
    head: SimWorker,
    owner: Address,
    invoker: Invoker,
    function: u64,
    code_hash: [u8; 32],
    outcome: Vec<u8>,
    result: [u8; 32],
}

/// What a head served for one request: the signed request and the head's statement.
#[derive(Clone)]
struct Served {
    request: SignedRequest,
    id: [u8; 32],
    statement: HeadStatement,
}

fn setup() -> Setup {
    setup_with(head_params())
}

fn setup_with(params: serde_json::Value) -> Setup {
    let mut chain = Chain::new(params);
    let workers = six_workers();
    for w in &workers {
        chain.register(w);
    }
    let head = SimWorker::new(50, "eu", "AS999");
    register_head(&mut chain, &head);
    let owner = user(200);
    let wasm = hello_wasm();
    let code_hash: [u8; 32] = Sha256::digest(&wasm).into();
    let function = chain
        .deploy(&owner, gzip(&wasm), "{}", 3, 2)
        .expect("deploy");
    let invoker = Invoker::new(77);
    chain.fund(&invoker.addr, 1_000_000);
    deposit(&mut chain, &invoker.addr, 100_000).expect("deposit");
    let outcome = outcome(b"Hello, Ada!\n", 7);
    let result: [u8; 32] = Sha256::digest(&outcome).into();
    Setup {
        chain,
        workers,
        head,
        owner,
        invoker,
        function,
        code_hash,
        outcome,
        result,
    }
}

fn signed_result(w: &SimWorker, id: &[u8; 32], code: &[u8; 32], result: &[u8; 32]) -> SignedResult {
    SignedResult {
        worker: w.addr.to_string(),
        result_hash: result.to_vec(),
        signature: sign(&w.key, &result_digest(id, code, result)),
    }
}

fn sign_statement(key: &SimWorker, s: HeadStatement) -> HeadStatement {
    sign_statement_with(&key.key, s)
}

fn sign_statement_with(key: &SigningKey, mut s: HeadStatement) -> HeadStatement {
    s.signature = sign(key, &head_statement_digest(&s));
    s
}

/// A fresh secp256k1 key (`n` tells keys apart).
fn new_key(n: u8) -> SigningKey {
    let mut b = [0x42u8; 32];
    b[31] = n;
    SigningKey::from_slice(&b).unwrap()
}

impl Setup {
    fn members(&self) -> Vec<SimWorker> {
        let members = SUBNETS
            .load(&self.chain.store, self.function)
            .unwrap()
            .workers;
        // The head is a worker too and may hold a seat.
        members
            .iter()
            .map(|a| {
                if *a == self.head.addr {
                    self.head.clone()
                } else {
                    find(&self.workers, a.as_str()).clone()
                }
            })
            .collect()
    }

    fn outsider(&self) -> SimWorker {
        let members = SUBNETS
            .load(&self.chain.store, self.function)
            .unwrap()
            .workers;
        self.workers
            .iter()
            .find(|w| !members.contains(&w.addr))
            .expect("a worker outside the subnetwork")
            .clone()
    }

    /// The honest answer to request `nonce`: the quorum result signed by three members,
    /// the outcome served as it is, the state as of now, signed by the head.
    fn honest(&self, nonce: u64) -> Served {
        let expiry = self.chain.block.height + FASTPATH_TTL;
        let (request, id) = self.invoker.request(
            CHAIN_ID,
            self.function,
            &self.code_hash,
            nonce,
            MAX_FEE,
            expiry,
        );
        let f =
            bls_orchestration::state::must_get_function(&self.chain.store, self.function).unwrap();
        let subnet = SUBNETS.load(&self.chain.store, self.function).unwrap();
        let signatures = self
            .members()
            .iter()
            .take(3)
            .map(|w| signed_result(w, &id, &self.code_hash, &self.result))
            .collect();
        let statement = sign_statement(
            &self.head,
            HeadStatement {
                head: self.head.addr.to_string(),
                request_id: id.to_vec(),
                code_hash: self.code_hash.to_vec(),
                result_hash: self.result.to_vec(),
                outcome_hash: self.result.to_vec(),
                height: self.chain.block.height,
                function_version: f.version,
                subnetwork_height: subnet.placed_height,
                signatures,
                signature: vec![],
            },
        );
        Served {
            request,
            id,
            statement,
        }
    }

    /// `served` with `edit` applied, re-signed by the head (a lie the head signed).
    fn lie(&self, served: &Served, edit: impl FnOnce(&mut HeadStatement)) -> Served {
        let mut s = served.clone();
        edit(&mut s.statement);
        s.statement = sign_statement(&self.head, s.statement);
        s
    }

    /// The receipt of `served` the head settles (result `result`, signed by three members).
    fn receipt(&self, served: &Served, result: &[u8; 32]) -> Receipt {
        Receipt {
            request: Some(served.request.clone()),
            code_hash: self.code_hash.to_vec(),
            result_hash: result.to_vec(),
            signatures: self
                .members()
                .iter()
                .take(3)
                .map(|w| worker_sig(w, &served.id, &self.code_hash, result))
                .collect(),
        }
    }

    fn settle(&mut self, served: &Served) {
        let r = self.receipt(served, &self.result.clone());
        let head = self.head.addr.clone();
        settle(&mut self.chain, &head, vec![r]).expect("settle");
    }

    fn report_as(
        &mut self,
        reporter: &Address,
        served: &Served,
    ) -> Result<MsgReportHeadResponse, ModuleError> {
        let msg = MsgReportHead {
            reporter: reporter.to_string(),
            request: Some(served.request.clone()),
            statement: Some(served.statement.clone()),
        };
        let r = self
            .chain
            .orch(reporter, encode_any(&msg, MSG_REPORT_HEAD))?;
        Ok(<MsgReportHeadResponse as prost::Message>::decode(r.value.as_slice()).unwrap())
    }

    fn report(&mut self, served: &Served) -> Result<MsgReportHeadResponse, ModuleError> {
        let me = self.invoker.addr.clone();
        self.report_as(&me, served)
    }

    fn challenge_as(
        &mut self,
        invoker: &Address,
        id: &[u8],
    ) -> Result<MsgChallengeHeadResponse, ModuleError> {
        let msg = MsgChallengeHead {
            invoker: invoker.to_string(),
            request_id: id.to_vec(),
        };
        let r = self
            .chain
            .orch(invoker, encode_any(&msg, MSG_CHALLENGE_HEAD))?;
        Ok(<MsgChallengeHeadResponse as prost::Message>::decode(r.value.as_slice()).unwrap())
    }

    fn challenge(&mut self, id: &[u8]) -> Result<MsgChallengeHeadResponse, ModuleError> {
        let me = self.invoker.addr.clone();
        self.challenge_as(&me, id)
    }

    fn answer_as(&mut self, head: &Address, id: &[u8], outcome: &[u8]) -> Result<(), ModuleError> {
        let msg = MsgAnswerChallenge {
            head: head.to_string(),
            request_id: id.to_vec(),
            outcome: outcome.to_vec(),
        };
        self.chain
            .orch(head, encode_any(&msg, MSG_ANSWER_CHALLENGE))?;
        Ok(())
    }

    fn head_record(&self) -> bls_registry::Worker {
        bls_registry::state::must_get_worker(&self.chain.store, &self.head.addr).unwrap()
    }

    fn query(&self, id: &[u8; 32]) -> HeadChallengeResponse {
        self.chain
            .query(
                "orchestration",
                "HeadChallenge",
                serde_json::json!({"request_id": hex::encode(id)}),
            )
            .unwrap()
    }

    /// Supply + burned never changes, and the challenge account holds exactly the open
    /// deposits.
    fn assert_invariants(&self, supply_and_burned: u128) {
        assert_eq!(self.chain.supply() + self.chain.burned(), supply_and_burned);
        assert_eq!(
            self.chain.balance(&challenge_account()),
            open_deposits(&self.chain.store).unwrap(),
            "{} != Σ open deposits",
            CHALLENGE_ACCOUNT.name()
        );
    }

    fn total(&self) -> u128 {
        self.chain.supply() + self.chain.burned()
    }
}

/// Asserts `head` was punished once: its bond cut by the slash fraction and the restitution,
/// jailed; returns (slashed, refunded) as the chain reported them.
fn assert_punished(s: &Setup, bond_before: u128, refund: u128) {
    let w = s.head_record();
    let slash = bls_core::amount::mul_bps(bond_before, SLASH_BPS);
    assert_eq!(w.bond, bond_before - slash - refund, "slash + restitution");
    assert_eq!(w.slashed_total, slash);
    assert_eq!(w.status, WorkerStatus::Jailed);
    assert!(w.jailed_until >= s.chain.block.height + JAIL - 1);
}

fn assert_workers_untouched(s: &Setup) {
    for w in &s.workers {
        let r = bls_registry::state::must_get_worker(&s.chain.store, &w.addr).unwrap();
        assert_eq!(
            (r.bond, r.status),
            (BOND, WorkerStatus::Active),
            "{}",
            w.addr
        );
    }
}

// ---------------------------------------------------------------------------------------
// Lies in a signed answer.

/// Proves `lie` by a report and asserts the punishment and the refund (when settled).
fn prove(s: &mut Setup, lie: &Served, kind: &str, settled: bool) {
    let total = s.total();
    let bond = s.head_record().bond;
    let inv = s.chain.balance(&s.invoker.addr);
    let r = s.report(lie).expect("the report proves the lie");
    assert_eq!(r.lie, kind);
    let refund = if settled { FEE } else { 0 };
    assert_eq!(r.refunded, refund.to_string());
    assert_eq!(
        r.slashed,
        bls_core::amount::mul_bps(bond, SLASH_BPS).to_string()
    );
    assert_punished(s, bond, refund);
    assert_eq!(s.chain.balance(&s.invoker.addr), inv + refund);
    assert_workers_untouched(s);
    s.assert_invariants(total);
    let ev = s.chain.events_of("bls.head_reported");
    assert_eq!(ev.last().unwrap().get("lie"), Some(kind));
}

#[test]
fn attack_unanswerable_head_lie_served_outcome_is_not_the_result() {
    let mut s = setup();
    let honest = s.honest(1);
    s.settle(&honest);
    // The head serves tampered bytes and signs what it served.
    let tampered: [u8; 32] = Sha256::digest(outcome(b"Hello, Eve!\n", 7)).into();
    let lie = s.lie(&honest, |st| st.outcome_hash = tampered.to_vec());
    prove(&mut s, &lie, "served_other_outcome", true);
}

#[test]
fn attack_unanswerable_head_lie_forged_worker_signature() {
    let mut s = setup();
    let honest = s.honest(1);
    let members = s.members();
    // Member 0's "signature" is made with member 1's key.
    let forged = signed_result(&members[1], &honest.id, &s.code_hash, &s.result).signature;
    let lie = s.lie(&honest, |st| st.signatures[0].signature = forged);
    prove(&mut s, &lie, "bad_worker_signature", false);
}

#[test]
fn attack_unanswerable_head_lie_signatures_of_non_members() {
    let mut s = setup();
    let honest = s.honest(1);
    let outsider = s.outsider();
    let sig = signed_result(&outsider, &honest.id, &s.code_hash, &s.result);
    let lie = s.lie(&honest, |st| {
        st.signatures.truncate(1);
        st.signatures.push(sig);
    });
    s.settle(&honest);
    prove(&mut s, &lie, "not_member", true);
}

#[test]
fn attack_unanswerable_head_lie_short_of_quorum() {
    let mut s = setup();
    let honest = s.honest(1);
    // One member signature (quorum 2), the second one a duplicate of it.
    let lie = s.lie(&honest, |st| {
        st.signatures.truncate(1);
        st.signatures.push(st.signatures[0].clone());
    });
    prove(&mut s, &lie, "short_of_quorum", false);
}

#[test]
fn attack_unanswerable_head_lie_answer_differs_from_the_settled_result() {
    let mut s = setup();
    let honest = s.honest(1);
    // The head settles one result and answers another (each with member signatures).
    let other: [u8; 32] = Sha256::digest(outcome(b"Hello, Eve!\n", 7)).into();
    let receipt = s.receipt(&honest, &other);
    let head = s.head.addr.clone();
    settle(&mut s.chain, &head, vec![receipt]).unwrap();
    prove(&mut s, &honest, "settled_other_result", true);
}

#[test]
fn attack_unanswerable_head_lie_signature_for_another_result_presented_as_agreeing() {
    let mut s = setup();
    let honest = s.honest(1);
    let other = [7u8; 32];
    let members = s.members();
    let dissent = signed_result(&members[2], &honest.id, &s.code_hash, &other);
    let lie = s.lie(&honest, |st| st.signatures[2] = dissent);
    prove(&mut s, &lie, "signature_for_other_result", false);
}

#[test]
fn attack_unanswerable_head_lie_claims_other_code() {
    let mut s = setup();
    let honest = s.honest(1);
    let other_code = [5u8; 32];
    let members = s.members();
    let sigs: Vec<SignedResult> = members
        .iter()
        .take(3)
        .map(|w| signed_result(w, &honest.id, &other_code, &s.result))
        .collect();
    let lie = s.lie(&honest, |st| {
        st.code_hash = other_code.to_vec();
        st.signatures = sigs;
    });
    prove(&mut s, &lie, "wrong_code", false);
}

/// The owner replaces the function's code (a new version).
fn update_code(s: &mut Setup) {
    let msg = MsgUpdateFunction {
        owner: s.owner.to_string(),
        function_id: s.function,
        wasm: gzip(&wasm(
            r#"(module (memory (export "memory") 1) (func (export "_start") nop))"#,
        )),
        code_hash: vec![],
        source_uris: vec![],
        manifest_json: String::new(),
        replication: 0,
        quorum: 0,
        code_size: 0,
    };
    let owner = s.owner.clone();
    s.chain
        .orch(&owner, encode_any(&msg, MSG_UPDATE_FUNCTION))
        .expect("update code");
    let f = bls_orchestration::state::must_get_function(&s.chain.store, s.function).unwrap();
    assert_ne!(f.code_hash, hex::encode(s.code_hash), "the code changed");
}

#[test]
fn attack_unanswerable_head_lie_claims_other_code_after_the_function_changed() {
    // The code is judged against the invoker's signed request, not the function as it is
    // now: a head claiming code the invoker never asked for lies whatever changed since.
    let mut s = setup();
    let honest = s.honest(1);
    update_code(&mut s);
    let other_code = [5u8; 32];
    let sigs: Vec<SignedResult> = s
        .members()
        .iter()
        .take(3)
        .map(|w| signed_result(w, &honest.id, &other_code, &s.result))
        .collect();
    let lie = s.lie(&honest, |st| {
        st.code_hash = other_code.to_vec();
        st.signatures = sigs;
    });
    prove(&mut s, &lie, "wrong_code", false);
}

#[test]
fn attack_unanswerable_head_framed_for_the_requested_code_after_an_update_is_refused() {
    // An honest head answered with the code the request asks for; the owner then deploys new
    // code. The answer does not become a "wrong code" lie.
    let mut s = setup();
    let honest = s.honest(1);
    s.settle(&honest);
    update_code(&mut s);
    let before = s.chain.snapshot();
    let e = assert_refused(s.report(&honest), &variant!(HeadError::NoLie(_)));
    assert!(e.log.contains("proves no lie"), "{e}");
    assert_eq!(s.chain.snapshot(), before);
    assert_eq!(s.head_record().bond, BOND);
}

#[test]
fn attack_unanswerable_head_lie_then_head_rotates_its_key_is_still_slashed() {
    // The head lies with its key, rotates to a new one a block later and hopes the report is
    // checked against the new key only: the chain checks every key the head held while the
    // request was alive.
    let mut s = setup();
    let honest = s.honest(1);
    s.settle(&honest);
    let lie = s.lie(&honest, |st| st.outcome_hash = vec![1; 32]);
    s.chain.next_block();
    let head = s.head.clone();
    let fresh = new_key(1);
    rotate(&mut s.chain, &head, &fresh).expect("rotate");
    assert_ne!(s.head_record().result_pubkey, hex::encode(head.pubkey()));
    s.chain.next_block();
    prove(&mut s, &lie, "served_other_outcome", true);
}

#[test]
fn attack_unanswerable_head_framed_by_a_colluder_rotating_its_key_is_refused() {
    // An honest head presents a member's valid signature; the member (colluding with the
    // reporter) rotates its key so its old signature no longer verifies under its current
    // key, and reports the answer as a forged signature. The chain checks the keys the
    // member held while the request was alive: the signature is valid, the head untouched.
    let mut s = setup();
    let honest = s.honest(1);
    s.settle(&honest);
    let colluder = s
        .members()
        .into_iter()
        .take(3)
        .find(|w| w.addr != s.head.addr)
        .expect("a signing member that is not the head");
    s.chain.next_block();
    rotate(&mut s.chain, &colluder, &new_key(2)).expect("rotate");
    s.chain.next_block();
    let total = s.total();
    let before = s.chain.snapshot();
    let e = assert_refused(
        s.report_as(&colluder.addr.clone(), &honest),
        &variant!(HeadError::NoLie(_)),
    );
    assert!(e.log.contains("consistent"), "{e}");
    assert_eq!(
        s.chain.snapshot(),
        before,
        "a refused report changes nothing"
    );
    let w = s.head_record();
    assert_eq!((w.bond, w.status), (BOND, WorkerStatus::Active));
    s.assert_invariants(total);
}

#[test]
fn attack_unanswerable_head_framed_with_a_key_it_retired_before_the_request_is_refused() {
    // The head's old key leaked, so it rotated. Whoever holds the old key signs a lying
    // statement for a later request: the chain only accepts keys the head held while that
    // request was alive, so the forgery proves nothing; the same lie signed with the head's
    // current key is punished.
    let mut s = setup();
    let old = s.head.clone();
    let current = new_key(3);
    rotate(&mut s.chain, &old, &current).expect("rotate");
    let rotated_at = s.chain.block.height;
    s.chain.until(rotated_at + FASTPATH_TTL + 1);
    let honest = s.honest(1);
    let mut forged = honest.clone();
    forged.statement.outcome_hash = vec![1; 32];
    let by_old_key = Served {
        statement: sign_statement_with(&old.key, forged.statement.clone()),
        ..forged.clone()
    };
    let before = s.chain.snapshot();
    let e = assert_refused(
        s.report(&by_old_key),
        &variant!(HeadError::BadHeadSignature { head, reason }),
    );
    assert!(e.log.contains("not signed by head"), "{e}");
    assert_eq!(s.chain.snapshot(), before);
    assert_eq!(s.head_record().bond, BOND);
    let by_current_key = Served {
        statement: sign_statement_with(&current, forged.statement.clone()),
        ..forged
    };
    prove(&mut s, &by_current_key, "served_other_outcome", false);
}

#[test]
fn attack_unanswerable_head_lie_then_charge_for_it_is_refused() {
    // The head lies, is reported before it settles, sits out a short jail, unjails and
    // settles the receipt anyway: the invoker must not pay for an answer proven to be a lie,
    // for as long as the chain accepts the receipt.
    let mut p = head_params();
    p["head_jail_blocks"] = 1.into();
    let mut s = setup_with(p);
    let honest = s.honest(1);
    let lie = s.lie(&honest, |st| st.outcome_hash = vec![1; 32]);
    let r = s.report(&lie).expect("the lie is proven");
    assert_eq!(
        (r.lie.as_str(), r.refunded.as_str()),
        ("served_other_outcome", "0")
    );
    s.chain.next_block();
    s.chain.next_block();
    let head = s.head.addr.clone();
    let unjail = bls_registry::msgs::MsgUnjailWorker {
        operator: head.to_string(),
        worker: head.to_string(),
    };
    s.chain
        .tx(
            &head,
            encode_any(&unjail, bls_registry::msgs::MSG_UNJAIL_WORKER),
        )
        .expect("unjail");
    assert_eq!(s.head_record().status, WorkerStatus::Active);
    let deposit = deposit_of(&s.chain.store, &s.invoker.addr).unwrap();
    let receipt = s.receipt(&honest, &s.result.clone());
    // Now, and at the last height the chain takes a receipt (past the report window).
    let last = honest.request.expiry_height + FASTPATH_SETTLE_WINDOW;
    assert!(last > lie.statement.height + DISPUTE);
    for height in [s.chain.block.height, last] {
        s.chain.until(height);
        let before = s.chain.snapshot();
        let e = assert_refused(
            settle(&mut s.chain, &head, vec![receipt.clone()]),
            &variant!(FastPathError::ChargeForProvenLie {
                index,
                request,
                head
            }),
        );
        assert!(
            e.log.contains("receipt 0") && e.log.contains("may not charge"),
            "{e}"
        );
        assert_eq!(s.chain.snapshot(), before, "height {height}");
    }
    assert_eq!(
        deposit_of(&s.chain.store, &s.invoker.addr).unwrap(),
        deposit
    );
    // Another request of the same invoker still settles: only the lie is barred.
    let other = s.honest(2);
    s.settle(&other);
}

#[test]
fn attack_unanswerable_head_lie_malformed_signed_statement() {
    let mut s = setup();
    let honest = s.honest(1);
    let lie = s.lie(&honest, |st| st.outcome_hash.truncate(31));
    prove(&mut s, &lie, "malformed_statement", false);
}

#[test]
fn attack_unanswerable_head_lie_report_of_an_honest_answer_is_refused() {
    let mut s = setup();
    let honest = s.honest(1);
    s.settle(&honest);
    let before = s.chain.snapshot();
    let e = assert_refused(s.report(&honest), &variant!(HeadError::NoLie(_)));
    assert!(
        e.log.contains("proves no lie") && e.log.contains("consistent"),
        "{e}"
    );
    assert_eq!(
        s.chain.snapshot(),
        before,
        "a refused report changes nothing"
    );
}

#[test]
fn attack_unanswerable_head_lie_forged_head_signature_is_refused() {
    let mut s = setup();
    let honest = s.honest(1);
    s.settle(&honest);
    // An attacker frames the head: a "lie" signed with the attacker's key, and one whose
    // signature is the head's signature on another statement.
    let attacker = SimWorker::new(99, "eu", "AS1");
    let mut framed = honest.clone();
    framed.statement.outcome_hash = vec![0; 32];
    let by_attacker = Served {
        statement: sign_statement(&attacker, framed.statement.clone()),
        ..framed.clone()
    };
    let mut reused = framed.clone();
    reused.statement.signature = honest.statement.signature.clone();
    let before = s.chain.snapshot();
    for f in [&by_attacker, &reused] {
        let e = assert_refused(
            s.report(f),
            &variant!(HeadError::BadHeadSignature { head, reason }),
        );
        assert!(e.log.contains("not signed by head"), "{e}");
    }
    assert_eq!(s.chain.snapshot(), before);
    assert_eq!(s.head_record().bond, BOND);
}

#[test]
fn attack_unanswerable_head_lie_double_report_slashes_once() {
    let mut s = setup();
    let honest = s.honest(1);
    s.settle(&honest);
    let lie = s.lie(&honest, |st| st.outcome_hash = vec![1; 32]);
    s.report(&lie).expect("first report");
    let bond = s.head_record().bond;
    let inv = s.chain.balance(&s.invoker.addr);
    // The same lie again, and another lie about the same request (from anyone).
    let lie2 = s.lie(&honest, |st| st.signatures.truncate(1));
    let other = user(42);
    let before = s.chain.snapshot();
    for (who, l) in [(s.invoker.addr.clone(), &lie), (other, &lie2)] {
        let e = assert_refused(
            s.report_as(&who, l),
            &variant!(HeadError::AlreadyPunished { request, head }),
        );
        assert!(e.log.contains("already punished"), "{e}");
    }
    assert_eq!(s.chain.snapshot(), before);
    assert_eq!(s.head_record().bond, bond);
    assert_eq!(s.chain.balance(&s.invoker.addr), inv);
}

/// A head signs two lying statements for one request, dated apart, where reports reach
/// further than settlement (`head_dispute_window` > `fastpath_settle_window`). The first
/// report slashes it. The second, reported after the first statement's dispute window and
/// the request's settle window but within its own, must not slash again: the punishment
/// marker lives as long as any statement for the request can be reported.
#[test]
fn attack_unanswerable_head_lie_second_statement_after_the_first_window_slashes_once() {
    let mut p = head_params();
    // Within the harness's unbonding period (10 ≥ ttl 4 + 6).
    p["head_dispute_window"] = 6.into();
    p["fastpath_settle_window"] = 1.into();
    let mut s = setup_with(p);
    let honest = s.honest(1);
    let expiry = honest.request.expiry_height;
    let first = s.lie(&honest, |st| st.outcome_hash = vec![1; 32]);
    let second = s.lie(&honest, |st| {
        st.outcome_hash = vec![2; 32];
        st.height = expiry;
    });
    s.report(&first).expect("first report");
    let bond = s.head_record().bond;
    let inv = s.chain.balance(&s.invoker.addr);
    let h0 = first.statement.height;
    // Past the first statement's reach (h0 + 6) and the request's settle window (expiry +
    // 1), inside the second's (expiry + 6).
    s.chain.until((h0 + 8).max(expiry + 2));
    assert!(
        s.chain.block.height <= expiry + 6,
        "inside the second's window"
    );
    let e = assert_refused(
        s.report(&second),
        &variant!(HeadError::AlreadyPunished { request, head }),
    );
    assert!(e.log.contains("already punished"), "{e}");
    assert_eq!(s.head_record().bond, bond);
    assert_eq!(s.chain.balance(&s.invoker.addr), inv);
}

#[test]
fn attack_unanswerable_head_lie_framing_after_the_function_changed_is_refused() {
    let mut s = setup();
    let honest = s.honest(1);
    s.settle(&honest);
    // The owner raises the quorum to 3 and the honest answer had 2 member signatures: it
    // was a valid answer when served, so it is not a lie now.
    let two = s.lie(&honest, |st| st.signatures.truncate(2));
    let msg = MsgUpdateFunction {
        owner: s.owner.to_string(),
        function_id: s.function,
        wasm: vec![],
        code_hash: vec![],
        source_uris: vec![],
        manifest_json: String::new(),
        replication: 3,
        quorum: 3,
        code_size: 0,
    };
    let owner = s.owner.clone();
    s.chain
        .orch(&owner, encode_any(&msg, MSG_UPDATE_FUNCTION))
        .unwrap();
    let before = s.chain.snapshot();
    let e = assert_refused(s.report(&two), &variant!(HeadError::NoLie(_)));
    assert!(e.log.contains("changed since the head answered"), "{e}");
    assert_eq!(s.chain.snapshot(), before);
    // A lie that needs no state still counts after the change.
    let lie = s.lie(&honest, |st| st.outcome_hash = vec![1; 32]);
    s.report(&lie).expect("state-free lie");
}

#[test]
fn attack_unanswerable_head_lie_outside_the_report_window_is_refused() {
    let mut s = setup();
    let honest = s.honest(1);
    let future = s.lie(&honest, |st| {
        st.outcome_hash = vec![1; 32];
        st.height += 2;
    });
    let old = s.lie(&honest, |st| st.outcome_hash = vec![1; 32]);
    let before = s.chain.snapshot();
    let e = assert_refused(
        s.report(&future),
        &variant!(HeadError::OutsideWindow {
            height,
            current,
            reason
        }),
    );
    assert!(e.log.contains("after the current block"), "{e}");
    assert_eq!(s.chain.snapshot(), before);
    // A statement dated outside the request's window (before `expiry - ttl` or after the
    // expiry): no head serves the request then, so it proves nothing about this request.
    let expiry = honest.request.expiry_height;
    for height in [expiry - FASTPATH_TTL - 1, expiry + 1] {
        let off = s.lie(&honest, |st| {
            st.outcome_hash = vec![1; 32];
            st.height = height;
        });
        let now = s.chain.block.height;
        s.chain.until(now.max(height));
        let before = s.chain.snapshot();
        let e = assert_refused(
            s.report(&off),
            &variant!(HeadError::OutsideWindow {
                height,
                current,
                reason
            }),
        );
        assert!(
            e.log.contains("fastpath_request_ttl"),
            "height {height}: {e}"
        );
        assert_eq!(s.chain.snapshot(), before);
    }
    let h = s.chain.block.height;
    s.chain.until(h + DISPUTE + 1);
    let before = s.chain.snapshot();
    let e = assert_refused(
        s.report(&old),
        &variant!(HeadError::OutsideWindow {
            height,
            current,
            reason
        }),
    );
    assert!(e.log.contains("head_dispute_window"), "{e}");
    assert_eq!(s.chain.snapshot(), before);
    assert_eq!(s.head_record().bond, BOND);
}

#[test]
fn attack_unanswerable_head_lie_statement_for_another_request_is_refused() {
    let mut s = setup();
    let a = s.honest(1);
    let b = s.honest(2);
    // The lie answers request 1; the report pairs it with request 2 (or a forged request).
    let lie = s.lie(&a, |st| st.outcome_hash = vec![1; 32]);
    let mismatched = Served {
        request: b.request.clone(),
        ..lie.clone()
    };
    let mut forged = lie.clone();
    forged.request.nonce = 99;
    let before = s.chain.snapshot();
    let e = assert_refused(s.report(&mismatched), &variant!(HeadError::BadRequest(_)));
    assert!(e.log.contains("answers request"), "{e}");
    assert_refused(s.report(&forged), &variant!(HeadError::BadRequest(_)));
    assert_eq!(s.chain.snapshot(), before);
}

#[test]
fn attack_unanswerable_head_lie_by_a_worker_that_is_not_a_head_is_refused() {
    let mut s = setup();
    let honest = s.honest(1);
    let worker = s.workers[0].clone();
    let mut st = honest.statement.clone();
    st.head = worker.addr.to_string();
    st.outcome_hash = vec![1; 32];
    let framed = Served {
        statement: sign_statement(&worker, st),
        ..honest
    };
    assert_refused(s.report(&framed), &variant!(HeadError::NotAHead(_)));
    assert_workers_untouched(&s);
}

#[test]
fn head_report_bad_input_is_refused_without_state_change() {
    let mut s = setup();
    let honest = s.honest(1);
    let lie = s.lie(&honest, |st| st.outcome_hash = vec![1; 32]);
    let me = s.invoker.addr.clone();
    let good = MsgReportHead {
        reporter: me.to_string(),
        request: Some(lie.request.clone()),
        statement: Some(lie.statement.clone()),
    };
    let mut cases: Vec<(&str, MsgReportHead)> = Vec::new();
    cases.push((
        "no request",
        MsgReportHead {
            request: None,
            ..good.clone()
        },
    ));
    cases.push((
        "no statement",
        MsgReportHead {
            statement: None,
            ..good.clone()
        },
    ));
    let mut m = good.clone();
    m.statement.as_mut().unwrap().signature = vec![1; 63];
    cases.push(("short head signature", m));
    let mut m = good.clone();
    m.statement.as_mut().unwrap().head = "bls1nothead".into();
    cases.push(("bad head address", m));
    let mut m = good.clone();
    let sig = m.statement.as_ref().unwrap().signatures[0].clone();
    m.statement.as_mut().unwrap().signatures = vec![sig; 257];
    cases.push(("too many signatures", m));
    let mut m = good.clone();
    m.request.as_mut().unwrap().payload_hash = vec![1; 5];
    cases.push(("bad payload hash", m));
    let before = s.chain.snapshot();
    // Every malformed report is refused as an invalid field.
    let invalid = variant!(HeadError::InvalidField { field, reason });
    for (what, m) in cases {
        let e = assert_refused(s.chain.orch(&me, encode_any(&m, MSG_REPORT_HEAD)), &invalid);
        assert!(!e.log.is_empty(), "{what}");
        assert_eq!(s.chain.snapshot(), before, "{what}");
    }
    // A reporter field that is not an address fails at the signer check.
    let mut m = good;
    m.reporter = "nobody".into();
    assert_refused(
        OrchestrationModuleSigner::signer(&m),
        &variant!(OrchestrationError::InvalidField { field, reason }),
    );
}

/// The route's signer check (what the tx pipeline runs before the handler).
struct OrchestrationModuleSigner;
impl OrchestrationModuleSigner {
    fn signer(m: &MsgReportHead) -> Result<Address, ModuleError> {
        use bls_core::Module;
        bls_orchestration::OrchestrationModule.msg_signer(&encode_any(m, MSG_REPORT_HEAD))
    }
}

// ---------------------------------------------------------------------------------------
// Charges for answers never given: challenge and response.

#[test]
fn attack_unanswerable_head_unserved_charge_unanswered_is_slashed_at_the_deadline() {
    let mut s = setup();
    let total = s.total();
    let served = s.honest(1);
    s.settle(&served); // the invoker never got an answer
    let inv = s.chain.balance(&s.invoker.addr);
    let bond = s.head_record().bond;
    let r = s.challenge(&served.id).expect("challenge");
    assert_eq!(r.head, s.head.addr.to_string());
    assert_eq!(r.deadline, s.chain.block.height + WINDOW);
    assert_eq!(s.chain.balance(&s.invoker.addr), inv - DEPOSIT);
    assert_eq!(s.chain.balance(&challenge_account()), DEPOSIT);
    s.assert_invariants(total);
    let open: OpenHeadChallengesResponse = s
        .chain
        .query(
            "orchestration",
            "OpenHeadChallenges",
            serde_json::json!({"head": s.head.addr.to_string()}),
        )
        .unwrap();
    assert_eq!(open.request_ids, vec![hex::encode(served.id)]);
    // Nothing happens before the deadline's end block.
    s.chain.until(r.deadline);
    assert_eq!(s.head_record().bond, bond);
    s.chain.next_block();
    assert_punished(&s, bond, FEE);
    assert_eq!(
        s.chain.balance(&s.invoker.addr),
        inv + FEE,
        "fee refunded, deposit back"
    );
    assert_eq!(s.chain.balance(&challenge_account()), 0);
    let q = s.query(&served.id);
    assert_eq!(q.challenge.unwrap().status, ChallengeStatus::Unanswered);
    assert!(q.settlement.unwrap().refunded);
    let ev = s.chain.events_of("bls.head_challenge_unanswered");
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].get("refunded"), Some(FEE.to_string().as_str()));
    assert_workers_untouched(&s);
    s.assert_invariants(total);
    let open: OpenHeadChallengesResponse = s
        .chain
        .query(
            "orchestration",
            "OpenHeadChallenges",
            serde_json::json!({"head": s.head.addr.to_string()}),
        )
        .unwrap();
    assert!(open.request_ids.is_empty());
}

#[test]
fn attack_unanswerable_head_unserved_answered_keeps_the_bond_and_earns_the_deposit() {
    let mut s = setup();
    let total = s.total();
    let served = s.honest(1);
    s.settle(&served);
    let head_balance = s.chain.balance(&s.head.addr);
    let inv = s.chain.balance(&s.invoker.addr);
    let r = s.challenge(&served.id).unwrap();
    let head = s.head.addr.clone();
    let outcome = s.outcome.clone();
    s.answer_as(&head, &served.id, &outcome).expect("answer");
    assert_eq!(s.chain.balance(&s.head.addr), head_balance + DEPOSIT);
    assert_eq!(s.chain.balance(&s.invoker.addr), inv - DEPOSIT);
    let q = s.query(&served.id);
    assert_eq!(q.outcome, Some(hex::encode(&s.outcome)));
    assert_eq!(q.challenge.unwrap().status, ChallengeStatus::Answered);
    s.chain.until(r.deadline + 2);
    let w = s.head_record();
    assert_eq!((w.bond, w.status), (BOND, WorkerStatus::Active));
    assert!(s.chain.events_of("bls.worker_slashed").is_empty());
    s.assert_invariants(total);
    // A second answer, or one after the deadline, finds no open challenge.
    assert_refused(
        s.answer_as(&head, &served.id, &outcome),
        &variant!(HeadError::NoOpenChallenge(_)),
    );
}

#[test]
fn attack_unanswerable_head_unserved_answer_with_a_wrong_outcome_is_refused() {
    let mut s = setup();
    let served = s.honest(1);
    s.settle(&served);
    s.challenge(&served.id).unwrap();
    let head = s.head.addr.clone();
    let before = s.chain.snapshot();
    let e = assert_refused(
        s.answer_as(&head, &served.id, &outcome(b"Hello, Eve!\n", 7)),
        &variant!(HeadError::WrongOutcome { request, want, got }),
    );
    assert!(e.log.contains("settled result"), "{e}");
    assert_eq!(s.chain.snapshot(), before);
    // Another account cannot answer for the head either.
    let worker = s.workers[0].addr.clone();
    let outcome = s.outcome.clone();
    assert_refused(
        s.answer_as(&worker, &served.id, &outcome),
        &variant!(HeadError::NotChallengedHead {
            request,
            head,
            signer
        }),
    );
    assert_eq!(s.chain.snapshot(), before);
    // Left unanswered, the head is punished.
    let bond = s.head_record().bond;
    let h = s.chain.block.height;
    s.chain.until(h + WINDOW + 1);
    assert_punished(&s, bond, FEE);
}

#[test]
fn attack_unanswerable_head_unserved_answer_after_the_deadline_is_refused() {
    let mut s = setup();
    let served = s.honest(1);
    s.settle(&served);
    let r = s.challenge(&served.id).unwrap();
    s.chain.until(r.deadline + 1);
    let head = s.head.addr.clone();
    let outcome = s.outcome.clone();
    assert_refused(
        s.answer_as(&head, &served.id, &outcome),
        &variant!(HeadError::NoOpenChallenge(_)),
    );
}

#[test]
fn attack_unanswerable_head_unserved_challenge_by_another_account_is_refused() {
    let mut s = setup();
    let served = s.honest(1);
    s.settle(&served);
    let griefer = user(66);
    s.chain.fund(&griefer, 1_000_000);
    let before = s.chain.snapshot();
    assert_refused(
        s.challenge_as(&griefer, &served.id),
        &variant!(HeadError::NotInvoker {
            request,
            invoker,
            signer
        }),
    );
    assert_eq!(s.chain.snapshot(), before);
}

#[test]
fn attack_unanswerable_head_unserved_challenge_of_an_unsettled_request_is_refused() {
    let mut s = setup();
    let served = s.honest(1);
    let before = s.chain.snapshot();
    assert_refused(s.challenge(&served.id), &variant!(HeadError::NotSettled(_)));
    assert_eq!(s.chain.snapshot(), before);
}

#[test]
fn attack_unanswerable_head_unserved_second_challenge_is_refused() {
    let mut s = setup();
    let served = s.honest(1);
    s.settle(&served);
    s.challenge(&served.id).unwrap();
    let before = s.chain.snapshot();
    let e = assert_refused(
        s.challenge(&served.id),
        &variant!(HeadError::AlreadyChallenged { request, status }),
    );
    assert!(e.log.contains("open"), "{e}");
    assert_eq!(s.chain.snapshot(), before);
    // Still refused once answered.
    let head = s.head.addr.clone();
    let outcome = s.outcome.clone();
    s.answer_as(&head, &served.id, &outcome).unwrap();
    let e = assert_refused(
        s.challenge(&served.id),
        &variant!(HeadError::AlreadyChallenged { request, status }),
    );
    assert!(e.log.contains("answered"), "{e}");
}

#[test]
fn attack_unanswerable_head_unserved_challenge_after_the_window_is_refused() {
    let mut s = setup();
    let served = s.honest(1);
    s.settle(&served);
    let settled_at = s.chain.block.height;
    s.chain.until(settled_at + DISPUTE + 1);
    let before = s.chain.snapshot();
    assert_refused(
        s.challenge(&served.id),
        &variant!(HeadError::WindowClosed {
            request,
            until,
            current
        }),
    );
    assert_eq!(s.chain.snapshot(), before);
    // Past every window the records are pruned: nothing is left to challenge.
    s.chain.until(settled_at + DISPUTE + WINDOW + 2);
    let q = s.query(&served.id);
    assert!(q.settlement.is_none() && q.challenge.is_none());
    assert_refused(s.challenge(&served.id), &variant!(HeadError::NotSettled(_)));
}

#[test]
fn attack_unanswerable_head_unserved_after_a_proven_lie_refunds_once() {
    let mut s = setup();
    let served = s.honest(1);
    s.settle(&served);
    let lie = s.lie(&served, |st| st.outcome_hash = vec![1; 32]);
    s.report(&lie).unwrap();
    let inv = s.chain.balance(&s.invoker.addr);
    assert_refused(
        s.challenge(&served.id),
        &variant!(HeadError::AlreadyRefunded(_)),
    );
    assert_eq!(s.chain.balance(&s.invoker.addr), inv);
}

#[test]
fn attack_unanswerable_head_unserved_challenge_then_lie_punishes_once() {
    let mut s = setup();
    let total = s.total();
    let served = s.honest(1);
    s.settle(&served);
    let inv = s.chain.balance(&s.invoker.addr);
    s.challenge(&served.id).unwrap();
    let bond = s.head_record().bond;
    // A lie about the same request proven while the challenge is open.
    let lie = s.lie(&served, |st| st.outcome_hash = vec![1; 32]);
    s.report(&lie).unwrap();
    assert_punished(&s, bond, FEE);
    let after_report = s.head_record().bond;
    let h = s.chain.block.height;
    s.chain.until(h + WINDOW + 1);
    assert_eq!(s.head_record().bond, after_report, "not punished twice");
    assert_eq!(
        s.chain.balance(&s.invoker.addr),
        inv + FEE,
        "one refund, deposit back"
    );
    s.assert_invariants(total);
}

#[test]
fn head_challenge_bad_input_is_refused_without_state_change() {
    let mut s = setup();
    let served = s.honest(1);
    s.settle(&served);
    let me = s.invoker.addr.clone();
    let head = s.head.addr.clone();
    let before = s.chain.snapshot();
    for (what, id) in [
        ("short id", vec![1u8; 31]),
        ("empty id", vec![]),
        ("long id", vec![1; 33]),
    ] {
        let e = assert_refused(
            s.challenge(&id),
            &variant!(HeadError::InvalidField { field, reason }),
        );
        assert!(e.log.contains("request_id"), "{what}: {e}");
        assert_refused(
            s.answer_as(&head, &id, b"x"),
            &variant!(HeadError::InvalidField { field, reason }),
        );
    }
    let huge = vec![0u8; bls_orchestration::fastpath::head::challenge::MAX_ANSWER_BYTES + 1];
    let e = assert_refused(
        s.answer_as(&head, &served.id, &huge),
        &variant!(HeadError::InvalidField { field, reason }),
    );
    assert!(e.log.contains("outcome"), "{e}");
    // A challenger who cannot pay the deposit.
    let poor = Invoker::new(91);
    let expiry = s.chain.block.height + FASTPATH_TTL;
    let (req, id) = poor.request(CHAIN_ID, s.function, &s.code_hash, 1, MAX_FEE, expiry);
    s.chain.fund(&poor.addr, FEE * 2);
    deposit(&mut s.chain, &poor.addr, FEE * 2).unwrap();
    let receipt = Receipt {
        request: Some(req),
        code_hash: s.code_hash.to_vec(),
        result_hash: s.result.to_vec(),
        signatures: s
            .members()
            .iter()
            .take(2)
            .map(|w| worker_sig(w, &id, &s.code_hash, &s.result))
            .collect(),
    };
    settle(&mut s.chain, &head, vec![receipt]).unwrap();
    let before_poor = s.chain.snapshot();
    let e = s.challenge_as(&poor.addr.clone(), &id).unwrap_err();
    assert!(e.log.contains("insufficient"), "{e}");
    assert_eq!(s.chain.snapshot(), before_poor);
    let _ = (before, me);
    for (what, m) in [
        (
            "challenge invoker",
            encode_any(
                &MsgChallengeHead {
                    invoker: "x".into(),
                    request_id: served.id.to_vec(),
                },
                MSG_CHALLENGE_HEAD,
            ),
        ),
        (
            "answer head",
            encode_any(
                &MsgAnswerChallenge {
                    head: "x".into(),
                    request_id: served.id.to_vec(),
                    outcome: vec![],
                },
                MSG_ANSWER_CHALLENGE,
            ),
        ),
    ] {
        use bls_core::Module;
        assert!(
            bls_orchestration::OrchestrationModule
                .msg_signer(&m)
                .is_err(),
            "{what}"
        );
    }
}

/// A chain with `s`'s bank and registry state and `g` imported as the orchestration genesis.
fn import(s: &Setup, g: &serde_json::Value) -> Result<Chain, ModuleError> {
    use bls_core::Module;
    let mut fresh = Chain::new(head_params());
    fresh.store = copy_store(&s.chain.store);
    let orch: Vec<Vec<u8>> = fresh
        .store
        .range(None, None, Order::Ascending)
        .map(|(k, _)| k)
        .filter(|k| k.windows(5).any(|w| w == b"orch/"))
        .collect();
    for k in orch {
        fresh.store.remove(&k);
    }
    fresh.block = s.chain.block.clone();
    fresh.keeper(|ctx| bls_orchestration::OrchestrationModule.init_genesis(ctx, g))?;
    Ok(fresh)
}

#[test]
fn head_state_survives_genesis_export_and_import() {
    let mut s = setup();
    let a = s.honest(1);
    let b = s.honest(2);
    let c = s.honest(3);
    for x in [&a, &b, &c] {
        s.settle(x);
    }
    s.challenge(&a.id).unwrap(); // open
    s.challenge(&b.id).unwrap();
    let head = s.head.addr.clone();
    let outcome = s.outcome.clone();
    s.answer_as(&head, &b.id, &outcome).unwrap(); // answered
    let lie = s.lie(&c, |st| st.outcome_hash = vec![1; 32]);
    s.report(&lie).unwrap(); // punished marker
    let g = bls_orchestration::genesis::export_genesis(&s.chain.store).unwrap();
    let h = &g.fastpath.head;
    assert_eq!(h.settlements.len(), 3);
    assert_eq!(h.challenges.len(), 2);
    assert_eq!(h.punished.len(), 1);
    assert!(h.challenges.iter().any(|c| c.outcome.is_some()));

    // Import into a fresh store holding the same bank and registry state.
    let json = serde_json::to_value(&g).unwrap();
    let mut fresh = import(&s, &json).expect("import");
    let again = bls_orchestration::genesis::export_genesis(&fresh.store).unwrap();
    assert_eq!(again.fastpath.head, g.fastpath.head);
    // The open challenge still resolves after the import.
    let bond = bls_registry::state::must_get_worker(&fresh.store, &head)
        .unwrap()
        .bond;
    let h0 = fresh.block.height;
    fresh.until(h0 + WINDOW + 1);
    assert!(
        bls_registry::state::must_get_worker(&fresh.store, &head)
            .unwrap()
            .bond
            < bond
    );
}

#[test]
fn head_genesis_bad_input_is_refused() {
    let s = setup();
    let base =
        serde_json::to_value(bls_orchestration::genesis::export_genesis(&s.chain.store).unwrap())
            .unwrap();
    let settlement = serde_json::json!({
        "head": s.head.addr.to_string(), "invoker": s.invoker.addr.to_string(),
        "function_id": 1, "result_hash": hex::encode([1u8; 32]), "fee": "1000", "height": 3
    });
    let challenge = serde_json::json!({
        "head": s.head.addr.to_string(), "invoker": s.invoker.addr.to_string(),
        "deposit": "10", "opened": 4, "deadline": 6, "status": "open"
    });
    let id = "ab".repeat(32);
    let cases: Vec<(&str, serde_json::Value)> = vec![
        (
            "lowercase hex",
            serde_json::json!({"settlements": [{"request_id": "AB".repeat(32), "settlement": settlement}]}),
        ),
        (
            "height must be positive",
            serde_json::json!({"settlements": [{"request_id": id, "settlement": {"head": s.head.addr.to_string(), "invoker": s.invoker.addr.to_string(), "function_id": 1, "result_hash": hex::encode([1u8; 32]), "fee": "1", "height": 0}}]}),
        ),
        (
            "listed twice",
            serde_json::json!({"settlements": [{"request_id": id, "settlement": settlement}, {"request_id": id, "settlement": settlement}]}),
        ),
        (
            "has no settlement",
            serde_json::json!({"challenges": [{"request_id": id, "challenge": challenge}]}),
        ),
        (
            "open challenges escrow",
            serde_json::json!({"settlements": [{"request_id": id, "settlement": settlement}], "challenges": [{"request_id": id, "challenge": challenge}]}),
        ),
        (
            "exactly for answered",
            serde_json::json!({"settlements": [{"request_id": id, "settlement": settlement}], "challenges": [{"request_id": id, "challenge": challenge, "outcome": "00"}]}),
        ),
        ("unknown field", serde_json::json!({"settled": []})),
    ];
    for (what, head) in cases {
        let mut g = base.clone();
        g["fastpath"]["head"] = head;
        let Err(e) = import(&s, &g) else {
            panic!("{what}: imported");
        };
        assert!(
            e.log.contains("genesis") && e.log.contains(what),
            "{what}: {e}"
        );
    }
    let _ = HeadGenesis::default();
}

#[test]
fn genesis_refuses_head_windows_beyond_the_unbonding_period() {
    // The harness's registry unbonds in 10 blocks and its request TTL is 4. A report lands
    // up to ttl + head_dispute_window after the request's window opens; an unanswered
    // challenge is punished head_dispute_window + challenge_window after the settlement, in
    // an end block after the registry's (hence + 1). Each must fit.
    let with = |dispute: u64, window: u64| {
        let mut p = head_params();
        p["head_dispute_window"] = dispute.into();
        p["challenge_window"] = window.into();
        p
    };
    for (dispute, window, fits) in [
        (6, 3, true),  // 4 + 6 = 10, 6 + 3 + 1 = 10
        (7, 1, false), // 4 + 7 = 11: a head's old key or bond could be gone before a report
        (5, 5, false), // 5 + 5 + 1 = 11: a head could unbond before its deadline
    ] {
        let p = with(dispute, window);
        let r = std::panic::catch_unwind(|| Chain::new(p));
        assert_eq!(r.is_ok(), fits, "dispute {dispute}, challenge {window}");
    }
}

#[test]
fn genesis_refusal_names_the_reach_that_does_not_fit() {
    use bls_core::Module;
    let s = setup();
    let mut g =
        serde_json::to_value(bls_orchestration::genesis::export_genesis(&s.chain.store).unwrap())
            .unwrap();
    g["params"]["head_dispute_window"] = 5.into();
    g["params"]["challenge_window"] = 5.into();
    let mut store = copy_store(&s.chain.store);
    let gas = bls_core::GasMeter::infinite();
    let mut ctx = bls_core::Context::new(&mut store, &s.chain.block, &gas);
    let e = bls_orchestration::OrchestrationModule
        .init_genesis(&mut ctx, &g)
        .unwrap_err();
    assert!(
        e.log.contains("unbonding_blocks (10)") && e.log.contains("unanswered challenge"),
        "{e}"
    );
}

/// M4: a member that deregistered signs nothing that counts for requests that start after
/// it left (its last key was retired at the deregistration height). A head that presents
/// such a signature to make up the quorum lied, exactly as if the signature did not verify:
/// the head judge uses the same key ranges as settlement and evidence.
#[test]
fn attack_unanswerable_head_lie_signature_of_a_worker_that_left() {
    use bls_registry::msgs::{MsgDeregisterWorker, MSG_DEREGISTER_WORKER};
    let mut s = setup();
    let members = s.members();
    let leaver = members
        .iter()
        .find(|m| m.addr != s.head.addr)
        .expect("a member that is not the head")
        .clone();
    let dereg = MsgDeregisterWorker {
        operator: leaver.addr.to_string(),
        worker: leaver.addr.to_string(),
    };
    s.chain
        .tx(&leaver.addr, encode_any(&dereg, MSG_DEREGISTER_WORKER))
        .expect("deregister");
    // Kept in the subnetwork so that only the key range decides (repair would drop it).
    let keep = SUBNETS.load(&s.chain.store, s.function).unwrap();
    s.chain.next_block();
    SUBNETS.save(&mut s.chain.store, s.function, &keep).unwrap();
    let honest = s.honest(1);
    let other = members
        .iter()
        .find(|m| m.addr != leaver.addr)
        .expect("another member")
        .clone();
    let lie = s.lie(&honest, |st| {
        st.signatures = vec![
            signed_result(&leaver, &honest.id, &s.code_hash, &s.result),
            signed_result(&other, &honest.id, &s.code_hash, &s.result),
        ];
    });
    let bond = s.head_record().bond;
    let r = s.report(&lie).expect("the report proves the lie");
    assert_eq!(r.lie, "bad_worker_signature");
    assert!(s.head_record().bond < bond);
}
