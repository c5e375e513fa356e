//! Graceful shutdown: a worker that receives SIGTERM while one of its commits is waiting
//! for reveals to open keeps running (up to its grace period) and reveals before exiting.

use std::time::Duration;

use bls_e2e::wait_until;
use bls_e2e::worker::{deploy, invoke, wait_finalized, wasm_path, WorkerNet};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_reveals_committed_jobs_before_exit() -> anyhow::Result<()> {
    let mut wn = WorkerNet::start(2, 200, 30).await?;
    wn.start_worker(0, &[]).await?;
    wn.start_worker(1, &[]).await?;
    let a = wn.workers[0].address.clone();
    let wasm = std::fs::read(wasm_path("hello")?)?;
    let function_id = deploy(&wn.rpc, &wn.invoker, &wasm, "{}", 2, 2).await?;

    // B is down, so A's commit waits for B's before reveals open.
    wn.workers[1].stop(Duration::from_secs(20));
    let inv = invoke(&wn.rpc, &wn.invoker, function_id, b"bye", 1_000_000).await?;
    let a_addr = bls_core::Address::parse(&a)?;
    let rpc = wn.rpc.clone();
    wait_until("A to commit", Duration::from_secs(60), || {
        let (rpc, a_addr) = (rpc.clone(), a_addr.clone());
        async move {
            let j = bls_e2e::worker::job(&rpc, inv.job_id).await?;
            Ok(j.assignment(&a_addr).and_then(|s| s.commitment.clone()))
        }
    })
    .await?;

    // SIGTERM A; it must not exit yet (committed, not revealed).
    let stopped = wn.workers[0].stop_in_background(Duration::from_secs(60));
    let w0 = &wn.workers[0];
    wait_until(
        "A to begin its shutdown",
        Duration::from_secs(20),
        || async { Ok(w0.all_logs().contains("shutting down").then_some(())) },
    )
    .await?;
    assert!(!stopped.is_finished(), "A exited before revealing");

    // B comes back and commits: reveals open, A reveals, the job finalizes, A exits.
    wn.workers[1].start(&[])?;
    let r = match wait_finalized(&wn.rpc, inv.job_id, Duration::from_secs(90)).await {
        Ok(r) => r,
        Err(e) => anyhow::bail!("{e:#}\n{}", wn.logs()),
    };
    assert!(
        r.workers.iter().any(|w| w.to_string() == a),
        "A's reveal counted"
    );
    tokio::time::timeout(Duration::from_secs(30), stopped).await??;
    let logs = wn.workers[0].all_logs();
    assert!(
        logs.contains("bls_worker::daemon: stopped"),
        "A exited cleanly:\n{logs}"
    );
    Ok(())
}
