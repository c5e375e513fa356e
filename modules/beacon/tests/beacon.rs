//! The beacon's rules in-process: verification of a proposer's extended commit (forged or
//! stripped signatures, altered votes, too little power) and the mixing rule (a reveal that
//! does not match its commitment is not mixed; the block hash never matters once extensions
//! are on).

use bls_beacon::error::BeaconError;
use bls_beacon::extension::VoteExtension;
use bls_beacon::verify::{consensus_address, sign_bytes};
use bls_beacon::{mix, state, verify_extended_commit, SignedExtension, VerifiedCommit};
use bls_core::{BlockInfo, Context, Event, GasMeter};
use bls_testkit::{assert_refused, variant};
use cosmwasm_std::testing::MockStorage;
use ed25519_consensus::SigningKey;
use tendermint_proto::v0_38::abci::{
    CommitInfo, ExtendedCommitInfo, ExtendedVoteInfo, Validator, VoteInfo,
};

const CHAIN: &str = "beacon-test";
const COMMIT: i32 = 2;
const ABSENT: i32 = 1;
const NIL: i32 = 3;

struct Val {
    sk: SigningKey,
    secret: [u8; 32],
    power: i64,
}

impl Val {
    fn new(n: u8, power: i64) -> Val {
        Val {
            sk: SigningKey::from([n; 32]),
            secret: [n.wrapping_add(100); 32],
            power,
        }
    }
    fn pubkey(&self) -> Vec<u8> {
        self.sk.verification_key().to_bytes().to_vec()
    }
    fn address(&self) -> Vec<u8> {
        consensus_address(&self.pubkey())
    }
}

fn vals() -> Vec<Val> {
    vec![
        Val::new(1, 30),
        Val::new(2, 10),
        Val::new(3, 10),
        Val::new(4, 10),
    ]
}

/// The extended commit of `height` with the given flags, every commit vote honestly extended
/// and signed, and the matching last commit.
fn commit(vals: &[Val], height: u64, flags: &[i32]) -> (ExtendedCommitInfo, CommitInfo) {
    let mut ext = ExtendedCommitInfo {
        round: 0,
        votes: vec![],
    };
    let mut last = CommitInfo {
        round: 0,
        votes: vec![],
    };
    for (v, &flag) in vals.iter().zip(flags) {
        let validator = Some(Validator {
            address: v.address().into(),
            power: v.power,
        });
        let (e, sig) = if flag == COMMIT {
            let e = VoteExtension::for_height(&v.secret, CHAIN, height).encode();
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

fn keys(vals: &[Val]) -> impl Fn(&[u8]) -> Option<Vec<u8>> + '_ {
    move |a: &[u8]| vals.iter().find(|v| v.address() == a).map(Val::pubkey)
}

fn verify(
    vals: &[Val],
    h: u64,
    ext: &ExtendedCommitInfo,
    last: &CommitInfo,
) -> Result<VerifiedCommit, BeaconError> {
    verify_extended_commit(CHAIN, h, ext, last, &keys(vals))
}

#[test]
fn an_honest_extended_commit_verifies() {
    let vs = vals();
    let (ext, last) = commit(&vs, 7, &[COMMIT, COMMIT, COMMIT, NIL]);
    let v = verify(&vs, 7, &ext, &last).unwrap();
    assert_eq!(v.signed.len(), 3);
    assert_eq!((v.signed_power, v.total_power), (50, 60));
}

#[test]
fn attack_forged_vote_extension_signature() {
    let vs = vals();
    let (mut ext, last) = commit(&vs, 7, &[COMMIT; 4]);
    // The proposer swaps validator 1's reveal for one of its choosing, keeping the signature.
    let mut forged = VoteExtension::decode(&ext.votes[1].vote_extension)
        .unwrap()
        .unwrap();
    forged.reveal = [0xee; 32];
    ext.votes[1].vote_extension = forged.encode().into();
    assert!(matches!(
        verify(&vs, 7, &ext, &last),
        Err(BeaconError::BadSignature { .. })
    ));
    // Signed by someone else's key.
    let (mut ext, last) = commit(&vs, 7, &[COMMIT; 4]);
    let e = ext.votes[2].vote_extension.clone();
    ext.votes[2].extension_signature = vs[0]
        .sk
        .sign(&sign_bytes(CHAIN, 7, 0, &e))
        .to_bytes()
        .to_vec()
        .into();
    assert!(matches!(
        verify(&vs, 7, &ext, &last),
        Err(BeaconError::BadSignature { .. })
    ));
    // A signature for another height (replayed from an earlier block).
    let (old, _) = commit(&vs, 6, &[COMMIT; 4]);
    let (mut ext, last) = commit(&vs, 7, &[COMMIT; 4]);
    ext.votes[3] = old.votes[3].clone();
    assert!(matches!(
        verify(&vs, 7, &ext, &last),
        Err(BeaconError::BadSignature { .. })
    ));
    // Stripped: a commit vote without its signature.
    let (mut ext, last) = commit(&vs, 7, &[COMMIT; 4]);
    ext.votes[3].extension_signature = Default::default();
    assert!(matches!(
        verify(&vs, 7, &ext, &last),
        Err(BeaconError::BadSignature { .. })
    ));
    // A validator nobody knows.
    let (ext, last) = commit(&vs, 7, &[COMMIT; 4]);
    let unknown = |a: &[u8]| {
        (a != vs[0].address().as_slice())
            .then(|| keys(&vs)(a))
            .flatten()
    };
    assert!(matches!(
        verify_extended_commit(CHAIN, 7, &ext, &last, &unknown),
        Err(BeaconError::UnknownValidator(_))
    ));
}

#[test]
fn attack_extended_commit_differs_from_the_block() {
    let vs = vals();
    let (ext, last) = commit(&vs, 7, &[COMMIT, COMMIT, COMMIT, ABSENT]);
    // The proposer drops a vote the block counts, to leave its extension out.
    let (dropped, _) = commit(&vs, 7, &[COMMIT, COMMIT, ABSENT, ABSENT]);
    assert!(matches!(
        verify(&vs, 7, &dropped, &last),
        Err(BeaconError::VoteMismatch { .. })
    ));
    let mut fewer = ext.clone();
    fewer.votes.pop();
    assert!(matches!(
        verify(&vs, 7, &fewer, &last),
        Err(BeaconError::VoteCountMismatch { .. })
    ));
    let mut reordered = ext.clone();
    reordered.votes.swap(1, 2);
    assert!(matches!(
        verify(&vs, 7, &reordered, &last),
        Err(BeaconError::VoteMismatch { .. })
    ));
    let mut repowered = ext.clone();
    if let Some(v) = repowered.votes[1].validator.as_mut() {
        v.power = 25;
    }
    assert!(matches!(
        verify(&vs, 7, &repowered, &last),
        Err(BeaconError::VoteMismatch { .. })
    ));
    let mut other_round = ext.clone();
    other_round.round = 1;
    assert!(matches!(
        verify(&vs, 7, &other_round, &last),
        Err(BeaconError::RoundMismatch { .. })
    ));
    // Extension data on a vote that is not a commit vote.
    let mut on_absent = ext.clone();
    on_absent.votes[3].vote_extension = vec![1; 65].into();
    assert!(matches!(
        verify(&vs, 7, &on_absent, &last),
        Err(BeaconError::ExtensionOnNonCommitVote(_))
    ));
    let mut bad_flag = ext;
    bad_flag.votes[3].block_id_flag = 9;
    let mut last9 = last.clone();
    last9.votes[3].block_id_flag = 9;
    assert!(matches!(
        verify(&vs, 7, &bad_flag, &last9),
        Err(BeaconError::VoteMismatch { .. })
    ));
}

#[test]
fn attack_two_thirds_or_less_of_the_power() {
    let vs = vals();
    // 30 + 10 of 60 is exactly 2/3: refused, whether the others were absent or voted nil.
    let (ext, last) = commit(&vs, 7, &[COMMIT, COMMIT, ABSENT, NIL]);
    assert_eq!(
        verify(&vs, 7, &ext, &last),
        Err(BeaconError::InsufficientPower {
            signed: 40,
            total: 60
        })
    );
    let (ext, last) = commit(&vs, 7, &[COMMIT, COMMIT, ABSENT, ABSENT]);
    assert_eq!(
        verify(&vs, 7, &ext, &last),
        Err(BeaconError::InsufficientPower {
            signed: 40,
            total: 60
        })
    );
    let (ext, last) = commit(&vs, 7, &[ABSENT, COMMIT, COMMIT, COMMIT]);
    assert!(matches!(
        verify(&vs, 7, &ext, &last),
        Err(BeaconError::InsufficientPower { .. })
    ));
    let (ext, last) = commit(&vs, 7, &[COMMIT, COMMIT, COMMIT, ABSENT]);
    assert!(verify(&vs, 7, &ext, &last).is_ok());
    let empty = (ExtendedCommitInfo::default(), CommitInfo::default());
    assert!(matches!(
        verify(&vs, 7, &empty.0, &empty.1),
        Err(BeaconError::InsufficientPower { .. })
    ));
}

fn block(height: u64, hash: u8) -> BlockInfo {
    BlockInfo {
        height,
        chain_id: CHAIN.into(),
        hash: vec![hash; 32],
        ..Default::default()
    }
}

fn signed(vals: &[Val], height: u64) -> VerifiedCommit {
    VerifiedCommit {
        height,
        signed: vals
            .iter()
            .map(|v| SignedExtension {
                validator: v.address(),
                power: v.power,
                extension: VoteExtension::for_height(&v.secret, CHAIN, height).encode(),
            })
            .collect(),
        signed_power: vals.iter().map(|v| v.power).sum(),
        total_power: vals.iter().map(|v| v.power).sum(),
    }
}

fn run(
    store: &mut MockStorage,
    b: &BlockInfo,
    f: impl FnOnce(&mut Context<'_>) -> [u8; 32],
) -> ([u8; 32], Vec<Event>) {
    let gas = GasMeter::infinite();
    let mut ctx = Context::new(store, b, &gas);
    let r = f(&mut ctx);
    (r, ctx.events)
}

fn chain(enable: u64) -> MockStorage {
    let mut store = MockStorage::new();
    let b = block(1, 0);
    run(&mut store, &b, |ctx| {
        mix::init(ctx, None).unwrap();
        mix::set_consensus(ctx, 1, enable).unwrap();
        [0; 32]
    });
    store
}

#[test]
fn attack_reveal_not_matching_commitment_is_not_mixed() {
    let vs = vals();
    let mut store = chain(1);
    // Block 2 carries height 1's extensions: commitments recorded, nothing to check yet.
    let (_, ev) = run(&mut store, &block(2, 0), |ctx| {
        mix::mix_extensions(ctx, &signed(&vs, 1)).unwrap()
    });
    assert_eq!(ev[0].get("reveals"), Some("0"));
    // Block 3: validator 0 signs a reveal other than the value it committed to.
    let mut c = signed(&vs, 2);
    let mut lie = VoteExtension::decode(&c.signed[0].extension)
        .unwrap()
        .unwrap();
    lie.reveal = [0x42; 32];
    c.signed[0].extension = lie.encode();
    let (with_lie, ev) = run(&mut store, &block(3, 0), |ctx| {
        mix::mix_extensions(ctx, &c).unwrap()
    });
    assert_eq!(ev[0].get("reveals"), Some("3"));
    assert_eq!(ev[0].get("mixed_power"), Some("30"));
    assert_eq!(
        ev[0].get("mismatched"),
        Some(hex::encode_upper(vs[0].address()).as_str())
    );
    // The lie is not in the mix: the output equals that of the same block with validator 0
    // silent.
    let mut store2 = chain(1);
    run(&mut store2, &block(2, 0), |ctx| {
        mix::mix_extensions(ctx, &signed(&vs, 1)).unwrap()
    });
    let mut silent = signed(&vs, 2);
    silent.signed[0].extension = vec![];
    let (without, _) = run(&mut store2, &block(3, 0), |ctx| {
        mix::mix_extensions(ctx, &silent).unwrap()
    });
    assert_eq!(with_lie, without);
    // Its new commitment was kept: at block 4 its honest reveal counts again.
    let (_, ev) = run(&mut store, &block(4, 0), |ctx| {
        mix::mix_extensions(ctx, &signed(&vs, 3)).unwrap()
    });
    assert_eq!(ev[0].get("reveals"), Some("4"));
    let r = state::randomness(&store).unwrap();
    assert_eq!((r.height, r.reveals, r.mixed_power), (4, 4, 60));
}

#[test]
fn attack_grind_block_hash_changes_nothing_once_extensions_are_on() {
    let vs = vals();
    let outputs: Vec<[u8; 32]> = [0u8, 1, 2]
        .iter()
        .map(|&hash| {
            let mut store = chain(1);
            run(&mut store, &block(2, hash), |ctx| {
                mix::mix_extensions(ctx, &signed(&vs, 1)).unwrap()
            });
            run(&mut store, &block(3, hash), |ctx| {
                mix::mix_extensions(ctx, &signed(&vs, 2)).unwrap()
            })
            .0
        })
        .collect();
    assert!(
        outputs.windows(2).all(|w| w[0] == w[1]),
        "a proposer's block hash moved the beacon"
    );
    // Without extensions the fallback follows the hash (and says so).
    let fallback: Vec<[u8; 32]> = [0u8, 1]
        .iter()
        .map(|&hash| {
            let mut store = chain(0);
            let (r, ev) = run(&mut store, &block(2, hash), |ctx| {
                mix::mix_block_hash(ctx).unwrap()
            });
            assert_eq!(ev[0].get("source"), Some("block_hash"));
            r
        })
        .collect();
    assert_ne!(fallback[0], fallback[1]);
}

#[test]
fn extensions_are_required_from_the_height_after_the_enable_height() {
    let store = chain(1);
    assert!(!mix::extensions_required(&store, 1).unwrap());
    assert!(mix::extensions_required(&store, 2).unwrap());
    let store = chain(5);
    assert!(!mix::extensions_required(&store, 5).unwrap());
    assert!(mix::extensions_required(&store, 6).unwrap());
    let store = chain(0);
    assert!(!mix::extensions_required(&store, 100).unwrap());
    // A chain restarted at height 50 with extensions enabled long before: its first block
    // has no last commit.
    let mut store = MockStorage::new();
    run(&mut store, &block(50, 0), |ctx| {
        mix::set_consensus(ctx, 50, 1).unwrap();
        [0; 32]
    });
    assert!(!mix::extensions_required(&store, 50).unwrap());
    assert!(mix::extensions_required(&store, 51).unwrap());
}

#[test]
fn bad_genesis_and_queries_are_refused_with_a_reason() {
    use bls_beacon::BeaconModule;
    use bls_core::Module;
    let b = block(1, 0);
    for bad in [
        serde_json::json!({"randomness": "zz"}),
        serde_json::json!({"randomness": "abcd"}),
        serde_json::json!({"randomness": 7}),
        serde_json::json!({"seed": "00"}),
    ] {
        let mut store = MockStorage::new();
        let gas = GasMeter::infinite();
        let mut ctx = Context::new(&mut store, &b, &gas);
        let e = assert_refused(
            BeaconModule.init_genesis(&mut ctx, &bad),
            &variant!(BeaconError::InvalidGenesis(_)),
        );
        assert!(e.log.contains("genesis"), "{bad}: {e}");
    }
    let store = chain(1);
    for (method, data) in [
        ("Randomness", &b"{\"x\":1}"[..]),
        ("Randomness", b"[]"),
        ("Randomness", b"{"),
        ("Seed", b"{}"),
    ] {
        let e = assert_refused(
            BeaconModule.query(&store, method, data),
            &variant!(BeaconError::InvalidQuery(_)),
        );
        assert!(!e.log.is_empty(), "{method} {data:?}");
    }
    for data in [&b"{}"[..], b""] {
        assert!(BeaconModule.query(&store, "Randomness", data).is_ok());
    }
}

#[test]
fn an_export_restarts_the_sequence_where_it_stopped() {
    use bls_beacon::BeaconModule;
    use bls_core::Module;
    let vs = vals();
    let mut store = chain(1);
    // Before any block there is nothing to carry over: a new chain derives its own value.
    assert_eq!(
        BeaconModule.export_genesis(&store).unwrap(),
        serde_json::json!({})
    );
    run(&mut store, &block(2, 0), |ctx| {
        mix::mix_extensions(ctx, &signed(&vs, 1)).unwrap()
    });
    let exported = BeaconModule.export_genesis(&store).unwrap();
    let value = state::randomness(&store).unwrap().value;
    assert_eq!(exported, serde_json::json!({ "randomness": value }));
    let mut restarted = MockStorage::new();
    let gas = GasMeter::infinite();
    let b = block(3, 0);
    let mut ctx = Context::new(&mut restarted, &b, &gas);
    BeaconModule.init_genesis(&mut ctx, &exported).unwrap();
    assert_eq!(state::randomness(&restarted).unwrap().value, value);
}
