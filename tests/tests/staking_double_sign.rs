//! Double signing as CometBFT delivers it, end to end: on a 6-node localnet (four CometBFT
//! genesis validators, two full nodes) node 4's own consensus key becomes a staking validator
//! by tx; then node 5 is restarted with a copy of that key (and a fresh signing state), so two
//! nodes sign with one key. When they sign different blocks at the same height, CometBFT's
//! evidence reactor turns the conflicting votes into duplicate-vote evidence, a later block
//! carries it, FinalizeBlock hands it to the app as misbehavior, and the app slashes
//! `slash_fraction_double_sign`, jails and tombstones the validator, which leaves CometBFT's
//! set.

use std::time::Duration;

use bls_e2e::chain::{blsd_json, create_validator, keyring_dir, new_key, ConsensusKey};
use bls_e2e::{wait_until, Localnet, NodeOptions};
use serde_json::{json, Value};

/// The full node whose key becomes a staking validator.
const NODE: usize = 4;
/// The full node that gets a copy of NODE's key.
const TWIN: usize = 5;
const SELF_BOND: u128 = 10_000_000;
/// 5 %.
const DOUBLE_SIGN_BPS: u128 = 500;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_validator_key_signing_on_two_nodes_is_slashed_and_tombstoned() -> anyhow::Result<()> {
    let tmp = tempfile::tempdir()?;
    let alice = new_key(tmp.path(), "alice")?;
    let mut net = Localnet::start(NodeOptions {
        validators: 6,
        genesis_validators: Some(4),
        accounts: vec![(alice.address.clone(), "1000000000ubls".into())],
        block_time: "200ms".into(),
        app_state: vec![
            (
                "staking".into(),
                json!({"params": {"unbonding_blocks": 200, "max_validators": 10,
                    "min_self_bond": "1000000", "max_commission_bps": 5000,
                    "max_unbonding_entries": 7}}),
            ),
            (
                "slashing".into(),
                // A long downtime window: only the double sign can jail it here.
                json!({"params": {"signed_blocks_window": 1000, "min_signed_per_window": 1,
                    "downtime_jail_blocks": 10,
                    "slash_fraction_double_sign": 500,
                    "slash_fraction_downtime": 100}}),
            ),
        ],
        initial_height: None,
        ..Default::default()
    })
    .await?;
    let key_file = net.validators[NODE]
        .home
        .join("cometbft/config/priv_validator_key.json");
    let key: Value = serde_json::from_slice(&std::fs::read(&key_file)?)?;
    let cons_pk = key["pub_key"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let keyring = keyring_dir(&net)?;
    bls_client::keyring::Keyring::test(&keyring).import_mnemonic("alice", &alice.mnemonic)?;
    create_validator(
        &net,
        &keyring,
        "alice",
        SELF_BOND,
        ConsensusKey::File(&key_file),
        "node4",
    )?;
    wait_until(
        "node4's key in /validators with power 10",
        Duration::from_secs(60),
        || async {
            let vals = net.cometbft_validators(0).await?;
            Ok(vals
                .iter()
                .any(|(k, p)| *k == cons_pk && p == "10")
                .then_some(()))
        },
    )
    .await?;

    // The twin: node 5 with node 4's key and a signing state that remembers nothing.
    net.stop_validator(TWIN);
    let twin_config = net.validators[TWIN].home.join("cometbft");
    std::fs::copy(
        &key_file,
        twin_config.join("config/priv_validator_key.json"),
    )?;
    std::fs::write(
        twin_config.join("data/priv_validator_state.json"),
        r#"{"height": "0", "round": 0, "step": 0}"#,
    )?;
    net.start_validator(TWIN)?;

    // CometBFT's evidence reaches the app: the key leaves the set, and the app says why.
    wait_until(
        "the double signer to leave /validators",
        Duration::from_secs(180),
        || async {
            let vals = net.cometbft_validators(0).await?;
            Ok((!vals.iter().any(|(k, _)| *k == cons_pk)).then_some(()))
        },
    )
    .await?;
    let top = net.height(0).await?;
    let mut evidence_heights = Vec::new();
    let mut slash = None;
    for h in 1..=top {
        let b = net.rpc(0, &format!("block?height={h}")).await?;
        let ev = b["block"]["evidence"]["evidence"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if ev
            .iter()
            .any(|e| e["type"] == "tendermint/DuplicateVoteEvidence")
        {
            evidence_heights.push(h);
        }
        let r = net.rpc(0, &format!("block_results?height={h}")).await?;
        for e in r["finalize_block_events"].as_array().into_iter().flatten() {
            let attr = |k: &str| {
                e["attributes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|a| a["key"] == k)
                    .and_then(|a| a["value"].as_str())
                    .map(str::to_string)
            };
            if e["type"] == "slash" && attr("reason").as_deref() == Some("double_sign") {
                slash.get_or_insert((h, attr("validator"), attr("burned")));
            }
        }
    }
    assert!(
        !evidence_heights.is_empty(),
        "no block carried duplicate-vote evidence"
    );
    let (slash_height, validator, burned) =
        slash.ok_or_else(|| anyhow::anyhow!("no double_sign slash event"))?;
    // The app acts in the block that carries the evidence.
    assert!(
        evidence_heights.contains(&slash_height),
        "{evidence_heights:?} vs {slash_height}"
    );
    assert_eq!(validator.as_deref(), Some(alice.address.as_str()));
    let slashed = SELF_BOND * DOUBLE_SIGN_BPS / 10_000;
    assert_eq!(burned, Some(format!("{slashed}ubls")));

    let v = blsd_json(
        &net,
        1,
        &keyring,
        &["query", "staking", "validator", &alice.address],
    )?;
    assert_eq!(v["validator"]["jailed"], true, "{v}");
    assert_eq!(
        v["validator"]["tokens"],
        (SELF_BOND - slashed).to_string(),
        "{v}"
    );
    let info = blsd_json(
        &net,
        2,
        &keyring,
        &["query", "slashing", "signing-info", &alice.address],
    )?;
    assert_eq!(info["info"]["tombstoned"], true, "{info}");
    Ok(())
}
