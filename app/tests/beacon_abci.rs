//! The randomness beacon through the ABCI app: vote extensions made and checked, the
//! pseudo-transaction a proposer must put first, the attacks on it (forged or stripped
//! signatures, a missing or misplaced pseudo-transaction, a copy through CheckTx, too little
//! power, a lying reveal, a ground block hash), and determinism across apps and a reopen.

use bls_app::abci::BlsApp;
use bls_app::store::Store;
use bls_beacon::queries::RandomnessResponse;
use bls_beacon::verify::{consensus_address, sign_bytes};
use bls_beacon::VoteExtension;
use ed25519_consensus::SigningKey;
use prost::bytes::Bytes;
use tendermint_proto::v0_38::abci::{
    request, response, response_process_proposal::ProposalStatus,
    response_verify_vote_extension::VerifyStatus, CommitInfo, ExtendedCommitInfo, ExtendedVoteInfo,
    RequestCheckTx, RequestExtendVote, RequestFinalizeBlock, RequestInfo, RequestInitChain,
    RequestPrepareProposal, RequestProcessProposal, RequestQuery, RequestVerifyVoteExtension,
    Validator, ValidatorUpdate, VoteInfo,
};
use tendermint_proto::v0_38::crypto::{public_key::Sum, PublicKey};
use tendermint_proto::v0_38::types::{AbciParams, ConsensusParams};

const CHAIN: &str = "beacon-abci";
const COMMIT: i32 = 2;
const ABSENT: i32 = 1;

struct Val {
    sk: SigningKey,
    secret: [u8; 32],
    power: i64,
}

impl Val {
    fn pubkey(&self) -> Vec<u8> {
        self.sk.verification_key().to_bytes().to_vec()
    }
    fn address(&self) -> Vec<u8> {
        consensus_address(&self.pubkey())
    }
    fn extension(&self, height: u64) -> Vec<u8> {
        VoteExtension::for_height(&self.secret, CHAIN, height).encode()
    }
}

/// CometBFT's genesis validators (power 30, 10, 10, 10): no staking validators, so their
/// keys reach the app only through InitChain.
fn vals() -> Vec<Val> {
    [(1u8, 30i64), (2, 10), (3, 10), (4, 10)]
        .into_iter()
        .map(|(n, power)| Val {
            sk: SigningKey::from([n; 32]),
            secret: [n + 100; 32],
            power,
        })
        .collect()
}

fn app(vals: &[Val], enable_height: i64) -> BlsApp {
    let mut app = BlsApp::with_store(Store::open_in_memory().expect("store"));
    init(&mut app, vals, enable_height);
    app
}

fn init(app: &mut BlsApp, vals: &[Val], enable_height: i64) {
    app.init_chain(RequestInitChain {
        chain_id: CHAIN.into(),
        initial_height: 1,
        consensus_params: Some(ConsensusParams {
            abci: Some(AbciParams {
                vote_extensions_enable_height: enable_height,
            }),
            ..Default::default()
        }),
        validators: vals
            .iter()
            .map(|v| ValidatorUpdate {
                pub_key: Some(PublicKey {
                    sum: Some(Sum::Ed25519(v.pubkey())),
                }),
                power: v.power,
            })
            .collect(),
        ..Default::default()
    })
    .expect("init chain");
}

/// The honest extended commit of `height` (flags per validator) and the block's last commit.
fn commit(vals: &[Val], height: u64, flags: &[i32]) -> (ExtendedCommitInfo, CommitInfo) {
    let mut ext = ExtendedCommitInfo::default();
    let mut last = CommitInfo::default();
    for (v, &flag) in vals.iter().zip(flags) {
        let validator = Some(Validator {
            address: v.address().into(),
            power: v.power,
        });
        let (e, sig) = if flag == COMMIT {
            let e = v.extension(height);
            let sig =
                v.sk.sign(&sign_bytes(CHAIN, height, 0, &e))
                    .to_bytes()
                    .to_vec();
            (e, sig)
        } else {
            (vec![], vec![])
        };
        ext.votes.push(ExtendedVoteInfo {
            validator: validator.clone(),
            vote_extension: e.into(),
            extension_signature: sig.into(),
            block_id_flag: flag,
        });
        last.votes.push(VoteInfo {
            validator,
            block_id_flag: flag,
        });
    }
    (ext, last)
}

fn prepare(
    app: &BlsApp,
    height: u64,
    ext: Option<ExtendedCommitInfo>,
    mempool: Vec<Bytes>,
) -> Vec<Bytes> {
    app.prepare_proposal(RequestPrepareProposal {
        max_tx_bytes: 1 << 20,
        txs: mempool,
        local_last_commit: ext,
        height: height as i64,
        ..Default::default()
    })
    .txs
}

fn process(app: &BlsApp, height: u64, txs: &[Bytes], last: &CommitInfo) -> ProposalStatus {
    let r = app.process_proposal(RequestProcessProposal {
        txs: txs.to_vec(),
        proposed_last_commit: Some(last.clone()),
        height: height as i64,
        hash: vec![height as u8; 32].into(),
        ..Default::default()
    });
    ProposalStatus::try_from(r.status).expect("status")
}

fn finalize(app: &mut BlsApp, height: u64, txs: &[Bytes], last: &CommitInfo, hash: u8) -> Vec<u32> {
    let r = app
        .finalize_block(RequestFinalizeBlock {
            txs: txs.to_vec(),
            decided_last_commit: Some(last.clone()),
            height: height as i64,
            hash: vec![hash; 32].into(),
            ..Default::default()
        })
        .expect("finalize");
    app.commit().expect("commit");
    r.tx_results.iter().map(|t| t.code).collect()
}

fn randomness(app: &BlsApp) -> RandomnessResponse {
    let r = app.query(RequestQuery {
        path: "/bls.beacon.v1.Query/Randomness".into(),
        data: b"{}".to_vec().into(),
        ..Default::default()
    });
    assert_eq!(r.code, 0, "{}", r.log);
    serde_json::from_slice(&r.value).expect("json")
}

/// Runs block 1 (no last commit) and blocks 2..=`to` with every validator's honest
/// extensions, each proposal accepted; returns the randomness after each block.
fn run_honest(app: &mut BlsApp, vals: &[Val], to: u64, hash: impl Fn(u64) -> u8) -> Vec<String> {
    let mut out = Vec::new();
    finalize(app, 1, &[], &CommitInfo::default(), hash(1));
    out.push(randomness(app).randomness.value);
    for h in 2..=to {
        let (ext, last) = commit(vals, h - 1, &[COMMIT; 4]);
        let txs = prepare(app, h, Some(ext), vec![]);
        assert_eq!(
            process(app, h, &txs, &last),
            ProposalStatus::Accept,
            "height {h}"
        );
        assert_eq!(finalize(app, h, &txs, &last, hash(h)), vec![0]);
        out.push(randomness(app).randomness.value);
    }
    out
}

#[test]
fn reveals_are_mixed_every_block() {
    let vs = vals();
    let mut a = app(&vs, 1);
    let outs = run_honest(&mut a, &vs, 5, |h| h as u8);
    let distinct: std::collections::BTreeSet<&String> = outs.iter().collect();
    assert_eq!(
        distinct.len(),
        outs.len(),
        "the randomness changes every block: {outs:?}"
    );
    let r = randomness(&a);
    assert_eq!(r.vote_extensions_enable_height, 1);
    assert_eq!(r.randomness.source.as_str(), "vote_extensions");
    assert_eq!(
        (
            r.randomness.height,
            r.randomness.reveals,
            r.randomness.mixed_power
        ),
        (5, 4, 60)
    );
}

#[test]
fn the_app_extends_and_checks_votes() {
    let vs = vals();
    let mut a = app(&vs, 1);
    let ask =
        |a: &mut BlsApp, h: i64| match a.handle(request::Value::ExtendVote(RequestExtendVote {
            height: h,
            ..Default::default()
        })) {
            response::Value::ExtendVote(r) => r.vote_extension,
            other => panic!("{other:?}"),
        };
    // Without a secret the node withholds.
    assert!(ask(&mut a, 3).is_empty());
    a.set_beacon_secret(vs[0].secret);
    assert_eq!(ask(&mut a, 3).to_vec(), vs[0].extension(3));
    let verify = |a: &mut BlsApp, e: Vec<u8>| match a.handle(request::Value::VerifyVoteExtension(
        RequestVerifyVoteExtension {
            vote_extension: e.into(),
            height: 3,
            ..Default::default()
        },
    )) {
        response::Value::VerifyVoteExtension(r) => VerifyStatus::try_from(r.status).unwrap(),
        other => panic!("{other:?}"),
    };
    assert_eq!(verify(&mut a, vs[1].extension(3)), VerifyStatus::Accept);
    assert_eq!(verify(&mut a, vec![]), VerifyStatus::Accept);
    assert_eq!(verify(&mut a, vec![1; 64]), VerifyStatus::Reject);
    assert_eq!(verify(&mut a, vec![7; 65]), VerifyStatus::Reject);
}

#[test]
fn attack_forged_vote_extension_signature_rejected() {
    let vs = vals();
    let mut a = app(&vs, 1);
    run_honest(&mut a, &vs, 3, |h| h as u8);
    let before = randomness(&a);
    // The proposer of 4 replaces validator 2's reveal with one it picked, keeping the signature.
    let (mut ext, last) = commit(&vs, 3, &[COMMIT; 4]);
    let mut forged = VoteExtension::decode(&ext.votes[2].vote_extension)
        .unwrap()
        .unwrap();
    forged.reveal = [0xaa; 32];
    ext.votes[2].vote_extension = forged.encode().into();
    let txs = prepare(&a, 4, Some(ext), vec![]);
    assert_eq!(process(&a, 4, &txs, &last), ProposalStatus::Reject);
    // Had a byzantine majority decided it anyway, every node mixes nothing from it, the same
    // way: the pseudo-transaction fails and the randomness chains without input.
    let codes = finalize(&mut a, 4, &txs, &last, 4);
    assert_ne!(codes[0], 0);
    let after = randomness(&a);
    assert_eq!(after.randomness.source.as_str(), "missing");
    assert_ne!(after.randomness.value, before.randomness.value);
}

#[test]
fn attack_missing_or_misplaced_pseudo_tx_rejected() {
    let vs = vals();
    let mut a = app(&vs, 1);
    run_honest(&mut a, &vs, 2, |h| h as u8);
    let (ext, last) = commit(&vs, 2, &[COMMIT; 4]);
    let pseudo = Bytes::from(bls_beacon::pseudo_tx::encode(&ext));
    let other = Bytes::from_static(b"some tx");
    // Missing.
    assert_eq!(
        process(&a, 3, std::slice::from_ref(&other), &last),
        ProposalStatus::Reject
    );
    assert_eq!(process(&a, 3, &[], &last), ProposalStatus::Reject);
    // Not first.
    assert_eq!(
        process(&a, 3, &[other.clone(), pseudo.clone()], &last),
        ProposalStatus::Reject
    );
    // Twice.
    assert_eq!(
        process(&a, 3, &[pseudo.clone(), pseudo.clone()], &last),
        ProposalStatus::Reject
    );
    // Malformed.
    let mut broken = bls_beacon::pseudo_tx::PREFIX.to_vec();
    broken.extend_from_slice(&[0xff; 7]);
    assert_eq!(
        process(&a, 3, &[broken.into()], &last),
        ProposalStatus::Reject
    );
    // The honest block.
    assert_eq!(
        process(&a, 3, &[pseudo.clone(), other], &last),
        ProposalStatus::Accept
    );
    // On a chain without vote extensions, a pseudo-transaction is refused anywhere.
    let mut off = app(&vs, 0);
    finalize(&mut off, 1, &[], &CommitInfo::default(), 1);
    assert_eq!(process(&off, 2, &[pseudo], &last), ProposalStatus::Reject);
    assert_eq!(process(&off, 2, &[], &last), ProposalStatus::Accept);
}

#[test]
fn attack_pseudo_tx_through_checktx_refused() {
    let vs = vals();
    let mut a = app(&vs, 1);
    run_honest(&mut a, &vs, 2, |h| h as u8);
    let (ext, _) = commit(&vs, 2, &[COMMIT; 4]);
    let pseudo = bls_beacon::pseudo_tx::encode(&ext);
    let r = a.check_tx(RequestCheckTx {
        tx: pseudo.clone().into(),
        ..Default::default()
    });
    assert_ne!(r.code, 0);
    assert_eq!(r.codespace, "beacon");
    assert!(r.log.contains("proposer"), "{}", r.log);
    // A proposer never takes one from its mempool, and puts its own first.
    let (ext3, _) = commit(&vs, 2, &[COMMIT, COMMIT, COMMIT, ABSENT]);
    let txs = prepare(
        &a,
        3,
        Some(ext3.clone()),
        vec![pseudo.into(), Bytes::from_static(b"x")],
    );
    assert_eq!(txs.len(), 2);
    assert_eq!(txs[0].to_vec(), bls_beacon::pseudo_tx::encode(&ext3));
    assert_eq!(txs[1].as_ref(), b"x");
}

#[test]
fn attack_two_thirds_or_less_of_the_power_rejected() {
    let vs = vals();
    let mut a = app(&vs, 1);
    run_honest(&mut a, &vs, 2, |h| h as u8);
    // 30 + 10 of 60 signed: exactly 2/3.
    let (ext, last) = commit(&vs, 2, &[COMMIT, COMMIT, ABSENT, ABSENT]);
    let txs = prepare(&a, 3, Some(ext), vec![]);
    assert_eq!(process(&a, 3, &txs, &last), ProposalStatus::Reject);
    // Claiming absent votes in the pseudo-transaction while the block counts them.
    let (ext, _) = commit(&vs, 2, &[COMMIT, COMMIT, ABSENT, ABSENT]);
    let (_, full) = commit(&vs, 2, &[COMMIT; 4]);
    let txs = prepare(&a, 3, Some(ext), vec![]);
    assert_eq!(process(&a, 3, &txs, &full), ProposalStatus::Reject);
    let (ext, last) = commit(&vs, 2, &[COMMIT, COMMIT, COMMIT, ABSENT]);
    let txs = prepare(&a, 3, Some(ext), vec![]);
    assert_eq!(process(&a, 3, &txs, &last), ProposalStatus::Accept);
}

#[test]
fn attack_reveal_not_matching_commitment_not_mixed() {
    let vs = vals();
    let mut a = app(&vs, 1);
    run_honest(&mut a, &vs, 3, |h| h as u8);
    // Validator 0 (half the power) signs a reveal other than the value it committed to.
    let mut lie = VoteExtension::decode(&vs[0].extension(3)).unwrap().unwrap();
    lie.reveal = [0x11; 32];
    let (mut ext, last) = commit(&vs, 3, &[COMMIT; 4]);
    let e = lie.encode();
    ext.votes[0].extension_signature = vs[0]
        .sk
        .sign(&sign_bytes(CHAIN, 3, 0, &e))
        .to_bytes()
        .to_vec()
        .into();
    ext.votes[0].vote_extension = e.into();
    let txs = prepare(&a, 4, Some(ext), vec![]);
    // Validly signed: the block is fine; the lie just does not count.
    assert_eq!(process(&a, 4, &txs, &last), ProposalStatus::Accept);
    assert_eq!(finalize(&mut a, 4, &txs, &last, 4), vec![0]);
    let r = randomness(&a).randomness;
    assert_eq!((r.reveals, r.withheld, r.mixed_power), (3, 1, 30));
}

#[test]
fn attack_grind_block_hash_does_not_move_the_randomness() {
    let vs = vals();
    // Same chain up to block 2; from block 3 on, the same extensions in blocks with other
    // hashes (a proposer grinding time or tx order): the randomness does not move.
    let mut a = app(&vs, 1);
    let mut b = app(&vs, 1);
    let ra = run_honest(&mut a, &vs, 6, |h| h as u8);
    let rb = run_honest(&mut b, &vs, 6, |h| {
        if h <= 2 {
            h as u8
        } else {
            (h as u8).wrapping_mul(31).wrapping_add(7)
        }
    });
    assert_eq!(ra, rb, "a block hash moved the beacon");
    // Block 1 has no last commit, so it falls back to its hash: another hash there is
    // another chain of values (the start-up window docs/operators.md describes).
    let mut c = app(&vs, 1);
    let rc = run_honest(&mut c, &vs, 2, |h| h as u8 + 100);
    assert_ne!(ra[0], rc[0]);
}

#[test]
fn two_apps_same_extended_blocks_same_app_hash_and_after_reopen() {
    let vs = vals();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("app.redb");
    let mut a = BlsApp::open(&path).expect("open");
    init(&mut a, &vs, 1);
    let mut b = app(&vs, 1);
    run_honest(&mut a, &vs, 5, |h| h as u8);
    run_honest(&mut b, &vs, 5, |h| h as u8);
    let ia = a.info(RequestInfo::default());
    let ib = b.info(RequestInfo::default());
    assert_eq!(ia.last_block_app_hash, ib.last_block_app_hash);
    assert_eq!(ia.last_block_height, 5);
    drop(a);
    // Reopened, the app checks and mixes the next block exactly as one that never stopped.
    let mut a = BlsApp::open(&path).expect("reopen");
    let (ext, last) = commit(&vs, 5, &[COMMIT; 4]);
    let txs = prepare(&a, 6, Some(ext), vec![]);
    assert_eq!(process(&a, 6, &txs, &last), ProposalStatus::Accept);
    finalize(&mut a, 6, &txs, &last, 6);
    finalize(&mut b, 6, &txs, &last, 6);
    assert_eq!(
        a.info(RequestInfo::default()).last_block_app_hash,
        b.info(RequestInfo::default()).last_block_app_hash
    );
    assert_eq!(randomness(&a).randomness, randomness(&b).randomness);
}

#[test]
fn init_chain_refuses_what_the_beacon_cannot_work_with() {
    let mut a = BlsApp::with_store(Store::open_in_memory().expect("store"));
    let negative = a.init_chain(RequestInitChain {
        chain_id: CHAIN.into(),
        initial_height: 1,
        consensus_params: Some(ConsensusParams {
            abci: Some(AbciParams {
                vote_extensions_enable_height: -1,
            }),
            ..Default::default()
        }),
        ..Default::default()
    });
    assert!(negative
        .unwrap_err()
        .to_string()
        .contains("vote_extensions_enable_height"));
    // A secp256k1 genesis validator could never sign a vote extension this app can check.
    let mut a = BlsApp::with_store(Store::open_in_memory().expect("store"));
    let secp = a.init_chain(RequestInitChain {
        chain_id: CHAIN.into(),
        initial_height: 1,
        consensus_params: Some(ConsensusParams {
            abci: Some(AbciParams {
                vote_extensions_enable_height: 1,
            }),
            ..Default::default()
        }),
        validators: vec![ValidatorUpdate {
            pub_key: Some(PublicKey {
                sum: Some(Sum::Secp256k1(vec![2; 33])),
            }),
            power: 10,
        }],
        ..Default::default()
    });
    assert!(secp.unwrap_err().to_string().contains("ed25519"));
}
