//! A worker net with a fast path: one worker re-initialized as a head (role head, the head
//! bond, an HTTP API), every worker on libp2p, the head's API answering health; and the
//! client side the fast-path tests share: signed execute bodies (built by
//! `bls_client::fastpath`, the CLI's own code), posting them, and checking every worker
//! signature of an answer against the chain.

use std::process::Command;
use std::time::Duration;

use anyhow::Context as _;
use bls_client::fastpath::{chain_terms, signed_execute_body, ChainTerms, FastRequest};
use bls_client::keys::KeyPair;
use bls_client::rpc::RpcClient;
use bls_core::outcome::Outcome;
use bls_orchestration::fastpath::msgs::{verify_result_signature, SignedRequest};
use serde_json::{json, Value};

use crate::net::free_port;
use crate::process::bin_path;
use crate::wait::wait_until;
use crate::worker::WorkerNet;

/// Where the fast path of a started [`WorkerNet`] is reachable.
#[derive(Debug, Clone)]
pub struct FastPath {
    /// Each worker's `--p2p-listen` multiaddr, by worker index (restart with the same one).
    pub p2p: Vec<String>,
    /// The head's worker index.
    pub head: usize,
    /// The head's API base URL, e.g. `http://127.0.0.1:PORT`.
    pub head_url: String,
}

impl FastPath {
    /// (Re)starts the head worker with its p2p address and API, settling every
    /// `settle_interval`; waits until its API answers health.
    pub async fn start_head(
        &self,
        wn: &mut WorkerNet,
        settle_interval: Duration,
    ) -> anyhow::Result<()> {
        self.start_head_with(wn, settle_interval, &[]).await
    }

    /// [`FastPath::start_head`] with `extra` flags (e.g. `--fault head-silent`).
    pub async fn start_head_with(
        &self,
        wn: &mut WorkerNet,
        settle_interval: Duration,
        extra: &[&str],
    ) -> anyhow::Result<()> {
        let head_listen = self.head_url.trim_start_matches("http://");
        let settle_ms = settle_interval.as_millis().to_string();
        let mut args = vec![
            "--p2p-listen",
            &self.p2p[self.head],
            "--head-listen",
            head_listen,
            "--settle-interval-ms",
            &settle_ms,
        ];
        args.extend_from_slice(extra);
        wn.start_worker(self.head, &args).await?;
        wait_head_healthy(&self.head_url).await
    }
}

/// Waits (30 s at most) until the head API at `base_url` (`http://host:port`) answers its
/// health check.
pub async fn wait_head_healthy(base_url: &str) -> anyhow::Result<()> {
    wait_until("head API health", Duration::from_secs(30), || {
        let url = format!("{base_url}/api/v1/health");
        async move {
            Ok(match reqwest::get(&url).await {
                Ok(r) if r.status().is_success() => Some(()),
                _ => None,
            })
        }
    })
    .await
}

/// Re-inits worker `head` of `wn` as a head bonding `head_bond`, starts every worker with a
/// p2p listener (the head also with its API and a 300 ms settle interval) and waits until
/// the head's API is healthy.
pub async fn start_with_head(
    wn: &mut WorkerNet,
    head: usize,
    head_bond: &str,
) -> anyhow::Result<FastPath> {
    start_with_head_settling(wn, head, head_bond, Duration::from_millis(300)).await
}

/// [`start_with_head`] with the head settling every `settle_interval`.
pub async fn start_with_head_settling(
    wn: &mut WorkerNet,
    head: usize,
    head_bond: &str,
    settle_interval: Duration,
) -> anyhow::Result<FastPath> {
    let mut heads = start_with_heads(wn, &[head], head_bond, settle_interval).await?;
    heads.pop().context("one head")
}

/// Re-inits workers `heads` of `wn` as heads bonding `head_bond`, starts every worker with a
/// p2p listener (the heads also with their APIs, settling every `settle_interval`) and waits
/// until every head's API is healthy. One [`FastPath`] per head, in `heads` order.
pub async fn start_with_heads(
    wn: &mut WorkerNet,
    heads: &[usize],
    head_bond: &str,
    settle_interval: Duration,
) -> anyhow::Result<Vec<FastPath>> {
    for &head in heads {
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
    }
    let mut p2p = Vec::new();
    for _ in 0..wn.workers.len() {
        p2p.push(format!("/ip4/127.0.0.1/tcp/{}", free_port()?));
    }
    for (i, flag) in p2p.iter().enumerate() {
        if heads.contains(&i) {
            continue;
        }
        wn.start_worker(i, &["--p2p-listen", flag]).await?;
    }
    let mut out = Vec::new();
    for &head in heads {
        let fp = FastPath {
            p2p: p2p.clone(),
            head,
            head_url: format!("http://127.0.0.1:{}", free_port()?),
        };
        fp.start_head(wn, settle_interval).await?;
        out.push(fp);
    }
    Ok(out)
}

/// [`crate::worker::worker_app_state`] with long fast-path windows (a TTL of 1500 blocks, so
/// [`fresh_terms`] requests live 750 blocks, 2.5 minutes at the test block time; the
/// registry's unbonding covers the reach), for
/// tests that restart processes while one signed request must stay valid.
pub fn long_lived_app_state() -> Vec<(String, Value)> {
    let mut state = crate::worker::worker_app_state(30, 30);
    for (module, section) in &mut state {
        match module.as_str() {
            "registry" => section["params"]["unbonding_blocks"] = json!(3000),
            "orchestration" => {
                section["params"]["fastpath_request_ttl"] = json!(1500);
                section["params"]["fastpath_settle_window"] = json!(1500);
                section["params"]["fastpath_withdraw_delay"] = json!(3000);
            }
            _ => {}
        }
    }
    state
}

/// Every registered worker's (bond, status) by id.
pub async fn bonds(
    rpc: &RpcClient,
) -> anyhow::Result<std::collections::BTreeMap<String, (String, String)>> {
    let v = query(rpc, "/bls.registry.v1.Query/Workers", json!({"limit": 100})).await?;
    Ok(v["workers"]
        .as_array()
        .context("workers")?
        .iter()
        .map(|w| {
            (
                w["operator"].as_str().unwrap_or("").to_string(),
                (
                    w["bond"].as_str().unwrap_or("").to_string(),
                    w["status"].as_str().unwrap_or("").to_string(),
                ),
            )
        })
        .collect())
}

/// The most a test request pays, ubls.
pub const MAX_FEE: u128 = 5_000;

/// How many of the function's workers must agree.
#[derive(Debug, Clone, Copy)]
pub enum Nodes {
    /// All of its n nodes (`threshold: 1.0`).
    All,
    /// Ask this many; the function's quorum m decides (dead or lying nodes tolerated).
    Count(u32),
}

/// What a request of `function_id` must bind, read from the chain now: its code hash, the
/// latest block time as the clock, and an expiry half the chain's `fastpath_request_ttl`
/// ahead — long enough for slow test steps, and well inside what a head whose view of the
/// tip lags a few blocks still accepts (it refuses an expiry beyond its tip + TTL).
pub async fn fresh_terms(rpc: &RpcClient, function_id: u64) -> anyhow::Result<ChainTerms> {
    let p = bls_client::orchestration::params(rpc).await?.params;
    let ahead = (p.fastpath_request_ttl / 2).max(1);
    Ok(chain_terms(rpc, function_id, Some(ahead)).await?)
}

fn request(terms: &ChainTerms, stdin: &str, nonce: u64) -> FastRequest {
    FastRequest::new(terms, stdin.to_string(), nonce, MAX_FEE)
}

/// A signed execute body from `key` running `terms`' function on `stdin` (the body
/// `bls function invoke --fast` sends, plus the Blockless `method` and node selection),
/// and its request id.
pub fn signed_body_with(
    key: &KeyPair,
    terms: &ChainTerms,
    stdin: &str,
    nonce: u64,
    nodes: Nodes,
) -> (Value, [u8; 32]) {
    let request = request(terms, stdin, nonce);
    let id = bls_client::fastpath::fast_request_id(key, &request);
    let (mut body, _) = signed_execute_body(key, &request);
    body["method"] = json!("hello.wasm");
    match nodes {
        Nodes::All => body["config"]["threshold"] = json!(1.0),
        Nodes::Count(n) => body["config"]["number_of_nodes"] = json!(n),
    }
    (body, id)
}

/// The request of [`signed_body_with`] as the invoker signed it (what receipts and evidence
/// carry on chain).
pub fn signed_request(key: &KeyPair, terms: &ChainTerms, stdin: &str, nonce: u64) -> SignedRequest {
    request(terms, stdin, nonce).signed(key)
}

/// The invoker-signed request inside an execute `body` (what anyone who saw the body can put
/// in a receipt or in evidence).
pub fn request_from_body(body: &Value) -> anyhow::Result<SignedRequest> {
    let req: bls_client::head_api::ExecuteRequest = serde_json::from_value(body.clone())?;
    Ok(bls_client::fastpath::signed_body(&req)?.request)
}

/// [`signed_body_with`] on terms read from the chain now ([`fresh_terms`]).
pub async fn signed_body(
    rpc: &RpcClient,
    key: &KeyPair,
    function_id: u64,
    stdin: &str,
    nonce: u64,
    nodes: Nodes,
) -> anyhow::Result<(Value, [u8; 32])> {
    let terms = fresh_terms(rpc, function_id).await?;
    Ok(signed_body_with(key, &terms, stdin, nonce, nodes))
}

/// POSTs `body` as JSON; the status and the JSON answer (`Null` if it is not JSON).
pub async fn post(url: &str, body: &Value) -> anyhow::Result<(u16, Value)> {
    let r = reqwest::Client::new().post(url).json(body).send().await?;
    let status = r.status().as_u16();
    let v: Value = r.json().await.unwrap_or(Value::Null);
    Ok((status, v))
}

/// A JSON chain query.
pub async fn query(rpc: &RpcClient, path: &str, req: Value) -> anyhow::Result<Value> {
    Ok(rpc.query_json(path, &req).await?)
}

/// A 32-byte hex string field.
pub fn hex32(v: &Value) -> anyhow::Result<[u8; 32]> {
    let s = v.as_str().context("hex string")?;
    <[u8; 32]>::try_from(hex::decode(s)?.as_slice()).map_err(|_| anyhow::anyhow!("32 bytes"))
}

/// Verifies every signature of an execute answer against the registered result keys;
/// returns the signers.
pub async fn check_signatures(rpc: &RpcClient, resp: &Value) -> anyhow::Result<Vec<String>> {
    let id = hex32(&resp["request_id"])?;
    let code = hex32(&resp["code_hash"])?;
    let result = hex32(&resp["result_hash"])?;
    let outcome = Outcome::decode(&hex::decode(resp["outcome"].as_str().unwrap_or(""))?)?;
    anyhow::ensure!(
        outcome.result_hash() == result,
        "result hash is sha256(outcome)"
    );
    let mut signers = Vec::new();
    for s in resp["signatures"].as_array().context("signatures")? {
        let worker = s["worker"].as_str().context("worker")?.to_string();
        let rec = query(rpc, "/bls.registry.v1.Query/Worker", json!({"id": worker})).await?;
        let pk = hex::decode(rec["worker"]["result_pubkey"].as_str().unwrap_or(""))?;
        let sig = hex::decode(s["signature"].as_str().unwrap_or(""))?;
        verify_result_signature(&pk, &id, &code, &result, &sig)
            .map_err(|e| anyhow::anyhow!("signature of {worker}: {e}"))?;
        anyhow::ensure!(!signers.contains(&worker), "{worker} signed twice");
        signers.push(worker);
    }
    Ok(signers)
}

/// Funds `key`'s fast-path deposit with `amount` ubls (a `MsgFastPathDeposit` it signs).
pub async fn fund_deposit(rpc: &RpcClient, key: &KeyPair, amount: u128) -> anyhow::Result<()> {
    crate::worker::send(
        rpc,
        key,
        vec![bls_client::fastpath::deposit(key.address(), amount)],
    )
    .await?;
    Ok(())
}
