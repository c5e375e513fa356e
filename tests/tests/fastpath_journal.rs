//! A head that is killed before it settles still gets paid, once: served requests are
//! journaled under `<home>/data`, and after a `kill -9` and a restart the head settles them
//! from the journal (and does not serve one of them again). An account whose deposit covers two requests and sends eight at once
//! is served exactly two. Real cometbft, blsd, three workers and a head.

use std::time::Duration;

use bls_client::fastpath::deposit_of;
use bls_client::keys::KeyPair;
use bls_client::msgs::bank_send;
use bls_core::{Address, Coins};
use bls_e2e::fastpath::{
    fresh_terms, fund_deposit, post, signed_body, signed_body_with, start_with_head_settling, Nodes,
};
use bls_e2e::wait_until;
use bls_e2e::worker::{deploy, send, wasm_path, WorkerNet};

const HEAD: usize = 3;
const DEPOSIT: u128 = 1_000_000;
const N: u64 = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_head_settles_its_journal_after_restart() -> anyhow::Result<()> {
    let mut wn = WorkerNet::start(4, 30, 30).await?;
    // A settle interval far beyond the test: nothing settles before the kill.
    let fp = start_with_head_settling(&mut wn, HEAD, "1000000000ubls", Duration::from_secs(3600))
        .await?;
    let function_id = deploy(
        &wn.rpc,
        &wn.invoker,
        &std::fs::read(wasm_path("hello")?)?,
        "{}",
        3,
        2,
    )
    .await?;
    let invoker = Address::parse(wn.invoker.address().as_str())?;
    fund_deposit(&wn.rpc, &wn.invoker, DEPOSIT).await?;
    // The chain's own fee function (flat fee plus the manifest's timeout priced per second).
    let fee = fresh_terms(&wn.rpc, function_id).await?.fee;

    let exec_url = format!("{}/api/v1/functions/execute", fp.head_url);
    let mut served = Vec::new();
    for nonce in 1..=N {
        let name = format!("user{nonce}");
        let (body, _) =
            signed_body(&wn.rpc, &wn.invoker, function_id, &name, nonce, Nodes::All).await?;
        let (st, v) = post(&exec_url, &body).await?;
        assert_eq!(st, 200, "{v}\n{}", wn.logs());
        assert_eq!(v["stdout"], format!("Hello, {name}!\n"));
        served.push(body);
    }
    let journal = wn.workers[HEAD].home.join("data/head-receipts.jsonl");
    let lines = std::fs::read_to_string(&journal)?.lines().count();
    assert_eq!(lines, N as usize, "one journal line per served request");
    assert_eq!(
        deposit_of(&wn.rpc, &invoker).await?.deposit,
        DEPOSIT.to_string(),
        "nothing settled yet"
    );

    // kill -9 and restart (still not settling): the result cache is gone, but a request
    // already served is not run or charged again.
    wn.workers[HEAD].kill();
    fp.start_head(&mut wn, Duration::from_secs(3600)).await?;
    let (st, v) = post(&exec_url, &served[0]).await?;
    assert_eq!(st, 409, "{v}");
    assert!(
        v["error"]
            .as_str()
            .unwrap_or("")
            .contains("awaits settlement"),
        "{v}"
    );

    // kill -9 again, then a restart that settles quickly.
    wn.workers[HEAD].kill();
    fp.start_head(&mut wn, Duration::from_millis(300)).await?;
    let want = (DEPOSIT - u128::from(N) * fee).to_string();
    let r = wait_until(
        "journaled receipts settled after the restart",
        Duration::from_secs(60),
        || {
            let (rpc, invoker, want) = (wn.rpc.clone(), invoker.clone(), want.clone());
            async move {
                let d = deposit_of(&rpc, &invoker).await?.deposit;
                Ok((d == want).then_some(()))
            }
        },
    )
    .await;
    if let Err(e) = r {
        panic!("{e}\n{}", wn.workers[HEAD].tail(60));
    }
    let log = wn.workers[HEAD].tail(400);
    assert!(
        log.contains("unsettled receipts from a previous run"),
        "{log}"
    );
    // The journal forgets what settled.
    let left = wait_until("journal emptied", Duration::from_secs(10), || {
        let journal = journal.clone();
        async move {
            Ok(std::fs::read_to_string(&journal)
                .ok()
                .filter(|s| s.trim().is_empty())
                .map(|_| ()))
        }
    })
    .await;
    assert!(left.is_ok(), "{:?}", std::fs::read_to_string(&journal));

    // A deposit covering two requests, eight sent at once: two are served, six refused
    // with 402 (requests of one account are checked and charged one at a time).
    let (poor, _) = KeyPair::generate()?;
    let poor_addr = Address::parse(poor.address().as_str())?;
    send(
        &wn.rpc,
        &wn.invoker,
        vec![bank_send(
            wn.invoker.address(),
            &poor_addr,
            &Coins::parse("10000000ubls")?,
        )],
    )
    .await?;
    fund_deposit(&wn.rpc, &poor, 2 * fee).await?;
    let terms = fresh_terms(&wn.rpc, function_id).await?;
    let bodies: Vec<_> = (1..=8u64)
        .map(|nonce| signed_body_with(&poor, &terms, &format!("burst{nonce}"), nonce, Nodes::All).0)
        .collect();
    let sent: Vec<_> = bodies
        .into_iter()
        .map(|b| {
            let url = exec_url.clone();
            tokio::spawn(async move { post(&url, &b).await })
        })
        .collect();
    let mut statuses = Vec::new();
    for a in sent {
        statuses.push(a.await??.0);
    }
    statuses.sort_unstable();
    assert_eq!(statuses, vec![200, 200, 402, 402, 402, 402, 402, 402]);
    Ok(())
}
