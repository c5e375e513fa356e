//! Happy path: three real `bls-worker` daemons register, a developer deploys `hello` and
//! invokes it; the workers execute, commit and reveal; the result finalizes, equals what
//! `bls-worker run` computes locally for the same job, the agreeing workers are paid and
//! part of the fee is burnt.

use std::process::Command;
use std::time::Duration;

use bls_e2e::bin_path;
use bls_e2e::worker::{
    balance_now, deploy, events_between, fees_paid, invoke, module_address, supply_now,
    wait_finalized, wasm_path, WorkerNet, INVOKER_FUNDS, TEST_BOND, TEST_WORKER_FUNDS,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hello_is_executed_by_workers_and_finalized() -> anyhow::Result<()> {
    let mut wn = WorkerNet::start(3, 30, 30).await?;
    for i in 0..3 {
        wn.start_worker(i, &[]).await?;
    }
    let wasm_file = wasm_path("hello")?;
    let wasm = std::fs::read(&wasm_file)?;
    let function_id = deploy(&wn.rpc, &wn.invoker, &wasm, "{}", 3, 2).await?;
    let invoker = wn.invoker.address().to_string();

    let (supply_before, _) = supply_now(&wn.rpc).await?;
    let inv = invoke(&wn.rpc, &wn.invoker, function_id, b"Ada", 1_000_000).await?;
    assert_eq!(inv.workers.len(), 3, "three workers assigned");

    let result = match wait_finalized(&wn.rpc, inv.job_id, Duration::from_secs(90)).await {
        Ok(r) => r,
        Err(e) => anyhow::bail!("{e:#}\n{}", wn.logs()),
    };
    let outcome = bls_core::outcome::Outcome::decode(result.outcome.as_slice())?;
    assert_eq!(outcome.stdout, b"Hello, Ada!\n");
    assert!(
        result.workers.len() >= 2,
        "quorum of 2: {:?}",
        result.workers
    );

    // The same job run locally gives the same result hash.
    let job = bls_e2e::worker::job(&wn.rpc, inv.job_id).await?;
    let out = Command::new(bin_path("bls-worker")?)
        .arg("run")
        .arg(&wasm_file)
        .args(["--stdin", "Ada", "--job-id", &job.seed])
        .args(["--block-time", &job.time_secs.to_string()])
        .args(["--output", "json"])
        .output()?;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let local: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(
        local["result_hash"], result.result_hash,
        "local run: {local}"
    );

    // Fee accounting: balances are checked against everything paid since genesis (fees
    // from the ante `tx` events).
    let p = bls_orchestration::Params::default();
    let limits = bls_core::manifest::Limits::default();
    let fee = bls_orchestration::pricing::job_fee(&p, &limits, &outcome);
    assert_eq!(result.fee, fee);
    let shares = bls_e2e::worker::invocation_split(&wn.rpc).await?;
    let split = bls_orchestration::handlers::settle::split_fee(&shares, fee, result.workers.len());
    assert!(split.per_worker > 0 && split.burn > 0);
    // Agreeing workers: genesis funds − bond − every fee they paid + their share.
    for w in &result.workers {
        let w = w.to_string();
        let (bal, h) = balance_now(&wn.rpc, &w).await?;
        let fees = fees_paid(&wn.rpc, &w, 1, h).await?;
        assert_eq!(
            bal,
            TEST_WORKER_FUNDS - TEST_BOND - fees + split.per_worker,
            "worker {w} balance at height {h}"
        );
    }
    // Part burnt: the supply dropped by at least the burn share.
    let (supply_after, _) = supply_now(&wn.rpc).await?;
    let burnt = supply_before - supply_after;
    assert!(
        burnt >= split.burn,
        "burnt {burnt} < burn share {}",
        split.burn
    );
    // The invoker got everything but the job fee (and its tx fees) back; escrow is empty.
    let (bal, h) = balance_now(&wn.rpc, &invoker).await?;
    let fees = fees_paid(&wn.rpc, &invoker, 1, h).await?;
    assert_eq!(bal, INVOKER_FUNDS - fees - fee);
    assert_eq!(
        balance_now(
            &wn.rpc,
            &module_address(bls_orchestration::state::ESCROW_ACCOUNT)
        )
        .await?
        .0,
        0
    );
    let events_to = wn.net.height(0).await?;

    // Each worker committed exactly once.
    let events = events_between(&wn.rpc, inv.height, events_to).await?;
    for w in &inv.workers {
        assert_eq!(
            bls_e2e::worker::commits_by(&events, inv.job_id, w),
            1,
            "{w}"
        );
    }

    // Simulated gas plus the per-tx headroom sufficed (settlement runs in end block, not
    // in a reveal): no tx ran out of gas.
    for w in &wn.workers {
        let oog = w
            .metric("bls_worker_tx_failures_total{kind=\"out_of_gas\"}")
            .await?;
        assert_eq!(oog, None, "{} ran out of gas\n{}", w.name, wn.logs());
    }

    // Worker metrics saw the execution.
    let m = wn.workers[0].metrics().await?;
    assert!(
        m.contains("bls_worker_outcomes_total{kind=\"exit_ok\"} 1"),
        "{m}"
    );
    assert!(m.contains("bls_worker_chain_lag_blocks"), "{m}");
    Ok(())
}
