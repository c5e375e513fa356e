//! The worker daemon (`bls-worker start`): follows the chain, runs the jobs assigned to
//! this worker in the runtime and posts commits and reveals as transactions.
//!
//! Tasks: a [`follower::Follower`] (websocket "new height" signal → `block_results` for
//! every height in order → assignments), [`jobs::Jobs`] (bounded concurrency; one task per
//! job: fetch, verify, execute, commit, reveal), one [`signer`] task owning the account
//! sequence, and the metrics server. State that must survive a restart (last processed
//! height, commit records) lives in [`store::Store`]; the fast-path answers this worker
//! signed, in [`answers::AnswerStore`].

pub mod answers;
pub mod chain;
pub mod chain_view;
pub mod code;
pub mod fault;
pub mod fit;
pub mod follower;
pub mod jobs;
pub mod peer_id;
pub mod register;
pub mod runner;
pub mod secrets;
pub mod signer;
pub mod store;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use bls_client::keyring::PassphraseSource;
use bls_client::{Decimal, GasPrice, KeyPair, Keyring, RpcClient};
use bls_runtime::{Runtime, RuntimeConfig};
use tokio::sync::watch;

use crate::config::{Config, KeyringSection, KEY_NAME};
use crate::metrics::Metrics;

use fault::Fault;

/// Options of `start` beyond the config file.
#[derive(Debug, Clone, Default)]
pub struct StartOptions {
    /// Register (with the configured bond) unless already registered.
    pub register: bool,
    /// Test-only misbehaviour.
    pub fault: Option<Fault>,
    /// libp2p listen multiaddr (serves work orders and code blobs; published on chain).
    pub p2p_listen: Option<String>,
    /// Serve the head HTTP API (head workers).
    pub head: Option<crate::head::HeadConfig>,
}

/// Loads the worker's key from `<home>/keyring` with the backend and passphrase of
/// `keyring`; never prompts (a daemon has no one to ask).
pub fn load_key(home: &Path, keyring: &KeyringSection) -> anyhow::Result<KeyPair> {
    worker_keyring(home, keyring, false)
        .get(KEY_NAME)
        .with_context(|| {
            format!(
                "loading the worker key from {} (made by `bls-worker init --home {}`)",
                home.join("keyring").display(),
                home.display()
            )
        })
}

/// The worker's keyring, `<home>/keyring`, as `[keyring]` says; `interactive` lets the
/// passphrase be asked on a terminal (`init` only).
pub fn worker_keyring(home: &Path, keyring: &KeyringSection, interactive: bool) -> Keyring {
    let file = (!keyring.passphrase_file.as_os_str().is_empty())
        .then(|| Config::resolve(home, &keyring.passphrase_file));
    let mut passphrase = PassphraseSource::keyring(file);
    if !interactive {
        passphrase = passphrase.non_interactive();
    }
    Keyring::new(home.join("keyring"), keyring.backend, passphrase)
}

/// Runs the daemon until SIGINT/SIGTERM.
pub async fn run(home: &Path, config: Config, opts: StartOptions) -> anyhow::Result<()> {
    let key = load_key(home, &config.keyring)?;
    let me = key.address().clone();
    let rpc = RpcClient::new(&config.chain.rpc_url)?;
    let metrics = Arc::new(Metrics::new());
    if let Some(addr) = config.metrics_addr() {
        let bound = crate::metrics::serve(metrics.clone(), addr)
            .await
            .map_err(|e| {
                if e.kind() == std::io::ErrorKind::AddrInUse {
                    anyhow::anyhow!(
                        "metrics listen address {addr} is already in use (another worker on \
                         this machine?): start with --metrics-listen 127.0.0.1:0 (a free port) \
                         or another IP:PORT, or set [metrics] listen in config.toml (\"\" \
                         disables metrics)"
                    )
                } else {
                    anyhow::Error::new(e).context(format!("metrics listen address {addr}"))
                }
            })?;
        tracing::info!(%bound, "serving /metrics");
    }
    let mut signals = Signals::new()?;

    let Some(status) = wait_for_node(&rpc, &mut signals).await else {
        return Ok(());
    };
    let chain_id = if config.chain.chain_id.is_empty() {
        status.chain_id.clone()
    } else {
        config.chain.chain_id.clone()
    };
    tracing::info!(worker = %me, chain_id, height = status.latest_block_height, "connected");

    let tx_chain_id = chain_id.clone();
    let gas_price = config
        .chain
        .gas_price
        .parse::<GasPrice>()
        .with_context(|| format!("chain.gas_price {:?}", config.chain.gas_price))?;
    let gas_adjustment = config
        .chain
        .gas_adjustment
        .parse::<Decimal>()
        .with_context(|| format!("chain.gas_adjustment {:?}", config.chain.gas_adjustment))?;
    let sender = signer::TxSender::new(
        rpc.clone(),
        key.clone(),
        chain_id,
        gas_price,
        gas_adjustment,
    );
    let (signer, signer_task) =
        signer::spawn(sender, config.chain.max_msgs_per_tx, metrics.clone());
    let chain = chain::Chain::new(rpc.clone());

    let peers = Arc::new(crate::p2p::peers::PeerBook::new(chain.clone()));
    let p2p = match &opts.p2p_listen {
        Some(listen) => {
            let kp = crate::p2p::identity::keypair(&key)?;
            let addr = listen
                .parse()
                .with_context(|| format!("--p2p-listen {listen:?}"))?;
            let (handle, incoming, bound) =
                crate::p2p::node::start(kp, addr, peers.clone()).await?;
            tracing::info!(%bound, peer = %handle.peer_id, "p2p listening");
            Some((handle, incoming, bound))
        }
        None => None,
    };
    let multiaddrs: Vec<String> = p2p.iter().map(|(_, _, b)| b.to_string()).collect();
    if opts.register {
        tokio::select! {
            r = register::ensure_registered(&chain, &signer, &key, &config, multiaddrs) => { r?; }
            _ = signals.recv() => return Ok(()),
        }
    }
    // Not fatal: a worker without a key still runs functions without secrets.
    if let Err(e) = register::ensure_encryption_key(&chain, &signer, &key).await {
        tracing::warn!(error = %e, "could not register the encryption key; will not hold secrets");
    }
    let secrets = Arc::new(secrets::WorkerSecrets::new(
        &key,
        tx_chain_id.clone(),
        chain.clone(),
        signer.clone(),
        metrics.clone(),
    ));

    let code_dir = Config::resolve(home, &config.runtime.code_cache_dir);
    let mut http = config
        .http
        .runtime_config()
        .map_err(|e| anyhow::anyhow!("[http]: {e}"))?;
    http.enabled = config.worker.http_allowed;
    if !http.allow_private.is_empty() {
        tracing::warn!(
            allow_private = ?http.allow_private,
            "functions' HTTP may reach these private destinations ([http] allow_private)"
        );
    }
    let runtime = Arc::new(Runtime::new(RuntimeConfig {
        cache_dir: Some(code_dir.join("compiled")),
        disk_cache_max_bytes: config.runtime.code_cache_max_mb.saturating_mul(1 << 20),
        max_concurrent_jobs: config.worker.max_concurrent_jobs,
        max_memory_bytes: config.worker.memory_mb.saturating_mul(1 << 20),
        http,
        ..RuntimeConfig::default()
    })?);
    let runner = runner::Runner::new(runtime, metrics.clone(), opts.fault);
    let store = store::Store::open(&home.join("data"))?;
    let ipfs = config
        .ipfs
        .client()
        .map_err(|e| anyhow::anyhow!("[ipfs] api_url: {e}"))?;
    if let Some(c) = &ipfs {
        match c.version().await {
            Ok(v) => tracing::info!(url = c.url(), version = %v, "IPFS node reachable"),
            // Not fatal: code on chain needs no IPFS, and peers can serve code on IPFS.
            Err(e) => {
                tracing::warn!(error = %e, "IPFS node not reachable; code deployed through IPFS will come from peers only until it is")
            }
        }
    }
    let code = code::CodeStore::new(
        code_dir,
        config.runtime.code_cache_max_mb.saturating_mul(1 << 20),
        chain.clone(),
        ipfs,
        std::time::Duration::from_secs(config.ipfs.timeout_secs.max(1)),
    )?;
    let data_dir: Option<PathBuf> = (!config.runtime.data_dir.as_os_str().is_empty())
        .then(|| Config::resolve(home, &config.runtime.data_dir));

    let mut head_challenges = None;
    let mut fetcher = None;
    if let Some((handle, incoming, _)) = p2p {
        let code_fetcher = Arc::new(crate::p2p::code_fetch::CodeFetcher::new(
            runner.clone(),
            code.clone(),
            handle.clone(),
            peers.clone(),
            metrics.clone(),
        ));
        fetcher = Some(code_fetcher.clone());
        let exec = Arc::new(crate::p2p::executor::Executor {
            chain: chain.clone(),
            chain_id: tx_chain_id.clone(),
            key: key.clone(),
            caps: fit::capabilities(&config.worker),
            code: code_fetcher,
            runner: runner.clone(),
            answers: answers::AnswerStore::open_with_limits(
                &home.join("data").join(answers::ANSWERS_DIR),
                config.fastpath.limits(),
            )?,
            requests: Default::default(),
            p2p: handle,
            peers,
            metrics: metrics.clone(),
            fault: opts.fault,
            secrets: secrets.clone(),
        });
        tokio::spawn(crate::p2p::serve::serve(exec.clone(), incoming));
        tokio::spawn(crate::p2p::discovery::run(exec.clone()));
        if let Some(cfg) = opts.head.clone() {
            let started = crate::head::start(exec, signer.clone(), cfg).await?;
            tracing::info!(bound = %started.bound, "head API listening");
            head_challenges = Some(started.challenges);
        }
    } else if opts.head.is_some() {
        anyhow::bail!("the head API needs --p2p-listen");
    }
    let (heights_tx, heights_rx) = watch::channel(0u64);
    let (stop_tx, stop_rx) = watch::channel(false);
    let reseal_task = tokio::spawn(reseal_loop(secrets.clone(), heights_rx.clone()));
    let jobs = jobs::Jobs::new(jobs::JobsConfig {
        chain: chain.clone(),
        runner,
        code,
        fetcher,
        signer: signer.clone(),
        store: store.clone(),
        me: me.clone(),
        fault: opts.fault,
        metrics: metrics.clone(),
        data_dir,
        max_concurrent: usize::try_from(config.worker.max_concurrent_jobs).unwrap_or(1),
        heights: heights_rx,
        stopping: stop_rx.clone(),
        caps: fit::capabilities(&config.worker),
        max_tx_bytes: config.chain.max_tx_bytes,
        secrets,
    });
    let follower = follower::Follower {
        rpc: rpc.clone(),
        ws_url: config.websocket_url(),
        store,
        jobs: jobs.clone(),
        metrics: metrics.clone(),
        me: me.to_string(),
        heights: heights_tx,
        shutdown: stop_rx,
        head_challenges,
    };
    let follower_task = tokio::spawn(follower.run(status.latest_block_height));
    let resume_task = tokio::spawn({
        let jobs = jobs.clone();
        async move { jobs.resume().await }
    });

    signals.recv().await;
    tracing::info!("shutting down: no new jobs; revealing committed ones");
    let _ = stop_tx.send(true);
    resume_task.abort();
    reseal_task.abort();
    let grace = Duration::from_secs(config.worker.shutdown_grace_secs);
    jobs.drain(grace).await;
    let _ = tokio::time::timeout(Duration::from_secs(2), follower_task).await;
    drop(signer);
    drop(jobs);
    let _ = tokio::time::timeout(Duration::from_secs(2), signer_task).await;
    tracing::info!("stopped");
    Ok(())
}

/// Re-seals secrets to members waiting for them, at most once per new height and once a
/// second ([`secrets::WorkerSecrets::reseal_pending`]).
async fn reseal_loop(secrets: Arc<secrets::WorkerSecrets>, mut heights: watch::Receiver<u64>) {
    loop {
        if heights.changed().await.is_err() {
            return;
        }
        let tip = *heights.borrow_and_update();
        secrets.reseal_pending(tip).await;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Waits until the node answers `status` (it may start after the worker). `None` when
/// a signal arrived first.
async fn wait_for_node(
    rpc: &RpcClient,
    signals: &mut Signals,
) -> Option<bls_client::rpc::NodeStatus> {
    let mut backoff = Duration::from_millis(250);
    loop {
        match rpc.status().await {
            Ok(s) => return Some(s),
            Err(e) => tracing::warn!(error = %e, "node not reachable yet"),
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = signals.recv() => return None,
        }
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

/// SIGINT and SIGTERM.
struct Signals {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> anyhow::Result<Signals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Signals {
            int: signal(SignalKind::interrupt()).context("installing SIGINT handler")?,
            term: signal(SignalKind::terminate()).context("installing SIGTERM handler")?,
        })
    }

    async fn recv(&mut self) {
        tokio::select! {
            _ = self.int.recv() => {}
            _ = self.term.recv() => {}
        }
    }
}
