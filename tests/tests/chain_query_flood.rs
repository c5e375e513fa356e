//! A flood of heavy queries cannot stall the chain: while RPC and REST clients keep a node
//! busy with simulates of many deployments (and module queries), the chain keeps committing
//! blocks and the flood keeps being answered. Queries run off the consensus thread, at most
//! `max_concurrent_queries` at once; before that, every FinalizeBlock and Commit queued
//! behind the flood's simulates on the one thread that owns the app.

use std::time::Duration;

use bls_e2e::flood::FloodTarget;
use bls_e2e::net::scrape_metric;
use bls_e2e::{wait_until, NodeOptions};

/// Blocks the chain must commit while flooded.
const BLOCKS_UNDER_FLOOD: u64 = 25;
/// Concurrent REST clients in the flood.
const REST_CLIENTS: usize = 12;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chain_keeps_committing_under_a_query_flood() -> anyhow::Result<()> {
    let target = FloodTarget::start(&NodeOptions::default().block_time).await?;
    let (rpc, tx, v) = (&target.rpc, &target.tx, &target.net.validators[0]);
    // The flood's simulate is valid and heavy: it is answered with a gas figure.
    let gas = rpc.simulate(tx.clone()).await?;
    assert!(gas > 0, "simulate answered with no gas");

    // REST requests are concurrent (CometBFT's query connection is one at a time): twelve
    // of them in flight at once is the flood that used to queue in front of every block.
    let flood = target.flood(2, REST_CLIENTS)?;
    // The flood is under way before the count starts.
    wait_until(
        "the flood's first answers",
        Duration::from_secs(60),
        || async { Ok((flood.stats().simulated >= 4).then_some(())) },
    )
    .await?;
    let start = rpc.status().await?.latest_block_height;
    let metrics = format!("{}/metrics", v.api_url());
    let running_seen = std::sync::Mutex::new(Vec::new());
    let committed = wait_until(
        &format!("{BLOCKS_UNDER_FLOOD} blocks under the flood"),
        // 25 blocks at 200 ms take 5 s idle. (How much the flood slows blocks is measured by
        // `scripts/bench flood`, not asserted here.)
        Duration::from_secs(60),
        || async {
            if let Some(n) = scrape_metric(&metrics, "blsd_queries_running").await? {
                running_seen.lock().expect("samples").push(n);
            }
            let h = rpc.status().await?.latest_block_height;
            Ok((h >= start + BLOCKS_UNDER_FLOOD).then_some(h))
        },
    )
    .await;
    let stats = flood.stop().await;
    committed?;
    // Queries ran side by side (impossible on the one consensus thread), never more than
    // the configured bound (app.toml's default `max_concurrent_queries`, 2).
    let running = running_seen.into_inner().expect("samples");
    let peak = running.iter().copied().fold(0.0, f64::max);
    assert!(running.len() >= 5, "too few /metrics samples: {running:?}");
    assert!(
        peak <= 2.0,
        "more queries ran at once than allowed: {running:?}"
    );
    assert_eq!(
        peak, 2.0,
        "the flood never had two queries running at once: {running:?}"
    );
    // The flood was served all along, not refused: queries are bounded, not dropped.
    assert!(
        stats.simulated >= 8,
        "the flood got only {} simulates answered: {stats:?}",
        stats.simulated
    );
    // The node still answers a plain query afterwards.
    rpc.status().await?;
    assert!(rpc.account(target.key.address()).await?.is_some());
    Ok(())
}
