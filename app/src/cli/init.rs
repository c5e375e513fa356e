//! `blsd init`: creates a node home — app config, app state dir, and CometBFT's home (through
//! the installed `cometbft`), with CometBFT's config pointed at this app and genesis set up
//! (the `app_state` template, and an evidence window that fits its unbonding period).

use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Context as _};
use clap::Args;

use crate::cli::genesis_doc::fit_evidence_window;
use crate::config::{Home, DEFAULT_APP_TOML};
use crate::toml_patch::set_key;
use bls_client::cli::units::parse_duration;

/// Create a node home: app.toml, CometBFT config/keys/genesis wired to this app.
#[derive(Debug, Args)]
pub struct InitCmd {
    /// Chain id written into genesis.
    #[arg(long, default_value = "bls-devnet-1")]
    pub chain_id: String,
    /// Node moniker.
    #[arg(long, default_value = "bls-node")]
    pub moniker: String,
    /// Genesis `app_state` template (JSON); default: genesis/devnet.json's built-in copy.
    #[arg(long)]
    pub app_state: Option<PathBuf>,
    /// CometBFT `timeout_commit` (block interval), e.g. 1s, 200ms. Also sets the genesis
    /// evidence window: `max_age_duration` = staking `unbonding_blocks` × this, and
    /// `max_age_num_blocks` = `unbonding_blocks` − 1.
    #[arg(long, default_value = "1s")]
    pub block_time: String,
    /// CometBFT RPC port.
    #[arg(long, default_value_t = 26657)]
    pub rpc_port: u16,
    /// CometBFT P2P port.
    #[arg(long, default_value_t = 26656)]
    pub p2p_port: u16,
    /// ABCI port (blsd listens, CometBFT connects).
    #[arg(long, default_value_t = 26658)]
    pub abci_port: u16,
    /// REST gateway / metrics port (0 disables).
    #[arg(long, default_value_t = 1317)]
    pub api_port: u16,
    /// Replace an existing app.toml and genesis.
    #[arg(long)]
    pub overwrite: bool,
    /// `cometbft` binary to use.
    #[arg(long, env = "COMETBFT_BIN", default_value = "cometbft")]
    pub cometbft: String,
    /// First height whose precommits carry vote extensions (consensus param
    /// `abci.vote_extensions_enable_height`): the randomness beacon that seeds job assignment
    /// and subnetwork placement mixes validators' reveals from the next height on. 0 disables
    /// them; randomness then comes from block hashes, which a proposer can grind.
    #[arg(long, default_value_t = 1)]
    pub vote_extensions_height: u64,
}

/// The devnet genesis template shipped with the binary (genesis/devnet.json).
pub const DEVNET_APP_STATE: &str = include_str!("../../../genesis/devnet.json");

impl InitCmd {
    /// Runs the command.
    pub fn run(self, home: &Home) -> anyhow::Result<()> {
        let block_time =
            parse_duration(&self.block_time).map_err(|e| anyhow::anyhow!("--block-time: {e}"))?;
        let app_toml = home.app_toml();
        if app_toml.exists() && !self.overwrite {
            bail!(
                "{} already exists: this home is initialized (use --overwrite to redo it)",
                app_toml.display()
            );
        }
        std::fs::create_dir_all(app_toml.parent().unwrap_or(&home.0))?;
        std::fs::create_dir_all(home.db().parent().unwrap_or(&home.0))?;
        let mut cfg = DEFAULT_APP_TOML.to_string();
        cfg = set_key(
            &cfg,
            None,
            "abci_listen",
            &quote(&format!("127.0.0.1:{}", self.abci_port)),
        );
        let api = if self.api_port == 0 {
            String::new()
        } else {
            format!("127.0.0.1:{}", self.api_port)
        };
        cfg = set_key(&cfg, None, "api_listen", &quote(&api));
        cfg = set_key(
            &cfg,
            None,
            "cometbft_rpc",
            &quote(&format!("http://127.0.0.1:{}", self.rpc_port)),
        );
        std::fs::write(&app_toml, cfg)?;

        let cmt_home = home.cometbft();
        if self.overwrite {
            let _ = std::fs::remove_file(home.genesis());
        }
        let out = Command::new(&self.cometbft)
            .arg("init")
            .arg("--home")
            .arg(&cmt_home)
            .output()
            .with_context(|| {
                format!(
                    "cannot run `{}`: install CometBFT with scripts/install (go install github.com/cometbft/cometbft/cmd/cometbft@v0.38.25)",
                    self.cometbft
                )
            })?;
        if !out.status.success() {
            bail!(
                "`cometbft init` failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }

        let config_path = home.cometbft_config();
        let mut c = std::fs::read_to_string(&config_path)
            .with_context(|| format!("read {}", config_path.display()))?;
        c = set_key(
            &c,
            None,
            "proxy_app",
            &quote(&format!("tcp://127.0.0.1:{}", self.abci_port)),
        );
        c = set_key(&c, None, "moniker", &quote(&self.moniker));
        c = set_key(
            &c,
            Some("rpc"),
            "laddr",
            &quote(&format!("tcp://127.0.0.1:{}", self.rpc_port)),
        );
        c = set_key(
            &c,
            Some("p2p"),
            "laddr",
            &quote(&format!("tcp://127.0.0.1:{}", self.p2p_port)),
        );
        c = set_key(&c, Some("p2p"), "allow_duplicate_ip", "true");
        c = set_key(&c, Some("p2p"), "addr_book_strict", "false");
        c = set_key(
            &c,
            Some("consensus"),
            "timeout_commit",
            &quote(&self.block_time),
        );
        c = set_key(&c, Some("consensus"), "timeout_propose", &quote("500ms"));
        c = set_key(&c, Some("tx_index"), "indexer", &quote("kv"));
        c = set_key(&c, Some("storage"), "discard_abci_responses", "false");
        c = set_key(&c, Some("instrumentation"), "prometheus", "false");
        // The reveal size the chain guarantees (bls_orchestration::reveal_size): deploy
        // refuses functions whose worst-case reveal or evidence tx exceeds it, so every node
        // must accept txs of at least this size. CometBFT's default; written so it is seen.
        c = set_key(
            &c,
            Some("mempool"),
            "max_tx_bytes",
            &bls_orchestration::reveal_size::NODE_MAX_TX_BYTES.to_string(),
        );
        // Txs reach the node as base64 inside a JSON-RPC body (`broadcast_tx_sync`):
        // CometBFT's default 1 MB body limit would refuse a reveal or evidence tx near the
        // size above, so the RPC takes three times it.
        c = set_key(
            &c,
            Some("rpc"),
            "max_body_bytes",
            &(3 * bls_orchestration::reveal_size::NODE_MAX_TX_BYTES).to_string(),
        );
        std::fs::write(&config_path, c)?;

        let app_state: serde_json::Value = match &self.app_state {
            Some(p) => serde_json::from_slice(&std::fs::read(p)?)
                .with_context(|| format!("parse {}", p.display()))?,
            None => serde_json::from_str(DEVNET_APP_STATE)?,
        };
        let gpath = home.genesis();
        let mut genesis: serde_json::Value = serde_json::from_slice(&std::fs::read(&gpath)?)?;
        genesis["chain_id"] = serde_json::Value::String(self.chain_id.clone());
        genesis["consensus_params"]["abci"]["vote_extensions_enable_height"] =
            serde_json::Value::String(self.vote_extensions_height.to_string());
        genesis["app_state"] = app_state;
        fit_evidence_window(&mut genesis, block_time)?;
        std::fs::write(&gpath, serde_json::to_vec_pretty(&genesis)?)?;
        println!(
            "initialized {} (chain id {}): start with `blsd start --home {}` and `cometbft start --home {}`",
            home.0.display(),
            self.chain_id,
            home.0.display(),
            cmt_home.display()
        );
        Ok(())
    }
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}
