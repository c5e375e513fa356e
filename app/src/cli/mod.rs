//! `blsd` commands. Node-side commands (init, start, genesis) live here; client-side commands
//! (keys, tx, query) come from `bls-client` so the worker and the `bls` CLI share them.

pub mod genesis;
pub mod genesis_doc;
pub mod gentx;
pub mod init;
pub mod start;

use std::path::PathBuf;

use bls_client::chain_error;
use clap::{Parser, Subcommand};

use crate::config::Home;

/// blsd: the bls chain node (ABCI app for CometBFT) and its command-line client.
#[derive(Debug, Parser)]
#[command(name = "blsd", version, about, long_about = None)]
pub struct Cli {
    /// Node home directory.
    #[arg(long, global = true, env = "BLSD_HOME", default_value_os_t = default_home())]
    pub home: PathBuf,
    /// Client options (node URL, chain id, keyring, output format).
    #[command(flatten)]
    pub client: bls_client::cli::ClientOpts,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a node home (app config, CometBFT config, keys and genesis).
    Init(init::InitCmd),
    /// Run the ABCI application (and REST gateway / metrics) for CometBFT.
    Start(start::StartCmd),
    /// Edit or check genesis.
    #[command(subcommand)]
    Genesis(genesis::GenesisCmd),
    /// Manage keys in the keyring (encrypted `file` backend by default).
    Keys(bls_client::cli::KeysCmd),
    /// Sign and broadcast transactions.
    Tx(Box<bls_client::cli::TxCmd>),
    /// Query chain state.
    Query(bls_client::cli::QueryCmd),
}

/// `~/.blsd`; one definition with the `bls` CLI's default keyring (`<this>/keyring`), so
/// the two share a keyring by default.
fn default_home() -> PathBuf {
    bls_client::Keyring::default_home()
}

impl Cli {
    /// Runs the chosen command, applying this release's upgrades
    /// ([`crate::upgrades::REGISTERED`]).
    pub fn run(self) -> anyhow::Result<()> {
        self.run_with(crate::upgrades::REGISTERED)
    }

    /// Runs the chosen command; `blsd start` applies `upgrades` at their plans' heights (a
    /// release binary passes its own list, as a Cosmos app registers its upgrade handlers).
    pub fn run_with(self, upgrades: &'static [crate::upgrades::Upgrade]) -> anyhow::Result<()> {
        let home = Home(self.home.clone());
        let ctx = self.client.context(Some(&home.0));
        // Client errors from the chain or a wrong --node are said in words, with the fix.
        let explain = |e| chain_error::explain(e, &ctx.node, chain_error::Tool::Blsd);
        match self.command {
            Command::Init(c) => c.run(&home),
            Command::Start(c) => c.run(&home, upgrades),
            Command::Genesis(c) => c.run(&home, &ctx),
            Command::Keys(c) => client_runtime()?.block_on(c.run(&ctx)).map_err(explain),
            Command::Tx(c) => client_runtime()?.block_on(c.run(&ctx)).map_err(explain),
            Command::Query(c) => client_runtime()?.block_on(c.run(&ctx)).map_err(explain),
        }
    }
}

fn client_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}
