//! The workers' per-request p2p gate on work orders, with real processes: a registered,
//! active worker whose role is `worker` (not `head`) runs the head API anyway and sends real
//! work orders over libp2p. Its connection passes the peer gate (it is registered), so what
//! refuses it is the per-request rule — work orders only from active registered heads. The
//! members refuse it (`not_a_head`, counted in their metrics) and execute nothing; the real
//! head is served by the same members. A node whose key is not registered at all, running the
//! head API, is refused too (by the connection gate or the per-request one) and nothing runs.

use std::time::Duration;

use bls_e2e::fastpath::{fund_deposit, post, signed_body, start_with_head, Nodes};
use bls_e2e::net::free_port;
use bls_e2e::wait_until;
use bls_e2e::worker::{deploy, wasm_path, WorkerNet, WorkerNode};

const HEAD: usize = 3;
/// The registered non-head worker that plays head.
const FAKE: usize = 2;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn work_orders_from_a_registered_non_head_are_refused() -> anyhow::Result<()> {
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
    fund_deposit(&wn.rpc, &wn.invoker, 1_000_000).await?;

    // Positive control: the real head is served by the members.
    let (body, _) = signed_body(&wn.rpc, &wn.invoker, function_id, "Ada", 1, Nodes::All).await?;
    let (st, v) = post(&format!("{}/api/v1/functions/execute", fp.head_url), &body).await?;
    assert_eq!(st, 200, "{v}\n{}", wn.logs());
    let executed_before: Vec<Option<f64>> = {
        let mut v = Vec::new();
        for w in &wn.workers[..2] {
            v.push(
                w.metric("bls_worker_outcomes_total{kind=\"exit_ok\"}")
                    .await?,
            );
        }
        v
    };

    // The same worker binary with the head API, on a key registered as a plain worker.
    let rec = bls_e2e::worker::worker_record(&wn.rpc, &wn.workers[FAKE].address).await?;
    assert_eq!(rec["worker"]["role"], "worker", "{rec}");
    wn.workers[FAKE].stop(Duration::from_secs(20));
    let fake_url = format!("127.0.0.1:{}", free_port()?);
    wn.start_worker(
        FAKE,
        &["--p2p-listen", &fp.p2p[FAKE], "--head-listen", &fake_url],
    )
    .await?;
    wait_until("the fake head's API", Duration::from_secs(30), || {
        let url = format!("http://{fake_url}/api/v1/health");
        async move {
            Ok(reqwest::get(&url)
                .await
                .ok()
                .filter(|r| r.status().is_success()))
        }
    })
    .await?;

    let (body, _) = signed_body(&wn.rpc, &wn.invoker, function_id, "Eve", 2, Nodes::All).await?;
    let (st, v) = post(
        &format!("http://{fake_url}/api/v1/functions/execute"),
        &body,
    )
    .await?;
    assert_eq!(st, 503, "{v}\n{}", wn.logs());
    assert!(
        v["error"].as_str().unwrap_or("").contains("not_a_head"),
        "{v}"
    );
    // Each other member refused it as not a head, and ran nothing.
    for (i, w) in wn.workers[..2].iter().enumerate() {
        let refused = w
            .metric("bls_worker_work_refusals_total{kind=\"not_a_head\"}")
            .await?;
        assert!(
            refused.is_some_and(|n| n >= 1.0),
            "{} did not refuse as not a head: {refused:?}\n{}",
            w.name,
            wn.logs()
        );
        assert_eq!(
            w.metric("bls_worker_outcomes_total{kind=\"exit_ok\"}")
                .await?,
            executed_before[i],
            "{} executed the non-head's order",
            w.name
        );
    }

    // An unregistered node with the head API: refused, nothing runs.
    let tmp = tempfile::tempdir()?;
    let mut stranger = WorkerNode::init(tmp.path(), "stranger", "r9", "AS64599")?;
    stranger.configure(&wn.net, 0, "5000000ubls")?;
    let rec = bls_e2e::worker::worker_record(&wn.rpc, &stranger.address).await;
    assert!(
        rec.as_ref().map_or(true, |r| r["worker"].is_null()),
        "the stranger is registered: {rec:?}"
    );
    let stranger_url = format!("127.0.0.1:{}", free_port()?);
    let stranger_p2p = format!("/ip4/127.0.0.1/tcp/{}", free_port()?);
    stranger.start_unregistered(&[
        "--p2p-listen",
        &stranger_p2p,
        "--head-listen",
        &stranger_url,
    ])?;
    wait_until("the stranger's API", Duration::from_secs(30), || {
        let url = format!("http://{stranger_url}/api/v1/health");
        async move {
            Ok(reqwest::get(&url)
                .await
                .ok()
                .filter(|r| r.status().is_success()))
        }
    })
    .await?;
    let (body, _) = signed_body(&wn.rpc, &wn.invoker, function_id, "Mal", 3, Nodes::All).await?;
    let (st, v) = post(
        &format!("http://{stranger_url}/api/v1/functions/execute"),
        &body,
    )
    .await?;
    assert_eq!(st, 503, "{v}\n{}\n{}", wn.logs(), stranger.tail(40));
    for (i, w) in wn.workers[..2].iter().enumerate() {
        assert_eq!(
            w.metric("bls_worker_outcomes_total{kind=\"exit_ok\"}")
                .await?,
            executed_before[i],
            "{} executed the unregistered node's order",
            w.name
        );
    }
    Ok(())
}
