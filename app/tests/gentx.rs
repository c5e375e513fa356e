//! `blsd genesis gentx` / `collect-gentxs`: a genesis started from gentxs has staked
//! validators with operators; every gentx that lies (another signer, a tampered body, another
//! chain, a bond its operator cannot pay, a reused consensus key) is refused.

mod app_chain;

use app_chain::{consensus_key, fund, genesis_doc, key, AppChain};
use base64::Engine as _;
use bls_app::cli::gentx::{self, GenTx};
use bls_client::keys::KeyPair;
use bls_core::module::encode_any;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{TxBody, TxRaw};
use prost::Message;
use serde_json::{json, Value};
use std::path::PathBuf;

const BLS: u128 = 1_000_000;

fn genesis(operators: &[&KeyPair]) -> Value {
    let mut state: Value =
        serde_json::from_str(bls_app::cli::init::DEVNET_APP_STATE).expect("devnet template");
    for k in operators {
        fund(&mut state, k.address(), 1_000 * BLS);
    }
    genesis_doc("gentx-test", state, &[consensus_key(99)], Some((999, 60)))
}

fn files(gentxs: &[GenTx]) -> Vec<(PathBuf, GenTx)> {
    gentxs
        .iter()
        .enumerate()
        .map(|(i, g)| (PathBuf::from(format!("gentx-{i}.json")), g.clone()))
        .collect()
}

fn balance(g: &Value, addr: &str) -> String {
    g["app_state"]["bank"]["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["address"] == addr)
        .map(|b| b["coins"][0]["amount"].as_str().unwrap().to_string())
        .unwrap_or_default()
}

#[test]
fn a_chain_started_from_gentxs_has_staked_validators_with_operators() {
    let (a, b) = (key(1), key(2));
    let mut g = genesis(&[&a, &b]);
    let gentxs = [
        gentx::sign(
            "gentx-test",
            &a,
            consensus_key(1).to_vec(),
            "alpha",
            500,
            10 * BLS,
        )
        .unwrap(),
        gentx::sign(
            "gentx-test",
            &b,
            consensus_key(2).to_vec(),
            "beta",
            700,
            20 * BLS,
        )
        .unwrap(),
    ];
    let vals = gentx::collect(&mut g, &files(&gentxs)).unwrap();
    assert_eq!(vals.len(), 2);
    assert_eq!(
        g["validators"],
        json!([]),
        "InitChain's staking set replaces CometBFT's list"
    );
    assert_eq!(balance(&g, a.address().as_str()), (990 * BLS).to_string());
    assert_eq!(
        balance(&g, bls_staking::state::bonded_pool().as_str()),
        (30 * BLS).to_string()
    );
    bls_app::cli::genesis::validate(&g).expect("valid genesis");
    let mut chain = AppChain::start(&g).expect("chain starts");
    let first = chain.block(Vec::new());
    assert_eq!(first.tx_results.len(), 0);
    let bonded = bls_staking::state::bonded_validators(&chain.view()).unwrap();
    assert_eq!(
        bonded.len(),
        2,
        "both gentx validators are in the active set"
    );
    let alpha = bonded
        .iter()
        .map(|(v, _)| v)
        .find(|v| v.moniker == "alpha")
        .expect("alpha");
    assert_eq!(alpha.operator, *a.address());
    assert_eq!(alpha.tokens, 10 * BLS);
    assert_eq!(alpha.commission_bps, 500);
}

#[test]
fn gentxs_that_lie_are_refused() {
    let (a, b) = (key(1), key(2));
    let base = genesis(&[&a, &b]);
    let good = gentx::sign(
        "gentx-test",
        &a,
        consensus_key(1).to_vec(),
        "alpha",
        500,
        10 * BLS,
    )
    .unwrap();
    let refused = |gentxs: Vec<GenTx>, why: &str| {
        let mut g = base.clone();
        let e = gentx::collect(&mut g, &files(&gentxs)).unwrap_err();
        assert!(format!("{e:#}").contains(why), "{why}: {e:#}");
    };
    // b signs a validator whose operator is a.
    let msg = bls_client::cli::staking::create_validator_msg(
        a.address(),
        consensus_key(3).to_vec(),
        "forged",
        0,
        10 * BLS,
    );
    let signed = bls_client::tx::TxBuilder::new("gentx-test", 0, 0)
        .message(msg)
        .sign(&b)
        .unwrap();
    let forged = GenTx {
        chain_id: "gentx-test".into(),
        operator: a.address().to_string(),
        tx: base64::engine::general_purpose::STANDARD.encode(signed.bytes),
    };
    refused(vec![forged], "not by the operator");
    // A body changed after signing (a larger bond would take more of the balance).
    let raw = TxRaw::decode(
        base64::engine::general_purpose::STANDARD
            .decode(&good.tx)
            .unwrap()
            .as_slice(),
    )
    .unwrap();
    let mut body = TxBody::decode(raw.body_bytes.as_slice()).unwrap();
    body.messages[0] = bls_client::cli::staking::create_validator_msg(
        a.address(),
        consensus_key(1).to_vec(),
        "alpha",
        500,
        900 * BLS,
    );
    let tampered = GenTx {
        tx: base64::engine::general_purpose::STANDARD.encode(
            TxRaw {
                body_bytes: body.encode_to_vec(),
                ..raw.clone()
            }
            .encode_to_vec(),
        ),
        ..good.clone()
    };
    refused(vec![tampered], "signature");
    // Signed for another chain.
    let other = gentx::sign(
        "other-chain",
        &a,
        consensus_key(1).to_vec(),
        "alpha",
        500,
        10 * BLS,
    )
    .unwrap();
    refused(vec![other], "signed for chain");
    // A bond above the operator's genesis balance; an operator with no balance at all.
    let rich = gentx::sign(
        "gentx-test",
        &a,
        consensus_key(1).to_vec(),
        "alpha",
        500,
        2_000 * BLS,
    )
    .unwrap();
    refused(vec![rich], "less than its self-bond");
    let c = key(3);
    let stranger = gentx::sign("gentx-test", &c, consensus_key(4).to_vec(), "c", 500, BLS).unwrap();
    refused(vec![stranger], "no genesis balance");
    // A bond below staking's min_self_bond.
    let dust = gentx::sign("gentx-test", &a, consensus_key(1).to_vec(), "alpha", 500, 1).unwrap();
    refused(vec![dust], "below staking's min_self_bond");
    // One consensus key for two validators; two gentxs of one operator.
    let same_key = gentx::sign(
        "gentx-test",
        &b,
        consensus_key(1).to_vec(),
        "beta",
        500,
        BLS,
    )
    .unwrap();
    refused(
        vec![good.clone(), same_key],
        "consensus key used by another gentx",
    );
    refused(vec![good.clone(), good.clone()], "has a gentx already");
    // Two messages in one gentx.
    let two = bls_client::tx::TxBuilder::new("gentx-test", 0, 0)
        .message(bls_client::cli::staking::create_validator_msg(
            a.address(),
            consensus_key(1).to_vec(),
            "x",
            0,
            BLS,
        ))
        .message(encode_any(
            &bls_staking::msgs::MsgCreateValidator::default(),
            bls_staking::msgs::MSG_CREATE_VALIDATOR,
        ))
        .sign(&a)
        .unwrap();
    let two = GenTx {
        tx: base64::engine::general_purpose::STANDARD.encode(two.bytes),
        ..good.clone()
    };
    refused(vec![two], "exactly one message");
    // Nothing of a refused collection was written: the caller's genesis is untouched.
    let mut g = base.clone();
    let _ = gentx::collect(&mut g, &files(&[good.clone(), good]));
    assert_eq!(g["app_state"]["staking"], base["app_state"]["staking"]);
}
