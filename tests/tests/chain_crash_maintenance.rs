//! `kill -9` of a validator while it writes a state-sync snapshot, and while it prunes, loses
//! nothing: after each restart the chain goes on from the height it had reached with the same
//! app hash, the unfinished snapshot is gone and never served, every snapshot served verifies
//! against its own metadata, new snapshots are written, and pruning goes on refusing the
//! heights it forgot.
//!
//! The state is made large (30 000 genesis balances, a few MiB) so a snapshot takes long
//! enough to be caught: the test watches the snapshot directory and kills the node the
//! moment an unfinished snapshot appears, and checks after the kill that it was still there.
//! Pruning runs inside every commit (keep 2, every height), so the other kills, taken while
//! blocks are produced back to back, land before, during or after a pruning commit.

use std::path::Path;
use std::time::Duration;

use bls_app::statesync::format;
use bls_app::statesync::SnapshotStore;
use bls_e2e::{wait_until, Localnet, NodeOptions};
use serde_json::{json, Value};

const ACCOUNTS: u32 = 30_000;

fn many_balances(genesis: &mut Value) {
    let balances = genesis["app_state"]["bank"]["balances"]
        .as_array_mut()
        .expect("bank balances in the template");
    for i in 0..ACCOUNTS {
        let mut bytes = [0xaa; 20];
        bytes[16..].copy_from_slice(&i.to_be_bytes());
        balances.push(json!({
            "address": bls_core::Address::from_bytes(&bytes).to_string(),
            "coins": [{"denom": "ubls", "amount": "1000"}],
        }));
    }
}

fn unfinished(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().to_string())
                .filter(|n| n.starts_with(".tmp-"))
                .collect()
        })
        .unwrap_or_default()
}

/// Every finished snapshot's chunks match the hashes in its metadata.
fn check_snapshots(dir: &Path) -> anyhow::Result<usize> {
    let store = SnapshotStore::open(dir, 1000)?;
    let list = store.list();
    for s in &list {
        let hashes = format::chunk_hashes(&s.metadata, s.chunks)?;
        let mut last_key: Option<Vec<u8>> = None;
        for (i, want) in hashes.iter().enumerate() {
            let chunk = store
                .load_chunk(s.height, s.format, i as u32)
                .ok_or_else(|| anyhow::anyhow!("snapshot {} lacks chunk {i}", s.height))?;
            anyhow::ensure!(
                format::chunk_hash(&chunk) == *want,
                "snapshot {} chunk {i} does not match its metadata",
                s.height
            );
            let records = format::decode_chunk(&chunk, last_key.as_deref())?;
            last_key = records.last().map(|(k, _)| k.clone()).or(last_key);
        }
    }
    Ok(list.len())
}

/// Kills both processes of node 0 at once.
fn kill_9(net: &mut Localnet) {
    let v = &mut net.validators[0];
    if let Some(mut p) = v.blsd.take() {
        p.kill();
    }
    if let Some(mut p) = v.cometbft.take() {
        p.kill();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_while_snapshotting_and_pruning_loses_nothing() -> anyhow::Result<()> {
    let mut net = Localnet::start(NodeOptions {
        genesis_patch: Some(many_balances),
        app_toml: vec![
            ("snapshot_interval".into(), "4".into()),
            ("snapshot_keep_recent".into(), "2".into()),
            ("pruning".into(), "\"custom\"".into()),
            ("pruning_keep_recent".into(), "2".into()),
            ("pruning_interval".into(), "1".into()),
        ],
        ..Default::default()
    })
    .await?;
    let snapshots = net.validators[0].home.join("data/snapshots");

    for round in 0..4 {
        let before = net.height(0).await?;
        net.wait_height(0, before + 3, Duration::from_secs(60))
            .await?;
        // What the node has committed: the kill comes after, so it must keep at least this.
        let killed_at = net.height(0).await?;
        let hash_before = net.app_hash_after(0, killed_at - 1).await?;
        if round == 0 {
            // Kill the moment a snapshot is being written: watch its directory every
            // millisecond (a snapshot of a few MiB takes tens of them) and kill at once.
            let end = tokio::time::Instant::now() + Duration::from_secs(60);
            while unfinished(&snapshots).is_empty() {
                assert!(
                    tokio::time::Instant::now() < end,
                    "no snapshot started within 60 s"
                );
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
        kill_9(&mut net);
        if round == 0 {
            assert!(
                !unfinished(&snapshots).is_empty(),
                "the kill did not catch a snapshot midway"
            );
        }

        net.start_validator(0)?;
        let resumed = wait_until("the restarted node", Duration::from_secs(60), || async {
            Ok(net.height(0).await.ok())
        })
        .await?;
        assert!(
            resumed >= killed_at,
            "resumed at {resumed}, had reached {killed_at}"
        );
        net.wait_height(0, resumed + 2, Duration::from_secs(60))
            .await?;
        assert_eq!(
            net.app_hash_after(0, killed_at - 1).await?,
            hash_before,
            "round {round}: the app hash of height {} changed",
            killed_at - 1
        );
        // blsd's own last commit agrees with the chain's header for it.
        let info = net.rpc(0, "abci_info").await?;
        let h: u64 = info["response"]["last_block_height"]
            .as_str()
            .unwrap_or("0")
            .parse()?;
        net.wait_height(0, h + 1, Duration::from_secs(30)).await?;
        let hash_hex = hex::encode_upper(base64_decode(
            info["response"]["last_block_app_hash"]
                .as_str()
                .unwrap_or(""),
        )?);
        assert_eq!(net.app_hash_after(0, h).await?, hash_hex);
        // The unfinished snapshot is gone; what is served verifies. A snapshot the restarted
        // node is writing right now (every 4 blocks, tens of milliseconds each) is not a
        // leftover: wait for a moment with none in progress; a leftover never goes away.
        let snaps = snapshots.clone();
        wait_until("no unfinished snapshot", Duration::from_secs(20), || {
            let snaps = snaps.clone();
            async move { Ok(unfinished(&snaps).is_empty().then_some(())) }
        })
        .await?;
        check_snapshots(&snapshots)?;
    }

    // Snapshots are written again after the kills, and verify.
    let now = net.height(0).await?;
    wait_until(
        "a snapshot after the restarts",
        Duration::from_secs(60),
        || async {
            Ok(net
                .metric(0, "blsd_snapshot_height")
                .await?
                .filter(|h| *h as u64 > now))
        },
    )
    .await?;
    assert!(check_snapshots(&snapshots)? >= 1);

    // Pruning went on: the floor follows the tip and forgotten heights are refused.
    let floor = net
        .metric(0, "blsd_prune_floor_height")
        .await?
        .unwrap_or(0.0) as u64;
    let tip = net.height(0).await?;
    assert!(floor + 6 >= tip && floor > 10, "floor {floor} at tip {tip}");
    let q = net
        .rpc(
            0,
            &format!(
                "abci_query?path=\"/store/key\"&data=0x00&height={}",
                floor - 3
            ),
        )
        .await?;
    assert!(
        q["response"]["log"]
            .as_str()
            .unwrap_or("")
            .contains("pruned"),
        "{q}"
    );
    Ok(())
}

fn base64_decode(s: &str) -> anyhow::Result<Vec<u8>> {
    use base64::Engine as _;
    Ok(base64::engine::general_purpose::STANDARD.decode(s)?)
}
