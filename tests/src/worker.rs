//! `bls-worker` processes for end-to-end tests, plus the function/job helpers the worker
//! tests share (deploy, invoke, wait for results, balances, event scans).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::Context as _;
use bls_client::keys::KeyPair;
use bls_client::rpc::{RpcClient, TxEvent, TxResult};
use bls_client::send::{check_result, send_tx, TxOptions};
use bls_core::module::encode_any;
use bls_orchestration::msgs::{
    MsgDeployFunction, MsgInvoke, ProtoCoin, MSG_DEPLOY_FUNCTION, MSG_INVOKE,
};
use bls_orchestration::queries::{IdRequest, JobResponse, ResultRequest, ResultResponse};
use bls_orchestration::state::{Job, JobResult};
use cosmos_sdk_proto::cosmos::bank::v1beta1::{QueryBalanceRequest, QueryBalanceResponse};
use cosmos_sdk_proto::cosmos::bank::v1beta1::{QuerySupplyOfRequest, QuerySupplyOfResponse};
use prost::Message;
use serde_json::{json, Value};

use crate::net::free_port;
use crate::node::Localnet;
use crate::process::{bin_path, Proc};
use crate::wait::wait_until;

/// One worker: its home, key address and (when started) its process.
pub struct WorkerNode {
    /// Name (also the home directory's name).
    pub name: String,
    /// `--home` of the worker.
    pub home: PathBuf,
    /// The worker's bls1 address (fund it).
    pub address: String,
    /// Port of its `/metrics`.
    pub metrics_port: u16,
    region: String,
    network: String,
    proc: Option<Proc>,
    starts: u32,
}

impl WorkerNode {
    /// Runs `bls-worker init` in `<dir>/<name>` (a fresh key in the unencrypted `test`
    /// keyring backend, a config pointing nowhere yet).
    pub fn init(dir: &Path, name: &str, region: &str, network: &str) -> anyhow::Result<WorkerNode> {
        let home = dir.join(name);
        let metrics_port = free_port()?;
        let out = Command::new(bin_path("bls-worker")?)
            .args(["init", "--keyring-backend", "test", "--home"])
            .arg(&home)
            .args(["--region", region, "--network", network])
            .args(["--metrics-listen", &format!("127.0.0.1:{metrics_port}")])
            .args(["--max-concurrent-jobs", "2"])
            .output()?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            anyhow::bail!(
                "bls-worker init failed: {stdout}{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let address = stdout
            .lines()
            .find_map(|l| l.strip_prefix("address:"))
            .map(|a| a.trim().to_string())
            .context("init printed no address")?;
        Ok(WorkerNode {
            name: name.to_string(),
            home,
            address,
            metrics_port,
            region: region.to_string(),
            network: network.to_string(),
            proc: None,
            starts: 0,
        })
    }

    /// Points the config at validator `i` of `net` (`init --force` keeps the key) with a
    /// bond of `bond`.
    pub fn configure(&self, net: &Localnet, i: usize, bond: &str) -> anyhow::Result<()> {
        let out = Command::new(bin_path("bls-worker")?)
            .args(["init", "--force", "--home"])
            .arg(&self.home)
            .args(["--region", &self.region, "--network", &self.network])
            .args([
                "--metrics-listen",
                &format!("127.0.0.1:{}", self.metrics_port),
            ])
            .args(["--max-concurrent-jobs", "2"])
            .args(["--rpc-url", &net.validators[i].rpc_url()])
            .args(["--chain-id", &net.chain_id])
            .args(["--bond", bond])
            .output()?;
        if !out.status.success() {
            anyhow::bail!(
                "bls-worker init --force failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(())
    }

    /// Sets `key` of `[section]` in the worker's `config.toml` (after [`WorkerNode::configure`],
    /// which rewrites the file), e.g. `("worker", "http_allowed", true.into())`.
    pub fn set_config(&self, section: &str, key: &str, value: toml::Value) -> anyhow::Result<()> {
        let path = self.home.join("config.toml");
        let mut doc: toml::Table = std::fs::read_to_string(&path)?.parse()?;
        let table = doc
            .entry(section)
            .or_insert_with(|| toml::Value::Table(toml::Table::new()))
            .as_table_mut()
            .with_context(|| format!("[{section}] is not a table"))?;
        table.insert(key.to_string(), value);
        std::fs::write(&path, doc.to_string())?;
        Ok(())
    }

    /// Starts `bls-worker start --register` with `extra` flags (e.g. `--fault wrong-result`).
    /// Each start logs to its own file (`worker-<name>-<n>.log`).
    pub fn start(&mut self, extra: &[&str]) -> anyhow::Result<()> {
        self.spawn(true, extra)
    }

    /// [`WorkerNode::start`] without `--register`: a node whose key is not on chain (unless
    /// registered before).
    pub fn start_unregistered(&mut self, extra: &[&str]) -> anyhow::Result<()> {
        self.spawn(false, extra)
    }

    fn spawn(&mut self, register: bool, extra: &[&str]) -> anyhow::Result<()> {
        self.starts += 1;
        let mut c = Command::new(bin_path("bls-worker")?);
        c.arg("start");
        if register {
            c.arg("--register");
        }
        c.arg("--home")
            .arg(&self.home)
            .args(extra)
            .env("BLS_LOG", "bls_worker=debug,info");
        let log = self
            .home
            .join(format!("worker-{}-{}.log", self.name, self.starts));
        self.proc = Some(Proc::spawn(&self.name, c, &log)?);
        Ok(())
    }

    /// SIGTERM, then waits up to `timeout` (SIGKILL after).
    pub fn stop(&mut self, timeout: Duration) {
        if let Some(mut p) = self.proc.take() {
            p.terminate(timeout);
        }
    }

    /// SIGTERM without blocking: a background thread waits up to `timeout` for the exit
    /// (SIGKILL after). Await the handle to know the process is gone.
    pub fn stop_in_background(&mut self, timeout: Duration) -> tokio::task::JoinHandle<()> {
        let proc = self.proc.take();
        tokio::task::spawn_blocking(move || {
            if let Some(mut p) = proc {
                p.terminate(timeout);
            }
        })
    }

    /// SIGKILL.
    pub fn kill(&mut self) {
        if let Some(mut p) = self.proc.take() {
            p.kill();
        }
    }

    /// True while the process runs.
    pub fn is_running(&mut self) -> bool {
        self.proc.as_mut().is_some_and(|p| p.is_running())
    }

    /// The last `n` lines of the current process's log.
    pub fn tail(&self, n: usize) -> String {
        self.proc
            .as_ref()
            .map(|p| p.tail(n))
            .unwrap_or_else(|| "(not running)".into())
    }

    /// Every log of this worker so far, concatenated.
    pub fn all_logs(&self) -> String {
        (1..=self.starts)
            .map(|n| {
                let p = self.home.join(format!("worker-{}-{n}.log", self.name));
                std::fs::read_to_string(p).unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The `/metrics` text.
    pub async fn metrics(&self) -> anyhow::Result<String> {
        let url = format!("http://127.0.0.1:{}/metrics", self.metrics_port);
        Ok(reqwest::get(url).await?.text().await?)
    }

    /// Value of one sample line of `/metrics` (`name` including labels), if present.
    pub async fn metric(&self, name: &str) -> anyhow::Result<Option<f64>> {
        let url = format!("http://127.0.0.1:{}/metrics", self.metrics_port);
        crate::net::scrape_metric(&url, name).await
    }

    /// Waits (up to `timeout`) until the sample `name` reads at least `min`; the error carries
    /// the worker's log tail.
    pub async fn wait_metric(&self, name: &str, min: f64, timeout: Duration) -> anyhow::Result<()> {
        let what = format!("{}: {name} >= {min}", self.name);
        let r = wait_until(&what, timeout, || async {
            Ok(self
                .metric(name)
                .await
                .ok()
                .flatten()
                .filter(|v| *v >= min)
                .map(|_| ()))
        })
        .await;
        r.with_context(|| self.tail(40))
    }
}

/// Genesis sections for worker tests: small bonds, short windows, no liveness jailing
/// (so only what a test provokes happens). `commit_window`/`reveal_window` in blocks.
pub fn worker_app_state(commit_window: u64, reveal_window: u64) -> Vec<(String, Value)> {
    vec![
        (
            "registry".into(),
            json!({"params": {
                "min_worker_bond": "1000000",
                "signed_jobs_window": 100,
                "min_answered_per_window": 0,
                "jail_blocks": 1000,
            }}),
        ),
        (
            "orchestration".into(),
            json!({"params": {
                "commit_window": commit_window,
                "reveal_window": reveal_window,
                "max_retries": 2,
                "subnetwork_size": 5,
                "dissent_jail_blocks": 1000,
            }}),
        ),
    ]
}

/// Bond each test worker registers with (ubls).
pub const TEST_BOND: u128 = 5_000_000;
/// Funds each test worker starts with (ubls).
pub const TEST_WORKER_FUNDS: u128 = 10_000_000_000;

/// Repository root (tests/..).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(".."))
}

/// Path of a guest function built by `scripts/build-contracts` (built once per process,
/// under a file lock shared with the worker crate's tests).
pub fn wasm_path(name: &str) -> anyhow::Result<PathBuf> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let dir = BUILT
        .get_or_init(|| {
            let root = repo_root();
            let target = root.join("contracts/target");
            std::fs::create_dir_all(&target).map_err(|e| e.to_string())?;
            let lock =
                std::fs::File::create(target.join(".build.lock")).map_err(|e| e.to_string())?;
            lock.lock().map_err(|e| e.to_string())?;
            let status = Command::new(root.join("scripts/build-contracts"))
                .arg("--quiet")
                .env_remove("CARGO_TARGET_DIR")
                .env_remove("CARGO_BUILD_TARGET")
                .env_remove("RUSTFLAGS")
                .env_remove("CARGO_ENCODED_RUSTFLAGS")
                .env_remove("CARGO_BUILD_RUSTFLAGS")
                .status()
                .map_err(|e| e.to_string())?;
            if !status.success() {
                return Err("scripts/build-contracts failed".into());
            }
            Ok(target.join("wasm32-wasip1/release"))
        })
        .clone()
        .map_err(|e| anyhow::anyhow!(e))?;
    let p = dir.join(format!("{name}.wasm"));
    anyhow::ensure!(p.exists(), "{} missing after build", p.display());
    Ok(p)
}

/// Signs, sends and waits for a tx from `key`; fails unless it succeeded.
pub async fn send(
    rpc: &RpcClient,
    key: &KeyPair,
    msgs: Vec<cosmos_sdk_proto::Any>,
) -> anyhow::Result<TxResult> {
    let r = send_tx(rpc, key, msgs, &TxOptions::default()).await?;
    Ok(check_result(r)?)
}

/// First value of `key` in the first event of type `kind` of a tx result.
pub fn event_attr(r: &TxResult, kind: &str, key: &str) -> anyhow::Result<String> {
    r.event_attr(kind, key)
        .map(str::to_string)
        .with_context(|| format!("no {kind}.{key} in tx events: {:?}", r.events))
}

/// Deploys `wasm` with `manifest_json`, replication `n`, quorum `m`; returns the function id.
pub async fn deploy(
    rpc: &RpcClient,
    owner: &KeyPair,
    wasm: &[u8],
    manifest_json: &str,
    n: u32,
    m: u32,
) -> anyhow::Result<u64> {
    let msg = MsgDeployFunction {
        owner: owner.address().to_string(),
        wasm: wasm.to_vec(),
        code_hash: Vec::new(),
        source_uris: Vec::new(),
        manifest_json: manifest_json.to_string(),
        replication: n,
        quorum: m,
        code_size: 0,
    };
    let r = send(rpc, owner, vec![encode_any(&msg, MSG_DEPLOY_FUNCTION)]).await?;
    let id: u64 = event_attr(&r, "bls.function_deployed", "function_id")?.parse()?;
    // The subnetwork is placed in the next block's begin block: wait for it (or, with no
    // eligible worker to place, for the block after that).
    wait_until(
        &format!("function {id}'s placement"),
        Duration::from_secs(30),
        || async {
            let f = bls_client::orchestration::function(rpc, id).await?;
            let height = rpc.status().await?.latest_block_height;
            Ok((f.subnetwork.is_some() || height >= r.height + 2).then_some(()))
        },
    )
    .await?;
    Ok(id)
}

/// An invocation's job id, its first-round workers (assigned in the block after the invoke)
/// and the tx fee paid for the invoke.
pub struct Invoked {
    /// Job id.
    pub job_id: u64,
    /// Workers assigned in round 0.
    pub workers: Vec<String>,
    /// Fee (ubls) of the invoke transaction itself.
    pub tx_fee: u128,
    /// Inclusion height.
    pub height: u64,
}

/// Invokes `function_id` with `input` and `max_fee` ubls.
pub async fn invoke(
    rpc: &RpcClient,
    invoker: &KeyPair,
    function_id: u64,
    input: &[u8],
    max_fee: u128,
) -> anyhow::Result<Invoked> {
    let msg = MsgInvoke {
        invoker: invoker.address().to_string(),
        function_id,
        input: input.to_vec(),
        args: Vec::new(),
        max_fee: Some(ProtoCoin::ubls(max_fee)),
        version: 0,
    };
    let r = send(rpc, invoker, vec![encode_any(&msg, MSG_INVOKE)]).await?;
    let job_id = event_attr(&r, "bls.job_queued", "job_id")?.parse()?;
    // Workers are drawn in the next block's begin block, with its beacon randomness.
    let job =
        bls_client::orchestration::wait_assigned(rpc, job_id, Duration::from_secs(30)).await?;
    let workers = job
        .assignments
        .iter()
        .map(|a| a.worker.to_string())
        .collect();
    let tx_fee = parse_ubls(&event_attr(&r, "tx", "fee")?)?;
    Ok(Invoked {
        job_id,
        workers,
        tx_fee,
        height: r.height,
    })
}

/// `123ubls` → 123 (empty → 0).
pub fn parse_ubls(s: &str) -> anyhow::Result<u128> {
    if s.is_empty() {
        return Ok(0);
    }
    let n = s
        .strip_suffix("ubls")
        .with_context(|| format!("not a ubls amount: {s:?}"))?;
    Ok(n.parse()?)
}

/// The job record.
pub async fn job(rpc: &RpcClient, id: u64) -> anyhow::Result<Job> {
    let r: JobResponse = rpc
        .query_json("/bls.orchestration.v1.Query/Job", &IdRequest { id })
        .await?;
    Ok(r.job)
}

/// The finalized result of a job, if any.
pub async fn result(rpc: &RpcClient, job_id: u64) -> anyhow::Result<Option<JobResult>> {
    match rpc
        .query_json::<_, ResultResponse>(
            "/bls.orchestration.v1.Query/Result",
            &ResultRequest { job_id },
        )
        .await
    {
        Ok(r) => Ok(Some(r.result)),
        Err(e) if e.abci_code().is_some() => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Waits until job `id` is finalized and settled (paid, slashed, escrow released: the chain
/// settles in end block after finality, once every committer revealed or the reveal window
/// closed), so balances and the result's paid `workers` are final; fails as soon as the job
/// failed.
pub async fn wait_finalized(
    rpc: &RpcClient,
    id: u64,
    timeout: Duration,
) -> anyhow::Result<JobResult> {
    wait_until(
        &format!("job {id} to finalize and settle"),
        timeout,
        || async move {
            let j = job(rpc, id).await?;
            match j.status.as_str() {
                "finalized" if !j.settling => Ok(result(rpc, id).await?.map(Ok)),
                "failed" => Ok(Some(Err(anyhow::anyhow!("job {id} failed: {}", j.failure)))),
                _ => Ok(None),
            }
        },
    )
    .await?
}

/// Waits until every address in `workers` is a registered worker.
pub async fn wait_registered(
    rpc: &RpcClient,
    workers: &[&str],
    timeout: Duration,
) -> anyhow::Result<()> {
    for w in workers {
        wait_until(&format!("worker {w} to register"), timeout, || async move {
            let r: Result<Value, _> = rpc
                .query_json("/bls.registry.v1.Query/Worker", &json!({ "id": w }))
                .await;
            Ok(r.ok().map(|_| ()))
        })
        .await?;
    }
    Ok(())
}

/// The registry's record of worker `id` (JSON: `worker`, `liveness`).
pub async fn worker_record(rpc: &RpcClient, id: &str) -> anyhow::Result<Value> {
    Ok(rpc
        .query_json("/bls.registry.v1.Query/Worker", &json!({ "id": id }))
        .await?)
}

/// Runs a protobuf query at the latest height; returns the answer and that height.
async fn query_latest<Req: Message, Resp: Message + Default>(
    rpc: &RpcClient,
    path: &str,
    req: &Req,
) -> anyhow::Result<(Resp, u64)> {
    use tendermint_rpc::Client as _;
    let r = rpc
        .http()
        .abci_query(Some(path.to_string()), req.encode_to_vec(), None, false)
        .await?;
    anyhow::ensure!(r.code.is_ok(), "query {path}: {}", r.log);
    Ok((Resp::decode(r.value.as_slice())?, r.height.value()))
}

/// `ubls` balance of `addr` now, and the height it was read at.
pub async fn balance_now(rpc: &RpcClient, addr: &str) -> anyhow::Result<(u128, u64)> {
    let (r, h): (QueryBalanceResponse, u64) = query_latest(
        rpc,
        "/cosmos.bank.v1beta1.Query/Balance",
        &QueryBalanceRequest {
            address: addr.to_string(),
            denom: "ubls".into(),
        },
    )
    .await?;
    Ok((
        r.balance
            .map(|c| c.amount.parse())
            .transpose()?
            .unwrap_or(0),
        h,
    ))
}

/// Total `ubls` supply now, and the height it was read at.
pub async fn supply_now(rpc: &RpcClient) -> anyhow::Result<(u128, u64)> {
    let (r, h): (QuerySupplyOfResponse, u64) = query_latest(
        rpc,
        "/cosmos.bank.v1beta1.Query/SupplyOf",
        &QuerySupplyOfRequest {
            denom: "ubls".into(),
        },
    )
    .await?;
    Ok((
        r.amount.map(|c| c.amount.parse()).transpose()?.unwrap_or(0),
        h,
    ))
}

/// `block_results` of `height`, waiting briefly while the node has not stored them yet (the
/// newest block's results can lag its state by a moment).
pub async fn block_results(
    rpc: &RpcClient,
    height: u64,
) -> anyhow::Result<bls_client::rpc::BlockResults> {
    wait_until(
        &format!("results of block {height}"),
        Duration::from_secs(10),
        || async move { Ok(Some(rpc.block_results(height).await?)) },
    )
    .await
}

/// Every event (successful txs and finalize-block) of blocks `from..=to`, with its height.
pub async fn events_between(
    rpc: &RpcClient,
    from: u64,
    to: u64,
) -> anyhow::Result<Vec<(u64, TxEvent)>> {
    let mut out = Vec::new();
    for h in from.max(1)..=to {
        let r = block_results(rpc, h).await?;
        for t in r.txs.iter().filter(|t| t.is_ok()) {
            out.extend(t.events.iter().cloned().map(|e| (h, e)));
        }
        out.extend(r.finalize_block_events.into_iter().map(|e| (h, e)));
    }
    Ok(out)
}

/// Fees (ubls) paid by `payer` in blocks `from..=to` (from the ante handler's `tx` events,
/// failed txs included: they pay too).
pub async fn fees_paid(rpc: &RpcClient, payer: &str, from: u64, to: u64) -> anyhow::Result<u128> {
    let mut total = 0u128;
    for h in from.max(1)..=to {
        let r = block_results(rpc, h).await?;
        for t in &r.txs {
            let fee = t.events.iter().filter(|e| e.kind == "tx").find_map(|e| {
                (e.attr("fee_payer") == Some(payer))
                    .then(|| e.attr("fee").unwrap_or("").to_string())
            });
            if let Some(fee) = fee {
                total += parse_ubls(&fee)?;
            }
        }
    }
    Ok(total)
}

/// Count of `bls.job_committed` events for (`job_id`, `worker`) in `events`.
pub fn commits_by(events: &[(u64, TxEvent)], job_id: u64, worker: &str) -> usize {
    let id = job_id.to_string();
    events
        .iter()
        .filter(|(_, e)| {
            e.kind == "bls.job_committed"
                && e.attr("job_id") == Some(id.as_str())
                && e.attr("worker") == Some(worker)
        })
        .count()
}

/// The chain's invocation fee split (fees module).
pub async fn invocation_split(rpc: &RpcClient) -> anyhow::Result<bls_fees::state::Split> {
    let r: bls_fees::queries::SplitResponse = rpc
        .query_json("/bls.fees.v1.Query/InvocationSplit", &json!({}))
        .await?;
    Ok(r.split)
}

/// The address of a module account, as its module declares it.
pub fn module_address(account: bls_core::ModuleAccount) -> String {
    account.address().to_string()
}

/// A chain plus configured (not yet started) workers and a funded invoker.
pub struct WorkerNet {
    /// Workers in creation order (region `r<i>`, network `AS<i>`).
    pub workers: Vec<WorkerNode>,
    /// The funded developer/invoker key.
    pub invoker: KeyPair,
    /// RPC client of validator 0.
    pub rpc: RpcClient,
    /// The chain (dropped before `dir`: fields drop in order).
    pub net: Localnet,
    /// Holds the worker homes.
    pub dir: tempfile::TempDir,
}

/// Funds of the invoker (ubls).
pub const INVOKER_FUNDS: u128 = 1_000_000_000_000;

impl WorkerNet {
    /// Inits `count` workers, starts a one-validator chain funding them and an invoker with
    /// windows of `commit_window`/`reveal_window` blocks, and points the workers at it.
    pub async fn start(
        count: usize,
        commit_window: u64,
        reveal_window: u64,
    ) -> anyhow::Result<WorkerNet> {
        WorkerNet::start_with_state(count, worker_app_state(commit_window, reveal_window)).await
    }

    /// [`WorkerNet::start`] with these genesis sections (e.g. [`worker_app_state`] with a
    /// param changed).
    pub async fn start_with_state(
        count: usize,
        app_state: Vec<(String, Value)>,
    ) -> anyhow::Result<WorkerNet> {
        let dir = tempfile::Builder::new().prefix("bls-workers-").tempdir()?;
        let mut workers = Vec::new();
        for i in 0..count {
            workers.push(WorkerNode::init(
                dir.path(),
                &format!("w{i}"),
                &format!("r{i}"),
                &format!("AS{}", 64_500 + i),
            )?);
        }
        let (invoker, _) = KeyPair::generate()?;
        let mut accounts: Vec<(String, String)> = workers
            .iter()
            .map(|w| (w.address.clone(), format!("{TEST_WORKER_FUNDS}ubls")))
            .collect();
        accounts.push((
            invoker.address().to_string(),
            format!("{INVOKER_FUNDS}ubls"),
        ));
        let net = Localnet::start(crate::NodeOptions {
            accounts,
            app_state,
            ..Default::default()
        })
        .await?;
        for w in &workers {
            w.configure(&net, 0, &format!("{TEST_BOND}ubls"))?;
        }
        let rpc = RpcClient::new(&net.validators[0].rpc_url())?;
        Ok(WorkerNet {
            workers,
            invoker,
            rpc,
            net,
            dir,
        })
    }

    /// Starts worker `i` with `extra` flags and waits until it is registered.
    pub async fn start_worker(&mut self, i: usize, extra: &[&str]) -> anyhow::Result<()> {
        self.workers[i].start(extra)?;
        let addr = self.workers[i].address.clone();
        let r = wait_registered(&self.rpc, &[&addr], Duration::from_secs(60)).await;
        r.with_context(|| format!("--- worker {i} log ---\n{}", self.workers[i].tail(40)))
    }

    /// A new key (its mnemonic in the `test` keyring at `dir`) funded with `ubls` by the
    /// invoker: an account an outside client (CosmJS, a browser wallet) signs for.
    pub async fn funded_key(
        &self,
        dir: &Path,
        name: &str,
        ubls: u128,
    ) -> anyhow::Result<crate::chain::TestKey> {
        let key = crate::chain::new_key(dir, name)?;
        let addr: bls_core::Address = key.address.parse()?;
        let amount = bls_core::Coins::from_coins([bls_core::Coin::ubls(ubls)])?;
        send(
            &self.rpc,
            &self.invoker,
            vec![bls_client::msgs::bank_send(
                self.invoker.address(),
                &addr,
                &amount,
            )],
        )
        .await?;
        Ok(key)
    }

    /// Logs of every worker (for failure messages).
    pub fn logs(&self) -> String {
        self.workers
            .iter()
            .map(|w| format!("=== {} ===\n{}", w.name, tail_of(&w.all_logs(), 60)))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

fn tail_of(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
