//! The head API's refusals through HTTP, against a real head, three workers, cometbft and
//! blsd: a `max_fee` below the function's fast-path fee is 402, an account over its rate
//! limit is 429 (counted only once the account signed: an unfunded account that exhausts its
//! burst gets 402s, then 429), and a request whose quorum cannot answer is 503. (A request
//! served before a restart is 409 in `fastpath_journal.rs`; an unfunded deposit is 402 in
//! `fastpath_e2e.rs`.)

use std::time::Duration;

use bls_client::fastpath::{signed_execute_body, FastRequest};
use bls_client::keys::KeyPair;
use bls_e2e::fastpath::{fresh_terms, fund_deposit, post, signed_body, start_with_head, Nodes};
use bls_e2e::wait_until;
use bls_e2e::worker::{deploy, wasm_path, WorkerNet};

const HEAD: usize = 3;
const DEPOSIT: u128 = 1_000_000;
/// The head's burst per account in this test (`--head-burst`); one token back per second.
const BURST: usize = 3;

fn error_of(v: &serde_json::Value) -> &str {
    v["error"].as_str().unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_refusals_over_http() -> anyhow::Result<()> {
    let mut wn = WorkerNet::start(4, 30, 30).await?;
    let fp = start_with_head(&mut wn, HEAD, "1000000000ubls").await?;
    let function_id = deploy(
        &wn.rpc,
        &wn.invoker,
        &std::fs::read(wasm_path("hello")?)?,
        "{}",
        3,
        2,
    )
    .await?;
    fund_deposit(&wn.rpc, &wn.invoker, DEPOSIT).await?;
    let exec_url = format!("{}/api/v1/functions/execute", fp.head_url);

    // A served request first: the refusals below are refusals, not a head that cannot serve.
    let (body, _) = signed_body(&wn.rpc, &wn.invoker, function_id, "Ada", 1, Nodes::All).await?;
    let (st, v) = post(&exec_url, &body).await?;
    assert_eq!(st, 200, "{v}\n{}", wn.logs());
    assert_eq!(v["stdout"], "Hello, Ada!\n");

    // 402: signed, funded, but the request caps its fee below the function's fast-path fee.
    let terms = fresh_terms(&wn.rpc, function_id).await?;
    assert!(terms.fee > 1, "fee {}", terms.fee);
    let cheap = FastRequest::new(&terms, "Ada".into(), 2, terms.fee - 1);
    let (st, v) = post(&exec_url, &signed_execute_body(&wn.invoker, &cheap).0).await?;
    assert_eq!(st, 402, "{v}");
    assert!(error_of(&v).contains("max_fee"), "{v}");

    // 429: the head restarted with a burst of BURST and 1 request per second. An unfunded
    // account's signed requests are refused for the deposit (402) until its bucket is
    // empty, then for the rate; the loop stops at the first 429, and a limiter that never
    // refuses leaves it at the cap.
    wn.workers[HEAD].stop(Duration::from_secs(20));
    let burst = BURST.to_string();
    fp.start_head_with(
        &mut wn,
        Duration::from_millis(300),
        &["--head-rate", "1", "--head-burst", &burst],
    )
    .await?;
    let (poor, _) = KeyPair::generate()?;
    let mut statuses = Vec::new();
    for nonce in 1..=(BURST as u64 * 10) {
        let r = FastRequest::new(&terms, "Ada".into(), nonce, terms.fee);
        let (st, v) = post(&exec_url, &signed_execute_body(&poor, &r).0).await?;
        statuses.push(st);
        if st == 429 {
            assert!(error_of(&v).contains("rate limit"), "{v}");
            break;
        }
        assert_eq!(st, 402, "request {nonce}: {v}");
    }
    assert_eq!(
        statuses.last(),
        Some(&429),
        "never rate limited: {statuses:?}"
    );
    assert!(
        statuses.len() > BURST,
        "rate limited within the burst: {statuses:?}"
    );
    // The limit is per account: the funded invoker is still served.
    let (body, _) = signed_body(&wn.rpc, &wn.invoker, function_id, "Bob", 3, Nodes::All).await?;
    let (st, v) = post(&exec_url, &body).await?;
    assert_eq!(st, 200, "{v}\n{}", wn.logs());
    // The head's tables keyed by outside input report their sizes: both accounts hold a
    // rate bucket since the restart.
    let head = &wn.workers[HEAD];
    wait_until(
        "the head's table sizes in /metrics",
        Duration::from_secs(30),
        || async {
            let n = head
                .metric("bls_worker_table_entries{kind=\"head_rate_buckets\"}")
                .await?;
            Ok(n.filter(|n| *n >= 2.0))
        },
    )
    .await?;
    assert!(head
        .metric("bls_worker_table_entries{kind=\"head_pending_receipts\"}")
        .await?
        .is_some());

    // 503: two of the three workers are gone, so a quorum of 2 cannot agree.
    wn.workers[0].kill();
    wn.workers[1].kill();
    let (body, _) = signed_body(&wn.rpc, &wn.invoker, function_id, "Eve", 4, Nodes::All).await?;
    let (st, v) = post(&exec_url, &body).await?;
    assert_eq!(st, 503, "{v}\n{}", wn.logs());
    assert!(error_of(&v).contains("no quorum"), "{v}");
    Ok(())
}
