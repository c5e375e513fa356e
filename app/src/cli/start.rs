//! `blsd start`: serve the ABCI application to CometBFT, plus the REST gateway and metrics.

use clap::Args;

use crate::config::{AppConfig, Home};

/// Run the node's application process (CometBFT runs separately: `cometbft start --home <home>/cometbft`).
#[derive(Debug, Args)]
pub struct StartCmd {
    /// Override `abci_listen` from app.toml.
    #[arg(long)]
    pub abci_listen: Option<String>,
    /// Override `api_listen` from app.toml ("" disables the REST gateway).
    #[arg(long)]
    pub api_listen: Option<String>,
}

impl StartCmd {
    /// Runs until SIGINT/SIGTERM.
    pub fn run(
        self,
        home: &Home,
        upgrades: &'static [crate::upgrades::Upgrade],
    ) -> anyhow::Result<()> {
        let mut cfg = AppConfig::load(&home.0)?;
        if let Some(a) = self.abci_listen {
            cfg.abci_listen = a;
        }
        if let Some(a) = self.api_listen {
            cfg.api_listen = a;
        }
        crate::node::init_tracing(&cfg);
        crate::node::run(home, &cfg, upgrades)
    }
}
