//! The workers' per-request p2p gate on work orders, with real processes: a registered,
//! active worker whose role is `worker` (not `head`) runs the head API anyway and sends real
//! work orders over libp2p. Its connection passes the peer gate (it is registered), so what
//! refuses it is the per-request rule — work orders only from active registered heads. The
//! members refuse it (`not_a_head`, counted in their metrics) and execute nothing; the real
//! head is served by the same members. A node whose key is not registered at all, running the
//! head API, is refused too (by the connection gate or the per-request one) and nothing runs.
//!
//! Code blobs go only to registered peers: a libp2p node (the worker's own, in process) with
//! a registered worker's key gets the function's code from a real member; the same request
//! from a fresh, unregistered key gets no code. The member's connection gate drops such a
//! peer before its request is answered, so this checks the connection and per-request gates
//! together; the per-request code gate alone is not isolated here.

use std::sync::Arc;
use std::time::Duration;

use bls_e2e::fastpath::{
    fund_deposit, post, signed_body, start_with_head, wait_head_healthy, Nodes,
};
use bls_e2e::net::free_port;
use bls_e2e::worker::{deploy, wasm_path, WorkerNet, WorkerNode};
use bls_worker::p2p::gate::{Registered, StaticPeers};
use bls_worker::p2p::protocol::{CodeReply, CodeRequest};
use bls_worker::p2p::{identity, node};
use sha2::{Digest, Sha256};

const HEAD: usize = 3;
/// The registered non-head worker that plays head.
const FAKE: usize = 2;

/// The key of the worker in `home`, opened as its config says (the harness's `test` backend).
fn worker_key(home: &std::path::Path) -> anyhow::Result<bls_client::KeyPair> {
    let config = bls_worker::config::Config::load(home)?;
    bls_worker::daemon::load_key(home, &config.keyring)
}

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
    wait_head_healthy(&format!("http://{fake_url}")).await?;

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
    wait_head_healthy(&format!("http://{stranger_url}")).await?;
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

    // Code requests to member 0, which holds the code (it ran it above).
    let f: serde_json::Value = wn
        .rpc
        .query_json(
            "/bls.orchestration.v1.Query/Function",
            &serde_json::json!({ "id": function_id }),
        )
        .await?;
    let code_hash = hex::decode(f["function"]["code_hash"].as_str().unwrap_or(""))?;
    anyhow::ensure!(code_hash.len() == 32, "code hash: {f}");
    let target_key = worker_key(&wn.workers[0].home)?;
    let target = identity::keypair(&target_key)?.public().to_peer_id();
    let target_addr: libp2p::Multiaddr = fp.p2p[0].parse()?;
    let ask = |kp: libp2p::identity::Keypair| {
        let (target_addr, hash) = (target_addr.clone(), code_hash.clone());
        async move {
            // Our own node admits the member (its gate drops unregistered peers too).
            let registry = Arc::new(StaticPeers::default());
            registry.insert(
                target,
                Registered {
                    addrs: vec![target_addr.clone()],
                    head: false,
                },
            );
            let (handle, incoming, _) = node::start(kp, "/ip4/127.0.0.1/tcp/0".parse()?, registry)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let reply = handle
                .code(target, vec![target_addr], CodeRequest { hash })
                .await;
            drop(incoming);
            anyhow::Ok(reply)
        }
    };
    // Control: a registered worker's key (the fake head's, its daemon stopped first).
    wn.workers[FAKE].stop(Duration::from_secs(20));
    let registered = worker_key(&wn.workers[FAKE].home)?;
    match ask(identity::keypair(&registered)?).await? {
        Ok(CodeReply::Found(blob)) => {
            assert_eq!(Sha256::digest(&blob).to_vec(), code_hash);
        }
        other => panic!("a registered peer got no code: {other:?}\n{}", wn.logs()),
    }
    // A fresh key: no code.
    match ask(libp2p::identity::Keypair::generate_secp256k1()).await? {
        Ok(CodeReply::Found(_)) => panic!("an unregistered peer got the code"),
        Ok(CodeReply::Missing(why)) => assert!(why.contains("not registered"), "{why}"),
        Err(_) => {} // dropped by the member's connection gate before an answer
    }
    Ok(())
}
