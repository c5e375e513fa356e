//! `blsd genesis`: edit and check the genesis file of a node home.

use anyhow::{bail, Context as _};
use bls_client::cli::context::print_stdout;
use bls_core::{Address, Coins};
use clap::Subcommand;
use serde_json::{json, Value};

use crate::abci::genesis::AppGenesis;
use crate::cli::genesis_doc::init_chain_request;
use crate::config::Home;

/// Genesis file commands.
#[derive(Debug, Subcommand)]
pub enum GenesisCmd {
    /// Add (or top up) a funded account in genesis: `blsd genesis add-account bls1... 1000000ubls`.
    AddAccount {
        /// Account address (bls1...; `blsd keys show NAME` prints a key's).
        address: String,
        /// Coins, e.g. 1000000ubls.
        coins: String,
    },
    /// Check that genesis parses, its sections belong to modules and the chain would start:
    /// runs the InitChain CometBFT would send (app_state, validators, consensus params) on a
    /// scratch store. Refuses, among others, a staking `unbonding_blocks` not above
    /// `consensus_params.evidence.max_age_num_blocks`.
    Validate,
    /// Print the genesis file.
    Show,
    /// Export the node's current state as a genesis (stop the node first): every module's
    /// state as its `app_state` section, the chain id and validators of the current genesis.
    /// A chain started from it has the same state.
    Export {
        /// Write here instead of stdout.
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// Print the built-in devnet `app_state` with every module's default params filled in.
    Defaults,
}

impl GenesisCmd {
    /// Runs the command.
    pub fn run(self, home: &Home) -> anyhow::Result<()> {
        let path = home.genesis();
        let read = || -> anyhow::Result<Value> {
            let bytes = std::fs::read(&path).with_context(|| {
                format!(
                    "cannot read {} (run `blsd init --home {}` first)",
                    path.display(),
                    home.0.display()
                )
            })?;
            Ok(serde_json::from_slice(&bytes)?)
        };
        match self {
            GenesisCmd::AddAccount { address, coins } => {
                let addr = Address::parse(&address)
                    .with_context(|| format!("{address:?} is not a bls1... address"))?;
                let coins = Coins::parse(&coins).context("coins must look like 1000000ubls")?;
                if coins.is_empty() {
                    bail!("coins must be positive");
                }
                let mut g = read()?;
                add_balance(&mut g["app_state"], &addr, &coins)?;
                std::fs::write(&path, serde_json::to_vec_pretty(&g)?)?;
                println!("added {coins} to {addr} in {}", path.display());
            }
            GenesisCmd::Validate => {
                let g = read()?;
                validate(&g)?;
                println!("{} is valid", path.display());
            }
            GenesisCmd::Show => {
                print_stdout(&serde_json::to_string_pretty(&read()?)?)?;
            }
            GenesisCmd::Export { out } => {
                let mut g = read()?;
                let app = crate::abci::BlsApp::open(&home.db()).map_err(|e| {
                    anyhow::anyhow!(
                        "cannot open {} (is `blsd start` still running?): {e}",
                        home.db().display()
                    )
                })?;
                g["app_state"] = app.export_genesis()?;
                // The new chain continues the height: every height stored in state (job
                // deadlines, unbonding and withdrawal release heights) keeps its meaning.
                g["initial_height"] = serde_json::Value::String(
                    app.store().last_height().saturating_add(1).to_string(),
                );
                let text = serde_json::to_string_pretty(&g)?;
                match out {
                    Some(p) => std::fs::write(&p, text)?,
                    None => print_stdout(&text)?,
                }
            }
            GenesisCmd::Defaults => {
                let mut app =
                    crate::abci::BlsApp::with_store(crate::store::Store::open_in_memory()?);
                app.init_chain(tendermint_proto::v0_38::abci::RequestInitChain {
                    chain_id: "defaults".into(),
                    initial_height: 1,
                    ..Default::default()
                })
                .map_err(|e| anyhow::anyhow!("{e}"))?;
                // Genesis writes are staged, not committed: export from a view over them.
                print_stdout(&serde_json::to_string_pretty(&app.export_genesis()?)?)?;
            }
        }
        Ok(())
    }
}

/// Adds `coins` to `addr` in the bank section of `app_state` (and its auth account).
pub fn add_balance(app_state: &mut Value, addr: &Address, coins: &Coins) -> anyhow::Result<()> {
    if !app_state.is_object() {
        *app_state = json!({});
    }
    add_auth_account(app_state, addr)?;
    let bank = app_state
        .as_object_mut()
        .map(|o| o.entry("bank").or_insert_with(|| json!({})))
        .context("app_state is not an object")?;
    if !bank.is_object() {
        *bank = json!({});
    }
    let balances = bank
        .as_object_mut()
        .map(|o| o.entry("balances").or_insert_with(|| json!([])))
        .context("bank section is not an object")?;
    let list = balances
        .as_array_mut()
        .context("bank.balances is not an array")?;
    let existing = list
        .iter_mut()
        .find(|b| b["address"].as_str() == Some(addr.as_str()));
    match existing {
        Some(entry) => {
            let mut have = Coins::new();
            for c in entry["coins"].as_array().cloned().unwrap_or_default() {
                let c: bls_core::Coin = serde_json::from_value(c)?;
                have.add(&c)?;
            }
            for c in coins.to_vec() {
                have.add(&c)?;
            }
            entry["coins"] = serde_json::to_value(have.to_vec())?;
        }
        None => list.push(json!({
            "address": addr.as_str(),
            "coins": serde_json::to_value(coins.to_vec())?,
        })),
    }
    Ok(())
}

/// Adds `addr` to the auth section's accounts unless it is there already (like the Cosmos SDK's
/// `add-genesis-account`: an account that will sign needs an account number).
fn add_auth_account(app_state: &mut Value, addr: &Address) -> anyhow::Result<()> {
    let auth = app_state
        .as_object_mut()
        .map(|o| o.entry("auth").or_insert_with(|| json!({})))
        .context("app_state is not an object")?;
    if !auth.is_object() {
        *auth = json!({});
    }
    let accounts = auth
        .as_object_mut()
        .map(|o| o.entry("accounts").or_insert_with(|| json!([])))
        .context("auth section is not an object")?
        .as_array_mut()
        .context("auth.accounts is not an array")?;
    if !accounts
        .iter()
        .any(|a| a["address"].as_str() == Some(addr.as_str()))
    {
        accounts.push(json!({"address": addr.as_str()}));
    }
    Ok(())
}

/// Checks a genesis document: chain id, sections, and that the InitChain CometBFT would send
/// for it (validators and consensus params included) succeeds on a scratch store.
pub fn validate(g: &Value) -> anyhow::Result<()> {
    let request = init_chain_request(g)?;
    AppGenesis::from_bytes(&request.app_state_bytes)?;
    let ve_enabled = request
        .consensus_params
        .as_ref()
        .and_then(|p| p.abci.as_ref())
        .is_some_and(|a| a.vote_extensions_enable_height != 0);
    let store = crate::store::Store::open_in_memory()?;
    let mut app = crate::abci::BlsApp::with_store(store);
    app.init_chain(request)
        .map_err(|e| anyhow::anyhow!("InitChain would fail: {e}"))?;
    if !ve_enabled {
        eprintln!(
            "note: vote extensions are disabled (consensus_params.abci.vote_extensions_enable_height = 0): \
             job assignment and placement randomness comes from block hashes, which a proposer can grind"
        );
    }
    Ok(())
}
