//! Staking on a real 4-validator localnet (CometBFT genesis validators, no staking genesis
//! validators): a validator created by tx joins CometBFT's `/validators`; it never signs (no
//! node runs its key), so downtime slashing jails it and it leaves the set again; unjail is
//! refused while jailed; every node reports the same app hash at every height.

use std::time::Duration;

use base64::Engine as _;
use bls_e2e::chain::{blsd_json, create_validator, keyring_dir, new_key, ConsensusKey};
use bls_e2e::{wait_until, Localnet, NodeOptions};
use serde_json::{json, Value};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn created_validator_joins_then_is_jailed_for_downtime() -> anyhow::Result<()> {
    let tmp = tempfile::tempdir()?;
    let alice = new_key(tmp.path(), "alice")?;
    let net = Localnet::start(NodeOptions {
        validators: 4,
        accounts: vec![(alice.address.clone(), "1000000000ubls".into())],
        app_state: vec![
            (
                "staking".into(),
                json!({"params": {"unbonding_blocks": 20, "max_validators": 10,
                    "min_self_bond": "1000000", "max_commission_bps": 5000,
                    "max_unbonding_entries": 7}}),
            ),
            (
                "slashing".into(),
                json!({"params": {"signed_blocks_window": 10, "min_signed_per_window": 5,
                    "downtime_jail_blocks": 100000, "slash_fraction_double_sign": 500,
                    "slash_fraction_downtime": 100}}),
            ),
        ],
        ..Default::default()
    })
    .await?;
    // No staking genesis validators: CometBFT's four stand.
    assert_eq!(net.cometbft_validators(0).await?.len(), 4);

    let keyring = keyring_dir(&net)?;
    bls_client::keyring::Keyring::test(&keyring).import_mnemonic("alice", &alice.mnemonic)?;
    // A consensus key no node runs: the validator will be in the set but never sign.
    let mut pk = [0x5au8; 32];
    pk[..4].copy_from_slice(&std::process::id().to_be_bytes());
    let pk_b64 = base64::engine::general_purpose::STANDARD.encode(pk);
    create_validator(
        &net,
        &keyring,
        "alice",
        5_000_000,
        ConsensusKey::Pubkey(&pk_b64),
        "offline",
    )?;

    // It joins CometBFT's set with power 5 (10 + 10 + 10 + 10 + 5: the four keep consensus).
    wait_until(
        "the new validator in /validators",
        Duration::from_secs(60),
        || async {
            let vals = net.cometbft_validators(0).await?;
            Ok(vals
                .iter()
                .any(|(k, p)| *k == pk_b64 && p == "5")
                .then_some(()))
        },
    )
    .await?;
    let v = blsd_json(
        &net,
        1,
        &keyring,
        &["query", "staking", "validator", &alice.address],
    )?;
    assert_eq!(v["bonded"], true, "{v}");
    assert_eq!(v["bonded_power"], 5, "{v}");

    // It misses every vote: after a full window it is slashed 1%, jailed and removed.
    wait_until(
        "the jailed validator to leave /validators",
        Duration::from_secs(90),
        || async {
            let vals = net.cometbft_validators(0).await?;
            Ok((vals.len() == 4 && !vals.iter().any(|(k, _)| *k == pk_b64)).then_some(()))
        },
    )
    .await?;
    let v = blsd_json(
        &net,
        2,
        &keyring,
        &["query", "staking", "validator", &alice.address],
    )?;
    assert_eq!(v["validator"]["jailed"], true, "{v}");
    assert_eq!(v["validator"]["tokens"], "4950000", "{v}");
    let info: Value = blsd_json(
        &net,
        3,
        &keyring,
        &["query", "slashing", "signing-info", &alice.address],
    )?;
    assert!(
        info["info"]["jailed_until"].as_u64().unwrap_or(0) > 0,
        "{info}"
    );
    assert_eq!(info["info"]["tombstoned"], false, "{info}");

    // Unjail is refused while the jail lasts.
    let err = blsd_json(
        &net,
        0,
        &keyring,
        &[
            "tx", "slashing", "unjail", "--from", "alice", "--yes", "--wait",
        ],
    )
    .expect_err("unjail during the jail must fail");
    assert!(format!("{err:#}").contains("jailed until"), "{err:#}");

    // Every node agrees on every app hash.
    let mut target = u64::MAX;
    for i in 0..4 {
        target = target.min(net.height(i).await?);
    }
    for height in 1..target {
        let reference = net.app_hash_after(0, height).await?;
        for i in 1..4 {
            assert_eq!(
                net.app_hash_after(i, height).await?,
                reference,
                "node{i} disagrees at height {height}"
            );
        }
    }
    Ok(())
}
