//! A worker that crashes after committing (test-only `crash-after-commit` fault):
//! - and stays down: it withheld its reveal, so at the reveal deadline it gets the
//!   withholding penalty (slash + jail + liveness miss: the function is pure), the round
//!   fails, the job is reassigned to another worker and finalizes; the invoker pays exactly
//!   the job fee and the escrow ends empty;
//! - and is restarted within the reveal window: the daemon reveals its saved commit, the
//!   job finalizes in the first round, and the worker is paid, not slashed.

use std::time::Duration;

use bls_e2e::wait_until;
use bls_e2e::worker::{
    balance_now, deploy, events_between, fees_paid, invoke, module_address, wait_finalized,
    wasm_path, worker_record, WorkerNet, INVOKER_FUNDS, TEST_BOND,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_of_a_crashed_worker_is_reassigned_and_finalizes() -> anyhow::Result<()> {
    let mut wn = WorkerNet::start(2, 20, 10).await?;
    // Only the crashing worker exists when the function is deployed and invoked, so it is
    // the one assigned.
    wn.start_worker(0, &["--fault", "crash-after-commit"])
        .await?;
    let crasher = wn.workers[0].address.clone();
    let wasm = std::fs::read(wasm_path("hello")?)?;
    let function_id = deploy(&wn.rpc, &wn.invoker, &wasm, "{}", 1, 1).await?;
    let inv = invoke(&wn.rpc, &wn.invoker, function_id, b"Ada", 1_000_000).await?;
    assert_eq!(inv.workers, vec![crasher.clone()]);

    let w0 = &mut wn.workers[0];
    wait_until(
        "the faulty worker to crash after committing",
        Duration::from_secs(60),
        || {
            let running = w0.is_running();
            async move { Ok((!running).then_some(())) }
        },
    )
    .await?;
    let job = bls_e2e::worker::job(&wn.rpc, inv.job_id).await?;
    assert!(
        job.assignment(&bls_core::Address::parse(&crasher)?)
            .is_some_and(|a| a.commitment.is_some()),
        "the crashed worker had committed"
    );

    wn.start_worker(1, &[]).await?;
    let result = match wait_finalized(&wn.rpc, inv.job_id, Duration::from_secs(120)).await {
        Ok(r) => r,
        Err(e) => anyhow::bail!("{e:#}\n{}", wn.logs()),
    };
    let outcome = bls_core::outcome::Outcome::decode(result.outcome.as_slice())?;
    assert_eq!(outcome.stdout, b"Hello, Ada!\n");
    let finisher = wn.workers[1].address.clone();
    let agreeing: Vec<String> = result.workers.iter().map(|a| a.to_string()).collect();
    assert_eq!(agreeing, vec![finisher]);
    let job = bls_e2e::worker::job(&wn.rpc, inv.job_id).await?;
    assert_eq!(job.round, 1, "finalized in the reassigned round");
    assert_eq!(job.escrow, 0);

    // The crashed worker withheld its committed result: slashed, jailed and missed; the job
    // was reassigned.
    let now = wn.net.height(0).await?;
    let events = events_between(&wn.rpc, inv.height, now).await?;
    let id = inv.job_id.to_string();
    let of_crasher = |kind: &str| {
        events
            .iter()
            .filter(|(_, e)| e.kind == kind && e.attr("worker") == Some(crasher.as_str()))
            .count()
    };
    assert!(events
        .iter()
        .any(|(_, e)| e.kind == "bls.job_reassigned" && e.attr("job_id") == Some(id.as_str())));
    assert_eq!(of_crasher("bls.worker_missed"), 1);
    assert_eq!(of_crasher("bls.worker_slashed"), 1);
    assert_eq!(of_crasher("bls.worker_jailed"), 1);
    let rec = worker_record(&wn.rpc, &crasher).await?;
    assert_eq!(rec["worker"]["status"], "jailed", "{rec}");
    let p = bls_orchestration::Params::default();
    let slashed = TEST_BOND * u128::from(p.slash_fraction_bps) / 10_000;
    assert_eq!(
        rec["worker"]["bond"].as_str(),
        Some((TEST_BOND - slashed).to_string().as_str()),
        "{rec}"
    );
    let finisher_rec = worker_record(&wn.rpc, &wn.workers[1].address).await?;
    assert_eq!(finisher_rec["worker"]["status"], "active", "{finisher_rec}");
    assert_eq!(
        finisher_rec["worker"]["bond"].as_str(),
        Some(TEST_BOND.to_string().as_str())
    );

    // No escrow lost: the invoker paid exactly the job fee (plus its own tx fees) and the
    // escrow account is empty.
    let invoker = wn.invoker.address().to_string();
    let (bal, h) = balance_now(&wn.rpc, &invoker).await?;
    let fees = fees_paid(&wn.rpc, &invoker, 1, h).await?;
    assert_eq!(bal, INVOKER_FUNDS - fees - result.fee);
    assert_eq!(
        balance_now(
            &wn.rpc,
            &module_address(bls_orchestration::state::ESCROW_ACCOUNT)
        )
        .await?
        .0,
        0
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crashed_worker_restarted_within_the_reveal_window_reveals_and_is_not_slashed(
) -> anyhow::Result<()> {
    // 150 blocks (~30 s at the test block time) to come back after commits close.
    let mut wn = WorkerNet::start(1, 20, 150).await?;
    wn.start_worker(0, &["--fault", "crash-after-commit"])
        .await?;
    let worker = wn.workers[0].address.clone();
    let wasm = std::fs::read(wasm_path("hello")?)?;
    let function_id = deploy(&wn.rpc, &wn.invoker, &wasm, "{}", 1, 1).await?;
    let inv = invoke(&wn.rpc, &wn.invoker, function_id, b"Ada", 1_000_000).await?;
    assert_eq!(inv.workers, vec![worker.clone()]);

    let w0 = &mut wn.workers[0];
    wait_until(
        "the faulty worker to crash after committing",
        Duration::from_secs(60),
        || {
            let running = w0.is_running();
            async move { Ok((!running).then_some(())) }
        },
    )
    .await?;
    let job = bls_e2e::worker::job(&wn.rpc, inv.job_id).await?;
    let me = bls_core::Address::parse(&worker)?;
    let slot = job.assignment(&me).expect("assigned");
    assert!(slot.commitment.is_some() && slot.result_hash.is_none());

    // The operator restarts it (without the fault): it reveals the saved commit in time.
    wn.start_worker(0, &[]).await?;
    let result = match wait_finalized(&wn.rpc, inv.job_id, Duration::from_secs(60)).await {
        Ok(r) => r,
        Err(e) => anyhow::bail!("{e:#}\n{}", wn.logs()),
    };
    let agreeing: Vec<String> = result.workers.iter().map(|a| a.to_string()).collect();
    assert_eq!(agreeing, vec![worker.clone()]);
    let job = bls_e2e::worker::job(&wn.rpc, inv.job_id).await?;
    assert_eq!(job.round, 0, "finalized in the first round");
    wait_until("the job to settle", Duration::from_secs(30), || {
        let rpc = wn.rpc.clone();
        async move {
            let j = bls_e2e::worker::job(&rpc, inv.job_id).await?;
            Ok((!j.settling).then_some(()))
        }
    })
    .await?;

    let rec = worker_record(&wn.rpc, &worker).await?;
    assert_eq!(rec["worker"]["status"], "active", "{rec}");
    assert_eq!(
        rec["worker"]["bond"].as_str(),
        Some(TEST_BOND.to_string().as_str()),
        "{rec}"
    );
    let now = wn.net.height(0).await?;
    let events = events_between(&wn.rpc, inv.height, now).await?;
    for kind in [
        "bls.worker_slashed",
        "bls.worker_jailed",
        "bls.worker_missed",
    ] {
        assert!(
            !events
                .iter()
                .any(|(_, e)| e.kind == kind && e.attr("worker") == Some(worker.as_str())),
            "{kind} for the restarted worker"
        );
    }
    Ok(())
}
