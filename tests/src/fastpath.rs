//! A worker net with a fast path: one worker re-initialized as a head (role head, the head
//! bond, an HTTP API), every worker on libp2p, the head's API answering health.

use std::process::Command;
use std::time::Duration;

use crate::net::free_port;
use crate::process::bin_path;
use crate::wait::wait_until;
use crate::worker::WorkerNet;

/// Where the fast path of a started [`WorkerNet`] is reachable.
#[derive(Debug, Clone)]
pub struct FastPath {
    /// Each worker's `--p2p-listen` multiaddr, by worker index (restart with the same one).
    pub p2p: Vec<String>,
    /// The head's API base URL, e.g. `http://127.0.0.1:PORT`.
    pub head_url: String,
}

/// Re-inits worker `head` of `wn` as a head bonding `head_bond`, starts every worker with a
/// p2p listener (the head also with its API and a 300 ms settle interval) and waits until
/// the head's API is healthy.
pub async fn start_with_head(
    wn: &mut WorkerNet,
    head: usize,
    head_bond: &str,
) -> anyhow::Result<FastPath> {
    let h = wn
        .workers
        .get(head)
        .ok_or_else(|| anyhow::anyhow!("no worker {head}"))?;
    let out = Command::new(bin_path("bls-worker")?)
        .args(["init", "--force", "--home"])
        .arg(&h.home)
        .args(["--region", &format!("r{head}")])
        .args(["--network", &format!("AS{}", 64_500 + head)])
        .args(["--role", "head"])
        .args(["--metrics-listen", &format!("127.0.0.1:{}", h.metrics_port)])
        .args(["--max-concurrent-jobs", "2"])
        .args(["--rpc-url", &wn.net.validators[0].rpc_url()])
        .args(["--chain-id", &wn.net.chain_id])
        .args(["--bond", head_bond])
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut p2p = Vec::new();
    for _ in 0..wn.workers.len() {
        p2p.push(format!("/ip4/127.0.0.1/tcp/{}", free_port()?));
    }
    let head_listen = format!("127.0.0.1:{}", free_port()?);
    let head_url = format!("http://{head_listen}");
    for (i, flag) in p2p.iter().enumerate() {
        if i == head {
            continue;
        }
        wn.start_worker(i, &["--p2p-listen", flag]).await?;
    }
    wn.start_worker(
        head,
        &[
            "--p2p-listen",
            &p2p[head],
            "--head-listen",
            &head_listen,
            "--settle-interval-ms",
            "300",
        ],
    )
    .await?;
    wait_until("head API health", Duration::from_secs(30), || {
        let url = format!("{head_url}/api/v1/health");
        async move {
            Ok(match reqwest::get(&url).await {
                Ok(r) if r.status().is_success() => Some(()),
                _ => None,
            })
        }
    })
    .await?;
    Ok(FastPath { p2p, head_url })
}
