//! Attack 14 of docs/security.md, "a reveal that gives up": a worker whose first reveal
//! sends do not get through (a congested or flooded mempool) used to stop after five tries
//! while the reveal window was still open, and was then slashed for withholding though
//! honest. Here worker 0 runs with `--fault drop-reveals`, which loses its first six reveal
//! sends (one more than the old limit). It must keep re-sending until its reveal lands, and
//! keep its whole bond and its active status.

use std::time::{Duration, Instant};

use bls_e2e::worker::{
    deploy, invoke, job, wait_finalized, wasm_path, worker_record, WorkerNet, TEST_BOND,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_reveal_gives_up_honest_worker_keeps_resending() -> anyhow::Result<()> {
    // A reveal window long enough for six dropped sends with their backoff.
    let mut wn = WorkerNet::start(3, 30, 120).await?;
    wn.start_worker(0, &["--fault", "drop-reveals"]).await?;
    wn.start_worker(1, &[]).await?;
    wn.start_worker(2, &[]).await?;
    let slow = wn.workers[0].address.clone();

    let wasm = std::fs::read(wasm_path("hello")?)?;
    let function_id = deploy(&wn.rpc, &wn.invoker, &wasm, "{}", 3, 2).await?;
    let inv = invoke(&wn.rpc, &wn.invoker, function_id, b"Ada", 1_000_000).await?;
    let result = match wait_finalized(&wn.rpc, inv.job_id, Duration::from_secs(120)).await {
        Ok(r) => r,
        Err(e) => anyhow::bail!("{e:#}\n{}", wn.logs()),
    };

    // The dropping worker's own reveal lands later, within the window, and agrees.
    let deadline = Instant::now() + Duration::from_secs(150);
    loop {
        let j = job(&wn.rpc, inv.job_id).await?;
        let slot = j
            .assignments
            .iter()
            .find(|a| a.worker.to_string() == slow)
            .ok_or_else(|| anyhow::anyhow!("worker 0 not assigned: {j:?}"))?;
        if let Some(h) = &slot.result_hash {
            assert_eq!(
                h, &result.result_hash,
                "worker 0 revealed the quorum's result"
            );
            break;
        }
        if Instant::now() > deadline {
            anyhow::bail!(
                "worker 0 never revealed job {} (it gave up?)\n{}",
                inv.job_id,
                wn.logs()
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(
        wn.workers[0]
            .all_logs()
            .contains("fault injection: reveal dropped"),
        "the fault really dropped reveals"
    );
    let rec = worker_record(&wn.rpc, &slow).await?;
    assert_eq!(rec["worker"]["status"], "active", "{rec}");
    assert_eq!(
        rec["worker"]["bond"].as_str().map(str::to_string),
        Some(TEST_BOND.to_string()),
        "{rec}"
    );
    Ok(())
}
