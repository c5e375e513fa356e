//! Double-sign evidence as CometBFT delivers it: FinalizeBlock's `misbehavior` records built
//! with CometBFT's own `MisbehaviorType` (tendermint-proto v0.38), through the app's ABCI
//! entry point. Only `DuplicateVote` is double signing — the validator is slashed, jailed and
//! tombstoned; a `LightClientAttack` or an `Unknown` record against the same validator is
//! ignored with an `evidence_ignored` event and takes nothing.

mod app_chain;

use app_chain::{consensus_key, event, fund, genesis_doc, key, misbehavior_of, AppChain};
use bls_staking::state::{self as staking, bonded_pool};
use serde_json::{json, Value};
use tendermint_proto::v0_38::abci::MisbehaviorType;

const BLS: u128 = 1_000_000;
const BONDED: u128 = 10 * BLS;

fn chain() -> (AppChain, bls_core::Address, [u8; 32]) {
    let operator = key(1);
    let consensus = consensus_key(1);
    let mut s: Value = serde_json::from_str(bls_app::cli::init::DEVNET_APP_STATE).expect("json");
    fund(&mut s, operator.address(), 1_000 * BLS);
    s["staking"]["validators"] = json!([{
        "operator": operator.address().to_string(),
        "consensus_pubkey": hex::encode(consensus),
        "consensus_address": hex::encode_upper(app_chain::consensus_address(&consensus)),
        "moniker": "v", "commission_bps": 0, "tokens": BONDED.to_string(), "jailed": false,
    }]);
    s["staking"]["delegations"] = json!([
        {"delegator": operator.address().to_string(),
         "validator": operator.address().to_string(), "amount": BONDED.to_string()},
    ]);
    fund(&mut s, &bonded_pool(), BONDED);
    let chain =
        AppChain::start(&genesis_doc("evidence", s, &[], Some((999, 60)))).expect("genesis");
    (chain, operator.address().clone(), consensus)
}

#[test]
fn only_duplicate_vote_evidence_slashes() {
    let (mut chain, operator, consensus) = chain();
    chain.block(Vec::new());
    let (at, secs) = (chain.height, chain.time_secs);
    let burned_before = chain.burned();

    for kind in [MisbehaviorType::LightClientAttack, MisbehaviorType::Unknown] {
        let r = chain.block_with_misbehavior(
            Vec::new(),
            vec![misbehavior_of(kind, &consensus, at, secs)],
            Vec::new(),
        );
        let ignored = event(&r.events, "evidence_ignored")
            .unwrap_or_else(|| panic!("{kind:?} not ignored: {:?}", r.events));
        assert_eq!(
            ignored.get("reason").map(String::as_str),
            Some("not duplicate-vote evidence"),
            "{kind:?}"
        );
        assert!(event(&r.events, "slash").is_none(), "{kind:?} slashed");
        let v = staking::must_get_validator(&chain.view(), &operator).expect("validator");
        assert!(!v.jailed, "{kind:?} jailed the validator");
        assert_eq!(chain.burned(), burned_before, "{kind:?} burned stake");
    }

    let r = chain.block_with_misbehavior(
        Vec::new(),
        vec![misbehavior_of(
            MisbehaviorType::DuplicateVote,
            &consensus,
            at,
            secs,
        )],
        Vec::new(),
    );
    let slash = event(&r.events, "slash").expect("duplicate vote slashed");
    assert_eq!(slash.get("reason").map(String::as_str), Some("double_sign"));
    assert_eq!(
        slash.get("infraction_height").map(String::as_str),
        Some(at.to_string().as_str())
    );
    let v = staking::must_get_validator(&chain.view(), &operator).expect("validator");
    assert!(v.jailed);
    assert!(chain.burned() > burned_before, "nothing burned");
}
