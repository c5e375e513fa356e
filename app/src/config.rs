//! `blsd`'s home layout and its config file (`<home>/config/app.toml`).
//!
//! ```text
//! <home>/config/app.toml   this file
//! <home>/data/app.redb     application state (redb + jmt)
//! <home>/data/beacon_secret  this validator's randomness-beacon secret (32 bytes, 0600)
//! <home>/data/snapshots/   state-sync snapshots this node serves (`snapshot_interval`)
//! <home>/cometbft/         CometBFT's home (config.toml, genesis.json, node and validator keys)
//! <home>/keyring/          the default file keyring of `blsd keys`
//! ```

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::store::PruningPolicy;

/// The documented defaults, written by `blsd init`.
pub const DEFAULT_APP_TOML: &str = r#"# blsd application config. Every key is optional; the values below are the defaults.

# Address the ABCI server listens on. CometBFT's `proxy_app` must point here.
abci_listen = "127.0.0.1:26658"

# REST gateway (Cosmos gRPC-gateway JSON routes Keplr uses), Keplr chain info at
# /chain-info.json and Prometheus metrics at /metrics. Empty string disables it.
api_listen = "127.0.0.1:1317"

# CometBFT RPC the REST gateway forwards broadcasts to.
cometbft_rpc = "http://127.0.0.1:26657"

# Log level filter (tracing EnvFilter syntax, e.g. "info,bls_app=debug"); RUST_LOG overrides.
log_level = "info"

# Log format: "text" or "json".
log_format = "text"

# Queries (abci_query, the REST gateway, simulate) run off the consensus thread, on the
# threads that ask; at most this many run at once, the rest wait their turn. Keep it below
# the node's core count so a flood of heavy queries cannot take the CPU from consensus.
max_concurrent_queries = 2

# Pruning: which past heights this node keeps, as in the Cosmos SDK.
#   "default"     keep the last 362880 heights, prune every 10 heights
#   "nothing"     keep every height (an archive node)
#   "everything"  keep the last 2 heights, prune every 10 heights
#   "custom"      keep the last `pruning_keep_recent` heights, prune every `pruning_interval`
# Queries at a pruned height are refused with the heights this node keeps. Pruning never
# changes the app hash; it runs inside each commit, a bounded number of rows at a time.
# (`pruning-keep-recent` and `pruning-interval`, the Cosmos SDK spelling, are accepted too.)
pruning = "default"
pruning_keep_recent = 0
pruning_interval = 0

# State-sync snapshots: every `snapshot_interval` heights (0: never) this node writes its
# state to <home>/data/snapshots/ on a background thread and serves it to nodes that join by
# CometBFT's state sync; the newest `snapshot_keep_recent` snapshots are kept.
snapshot_interval = 0
snapshot_keep_recent = 2

# Browser origins allowed to read the REST gateway (CORS), e.g. ["https://wallet.example"];
# [] allows none (browsers then keep other sites' pages from reading it), ["*"] any.
cors_allowed_origins = []
"#;

/// Heights the "default" pruning keeps (the Cosmos SDK's figure: three weeks of 5 s blocks).
pub const PRUNING_DEFAULT_KEEP_RECENT: u64 = 362_880;
/// Heights the "everything" pruning keeps.
pub const PRUNING_EVERYTHING_KEEP_RECENT: u64 = 2;
/// How often the "default" and "everything" pruning run.
pub const PRUNING_DEFAULT_INTERVAL: u64 = 10;

/// Parsed `app.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AppConfig {
    /// ABCI listen address.
    pub abci_listen: String,
    /// REST/metrics listen address ("" disables).
    pub api_listen: String,
    /// CometBFT RPC URL.
    pub cometbft_rpc: String,
    /// tracing filter.
    pub log_level: String,
    /// "text" or "json".
    pub log_format: String,
    /// Queries that may run at once (at least 1).
    pub max_concurrent_queries: usize,
    /// "default", "nothing", "everything" or "custom".
    pub pruning: String,
    /// Heights kept (pruning = "custom" only).
    #[serde(alias = "pruning-keep-recent")]
    pub pruning_keep_recent: u64,
    /// Prune every this many heights (pruning = "custom" only).
    #[serde(alias = "pruning-interval")]
    pub pruning_interval: u64,
    /// Write a state-sync snapshot every this many heights (0: never).
    #[serde(alias = "snapshot-interval")]
    pub snapshot_interval: u64,
    /// Browser origins allowed to read the REST gateway (CORS); empty: none, `*`: any.
    pub cors_allowed_origins: Vec<String>,
    /// Snapshots kept on disk.
    #[serde(alias = "snapshot-keep-recent")]
    pub snapshot_keep_recent: u32,
}

impl Default for AppConfig {
    fn default() -> Self {
        Self {
            abci_listen: "127.0.0.1:26658".into(),
            api_listen: "127.0.0.1:1317".into(),
            cometbft_rpc: "http://127.0.0.1:26657".into(),
            log_level: "info".into(),
            log_format: "text".into(),
            max_concurrent_queries: crate::abci::app::DEFAULT_MAX_CONCURRENT_QUERIES,
            pruning: "default".into(),
            pruning_keep_recent: 0,
            pruning_interval: 0,
            snapshot_interval: 0,
            snapshot_keep_recent: 2,
            cors_allowed_origins: Vec::new(),
        }
    }
}

impl AppConfig {
    /// Reads `<home>/config/app.toml` (defaults for missing keys; unknown keys are an error).
    pub fn load(home: &Path) -> anyhow::Result<Self> {
        let path = Home(home.to_path_buf()).app_toml();
        let text = std::fs::read_to_string(&path).map_err(|e| {
            anyhow::anyhow!(
                "cannot read {}: {e} (run `blsd init --home {}` first)",
                path.display(),
                home.display()
            )
        })?;
        let cfg: AppConfig = toml::from_str(&text)
            .map_err(|e| anyhow::anyhow!("invalid {}: {e}", path.display()))?;
        cfg.pruning_policy()
            .map_err(|e| anyhow::anyhow!("invalid {}: {e}", path.display()))?;
        bls_client::cors::layer(&cfg.cors_allowed_origins)
            .map(drop)
            .map_err(|e| {
                anyhow::anyhow!("invalid {}: cors_allowed_origins: {e}", path.display())
            })?;
        if cfg.snapshot_interval > 0 && cfg.snapshot_keep_recent == 0 {
            anyhow::bail!(
                "invalid {}: snapshot_keep_recent must be at least 1 when snapshot_interval is set",
                path.display()
            );
        }
        Ok(cfg)
    }

    /// The store's pruning policy for `pruning`, `pruning_keep_recent` and
    /// `pruning_interval`; the same combinations the Cosmos SDK refuses are refused.
    pub fn pruning_policy(&self) -> anyhow::Result<PruningPolicy> {
        let custom_keys_set = self.pruning_keep_recent != 0 || self.pruning_interval != 0;
        let policy = match self.pruning.as_str() {
            "nothing" => PruningPolicy::KeepAll,
            "default" => PruningPolicy::KeepRecent {
                keep_recent: PRUNING_DEFAULT_KEEP_RECENT,
                interval: PRUNING_DEFAULT_INTERVAL,
            },
            "everything" => PruningPolicy::KeepRecent {
                keep_recent: PRUNING_EVERYTHING_KEEP_RECENT,
                interval: PRUNING_DEFAULT_INTERVAL,
            },
            "custom" => {
                if self.pruning_interval == 0 {
                    anyhow::bail!("pruning = \"custom\" needs pruning_interval of at least 1");
                }
                return Ok(PruningPolicy::KeepRecent {
                    keep_recent: self.pruning_keep_recent,
                    interval: self.pruning_interval,
                });
            }
            other => anyhow::bail!(
                "pruning = {other:?}: expected \"default\", \"nothing\", \"everything\" or \"custom\""
            ),
        };
        if custom_keys_set {
            anyhow::bail!(
                "pruning_keep_recent and pruning_interval apply only with pruning = \"custom\" (pruning = {:?})",
                self.pruning
            );
        }
        Ok(policy)
    }
}

/// Paths inside a `blsd` home directory.
#[derive(Debug, Clone)]
pub struct Home(pub PathBuf);

impl Home {
    /// `<home>/config/app.toml`.
    pub fn app_toml(&self) -> PathBuf {
        self.0.join("config").join("app.toml")
    }
    /// `<home>/data/app.redb`.
    pub fn db(&self) -> PathBuf {
        self.0.join("data").join("app.redb")
    }
    /// `<home>/data/snapshots`: state-sync snapshots this node serves.
    pub fn snapshots(&self) -> PathBuf {
        self.0.join("data").join("snapshots")
    }
    /// `<home>/data/beacon_secret`: the secret this validator's vote-extension reveals are
    /// derived from ([`crate::beacon_secret`]).
    pub fn beacon_secret(&self) -> PathBuf {
        self.0.join("data").join("beacon_secret")
    }
    /// `<home>/cometbft`.
    pub fn cometbft(&self) -> PathBuf {
        self.0.join("cometbft")
    }
    /// CometBFT's genesis file.
    pub fn genesis(&self) -> PathBuf {
        self.cometbft().join("config").join("genesis.json")
    }
    /// CometBFT's config file.
    pub fn cometbft_config(&self) -> PathBuf {
        self.cometbft().join("config").join("config.toml")
    }
    /// `<home>/keyring`.
    pub fn keyring(&self) -> PathBuf {
        self.0.join("keyring")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_defaults_match_code_defaults() {
        let parsed: AppConfig = toml::from_str(DEFAULT_APP_TOML).unwrap();
        assert_eq!(parsed, AppConfig::default());
        assert!(toml::from_str::<AppConfig>("bogus = 1").is_err());
    }

    fn pruning(text: &str) -> anyhow::Result<PruningPolicy> {
        toml::from_str::<AppConfig>(text)?.pruning_policy()
    }

    #[test]
    fn a_cors_origin_that_is_no_header_value_is_refused_at_load() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home(dir.path().to_path_buf());
        std::fs::create_dir_all(home.app_toml().parent().unwrap()).unwrap();
        std::fs::write(
            home.app_toml(),
            "cors_allowed_origins = [\"http://ok.test\"]\n",
        )
        .unwrap();
        assert!(AppConfig::load(dir.path()).is_ok());
        std::fs::write(
            home.app_toml(),
            "cors_allowed_origins = [\"http://a\\nb\"]\n",
        )
        .unwrap();
        let e = AppConfig::load(dir.path()).unwrap_err().to_string();
        assert!(e.contains("cors_allowed_origins"), "{e}");
    }

    #[test]
    fn pruning_modes_map_to_the_cosmos_sdk_figures_and_bad_ones_are_refused() {
        assert_eq!(
            pruning("").unwrap(),
            PruningPolicy::KeepRecent {
                keep_recent: 362_880,
                interval: 10
            }
        );
        assert_eq!(
            pruning("pruning = \"nothing\"").unwrap(),
            PruningPolicy::KeepAll
        );
        assert_eq!(
            pruning("pruning = \"everything\"").unwrap(),
            PruningPolicy::KeepRecent {
                keep_recent: 2,
                interval: 10
            }
        );
        // The Cosmos SDK spelling is accepted.
        assert_eq!(
            pruning("pruning = \"custom\"\npruning-keep-recent = 100\npruning-interval = 5")
                .unwrap(),
            PruningPolicy::KeepRecent {
                keep_recent: 100,
                interval: 5
            }
        );
        for bad in [
            "pruning = \"custom\"",
            "pruning = \"custom\"\npruning_keep_recent = 5",
            "pruning = \"sometimes\"",
            "pruning = \"default\"\npruning_keep_recent = 5",
            "pruning = \"nothing\"\npruning_interval = 5",
        ] {
            assert!(pruning(bad).is_err(), "{bad} accepted");
        }
    }
}
