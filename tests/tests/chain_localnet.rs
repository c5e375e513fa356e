//! Four validators on loopback agree on the app hash at every height, across txs and a
//! validator restart (CometBFT's handshake replays from the app's Info), with vote extensions
//! on: every block carries the validators' signed reveals and the randomness beacon mixes
//! them into the same value on every node, a new value every block.

use std::time::Duration;

use bls_core::Address;
use bls_e2e::chain::{blsd_json, keyring_dir, new_key};
use bls_e2e::{Localnet, NodeOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_validators_same_app_hash_and_restart() -> anyhow::Result<()> {
    let tmp = tempfile::tempdir()?;
    let alice = new_key(tmp.path(), "alice")?;
    let mut net = Localnet::start(NodeOptions {
        validators: 4,
        accounts: vec![(alice.address.clone(), "1000000000ubls".into())],
        ..Default::default()
    })
    .await?;
    let keyring = keyring_dir(&net)?;
    bls_client::keyring::Keyring::test(&keyring).import_mnemonic("alice", &alice.mnemonic)?;
    for n in 0..3u8 {
        let to = Address::from_bytes(&[n + 1; 20]).to_string();
        let res = blsd_json(
            &net,
            usize::from(n),
            &keyring,
            &[
                "tx", "bank", "send", "alice", &to, "1000ubls", "--yes", "--wait",
            ],
        )?;
        assert_eq!(res["code"], 0, "{res}");
        // The next tx goes through another node: it must have committed this one first, or
        // its account query still reads the old sequence.
        let included = res["height"]
            .as_u64()
            .or_else(|| res["height"].as_str().and_then(|h| h.parse().ok()))
            .ok_or_else(|| anyhow::anyhow!("no height in {res}"))?;
        for i in 0..4 {
            net.wait_height(i, included, Duration::from_secs(60))
                .await?;
        }
    }
    // Stop node 3 and let the others go on, then restart it: it must catch up.
    net.stop_validator(3);
    let h = net.height(0).await?;
    net.wait_height(0, h + 3, Duration::from_secs(60)).await?;
    net.start_validator(3)?;
    let target = net.height(0).await? + 2;
    for i in 0..4 {
        net.wait_height(i, target, Duration::from_secs(90)).await?;
    }
    for height in 1..target {
        let reference = net.app_hash_after(0, height).await?;
        assert!(!reference.is_empty());
        for i in 1..4 {
            assert_eq!(
                net.app_hash_after(i, height).await?,
                reference,
                "node{i} disagrees at height {height}"
            );
        }
    }

    // The beacon, queried at the same heights on every node.
    let beacon = |i: usize, height: u64| {
        blsd_json(
            &net,
            i,
            &keyring,
            &[
                "query",
                "--height",
                &height.to_string(),
                "beacon",
                "randomness",
            ],
        )
    };
    let last = target - 1;
    let mut values = std::collections::BTreeSet::new();
    for height in (last - 5)..=last {
        let reference = beacon(0, height)?;
        let r = &reference["randomness"];
        assert_eq!(r["height"], height, "{reference}");
        assert_eq!(
            r["source"], "vote_extensions",
            "height {height}: {reference}"
        );
        assert!(
            r["reveals"].as_u64().unwrap_or(0) >= 1,
            "height {height}: {reference}"
        );
        assert!(
            values.insert(r["value"].as_str().unwrap_or_default().to_string()),
            "the randomness repeated at height {height}"
        );
        for i in 1..4 {
            assert_eq!(beacon(i, height)?, reference, "node{i} at height {height}");
        }
    }
    // Every block carries the previous height's extensions as its first (pseudo-)transaction.
    let block = net.rpc(0, &format!("block?height={last}")).await?;
    let txs = block["block"]["data"]["txs"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        !txs.is_empty(),
        "block {last} has no vote-extension pseudo-transaction"
    );
    let results = net.rpc(0, &format!("block_results?height={last}")).await?;
    assert_eq!(results["txs_results"][0]["code"], 0, "{results}");
    Ok(())
}
