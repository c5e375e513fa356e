//! `bls-bench ipfs`: what deploying code through IPFS costs. One chain (cometbft + blsd at
//! 200 ms blocks), three workers and one kubo node, in one run:
//!
//! - deploy → first verified on-chain result (from the moment the deploy starts — gzip or
//!   IPFS add included — to the block with the quorum's result) of a module stored inline,
//!   of the same size through IPFS, and of a 10 MiB module through IPFS (inline, 10 MiB cannot
//!   be deployed at all: a default CometBFT node takes 1 MiB transactions);
//! - the hash check every fetched module pays (sha256 of 10 MiB in-process) beside the fetch
//!   itself (10 MiB from kubo's API).
//!
//! Every run deploys a fresh module (new padding, new hash), so no worker cache helps. Cases
//! alternate run by run so drift hits them alike.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use bls_core::module::encode_any;
use bls_e2e::ipfs::{padded_wasm, Kubo};
use bls_e2e::wait_until;
use bls_e2e::worker::{invoke, result, send, wasm_path, WorkerNet};
use bls_orchestration::msgs::{MsgDeployFunction, MSG_DEPLOY_FUNCTION};
use sha2::{Digest, Sha256};

/// Flags of `bls-bench ipfs`.
pub struct Args {
    runs: usize,
}

/// Parses `--runs N`.
pub fn parse_args(rest: &[String]) -> anyhow::Result<Args> {
    let mut a = Args { runs: 3 };
    for (flag, v) in super::flags(rest)? {
        match flag.as_str() {
            "--runs" => a.runs = v.parse()?,
            other => anyhow::bail!("unknown flag {other}"),
        }
    }
    anyhow::ensure!(a.runs > 0, "--runs must be positive");
    Ok(a)
}

/// The largest incompressible module whose gzipped deploy tx fits CometBFT's default 1 MiB.
const INLINE_BYTES: usize = 900 << 10;
const BIG_BYTES: usize = 10 << 20;

#[derive(Clone, Copy, PartialEq)]
enum Case {
    Inline,
    Ipfs,
}

/// Deploys `wasm` (inline or through `kubo`), invokes it once and waits for the verified
/// result; the time from the start of the deploy to the result.
async fn deploy_to_result(
    wn: &WorkerNet,
    kubo: &Kubo,
    wasm: &[u8],
    case: Case,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let mut msg = MsgDeployFunction {
        owner: wn.invoker.address().to_string(),
        code_hash: Sha256::digest(wasm).to_vec(),
        manifest_json: "{}".into(),
        replication: 3,
        quorum: 2,
        ..Default::default()
    };
    match case {
        Case::Inline => msg.wasm = bls_client::orchestration::gzip_wasm(wasm, |_, _| {})?,
        Case::Ipfs => {
            let cid = kubo.add(wasm).await?;
            msg.source_uris = vec![format!("ipfs://{cid}")];
            msg.code_size = u64::try_from(wasm.len())?;
        }
    }
    let r = send(
        &wn.rpc,
        &wn.invoker,
        vec![encode_any(&msg, MSG_DEPLOY_FUNCTION)],
    )
    .await?;
    let id: u64 = r
        .event_attr("bls.function_deployed", "function_id")
        .context("function_id")?
        .parse()?;
    wait_until("placement", Duration::from_secs(30), || async {
        let f = bls_client::orchestration::function(&wn.rpc, id).await?;
        Ok(f.subnetwork.is_some().then_some(()))
    })
    .await?;
    let inv = invoke(&wn.rpc, &wn.invoker, id, b"bench", 10_000_000).await?;
    wait_until("the verified result", Duration::from_secs(300), || async {
        result(&wn.rpc, inv.job_id).await
    })
    .await?;
    Ok(started.elapsed())
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// The whole benchmark; prints a markdown table.
pub async fn run(a: Args) -> anyhow::Result<()> {
    eprintln!("[bench] starting cometbft + blsd, three workers and a kubo node");
    let tmp = tempfile::Builder::new()
        .prefix("bls-bench-ipfs-")
        .tempdir()?;
    let kubo = Kubo::start(tmp.path(), "kubo").await?;
    let mut wn = WorkerNet::start(3, 20, 20).await?;
    for w in &wn.workers {
        w.set_config("ipfs", "api_url", kubo.api_url.as_str().into())?;
    }
    for i in 0..3 {
        wn.start_worker(
            i,
            &[
                "--p2p-listen",
                &format!("/ip4/127.0.0.1/tcp/{}", bls_e2e::net::free_port()?),
            ],
        )
        .await?;
    }
    let hello = std::fs::read(wasm_path("hello")?)?;
    let mut seed = 1000u64;
    let mut fresh = |size: usize| {
        seed += 1;
        padded_wasm(&hello, size, seed)
    };
    let (mut inline, mut ipfs, mut big) = (Vec::new(), Vec::new(), Vec::new());
    for run in 0..a.runs {
        eprintln!("[bench] run {}/{}", run + 1, a.runs);
        inline.push(deploy_to_result(&wn, &kubo, &fresh(INLINE_BYTES), Case::Inline).await?);
        ipfs.push(deploy_to_result(&wn, &kubo, &fresh(INLINE_BYTES), Case::Ipfs).await?);
        big.push(deploy_to_result(&wn, &kubo, &fresh(BIG_BYTES), Case::Ipfs).await?);
    }
    // The hash check beside the fetch it guards.
    let module = fresh(BIG_BYTES);
    let cid = kubo.add(&module).await?;
    let client = kubo.client()?;
    let (mut hashes, mut fetches) = (Vec::new(), Vec::new());
    for _ in 0..10 {
        let t = Instant::now();
        let bytes = client.cat(&cid, 64 << 20).await?;
        fetches.push(t.elapsed());
        let t = Instant::now();
        let digest = Sha256::digest(&bytes);
        hashes.push(t.elapsed());
        anyhow::ensure!(
            digest == Sha256::digest(&module),
            "kubo returned other bytes"
        );
    }
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let (inline, ipfs, big) = (median(inline), median(ipfs), median(big));
    let (hash, fetch) = (median(hashes), median(fetches));
    println!(
        "| deploy → first verified result (median of {}) | ms | vs inline |",
        a.runs
    );
    println!("|---|---|---|");
    println!(
        "| 900 KiB inline (gzip in the deploy tx, workers read the chain) | {:.0} | 1.00x |",
        ms(inline)
    );
    println!(
        "| 900 KiB through IPFS (add, CID on chain, workers fetch by CID) | {:.0} | {:.2}x |",
        ms(ipfs),
        ms(ipfs) / ms(inline)
    );
    println!(
        "| 10 MiB through IPFS (inline impossible: over the 1 MiB tx limit) | {:.0} | {:.2}x |",
        ms(big),
        ms(big) / ms(inline)
    );
    println!();
    println!("| 10 MiB module (median of 10) | ms |");
    println!("|---|---|");
    println!(
        "| fetch from the worker's kubo (`/api/v0/cat`) | {:.1} |",
        ms(fetch)
    );
    println!(
        "| sha256 hash check | {:.1} ({:.0}% of the fetch) |",
        ms(hash),
        100.0 * ms(hash) / ms(fetch).max(f64::MIN_POSITIVE)
    );
    Ok(())
}
