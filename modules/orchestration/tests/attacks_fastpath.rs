//! Attacks on the fast path's trust, each performed in process against the real handlers:
//! forged-majority evidence (issue #12, attack 1), induced equivocation (2), dissent
//! griefing with non-deterministic functions on the fast path (3), escape by key rotation
//! (4), underpriced timeouts on the fast path (9), and escape by unbonding before evidence
//! lands. Every attack must fail: honest bonds untouched, the cheater penalized where that is
//! the rule, and a refused message changing nothing.

mod common;

use bls_core::module::encode_any;
use bls_core::outcome::{ExitStatus, Outcome, TrapKind};
use bls_core::{Address, ModuleError};
use bls_orchestration::fastpath::msgs::*;
use bls_orchestration::testing::SUBNETS;
use bls_orchestration::testing::{EVIDENCE_HANDLED, SETTLED};
use bls_registry::msgs::{
    Capabilities, MsgDeregisterWorker, MsgRegisterWorker, MsgUpdateWorker, MSG_DEREGISTER_WORKER,
    MSG_REGISTER_WORKER, MSG_UPDATE_WORKER,
};
use bls_registry::{RegistryModule, WorkerStatus};
use common::fastpath::*;
use common::*;
use k256::ecdsa::SigningKey;
use sha2::{Digest, Sha256};

/// A chain with six workers, a head, one function (n = 3, m = 2, subnetwork of 4) of
/// `manifest`, and a funded invoker.
struct World {
    chain: Chain,
    workers: Vec<SimWorker>,
    head: SimWorker,
    invoker: Invoker,
    function: u64,
    code_hash: [u8; 32],
}

fn world_with(manifest: &str, orch: serde_json::Value) -> World {
    let mut chain = Chain::new(orch);
    let workers = six_workers();
    for w in &workers {
        chain.register(w);
    }
    if manifest.contains("http") {
        // Workers that serve outbound HTTP, so the function can be placed.
        for w in &workers {
            let msg = MsgUpdateWorker {
                operator: w.addr.to_string(),
                worker: w.addr.to_string(),
                capabilities: Some(Capabilities {
                    memory_mb: 512,
                    max_timeout_ms: 900_000,
                    http_allowed: true,
                }),
                ..Default::default()
            };
            chain
                .tx(&w.addr, encode_any(&msg, MSG_UPDATE_WORKER))
                .expect("enable http");
        }
    }
    let head = SimWorker::new(50, "eu", "AS999");
    register_head(&mut chain, &head);
    let wasm = hello_wasm();
    let code_hash: [u8; 32] = Sha256::digest(&wasm).into();
    let function = chain
        .deploy(&user(200), gzip(&wasm), manifest, 3, 2)
        .expect("deploy");
    let invoker = Invoker::new(77);
    chain.fund(&invoker.addr, 10_000_000);
    deposit(&mut chain, &invoker.addr, 1_000_000).expect("deposit");
    World {
        chain,
        workers,
        head,
        invoker,
        function,
        code_hash,
    }
}

fn world() -> World {
    world_with("{}", params())
}

impl World {
    fn members(&self) -> Vec<SimWorker> {
        self.members_of(self.function)
    }

    /// The function's members; the head is a registered worker and may hold a seat too.
    fn members_of(&self, function: u64) -> Vec<SimWorker> {
        let everyone: Vec<SimWorker> = self
            .workers
            .iter()
            .chain(std::iter::once(&self.head))
            .cloned()
            .collect();
        SUBNETS
            .load(&self.chain.store, function)
            .unwrap()
            .workers
            .iter()
            .map(|a| find(&everyone, a.as_str()).clone())
            .collect()
    }

    fn expiry(&self) -> u64 {
        self.chain.block.height + FASTPATH_TTL
    }

    /// The invoker's signed request `nonce` for the function, and its id.
    fn request(&self, nonce: u64) -> (SignedRequest, [u8; 32]) {
        self.invoker.request(
            CHAIN_ID,
            self.function,
            &self.code_hash,
            nonce,
            MAX_FEE,
            self.expiry(),
        )
    }

    fn bond(&self, w: &Address) -> u128 {
        bls_registry::state::must_get_worker(&self.chain.store, w)
            .unwrap()
            .bond
    }

    fn status(&self, w: &Address) -> WorkerStatus {
        bls_registry::state::must_get_worker(&self.chain.store, w)
            .unwrap()
            .status
    }

    /// Every registered worker's (bond, status, slashed total).
    fn bonds(&self) -> Vec<(Address, u128, WorkerStatus, u128)> {
        bls_registry::state::all_workers(&self.chain.store)
            .unwrap()
            .into_iter()
            .map(|w| (w.operator, w.bond, w.status, w.slashed_total))
            .collect()
    }
}

fn sha(b: &[u8]) -> [u8; 32] {
    Sha256::digest(b).into()
}

fn exited(stdout: &[u8]) -> Vec<u8> {
    outcome(stdout, 1)
}

fn trapped(kind: TrapKind) -> Vec<u8> {
    Outcome {
        status: ExitStatus::Trapped(kind),
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

fn sig(w: &SimWorker, id: &[u8; 32], code: &[u8; 32], h: &[u8; 32]) -> SignedResult {
    signed_result(w, &w.key, id, code, h)
}

/// Asserts a refused message left every bond and status as it was and punished nobody.
fn assert_untouched(before: &[(Address, u128, WorkerStatus, u128)], w: &World) {
    assert_eq!(w.bonds(), before, "a refused attack changes no bond");
    assert!(w.chain.events_of("bls.worker_slashed").is_empty());
    assert!(w.chain.events_of("bls.worker_jailed").is_empty());
}

fn register_sybil(chain: &mut Chain, w: &SimWorker, result_key: &[u8]) -> Result<(), ModuleError> {
    chain.fund(&w.addr, BOND);
    let msg = MsgRegisterWorker {
        operator: w.addr.to_string(),
        result_pubkey: result_key.to_vec(),
        peer_id: format!("12D3KooWsybil{}", hex::encode(&w.addr.as_bytes()[..6])),
        multiaddrs: vec!["/ip4/127.0.0.1/tcp/4001".into()],
        region: w.region.clone(),
        network: w.network.clone(),
        capabilities: Some(Capabilities {
            memory_mb: 512,
            max_timeout_ms: 900_000,
            http_allowed: true,
        }),
        role: "worker".into(),
        bond: Some(ProtoCoin::ubls(BOND)),
        encryption_pubkey: Vec::new(),
    };
    chain
        .tx(&w.addr, encode_any(&msg, MSG_REGISTER_WORKER))
        .map(|_| ())
}

fn key(n: u8) -> SigningKey {
    let mut s = [7u8; 32];
    s[31] = n;
    SigningKey::from_slice(&s).unwrap()
}

fn pubkey(k: &SigningKey) -> Vec<u8> {
    k.verifying_key().to_encoded_point(true).as_bytes().to_vec()
}

// ---------------------------------------------------------------------------------------
// Attack 1: forged-majority evidence.
// ---------------------------------------------------------------------------------------

/// The issue's exact scenario: the attacker deploys an n = 1, m = 1 function, registers one
/// sybil worker (the only member of that function), takes a public receipt of another
/// function, has the sybil sign a zero hash for that request and submits evidence — with the
/// request as signed (it names the victim function) and with a request re-pointed at its own
/// function. Both are refused; every honest bond is untouched.
#[test]
fn attack_forged_majority_evidence() {
    let mut w = world();
    // The public receipt: the invoker's request, signed by two honest members.
    let members = w.members();
    let (req, id) = w.request(1);
    let good = sha(&exited(b"Hello, Ada!"));
    let (r, _) = {
        let signers = [&members[0], &members[1]];
        let rec = Receipt {
            request: Some(req.clone()),
            code_hash: w.code_hash.to_vec(),
            result_hash: good.to_vec(),
            signatures: signers
                .iter()
                .map(|s| worker_sig(s, &id, &w.code_hash, &good))
                .collect(),
        };
        (rec, id)
    };
    let head = w.head.addr.clone();
    settle(&mut w.chain, &head, vec![r.clone()]).expect("the honest receipt settles");

    // The attacker: its own n = 1, m = 1 function and one sybil worker on it alone.
    let attacker = user(66);
    let sybil = SimWorker::new(90, "mars", "AS66");
    let wasm =
        wat::parse_str(r#"(module (memory (export "memory") 1) (func (export "_start") nop))"#)
            .unwrap();
    let own = w
        .chain
        .deploy(&attacker, gzip(&wasm), "{}", 1, 1)
        .expect("deploy");
    register_sybil(&mut w.chain, &sybil, &sybil.pubkey()).expect("sybil registers");
    // Make the sybil its function's only member (placement happens at deploy and repair).
    let mut subnet = SUBNETS.load(&w.chain.store, own).unwrap();
    subnet.workers = vec![sybil.addr.clone()];
    SUBNETS.save(&mut w.chain.store, own, &subnet).unwrap();

    let before = w.bonds();
    w.chain.events.clear();
    let zero = [0u8; 32];
    let honest: Vec<SignedResult> = r
        .signatures
        .iter()
        .map(|s| SignedResult {
            worker: s.worker.clone(),
            result_hash: good.to_vec(),
            signature: s.signature.clone(),
        })
        .collect();
    let mut results = honest.clone();
    results.push(sig(&sybil, &id, &w.code_hash, &zero));

    // (a) The request as signed: the function is the victim's, the sybil is no member of it,
    // so its zero hash is no majority of anything.
    let m = evidence(&attacker, &req, results.clone(), &[]);
    assert_refused(
        submit(&mut w.chain, &m),
        &variant!(FastPathError::Inconclusive(_)),
    );
    assert_untouched(&before, &w);

    // (b) The request re-pointed at the attacker's own function: the invoker's signature no
    // longer verifies (the function id is inside the signed request id).
    let mut forged = req.clone();
    forged.function_id = own;
    assert_refused(
        submit(
            &mut w.chain,
            &evidence(&attacker, &forged, results.clone(), &[]),
        ),
        &variant!(FastPathError::BadRequestSignature { index, reason }),
    );
    assert_untouched(&before, &w);

    // (c) The attacker signs its own request for its own function (it may invoke): the
    // honest signatures were over another request id and do not verify for it.
    let att_inv = Invoker::new(91);
    let (own_req, own_id) = att_inv.request(CHAIN_ID, own, &sha(&wasm), 1, MAX_FEE, w.expiry());
    let mut results = honest;
    results.push(sig(&sybil, &own_id, &sha(&wasm), &zero));
    assert_refused(
        submit(&mut w.chain, &evidence(&attacker, &own_req, results, &[])),
        &variant!(FastPathError::BadWorkerSignature {
            index,
            worker,
            reason
        }),
    );
    assert_untouched(&before, &w);
}

/// Variants: an unsigned or forged request, non-member sybils making up the "majority", two
/// hashes each at the function's quorum, and evidence after the window.
#[test]
fn attack_forged_majority_evidence_variants() {
    let mut w = world();
    let members = w.members();
    let (req, id) = w.request(1);
    let code = w.code_hash;
    let good_b = exited(b"good");
    let bad_b = exited(b"bad");
    let (good, bad) = (sha(&good_b), sha(&bad_b));
    let outcomes: [(&[u8; 32], &[u8]); 2] = [(&good, &good_b), (&bad, &bad_b)];
    let attacker = user(66);
    let before = w.bonds();

    // An unsigned request, and one whose signature is someone else's.
    let mut unsigned = req.clone();
    unsigned.signature = vec![];
    let results = vec![
        sig(&members[0], &id, &code, &good),
        sig(&members[1], &id, &code, &bad),
    ];
    assert_refused(
        submit(
            &mut w.chain,
            &evidence(&attacker, &unsigned, results.clone(), &outcomes),
        ),
        &variant!(FastPathError::BadRequestSignature { index, reason }),
    );
    let mut stolen = req.clone();
    stolen.invoker_pubkey = members[0].pubkey();
    assert_refused(
        submit(
            &mut w.chain,
            &evidence(&attacker, &stolen, results, &outcomes),
        ),
        &variant!(FastPathError::BadRequestSignature { index, reason }),
    );
    assert_untouched(&before, &w);

    // Non-member sybils (registered, bonded, outside the subnetwork) all sign a false hash
    // against one honest member: their signatures do not count, nobody is slashed.
    let sybils: Vec<SimWorker> = (0..4)
        .map(|i| SimWorker::new(100 + i, "mars", &format!("AS7{i}")))
        .collect();
    for s in &sybils {
        register_sybil(&mut w.chain, s, &s.pubkey()).expect("sybil");
    }
    let before = w.bonds();
    let mut results: Vec<SignedResult> = sybils.iter().map(|s| sig(s, &id, &code, &bad)).collect();
    results.push(sig(&members[0], &id, &code, &good));
    let e = assert_refused(
        submit(&mut w.chain, &evidence(&attacker, &req, results, &outcomes)),
        &variant!(FastPathError::Inconclusive(_)),
    );
    assert!(e.log.contains("subnetwork members"), "{e}");
    assert_untouched(&before, &w);

    // Two hashes each at the function's quorum (2 of 4 members each): no majority of the
    // subnetwork, so nobody is judged (the old rule slashed whichever hash sorted higher).
    let results = vec![
        sig(&members[0], &id, &code, &good),
        sig(&members[1], &id, &code, &good),
        sig(&members[2], &id, &code, &bad),
        sig(&members[3], &id, &code, &bad),
    ];
    assert_refused(
        submit(&mut w.chain, &evidence(&attacker, &req, results, &outcomes)),
        &variant!(FastPathError::Inconclusive(_)),
    );
    assert_untouched(&before, &w);

    // After the window: even conclusive evidence is refused.
    let liar_results = vec![
        sig(&members[0], &id, &code, &good),
        sig(&members[1], &id, &code, &good),
        sig(&members[2], &id, &code, &good),
        sig(&members[3], &id, &code, &bad),
    ];
    let closes = req.expiry_height + FASTPATH_SETTLE_WINDOW;
    w.chain.until(closes + 1);
    let before = w.bonds();
    let e = assert_refused(
        submit(
            &mut w.chain,
            &evidence(&attacker, &req, liar_results.clone(), &outcomes),
        ),
        &variant!(FastPathError::RequestClosed {
            index,
            request,
            until,
            height
        }),
    );
    assert!(e.log.contains("closed at height"), "{e}");
    assert_untouched(&before, &w);
}

/// The control: the same kind of evidence, conclusive and in time, slashes exactly the
/// dissenting member (so the refusals above are the rule, not a broken handler).
#[test]
fn honest_majority_evidence_slashes_only_the_dissenting_member() {
    let mut w = world();
    let members = w.members();
    let (req, id) = w.request(1);
    let code = w.code_hash;
    let good_b = exited(b"good");
    let bad_b = exited(b"bad");
    let (good, bad) = (sha(&good_b), sha(&bad_b));
    let liar = members[3].clone();
    let liar_bond = w.bond(&liar.addr);
    let results = vec![
        sig(&members[0], &id, &code, &good),
        sig(&members[1], &id, &code, &good),
        sig(&members[2], &id, &code, &good),
        sig(&liar, &id, &code, &bad),
    ];
    // Without the outcomes a dissent is not judged.
    let e = assert_refused(
        submit(
            &mut w.chain,
            &evidence(&user(9), &req, results.clone(), &[]),
        ),
        &variant!(FastPathError::Inconclusive(_)),
    );
    assert!(e.log.contains("outcome"), "{e}");
    assert_refused(
        submit(
            &mut w.chain,
            &evidence(&user(9), &req, results.clone(), &[(&good, &good_b)]),
        ),
        &variant!(FastPathError::Inconclusive(_)),
    );
    let r = submit(
        &mut w.chain,
        &evidence(
            &user(9),
            &req,
            results.clone(),
            &[(&good, &good_b), (&bad, &bad_b)],
        ),
    )
    .expect("conclusive evidence");
    assert_eq!(r.slashed, vec![liar.addr.to_string()]);
    assert_eq!(w.bond(&liar.addr), liar_bond - liar_bond * 500 / 10_000);
    assert_eq!(w.status(&liar.addr), WorkerStatus::Jailed);
    for m in &members[..3] {
        assert_eq!(w.bond(&m.addr), BOND);
        assert_eq!(w.status(&m.addr), WorkerStatus::Active);
    }
    // At most once per (request, worker).
    let e = submit(
        &mut w.chain,
        &evidence(&user(9), &req, results, &[(&good, &good_b), (&bad, &bad_b)]),
    )
    .unwrap_err();
    assert!(e.log.contains("already punished"), "{e}");
    assert_eq!(w.bond(&liar.addr), liar_bond - liar_bond * 500 / 10_000);
}

// ---------------------------------------------------------------------------------------
// Attack 2: induced equivocation.
// ---------------------------------------------------------------------------------------

/// A head (or anyone relaying) cannot make honest workers sign two results under one request
/// id: the clock is part of what the invoker signed, so a different clock is a different
/// request id; a relay that changes the clock breaks the invoker's signature; and results
/// signed under two different ids never make equivocation evidence against a worker.
#[test]
fn attack_induced_equivocation() {
    let mut w = world();
    let members = w.members();
    let code = w.code_hash;
    let t = terms(&w.invoker.addr, w.function, &code, 1, MAX_FEE, w.expiry());
    let (req_a, id_a) = w.invoker.sign_terms(CHAIN_ID, &t);
    let later = RequestTerms {
        time_secs: t.time_secs + 3600,
        ..t.clone()
    };
    let (req_b, id_b) = w.invoker.sign_terms(CHAIN_ID, &later);
    assert_ne!(id_a, id_b, "another clock is another request");

    // A relay rewriting the clock of a signed request: the signature no longer verifies.
    let mut relayed = req_a.clone();
    relayed.time_secs += 3600;
    assert!(relayed.verify(CHAIN_ID).is_err());
    let mut relayed_nanos = req_a.clone();
    relayed_nanos.time_nanos = 1;
    assert!(relayed_nanos.verify(CHAIN_ID).is_err());

    // An honest worker's answers to the two requests (different clocks, different
    // outcomes) are two signatures over two ids.
    let honest = &members[0];
    let (h1, h2) = (sha(&exited(b"t1")), sha(&exited(b"t2")));
    let on_a = sig(honest, &id_a, &code, &h1);
    let on_b = sig(honest, &id_b, &code, &h2);
    let before = w.bonds();
    // Passed off as equivocation on request A: the second signature is not over A's id.
    assert_refused(
        submit(
            &mut w.chain,
            &evidence(&user(9), &req_a, vec![on_a.clone(), on_b.clone()], &[]),
        ),
        &variant!(FastPathError::BadWorkerSignature {
            index,
            worker,
            reason
        }),
    );
    // Each request on its own: one result, nothing conflicts.
    let e = assert_refused(
        submit(
            &mut w.chain,
            &evidence(&user(9), &req_a, vec![on_a.clone(), on_a], &[]),
        ),
        &variant!(FastPathError::Inconclusive(_)),
    );
    assert!(e.log.contains("agree"), "{e}");
    assert_refused(
        submit(
            &mut w.chain,
            &evidence(&user(9), &req_b, vec![on_b.clone(), on_b], &[]),
        ),
        &variant!(FastPathError::Inconclusive(_)),
    );
    assert_untouched(&before, &w);

    // A code hash the invoker did not sign cannot be slipped in either.
    let mut other_code = req_a.clone();
    other_code.code_hash = vec![1u8; 32];
    assert!(other_code.verify(CHAIN_ID).is_err());
    let _ = req_b;
}

// ---------------------------------------------------------------------------------------
// Attack 4: escape by key rotation.
// ---------------------------------------------------------------------------------------

/// A member signs two results for one request, gets jailed (here for equivocating on another
/// request), rotates its result key while jailed, and hopes the evidence about the first
/// request no longer verifies. It still does: the retired key was valid while the request was
/// alive, and equivocation is punished whatever the worker's status (a dissent alone is not:
/// a jailed member is not judged for dissent).
/// The rotated-away key cannot be registered by another worker, nor by the same worker
/// again; a signature by the new key about a request that ended before the rotation does not
/// count.
#[test]
fn attack_escape_by_key_rotation() {
    let mut w = world();
    let members = w.members();
    let code = w.code_hash;
    let cheat = members[3].clone();
    let (good_b, bad_b) = (exited(b"good"), exited(b"bad"));
    let (good, bad) = (sha(&good_b), sha(&bad_b));

    // The false result, signed with the key current now.
    let (req, id) = w.request(1);
    let false_result = sig(&cheat, &id, &code, &bad);
    let second_result = sig(&cheat, &id, &code, &good);
    // Jailed for something else first (equivocation on request 2).
    let (req2, id2) = w.request(2);
    submit(
        &mut w.chain,
        &evidence(
            &user(9),
            &req2,
            vec![
                sig(&cheat, &id2, &code, &good),
                sig(&cheat, &id2, &code, &bad),
            ],
            &[],
        ),
    )
    .expect("equivocation");
    assert_eq!(w.status(&cheat.addr), WorkerStatus::Jailed);
    let bond_jailed = w.bond(&cheat.addr);

    // Rotation while jailed is allowed (a lost key must be replaceable)...
    w.chain.next_block();
    let new_key = key(1);
    rotate(&mut w.chain, &cheat, &new_key).expect("rotate while jailed");
    let rec = bls_registry::state::must_get_worker(&w.chain.store, &cheat.addr).unwrap();
    assert_eq!(rec.result_pubkey, hex::encode(pubkey(&new_key)));
    // ...and the evidence about the false result still lands on the old key.
    let r = submit(
        &mut w.chain,
        &evidence(
            &user(9),
            &req,
            vec![
                sig(&members[0], &id, &code, &good),
                sig(&members[1], &id, &code, &good),
                sig(&members[2], &id, &code, &good),
                false_result,
                second_result,
            ],
            &[(&good, &good_b), (&bad, &bad_b)],
        ),
    )
    .expect("evidence verifies against the retired key");
    assert_eq!(r.slashed, vec![cheat.addr.to_string()]);
    assert_eq!(
        w.bond(&cheat.addr),
        bond_jailed - bond_jailed * 500 / 10_000
    );
    for m in &members[..3] {
        assert_eq!(w.bond(&m.addr), BOND, "honest members untouched");
    }

    // The rotated-away key stays reserved: another worker cannot register it (it could
    // otherwise count the cheat's old signatures as its own)...
    let squatter = SimWorker::new(120, "mars", "AS120");
    assert_refused(
        register_sybil(&mut w.chain, &squatter, &cheat.pubkey()),
        &variant!(RegistryError::DuplicateRegistration(_)),
    );
    // ...nor may the cheat rotate back to it.
    assert_refused(
        rotate(&mut w.chain, &cheat, &cheat.key),
        &variant!(RegistryError::DuplicateRegistration(_)),
    );

    // A signature with the new key about a request that ended before the key existed does
    // not count: keys answer only for their own time.
    let height = w.chain.block.height;
    w.chain.until(height + FASTPATH_TTL + 1);
    // Expiring the block before the rotation: its key window ends before the new key began.
    let old = w.invoker.request(
        CHAIN_ID,
        w.function,
        &code,
        3,
        MAX_FEE,
        w.chain.block.height - FASTPATH_TTL - 2,
    );
    let by_new_key = signed_result(&cheat, &new_key, &old.1, &code, &good);
    assert_refused(
        submit(
            &mut w.chain,
            &evidence(&user(9), &old.0, vec![by_new_key.clone(), by_new_key], &[]),
        ),
        &variant!(FastPathError::BadWorkerSignature {
            index,
            worker,
            reason
        }),
    );
}

/// The history is bounded: a worker cannot rotate without limit while its retired keys are
/// still within evidence reach; once they are out of reach they are dropped (and freed).
#[test]
fn attack_escape_by_key_rotation_history_full() {
    let mut w = world();
    let cheat = w.members()[0].clone();
    let max = bls_registry::result_keys::MAX_RESULT_KEYS;
    for i in 1..max {
        rotate(&mut w.chain, &cheat, &key(u8::try_from(i).unwrap())).expect("rotation");
    }
    let e = assert_refused(
        rotate(&mut w.chain, &cheat, &key(200)),
        &variant!(RegistryError::KeyHistoryFull {
            worker,
            max,
            frees_at
        }),
    );
    assert!(e.log.contains("frees up at height"), "{e}");
    // unbonding_blocks (10) after the retirements, the old keys are out of reach.
    let height = w.chain.block.height;
    w.chain.until(height + 11);
    rotate(&mut w.chain, &cheat, &key(200)).expect("room again");
    // The first key went out of reach and was freed: another worker may take it now.
    let newcomer = SimWorker::new(121, "mars", "AS121");
    register_sybil(&mut w.chain, &newcomer, &cheat.pubkey()).expect("freed key");
}

// ---------------------------------------------------------------------------------------
// Attack 3 on the fast path: non-deterministic functions.
// ---------------------------------------------------------------------------------------

/// A deployer whose HTTP origin answers one member differently cannot get it slashed on the
/// fast path: the dissent of an HTTP function is never the worker's fault.
#[test]
fn attack_dissent_griefing_fastpath_http_function() {
    let manifest = r#"{"permissions":{"http":["https://api.example.com"]}}"#;
    let mut w = world_with(manifest, params());
    let members = w.members();
    let code = w.code_hash;
    let (req, id) = w.request(1);
    let (a_b, b_b) = (exited(b"origin said A"), exited(b"origin said B"));
    let (a, b) = (sha(&a_b), sha(&b_b));
    let before = w.bonds();
    let e = assert_refused(
        submit(
            &mut w.chain,
            &evidence(
                &user(66),
                &req,
                vec![
                    sig(&members[0], &id, &code, &a),
                    sig(&members[1], &id, &code, &a),
                    sig(&members[2], &id, &code, &a),
                    sig(&members[3], &id, &code, &b),
                ],
                &[(&a, &a_b), (&b, &b_b)],
            ),
        ),
        &variant!(FastPathError::Inconclusive(_)),
    );
    assert!(e.log.contains("the worker's fault"), "{e}");
    assert_untouched(&before, &w);
}

/// A function at the edge of its timeout: a member that timed out where the others finished
/// gets a liveness miss (once), never a slash; a member that finished where the majority
/// timed out gets nothing.
#[test]
fn attack_dissent_griefing_fastpath_edge_of_timeout() {
    let mut w = world();
    let members = w.members();
    let code = w.code_hash;
    let slow = members[3].clone();
    let (done_b, late_b) = (exited(b"done"), trapped(TrapKind::Timeout));
    let (done, late) = (sha(&done_b), sha(&late_b));
    let (req, id) = w.request(1);
    let ev = evidence(
        &user(66),
        &req,
        vec![
            sig(&members[0], &id, &code, &done),
            sig(&members[1], &id, &code, &done),
            sig(&members[2], &id, &code, &done),
            sig(&slow, &id, &code, &late),
        ],
        &[(&done, &done_b), (&late, &late_b)],
    );
    let index_before = bls_registry::liveness::counters(&w.chain.store, &slow.addr).unwrap();
    let r = submit(&mut w.chain, &ev).expect("a timeout dissent is a miss");
    assert!(r.slashed.is_empty());
    assert_eq!(r.missed, vec![slow.addr.to_string()]);
    assert_eq!(w.bond(&slow.addr), BOND);
    assert_eq!(w.status(&slow.addr), WorkerStatus::Active);
    let after = bls_registry::liveness::counters(&w.chain.store, &slow.addr).unwrap();
    assert_eq!(after.missed, index_before.missed + 1);
    assert_eq!(w.chain.events_of("bls.worker_missed").len(), 1);
    // The same evidence again records no second miss.
    assert_refused(
        submit(&mut w.chain, &ev),
        &variant!(FastPathError::Inconclusive(_)),
    );
    assert_eq!(
        bls_registry::liveness::counters(&w.chain.store, &slow.addr).unwrap(),
        after
    );

    // The majority timed out, one member finished: nobody is punished.
    let (req2, id2) = w.request(2);
    let before = w.bonds();
    w.chain.events.clear();
    assert_refused(
        submit(
            &mut w.chain,
            &evidence(
                &user(66),
                &req2,
                vec![
                    sig(&members[0], &id2, &code, &late),
                    sig(&members[1], &id2, &code, &late),
                    sig(&members[2], &id2, &code, &late),
                    sig(&slow, &id2, &code, &done),
                ],
                &[(&done, &done_b), (&late, &late_b)],
            ),
        ),
        &variant!(FastPathError::Inconclusive(_)),
    );
    assert_untouched(&before, &w);
}

/// A deployer who updates the manifest while a request is alive cannot get the members that
/// ran the old one slashed: no dissent is judged for a request that straddles an update.
#[test]
fn attack_dissent_griefing_fastpath_manifest_update_mid_request() {
    let mut w = world();
    let members = w.members();
    let code = w.code_hash;
    let (req, id) = w.request(1);
    let update = bls_orchestration::msgs::MsgUpdateFunction {
        owner: user(200).to_string(),
        function_id: w.function,
        wasm: vec![],
        code_hash: vec![],
        source_uris: vec![],
        manifest_json: r#"{"env":{"MODE":"b"}}"#.into(),
        replication: 3,
        quorum: 2,
        code_size: 0,
    };
    w.chain
        .orch(
            &user(200),
            encode_any(&update, bls_orchestration::msgs::MSG_UPDATE_FUNCTION),
        )
        .expect("update");
    let (a_b, b_b) = (exited(b"mode a"), exited(b"mode b"));
    let (a, b) = (sha(&a_b), sha(&b_b));
    let before = w.bonds();
    let e = assert_refused(
        submit(
            &mut w.chain,
            &evidence(
                &user(66),
                &req,
                vec![
                    sig(&members[0], &id, &code, &a),
                    sig(&members[1], &id, &code, &a),
                    sig(&members[2], &id, &code, &a),
                    sig(&members[3], &id, &code, &b),
                ],
                &[(&a, &a_b), (&b, &b_b)],
            ),
        ),
        &variant!(FastPathError::Inconclusive(_)),
    );
    assert!(e.log.contains("updated"), "{e}");
    assert_untouched(&before, &w);
}

// ---------------------------------------------------------------------------------------
// Attack 9 on the fast path: underpriced timeouts.
// ---------------------------------------------------------------------------------------

/// A 15-minute function on the fast path is charged for the time it may hold its workers,
/// not the flat fee; a receipt whose signed max_fee is below that is refused.
#[test]
fn attack_underpriced_timeout_fastpath() {
    let mut orch = params();
    orch["fastpath_price_per_second"] = "100".into();
    let mut w = world_with(r#"{"limits":{"timeout_ms":900000}}"#, orch);
    let want = FEE + 900 * 100;
    let p = bls_orchestration::state::params(&w.chain.store).unwrap();
    let m =
        bls_core::manifest::Manifest::from_json(br#"{"limits":{"timeout_ms":900000}}"#).unwrap();
    assert_eq!(bls_orchestration::fastpath::fee::fastpath_fee(&p, &m), want);
    let members = w.members();
    let code = w.code_hash;
    let result = [9u8; 32];
    let receipt_for = |req: SignedRequest, id: [u8; 32]| Receipt {
        request: Some(req),
        code_hash: code.to_vec(),
        result_hash: result.to_vec(),
        signatures: members[..2]
            .iter()
            .map(|s| worker_sig(s, &id, &code, &result))
            .collect(),
    };
    // Signed for the old flat fee: refused, nothing charged.
    let (cheap, cheap_id) = w
        .invoker
        .request(CHAIN_ID, w.function, &code, 1, FEE, w.expiry());
    let dep =
        bls_orchestration::fastpath::state::deposit_of(&w.chain.store, &w.invoker.addr).unwrap();
    let head = w.head.addr.clone();
    let e = assert_refused(
        settle(&mut w.chain, &head, vec![receipt_for(cheap, cheap_id)]),
        &variant!(FastPathError::FeeAboveMax {
            index,
            fee,
            max_fee
        }),
    );
    assert!(e.log.contains(&want.to_string()), "{e}");
    // Signed for the time-priced fee: charged exactly that.
    let (paid, paid_id) = w
        .invoker
        .request(CHAIN_ID, w.function, &code, 2, want, w.expiry());
    settle(&mut w.chain, &head, vec![receipt_for(paid, paid_id)]).expect("settles");
    assert_eq!(
        bls_orchestration::fastpath::state::deposit_of(&w.chain.store, &w.invoker.addr).unwrap(),
        dep - want
    );
}

// ---------------------------------------------------------------------------------------
// Escape by unbonding before the evidence lands.
// ---------------------------------------------------------------------------------------

/// A worker signs two results for one request and deregisters at once: its bond is still
/// there (and slashable) when the last height at which evidence about that request is
/// accepted comes. Its dissent alone is not judged any more — it is no longer an Active
/// member (the residual risk of rule 2) — but its equivocation is.
#[test]
fn attack_escape_by_unbonding_before_evidence_lands() {
    let mut w = world();
    let members = w.members();
    let code = w.code_hash;
    let cheat = members[3].clone();
    let (good_b, bad_b) = (exited(b"good"), exited(b"bad"));
    let (good, bad) = (sha(&good_b), sha(&bad_b));
    let (req, id) = w.request(1);
    let results = vec![
        sig(&members[0], &id, &code, &good),
        sig(&members[1], &id, &code, &good),
        sig(&members[2], &id, &code, &good),
        sig(&cheat, &id, &code, &bad),
    ];
    let dereg = MsgDeregisterWorker {
        operator: cheat.addr.to_string(),
        worker: cheat.addr.to_string(),
    };
    w.chain
        .tx(&cheat.addr, encode_any(&dereg, MSG_DEREGISTER_WORKER))
        .expect("deregister");
    // Even kept in the subnetwork, an unbonding member is not judged for dissent.
    let keep = SUBNETS.load(&w.chain.store, w.function).unwrap();
    // The last height the evidence is accepted.
    w.chain.until(req.expiry_height + FASTPATH_SETTLE_WINDOW);
    SUBNETS.save(&mut w.chain.store, w.function, &keep).unwrap();
    let rec = bls_registry::state::must_get_worker(&w.chain.store, &cheat.addr).unwrap();
    assert_eq!(rec.status, WorkerStatus::Unbonding);
    let outcomes = [(&good, good_b.as_slice()), (&bad, bad_b.as_slice())];
    assert_refused(
        submit(
            &mut w.chain,
            &evidence(&user(9), &req, results.clone(), &outcomes),
        ),
        &variant!(FastPathError::Inconclusive(_)),
    );
    let bal_before = w.chain.balance(&cheat.addr);
    let mut equivocation = results;
    equivocation.push(sig(&cheat, &id, &code, &good));
    let r = submit(
        &mut w.chain,
        &evidence(&user(9), &req, equivocation, &outcomes),
    )
    .expect("evidence lands while the bond is still held");
    assert_eq!(r.slashed, vec![cheat.addr.to_string()]);
    w.chain.next_block();
    // The bond came back slashed.
    assert_eq!(
        w.chain.balance(&cheat.addr),
        bal_before + BOND - BOND * 500 / 10_000
    );
}

/// A genesis whose registry unbonding period is shorter than the reach of fast-path evidence
/// is refused with an error naming both numbers.
#[test]
fn attack_escape_by_unbonding_genesis_refused() {
    let mut store = cosmwasm_std::testing::MockStorage::new();
    let block = bls_core::BlockInfo {
        height: 1,
        chain_id: CHAIN_ID.into(),
        ..bls_core::BlockInfo::default()
    };
    let gas = bls_core::GasMeter::infinite();
    let reg = serde_json::json!({"params": {"unbonding_blocks": 99}});
    let orch =
        serde_json::json!({"params": {"fastpath_request_ttl": 50, "fastpath_settle_window": 50}});
    let mut ctx = bls_core::Context::new(&mut store, &block, &gas);
    bls_core::Module::init_genesis(&RegistryModule, &mut ctx, &reg).unwrap();
    let e =
        bls_core::Module::init_genesis(&bls_orchestration::OrchestrationModule, &mut ctx, &orch)
            .unwrap_err();
    assert!(e.log.contains("unbonding_blocks (99)"), "{e}");
    assert!(e.log.contains("50 + 50 = 100"), "{e}");
    let orch = serde_json::json!({"params": {"fastpath_request_ttl": 49,
        "fastpath_settle_window": 50, "head_dispute_window": 40, "challenge_window": 10}});
    bls_core::Module::init_genesis(&bls_orchestration::OrchestrationModule, &mut ctx, &orch)
        .expect("99 covers 49 + 50, 49 + 40 and 40 + 10 + 1");
}

/// An invoker must not be able to take its deposit out before a head can settle what it
/// served: a genesis whose `fastpath_withdraw_delay` is shorter than `fastpath_request_ttl +
/// fastpath_settle_window` is refused; at the bound it is accepted, and a withdrawal
/// requested while a served request is alive releases no earlier than that request's last
/// settlement height.
#[test]
fn attack_withdraw_before_head_settles_refused() {
    let mut store = cosmwasm_std::testing::MockStorage::new();
    let block = bls_core::BlockInfo {
        height: 1,
        chain_id: CHAIN_ID.into(),
        ..bls_core::BlockInfo::default()
    };
    let gas = bls_core::GasMeter::infinite();
    let mut ctx = bls_core::Context::new(&mut store, &block, &gas);
    bls_core::Module::init_genesis(&RegistryModule, &mut ctx, &serde_json::json!({})).unwrap();
    let orch = |delay: u64| {
        serde_json::json!({"params": {"fastpath_request_ttl": 300,
            "fastpath_settle_window": 700, "fastpath_withdraw_delay": delay}})
    };
    let e = bls_core::Module::init_genesis(
        &bls_orchestration::OrchestrationModule,
        &mut ctx,
        &orch(999),
    )
    .unwrap_err();
    assert!(e.log.contains("fastpath_withdraw_delay 999"), "{e}");
    assert!(e.log.contains("= 1000"), "{e}");
    bls_core::Module::init_genesis(
        &bls_orchestration::OrchestrationModule,
        &mut ctx,
        &orch(1000),
    )
    .expect("at the bound");

    // In the harness (ttl 4 + settle 6 ≤ delay): a request served now settles before the
    // withdrawal requested in the same block is released.
    let mut w = world();
    let expiry = w.expiry();
    let msg = MsgFastPathWithdraw {
        invoker: w.invoker.addr.to_string(),
        amount: Some(ProtoCoin::ubls(1_000_000)),
    };
    let r = w
        .chain
        .orch(&w.invoker.addr, encode_any(&msg, MSG_FASTPATH_WITHDRAW))
        .unwrap();
    let r = <MsgFastPathWithdrawResponse as prost::Message>::decode(r.value.as_slice()).unwrap();
    assert!(r.release_height > expiry + FASTPATH_SETTLE_WINDOW);
}

// ---------------------------------------------------------------------------------------
// Windows and bad input.
// ---------------------------------------------------------------------------------------

/// Receipts outside the request's window are refused; settled and punished markers are
/// forgotten once the window has closed, and a replay after that is still refused (by the
/// window).
#[test]
fn request_windows_bound_settlement_and_markers() {
    let mut w = world();
    // The equivocator below is jailed; the head that settles must not be it.
    let members: Vec<SimWorker> = w
        .members()
        .into_iter()
        .filter(|m| m.addr != w.head.addr)
        .collect();
    let code = w.code_hash;
    let head = w.head.addr.clone();
    let signers = [&members[0], &members[1]];
    // Expiring more than the TTL ahead: no honest head serves it; the chain refuses it.
    let (r, _) = receipt(&w.invoker, w.function, &code, 1, w.expiry() + 1, signers);
    assert_refused(
        settle(&mut w.chain, &head, vec![r]),
        &variant!(FastPathError::RequestNotYetValid {
            index,
            request,
            expiry,
            from,
            height
        }),
    );
    // In the window: settles, and is queued to be forgotten.
    let (r, id) = receipt(&w.invoker, w.function, &code, 2, w.expiry(), signers);
    settle(&mut w.chain, &head, vec![r.clone()]).expect("settles");
    let id_hex = hex::encode(id);
    assert!(SETTLED.has(&w.chain.store, &id_hex));
    let expiry = r.request.as_ref().unwrap().expiry_height;
    // An equivocation on the same request leaves a marker too.
    let (req, _) = (r.request.clone().unwrap(), ());
    submit(
        &mut w.chain,
        &evidence(
            &user(9),
            &req,
            vec![
                sig(&members[2], &id, &code, &[1u8; 32]),
                sig(&members[2], &id, &code, &[2u8; 32]),
            ],
            &[],
        ),
    )
    .expect("equivocation");
    w.chain.until(expiry + FASTPATH_SETTLE_WINDOW);
    assert_refused(
        settle(&mut w.chain, &head, vec![r.clone()]),
        &variant!(FastPathError::Replayed(_)),
    );
    w.chain.next_block();
    assert!(
        !SETTLED.has(&w.chain.store, &id_hex),
        "forgotten after the window"
    );
    assert!(!EVIDENCE_HANDLED.has(&w.chain.store, (&id_hex, members[2].addr.as_str())));
    let before =
        bls_orchestration::fastpath::state::deposit_of(&w.chain.store, &w.invoker.addr).unwrap();
    assert_refused(
        settle(&mut w.chain, &head, vec![r]),
        &variant!(FastPathError::RequestClosed {
            index,
            request,
            until,
            height
        }),
    );
    assert_eq!(
        bls_orchestration::fastpath::state::deposit_of(&w.chain.store, &w.invoker.addr).unwrap(),
        before
    );
}

/// Every new field refuses malformed values with a typed error and changes nothing.
#[test]
fn malformed_requests_and_evidence_are_refused() {
    let mut w = world();
    let members = w.members();
    let code = w.code_hash;
    let (req, id) = w.request(1);
    let good_b = exited(b"good");
    let good = sha(&good_b);
    let results = vec![
        sig(&members[0], &id, &code, &good),
        sig(&members[1], &id, &code, &[3u8; 32]),
    ];
    let before = w.bonds();
    let store_before = w.chain.snapshot();
    let invalid = variant!(FastPathError::InvalidField { field, reason });
    let bad_outcome = variant!(FastPathError::BadOutcome { index, reason });
    let bad_signature = variant!(FastPathError::BadWorkerSignature {
        index,
        worker,
        reason
    });
    let check = |w: &mut World, m: MsgSubmitEvidence, refusal: &FastPathError, want: &str| {
        let e = assert_refused(submit(&mut w.chain, &m), refusal);
        assert!(e.log.contains(want), "want {want:?} in {e}");
    };
    let base = evidence(&user(9), &req, results.clone(), &[]);
    // No request at all.
    check(
        &mut w,
        MsgSubmitEvidence {
            request: None,
            ..base.clone()
        },
        &invalid,
        "request",
    );
    // Malformed request fields.
    let bad_req = |f: &dyn Fn(&mut SignedRequest)| {
        let mut r = req.clone();
        f(&mut r);
        evidence(&user(9), &r, results.clone(), &[])
    };
    check(
        &mut w,
        bad_req(&|r| r.code_hash = vec![1; 31]),
        &invalid,
        "code_hash",
    );
    check(
        &mut w,
        bad_req(&|r| r.expiry_height = 0),
        &invalid,
        "expiry_height",
    );
    check(
        &mut w,
        bad_req(&|r| r.time_nanos = 1_000_000_000),
        &invalid,
        "time_nanos",
    );
    check(
        &mut w,
        bad_req(&|r| r.payload_hash = vec![]),
        &invalid,
        "payload_hash",
    );
    check(&mut w, bad_req(&|r| r.max_fee = None), &invalid, "max_fee");
    check(
        &mut w,
        bad_req(&|r| r.invoker = "nope".into()),
        &invalid,
        "invoker",
    );
    // Malformed outcomes.
    let with = |o: Vec<ResultOutcome>| MsgSubmitEvidence {
        outcomes: o,
        ..base.clone()
    };
    let ro = |h: &[u8], o: &[u8]| ResultOutcome {
        result_hash: h.to_vec(),
        outcome: o.to_vec(),
    };
    check(
        &mut w,
        with(vec![ro(&[1; 5], &good_b)]),
        &bad_outcome,
        "32 bytes",
    );
    check(
        &mut w,
        with(vec![ro(&[3u8; 32], &good_b)]),
        &bad_outcome,
        "sha256",
    );
    check(
        &mut w,
        with(vec![ro(&[4u8; 32], &good_b)]),
        &bad_outcome,
        "no signed result",
    );
    check(
        &mut w,
        with(vec![ro(&good, &good_b), ro(&good, &good_b)]),
        &bad_outcome,
        "twice",
    );
    let huge = vec![0u8; 200 * 1024];
    check(&mut w, with(vec![ro(&sha(&huge), &huge)]), &bad_outcome, "");
    let garbage = b"not an outcome".to_vec();
    let mut r2 = results.clone();
    r2.push(sig(&members[2], &id, &code, &sha(&garbage)));
    check(
        &mut w,
        MsgSubmitEvidence {
            results: r2,
            outcomes: vec![ro(&sha(&garbage), &garbage)],
            ..base.clone()
        },
        &bad_outcome,
        "",
    );
    check(
        &mut w,
        with((0..65).map(|_| ro(&good, &good_b)).collect()),
        &invalid,
        "outcomes",
    );
    // Too few or too many results.
    check(
        &mut w,
        MsgSubmitEvidence {
            results: results[..1].to_vec(),
            ..base.clone()
        },
        &invalid,
        "results",
    );
    // A result hash of the wrong size.
    let mut short = results.clone();
    short[0].result_hash = vec![1; 3];
    check(
        &mut w,
        MsgSubmitEvidence {
            results: short,
            ..base.clone()
        },
        &invalid,
        "result_hash",
    );
    // An unregistered signer.
    let stranger = SimWorker::new(130, "mars", "AS130");
    let mut r3 = results.clone();
    r3.push(sig(&stranger, &id, &code, &good));
    check(
        &mut w,
        MsgSubmitEvidence {
            results: r3,
            ..base
        },
        &bad_signature,
        "not registered",
    );

    assert_untouched(&before, &w);
    assert_eq!(
        w.chain.snapshot(),
        store_before,
        "refused evidence changes no state"
    );
}

// ---------------------------------------------------------------------------------------
// Dissent is judged only among the function's current Active members (C1).
// ---------------------------------------------------------------------------------------

/// Sybils that hold a function's seats now cannot get an honest *former* member slashed for
/// what it signed honestly while it held a seat: the honest member is repaired away, its
/// seat goes to another worker, and the remaining members plus the newcomer sign a false
/// "majority" against its (true) result. Refused; every bond untouched.
#[test]
fn attack_dissent_against_former_member() {
    let mut w = world();
    let members = w.members();
    let code = w.code_hash;
    let (good_b, bad_b) = (exited(b"good"), exited(b"bad"));
    let (good, bad) = (sha(&good_b), sha(&bad_b));
    let (req, id) = w.request(1);
    let honest = members[3].clone();
    let honest_sig = sig(&honest, &id, &code, &good);
    // The honest member leaves the subnetwork; a newcomer takes its seat.
    let newcomer = w
        .workers
        .iter()
        .find(|x| !members.iter().any(|m| m.addr == x.addr))
        .expect("a worker outside the subnetwork")
        .clone();
    let mut subnet = SUBNETS.load(&w.chain.store, w.function).unwrap();
    subnet.workers.retain(|a| *a != honest.addr);
    subnet.workers.push(newcomer.addr.clone());
    SUBNETS
        .save(&mut w.chain.store, w.function, &subnet)
        .unwrap();
    let before = w.bonds();
    let e = assert_refused(
        submit(
            &mut w.chain,
            &evidence(
                &user(9),
                &req,
                vec![
                    sig(&members[0], &id, &code, &bad),
                    sig(&members[1], &id, &code, &bad),
                    sig(&newcomer, &id, &code, &bad),
                    honest_sig,
                ],
                &[(&good, &good_b), (&bad, &bad_b)],
            ),
        ),
        &variant!(FastPathError::Inconclusive(_)),
    );
    assert!(e.log.contains("Active subnetwork member"), "{e}");
    assert_untouched(&before, &w);
}

/// Sybils seated by a repair after a request was served claim to be the function's majority
/// for it. Worker signatures carry no height, so only members seated by the time the request's
/// key window opened count and are judged: the sybils' evidence is refused and the honest
/// members that served the request keep their bonds. The same members, seated in time, do
/// make a majority.
#[test]
fn attack_dissent_by_members_seated_after_the_request() {
    let mut w = world();
    let members = w.members();
    let code = w.code_hash;
    let (good_b, bad_b) = (exited(b"good"), exited(b"bad"));
    let (good, bad) = (sha(&good_b), sha(&bad_b));
    let (req, id) = w.request(1);
    let honest = members[0].clone();
    // Three sybils take the other seats one block after the request's window opened.
    let sybils: Vec<SimWorker> = w
        .workers
        .iter()
        .filter(|x| !members.iter().any(|m| m.addr == x.addr))
        .take(3)
        .cloned()
        .collect();
    assert_eq!(sybils.len(), 3, "workers outside the subnetwork");
    w.chain.next_block();
    let seated = w.chain.block.height;
    let mut subnet = SUBNETS.load(&w.chain.store, w.function).unwrap();
    let mut joined = vec![subnet.member_since(&honest.addr).unwrap()];
    subnet.workers = vec![honest.addr.clone()];
    for s in &sybils {
        subnet.workers.push(s.addr.clone());
        joined.push(seated);
    }
    subnet.joined = joined;
    subnet.placed_height = seated;
    SUBNETS
        .save(&mut w.chain.store, w.function, &subnet)
        .unwrap();
    let ev = evidence(
        &user(9),
        &req,
        vec![
            sig(&honest, &id, &code, &good),
            sig(&sybils[0], &id, &code, &bad),
            sig(&sybils[1], &id, &code, &bad),
            sig(&sybils[2], &id, &code, &bad),
        ],
        &[(&good, &good_b), (&bad, &bad_b)],
    );
    let before = w.bonds();
    assert_refused(
        submit(&mut w.chain, &ev),
        &variant!(FastPathError::Inconclusive(_)),
    );
    assert_untouched(&before, &w);

    // Control: had they been seated before the window opened, they would be the majority.
    let mut subnet = SUBNETS.load(&w.chain.store, w.function).unwrap();
    subnet.joined = vec![0; subnet.workers.len()];
    SUBNETS
        .save(&mut w.chain.store, w.function, &subnet)
        .unwrap();
    let r = submit(&mut w.chain, &ev).expect("members seated in time are a majority");
    assert_eq!(r.slashed, vec![honest.addr.to_string()]);
}

/// A jailed (or unbonding) member neither counts towards the majority nor is judged: two
/// Active members agreeing against a third slash it, the jailed member's vote for the
/// dissenter's hash changes nothing and it is not punished for dissenting.
#[test]
fn jailed_members_neither_count_nor_are_judged() {
    let mut w = world();
    let members = w.members();
    let code = w.code_hash;
    let (good_b, bad_b) = (exited(b"good"), exited(b"bad"));
    let (good, bad) = (sha(&good_b), sha(&bad_b));
    let (req, id) = w.request(1);
    let jailed = members[2].clone();
    let liar = members[3].clone();
    let until = w.chain.block.height + 50;
    w.chain.jail(&jailed.addr, until);
    let jailed_bond = w.bond(&jailed.addr);
    let r = submit(
        &mut w.chain,
        &evidence(
            &user(9),
            &req,
            vec![
                sig(&members[0], &id, &code, &good),
                sig(&members[1], &id, &code, &good),
                sig(&jailed, &id, &code, &bad),
                sig(&liar, &id, &code, &bad),
            ],
            &[(&good, &good_b), (&bad, &bad_b)],
        ),
    )
    .expect("two of three Active members agree");
    assert_eq!(r.slashed, vec![liar.addr.to_string()]);
    assert_eq!(
        w.bond(&jailed.addr),
        jailed_bond,
        "a jailed member is not judged"
    );
}

/// With fewer than three Active members no dissent is judged: a one- or two-seat subnetwork
/// (one sybil beside an honest worker) cannot produce a slashing majority.
#[test]
fn attack_dissent_in_a_tiny_subnetwork_refused() {
    let mut w = world();
    let members = w.members();
    let code = w.code_hash;
    let (good_b, bad_b) = (exited(b"good"), exited(b"bad"));
    let (good, bad) = (sha(&good_b), sha(&bad_b));
    let (req, id) = w.request(1);
    let mut subnet = SUBNETS.load(&w.chain.store, w.function).unwrap();
    subnet.workers = vec![members[0].addr.clone(), members[1].addr.clone()];
    SUBNETS
        .save(&mut w.chain.store, w.function, &subnet)
        .unwrap();
    let before = w.bonds();
    let e = assert_refused(
        submit(
            &mut w.chain,
            &evidence(
                &user(9),
                &req,
                vec![
                    sig(&members[0], &id, &code, &bad),
                    sig(&members[1], &id, &code, &good),
                ],
                &[(&good, &good_b), (&bad, &bad_b)],
            ),
        ),
        &variant!(FastPathError::Inconclusive(_)),
    );
    assert!(e.log.contains("only with at least 3"), "{e}");
    assert_untouched(&before, &w);
}

// ---------------------------------------------------------------------------------------
// Evidence markers record the penalty; only an upgrade passes (M1).
// ---------------------------------------------------------------------------------------

/// A member first gets a liveness miss for a timed-out dissent; later evidence proves it
/// signed two results for the same request. The miss does not shield it: it is slashed. The
/// slash is not repeated, and the miss evidence cannot be replayed after it.
#[test]
fn attack_miss_shields_equivocation() {
    let mut w = world();
    let members = w.members();
    let code = w.code_hash;
    let cheat = members[3].clone();
    let (done_b, late_b) = (exited(b"done"), trapped(TrapKind::Timeout));
    let (done, late) = (sha(&done_b), sha(&late_b));
    let other = sha(&exited(b"other"));
    let (req, id) = w.request(1);
    let miss = evidence(
        &user(66),
        &req,
        vec![
            sig(&members[0], &id, &code, &done),
            sig(&members[1], &id, &code, &done),
            sig(&members[2], &id, &code, &done),
            sig(&cheat, &id, &code, &late),
        ],
        &[(&done, &done_b), (&late, &late_b)],
    );
    let r = submit(&mut w.chain, &miss).expect("a miss");
    assert_eq!(r.missed, vec![cheat.addr.to_string()]);
    assert_eq!(w.bond(&cheat.addr), BOND);
    let equivocation = evidence(
        &user(66),
        &req,
        vec![
            sig(&cheat, &id, &code, &late),
            sig(&cheat, &id, &code, &other),
        ],
        &[],
    );
    let r = submit(&mut w.chain, &equivocation).expect("the miss is raised to a slash");
    assert_eq!(r.slashed, vec![cheat.addr.to_string()]);
    let slashed = BOND - BOND * 500 / 10_000;
    assert_eq!(w.bond(&cheat.addr), slashed);
    assert_eq!(w.status(&cheat.addr), WorkerStatus::Jailed);
    for again in [&equivocation, &miss] {
        let e = submit(&mut w.chain, again).unwrap_err();
        assert!(e.log.contains("already punished"), "{e}");
        assert_eq!(w.bond(&cheat.addr), slashed);
    }
}

// ---------------------------------------------------------------------------------------
// Gas for signature checks (M2).
// ---------------------------------------------------------------------------------------

/// Evidence with the most results a message may carry makes the chain verify that many
/// secp256k1 signatures. Each verification is charged before it runs: at a low gas limit the
/// message runs out of gas after a few checks and writes nothing; with enough gas it consumed
/// at least one verification's price per result.
#[test]
fn attack_cheap_signature_flood_runs_out_of_gas() {
    use bls_orchestration::fastpath::state::MAX_EVIDENCE_RESULTS;
    let mut w = world();
    let members = w.members();
    let code = w.code_hash;
    let (req, id) = w.request(1);
    let results: Vec<SignedResult> = (0..MAX_EVIDENCE_RESULTS)
        .map(|i| {
            let m = &members[i % members.len()];
            let h = sha(format!("result {i}").as_bytes());
            sig(m, &id, &code, &h)
        })
        .collect();
    let msg = encode_any(&evidence(&user(9), &req, results, &[]), MSG_SUBMIT_EVIDENCE);
    let per_sig = bls_core::GasConfig::default().sig_verify_secp256k1;
    let limit = per_sig * 5;
    let before = w.chain.snapshot();
    let gas = bls_core::GasMeter::new(limit, bls_core::GasConfig::default());
    let r = w.chain.deliver_metered(&user(9), msg.clone(), &gas);
    assert!(r.is_err(), "out of gas");
    assert!(gas.check().is_err(), "the meter says out of gas");
    let max_keys = u64::try_from(bls_registry::result_keys::MAX_RESULT_KEYS).unwrap();
    assert!(
        gas.consumed() <= limit + per_sig * max_keys,
        "stopped at the charge that crossed the limit ({} used)",
        gas.consumed()
    );
    assert_eq!(w.chain.snapshot(), before, "nothing written");

    // With enough gas every signature was paid for (and the equivocators slashed).
    let gas = bls_core::GasMeter::new(u64::MAX / 2, bls_core::GasConfig::default());
    w.chain
        .deliver_metered(&user(9), msg, &gas)
        .expect("equivocation evidence");
    let n = u64::try_from(MAX_EVIDENCE_RESULTS).unwrap();
    assert!(gas.consumed() >= per_sig * n, "{} used", gas.consumed());
}

/// L4: a function whose stored manifest no longer parses (an older format imported in
/// genesis): whether a dissent is the worker's fault is unknown, so dissent evidence judges
/// nobody (refused as inconclusive, naming why, not failing as a store error) — while
/// equivocation about the same request is still slashed.
#[test]
fn unparsable_manifest_judges_no_dissent_but_equivocation() {
    let mut w = world();
    let members = w.members();
    let code = w.code_hash;
    let (good_b, bad_b) = (exited(b"good"), exited(b"bad"));
    let (good, bad) = (sha(&good_b), sha(&bad_b));
    let mut f = bls_orchestration::testing::FUNCTIONS
        .load(&w.chain.store, w.function)
        .unwrap();
    f.manifest_json = r#"{"limits":{"gpu":true}}"#.into();
    bls_orchestration::testing::FUNCTIONS
        .save(&mut w.chain.store, w.function, &f)
        .unwrap();
    let (req, id) = w.request(1);
    let liar = members[3].clone();
    let before = w.bonds();
    let e = assert_refused(
        submit(
            &mut w.chain,
            &evidence(
                &user(9),
                &req,
                vec![
                    sig(&members[0], &id, &code, &good),
                    sig(&members[1], &id, &code, &good),
                    sig(&members[2], &id, &code, &good),
                    sig(&liar, &id, &code, &bad),
                ],
                &[(&good, &good_b), (&bad, &bad_b)],
            ),
        ),
        &variant!(FastPathError::Inconclusive(_)),
    );
    assert!(e.log.contains("does not parse"), "{e}");
    assert_untouched(&before, &w);
    let r = submit(
        &mut w.chain,
        &evidence(
            &user(9),
            &req,
            vec![sig(&liar, &id, &code, &good), sig(&liar, &id, &code, &bad)],
            &[],
        ),
    )
    .expect("equivocation needs no manifest");
    assert_eq!(r.slashed, vec![liar.addr.to_string()]);
}
