//! Liveness jailing through the real flow: four workers, a subnetwork of three, liveness on
//! (a window of 3 assignments, at least 1 answered). One member runs with `--fault silent`
//! (follows the chain, never commits or reveals). Its jobs still finalize with the other two;
//! each settlement records its miss; when its window is full of misses it is jailed, begin
//! block repairs the subnetwork with the spare worker, and the next job runs on the repaired
//! subnetwork without the jailed worker.

use std::time::Duration;

use bls_e2e::wait_until;
use bls_e2e::worker::{
    deploy, invoke, wait_finalized, wasm_path, worker_app_state, worker_record, WorkerNet,
};
use serde_json::{json, Value};

/// Assignments in the liveness window.
const WINDOW: u64 = 3;

async fn subnetwork(wn: &WorkerNet, function_id: u64) -> anyhow::Result<Vec<String>> {
    let f: Value = wn
        .rpc
        .query_json(
            "/bls.orchestration.v1.Query/Function",
            &json!({ "id": function_id }),
        )
        .await?;
    Ok(f["subnetwork"]["workers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|w| w.as_str().map(str::to_string))
        .collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_worker_is_jailed_and_its_seat_refilled() -> anyhow::Result<()> {
    let mut state = worker_app_state(5, 5);
    for (module, section) in &mut state {
        match module.as_str() {
            "registry" => {
                section["params"]["signed_jobs_window"] = json!(WINDOW);
                section["params"]["min_answered_per_window"] = json!(1);
            }
            "orchestration" => section["params"]["subnetwork_size"] = json!(3),
            _ => {}
        }
    }
    let mut wn = WorkerNet::start_with_state(4, state).await?;
    for i in 0..4 {
        wn.start_worker(i, &[]).await?;
    }
    let wasm = std::fs::read(wasm_path("hello")?)?;
    let function_id = deploy(&wn.rpc, &wn.invoker, &wasm, "{}", 3, 2).await?;
    let members = wait_until("the subnetwork placed", Duration::from_secs(30), || async {
        let m = subnetwork(&wn, function_id).await?;
        Ok((m.len() == 3).then_some(m))
    })
    .await?;
    let addrs: Vec<String> = wn.workers.iter().map(|w| w.address.clone()).collect();
    let silent_addr = members[0].clone();
    let silent = addrs
        .iter()
        .position(|a| *a == silent_addr)
        .ok_or_else(|| anyhow::anyhow!("member {silent_addr} is not a test worker"))?;
    let spare = addrs
        .iter()
        .find(|a| !members.contains(a))
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("no spare worker"))?;
    wn.workers[silent].stop(Duration::from_secs(20));
    wn.start_worker(silent, &["--fault", "silent"]).await?;

    // WINDOW jobs: each finalizes without the silent worker and counts one miss for it.
    for i in 0..WINDOW {
        let rec = worker_record(&wn.rpc, &silent_addr).await?;
        assert_eq!(rec["worker"]["status"], "active", "before job {i}: {rec}");
        let inv = invoke(
            &wn.rpc,
            &wn.invoker,
            function_id,
            format!("n{i}").as_bytes(),
            1_000_000,
        )
        .await?;
        assert!(
            inv.workers.contains(&silent_addr),
            "job {i} assigned to {:?}",
            inv.workers
        );
        let r = match wait_finalized(&wn.rpc, inv.job_id, Duration::from_secs(120)).await {
            Ok(r) => r,
            Err(e) => anyhow::bail!("{e:#}\n{}", wn.logs()),
        };
        let paid: Vec<String> = r.workers.iter().map(|a| a.to_string()).collect();
        assert_eq!(paid.len(), 2, "{paid:?}");
        assert!(!paid.contains(&silent_addr));
    }

    // The full window of misses jailed it, for liveness.
    let rec = worker_record(&wn.rpc, &silent_addr).await?;
    assert_eq!(rec["worker"]["status"], "jailed", "{rec}");
    assert!(rec.to_string().contains("liveness"), "{rec}");

    // Begin block refilled its seat with the spare.
    let repaired = wait_until(
        "the subnetwork repaired",
        Duration::from_secs(60),
        || async {
            let m = subnetwork(&wn, function_id).await?;
            Ok((!m.contains(&silent_addr)).then_some(m))
        },
    )
    .await?;
    assert_eq!(repaired.len(), 3, "{repaired:?}");
    assert!(repaired.contains(&spare), "{repaired:?} lacks {spare}");

    // The next job runs on the repaired subnetwork and finalizes with all three.
    let inv = invoke(&wn.rpc, &wn.invoker, function_id, b"after", 1_000_000).await?;
    let mut assigned = inv.workers.clone();
    assigned.sort();
    let mut want = repaired.clone();
    want.sort();
    assert_eq!(assigned, want);
    let r = match wait_finalized(&wn.rpc, inv.job_id, Duration::from_secs(120)).await {
        Ok(r) => r,
        Err(e) => anyhow::bail!("{e:#}\n{}", wn.logs()),
    };
    let out = bls_core::outcome::Outcome::decode(r.outcome.as_slice())?;
    assert_eq!(out.stdout, b"Hello, after!\n");
    Ok(())
}
