//! The marketplace end to end, through the `bls` CLI against real cometbft + blsd, three
//! workers and a head: an author lists `hello` with a price; a consumer finds it
//! (`bls market list --tag`, `show`), invokes it on chain twice and through the head once,
//! and the author's balance grows by exactly price × agreed results (the head's settlement
//! included); the figures count them; a pinned version the function no longer runs is
//! refused; a job that fails (its workers gone) pays the author nothing and is refunded.

use std::path::Path;
use std::time::Duration;

use bls_client::msgs::bank_send;
use bls_core::{Address, Coins};
use bls_e2e::chain::new_key;
use bls_e2e::fastpath::start_with_head;
use bls_e2e::worker::{deploy, send, wasm_path, WorkerNet};
use bls_e2e::{json_of, wait_until};

const PRICE: u128 = 7_000;

fn bls(node: &str, keyring: &Path, args: &[&str]) -> anyhow::Result<std::process::Output> {
    Ok(bls_e2e::bls_cli(node, keyring, args)?.output()?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_author_earns_its_price_per_agreed_result_and_nothing_for_a_failed_job(
) -> anyhow::Result<()> {
    let mut wn = WorkerNet::start(4, 30, 30).await?;
    let fp = start_with_head(&mut wn, 3, "1000000000ubls").await?;
    let tmp = tempfile::Builder::new().prefix("bls-market-").tempdir()?;
    let keyring = tmp.path().join("keyring");
    let author = new_key(&keyring, "author")?;
    let consumer = new_key(&keyring, "consumer")?;
    for who in [&author, &consumer] {
        send(
            &wn.rpc,
            &wn.invoker,
            vec![bank_send(
                wn.invoker.address(),
                &Address::parse(&who.address)?,
                &Coins::parse("50000000ubls")?,
            )],
        )
        .await?;
    }
    let function_id = deploy(
        &wn.rpc,
        &author.key,
        &std::fs::read(wasm_path("hello")?)?,
        "{}",
        3,
        2,
    )
    .await?;
    let id = function_id.to_string();
    let node = wn.net.validators[0].rpc_url();
    let run = |args: &[&str]| bls(&node, &keyring, args);

    // Refused before anything is signed or changed: a zero price.
    let o = run(&[
        "market", "publish", &id, "--name", "Greeter", "--price", "0ubls", "--from", "author",
        "--yes",
    ])?;
    assert!(!o.status.success());
    let price = format!("{PRICE}ubls");
    let published = json_of(
        &run(&[
            "market",
            "publish",
            &id,
            "--name",
            "Greeter",
            "--price",
            &price,
            "--tag",
            "demo",
            "--tag",
            "greeting",
            "--license",
            "MIT",
            "--source",
            "https://example.org/greeter",
            "--from",
            "author",
            "--yes",
            "--output",
            "json",
        ])?,
        "market publish",
    )?;
    assert_eq!(published["action"], "published", "{published}");
    // Another account cannot reprice it.
    let o = run(&[
        "market", "update", &id, "--price", "1ubls", "--from", "consumer", "--yes",
    ])?;
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("is owned by"), "{err}");

    // The consumer finds it.
    let page = json_of(
        &run(&["market", "list", "--tag", "demo", "--output", "json"])?,
        "market list",
    )?;
    assert_eq!(
        page["listings"][0]["listing"]["function_id"], function_id,
        "{page}"
    );
    assert_eq!(
        page["listings"][0]["listing"]["price"],
        PRICE.to_string(),
        "{page}"
    );
    let none = json_of(
        &run(&["market", "list", "--tag", "math", "--output", "json"])?,
        "market list",
    )?;
    assert_eq!(none["listings"], serde_json::json!([]), "{none}");

    let author_addr = Address::parse(&author.address)?;
    let balance = |a: Address| {
        let rpc = wn.rpc.clone();
        async move { anyhow::Ok(rpc.all_balances(&a).await?.amount_of("ubls")) }
    };
    let before = balance(author_addr.clone()).await?;

    // A version the function does not run: refused, with the version it runs.
    let o = run(&[
        "function",
        "invoke",
        &id,
        "--input",
        "Ada",
        "--version",
        "2",
        "--from",
        "consumer",
        "--yes",
    ])?;
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("runs version 1, not the pinned version 2"),
        "{err}"
    );

    // Twice on chain (the default max_fee covers the price), once through the head.
    for input in ["Ada", "Bo"] {
        let r = json_of(
            &run(&[
                "function",
                "invoke",
                &id,
                "--input",
                input,
                "--version",
                "1",
                "--wait",
                "--from",
                "consumer",
                "--yes",
                "--output",
                "json",
            ])?,
            "invoke",
        )?;
        assert_eq!(r["stdout"], format!("Hello, {input}!\n"), "{r}");
    }
    json_of(
        &run(&[
            "account",
            "deposit",
            "5000000ubls",
            "--from",
            "consumer",
            "--yes",
            "--output",
            "json",
        ])?,
        "deposit",
    )?;
    let fast = json_of(
        &run(&[
            "function",
            "invoke",
            &id,
            "--fast",
            "--head",
            &fp.head_url,
            "--input",
            "Cy",
            "--from",
            "consumer",
            "--output",
            "json",
        ])?,
        "invoke --fast",
    )?;
    assert_eq!(fast["stdout"], "Hello, Cy!\n", "{fast}");

    // Every agreed result paid the price: on-chain settlements and the head's settlement.
    let rpc = wn.rpc.clone();
    let stats = wait_until("three paid results", Duration::from_secs(60), || {
        let rpc = rpc.clone();
        async move {
            let s = bls_client::market::stats(&rpc, function_id).await?;
            Ok((s.results == 3).then_some(s))
        }
    })
    .await?;
    assert_eq!(stats.invocations, 3, "{stats:?}");
    assert_eq!(stats.revenue, (3 * PRICE).to_string(), "{stats:?}");
    assert!(stats.median_latency_blocks.is_some(), "{stats:?}");
    assert_eq!(balance(author_addr.clone()).await? - before, 3 * PRICE);
    let shown = json_of(
        &run(&["market", "show", &id, "--output", "json"])?,
        "market show",
    )?;
    assert_eq!(shown["stats"]["results"], 3, "{shown}");
    assert_eq!(shown["version"], 1, "{shown}");

    // Its workers gone, a job fails: the author earns nothing, the escrow is refunded.
    for i in 0..3 {
        wn.workers[i].stop(Duration::from_secs(10));
    }
    let submitted = json_of(
        &run(&[
            "function", "invoke", &id, "--input", "Dee", "--from", "consumer", "--yes", "--output",
            "json",
        ])?,
        "invoke (to fail)",
    )?;
    let job_id: u64 = submitted["job_id"]
        .as_u64()
        .or_else(|| submitted["job_id"].as_str().and_then(|s| s.parse().ok()))
        .ok_or_else(|| anyhow::anyhow!("no job id: {submitted}"))?;
    let job =
        bls_client::orchestration::wait_for_job(&wn.rpc, job_id, Duration::from_secs(120)).await?;
    assert_eq!(job.status.as_str(), "failed", "{job:?}");
    assert_eq!(job.escrow, 0, "refunded: {job:?}");
    assert_eq!(job.royalty, PRICE, "the price was escrowed: {job:?}");
    let s = bls_client::market::stats(&wn.rpc, function_id).await?;
    assert_eq!((s.results, s.failures), (3, 1), "{s:?}");
    assert_eq!(s.revenue, (3 * PRICE).to_string());
    assert_eq!(
        balance(author_addr).await? - before,
        3 * PRICE,
        "nothing for the failed job"
    );
    Ok(())
}
