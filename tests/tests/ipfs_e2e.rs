//! Function code on IPFS, end to end with real processes: cometbft, blsd, three workers and a
//! head, and two kubo nodes (offline, loopback).
//!
//! A 20 MiB module (hello plus an incompressible custom section: ten times the chain's inline
//! cap) is deployed with the real CLI, which adds it to IPFS and records CID, sha256 and size
//! on chain. Members fetch it from their IPFS node and compile it when they are placed; a
//! worker whose IPFS node lacks the content, and the head, which has no IPFS node, get it
//! from peers. It runs on chain (every member, verified result) and through the head (a quorum
//! of valid signatures). A deployment whose CID holds other bytes than its hash is refused by
//! every worker — declined, never run, the job refunded, nobody slashed. A kubo that is down
//! is named in the CLI's error.

use std::time::Duration;

use anyhow::Context as _;
use bls_client::msgs::bank_send;
use bls_core::module::encode_any;
use bls_core::{Address, Coins};
use bls_e2e::chain::{blsd_cmd, blsd_json, keyring_dir, new_key};
use bls_e2e::fastpath::{
    check_signatures, fund_deposit, post, signed_body, start_with_head, Nodes,
};
use bls_e2e::ipfs::{padded_wasm, Kubo};
use bls_e2e::net::free_port;
use bls_e2e::wait_until;
use bls_e2e::worker::{
    events_between, invoke, job, send, wait_finalized, wasm_path, worker_record, WorkerNet,
    TEST_BOND,
};
use bls_orchestration::msgs::{MsgDeployFunction, MSG_DEPLOY_FUNCTION};
use sha2::{Digest, Sha256};

const HEAD: usize = 3;
/// Its IPFS node is empty: it gets the code from peers.
const LACKS: usize = 2;
const HEAD_BOND: &str = "1000000000ubls";
const FEE: u128 = 10_000_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_20_mib_function_through_ipfs_runs_on_chain_and_through_a_head() -> anyhow::Result<()> {
    let tmp = tempfile::Builder::new().prefix("bls-ipfs-").tempdir()?;
    let kubo = Kubo::start(tmp.path(), "kubo-a").await?;
    let empty = Kubo::start(tmp.path(), "kubo-b").await?;
    let mut wn = WorkerNet::start(4, 20, 20).await?;
    for (i, w) in wn.workers.iter().enumerate() {
        // The head is re-initialized by start_with_head: it keeps the default API URL, where
        // nothing listens (no IPFS node at all).
        let url = if i == LACKS {
            &empty.api_url
        } else {
            &kubo.api_url
        };
        w.set_config("ipfs", "api_url", url.as_str().into())?;
    }
    let fp = start_with_head(&mut wn, HEAD, HEAD_BOND).await?;

    // A developer key in a keyring, funded.
    let keyring = keyring_dir(&wn.net)?;
    let dev = new_key(&keyring, "dev")?;
    send(
        &wn.rpc,
        &wn.invoker,
        vec![bank_send(
            wn.invoker.address(),
            &Address::parse(&dev.address)?,
            &Coins::parse("100000000ubls")?,
        )],
    )
    .await?;

    // ---- kubo down: the CLI names the URL ----
    let hello = std::fs::read(wasm_path("hello")?)?;
    let small = tmp.path().join("hello.wasm");
    std::fs::write(&small, &hello)?;
    let manifest = tmp.path().join("manifest.json");
    std::fs::write(&manifest, "{}")?;
    let down = format!("http://127.0.0.1:{}", free_port()?);
    let small_arg = small.to_string_lossy().to_string();
    let manifest_arg = manifest.to_string_lossy().to_string();
    let out = blsd_cmd(
        &wn.net,
        0,
        &keyring,
        &[
            "tx",
            "orchestration",
            "deploy",
            &small_arg,
            "--manifest",
            &manifest_arg,
            "--ipfs",
            "--ipfs-api",
            &down,
            "--from",
            "dev",
            "--yes",
        ],
    )?
    .output()?;
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "deploy through a dead IPFS node succeeded"
    );
    assert!(
        err.contains(&down) && err.contains("unreachable"),
        "the error names the URL: {err}"
    );

    // ---- a 20 MiB module, over the inline cap: the CLI goes through IPFS by itself ----
    let big = padded_wasm(&hello, 20 << 20, 7);
    let big_path = tmp.path().join("big.wasm");
    std::fs::write(&big_path, &big)?;
    let big_arg = big_path.to_string_lossy().to_string();
    let deployed = blsd_json(
        &wn.net,
        0,
        &keyring,
        &[
            "tx",
            "orchestration",
            "deploy",
            &big_arg,
            "--manifest",
            &manifest_arg,
            "--replication",
            "4",
            "--quorum",
            "3",
            "--ipfs-api",
            &kubo.api_url,
            "--from",
            "dev",
            "--yes",
        ],
    )?;
    assert_eq!(deployed["code_on_chain"], false, "{deployed}");
    let id: u64 = deployed["function_id"]
        .as_str()
        .context("function_id")?
        .parse()?;
    let uri = deployed["source_uris"][0]
        .as_str()
        .context("source_uris")?
        .to_string();
    let cid = uri.strip_prefix("ipfs://").context("an ipfs:// source")?;
    let hash = hex::encode(Sha256::digest(&big));
    // Placed in the begin block after the deploy.
    let f = wait_until(
        "the function's placement",
        Duration::from_secs(30),
        || async {
            let f = bls_client::orchestration::function(&wn.rpc, id).await?;
            Ok(f.subnetwork.is_some().then_some(f))
        },
    )
    .await?;
    assert!(!f.function.code_on_chain);
    assert_eq!(f.function.code_hash, hash);
    assert_eq!(f.function.code_size, u64::try_from(big.len())?);
    assert_eq!(f.function.source_uris, vec![uri.clone()]);
    // The chain stores no code; the CID holds exactly the module.
    let stored = kubo.client()?.cat(cid, 64 << 20).await?;
    assert_eq!(hex::encode(Sha256::digest(&stored)), hash);
    let members = f.subnetwork.context("placed")?.workers;
    assert_eq!(members.len(), 4, "every worker is a member: {members:?}");

    // Placed members with the content in their IPFS node fetch and compile it at once.
    for i in [0, 1] {
        wn.workers[i]
            .wait_metric("bls_worker_prefetches_total", 1.0, Duration::from_secs(120))
            .await?;
    }

    // ---- on chain: all four members run it ----
    let inv = invoke(&wn.rpc, &wn.invoker, id, b"Ada", FEE).await?;
    assert_eq!(inv.workers.len(), 4);
    let r = wait_finalized(&wn.rpc, inv.job_id, Duration::from_secs(180))
        .await
        .with_context(|| wn.logs())?;
    let outcome = bls_core::outcome::Outcome::decode(r.outcome.as_slice())?;
    assert_eq!(outcome.stdout, b"Hello, Ada!\n");
    assert_eq!(r.workers.len(), 4, "every member agreed: {r:?}");
    for i in [0, 1] {
        let w = &wn.workers[i];
        let n = w
            .metric("bls_worker_code_fetches_total{kind=\"ipfs\"}")
            .await?;
        assert!(n.is_some_and(|n| n >= 1.0), "{}", w.metrics().await?);
    }
    // The worker whose IPFS node lacks it, and the head without one, got it from a peer.
    for i in [LACKS, HEAD] {
        let w = &wn.workers[i];
        let metrics = w.metrics().await?;
        assert_eq!(
            w.metric("bls_worker_code_fetches_total{kind=\"ipfs\"}")
                .await?,
            None,
            "{metrics}"
        );
        let peers = w
            .metric("bls_worker_code_fetches_total{kind=\"provider\"}")
            .await?;
        assert!(peers.is_some_and(|n| n >= 1.0), "{metrics}\n{}", w.tail(40));
    }

    // ---- through the head ----
    fund_deposit(&wn.rpc, &wn.invoker, 1_000_000).await?;
    let (body, _) = signed_body(&wn.rpc, &wn.invoker, id, "Grace", 1, Nodes::Count(4)).await?;
    let exec_url = format!("{}/api/v1/functions/execute", fp.head_url);
    let (st, v) = post(&exec_url, &body).await?;
    assert_eq!(st, 200, "{v}\n{}", wn.logs());
    assert_eq!(v["stdout"], "Hello, Grace!\n");
    let signers = check_signatures(&wn.rpc, &v).await?;
    assert!(signers.len() >= 3, "a quorum signed: {v}");

    // ---- tampered: the CID holds other bytes than the chain's hash ----
    let honest = padded_wasm(&hello, 1 << 20, 8);
    let other = padded_wasm(&hello, 1 << 20, 9);
    let other_cid = kubo.add(&other).await?;
    let msg = MsgDeployFunction {
        owner: wn.invoker.address().to_string(),
        code_hash: Sha256::digest(&honest).to_vec(),
        source_uris: vec![format!("ipfs://{other_cid}")],
        code_size: u64::try_from(honest.len())?,
        manifest_json: "{}".into(),
        replication: 4,
        quorum: 3,
        ..Default::default()
    };
    let r = send(
        &wn.rpc,
        &wn.invoker,
        vec![encode_any(&msg, MSG_DEPLOY_FUNCTION)],
    )
    .await?;
    let tampered: u64 = r
        .event_attr("bls.function_deployed", "function_id")
        .context("function_id")?
        .parse()?;
    let inv = invoke(&wn.rpc, &wn.invoker, tampered, b"x", FEE).await?;
    let failed = wait_until(
        "the tampered job to fail",
        Duration::from_secs(120),
        || async {
            let j = job(&wn.rpc, inv.job_id).await?;
            Ok((j.status.as_str() == "failed").then_some(j))
        },
    )
    .await
    .with_context(|| wn.logs())?;
    assert_eq!(failed.escrow, 0, "refunded: {failed:?}");
    let tip = wn.rpc.status().await?.latest_block_height;
    let events = events_between(&wn.rpc, inv.height, tip).await?;
    let declines: Vec<_> = events
        .iter()
        .filter(|(_, e)| e.kind == "bls.job_declined")
        .collect();
    assert_eq!(declines.len(), 4, "every member declined: {declines:?}");
    let mismatches = declines
        .iter()
        .filter(|(_, e)| e.attr("reason") == Some("code_mismatch"))
        .count();
    assert!(
        mismatches >= 2,
        "the workers with the bytes saw the mismatch: {declines:?}"
    );
    assert!(
        !events
            .iter()
            .any(|(_, e)| e.kind == "bls.worker_missed" || e.kind == "bls.worker_slashed"),
        "nobody was punished"
    );
    let w0 = &wn.workers[0];
    for sample in [
        "bls_worker_code_fetches_total{kind=\"ipfs_mismatch\"}",
        "bls_worker_jobs_total{kind=\"code_mismatch\"}",
    ] {
        let n = w0.metric(sample).await?;
        assert!(
            n.is_some_and(|n| n >= 1.0),
            "{sample}: {}",
            w0.metrics().await?
        );
    }
    for w in &wn.workers {
        let rec = worker_record(&wn.rpc, &w.address).await?;
        let bond: u128 = rec["worker"]["bond"]
            .as_str()
            .with_context(|| format!("bond in {rec}"))?
            .parse()?;
        assert!(bond >= TEST_BOND, "{} was slashed: {rec}", w.name);
    }
    drop(empty);
    Ok(())
}
