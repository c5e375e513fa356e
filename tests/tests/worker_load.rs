//! Load: 200 invocations of `hello` from four accounts, against real cometbft, blsd and three
//! bls-worker processes, all finalize with the right output. Prints the latency (blocks and
//! ms, invoke included → result final) and the throughput as JSON for BENCHMARKS.md; nothing
//! here asserts a timing.

use std::time::{Duration, Instant};

use bls_client::keys::KeyPair;
use bls_e2e::worker::{deploy, invoke, result, send, wait_finalized, wasm_path, WorkerNet};

const ACCOUNTS: usize = 4;
const PER_ACCOUNT: usize = 50;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_invocations_from_four_accounts_all_finalize() -> anyhow::Result<()> {
    let mut wn = WorkerNet::start(3, 30, 30).await?;
    for i in 0..3 {
        wn.start_worker(i, &[]).await?;
    }
    let wasm = std::fs::read(wasm_path("hello")?)?;
    let function_id = deploy(&wn.rpc, &wn.invoker, &wasm, "{}", 3, 2).await?;

    // Fund three more invokers from the first one.
    let mut invokers = vec![wn.invoker.clone()];
    for _ in 1..ACCOUNTS {
        let (k, _) = KeyPair::generate()?;
        let any = bls_client::msgs::bank_send(
            wn.invoker.address(),
            k.address(),
            &bls_core::Coins::parse("100000000000ubls")?,
        );
        send(&wn.rpc, &wn.invoker, vec![any]).await?;
        invokers.push(k);
    }

    // Latency of single invocations on an idle network, in ms and blocks.
    let mut single_ms = Vec::new();
    let mut single_blocks = Vec::new();
    for i in 0..5 {
        let inv = invoke(
            &wn.rpc,
            &wn.invoker,
            function_id,
            format!("solo{i}").as_bytes(),
            1_000_000,
        )
        .await?;
        let included = Instant::now();
        let deadline = included + Duration::from_secs(60);
        let r = loop {
            if let Some(r) = result(&wn.rpc, inv.job_id).await? {
                break r;
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "job {} not final in 60 s\n{}",
                inv.job_id,
                wn.logs()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        single_ms.push(included.elapsed().as_millis());
        single_blocks.push(r.height - inv.height);
    }

    // 200 invocations: each account invokes in sequence, the accounts in parallel.
    let start = Instant::now();
    let mut tasks = Vec::new();
    for (a, key) in invokers.into_iter().enumerate() {
        let rpc = wn.rpc.clone();
        tasks.push(tokio::spawn(async move {
            let mut jobs = Vec::new();
            for i in 0..PER_ACCOUNT {
                let input = format!("a{a}i{i}");
                let inv = invoke(&rpc, &key, function_id, input.as_bytes(), 1_000_000).await?;
                jobs.push((inv.job_id, inv.height, input));
            }
            anyhow::Ok(jobs)
        }));
    }
    let mut jobs = Vec::new();
    for t in tasks {
        jobs.extend(t.await??);
    }
    assert_eq!(jobs.len(), ACCOUNTS * PER_ACCOUNT);
    let mut blocks = Vec::new();
    for (id, height, input) in &jobs {
        let r = match wait_finalized(&wn.rpc, *id, Duration::from_secs(180)).await {
            Ok(r) => r,
            Err(e) => anyhow::bail!("{e:#}\n{}", wn.logs()),
        };
        let out = bls_core::outcome::Outcome::decode(r.outcome.as_slice())?;
        assert_eq!(
            out.stdout,
            format!("Hello, {input}!\n").into_bytes(),
            "job {id}"
        );
        blocks.push(r.height - height);
    }
    let elapsed = start.elapsed();
    blocks.sort_unstable();
    single_ms.sort_unstable();
    println!(
        "{}",
        serde_json::json!({
            "invocations": jobs.len(),
            "accounts": ACCOUNTS,
            "seconds": elapsed.as_secs_f64(),
            "invocations_per_second": jobs.len() as f64 / elapsed.as_secs_f64(),
            "latency_blocks_p50": blocks[blocks.len() / 2],
            "latency_blocks_max": blocks[blocks.len() - 1],
            "single_latency_ms": single_ms,
            "single_latency_blocks": single_blocks,
        })
    );
    Ok(())
}
