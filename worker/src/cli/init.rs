//! `bls-worker init`: creates a worker home — a new key (the account that bonds, pays
//! fees and earns; also the result-signing key for now) and a commented `config.toml` —
//! and prints the address to fund.

use std::path::PathBuf;

use anyhow::Context as _;
use bls_client::cli::context::shell_word;
use bls_client::{KeyringBackend, KeyringError};
use bls_worker::config::{Config, CONFIG_FILE, KEY_NAME};
use bls_worker::daemon::worker_keyring;
use clap::Args;

use super::run::Format;

/// Arguments of `bls-worker init`.
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  \
    bls-worker init --home ~/.bls-worker --region eu-west --network AS3320 \\\n    \
    --rpc-url http://127.0.0.1:26657\n\n\
    Then fund the printed address and run `bls-worker start --home ~/.bls-worker --register`.\n\n\
    The key is encrypted under a passphrase (asked twice on a terminal, else from\n\
    --keyring-passphrase-file or $BLS_KEYRING_PASSPHRASE); `start` reads it the same way,\n\
    without prompting. --keyring-backend test stores it unencrypted (devnets and CI only).")]
pub struct InitArgs {
    /// Worker home directory (created).
    #[arg(long, env = "BLS_WORKER_HOME")]
    pub home: PathBuf,
    /// Region label (placement gives one region at most half of a subnetwork).
    #[arg(long, default_value = "local")]
    pub region: String,
    /// Network label: ASN (e.g. AS13335) or /24 subnet (informational: placement groups
    /// workers by the /24 of their registered multiaddrs).
    #[arg(long, default_value = "AS0")]
    pub network: String,
    /// `worker` or `head`.
    #[arg(long, default_value = "worker", value_parser = ["worker", "head"])]
    pub role: String,
    /// CometBFT RPC URL of a chain node.
    #[arg(long, default_value = "http://127.0.0.1:26657")]
    pub rpc_url: String,
    /// Chain id (empty: read from the node at start).
    #[arg(long, default_value = "")]
    pub chain_id: String,
    /// Bond posted by `start --register`.
    #[arg(long, default_value = "100000000ubls")]
    pub bond: String,
    /// Prometheus /metrics listen address ("" disables).
    #[arg(long, default_value = "127.0.0.1:9464")]
    pub metrics_listen: String,
    /// Jobs executing at once.
    #[arg(long, default_value_t = 4)]
    pub max_concurrent_jobs: u32,
    /// RPC API of the IPFS node (kubo) code deployed through IPFS is fetched from ("" = none:
    /// such code then comes from peers only).
    #[arg(long, env = "BLS_IPFS_API", default_value = bls_client::ipfs::DEFAULT_IPFS_API)]
    pub ipfs_api: String,
    /// Backend of the new worker key, recorded in config.toml: `file` (encrypted, the
    /// default) or `test` (UNENCRYPTED, devnets and CI only).
    #[arg(long, value_enum, env = "BLS_KEYRING_BACKEND")]
    pub keyring_backend: Option<KeyringBackend>,
    /// File whose first line is the passphrase of the new key (else $BLS_KEYRING_PASSPHRASE,
    /// else asked twice on a terminal). Recorded in config.toml for `start`.
    #[arg(long, env = "BLS_KEYRING_PASSPHRASE_FILE", value_name = "FILE")]
    pub keyring_passphrase_file: Option<PathBuf>,
    /// Overwrite an existing config.toml (the key is never replaced).
    #[arg(long)]
    pub force: bool,
    /// Output format: text for people, json for scripts.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub output: Format,
}

/// The command that funds a new worker with its bond plus 1 BLS for fees, from a funded key
/// (on a devnet, `alice`), at the node the worker will use.
fn fund_hint(address: &str, bond: u128, rpc_url: &str) -> String {
    let node = if rpc_url == bls_client::rpc::DEFAULT_NODE {
        String::new()
    } else {
        format!(" --node {}", shell_word(rpc_url))
    };
    format!(
        "blsd tx bank send FUNDED_KEY {address} {}ubls --yes --wait{node}",
        bond + 1_000_000
    )
}

/// Runs the subcommand.
pub fn main(args: InitArgs) -> anyhow::Result<std::process::ExitCode> {
    let home = &args.home;
    std::fs::create_dir_all(home).with_context(|| format!("creating {}", home.display()))?;
    let config_path = home.join(CONFIG_FILE);
    if config_path.exists() && !args.force {
        anyhow::bail!(
            "{} already exists (pass --force to overwrite the config; the key is kept)",
            config_path.display()
        );
    }
    let mut config = Config::default();
    config.chain.rpc_url = args.rpc_url.clone();
    config.chain.chain_id = args.chain_id.clone();
    config.worker.region = args.region.clone();
    config.worker.network = args.network.clone();
    config.worker.role = args.role.clone();
    config.worker.bond = args.bond.clone();
    config.worker.max_concurrent_jobs = args.max_concurrent_jobs;
    config.metrics.listen = args.metrics_listen.clone();
    config.ipfs.api_url = args.ipfs_api.clone();
    config.validate(&config_path)?;
    let bond = bls_worker::daemon::register::bond_amount(&config.worker.bond)?;

    if let Some(f) = &args.keyring_passphrase_file {
        // Absolute: `start` resolves relative paths against the home, not where init ran.
        config.keyring.passphrase_file = std::path::absolute(f)
            .with_context(|| format!("--keyring-passphrase-file {}", f.display()))?;
    }
    config.keyring.backend = args.keyring_backend.unwrap_or_default();
    let probe = worker_keyring(home, &config.keyring, true);
    let (address, mnemonic) = match probe.show(KEY_NAME) {
        Ok(info) => {
            // A kept key stays with the backend that wrote it.
            match args.keyring_backend {
                Some(asked) if asked != info.backend => anyhow::bail!(
                    "the existing worker key in {} was written by the `{}` keyring backend; \
                     --keyring-backend {asked} would not open it (drop the option to keep it)",
                    probe.dir().display(),
                    info.backend
                ),
                _ => config.keyring.backend = info.backend,
            }
            (info.address, None)
        }
        Err(KeyringError::NotFound { .. }) => {
            let (info, mnemonic) = probe.add(KEY_NAME)?;
            (info.address, Some(mnemonic))
        }
        Err(e) => return Err(e.into()),
    };
    std::fs::write(&config_path, config.to_toml())
        .with_context(|| format!("writing {}", config_path.display()))?;

    let fund = fund_hint(&address.to_string(), bond, &args.rpc_url);
    let start = format!(
        "bls-worker start --home {} --register",
        shell_word(&home.display().to_string())
    );
    match args.output {
        Format::Json => {
            let v = serde_json::json!({
                "home": home,
                "config": config_path,
                "address": address.to_string(),
                "mnemonic": mnemonic.as_deref().map(|m| m.as_str()),
                "keyring_backend": config.keyring.backend,
                "fund": fund,
                "start": start,
            });
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        Format::Text => {
            println!("worker home: {}", home.display());
            println!("config:      {}", config_path.display());
            println!("address:     {address}");
            println!(
                "key:         {} ({})",
                home.join("keyring")
                    .join(format!("{KEY_NAME}.json"))
                    .display(),
                match config.keyring.backend {
                    KeyringBackend::File =>
                        "encrypted: `start` reads the passphrase from \
                                             $BLS_KEYRING_PASSPHRASE or [keyring] passphrase_file",
                    KeyringBackend::Test => "UNENCRYPTED test backend: devnets and CI only",
                }
            );
            if let Some(m) = &mnemonic {
                println!();
                println!(
                    "Key mnemonic (shown once; store it safely, anyone with it controls the bond):"
                );
                println!("{}", m.as_str());
            }
            println!();
            println!(
                "Fund {address} with at least the bond ({}) plus fees, e.g.:\n  {fund}\nthen run:\n  {start}",
                config.worker.bond
            );
        }
    }
    Ok(std::process::ExitCode::SUCCESS)
}
