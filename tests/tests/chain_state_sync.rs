//! A fresh node joins a running 4-validator chain by CometBFT state sync (real cometbft +
//! blsd), with the trust height and hash taken from RPC, reaches the tip with the validators'
//! app hash and serves queries. One validator serves corrupted chunks and the others cannot
//! serve theirs until the first copy (necessarily the corrupted one) has been refused: the
//! chunk is refused, its sender dropped, and the chunk fetched again from an honest peer. The validators prune
//! (custom, keep 20): a pruned height is refused over ABCI while a recent one answers with an
//! ics23 proof against its app hash.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bls_client::keys::KeyPair;
use bls_client::rpc::RpcClient;
use bls_e2e::{wait_until, Localnet, NodeOptions};
use prost::Message;
use tendermint_rpc::Client as _;

const FUNDS: u128 = 777_000_000;
const JOINER: usize = 4;
const LIAR: usize = 0;

/// What the test does to a node's snapshot chunks.
#[derive(Clone, Copy)]
enum Tamper {
    /// Flip the last byte: the node serves a corrupted chunk.
    Corrupt,
    /// Move the file aside: the node advertises the snapshot but answers "missing".
    Hide,
}

/// Tampers with every finished chunk file under `dir` not yet seen.
fn tamper_new_chunks(dir: &Path, how: Tamper, done: &mut BTreeSet<PathBuf>) {
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
            let name = f.file_name().to_string_lossy().to_string();
            if !name.starts_with("chunk-") || name.ends_with(".hidden") || done.contains(&path) {
                continue;
            }
            let tampered = match how {
                Tamper::Corrupt => std::fs::read(&path).ok().and_then(|mut bytes| {
                    *bytes.last_mut()? ^= 0x5a;
                    std::fs::write(&path, &bytes).ok()
                }),
                Tamper::Hide => std::fs::rename(&path, path.with_extension("hidden")).ok(),
            };
            if tampered.is_some() {
                done.insert(path);
            }
        }
    }
}

/// Puts hidden chunk files back.
fn unhide_chunks(dir: &Path) {
    let Ok(snapshots) = std::fs::read_dir(dir) else {
        return;
    };
    for snap in snapshots.flatten() {
        for f in std::fs::read_dir(snap.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let path = f.path();
            if path.extension().is_some_and(|e| e == "hidden") {
                let _ = std::fs::rename(&path, path.with_extension(""));
            }
        }
    }
}

/// Tampers with the chunks under each dir until `stop`; returns how many it tampered with.
fn tamperer(dirs: Vec<(PathBuf, Tamper)>, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<usize> {
    std::thread::spawn(move || {
        let mut done = BTreeSet::new();
        while !stop.load(Ordering::Relaxed) {
            for (dir, how) in &dirs {
                tamper_new_chunks(dir, *how, &mut done);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        done.len()
    })
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
            // Long enough that the joiner's snapshot is still served after the refusal.
            ("snapshot_keep_recent".into(), "30".into()),
            ("pruning".into(), "\"custom\"".into()),
            ("pruning_keep_recent".into(), "20".into()),
            ("pruning_interval".into(), "5".into()),
        ],
        ..Default::default()
    })
    .await?;

    // The liar serves every snapshot it writes with a corrupted chunk; the honest validators
    // advertise theirs but cannot serve a chunk until the liar's has been refused. So the
    // joiner's first copy of the chunk comes from the liar, whatever peers it has.
    let dirs: Vec<PathBuf> = (0..4)
        .map(|i| net.validators[i].home.join("data/snapshots"))
        .collect();
    let snapshots = |i: usize| dirs[i].clone();
    let liar_stop = Arc::new(AtomicBool::new(false));
    let liar = tamperer(vec![(snapshots(LIAR), Tamper::Corrupt)], liar_stop.clone());
    let honest_stop = Arc::new(AtomicBool::new(false));
    let honest = tamperer(
        (1..4).map(|i| (snapshots(i), Tamper::Hide)).collect(),
        honest_stop.clone(),
    );

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

    // The joiner: state sync on, trusting a recent block of node 1.
    net.configure_state_sync(JOINER, 1, 2, &[0, 1, 2, 3])
        .await?;
    let started = Instant::now();
    net.start_validator(JOINER)?;

    // The liar's chunk is refused (no one else serves it yet)...
    wait_until(
        "the corrupted chunk refused",
        // If the joiner first picks a snapshot the liar has not written yet (it can lag the
        // others by a commit), only the honest peers have it and they answer "missing" until
        // CometBFT gives that snapshot up (its chunk timeout is 2 minutes) and offers the
        // next one, which the liar has: allow for that round.
        Duration::from_secs(300),
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
    // ...and the honest validators serve again.
    honest_stop.store(true, Ordering::Relaxed);
    let hidden = honest
        .join()
        .map_err(|_| anyhow::anyhow!("hider panicked"))?;
    assert!(hidden >= 1);
    for i in 1..4 {
        unhide_chunks(&snapshots(i));
    }
    // The chunk is fetched again from an honest peer, and the node reaches the tip.
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
    liar_stop.store(true, Ordering::Relaxed);
    let corrupted = liar
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
