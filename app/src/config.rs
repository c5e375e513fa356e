//! `blsd`'s home layout and its config file (`<home>/config/app.toml`).
//!
//! ```text
//! <home>/config/app.toml   this file
//! <home>/data/app.redb     application state (redb + jmt)
//! <home>/data/beacon_secret  this validator's randomness-beacon secret (32 bytes, 0600)
//! <home>/cometbft/         CometBFT's home (config.toml, genesis.json, node and validator keys)
//! <home>/keyring/          the default file keyring of `blsd keys`
//! ```

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

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
"#;

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
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("invalid {}: {e}", path.display()))
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
}
