//! The node under a worker restarts (cometbft and blsd stopped and started again): the
//! worker's websocket drops; it reconnects, catches up and keeps executing jobs.

use std::time::Duration;

use bls_e2e::wait_until;
use bls_e2e::worker::{deploy, invoke, wait_finalized, wasm_path, WorkerNet};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn worker_reconnects_after_the_node_restarts() -> anyhow::Result<()> {
    let mut wn = WorkerNet::start(1, 30, 30).await?;
    wn.start_worker(0, &[]).await?;
    let wasm = std::fs::read(wasm_path("hello")?)?;
    let function_id = deploy(&wn.rpc, &wn.invoker, &wasm, "{}", 1, 1).await?;
    let job1 = invoke(&wn.rpc, &wn.invoker, function_id, b"before", 1_000_000).await?;
    wait_finalized(&wn.rpc, job1.job_id, Duration::from_secs(60)).await?;
    let w = &wn.workers[0];
    let before = w
        .metric("bls_worker_websocket_connects_total")
        .await?
        .unwrap_or(0.0);
    assert!(before >= 1.0, "connected before the restart\n{}", wn.logs());

    let h = wn.net.height(0).await?;
    wn.net.stop_validator(0);
    wn.net.start_validator(0)?;
    wn.net
        .wait_height(0, h + 3, Duration::from_secs(60))
        .await?;

    let job2 = invoke(&wn.rpc, &wn.invoker, function_id, b"after", 1_000_000).await?;
    let r = match wait_finalized(&wn.rpc, job2.job_id, Duration::from_secs(90)).await {
        Ok(r) => r,
        Err(e) => anyhow::bail!("{e:#}\n{}", wn.logs()),
    };
    let out = bls_core::outcome::Outcome::decode(r.outcome.as_slice())?;
    assert_eq!(out.stdout, b"Hello, after!\n");
    assert!(wn.workers[0].is_running());
    let w = &wn.workers[0];
    wait_until(
        "the worker to report a reconnect",
        Duration::from_secs(30),
        || async {
            let c = w.metric("bls_worker_websocket_connects_total").await?;
            Ok(c.filter(|c| *c > before).map(|_| ()))
        },
    )
    .await?;
    // It processed every height up to the node's (no lag left behind).
    let lag = w.metric("bls_worker_chain_lag_blocks").await?;
    assert!(lag.is_some_and(|l| l <= 5.0), "lag {lag:?}");
    Ok(())
}
