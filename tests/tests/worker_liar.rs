//! A dishonest worker among three: it commits and reveals a tampered result. The two
//! honest workers' identical results finalize; the liar is slashed and jailed.
//!
//! All workers run normally, so the liar's reveal may land before or after the honest
//! quorum made the result final: either way the chain settles after every committer
//! revealed, and the liar is slashed.

use std::time::Duration;

use bls_e2e::worker::{
    deploy, invoke, wait_finalized, wasm_path, worker_record, WorkerNet, TEST_BOND,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn liar_is_outvoted_slashed_and_jailed() -> anyhow::Result<()> {
    let mut wn = WorkerNet::start(3, 30, 30).await?;
    wn.start_worker(0, &["--fault", "wrong-result"]).await?;
    wn.start_worker(1, &[]).await?;
    wn.start_worker(2, &[]).await?;
    let liar = wn.workers[0].address.clone();
    let honest = [wn.workers[1].address.clone(), wn.workers[2].address.clone()];

    let wasm = std::fs::read(wasm_path("hello")?)?;
    let function_id = deploy(&wn.rpc, &wn.invoker, &wasm, "{}", 3, 2).await?;
    let inv = invoke(&wn.rpc, &wn.invoker, function_id, b"Ada", 1_000_000).await?;
    assert_eq!(inv.workers.len(), 3);

    let result = match wait_finalized(&wn.rpc, inv.job_id, Duration::from_secs(120)).await {
        Ok(r) => r,
        Err(e) => anyhow::bail!("{e:#}\n{}", wn.logs()),
    };
    let outcome = bls_core::outcome::Outcome::decode(result.outcome.as_slice())?;
    assert_eq!(
        outcome.stdout, b"Hello, Ada!\n",
        "the honest result finalized"
    );
    let mut agreeing: Vec<String> = result.workers.iter().map(|a| a.to_string()).collect();
    agreeing.sort();
    let mut expected = honest.to_vec();
    expected.sort();
    assert_eq!(agreeing, expected);

    // The liar revealed (its tampered result) and was slashed and jailed.
    let job = bls_e2e::worker::job(&wn.rpc, inv.job_id).await?;
    let slot = job
        .assignments
        .iter()
        .find(|a| a.worker.to_string() == liar)
        .expect("liar assigned");
    assert!(slot.result_hash.is_some(), "liar revealed");
    assert_ne!(
        slot.result_hash.as_deref(),
        Some(result.result_hash.as_str())
    );
    let rec = worker_record(&wn.rpc, &liar).await?;
    assert_eq!(rec["worker"]["status"], "jailed", "{rec}");
    let p = bls_orchestration::Params::default();
    let slashed = TEST_BOND * u128::from(p.slash_fraction_bps) / 10_000;
    assert!(slashed > 0);
    assert_eq!(
        rec["worker"]["bond"].as_str().map(str::to_string),
        Some((TEST_BOND - slashed).to_string()),
        "{rec}"
    );
    for h in &honest {
        let rec = worker_record(&wn.rpc, h).await?;
        assert_eq!(rec["worker"]["status"], "active", "{rec}");
        assert_eq!(
            rec["worker"]["bond"].as_str().map(str::to_string),
            Some(TEST_BOND.to_string())
        );
    }
    Ok(())
}
