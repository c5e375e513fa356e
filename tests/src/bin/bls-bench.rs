//! `bls-bench`: end-to-end figures for BENCHMARKS.md, measured against a baseline in the same
//! run (never asserted in tests).
//!
//! ```text
//! bls-bench chain [--txs N] [--accounts K] [--block-time 200ms]
//!     bank-send throughput of blsd under CometBFT vs CometBFT's kvstore app (built in,
//!     and as `abci-cli kvstore` behind the same ABCI socket transport as blsd), same
//!     consensus settings, same machine, same run; and the same signed txs through
//!     the app in-process (FinalizeBlock + Commit, no consensus), the app's own ceiling
//! bls-bench fastpath [--requests N] [--concurrency C] [--baseline N]
//!     `hello` through a head worker's HTTP API with a 3-worker quorum (cometbft, blsd,
//!     three workers and a head on loopback): latency p50/p99 one request at a time, and
//!     requests/s with C in flight; beside the same input run by a fresh
//!     `bls-worker run` process per request (what Blockless does), same run
//! bls-bench state [--validators N] [--delegations N] [--jobs N] [--blocks N] [--txs N]
//!     FinalizeBlock + Commit time in-process on a chain with N validator candidates,
//!     N one-ubls delegations and N pending jobs vs an empty chain, same blocks of sends
//! bls-bench ipfs [--runs N]
//!     deploy → first verified on-chain result of a module inline vs through IPFS (same
//!     size), and of a 10 MiB module through IPFS; the hash check beside the fetch
//! bls-bench flood [--seconds S] [--clients C] [--block-time 200ms]
//!     block interval of a one-validator chain idle, then while C RPC clients and C REST
//!     clients flood it with heavy simulates (and module queries), same chain, same run
//! ```

use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use bls_client::keys::KeyPair;
use bls_client::rpc::RpcClient;
use bls_core::{Address, Coins};
use bls_e2e::chain::signed_sends;
use bls_e2e::net::free_port;
use bls_e2e::process::{cometbft_bin, Proc};
use bls_e2e::{wait_until, Localnet, NodeOptions};

struct Args {
    txs: usize,
    accounts: usize,
    block_time: String,
}

const USAGE: &str = "usage:
  bls-bench chain [--txs N] [--accounts K] [--block-time 200ms]
      bank-send throughput of blsd vs CometBFT's kvstore app (same consensus settings)
  bls-bench fastpath [--requests N] [--concurrency C] [--baseline N]
      head-worker fast path (hello, 3-worker quorum) vs a bls-worker process per request
  bls-bench secrets [--requests N] [--concurrency C]
      fast path of hmac-secret: key as a plain manifest variable vs sealed vs request-scoped
  bls-bench flood [--seconds S] [--clients C] [--block-time 200ms]
      block interval idle vs under a flood of heavy simulates and queries (RPC and REST)
  bls-bench state [--validators 200] [--delegations 10000] [--jobs 10000] [--blocks 40] [--txs 20]
      block time in-process on a loaded chain vs an empty one
  bls-bench disk [--blocks 2000] [--txs 20] [--keep-recent 100]
      database file and rows over steady traffic, pruning off vs on (in-process, redb on disk)
  bls-bench join [--height 1000] [--snapshot-interval 100] [--block-time 50ms]
      time for a new node to reach the tip by state sync vs replaying from genesis
  bls-bench ipfs [--runs 3]
      deploy → first verified result: inline vs through IPFS (same size), and 10 MiB through
      IPFS; the sha256 check beside a 10 MiB fetch from kubo";

fn usage_exit(code: i32) -> ! {
    println!("{USAGE}");
    std::process::exit(code)
}

/// `--flag value` pairs after the subcommand.
fn flags(argv: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut it = argv.iter();
    while let Some(flag) = it.next() {
        let v = it.next().context("flag needs a value")?;
        out.push((flag.clone(), v.clone()));
    }
    Ok(out)
}

fn parse_chain_args(rest: &[String]) -> anyhow::Result<Args> {
    let mut a = Args {
        txs: 2000,
        accounts: 10,
        block_time: "200ms".into(),
    };
    for (flag, v) in flags(rest)? {
        match flag.as_str() {
            "--txs" => a.txs = v.parse()?,
            "--accounts" => a.accounts = v.parse()?,
            "--block-time" => a.block_time = v,
            other => anyhow::bail!("unknown flag {other}"),
        }
    }
    Ok(a)
}

/// Throughput of one run: txs included, wall time from first broadcast to last inclusion,
/// and blocks used.
struct Run {
    txs: usize,
    elapsed: Duration,
    blocks: u64,
}

impl Run {
    fn tps(&self) -> f64 {
        self.txs as f64 / self.elapsed.as_secs_f64()
    }
}

async fn height(rpc: &RpcClient) -> anyhow::Result<u64> {
    Ok(rpc.status().await?.latest_block_height)
}

async fn bench_bls(a: &Args) -> anyhow::Result<Run> {
    let keys: Vec<KeyPair> = (0..a.accounts)
        .map(|_| KeyPair::generate().map(|(k, _)| k))
        .collect::<Result<_, _>>()?;
    let net = Localnet::start(NodeOptions {
        accounts: keys
            .iter()
            .map(|k| (k.address().to_string(), "1000000000000ubls".to_string()))
            .collect(),
        block_time: a.block_time.clone(),
        ..Default::default()
    })
    .await?;
    let rpc = RpcClient::new(&net.validators[0].rpc_url())?;
    let per_account = a.txs.div_ceil(a.accounts);
    // Pre-sign everything so the measurement is the chain, not the client.
    let mut numbered = Vec::new();
    for k in &keys {
        let acc = rpc.account(k.address()).await?.context("genesis account")?;
        anyhow::ensure!(
            acc.sequence == 0,
            "fresh genesis accounts start at sequence 0"
        );
        numbered.push((k.clone(), acc.account_number));
    }
    let signed = sign_sends(&net.chain_id, &numbered, per_account, 0)?;
    let batches: Vec<(Address, Vec<Vec<u8>>)> = numbered
        .iter()
        .map(|(k, _)| k.address().clone())
        .zip(signed)
        .collect();
    let h0 = height(&rpc).await?;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for (_, txs) in batches.iter().cloned() {
        let rpc = rpc.clone();
        tasks.push(tokio::spawn(async move {
            for tx in txs {
                rpc.broadcast_tx_sync(tx).await?;
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    for (addr, txs) in &batches {
        let want = txs.len() as u64;
        wait_until("all txs included", Duration::from_secs(300), || async {
            let acc = rpc.account(addr).await?.context("account")?;
            Ok((acc.sequence >= want).then_some(()))
        })
        .await?;
    }
    let elapsed = start.elapsed();
    let h1 = height(&rpc).await?;
    Ok(Run {
        txs: per_account * a.accounts,
        elapsed,
        blocks: h1.saturating_sub(h0),
    })
}

/// Pre-signed `MsgSend`s of 1ubls: `per_account` from each (key, account number), sequences
/// from `first_sequence`.
fn sign_sends(
    chain_id: &str,
    keys: &[(KeyPair, u64)],
    per_account: usize,
    first_sequence: u64,
) -> anyhow::Result<Vec<Vec<Vec<u8>>>> {
    let to = Address::from_bytes(&[0xbe; 20]);
    let one = Coins::parse("1ubls")?;
    keys.iter()
        .map(|(k, account_number)| {
            let txs = signed_sends(
                chain_id,
                k,
                *account_number,
                first_sequence,
                per_account as u64,
                &to,
                &one,
            )?;
            Ok(txs.into_iter().map(|t| t.bytes).collect())
        })
        .collect()
}

/// The same signed txs straight through the state machine: InitChain, then FinalizeBlock +
/// Commit of blocks of up to 500 txs, on a redb store in a temp dir.
fn bench_app_in_process(a: &Args) -> anyhow::Result<Run> {
    use tendermint_proto::v0_38::abci::{RequestFinalizeBlock, RequestInitChain};
    let dir = tempfile::tempdir()?;
    let mut app = bls_app::abci::BlsApp::open(&dir.path().join("app.redb"))?;
    let keys: Vec<KeyPair> = (0..a.accounts)
        .map(|_| KeyPair::generate().map(|(k, _)| k))
        .collect::<Result<_, _>>()?;
    let app_state = serde_json::json!({
        "auth": {"accounts": keys.iter().map(|k| serde_json::json!({"address": k.address().to_string()})).collect::<Vec<_>>()},
        "bank": {"balances": keys.iter().map(|k| serde_json::json!({"address": k.address().to_string(), "coins": [{"denom": "ubls", "amount": "1000000000000"}]})).collect::<Vec<_>>()},
    });
    app.init_chain(RequestInitChain {
        chain_id: "bench".into(),
        app_state_bytes: serde_json::to_vec(&app_state)?.into(),
        initial_height: 1,
        ..Default::default()
    })?;
    // Genesis accounts are numbered in order from 0.
    let numbered: Vec<(KeyPair, u64)> = keys.into_iter().zip(0u64..).collect();
    let per_account = a.txs.div_ceil(a.accounts);
    let per_key = sign_sends("bench", &numbered, per_account, 0)?;
    // Interleave accounts so each block carries consecutive sequences of every account.
    let mut all = Vec::new();
    for i in 0..per_account {
        for txs in &per_key {
            all.push(txs[i].clone());
        }
    }
    let start = Instant::now();
    let mut height = 0u64;
    for block in all.chunks(500) {
        height += 1;
        let r = app.finalize_block(RequestFinalizeBlock {
            txs: block.iter().map(|t| t.clone().into()).collect(),
            height: i64::try_from(height)?,
            hash: vec![height as u8; 32].into(),
            ..Default::default()
        })?;
        if let Some(bad) = r.tx_results.iter().find(|t| t.code != 0) {
            anyhow::bail!("tx failed in-process: {}", bad.log);
        }
        app.commit()?;
    }
    Ok(Run {
        txs: all.len(),
        elapsed: start.elapsed(),
        blocks: height,
    })
}

/// Where CometBFT's kvstore runs: inside the cometbft process, or as `abci-cli kvstore`
/// behind the same ABCI socket transport blsd uses.
#[derive(Clone, Copy, PartialEq, Eq)]
enum KvApp {
    InProcess,
    Socket,
}

async fn bench_kvstore(a: &Args, app: KvApp) -> anyhow::Result<Run> {
    let dir = tempfile::tempdir()?;
    let home = dir.path().join("kv");
    let cometbft = cometbft_bin()?;
    let out = Command::new(&cometbft)
        .arg("init")
        .arg("--home")
        .arg(&home)
        .output()?;
    anyhow::ensure!(out.status.success(), "cometbft init failed");
    let rpc_port = free_port()?;
    let p2p_port = free_port()?;
    let cfg = home.join("config/config.toml");
    let mut text = std::fs::read_to_string(&cfg)?;
    use bls_app::toml_patch::set_key;
    text = set_key(
        &text,
        Some("rpc"),
        "laddr",
        &format!("\"tcp://127.0.0.1:{rpc_port}\""),
    );
    text = set_key(
        &text,
        Some("p2p"),
        "laddr",
        &format!("\"tcp://127.0.0.1:{p2p_port}\""),
    );
    text = set_key(
        &text,
        Some("consensus"),
        "timeout_commit",
        &format!("\"{}\"", a.block_time),
    );
    text = set_key(&text, Some("consensus"), "timeout_propose", "\"500ms\"");
    text = set_key(&text, Some("tx_index"), "indexer", "\"kv\"");
    std::fs::write(&cfg, text)?;
    let mut _abci = None;
    let proxy_app = match app {
        KvApp::InProcess => "kvstore".to_string(),
        KvApp::Socket => {
            let addr = format!("tcp://127.0.0.1:{}", free_port()?);
            let abci_cli = cometbft.with_file_name("abci-cli");
            let mut k = Command::new(if abci_cli.is_file() {
                abci_cli
            } else {
                "abci-cli".into()
            });
            k.args(["kvstore", "--address", &addr, "--log_level", "error"]);
            _abci = Some(Proc::spawn(
                "abci-cli-kvstore",
                k,
                &dir.path().join("abci.log"),
            )?);
            addr
        }
    };
    let mut c = Command::new(&cometbft);
    c.arg("start")
        .arg("--home")
        .arg(&home)
        .arg(format!("--proxy_app={proxy_app}"));
    let _node = Proc::spawn("cometbft-kvstore", c, &dir.path().join("kv.log"))?;
    let rpc = RpcClient::new(&format!("http://127.0.0.1:{rpc_port}"))?;
    wait_until("kvstore node up", Duration::from_secs(60), || async {
        Ok(height(&rpc).await.ok().filter(|h| *h >= 1).map(|_| ()))
    })
    .await?;
    let total = a.txs.div_ceil(a.accounts) * a.accounts;
    let h0 = height(&rpc).await?;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..a.accounts {
        let rpc = rpc.clone();
        let n = total / a.accounts;
        tasks.push(tokio::spawn(async move {
            for i in 0..n {
                rpc.broadcast_tx_sync(format!("k{w}-{i}=v{i}").into_bytes())
                    .await?;
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let last: Vec<String> = (0..a.accounts)
        .map(|w| format!("k{w}-{}", total / a.accounts - 1))
        .collect();
    for key in &last {
        wait_until("all kv txs included", Duration::from_secs(300), || async {
            let v = rpc
                .abci_query("", key.as_bytes().to_vec())
                .await
                .unwrap_or_default();
            Ok((!v.is_empty()).then_some(()))
        })
        .await?;
    }
    let elapsed = start.elapsed();
    let h1 = height(&rpc).await?;
    Ok(Run {
        txs: total,
        elapsed,
        blocks: h1.saturating_sub(h0),
    })
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    if argv.iter().any(|s| s == "--help" || s == "-h") {
        usage_exit(0);
    }
    let rest = argv.get(1..).unwrap_or_default();
    match argv.first().map(String::as_str) {
        Some("chain") => chain(parse_chain_args(rest)?).await,
        Some("fastpath") => fastpath::run(fastpath::parse_args(rest)?).await,
        Some("secrets") => secrets::run(secrets::parse_args(rest)?).await,
        Some("flood") => flood::run(flood::parse_args(rest)?).await,
        Some("state") => state::run(state::parse_args(rest)?),
        Some("disk") => state::disk::run(state::disk::parse_args(rest)?),
        Some("join") => join::run(join::parse_args(rest)?).await,
        Some("ipfs") => ipfs::run(ipfs::parse_args(rest)?).await,
        _ => usage_exit(2),
    }
}

async fn chain(a: Args) -> anyhow::Result<()> {
    eprintln!(
        "[bench] kvstore baseline: {} txs from {} senders, block time {}",
        a.txs, a.accounts, a.block_time
    );
    let kv = bench_kvstore(&a, KvApp::InProcess).await?;
    eprintln!(
        "[bench] the same with kvstore as a separate process over the ABCI socket (abci-cli)"
    );
    let kv_socket = bench_kvstore(&a, KvApp::Socket).await?;
    eprintln!(
        "[bench] blsd bank sends: {} txs from {} accounts",
        a.txs, a.accounts
    );
    let bls = bench_bls(&a).await?;
    eprintln!("[bench] the same txs through the app in-process (FinalizeBlock + Commit)");
    let inproc = bench_app_in_process(&a)?;
    let row = |name: &str, r: &Run| {
        println!(
            "| {name} | {} | {:.2} | {} | {:.1} |",
            r.txs,
            r.elapsed.as_secs_f64(),
            r.blocks,
            r.tps()
        );
    };
    println!("| app | txs | seconds | blocks | tx/s |");
    println!("|---|---|---|---|---|");
    row("CometBFT kvstore, in-process (baseline)", &kv);
    row(
        "CometBFT kvstore over the ABCI socket (abci-cli)",
        &kv_socket,
    );
    row("blsd bank MsgSend", &bls);
    row("blsd app in-process, FinalizeBlock + Commit", &inproc);
    println!(
        "\nratio blsd / kvstore throughput: {:.2} (in-process kvstore), {:.2} (socket kvstore)",
        bls.tps() / kv.tps(),
        bls.tps() / kv_socket.tps()
    );
    Ok(())
}

/// `bls-bench fastpath`: the head worker's fast path against a process per request.
mod fastpath {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    use anyhow::Context as _;
    use bls_client::fastpath::ChainTerms;
    use bls_client::keys::KeyPair;
    use bls_client::msgs::bank_send;
    use bls_core::Coins;
    use bls_e2e::fastpath::{fresh_terms, fund_deposit, signed_body_with, start_with_head, Nodes};
    use bls_e2e::process::bin_path;
    use bls_e2e::worker::{deploy, send, wasm_path, WorkerNet};
    use serde_json::{json, Value};

    /// Worker 3 of four is the head; the other three (and the head, if the subnetwork
    /// picks it) execute.
    pub(super) const HEAD: usize = 3;
    pub(super) const HEAD_BOND: &str = "1000000000ubls";
    /// Replication and quorum of the deployed `hello`: three workers must agree.
    const REPLICATION: u32 = 3;
    const QUORUM: u32 = 3;
    const DEPOSIT: u128 = 1_000_000_000;
    /// Requests before measuring: every worker fetches and compiles the code once.
    const WARMUP: usize = 12;

    /// Flags of `bls-bench fastpath`.
    pub struct Args {
        requests: usize,
        concurrency: usize,
        baseline: usize,
    }

    /// Parses `--requests N --concurrency C --baseline N`.
    pub fn parse_args(rest: &[String]) -> anyhow::Result<Args> {
        let mut a = Args {
            requests: 500,
            concurrency: 8,
            baseline: 200,
        };
        for (flag, v) in super::flags(rest)? {
            match flag.as_str() {
                "--requests" => a.requests = v.parse()?,
                "--concurrency" => a.concurrency = v.parse()?,
                "--baseline" => a.baseline = v.parse()?,
                other => anyhow::bail!("unknown flag {other}"),
            }
        }
        anyhow::ensure!(
            a.requests > 0 && a.concurrency > 0 && a.baseline > 0,
            "counts must be positive"
        );
        Ok(a)
    }

    /// Latencies of one series and its wall time.
    pub(super) struct Series {
        name: String,
        in_flight: usize,
        samples: Vec<Duration>,
        wall: Duration,
    }

    impl Series {
        /// How many requests were in flight.
        pub(super) fn in_flight_count(&self) -> usize {
            self.in_flight
        }

        /// Nearest-rank percentile.
        pub(super) fn pct(&self, p: usize) -> Duration {
            let mut v = self.samples.clone();
            v.sort();
            let rank = (v.len() * p).div_ceil(100).max(1);
            v.get(rank - 1).copied().unwrap_or_default()
        }

        pub(super) fn rps(&self) -> f64 {
            self.samples.len() as f64 / self.wall.as_secs_f64()
        }

        pub(super) fn row(&self) -> String {
            let ms = |d: Duration| d.as_secs_f64() * 1e3;
            format!(
                "| {} | {} | {} | {:.2} | {:.2} | {:.1} |",
                self.name,
                self.in_flight,
                self.samples.len(),
                ms(self.pct(50)),
                ms(self.pct(99)),
                self.rps()
            )
        }
    }

    /// Runs `jobs` (index → future) with `in_flight` at a time; per-job latency and the
    /// wall time of the whole series.
    pub(super) async fn measure<F, Fut>(
        name: &str,
        jobs: usize,
        in_flight: usize,
        job: F,
    ) -> anyhow::Result<Series>
    where
        F: Fn(usize) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
    {
        let job = Arc::new(job);
        let next = Arc::new(AtomicUsize::new(0));
        let start = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..in_flight {
            let (job, next) = (job.clone(), next.clone());
            tasks.push(tokio::spawn(async move {
                let mut out = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= jobs {
                        return anyhow::Ok(out);
                    }
                    let t = Instant::now();
                    job(i).await.with_context(|| format!("job {i}"))?;
                    out.push(t.elapsed());
                }
            }));
        }
        let mut samples = Vec::new();
        for t in tasks {
            samples.extend(t.await??);
        }
        Ok(Series {
            name: name.to_string(),
            in_flight,
            samples,
            wall: start.elapsed(),
        })
    }

    /// Pre-signed requests: request `i` is from account `i % accounts`, stdin `user<i>`.
    struct Requests {
        bodies: Vec<(String, Vec<u8>)>,
    }

    impl Requests {
        /// Signs `count` requests on `terms` (read just before: each request expires
        /// `fastpath_request_ttl` blocks after that read, well after a measured series).
        fn sign(
            keys: &[KeyPair],
            terms: &ChainTerms,
            count: usize,
            nonces: &mut [u64],
            tag: &str,
        ) -> Requests {
            let bodies = (0..count)
                .map(|i| {
                    let k = i % keys.len();
                    nonces[k] += 1;
                    let name = format!("{tag}{i}");
                    let (body, _) = signed_body_with(&keys[k], terms, &name, nonces[k], Nodes::All);
                    let body = body.to_string().into_bytes();
                    (name, body)
                })
                .collect();
            Requests { bodies }
        }
    }

    /// Posts one pre-signed request; the answer when it is a 200.
    pub(super) async fn post(
        http: &reqwest::Client,
        url: &str,
        body: Vec<u8>,
    ) -> anyhow::Result<Value> {
        let r = http
            .post(url)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await?;
        let status = r.status();
        let v: Value = r.json().await.unwrap_or(Value::Null);
        anyhow::ensure!(status.is_success(), "HTTP {status}: {v}");
        Ok(v)
    }

    /// Posts one pre-signed request and checks the answer: 200, the greeting, three
    /// signatures.
    async fn execute(
        http: &reqwest::Client,
        url: &str,
        name: &str,
        body: Vec<u8>,
    ) -> anyhow::Result<()> {
        let v = post(http, url, body).await?;
        anyhow::ensure!(
            v["stdout"] == format!("Hello, {name}!\n"),
            "unexpected stdout: {v}"
        );
        let sigs = v["signatures"].as_array().map_or(0, Vec::len);
        anyhow::ensure!(sigs == QUORUM as usize, "{sigs} signatures: {v}");
        Ok(())
    }

    /// One `bls-worker run` process for `name` (compiled-module cache shared, so no run
    /// pays for compilation).
    async fn run_process(
        worker: &std::path::Path,
        wasm: &std::path::Path,
        cache: &std::path::Path,
        name: &str,
    ) -> anyhow::Result<()> {
        let out = tokio::process::Command::new(worker)
            .arg("run")
            .arg(wasm)
            .args(["--stdin", name, "--output", "json", "--cache-dir"])
            .arg(cache)
            .output()
            .await?;
        anyhow::ensure!(
            out.status.success(),
            "bls-worker run: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout)?;
        anyhow::ensure!(
            v["stdout"] == format!("Hello, {name}!\n"),
            "unexpected outcome: {v}"
        );
        Ok(())
    }

    /// Funds `keys` from the net's invoker and gives each a fast-path deposit.
    pub(super) async fn fund(wn: &WorkerNet, keys: &[KeyPair]) -> anyhow::Result<()> {
        let each = Coins::parse(&format!("{}ubls", DEPOSIT * 2))?;
        let msgs = keys
            .iter()
            .map(|k| bank_send(wn.invoker.address(), k.address(), &each))
            .collect();
        send(&wn.rpc, &wn.invoker, msgs).await?;
        let deposits = keys.iter().map(|k| {
            let rpc = wn.rpc.clone();
            let k = k.clone();
            async move { fund_deposit(&rpc, &k, DEPOSIT).await }
        });
        for r in futures_join(deposits).await? {
            r?;
        }
        Ok(())
    }

    /// Runs `fs` as tasks; their outputs in order.
    async fn futures_join<F>(fs: impl IntoIterator<Item = F>) -> anyhow::Result<Vec<F::Output>>
    where
        F: std::future::Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let handles: Vec<_> = fs.into_iter().map(tokio::spawn).collect();
        let mut out = Vec::new();
        for h in handles {
            out.push(h.await?);
        }
        Ok(out)
    }

    /// Removes ANSI colour sequences (the worker's log may carry them).
    fn strip_ansi(line: &str) -> String {
        let mut out = String::with_capacity(line.len());
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            if c == '\u{1b}' {
                for d in chars.by_ref() {
                    if d.is_ascii_alphabetic() {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    }

    /// Median and p99 of every `*_us` field of `take` of the head's "fast-path request
    /// served" debug lines after the first `skip` (the warm-up).
    fn head_split(log: &str, skip: usize, take: usize) -> Vec<(String, u64, u64)> {
        let mut fields: std::collections::BTreeMap<String, Vec<u64>> = Default::default();
        for line in log
            .lines()
            .filter(|l| l.contains("fast-path request served"))
            .skip(skip)
            .take(take)
        {
            for tok in strip_ansi(line).split_whitespace() {
                if let Some((k, v)) = tok.split_once('=') {
                    if let (true, Ok(v)) = (k.ends_with("_us"), v.parse::<u64>()) {
                        fields.entry(k.to_string()).or_default().push(v);
                    }
                }
            }
        }
        fields
            .into_iter()
            .map(|(k, mut v)| {
                v.sort_unstable();
                let at = |p: usize| {
                    let rank = (v.len() * p).div_ceil(100).max(1);
                    v.get(rank - 1).copied().unwrap_or(0)
                };
                (k, at(50), at(99))
            })
            .collect()
    }

    /// The whole benchmark; prints a markdown table and the ratios.
    pub async fn run(a: Args) -> anyhow::Result<()> {
        let wasm = wasm_path("hello")?;
        eprintln!("[bench] starting cometbft + blsd, three workers and a head");
        let mut wn = WorkerNet::start(4, 30, 30).await?;
        let fp = start_with_head(&mut wn, HEAD, HEAD_BOND).await?;
        let function_id = deploy(
            &wn.rpc,
            &wn.invoker,
            &std::fs::read(&wasm)?,
            "{}",
            REPLICATION,
            QUORUM,
        )
        .await?;
        // Enough accounts that the head's per-account rate limit (50/s, burst 100) never
        // throttles the measurement: it is a per-account limit, not a capacity one.
        let accounts = (a.concurrency * 2).max(16);
        let keys: Vec<KeyPair> = (0..accounts)
            .map(|_| KeyPair::generate().map(|(k, _)| k))
            .collect::<Result<_, _>>()?;
        fund(&wn, &keys).await?;
        let url = format!("{}/api/v1/functions/execute", fp.head_url);
        let http = reqwest::Client::builder().tcp_nodelay(true).build()?;
        let mut nonces = vec![0u64; keys.len()];

        let mut rows = Vec::new();
        // What one chain read costs (the head and the workers used to make ~10 per request).
        let rpc = wn.rpc.clone();
        rows.push(
            measure(
                "chain read: abci_query Params via CometBFT RPC",
                100,
                1,
                move |_| {
                    let rpc = rpc.clone();
                    async move {
                        let _: Value = rpc
                            .query_json("/bls.orchestration.v1.Query/Params", &json!({}))
                            .await?;
                        Ok(())
                    }
                },
            )
            .await?,
        );
        // The same RPC server without the ABCI hop: where the read time goes.
        let rpc = wn.rpc.clone();
        rows.push(
            measure(
                "chain read: status via CometBFT RPC (no ABCI)",
                100,
                1,
                move |_| {
                    let rpc = rpc.clone();
                    async move {
                        rpc.status().await?;
                        Ok(())
                    }
                },
            )
            .await?,
        );

        // Warm-up: every worker fetches and compiles the code, and the head reads every
        // account's deposit once; what follows is the steady state (cache misses then come
        // only from reads expiring, see BENCHMARKS.md).
        let warmup = WARMUP.max(2 * keys.len());
        eprintln!("[bench] warm-up: {warmup} requests (code fetched from peers and compiled)");
        let terms = fresh_terms(&wn.rpc, function_id).await?;
        let warm = Requests::sign(&keys, &terms, warmup, &mut nonces, "warm");
        for (name, body) in warm.bodies {
            execute(&http, &url, &name, body)
                .await
                .with_context(|| wn.logs())?;
        }

        for (label, in_flight) in [("fast path", 1), ("fast path", a.concurrency)] {
            eprintln!(
                "[bench] {label}: {} requests, {in_flight} in flight",
                a.requests
            );
            let terms = fresh_terms(&wn.rpc, function_id).await?;
            let reqs = Arc::new(Requests::sign(
                &keys,
                &terms,
                a.requests,
                &mut nonces,
                &format!("c{in_flight}-"),
            ));
            let (http, url) = (http.clone(), url.clone());
            let s = measure(
                &format!("{label}, hello, quorum 3 of 3"),
                a.requests,
                in_flight,
                move |i| {
                    let (http, url, reqs) = (http.clone(), url.clone(), reqs.clone());
                    async move {
                        let (name, body) = reqs.bodies.get(i).cloned().context("request")?;
                        execute(&http, &url, &name, body).await
                    }
                },
            )
            .await?;
            rows.push(s);
        }

        // With `BLS_LOG=info,bls_worker::head=debug` the head logs each request's phases:
        // those of the one-at-a-time series.
        let split = head_split(&wn.workers[HEAD].all_logs(), warmup, a.requests);

        let worker = bin_path("bls-worker")?;
        let cache = tempfile::tempdir()?;
        run_process(&worker, &wasm, cache.path(), "warm").await?; // compile once
        let (worker, wasm) = (Arc::new(worker), Arc::new(wasm));
        for in_flight in [1, a.concurrency] {
            eprintln!(
                "[bench] baseline: {} `bls-worker run` processes, {in_flight} at a time",
                a.baseline
            );
            let (w, m, c) = (worker.clone(), wasm.clone(), cache.path().to_path_buf());
            let s = measure(
                "process per request (`bls-worker run`), 1 node",
                a.baseline,
                in_flight,
                move |i| {
                    let (w, m, c) = (w.clone(), m.clone(), c.clone());
                    async move { run_process(&w, &m, &c, &format!("user{i}")).await }
                },
            )
            .await?;
            rows.push(s);
        }

        println!("| series | in flight | requests | p50 ms | p99 ms | req/s |");
        println!("|---|---|---|---|---|---|");
        for r in &rows {
            println!("{}", r.row());
        }
        if !split.is_empty() {
            println!("\nhead-side split, one request at a time (median / p99 µs):");
            for (k, p50, p99) in &split {
                println!("  {k}: {p50} / {p99}");
            }
        }
        if let [_, _, fast1, fastc, base1, basec] = rows.as_slice() {
            let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
            println!(
                "\nfast path / process-per-request: p50 {:.2}x, p99 {:.2}x (1 in flight); req/s {:.2}x ({} in flight)",
                ratio(fast1.pct(50), base1.pct(50)),
                ratio(fast1.pct(99), base1.pct(99)),
                fastc.rps() / basec.rps(),
                a.concurrency
            );
            let p50 = fast1.pct(50);
            println!(
                "goal p50 <= 5 ms: {} ({:.2} ms)",
                if p50 <= Duration::from_millis(5) {
                    "met"
                } else {
                    "NOT met"
                },
                p50.as_secs_f64() * 1e3
            );
        }
        Ok(())
    }
}

#[path = "bls-bench/state.rs"]
mod state;

#[path = "bls-bench/secrets.rs"]
mod secrets;

#[path = "bls-bench/join.rs"]
mod join;

#[path = "bls-bench/ipfs.rs"]
mod ipfs;

/// `bls-bench flood`: block interval idle vs under a query flood.
mod flood {
    use std::time::{Duration, Instant};

    use bls_e2e::flood::{FloodTarget, Intervals, DEPLOYS_PER_SIMULATE};

    /// Flags of `bls-bench flood`.
    pub struct Args {
        seconds: u64,
        clients: usize,
        block_time: String,
    }

    /// Parses `--seconds S --clients C --block-time T`.
    pub fn parse_args(rest: &[String]) -> anyhow::Result<Args> {
        let mut a = Args {
            seconds: 20,
            clients: 4,
            block_time: "200ms".into(),
        };
        for (flag, v) in super::flags(rest)? {
            match flag.as_str() {
                "--seconds" => a.seconds = v.parse()?,
                "--clients" => a.clients = v.parse()?,
                "--block-time" => a.block_time = v,
                other => anyhow::bail!("unknown flag {other}"),
            }
        }
        Ok(a)
    }

    fn ms(d: Option<Duration>) -> String {
        d.map_or("-".into(), |d| format!("{:.0}", d.as_secs_f64() * 1000.0))
    }

    /// Runs the bench and prints a markdown table.
    pub async fn run(a: Args) -> anyhow::Result<()> {
        let target = FloodTarget::start(&a.block_time).await?;
        let (rpc, tx) = (&target.rpc, &target.tx);
        let mut alone = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            rpc.simulate(tx.clone()).await?;
            alone.push(t.elapsed());
        }
        alone.sort();
        let window = Duration::from_secs(a.seconds);
        eprintln!("[bench] idle chain, {}s", a.seconds);
        let idle = Intervals::watch(rpc, window).await?;
        eprintln!(
            "[bench] flood: {} RPC + {} REST clients, simulates of {} deployments ({} KiB tx)",
            a.clients,
            a.clients,
            DEPLOYS_PER_SIMULATE,
            tx.len() / 1024
        );
        let flood = target.flood(a.clients, a.clients)?;
        tokio::time::sleep(Duration::from_secs(1)).await;
        let before = flood.stats();
        let busy = Intervals::watch(rpc, window).await?;
        let during = flood.stats();
        let total = flood.stop().await;
        println!(
            "one heavy simulate alone (median of 5): {} ms; tx {} KiB",
            ms(alone.get(2).copied()),
            tx.len() / 1024
        );
        println!(
            "| chain | blocks | mean interval (ms) | longest (ms) | queries answered | simulates |"
        );
        println!("|---|---|---|---|---|---|");
        println!(
            "| idle | {} | {} | {} | - | - |",
            idle.intervals.len(),
            ms(idle.mean()),
            ms(idle.max())
        );
        println!(
            "| flooded ({} RPC + {} REST clients) | {} | {} | {} | {} | {} |",
            a.clients,
            a.clients,
            busy.intervals.len(),
            ms(busy.mean()),
            ms(busy.max()),
            during.answered.saturating_sub(before.answered),
            during.simulated.saturating_sub(before.simulated)
        );
        if let (Some(i), Some(b)) = (idle.mean(), busy.mean()) {
            println!(
                "\nratio flooded / idle block interval: {:.2} (transport failures: {})",
                b.as_secs_f64() / i.as_secs_f64(),
                total.failed
            );
        } else {
            println!("\nno block in one of the windows: the chain stalled");
        }
        Ok(())
    }
}
