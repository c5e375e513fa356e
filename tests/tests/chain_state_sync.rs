//! A fresh node joins a running 4-validator chain by CometBFT state sync (real cometbft +
//! blsd), with the trust height and hash taken from RPC, reaches the tip with the validators'
//! app hash and serves queries. The only peer it knows at first serves corrupted chunks: the
//! chunk is refused and fetched again from an honest peer found later. The validators prune
//! (custom, keep 20): a pruned height is refused over ABCI while a recent one answers with an
//! ics23 proof against its app hash.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bls_client::keys::KeyPair;
use bls_client::rpc::RpcClient;
use bls_e2e::{wait_until, Localnet, NodeOptions};
use prost::Message;
use tendermint_rpc::Client as _;

const FUNDS: u128 = 777_000_000;
const JOINER: usize = 4;
const LIAR: usize = 0;

/// Flips the last byte of every chunk file under `dir` it has not flipped yet.
fn corrupt_new_chunks(dir: &Path, done: &mut BTreeSet<PathBuf>) {
    let Ok(snapshots) = std::fs::read_dir(dir) else {
        return;
    };
    for snap in snapshots.flatten() {
        // Only finished snapshots (named by height): a `.tmp-` one is still being written.
        if snap.file_name().to_string_lossy().parse::<u64>().is_err() {
            continue;
        }
        let Ok(files) = std::fs::read_dir(snap.path()) else {
            continue;
        };
        for f in files.flatten() {
            let path = f.path();
            let is_chunk = f.file_name().to_string_lossy().starts_with("chunk-");
            if !is_chunk || done.contains(&path) {
                continue;
            }
            if let Ok(mut bytes) = std::fs::read(&path) {
                if let Some(last) = bytes.last_mut() {
                    *last ^= 0x5a;
                    if std::fs::write(&path, &bytes).is_ok() {
                        done.insert(path);
                    }
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_node_joins_by_state_sync_past_a_lying_peer() -> anyhow::Result<()> {
    let (alice, _) = KeyPair::generate()?;
    let mut net = Localnet::start(NodeOptions {
        validators: 5,
        genesis_validators: Some(4),
        held_back: 1,
        accounts: vec![(alice.address().to_string(), format!("{FUNDS}ubls"))],
        app_toml: vec![
            ("snapshot_interval".into(), "10".into()),
            ("snapshot_keep_recent".into(), "3".into()),
            ("pruning".into(), "\"custom\"".into()),
            ("pruning_keep_recent".into(), "20".into()),
            ("pruning_interval".into(), "5".into()),
        ],
        ..Default::default()
    })
    .await?;

    // The liar serves every snapshot it writes with a corrupted chunk.
    let liar_dir = net.validators[LIAR].home.join("data/snapshots");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let corrupter = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut done = BTreeSet::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                corrupt_new_chunks(&liar_dir, &mut done);
                std::thread::sleep(Duration::from_millis(10));
            }
            done.len()
        })
    };

    // Snapshots at 10, 20, 30 exist on the validators, and pruning has moved the floor.
    net.wait_height(1, 45, Duration::from_secs(120)).await?;
    for i in 0..4 {
        let snap = wait_until(
            "a snapshot at 30 or later",
            Duration::from_secs(30),
            || async {
                Ok(net
                    .metric(i, "blsd_snapshot_height")
                    .await?
                    .filter(|h| *h >= 30.0))
            },
        )
        .await?;
        assert_eq!(snap % 10.0, 0.0);
    }

    // Pruning: a height below the floor is refused; a recent one answers with a proof.
    let rpc1 = RpcClient::new(&net.validators[1].rpc_url())?;
    let key = bls_bank::keeper::store_keys::balance(alice.address(), "ubls");
    let floor = net
        .metric(1, "blsd_prune_floor_height")
        .await?
        .unwrap_or(0.0) as u64;
    assert!(floor >= 20, "prune floor {floor}");
    let pruned = rpc1
        .http()
        .abci_query(
            Some("/store/key".to_string()),
            key.clone(),
            Some(tendermint::block::Height::try_from(floor - 5)?),
            true,
        )
        .await?;
    assert_ne!(pruned.code.value(), 0);
    assert!(pruned.log.contains("pruned"), "{}", pruned.log);
    let recent = net.height(1).await? - 2;
    let q = rpc1
        .http()
        .abci_query(
            Some("/store/key".to_string()),
            key.clone(),
            Some(tendermint::block::Height::try_from(recent)?),
            true,
        )
        .await?;
    assert_eq!(q.code.value(), 0, "{}", q.log);
    assert_eq!(
        serde_json::from_slice::<String>(&q.value)?,
        FUNDS.to_string()
    );
    let proof = ics23::CommitmentProof::decode(q.proof.expect("proof").ops[0].data.as_slice())?;
    let app_hash = hex::decode(net.app_hash_after(1, recent).await?)?;
    assert!(bls_app::store::verify_proof(
        &app_hash,
        &key,
        Some(&q.value),
        &proof
    ));

    // The joiner: state sync on, trusting a recent block of node 1; it knows only the liar.
    let trust_height = net.height(1).await? - 1;
    let block = net.rpc(1, &format!("block?height={trust_height}")).await?;
    let trust_hash = block["block_id"]["hash"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("no block hash: {block}"))?
        .to_string();
    let servers = format!(
        "\"{},{}\"",
        net.validators[1].rpc_url(),
        net.validators[2].rpc_url()
    );
    let liar_peer = format!(
        "\"{}@127.0.0.1:{}\"",
        net.node_id(LIAR)?,
        net.validators[LIAR].p2p_port
    );
    net.set_cometbft_toml(JOINER, None, "persistent_peers", &liar_peer)?;
    let sync = Some("statesync");
    net.set_cometbft_toml(JOINER, sync, "enable", "true")?;
    net.set_cometbft_toml(JOINER, sync, "rpc_servers", &servers)?;
    net.set_cometbft_toml(JOINER, sync, "trust_height", &trust_height.to_string())?;
    net.set_cometbft_toml(JOINER, sync, "trust_hash", &format!("\"{trust_hash}\""))?;
    net.set_cometbft_toml(JOINER, sync, "trust_period", "\"168h0m0s\"")?;
    net.set_cometbft_toml(JOINER, sync, "discovery_time", "\"5s\"")?;
    net.set_cometbft_toml(JOINER, sync, "chunk_request_timeout", "\"5s\"")?;
    let started = Instant::now();
    net.start_validator(JOINER)?;

    // The liar's chunk is refused...
    wait_until(
        "the corrupted chunk refused",
        Duration::from_secs(120),
        || async {
            Ok(net
                .metric(JOINER, "blsd_statesync_chunks_refused_total")
                .await
                .ok()
                .flatten()
                .filter(|n| *n >= 1.0))
        },
    )
    .await?;
    // ...fetched again from an honest peer, and the node reaches the tip.
    let restored_log = wait_until("the state restored", Duration::from_secs(180), || async {
        let log = std::fs::read_to_string(net.validators[JOINER].home.join("blsd.log"))?;
        Ok(log
            .lines()
            .find(|l| l.contains("state restored from snapshot"))
            .map(str::to_string))
    })
    .await?;
    let tip = net.height(1).await?;
    net.wait_height(JOINER, tip, Duration::from_secs(120))
        .await?;
    let joined_in = started.elapsed();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let corrupted = corrupter
        .join()
        .map_err(|_| anyhow::anyhow!("corrupter panicked"))?;
    assert!(corrupted >= 1);
    println!(
        "joined by state sync in {:.1} s ({restored_log})",
        joined_in.as_secs_f64()
    );

    // It did not replay from genesis: its first block is the one after the snapshot.
    let status = net.rpc(JOINER, "status").await?;
    let earliest: u64 = status["sync_info"]["earliest_block_height"]
        .as_str()
        .unwrap_or("0")
        .parse()?;
    assert!(
        earliest > 10,
        "earliest block {earliest}: replayed from genesis?"
    );
    let joiner_log = std::fs::read_to_string(net.validators[JOINER].home.join("blsd.log"))?;
    assert!(joiner_log.contains("snapshot chunk does not match its hash"));

    // Same app hash as the validators at a height past the restore, and it answers queries.
    net.wait_height(JOINER, tip + 2, Duration::from_secs(60))
        .await?;
    assert_eq!(
        net.app_hash_after(JOINER, tip).await?,
        net.app_hash_after(1, tip).await?
    );
    let rpc4 = RpcClient::new(&net.validators[JOINER].rpc_url())?;
    assert_eq!(rpc4.balance(alice.address(), "ubls").await?, FUNDS);
    let rest: serde_json::Value = reqwest::get(format!(
        "{}/cosmos/bank/v1beta1/balances/{}",
        net.validators[JOINER].api_url(),
        alice.address()
    ))
    .await?
    .json()
    .await?;
    assert_eq!(rest["balances"][0]["amount"], FUNDS.to_string(), "{rest}");
    // Heights before its snapshot are not stored on it, and it says so.
    let old = rpc4
        .http()
        .abci_query(
            Some("/store/key".to_string()),
            key,
            Some(tendermint::block::Height::try_from(5u64)?),
            true,
        )
        .await?;
    assert_ne!(old.code.value(), 0, "height 5 answered on the joiner");
    Ok(())
}
