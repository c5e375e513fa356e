//! Long jobs with real processes at 200 ms blocks: cometbft, blsd, three workers and a head.
//!
//! A function that computes for about a minute (sha256-rounds, sized by a local calibration
//! run: busy work, no sleep) finalizes on chain although its commit window is 20 blocks (4 s):
//! the window lasts the manifest's timeout plus `commit_grace_ms` of block time. The same
//! function answers through the head, which waits for its workers as long as the manifest
//! allows (the libp2p request limit is no longer 30 s). A manifest asking 15 minutes is
//! accepted and placed only on the worker that advertises 15 minutes.

use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use bls_client::fastpath::{signed_execute_body, FastRequest};
use bls_e2e::bin_path;
use bls_e2e::fastpath::{check_signatures, fresh_terms, fund_deposit, post, start_with_head};
use bls_e2e::worker::{deploy, invoke, job, wait_finalized, wasm_path, WorkerNet};

const HEAD: usize = 3;
/// The worker that advertises 15-minute jobs.
const PATIENT: usize = 0;
const HEAD_BOND: &str = "1000000000ubls";
/// Wall time the job is sized for.
const TARGET: Duration = Duration::from_secs(60);

/// Rounds of sha256-rounds that take about `TARGET` on this machine, from a local run of
/// 2 000 000 rounds (the test asserts no timing: this only sizes the work).
fn calibrated_rounds(wasm: &std::path::Path) -> anyhow::Result<u64> {
    const PROBE: u64 = 2_000_000;
    let started = Instant::now();
    let out = Command::new(bin_path("bls-worker")?)
        .arg("run")
        .arg(wasm)
        .args(["--stdin", "abc", "--arg", &PROBE.to_string()])
        .args(["--fuel", "1000000000000", "--timeout", "600s"])
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let took = started.elapsed().as_secs_f64().max(0.001);
    let rounds = (PROBE as f64 * TARGET.as_secs_f64() / took) as u64;
    eprintln!("calibration: {PROBE} rounds in {took:.2} s; {rounds} rounds for ~60 s");
    Ok(rounds.max(PROBE))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_minute_long_job_finalizes_on_chain_and_through_a_head() -> anyhow::Result<()> {
    let mut wn = WorkerNet::start(4, 20, 20).await?;
    for (i, w) in wn.workers.iter().enumerate() {
        let max = if i == PATIENT { 900_000 } else { 300_000 };
        w.set_config("worker", "max_timeout_ms", toml::Value::Integer(max))?;
    }
    // The head is re-initialized with the default 60 s: it never runs these functions.
    let fp = start_with_head(&mut wn, HEAD, HEAD_BOND).await?;
    let wasm_file = wasm_path("sha256-rounds")?;
    let wasm = std::fs::read(&wasm_file)?;
    let rounds = calibrated_rounds(&wasm_file)?;
    let manifest =
        format!(r#"{{"args":["{rounds}"],"limits":{{"timeout_ms":300000,"fuel":1000000000000}}}}"#);
    let id = deploy(&wn.rpc, &wn.invoker, &wasm, &manifest, 2, 2).await?;
    let f = bls_client::orchestration::function(&wn.rpc, id).await?;
    let members = f.subnetwork.context("placed")?.workers;
    assert!(
        !members
            .iter()
            .any(|m| m.as_str() == wn.workers[HEAD].address),
        "the head (60 s) is no member of a 5-minute function: {members:?}"
    );

    // ---- on chain: far beyond the 20-block (4 s) commit window ----
    let started = Instant::now();
    let inv = invoke(&wn.rpc, &wn.invoker, id, b"abc", 10_000_000).await?;
    let r = wait_finalized(&wn.rpc, inv.job_id, Duration::from_secs(900))
        .await
        .with_context(|| wn.logs())?;
    let j = job(&wn.rpc, inv.job_id).await?;
    let blocks = j.finalized_height.saturating_sub(j.round_height);
    eprintln!(
        "on chain: finalized {blocks} blocks after assignment, {:.1} s after the invoke",
        started.elapsed().as_secs_f64()
    );
    assert!(
        blocks > 20,
        "the job outlived its 20-block window only if it took longer: {blocks} blocks"
    );
    assert_eq!(j.round, 0, "no reassignment: {j:?}");
    let outcome = bls_core::outcome::Outcome::decode(r.outcome.as_slice())?;
    assert_eq!(outcome.status, bls_core::outcome::ExitStatus::Exited(0));
    assert_eq!(outcome.stdout.len(), 65, "a hex digest: {outcome:?}");
    let digest = outcome.stdout.clone();

    // ---- through the head: the same minute, the same digest ----
    fund_deposit(&wn.rpc, &wn.invoker, 10_000_000).await?;
    // The fast-path fee prices the manifest's 300 s: 1 000 + 300 × 100 ubls.
    let terms = fresh_terms(&wn.rpc, id).await?;
    let request = FastRequest::new(&terms, "abc".into(), 1, 100_000);
    let (mut body, _) = signed_execute_body(&wn.invoker, &request);
    body["config"]["number_of_nodes"] = serde_json::json!(2);
    let exec_url = format!("{}/api/v1/functions/execute", fp.head_url);
    let started = Instant::now();
    let (st, v) = post(&exec_url, &body).await?;
    eprintln!(
        "fast path: answered in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(st, 200, "{v}\n{}", wn.logs());
    assert_eq!(
        v["stdout"].as_str().map(str::as_bytes),
        Some(digest.as_slice())
    );
    let signers = check_signatures(&wn.rpc, &v).await?;
    assert_eq!(signers.len(), 2, "both workers signed: {v}");

    // ---- a 15-minute manifest: accepted, placed only where 15 minutes are advertised ----
    let quarter = r#"{"limits":{"timeout_ms":900000}}"#;
    let id15 = deploy(&wn.rpc, &wn.invoker, &wasm, quarter, 1, 1).await?;
    let f = bls_client::orchestration::function(&wn.rpc, id15).await?;
    let members: Vec<String> = f
        .subnetwork
        .context("placed")?
        .workers
        .iter()
        .map(|a| a.to_string())
        .collect();
    assert_eq!(members, vec![wn.workers[PATIENT].address.clone()]);
    Ok(())
}
