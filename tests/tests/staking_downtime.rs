//! Downtime jail and unjail of a validator a node really runs, on a 5-node localnet (four
//! CometBFT genesis validators and one full node): the full node's own consensus key becomes a
//! staking validator by tx and signs blocks; the node is stopped, so downtime slashing jails it
//! and it leaves CometBFT's set while the other four keep producing blocks; it restarts, waits
//! out the jail, unjails, rejoins the set and signs again. Every node reports the same app hash
//! at every height.

use std::path::Path;
use std::time::Duration;

use bls_e2e::chain::{blsd_json, create_validator, keyring_dir, new_key, ConsensusKey};
use bls_e2e::{wait_until, Localnet, NodeOptions};
use serde_json::{json, Value};

/// The node that starts as a full node and becomes a staking validator.
const NODE: usize = 4;
/// Slashing parameters: short windows so the test runs in seconds of blocks.
const WINDOW: u64 = 10;
const JAIL_BLOCKS: u64 = 10;
/// Self-bond: power 10, as much as each genesis validator, yet the other four (40 of 50) keep
/// more than 2/3 of the power while it is down.
const SELF_BOND: u128 = 10_000_000;

/// Whether the commit for block `height - 1` carried in block `height` (as node `i` stores it)
/// has a signature from the validator with hex address `addr`.
async fn last_commit_signed_by(
    net: &Localnet,
    i: usize,
    height: u64,
    addr: &str,
) -> anyhow::Result<bool> {
    let b = net.rpc(i, &format!("block?height={height}")).await?;
    Ok(b["block"]["last_commit"]["signatures"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        // block_id_flag 2 = BLOCK_ID_FLAG_COMMIT: a vote for the committed block.
        .any(|s| s["validator_address"] == addr && s["block_id_flag"] == 2))
}

/// Waits until a block at or above `from` (seen from node 0) carries `addr`'s signature;
/// returns that block's height.
async fn wait_signed_after(net: &Localnet, from: u64, addr: &str) -> anyhow::Result<u64> {
    // Next height to look at: each block is fetched once.
    let next = std::cell::Cell::new(from);
    wait_until(
        &format!("a block from height {from} signed by {addr}"),
        Duration::from_secs(60),
        || async {
            let top = net.height(0).await?;
            while next.get() <= top {
                let h = next.get();
                if last_commit_signed_by(net, 0, h, addr).await? {
                    return Ok(Some(h));
                }
                next.set(h + 1);
            }
            Ok(None)
        },
    )
    .await
}

fn read_consensus_key(home: &Path) -> anyhow::Result<(String, String)> {
    let key: Value = serde_json::from_slice(&std::fs::read(
        home.join("cometbft/config/priv_validator_key.json"),
    )?)?;
    Ok((
        key["address"].as_str().unwrap_or_default().to_string(),
        key["pub_key"]["value"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopped_validator_is_jailed_then_unjails_and_rejoins() -> anyhow::Result<()> {
    let tmp = tempfile::tempdir()?;
    let alice = new_key(tmp.path(), "alice")?;
    let mut net = Localnet::start(NodeOptions {
        validators: 5,
        genesis_validators: Some(4),
        accounts: vec![(alice.address.clone(), "1000000000ubls".into())],
        block_time: "200ms".into(),
        app_state: vec![
            (
                "staking".into(),
                json!({"params": {"unbonding_blocks": 20, "max_validators": 10,
                    "min_self_bond": "1000000", "max_commission_bps": 5000,
                    "max_unbonding_entries": 7}}),
            ),
            (
                "slashing".into(),
                json!({"params": {"signed_blocks_window": WINDOW, "min_signed_per_window": 5,
                    "downtime_jail_blocks": JAIL_BLOCKS, "slash_fraction_double_sign": 500,
                    "slash_fraction_downtime": 100}}),
            ),
        ],
        initial_height: None,
        ..Default::default()
    })
    .await?;
    let nodes = net.validators.len();
    assert_eq!(net.cometbft_validators(0).await?.len(), 4);
    let (cons_addr, cons_pk) = read_consensus_key(&net.validators[NODE].home)?;
    assert!(!cons_addr.is_empty() && !cons_pk.is_empty());

    let keyring = keyring_dir(&net)?;
    bls_client::keyring::Keyring::test(&keyring).import_mnemonic("alice", &alice.mnemonic)?;
    let key_file = net.validators[NODE]
        .home
        .join("cometbft/config/priv_validator_key.json");
    create_validator(
        &net,
        &keyring,
        "alice",
        SELF_BOND,
        ConsensusKey::File(&key_file),
        "node4",
    )?;

    // It joins CometBFT's set with power 10, and node 4 signs with it.
    wait_until(
        "node4's key in /validators with power 10",
        Duration::from_secs(60),
        || async {
            let vals = net.cometbft_validators(0).await?;
            Ok(
                (vals.len() == 5 && vals.iter().any(|(k, p)| *k == cons_pk && p == "10"))
                    .then_some(()),
            )
        },
    )
    .await?;
    let joined_at = net.height(0).await?;
    wait_signed_after(&net, joined_at, &cons_addr).await?;

    // Stop node 4: it misses every vote; after a window it is slashed 1%, jailed, removed.
    net.stop_validator(NODE);
    let stopped_at = net.height(0).await?;
    wait_until(
        "the jailed validator to leave /validators",
        Duration::from_secs(90),
        || async {
            let vals = net.cometbft_validators(0).await?;
            Ok((vals.len() == 4 && !vals.iter().any(|(k, _)| *k == cons_pk)).then_some(()))
        },
    )
    .await?;
    let v = blsd_json(
        &net,
        1,
        &keyring,
        &["query", "staking", "validator", &alice.address],
    )?;
    assert_eq!(v["validator"]["jailed"], true, "{v}");
    assert_eq!(v["bonded"], false, "{v}");
    assert_eq!(
        v["validator"]["tokens"],
        (SELF_BOND - SELF_BOND / 100).to_string(),
        "{v}"
    );
    let info = blsd_json(
        &net,
        2,
        &keyring,
        &["query", "slashing", "signing-info", &alice.address],
    )?;
    let jailed_until = info["info"]["jailed_until"].as_u64().unwrap_or(0);
    assert!(jailed_until > stopped_at, "{info}");
    assert_eq!(info["info"]["tombstoned"], false, "{info}");

    // The other four keep producing blocks without it.
    let removed_at = net.height(0).await?;
    for i in 0..NODE {
        net.wait_height(i, removed_at + 5, Duration::from_secs(30))
            .await?;
    }

    // Restart node 4; it catches up and, once the jail is over, its operator unjails it.
    net.start_validator(NODE)?;
    let top = net.height(0).await?;
    net.wait_height(NODE, top, Duration::from_secs(60)).await?;
    // The unjail goes through node 4: its app (which simulates the tx) must be past the jail.
    net.wait_app_height(NODE, jailed_until, Duration::from_secs(60))
        .await?;
    let res = blsd_json(
        &net,
        NODE,
        &keyring,
        &[
            "tx", "slashing", "unjail", "--from", "alice", "--yes", "--wait",
        ],
    )?;
    assert_eq!(res["code"], 0, "{res}");

    // It rejoins with its slashed power (9 900 000 ubls: power 9) and signs again.
    wait_until(
        "node4's key back in /validators with power 9",
        Duration::from_secs(60),
        || async {
            let vals = net.cometbft_validators(0).await?;
            Ok(
                (vals.len() == 5 && vals.iter().any(|(k, p)| *k == cons_pk && p == "9"))
                    .then_some(()),
            )
        },
    )
    .await?;
    let rejoined_at = net.height(0).await?;
    let signed_at = wait_signed_after(&net, rejoined_at, &cons_addr).await?;
    let v = blsd_json(
        &net,
        3,
        &keyring,
        &["query", "staking", "validator", &alice.address],
    )?;
    assert_eq!(v["validator"]["jailed"], false, "{v}");
    assert_eq!(v["bonded"], true, "{v}");
    assert_eq!(v["bonded_power"], 9, "{v}");

    // Every node, node 4 included, agrees on every app hash up to a common height.
    for i in 0..nodes {
        net.wait_height(i, signed_at + 1, Duration::from_secs(60))
            .await?;
    }
    let mut target = u64::MAX;
    for i in 0..nodes {
        target = target.min(net.height(i).await?);
    }
    for height in 1..target {
        let reference = net.app_hash_after(0, height).await?;
        assert!(!reference.is_empty(), "no app hash after height {height}");
        for i in 1..nodes {
            assert_eq!(
                net.app_hash_after(i, height).await?,
                reference,
                "node{i} disagrees at height {height}"
            );
        }
    }
    Ok(())
}
