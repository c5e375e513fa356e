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
    /// Sign this node's genesis validator: a `MsgCreateValidator` by KEY (from the keyring)
    /// self-bonding AMOUNT at this node's consensus key, for the chain of this home's genesis.
    /// KEY's account must hold AMOUNT in that genesis (`blsd genesis add-account`). Writes
    /// `<home>/config/gentx/gentx-<operator>.json`; send it to whoever collects the genesis.
    Gentx {
        /// Operator key name or address.
        key: String,
        /// Self-bond, e.g. 10000000ubls.
        amount: String,
        /// Validator name (default: the CometBFT moniker of this home, else the key name).
        #[arg(long)]
        moniker: Option<String>,
        /// Commission on delegators' rewards, basis points.
        #[arg(long, default_value_t = 500)]
        commission_bps: u32,
        /// The consensus public key (base64 or hex ed25519) instead of this home's
        /// `cometbft/config/priv_validator_key.json`.
        #[arg(long)]
        pubkey: Option<String>,
        /// Write the gentx here instead.
        #[arg(long)]
        output_document: Option<std::path::PathBuf>,
    },
    /// Fold every gentx of `<home>/config/gentx` (or --gentx-dir) into this genesis: verify
    /// each signature, move each self-bond from the operator's balance into the bonded pool,
    /// write the staking validators and self-delegations, and let InitChain's staking set
    /// replace CometBFT's `validators`. The result is validated like `blsd genesis validate`.
    CollectGentxs {
        /// Where the gentx files are.
        #[arg(long)]
        gentx_dir: Option<std::path::PathBuf>,
    },
}

impl GenesisCmd {
    /// Runs the command.
    pub fn run(self, home: &Home, ctx: &bls_client::cli::ClientContext) -> anyhow::Result<()> {
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
            GenesisCmd::Gentx {
                key,
                amount,
                moniker,
                commission_bps,
                pubkey,
                output_document,
            } => {
                let g = read()?;
                let chain_id = g["chain_id"].as_str().context("genesis has no chain_id")?;
                let operator = ctx.keyring().get_by_name_or_address(&key)?;
                let self_bond = bls_client::cli::staking::parse_ubls("AMOUNT", &amount)?;
                let consensus = match pubkey {
                    Some(pk) => bls_client::cli::staking::parse_consensus_pubkey(&pk)?,
                    None => bls_client::cli::staking::consensus_pubkey_from_file(
                        &home
                            .cometbft()
                            .join("config/priv_validator_key.json")
                            .to_string_lossy(),
                    )?,
                };
                let moniker =
                    moniker.unwrap_or_else(|| cometbft_moniker(home).unwrap_or(key.clone()));
                let gentx = super::gentx::sign(
                    chain_id,
                    &operator,
                    consensus,
                    &moniker,
                    commission_bps,
                    self_bond,
                )?;
                // Refuse now what collect-gentxs would refuse (a balance short of the bond).
                let mut trial = g.clone();
                super::gentx::collect(
                    &mut trial,
                    &[(std::path::PathBuf::from("this gentx"), gentx.clone())],
                )?;
                let out = output_document.unwrap_or_else(|| {
                    home.0
                        .join("config/gentx")
                        .join(format!("gentx-{}.json", gentx.operator))
                });
                if let Some(dir) = out.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                std::fs::write(&out, serde_json::to_vec_pretty(&gentx)?)?;
                println!(
                    "wrote {} ({} bonds {self_bond}ubls as {moniker:?})",
                    out.display(),
                    gentx.operator
                );
            }
            GenesisCmd::CollectGentxs { gentx_dir } => {
                let dir = gentx_dir.unwrap_or_else(|| home.0.join("config/gentx"));
                let files = super::gentx::read_dir(&dir)?;
                if files.is_empty() {
                    bail!("no gentx files in {}", dir.display());
                }
                let mut g = read()?;
                let vals = super::gentx::collect(&mut g, &files)?;
                validate(&g)?;
                std::fs::write(&path, serde_json::to_vec_pretty(&g)?)?;
                println!(
                    "collected {} genesis validators into {}",
                    vals.len(),
                    path.display()
                );
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

/// The `moniker` of this home's CometBFT config.
fn cometbft_moniker(home: &Home) -> Option<String> {
    let text = std::fs::read_to_string(home.cometbft_config()).ok()?;
    let value: toml::Value = text.parse().ok()?;
    value.get("moniker")?.as_str().map(str::to_string)
}
