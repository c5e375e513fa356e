//! A worker that crashes after committing (test-only `crash-after-commit` fault) never
//! reveals: the round fails at the reveal deadline, the job is reassigned to another worker
//! and finalizes; the invoker pays exactly the job fee and the escrow ends empty.

use std::time::Duration;

use bls_e2e::wait_until;
use bls_e2e::worker::{
    balance_now, deploy, events_between, fees_paid, invoke, module_address, wait_finalized,
    wasm_path, WorkerNet, INVOKER_FUNDS,
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

    // The crashed worker got a liveness miss; the job was reassigned.
    let now = wn.net.height(0).await?;
    let events = events_between(&wn.rpc, inv.height, now).await?;
    let id = inv.job_id.to_string();
    assert!(events
        .iter()
        .any(|(_, e)| e.kind == "bls.job_reassigned" && e.attr("job_id") == Some(id.as_str())));
    assert!(events
        .iter()
        .any(|(_, e)| e.kind == "bls.worker_missed" && e.attr("worker") == Some(crasher.as_str())));

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
