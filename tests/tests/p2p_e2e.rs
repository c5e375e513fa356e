//! The libp2p worker layer with real processes: cometbft, blsd, three workers and one head.
//!
//! Workers learn only the head's multiaddr from the chain; Kademlia finds the others (every
//! worker reports three registered peers on /metrics before any request). A worker process
//! that is not registered on chain connects to the head and is dropped. A worker that
//! was down while the others executed a function, and lost its code cache meanwhile, gets the
//! blob from a Kademlia provider that is not the requesting head (its /metrics count a
//! `provider` fetch and no chain fetch; its log names the provider), and the fast-path
//! request it takes part in returns a quorum of valid signatures. Members of a new
//! function's subnetwork compile its code when they are placed, join its gossip topic, and
//! accept the head's prefetch notice when it serves the function.

use std::process::Command;
use std::time::Duration;

use anyhow::Context as _;
use bls_client::rpc::RpcClient;

use bls_e2e::fastpath::{
    check_signatures, fund_deposit, post, query, signed_body, start_with_head, Nodes,
};
use bls_e2e::net::free_port;
use bls_e2e::process::{bin_path, Proc};
use bls_e2e::wait_until;
use bls_e2e::worker::{deploy, wasm_path, WorkerNet, WorkerNode};
use serde_json::json;

const HEAD: usize = 3;
const LATE: usize = 0;
const HEAD_BOND: &str = "1000000000ubls";
const DEPOSIT: u128 = 1_000_000;

/// Waits until `w` reports a value of at least `min` for the sample `name` on /metrics.
async fn wait_metric(w: &WorkerNode, name: &str, min: f64) -> anyhow::Result<()> {
    w.wait_metric(name, min, Duration::from_secs(60)).await
}

/// Waits until `w` reports at least `n` registered p2p peers.
async fn wait_peers(w: &WorkerNode, n: f64) -> anyhow::Result<()> {
    wait_metric(w, "bls_worker_p2p_peers", n).await
}

/// The member worker ids of a function's subnetwork.
async fn subnetwork(rpc: &RpcClient, function_id: u64) -> anyhow::Result<Vec<String>> {
    let f = query(
        rpc,
        "/bls.orchestration.v1.Query/Function",
        json!({"id": function_id}),
    )
    .await?;
    Ok(f["subnetwork"]["workers"]
        .as_array()
        .context("subnetwork")?
        .iter()
        .filter_map(|m| m.as_str().map(str::to_string))
        .collect())
}

async fn peer_id_of(rpc: &RpcClient, w: &WorkerNode) -> anyhow::Result<String> {
    let rec = query(
        rpc,
        "/bls.registry.v1.Query/Worker",
        json!({"id": w.address}),
    )
    .await?;
    Ok(rec["worker"]["peer_id"]
        .as_str()
        .context("peer_id")?
        .to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn workers_discover_peers_and_share_code_blobs() -> anyhow::Result<()> {
    let mut wn = WorkerNet::start(4, 30, 30).await?;
    let fp = start_with_head(&mut wn, HEAD, HEAD_BOND).await?;
    let exec_url = format!("{}/api/v1/functions/execute", fp.head_url);
    let mut peer_ids = Vec::new();
    for w in &wn.workers {
        peer_ids.push(peer_id_of(&wn.rpc, w).await?);
    }
    let rec = query(
        &wn.rpc,
        "/bls.registry.v1.Query/Worker",
        json!({"id": wn.workers[HEAD].address}),
    )
    .await?;
    assert_eq!(rec["worker"]["role"], "head");

    // ---- discovery: only the head is a bootstrap node, Kademlia finds the rest ----
    // No request has been made yet, so nothing but discovery connects two workers.
    for w in &wn.workers {
        wait_peers(w, 3.0).await?;
    }

    // ---- gate: a worker that is not registered is dropped by the head ----
    // It bootstraps from the head like anyone (the head's address is public on chain).
    let stranger = WorkerNode::init(wn.dir.path(), "stranger", "r9", "AS64999")?;
    stranger.configure(&wn.net, 0, "1ubls")?;
    let mut cmd = Command::new(bin_path("bls-worker")?);
    cmd.args(["start", "--home"])
        .arg(&stranger.home)
        .args([
            "--p2p-listen",
            &format!("/ip4/127.0.0.1/tcp/{}", free_port()?),
        ])
        .env("BLS_LOG", "bls_worker=debug,info");
    let mut stranger_proc = Proc::spawn("stranger", cmd, &stranger.home.join("stranger.log"))?;
    let head = &wn.workers[HEAD];
    wait_metric(head, "bls_worker_p2p_rejected_peers", 1.0)
        .await
        .with_context(|| stranger_proc.tail(40))?;
    assert_eq!(head.metric("bls_worker_p2p_peers").await?, Some(3.0));
    stranger_proc.kill();

    // ---- code blobs: a worker that never had the function gets it from a provider ----
    let wasm = std::fs::read(wasm_path("hello")?)?;
    let function_id = deploy(&wn.rpc, &wn.invoker, &wasm, "{}", 3, 2).await?;
    let members = subnetwork(&wn.rpc, function_id).await?;
    assert!(
        members.contains(&wn.workers[LATE].address),
        "the late worker is a member: {members:?}"
    );
    let nodes = u32::try_from(members.len())?;
    fund_deposit(&wn.rpc, &wn.invoker, DEPOSIT).await?;

    wn.workers[LATE].stop(Duration::from_secs(10));
    // It compiled the code when it was placed; while it is down its code cache is lost (a new
    // disk), so when it comes back it has never had the code.
    std::fs::remove_dir_all(wn.workers[LATE].home.join("code"))?;
    let (body, _) = signed_body(
        &wn.rpc,
        &wn.invoker,
        function_id,
        "Ada",
        1,
        Nodes::Count(nodes),
    )
    .await?;
    let (st, v) = post(&exec_url, &body).await?;
    assert_eq!(st, 200, "{v}\n{}", wn.logs());
    assert_eq!(v["stdout"], "Hello, Ada!\n");
    let signers = check_signatures(&wn.rpc, &v).await?;
    assert!(signers.len() >= 2, "a quorum signed: {v}");
    assert!(!signers.contains(&wn.workers[LATE].address));

    // The late worker comes back with an empty code cache and rejoins through the head.
    wn.start_worker(LATE, &["--p2p-listen", &fp.p2p[LATE]])
        .await?;
    wait_peers(&wn.workers[LATE], 3.0).await?;
    let (body, _) = signed_body(
        &wn.rpc,
        &wn.invoker,
        function_id,
        "Grace",
        2,
        Nodes::Count(nodes),
    )
    .await?;
    let (st, v) = post(&exec_url, &body).await?;
    assert_eq!(st, 200, "{v}\n{}", wn.logs());
    assert_eq!(v["stdout"], "Hello, Grace!\n");
    let signers = check_signatures(&wn.rpc, &v).await?;
    assert!(signers.len() >= 2, "a quorum signed: {v}");
    let late = &wn.workers[LATE];
    assert!(
        signers.contains(&late.address),
        "the late worker executed: {v}\n{}",
        late.tail(40)
    );
    // Its code came from a provider, never from the chain...
    let from_provider = late
        .metric("bls_worker_code_fetches_total{kind=\"provider\"}")
        .await?;
    assert!(
        from_provider.is_some_and(|n| n >= 1.0),
        "{}",
        late.metrics().await?
    );
    assert_eq!(
        late.metric("bls_worker_code_fetches_total{kind=\"chain\"}")
            .await?,
        None
    );
    // ...and that provider was a worker, not the head that sent the order.
    let logs = late.all_logs();
    let line = logs
        .lines()
        .find(|l| l.contains("code blob fetched from peer"))
        .with_context(|| late.tail(40))?;
    assert!(!line.contains(&peer_ids[HEAD]), "{line}");
    assert!(
        peer_ids
            .iter()
            .enumerate()
            .any(|(i, p)| i != HEAD && i != LATE && line.contains(p.as_str())),
        "{line}"
    );

    // ---- prefetch: members have the code before any work order ----
    // Placement names them (`bls.subnetwork_placed`): each fetches and compiles the code then.
    // The head's prefetch notice, validated by every member, is the fallback for a member
    // whose placement prefetch failed (a no-op for the others).
    let probe = std::fs::read(wasm_path("hashmap-order")?)?;
    let f2 = deploy(&wn.rpc, &wn.invoker, &probe, "{}", 2, 2).await?;
    let f2_members = subnetwork(&wn.rpc, f2).await?;
    let idle: Vec<&WorkerNode> = wn
        .workers
        .iter()
        .enumerate()
        .filter(|(i, w)| *i != HEAD && f2_members.contains(&w.address))
        .map(|(_, w)| w)
        .collect();
    assert!(idle.len() >= 3, "every worker is a member: {f2_members:?}");
    let placed = format!("code prefetched and compiled on placement function={f2}");
    for w in &idle {
        let what = format!("{} compiling function {f2} on placement", w.name);
        let r = wait_until(&what, Duration::from_secs(60), || async {
            Ok(w.all_logs().contains(&placed).then_some(()))
        })
        .await;
        r.with_context(|| w.tail(30))?;
    }
    // Members join the new function's topic on their next registry refresh.
    for w in &idle {
        wait_metric(w, "bls_worker_gossip_topics", 2.0).await?;
    }
    // n = 2: the head sends two work orders, and announces the function to all members.
    let (body, _) = signed_body(&wn.rpc, &wn.invoker, f2, "", 3, Nodes::Count(2)).await?;
    let (st, v) = post(&exec_url, &body).await?;
    assert_eq!(st, 200, "{v}\n{}", wn.logs());
    let signers = check_signatures(&wn.rpc, &v).await?;
    assert_eq!(signers.len(), 2, "{v}");
    let mut prefetched = 0;
    for w in idle.iter().filter(|w| !signers.contains(&w.address)) {
        wait_metric(w, "bls_worker_gossip_accepted", 1.0).await?;
        prefetched += 1;
    }
    assert!(
        prefetched >= 1,
        "a member without a work order saw the notice"
    );
    Ok(())
}
