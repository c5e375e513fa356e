//! Restarts: a worker killed (SIGKILL) between its commit and its reveal, and both workers
//! down while more jobs are assigned to them. After restarting, the workers catch up from
//! their saved height, reveal the saved commit instead of re-running the job, handle every
//! job assigned while they were down, and never send a second commit for a job (counted
//! from the workers' own logs, not only from the chain, which refuses a second commit).

use std::time::Duration;

use bls_e2e::wait_until;
use bls_e2e::worker::{
    commits_by, deploy, events_between, invoke, wait_finalized, wasm_path, WorkerNet,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarted_workers_catch_up_and_never_commit_twice() -> anyhow::Result<()> {
    // A long commit window: jobs wait for the stopped workers.
    let mut wn = WorkerNet::start(2, 200, 30).await?;
    wn.start_worker(0, &[]).await?;
    wn.start_worker(1, &[]).await?;
    let (a, b) = (wn.workers[0].address.clone(), wn.workers[1].address.clone());
    let wasm = std::fs::read(wasm_path("hello")?)?;
    let function_id = deploy(&wn.rpc, &wn.invoker, &wasm, "{}", 2, 2).await?;

    // B down (graceful); job 1 is committed by A only, then A is killed before it can reveal.
    wn.workers[1].stop(Duration::from_secs(20));
    let job1 = invoke(&wn.rpc, &wn.invoker, function_id, b"one", 1_000_000).await?;
    let a_addr = bls_core::Address::parse(&a)?;
    let rpc = wn.rpc.clone();
    wait_until("A to commit job 1", Duration::from_secs(60), || {
        let (rpc, a_addr) = (rpc.clone(), a_addr.clone());
        async move {
            let j = bls_e2e::worker::job(&rpc, job1.job_id).await?;
            Ok(j.assignment(&a_addr).and_then(|s| s.commitment.clone()))
        }
    })
    .await?;
    wn.workers[0].kill();

    // Both down: two more jobs are assigned to them.
    let job2 = invoke(&wn.rpc, &wn.invoker, function_id, b"two", 1_000_000).await?;
    let job3 = invoke(&wn.rpc, &wn.invoker, function_id, b"three", 1_000_000).await?;
    for j in [&job2, &job3] {
        let mut w = j.workers.clone();
        w.sort();
        let mut both = vec![a.clone(), b.clone()];
        both.sort();
        assert_eq!(w, both);
    }

    wn.workers[0].start(&[])?;
    wn.workers[1].start(&[])?;
    for (job, input) in [(&job1, "one"), (&job2, "two"), (&job3, "three")] {
        let r = match wait_finalized(&wn.rpc, job.job_id, Duration::from_secs(120)).await {
            Ok(r) => r,
            Err(e) => anyhow::bail!("{e:#}\n{}", wn.logs()),
        };
        let out = bls_core::outcome::Outcome::decode(r.outcome.as_slice())?;
        assert_eq!(out.stdout, format!("Hello, {input}!\n").into_bytes());
        assert_eq!(r.workers.len(), 2);
    }

    // Exactly one commit per worker per job on chain, and A resumed job 1 from its saved
    // record. The chain refuses a second commit, so the workers' own logs are what show
    // whether they tried one: A sent job 1's commit once (before the kill) and never again;
    // any other job's commit is sent once plus once per send the chain did not take.
    let now = wn.net.height(0).await?;
    let events = events_between(&wn.rpc, job1.height, now).await?;
    for job in [&job1, &job2, &job3] {
        assert_eq!(
            commits_by(&events, job.job_id, &a),
            1,
            "A, job {}",
            job.job_id
        );
        assert_eq!(
            commits_by(&events, job.job_id, &b),
            1,
            "B, job {}",
            job.job_id
        );
    }
    let a_logs = wn.workers[0].all_logs();
    let b_logs = wn.workers[1].all_logs();
    let count = |logs: &str, what: &str, job: u64| {
        let needle = format!("{what} job={job} ");
        logs.lines().filter(|l| l.contains(&needle)).count()
    };
    assert_eq!(
        count(&a_logs, "sending commit", job1.job_id),
        1,
        "A re-sent job 1's commit after the restart:\n{}",
        wn.logs()
    );
    for (logs, name) in [(&a_logs, "A"), (&b_logs, "B")] {
        for job in [&job1, &job2, &job3] {
            if name == "A" && job.job_id == job1.job_id {
                continue;
            }
            let failed = count(logs, "commit not accepted", job.job_id);
            assert_eq!(
                count(logs, "sending commit", job.job_id),
                1 + failed,
                "{name}, job {}:\n{}",
                job.job_id,
                wn.logs()
            );
        }
    }
    assert!(
        a_logs.contains("resuming saved commit"),
        "A should resume its saved commit:\n{}",
        wn.logs()
    );
    Ok(())
}
