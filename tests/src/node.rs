//! A local chain: `n` validators, each a `blsd` + `cometbft` pair on free loopback ports,
//! sharing one genesis.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::Context as _;
use serde_json::{json, Value};

use crate::net::free_port;
use crate::process::{bin_path, cometbft_bin, Proc};
use crate::wait::wait_until;

/// How to set up the chain.
#[derive(Clone, Debug)]
pub struct NodeOptions {
    /// Number of nodes (each a `blsd` + `cometbft` pair).
    pub validators: usize,
    /// How many of the first nodes are CometBFT genesis validators (power 10 each); the rest
    /// start as full nodes, e.g. to become validators later by a staking tx with their own
    /// consensus key. `None`: every node.
    pub genesis_validators: Option<usize>,
    /// Funded genesis accounts: (bls1 address, coins like `1000000ubls`).
    pub accounts: Vec<(String, String)>,
    /// CometBFT `timeout_commit`.
    pub block_time: String,
    /// Extra `app_state` sections merged over the devnet template (module name → JSON).
    pub app_state: Vec<(String, Value)>,
    /// The chain's first height (`None`: 1), e.g. an exported genesis's `initial_height`.
    pub initial_height: Option<u64>,
    /// How many of the last nodes are set up (genesis, peers) but not started: a test starts
    /// them later with [`Localnet::start_validator`], e.g. to join by state sync.
    pub held_back: usize,
    /// Keys set in every node's `app.toml` before it starts: (key, TOML value), e.g.
    /// `("pruning", "\"everything\"")`.
    pub app_toml: Vec<(String, String)>,
    /// Applied to the genesis document last, e.g. to add thousands of balances at once.
    pub genesis_patch: Option<fn(&mut Value)>,
    /// Makes the genesis validators staking validators, through `blsd genesis gentx` and
    /// `collect-gentxs`: each gets an operator key (named `node{i}` in
    /// [`crate::chain::keyring_dir`], listed in [`Localnet::operators`]) funded with 1000 BLS
    /// and a 10 BLS self-bond at its node's consensus key, so stake-weighted rules
    /// (governance) see them.
    pub staked: bool,
}

impl Default for NodeOptions {
    fn default() -> Self {
        Self {
            validators: 1,
            genesis_validators: None,
            accounts: Vec::new(),
            // `BLS_TEST_BLOCK_TIME` runs the suite at another block interval (e.g. CometBFT's
            // test value, 10ms) without touching the tests.
            block_time: std::env::var("BLS_TEST_BLOCK_TIME").unwrap_or_else(|_| "200ms".into()),
            app_state: Vec::new(),
            initial_height: None,
            held_back: 0,
            app_toml: Vec::new(),
            genesis_patch: None,
            staked: false,
        }
    }
}

/// One validator's processes and ports.
pub struct Validator {
    /// Node home (`blsd` home; CometBFT's is `<home>/cometbft`).
    pub home: PathBuf,
    /// CometBFT RPC port.
    pub rpc_port: u16,
    /// CometBFT P2P port.
    pub p2p_port: u16,
    /// ABCI port.
    pub abci_port: u16,
    /// REST/metrics port.
    pub api_port: u16,
    /// The `blsd start` process.
    pub blsd: Option<Proc>,
    /// The `cometbft start` process.
    pub cometbft: Option<Proc>,
}

impl Validator {
    /// CometBFT RPC URL.
    pub fn rpc_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.rpc_port)
    }
    /// REST gateway URL.
    pub fn api_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.api_port)
    }
}

/// A running local chain; everything is killed and the temp dir removed on drop.
pub struct Localnet {
    /// The validators.
    pub validators: Vec<Validator>,
    /// Chain id.
    pub chain_id: String,
    /// HTTP client for RPC calls.
    pub http: reqwest::Client,
    /// Operator keys of the staking validators ([`NodeOptions::staked`]), by node.
    pub operators: Vec<crate::chain::TestKey>,
    dir: Option<tempfile::TempDir>,
}

fn run(cmd: &mut Command) -> anyhow::Result<String> {
    let out = cmd.output().with_context(|| format!("run {cmd:?}"))?;
    if !out.status.success() {
        anyhow::bail!(
            "{cmd:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

impl Localnet {
    /// Initializes and starts the chain, returning once every node has committed block 1.
    pub async fn start(opts: NodeOptions) -> anyhow::Result<Localnet> {
        let dir = tempfile::Builder::new().prefix("bls-localnet-").tempdir()?;
        let blsd = bin_path("blsd")?;
        let cometbft = cometbft_bin()?;
        let chain_id = format!("bls-test-{}", std::process::id());
        let mut validators = Vec::new();
        for i in 0..opts.validators.max(1) {
            let home = dir.path().join(format!("node{i}"));
            let v = Validator {
                home,
                rpc_port: free_port()?,
                p2p_port: free_port()?,
                abci_port: free_port()?,
                api_port: free_port()?,
                blsd: None,
                cometbft: None,
            };
            run(Command::new(&blsd)
                .arg("init")
                .arg("--home")
                .arg(&v.home)
                .args(["--chain-id", &chain_id, "--moniker", &format!("node{i}")])
                .args(["--block-time", &opts.block_time])
                .args(["--rpc-port", &v.rpc_port.to_string()])
                .args(["--p2p-port", &v.p2p_port.to_string()])
                .args(["--abci-port", &v.abci_port.to_string()])
                .args(["--api-port", &v.api_port.to_string()])
                .env("COMETBFT_BIN", &cometbft))?;
            validators.push(v);
        }
        // Genesis of node0, extended with accounts, sections and every validator.
        let g0 = validators[0].home.join("cometbft/config/genesis.json");
        for (addr, coins) in &opts.accounts {
            run(Command::new(&blsd)
                .args(["genesis", "add-account", addr, coins, "--home"])
                .arg(&validators[0].home))?;
        }
        let genesis_validators = opts
            .genesis_validators
            .unwrap_or(validators.len())
            .clamp(1, validators.len());
        let mut operators = Vec::new();
        if opts.staked {
            // The Cosmos way: each validator signs a gentx, node0's genesis collects them.
            let keyring = dir.path().join("keyring");
            let gentx_dir = dir.path().join("gentx");
            for (i, v) in validators.iter().enumerate().take(genesis_validators) {
                let op = crate::chain::new_key(&keyring, &format!("node{i}"))?;
                run(Command::new(&blsd)
                    .args([
                        "genesis",
                        "add-account",
                        &op.address,
                        "1000000000ubls",
                        "--home",
                    ])
                    .arg(&validators[0].home))?;
                let key: Value = serde_json::from_slice(&std::fs::read(
                    v.home.join("cometbft/config/priv_validator_key.json"),
                )?)?;
                let pubkey = key["pub_key"]["value"].as_str().unwrap_or_default();
                let out = gentx_dir.join(format!("gentx-{i}.json"));
                let mut c = Command::new(&blsd);
                c.args(["genesis", "gentx", &op.name, "10000000ubls", "--moniker"])
                    .arg(format!("node{i}"))
                    .args(["--pubkey", pubkey, "--output-document"])
                    .arg(&out)
                    .arg("--home")
                    .arg(&validators[0].home)
                    .arg("--keyring-dir")
                    .arg(&keyring);
                crate::process::test_keyring(&mut c);
                run(&mut c)?;
                operators.push(op);
            }
            run(Command::new(&blsd)
                .args(["genesis", "collect-gentxs", "--gentx-dir"])
                .arg(&gentx_dir)
                .arg("--home")
                .arg(&validators[0].home))?;
        }
        let mut genesis: Value = serde_json::from_slice(&std::fs::read(&g0)?)?;
        for (module, section) in &opts.app_state {
            genesis["app_state"][module] = section.clone();
        }
        if let Some(h) = opts.initial_height {
            genesis["initial_height"] = Value::String(h.to_string());
        }
        // The merged sections may change the unbonding period: refit CometBFT's evidence
        // window to it, as `blsd init` does for its template.
        let block_time = bls_client::cli::units::parse_duration(&opts.block_time)
            .map_err(|e| anyhow::anyhow!("block_time: {e}"))?;
        bls_app::cli::genesis_doc::fit_evidence_window(&mut genesis, block_time)?;
        let mut vals = Vec::new();
        let mut peers = Vec::new();
        for (i, v) in validators.iter().enumerate() {
            if i < genesis_validators {
                let key: Value = serde_json::from_slice(&std::fs::read(
                    v.home.join("cometbft/config/priv_validator_key.json"),
                )?)?;
                vals.push(json!({
                    "address": key["address"],
                    "pub_key": key["pub_key"],
                    "power": "10",
                    "name": format!("node{i}"),
                }));
            }
            let id = run(Command::new(&cometbft)
                .arg("show-node-id")
                .arg("--home")
                .arg(v.home.join("cometbft")))?;
            peers.push(peer_address(&id, v.p2p_port));
        }
        // Staked: InitChain's staking set replaces CometBFT's list (collect-gentxs emptied it).
        if !opts.staked {
            genesis["validators"] = Value::Array(vals);
        }
        if let Some(patch) = opts.genesis_patch {
            patch(&mut genesis);
        }
        let bytes = serde_json::to_vec_pretty(&genesis)?;
        for (i, v) in validators.iter().enumerate() {
            std::fs::write(v.home.join("cometbft/config/genesis.json"), &bytes)?;
            if opts.validators > 1 {
                let others: Vec<&str> = peers
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, p)| p.as_str())
                    .collect();
                let cfg = v.home.join("cometbft/config/config.toml");
                let text = std::fs::read_to_string(&cfg)?;
                let text = bls_app::toml_patch::set_key(
                    &text,
                    Some("p2p"),
                    "persistent_peers",
                    &format!("\"{}\"", others.join(",")),
                );
                std::fs::write(&cfg, text)?;
            }
        }
        let mut net = Localnet {
            validators,
            chain_id,
            http: reqwest::Client::new(),
            operators,
            dir: Some(dir),
        };
        for i in 0..net.validators.len() {
            for (key, value) in &opts.app_toml {
                net.set_app_toml(i, key, value)?;
            }
        }
        let started = net.validators.len().saturating_sub(opts.held_back).max(1);
        for i in 0..started {
            net.start_validator(i)?;
        }
        for i in 0..started {
            net.wait_height(i, 1, Duration::from_secs(60)).await?;
            net.wait_app_height(i, 1, Duration::from_secs(30)).await?;
        }
        Ok(net)
    }

    /// Starts (or restarts) validator `i`'s `blsd` and `cometbft`.
    pub fn start_validator(&mut self, i: usize) -> anyhow::Result<()> {
        self.start_validator_with(i, &bin_path("blsd")?)
    }

    /// [`Localnet::start_validator`] running the `blsd` binary at `blsd` (another release).
    pub fn start_validator_with(&mut self, i: usize, blsd: &Path) -> anyhow::Result<()> {
        let cometbft = cometbft_bin()?;
        let v = &mut self.validators[i];
        let mut c = Command::new(blsd);
        c.arg("start").arg("--home").arg(&v.home);
        v.blsd = Some(Proc::spawn(
            &format!("blsd{i}"),
            c,
            &v.home.join("blsd.log"),
        )?);
        let mut c = Command::new(&cometbft);
        c.arg("start").arg("--home").arg(v.home.join("cometbft"));
        v.cometbft = Some(Proc::spawn(
            &format!("cometbft{i}"),
            c,
            &v.home.join("cometbft.log"),
        )?);
        Ok(())
    }

    /// Stops validator `i` (both processes).
    pub fn stop_validator(&mut self, i: usize) {
        let v = &mut self.validators[i];
        if let Some(mut p) = v.cometbft.take() {
            p.terminate(Duration::from_secs(5));
        }
        if let Some(mut p) = v.blsd.take() {
            p.terminate(Duration::from_secs(5));
        }
    }

    /// Sets `key` to the TOML `value` in node `i`'s `app.toml` (takes effect at its next start).
    pub fn set_app_toml(&self, i: usize, key: &str, value: &str) -> anyhow::Result<()> {
        let path = self.validators[i].home.join("config/app.toml");
        let text = std::fs::read_to_string(&path)?;
        std::fs::write(&path, bls_app::toml_patch::set_key(&text, None, key, value))?;
        Ok(())
    }

    /// Sets `key` (in `section`, `None`: top level) to the TOML `value` in node `i`'s CometBFT
    /// `config.toml` (takes effect at its next start).
    pub fn set_cometbft_toml(
        &self,
        i: usize,
        section: Option<&str>,
        key: &str,
        value: &str,
    ) -> anyhow::Result<()> {
        let path = self.validators[i].home.join("cometbft/config/config.toml");
        let text = std::fs::read_to_string(&path)?;
        std::fs::write(
            &path,
            bls_app::toml_patch::set_key(&text, section, key, value),
        )?;
        Ok(())
    }

    /// Value of one sample line of node `i`'s blsd `/metrics` (`name` including labels).
    pub async fn metric(&self, i: usize, name: &str) -> anyhow::Result<Option<f64>> {
        let url = format!("{}/metrics", self.validators[i].api_url());
        crate::net::scrape_metric(&url, name).await
    }

    /// Sets node `joiner` up to join by CometBFT state sync at its next start: trust the block
    /// below `trusted`'s tip (height and hash from its RPC), use `trusted` and `witness` as
    /// light-client servers, and dial only `peers` (short discovery and chunk timeouts).
    pub async fn configure_state_sync(
        &self,
        joiner: usize,
        trusted: usize,
        witness: usize,
        peers: &[usize],
    ) -> anyhow::Result<()> {
        let trust_height = self.height(trusted).await?.saturating_sub(1).max(1);
        let block = self
            .rpc(trusted, &format!("block?height={trust_height}"))
            .await?;
        let trust_hash = block["block_id"]["hash"]
            .as_str()
            .with_context(|| format!("no block hash: {block}"))?
            .to_string();
        let servers = format!(
            "\"{},{}\"",
            self.validators[trusted].rpc_url(),
            self.validators[witness].rpc_url()
        );
        let mut dial = Vec::new();
        for &p in peers {
            dial.push(peer_address(&self.node_id(p)?, self.validators[p].p2p_port));
        }
        self.set_cometbft_toml(
            joiner,
            Some("p2p"),
            "persistent_peers",
            &format!("\"{}\"", dial.join(",")),
        )?;
        let sync = Some("statesync");
        for (key, value) in [
            ("enable", "true".to_string()),
            ("rpc_servers", servers),
            ("trust_height", trust_height.to_string()),
            ("trust_hash", format!("\"{trust_hash}\"")),
            ("trust_period", "\"168h0m0s\"".to_string()),
            ("discovery_time", "\"5s\"".to_string()),
            ("chunk_request_timeout", "\"5s\"".to_string()),
        ] {
            self.set_cometbft_toml(joiner, sync, key, &value)?;
        }
        Ok(())
    }

    /// CometBFT node id of node `i`.
    pub fn node_id(&self, i: usize) -> anyhow::Result<String> {
        run(Command::new(cometbft_bin()?)
            .arg("show-node-id")
            .arg("--home")
            .arg(self.validators[i].home.join("cometbft")))
    }

    /// The temp dir holding every node's home.
    pub fn dir(&self) -> &Path {
        self.dir.as_ref().map_or(Path::new("."), |d| d.path())
    }

    /// Calls a CometBFT RPC method on validator `i` and returns `result`.
    pub async fn rpc(&self, i: usize, path_and_query: &str) -> anyhow::Result<Value> {
        let url = format!("{}/{}", self.validators[i].rpc_url(), path_and_query);
        let v: Value = self.http.get(&url).send().await?.json().await?;
        if let Some(e) = v.get("error") {
            anyhow::bail!("rpc {path_and_query}: {e}");
        }
        Ok(v["result"].clone())
    }

    /// CometBFT's current validator set as seen by validator `i`: (base64 ed25519 pubkey,
    /// voting power) pairs.
    pub async fn cometbft_validators(&self, i: usize) -> anyhow::Result<Vec<(String, String)>> {
        let r = self.rpc(i, "validators?per_page=100").await?;
        Ok(r["validators"]
            .as_array()
            .map(|vals| {
                vals.iter()
                    .map(|v| {
                        (
                            v["pub_key"]["value"]
                                .as_str()
                                .unwrap_or_default()
                                .to_string(),
                            v["voting_power"].as_str().unwrap_or_default().to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Latest committed height of validator `i`.
    pub async fn height(&self, i: usize) -> anyhow::Result<u64> {
        let s = self.rpc(i, "status").await?;
        Ok(s["sync_info"]["latest_block_height"]
            .as_str()
            .unwrap_or("0")
            .parse()?)
    }

    /// Waits until validator `i` has committed `height`.
    pub async fn wait_height(
        &self,
        i: usize,
        height: u64,
        timeout: Duration,
    ) -> anyhow::Result<()> {
        let r = wait_until(
            &format!("node{i} to reach height {height}"),
            timeout,
            || async { Ok((self.height(i).await? >= height).then_some(())) },
        )
        .await;
        if r.is_err() {
            let v = &self.validators[i];
            let tails: Vec<String> = [&v.blsd, &v.cometbft]
                .into_iter()
                .flatten()
                .map(|p| format!("--- {} ---\n{}", p.name, p.tail(30)))
                .collect();
            return r.with_context(|| tails.join("\n"));
        }
        r
    }

    /// Waits until validator `i`'s app has committed `height` (CometBFT's `/status` can show a
    /// height whose Commit has not reached the app yet; `abci_info` asks the app itself).
    pub async fn wait_app_height(
        &self,
        i: usize,
        height: u64,
        timeout: Duration,
    ) -> anyhow::Result<()> {
        wait_until(
            &format!("node{i}'s app to commit height {height}"),
            timeout,
            || async {
                let info = self.rpc(i, "abci_info").await?;
                let h: u64 = info["response"]["last_block_height"]
                    .as_str()
                    .unwrap_or("0")
                    .parse()?;
                Ok((h >= height).then_some(()))
            },
        )
        .await
    }

    /// App hash in the header of block `height + 1` as seen by validator `i` (the state after
    /// `height`), hex uppercase.
    pub async fn app_hash_after(&self, i: usize, height: u64) -> anyhow::Result<String> {
        let b = self.rpc(i, &format!("block?height={}", height + 1)).await?;
        Ok(b["block"]["header"]["app_hash"]
            .as_str()
            .unwrap_or_default()
            .to_string())
    }
}

impl Drop for Localnet {
    fn drop(&mut self) {
        for i in 0..self.validators.len() {
            let v = &mut self.validators[i];
            if let Some(mut p) = v.cometbft.take() {
                p.kill();
            }
            if let Some(mut p) = v.blsd.take() {
                p.kill();
            }
        }
        if std::env::var_os("BLS_KEEP_TEST_DIRS").is_some() {
            if let Some(d) = self.dir.take() {
                eprintln!("keeping {}", d.keep().display());
            }
        }
    }
}

/// A node's address as CometBFT's `persistent_peers` lists it.
fn peer_address(node_id: &str, p2p_port: u16) -> String {
    format!("{node_id}@127.0.0.1:{p2p_port}")
}
