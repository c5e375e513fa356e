//! Happy path: three real `bls-worker` daemons register, a developer deploys `hello` and
//! invokes it; the workers execute, commit and reveal; the result finalizes, equals what
//! `bls-worker run` computes locally for the same job, the fee, the workers' shares and the
//! burn equal what the chain's params give (computed here, not with the chain's functions),
//! and each worker sent exactly one commit (its own count, not only the chain's).

use std::process::Command;
use std::time::Duration;

use bls_e2e::bin_path;
use bls_e2e::worker::{
    balance_now, deploy, events_between, fees_paid, invoke, module_address, parse_ubls, supply_now,
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

    let (supply_before, h_before) = supply_now(&wn.rpc).await?;
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

    // Fee accounting, computed here from the chain's params (not with the chain's own
    // pricing and split functions): fee = base_fee + fuel_used × fuel_price / fuel_unit
    // (a clean exit has no time fee), split by the fees module's basis points, floored.
    let params: serde_json::Value = wn
        .rpc
        .query_json("/bls.orchestration.v1.Query/Params", &serde_json::json!({}))
        .await?;
    let num = |k: &str| -> anyhow::Result<u128> {
        let v = &params["params"][k];
        match (v.as_str(), v.as_u64()) {
            (Some(s), _) => Ok(s.parse()?),
            (_, Some(n)) => Ok(u128::from(n)),
            _ => anyhow::bail!("param {k}: {v}"),
        }
    };
    assert_eq!(outcome.status, bls_core::outcome::ExitStatus::Exited(0));
    assert!(outcome.fuel_used < bls_core::manifest::Limits::default().fuel);
    let fee =
        num("base_fee")? + u128::from(outcome.fuel_used) * num("fuel_price")? / num("fuel_unit")?;
    assert_eq!(result.fee, fee);
    let shares = bls_e2e::worker::invocation_split(&wn.rpc).await?;
    let paid_workers = u128::try_from(result.workers.len())?;
    let per_worker = fee * u128::from(shares.worker_bps) / 10_000 / paid_workers;
    let burn = fee * u128::from(shares.burn_bps) / 10_000;
    assert!(per_worker > 0 && burn > 0);
    let events_to = wn.net.height(0).await?;
    let events = events_between(&wn.rpc, inv.height, events_to).await?;
    let settled: Vec<_> = events
        .iter()
        .filter(|(_, e)| {
            e.kind == "bls.job_settled" && e.attr("job_id") == Some(&*inv.job_id.to_string())
        })
        .collect();
    assert_eq!(settled.len(), 1, "one settlement of job {}", inv.job_id);
    let settled = &settled[0].1;
    assert_eq!(settled.attr("fee"), Some(&*fee.to_string()), "{settled:?}");
    assert_eq!(
        settled.attr("per_worker"),
        Some(&*per_worker.to_string()),
        "{settled:?}"
    );
    assert_eq!(
        settled.attr("burn"),
        Some(&*burn.to_string()),
        "{settled:?}"
    );
    // Agreeing workers: genesis funds − bond − every fee they paid + their share.
    for w in &result.workers {
        let w = w.to_string();
        let (bal, h) = balance_now(&wn.rpc, &w).await?;
        let fees = fees_paid(&wn.rpc, &w, 1, h).await?;
        assert_eq!(
            bal,
            TEST_WORKER_FUNDS - TEST_BOND - fees + per_worker,
            "worker {w} balance at height {h}"
        );
    }
    // The supply dropped by exactly what was burnt in between: the job's burn share plus
    // the gas-fee burns of those blocks, each a `burn` event.
    let (supply_after, h_after) = supply_now(&wn.rpc).await?;
    let burns = events_between(&wn.rpc, h_before + 1, h_after).await?;
    let mut burnt_events = 0u128;
    for (_, e) in burns.iter().filter(|(_, e)| e.kind == "burn") {
        burnt_events += parse_ubls(e.attr("amount").unwrap_or(""))?;
    }
    assert_eq!(supply_before - supply_after, burnt_events);
    assert!(
        burnt_events >= burn,
        "burn events {burnt_events} miss the job's burn share {burn}"
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
    // Each worker committed exactly once on chain, and sent exactly one commit: the chain
    // refuses a second commit, so only the worker's own count shows one it tried.
    for w in &inv.workers {
        assert_eq!(
            bls_e2e::worker::commits_by(&events, inv.job_id, w),
            1,
            "{w}"
        );
    }
    for w in &wn.workers {
        let sends = w.metric("bls_worker_commit_sends_total").await?;
        assert_eq!(sends, Some(1.0), "{} commit sends\n{}", w.name, wn.logs());
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
    // A following worker is healthy for its service manager.
    let health = reqwest::get(format!(
        "http://127.0.0.1:{}/healthz",
        wn.workers[0].metrics_port
    ))
    .await?;
    assert_eq!(health.status(), reqwest::StatusCode::OK);
    let body: serde_json::Value = health.json().await?;
    assert_eq!(body["status"], "ok", "{body}");
    Ok(())
}
