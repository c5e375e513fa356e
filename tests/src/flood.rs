//! Query floods: many clients hammering a node's RPC (`abci_query`) and REST gateway with
//! heavy simulates and module queries while the chain runs. `bls-bench flood` measures the
//! block interval under a flood against the same chain idle; the `chain_query_flood` test
//! checks that the chain keeps committing through one.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use base64::Engine as _;
use bls_client::keys::KeyPair;
use bls_client::msgs::{deploy_function, Deployment};
use bls_client::rpc::RpcClient;
use bls_client::tx::TxBuilder;

use crate::worker::wasm_path;
use crate::{wait_until, Localnet, NodeOptions};

/// Deploy messages in one flooding simulate: each carries the same WASM, which simulate
/// decodes, hashes and validates, so one request costs the node real work.
pub const DEPLOYS_PER_SIMULATE: usize = 12;

/// The simulate a flooding client sends: `DEPLOYS_PER_SIMULATE` deployments of `wasm` by
/// `key` (unsigned, as CosmJS simulates). Valid, so the node runs every message.
pub fn heavy_simulate_tx(
    chain_id: &str,
    key: &KeyPair,
    account_number: u64,
    wasm: &[u8],
) -> anyhow::Result<Vec<u8>> {
    let deployment = Deployment {
        wasm: wasm.to_vec(),
        code_hash: Vec::new(),
        source_uris: Vec::new(),
        manifest_json: "{}".into(),
        replication: 1,
        quorum: 1,
        code_size: 0,
    };
    let msgs = (0..DEPLOYS_PER_SIMULATE).map(|_| deploy_function(key.address(), &deployment));
    Ok(TxBuilder::new(chain_id, account_number, 0)
        .messages(msgs)
        .simulation_bytes(key)?)
}

/// A one-validator chain ready to be flooded: a funded account and the heavy simulate it
/// sends ([`heavy_simulate_tx`] of the `http-get` example), the chain past its first blocks.
pub struct FloodTarget {
    /// The chain (killed on drop).
    pub net: Localnet,
    /// RPC client of its validator.
    pub rpc: RpcClient,
    /// The funded account the simulate is signed for.
    pub key: KeyPair,
    /// The simulate to flood it with.
    pub tx: Vec<u8>,
}

impl FloodTarget {
    /// Starts the chain with `block_time` blocks and builds the simulate.
    pub async fn start(block_time: &str) -> anyhow::Result<FloodTarget> {
        let (key, _) = KeyPair::generate()?;
        let net = Localnet::start(NodeOptions {
            accounts: vec![(key.address().to_string(), "1000000000000ubls".into())],
            block_time: block_time.to_string(),
            ..Default::default()
        })
        .await?;
        let rpc = RpcClient::new(&net.validators[0].rpc_url())?;
        wait_until("height 2", Duration::from_secs(60), || async {
            Ok((rpc.status().await?.latest_block_height >= 2).then_some(()))
        })
        .await?;
        let account = rpc
            .account(key.address())
            .await?
            .context("genesis account")?;
        let wasm = std::fs::read(wasm_path("http-get")?)?;
        let tx = heavy_simulate_tx(&net.chain_id, &key, account.account_number, &wasm)?;
        Ok(FloodTarget { net, rpc, key, tx })
    }

    /// Floods it ([`Flood::start`] against its validator's RPC and REST gateway).
    pub fn flood(&self, rpc_clients: usize, rest_clients: usize) -> anyhow::Result<Flood> {
        let v = &self.net.validators[0];
        Flood::start(
            &v.rpc_url(),
            &v.api_url(),
            self.tx.clone(),
            rpc_clients,
            rest_clients,
        )
    }
}

/// What a flood did.
#[derive(Debug, Clone, Copy, Default)]
pub struct FloodStats {
    /// Requests answered (any answer, errors included).
    pub answered: u64,
    /// Simulates answered with a gas figure.
    pub simulated: u64,
    /// Requests that failed at the transport (refused connection, timeout).
    pub failed: u64,
}

/// A running flood; [`Flood::stop`] ends it and returns what it did.
pub struct Flood {
    stop: Arc<AtomicBool>,
    answered: Arc<AtomicU64>,
    simulated: Arc<AtomicU64>,
    failed: Arc<AtomicU64>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Flood {
    /// Starts `rpc_clients` RPC clients, each sending `tx` to simulate and, every other
    /// request, a module query, and `rest_clients` REST clients simulating `tx`; each client
    /// sends one request at a time, in a loop.
    pub fn start(
        rpc_url: &str,
        api_url: &str,
        tx: Vec<u8>,
        rpc_clients: usize,
        rest_clients: usize,
    ) -> anyhow::Result<Flood> {
        let flood = Flood {
            stop: Arc::default(),
            answered: Arc::default(),
            simulated: Arc::default(),
            failed: Arc::default(),
            tasks: Vec::new(),
        };
        let mut tasks = Vec::new();
        let body = serde_json::json!({
            "tx_bytes": base64::engine::general_purpose::STANDARD.encode(&tx)
        });
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(120))
            .build()?;
        for _ in 0..rpc_clients {
            let rpc = RpcClient::new(rpc_url).context("flood rpc client")?;
            let (stop, answered, simulated, failed) = flood.counters();
            let tx = tx.clone();
            tasks.push(tokio::spawn(async move {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let outcome = if n.is_multiple_of(2) {
                        rpc.abci_query("/cosmos.bank.v1beta1.Query/TotalSupply", Vec::new())
                            .await
                            .map(|_| false)
                    } else {
                        rpc.simulate(tx.clone()).await.map(|_| true)
                    };
                    count(
                        outcome.map_err(anyhow::Error::from),
                        &answered,
                        &simulated,
                        &failed,
                    );
                }
            }));
        }
        for _ in 0..rest_clients {
            let (stop, answered, simulated, failed) = flood.counters();
            let (http, body, url) = (
                http.clone(),
                body.clone(),
                format!("{api_url}/cosmos/tx/v1beta1/simulate"),
            );
            tasks.push(tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let outcome = match http.post(&url).json(&body).send().await {
                        Ok(r) => Ok(r.status().is_success()),
                        Err(e) => Err(anyhow::Error::from(e)),
                    };
                    count(outcome, &answered, &simulated, &failed);
                }
            }));
        }
        Ok(Flood { tasks, ..flood })
    }

    fn counters(
        &self,
    ) -> (
        Arc<AtomicBool>,
        Arc<AtomicU64>,
        Arc<AtomicU64>,
        Arc<AtomicU64>,
    ) {
        (
            self.stop.clone(),
            self.answered.clone(),
            self.simulated.clone(),
            self.failed.clone(),
        )
    }

    /// What the flood has done so far.
    pub fn stats(&self) -> FloodStats {
        FloodStats {
            answered: self.answered.load(Ordering::Relaxed),
            simulated: self.simulated.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
        }
    }

    /// Stops every client (each finishes its request in flight) and returns the totals.
    pub async fn stop(self) -> FloodStats {
        self.stop.store(true, Ordering::Relaxed);
        for t in &self.tasks {
            // A request in flight may take long on a node that serves queries slowly.
            let _ = tokio::time::timeout(Duration::from_secs(120), async {
                while !t.is_finished() {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            })
            .await;
            t.abort();
        }
        self.stats()
    }
}

fn count(
    outcome: anyhow::Result<bool>,
    answered: &AtomicU64,
    simulated: &AtomicU64,
    failed: &AtomicU64,
) {
    match outcome {
        Ok(true) => {
            answered.fetch_add(1, Ordering::Relaxed);
            simulated.fetch_add(1, Ordering::Relaxed);
        }
        Ok(false) => {
            answered.fetch_add(1, Ordering::Relaxed);
        }
        Err(_) => {
            failed.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Block intervals seen over a window: heights polled every 10 ms, each interval the wall
/// time between the first sightings of consecutive heights.
#[derive(Debug, Clone)]
pub struct Intervals {
    /// Every interval seen, in order.
    pub intervals: Vec<Duration>,
}

impl Intervals {
    /// Watches `rpc` for `window` (at least two new heights are needed for one interval).
    pub async fn watch(rpc: &RpcClient, window: Duration) -> anyhow::Result<Intervals> {
        let end = Instant::now() + window;
        let mut last: Option<(u64, Instant)> = None;
        let mut intervals = Vec::new();
        while Instant::now() < end {
            if let Ok(s) = rpc.status().await {
                let h = s.latest_block_height;
                let now = Instant::now();
                match last {
                    Some((lh, _)) if h == lh => {}
                    Some((lh, at)) => {
                        // Several heights at once: spread the time over them.
                        let blocks = u32::try_from(h.saturating_sub(lh))
                            .unwrap_or(u32::MAX)
                            .max(1);
                        let each = now.saturating_duration_since(at) / blocks;
                        intervals.extend(std::iter::repeat_n(each, blocks as usize));
                        last = Some((h, now));
                    }
                    None => last = Some((h, now)),
                }
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        Ok(Intervals { intervals })
    }

    /// Mean interval (`None` with no interval seen).
    pub fn mean(&self) -> Option<Duration> {
        let n = u32::try_from(self.intervals.len())
            .ok()
            .filter(|n| *n > 0)?;
        Some(self.intervals.iter().sum::<Duration>() / n)
    }

    /// The longest interval (`None` with no interval seen).
    pub fn max(&self) -> Option<Duration> {
        self.intervals.iter().max().copied()
    }
}
