//! Attack 10, slashing reach: stake must stay slashable while CometBFT still accepts evidence
//! against it, and nobody may take over a consensus key CometBFT already has.
//!
//! - an unbonding period at or below the evidence window is refused at genesis, by InitChain
//!   and by `blsd genesis validate`;
//! - every piece of double-sign evidence CometBFT would accept finds the stake it concerns
//!   still slashable, whatever the block times (a property over random chains);
//! - a genesis validator's consensus key cannot be registered by `MsgCreateValidator`, at
//!   height 1 or later.

mod app_chain;

use app_chain::{consensus_address, consensus_key, event, fund, genesis_doc, key, AppChain};
use bls_client::keys::KeyPair;
use bls_core::module::encode_any;
use bls_core::Address;
use bls_staking::msgs::{
    ubls, MsgCreateValidator, MsgUndelegate, MSG_CREATE_VALIDATOR, MSG_UNDELEGATE,
};
use bls_staking::state::{self as staking, bonded_pool, unbonding_pool};
use proptest::prelude::*;
use serde_json::{json, Value};

const BLS: u128 = 1_000_000;

/// A devnet `app_state` with staking `unbonding_blocks` and funded `accounts`.
fn app_state(unbonding_blocks: u64, accounts: &[&Address]) -> Value {
    let mut s: Value = serde_json::from_str(bls_app::cli::init::DEVNET_APP_STATE).expect("json");
    s["staking"]["params"]["unbonding_blocks"] = json!(unbonding_blocks);
    for a in accounts {
        fund(&mut s, a, 1_000 * BLS);
    }
    s
}

fn refused_genesis(doc: &Value) -> String {
    match AppChain::start(doc) {
        Ok(_) => panic!("genesis accepted: {doc}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn attack_slashing_reach_unbonding_below_evidence_age_refused_by_init_chain() {
    // The numbers: 1 000 blocks of unbonding under CometBFT's default window of
    // 100 000 blocks (what InitChain applies when the genesis file has no consensus_params).
    let log = refused_genesis(&genesis_doc("c", app_state(1_000, &[]), &[], None));
    for needle in [
        "(1000)",
        "(100000)",
        "unbonding_blocks",
        "max_age_num_blocks",
    ] {
        assert!(log.contains(needle), "{needle:?} missing from {log}");
    }
    assert!(
        log.contains("at least 100001") && log.contains("at most 999"),
        "{log}"
    );
    // Equal is not enough: evidence judged one block after the last unbonding block is still
    // within the window.
    for unbonding in [999, 1_000] {
        let log = refused_genesis(&genesis_doc(
            "c",
            app_state(unbonding, &[]),
            &[],
            Some((1_000, 60)),
        ));
        assert!(log.contains(&format!("({unbonding})")), "{log}");
    }
    // One block more is accepted, and so is the staking default under CometBFT's defaults.
    AppChain::start(&genesis_doc(
        "c",
        app_state(1_001, &[]),
        &[],
        Some((1_000, 60)),
    ))
    .expect("unbonding above the window");
    let mut defaults = app_state(1_000, &[]);
    defaults["staking"]
        .as_object_mut()
        .expect("staking section")
        .remove("params");
    AppChain::start(&genesis_doc("c", defaults, &[], None)).expect("staking defaults");
    // Unusable evidence params are refused too, not read as zero.
    let mut bad = genesis_doc("c", app_state(1_001, &[]), &[], Some((1_000, 60)));
    bad["consensus_params"]["evidence"]["max_age_num_blocks"] = json!("0");
    assert!(refused_genesis(&bad).contains("max_age_num_blocks must be positive"));
}

#[test]
fn attack_slashing_reach_unbonding_below_evidence_age_refused_by_genesis_validate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("cometbft/config");
    std::fs::create_dir_all(&config).expect("config dir");
    let validate = |doc: &Value| {
        std::fs::write(config.join("genesis.json"), doc.to_string()).expect("write genesis");
        std::process::Command::new(env!("CARGO_BIN_EXE_blsd"))
            .args(["genesis", "validate", "--home"])
            .arg(dir.path())
            .output()
            .expect("run blsd")
    };
    let out = validate(&genesis_doc("c", app_state(1_000, &[]), &[], None));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "accepted: {stderr}");
    for needle in [
        "(1000)",
        "(100000)",
        "unbonding_blocks",
        "max_age_num_blocks",
    ] {
        assert!(stderr.contains(needle), "{needle:?} missing from {stderr}");
    }
    let out = validate(&genesis_doc(
        "c",
        app_state(1_000, &[]),
        &[],
        Some((999, 60)),
    ));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A chain whose only validator is staking's, with a self-bond and a delegation, under the
/// given unbonding period and evidence window.
struct Bonded {
    chain: AppChain,
    operator: KeyPair,
    delegator: KeyPair,
    consensus: [u8; 32],
}

fn bonded_chain(unbonding_blocks: u64, window: (u64, u64)) -> Bonded {
    let operator = key(1);
    let delegator = key(2);
    let consensus = consensus_key(1);
    let mut s = app_state(unbonding_blocks, &[operator.address(), delegator.address()]);
    s["staking"]["validators"] = json!([{
        "operator": operator.address().to_string(),
        "consensus_pubkey": hex::encode(consensus),
        "consensus_address": hex::encode_upper(consensus_address(&consensus)),
        "moniker": "v", "commission_bps": 0, "tokens": (15 * BLS).to_string(), "jailed": false,
    }]);
    s["staking"]["delegations"] = json!([
        {"delegator": operator.address().to_string(),
         "validator": operator.address().to_string(), "amount": (10 * BLS).to_string()},
        {"delegator": delegator.address().to_string(),
         "validator": operator.address().to_string(), "amount": (5 * BLS).to_string()},
    ]);
    fund(&mut s, &bonded_pool(), 15 * BLS);
    let chain = AppChain::start(&genesis_doc("reach", s, &[], Some(window))).expect("genesis");
    Bonded {
        chain,
        operator,
        delegator,
        consensus,
    }
}

/// CometBFT v0.38's rule (`evidence/verify.go`): evidence is expired only when it is older
/// than both bounds, measured from the last committed block.
fn cometbft_accepts(window: (u64, u64), last: (u64, i64), offence: (u64, i64)) -> bool {
    let age_blocks = last.0 - offence.0;
    let age_secs = last.1 - offence.1;
    !(age_blocks > window.0 && age_secs > i64::try_from(window.1).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Whatever the block times, evidence CometBFT accepts always finds the unbonding stake:
    /// the delegator's entry (created at or after the offence) is still pending in every block
    /// CometBFT would accept evidence in, and evidence in the last such block burns from it.
    #[test]
    fn slashing_reach_accepted_evidence_always_finds_the_unbonding_stake(
        window_blocks in 3u64..8,
        extra_unbonding in 1u64..6,
        window_secs in 1u64..25,
        undelegate_after in 0u64..3,
        block_secs in proptest::collection::vec(1i64..4, 80),
    ) {
        let unbonding_blocks = window_blocks + extra_unbonding;
        let window = (window_blocks, window_secs);
        let mut b = bonded_chain(unbonding_blocks, window);
        let mut secs = block_secs.into_iter().cycle();
        b.chain.block_secs = secs.next().unwrap();
        b.chain.block(Vec::new());
        let msg = encode_any(
            &MsgUndelegate {
                delegator: b.delegator.address().to_string(),
                validator: b.operator.address().to_string(),
                amount: Some(ubls(5 * BLS)),
            },
            MSG_UNDELEGATE,
        );
        // The offence is a vote at the height of the next block, `undelegate_after` blocks
        // before the delegator undelegates (0: in the same block).
        let mut offence = None;
        for _ in 0..undelegate_after {
            b.chain.block_secs = secs.next().unwrap();
            b.chain.block(Vec::new());
            offence.get_or_insert((b.chain.height, b.chain.time_secs));
        }
        b.chain.block_secs = secs.next().unwrap();
        let r = b.chain.exec(&b.delegator, vec![msg]);
        prop_assert_eq!(r.code, 0, "{}", r.log);
        let offence = offence.unwrap_or((b.chain.height, b.chain.time_secs));
        let entry = staking::all_unbondings(&b.chain.view()).unwrap().remove(0);
        // Plan the block times ahead, then find the last block CometBFT accepts evidence in
        // (the window is at least 3 blocks and the offence at most 2 blocks back, so there is
        // one).
        let mut times = vec![(b.chain.height, b.chain.time_secs)];
        for _ in 0..200 {
            let (h, t) = *times.last().unwrap();
            times.push((h + 1, t + secs.next().unwrap()));
        }
        let last_accepting = times
            .windows(2)
            .take_while(|w| cometbft_accepts(window, w[0], offence))
            .last()
            .map(|w| w[1].0)
            .expect("evidence is accepted right after the offence");
        prop_assert!(last_accepting < times.last().unwrap().0, "plan too short");
        let burned_before = b.chain.burned();
        for (h, t) in times.iter().skip(1).copied() {
            // Before block h: evidence CometBFT accepts here must still find the entry.
            let pending = staking::all_unbondings(&b.chain.view()).unwrap();
            if h <= last_accepting {
                prop_assert_eq!(pending.len(), 1, "entry gone before block {} (accepted)", h);
            }
            if pending.is_empty() {
                break;
            }
            b.chain.block_secs = t - b.chain.time_secs;
            if h == last_accepting {
                let r = b.chain.block_with(
                    Vec::new(),
                    vec![(b.consensus.to_vec(), offence.0, offence.1)],
                    Vec::new(),
                );
                let slash = event(&r.events, "slash").expect("slash event");
                prop_assert_eq!(slash["reason"].as_str(), "double_sign");
            } else {
                b.chain.block(Vec::new());
            }
        }
        // The slash (5 %) reached the entry: the delegator got 95 % back, and the pools hold
        // nothing of the entry.
        prop_assert!(staking::all_unbondings(&b.chain.view()).unwrap().is_empty());
        let slashed_entry = entry.initial_balance / 20;
        prop_assert!(b.chain.burned() - burned_before >= slashed_entry);
        prop_assert_eq!(b.chain.balance(&unbonding_pool()), 0);
        prop_assert_eq!(
            b.chain.balance(b.delegator.address()),
            1_000 * BLS - b.chain.fee + 5 * BLS - slashed_entry
        );
    }
}

#[test]
fn unbonding_waits_out_the_evidence_duration_when_blocks_come_fast() {
    // 3 blocks of unbonding but a 20 s evidence window at 1 s blocks: the coins come back
    // after 21 s, not 3 blocks.
    let mut b = bonded_chain(3, (2, 20));
    b.chain.block(Vec::new());
    let msg = encode_any(
        &MsgUndelegate {
            delegator: b.delegator.address().to_string(),
            validator: b.operator.address().to_string(),
            amount: Some(ubls(BLS)),
        },
        MSG_UNDELEGATE,
    );
    let r = b.chain.exec(&b.delegator, vec![msg]);
    assert_eq!(r.code, 0, "{}", r.log);
    let unbond = event(&r.events, "unbond").expect("unbond event");
    let created = b.chain.time_secs;
    assert_eq!(unbond["completion_time"], (created + 21).to_string());
    b.chain.advance_to(b.chain.height + 3);
    assert_eq!(staking::all_unbondings(&b.chain.view()).unwrap().len(), 1);
    while b.chain.time_secs < created + 20 {
        b.chain.block(Vec::new());
        assert_eq!(staking::all_unbondings(&b.chain.view()).unwrap().len(), 1);
    }
    let r = b.chain.block(Vec::new());
    assert_eq!(b.chain.time_secs, created + 21);
    assert!(event(&r.events, "complete_unbonding").is_some());
    assert!(staking::all_unbondings(&b.chain.view()).unwrap().is_empty());
}

fn create_validator(operator: &KeyPair, consensus: [u8; 32]) -> cosmos_sdk_proto::Any {
    encode_any(
        &MsgCreateValidator {
            operator: operator.address().to_string(),
            consensus_pubkey: consensus.to_vec(),
            moniker: "squatter".into(),
            commission_bps: 0,
            self_bond: Some(ubls(100 * BLS)),
        },
        MSG_CREATE_VALIDATOR,
    )
}

#[test]
fn attack_slashing_reach_genesis_key_squatting() {
    let attacker = key(9);
    let genesis_keys = [consensus_key(1), consensus_key(2)];
    let doc = genesis_doc(
        "squat",
        app_state(1_000, &[attacker.address()]),
        &genesis_keys,
        Some((999, 60)),
    );
    let mut chain = AppChain::start(&doc).expect("genesis");
    let funds = 1_000 * BLS;

    // Height 1: no last commit yet, so only the recorded genesis set knows these keys.
    for k in genesis_keys {
        let r = chain.exec(&attacker, vec![create_validator(&attacker, k)]);
        assert_ne!(r.code, 0, "squatting {} accepted", hex::encode(k));
        assert!(r.log.contains("CometBFT's genesis validators"), "{}", r.log);
    }
    // Later, while the first genesis validator is not voting (absent from the last commit).
    chain.advance_to(5);
    let tx = chain.sign(
        &attacker,
        vec![create_validator(&attacker, genesis_keys[0])],
    );
    let r = chain.block_with(vec![tx], Vec::new(), vec![genesis_keys[1].to_vec()]);
    assert_ne!(r.tx_results[0].code, 0, "squatting at height 5 accepted");
    assert!(r.validator_updates.is_empty());
    // Nothing changed but the fees: no validator, nothing bonded, no update for CometBFT.
    let view = chain.view();
    assert!(staking::all_validators(&view).unwrap().is_empty());
    assert_eq!(chain.balance(&bonded_pool()), 0);
    assert_eq!(chain.balance(attacker.address()), funds - 3 * chain.fee);
    drop(view);

    // Control: a key of its own is accepted and becomes a CometBFT update.
    let own = consensus_key(7);
    let tx = chain.sign(&attacker, vec![create_validator(&attacker, own)]);
    let r = chain.block(vec![tx]);
    assert_eq!(r.tx_results[0].code, 0, "{}", r.tx_results[0].log);
    assert_eq!(r.validator_updates.len(), 1);

    // The keeper lookup answers for both kinds of validator, and for nobody else.
    let view = chain.view();
    for k in [genesis_keys[0], genesis_keys[1], own] {
        assert_eq!(
            staking::consensus_pubkey(&view, &consensus_address(&k)).unwrap(),
            Some(k.to_vec())
        );
    }
    assert_eq!(
        staking::consensus_pubkey(&view, &consensus_address(&consensus_key(8))).unwrap(),
        None
    );
}

#[test]
fn genesis_validators_with_other_key_types_are_refused() {
    let mut doc = genesis_doc(
        "c",
        app_state(1_000, &[]),
        &[consensus_key(1)],
        Some((999, 60)),
    );
    doc["validators"][0]["pub_key"]["type"] = json!("tendermint/PubKeySecp256k1");
    assert!(refused_genesis(&doc).contains("tendermint/PubKeyEd25519"));
    let mut doc = genesis_doc(
        "c",
        app_state(1_000, &[]),
        &[consensus_key(1)],
        Some((999, 60)),
    );
    doc["validators"][0]["pub_key"]["value"] = json!("AAAA");
    assert!(refused_genesis(&doc).contains("expected 32 bytes"));
}
