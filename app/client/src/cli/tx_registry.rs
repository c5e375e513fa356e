//! `blsd tx registry register-worker|update-worker|deregister-worker|unjail|bond|unbond`.
//! The worker id is the operator address, i.e. the `--from` key's address.

use anyhow::{bail, Context as _};
use bls_core::{Coin, Coins, DENOM};
use clap::{Args, Subcommand};

use super::context::ClientContext;
use super::submit::{submit, TxFlags};
use crate::msgs::{self, WorkerRegistration, WorkerUpdate};

/// Worker registry transactions (signed by the worker's operator key).
#[derive(Args, Clone, Debug)]
pub struct RegistryTxCmd {
    /// The registry subcommand.
    #[command(subcommand)]
    pub cmd: RegistryTxSub,
}

/// `blsd tx registry` subcommands.
#[derive(Subcommand, Clone, Debug)]
pub enum RegistryTxSub {
    /// Register the --from account as a worker, bonding --bond.
    RegisterWorker {
        /// Bond, e.g. 1000000ubls (at least the chain's minimum for the role).
        #[arg(long)]
        bond: String,
        /// libp2p peer id of the worker.
        #[arg(long)]
        peer_id: String,
        /// Region label, e.g. eu-west.
        #[arg(long)]
        region: String,
        /// Network: ASN (AS13335) or /24 subnet (203.0.113.0/24).
        #[arg(long)]
        network: String,
        /// libp2p multiaddr (repeatable).
        #[arg(long = "multiaddr")]
        multiaddrs: Vec<String>,
        /// Result-signing key, hex of 33 compressed bytes (default: the --from key's).
        #[arg(long, conflicts_with = "result_key")]
        result_pubkey: Option<String>,
        /// Result-signing key by keyring name (default: the --from key).
        #[arg(long)]
        result_key: Option<String>,
        /// `worker` or `head`.
        #[arg(long, default_value = "worker")]
        role: String,
        /// Largest job memory the worker gives, MiB.
        #[arg(long, default_value_t = 512)]
        memory_mb: u64,
        /// Longest job timeout the worker accepts, ms.
        #[arg(long, default_value_t = 900_000)]
        max_timeout_ms: u64,
        /// The worker serves outbound HTTP for functions allowed to use it.
        #[arg(long)]
        http_allowed: bool,
        /// Common tx flags.
        #[command(flatten)]
        flags: TxFlags,
    },
    /// Update the --from account's worker; only the given fields change.
    UpdateWorker {
        /// New libp2p peer id.
        #[arg(long)]
        peer_id: Option<String>,
        /// New region.
        #[arg(long)]
        region: Option<String>,
        /// New network.
        #[arg(long)]
        network: Option<String>,
        /// New multiaddrs (repeatable; replaces the list).
        #[arg(long = "multiaddr")]
        multiaddrs: Vec<String>,
        /// New result-signing key, hex of 33 compressed bytes.
        #[arg(long, conflicts_with = "result_key")]
        result_pubkey: Option<String>,
        /// New result-signing key by keyring name.
        #[arg(long)]
        result_key: Option<String>,
        /// New capabilities: memory in MiB (give all three capability flags together).
        #[arg(long, requires_all = ["max_timeout_ms", "http_allowed"])]
        memory_mb: Option<u64>,
        /// New capabilities: longest timeout in ms.
        #[arg(long, requires_all = ["memory_mb", "http_allowed"])]
        max_timeout_ms: Option<u64>,
        /// New capabilities: serve outbound HTTP (true|false).
        #[arg(long, requires_all = ["memory_mb", "max_timeout_ms"])]
        http_allowed: Option<bool>,
        /// Extra bond to add, e.g. 500000ubls.
        #[arg(long)]
        add_bond: Option<String>,
        /// Common tx flags.
        #[command(flatten)]
        flags: TxFlags,
    },
    /// Start unbonding the --from account's worker (the bond returns after the unbonding period).
    DeregisterWorker {
        /// Common tx flags.
        #[command(flatten)]
        flags: TxFlags,
    },
    /// Unjail the --from account's worker once its jail period is over.
    Unjail {
        /// Common tx flags.
        #[command(flatten)]
        flags: TxFlags,
    },
    /// Add AMOUNT to the --from account's worker's bond.
    Bond {
        /// Extra bond, e.g. 500000ubls.
        amount: String,
        /// Common tx flags.
        #[command(flatten)]
        flags: TxFlags,
    },
    /// Start unbonding AMOUNT of the --from account's worker's bond (returned after the
    /// unbonding period; the rest must stay at or above the role's minimum).
    Unbond {
        /// Amount to unbond, e.g. 500000ubls.
        amount: String,
        /// Common tx flags.
        #[command(flatten)]
        flags: TxFlags,
    },
}

fn parse_ubls(what: &str, s: &str) -> anyhow::Result<Coin> {
    let coins = Coins::parse(s).with_context(|| format!("{what} {s:?}"))?;
    match coins.to_vec().as_slice() {
        [c] if c.denom == DENOM => Ok(c.clone()),
        _ => bail!("{what} must be a single {DENOM} amount, e.g. 1000000{DENOM}"),
    }
}

fn result_key_bytes(
    ctx: &ClientContext,
    hex_key: Option<&str>,
    key_name: Option<&str>,
) -> anyhow::Result<Option<Vec<u8>>> {
    match (hex_key, key_name) {
        (Some(h), _) => {
            let bytes = hex::decode(h).with_context(|| "--result-pubkey must be hex")?;
            if bytes.len() != 33 {
                bail!(
                    "--result-pubkey must be 33 compressed bytes (66 hex characters), got {} bytes",
                    bytes.len()
                );
            }
            Ok(Some(bytes))
        }
        (None, Some(name)) => Ok(Some(ctx.keyring().get(name)?.public_key_bytes().to_vec())),
        (None, None) => Ok(None),
    }
}

impl RegistryTxCmd {
    /// Runs the command.
    pub async fn run(self, ctx: &ClientContext) -> anyhow::Result<()> {
        match self.cmd {
            RegistryTxSub::RegisterWorker {
                bond,
                peer_id,
                region,
                network,
                multiaddrs,
                result_pubkey,
                result_key,
                role,
                memory_mb,
                max_timeout_ms,
                http_allowed,
                flags,
            } => {
                let key = flags.signer(ctx)?;
                let result_pubkey =
                    result_key_bytes(ctx, result_pubkey.as_deref(), result_key.as_deref())?
                        .unwrap_or_else(|| key.public_key_bytes().to_vec());
                let reg = WorkerRegistration {
                    result_pubkey,
                    peer_id,
                    multiaddrs,
                    region,
                    network,
                    memory_mb,
                    max_timeout_ms,
                    http_allowed,
                    role,
                    bond: parse_ubls("--bond", &bond)?,
                    // The key `bls-worker` derives from the same account key.
                    encryption_pubkey: crate::sealed::EncryptionKey::derive(&key)
                        .public_bytes()
                        .to_vec(),
                };
                let msg = msgs::register_worker(key.address(), &reg);
                submit(ctx, &flags, &key, vec![msg]).await?;
            }
            RegistryTxSub::UpdateWorker {
                peer_id,
                region,
                network,
                multiaddrs,
                result_pubkey,
                result_key,
                memory_mb,
                max_timeout_ms,
                http_allowed,
                add_bond,
                flags,
            } => {
                let key = flags.signer(ctx)?;
                let capabilities = match (memory_mb, max_timeout_ms, http_allowed) {
                    (Some(m), Some(t), Some(h)) => Some((m, t, h)),
                    _ => None,
                };
                let update = WorkerUpdate {
                    result_pubkey: result_key_bytes(
                        ctx,
                        result_pubkey.as_deref(),
                        result_key.as_deref(),
                    )?,
                    peer_id,
                    multiaddrs,
                    region,
                    network,
                    capabilities,
                    add_bond: add_bond
                        .as_deref()
                        .map(|b| parse_ubls("--add-bond", b))
                        .transpose()?,
                    encryption_pubkey: None,
                };
                if update == WorkerUpdate::default() {
                    bail!("nothing to update: give at least one of --peer-id, --region, --network, --multiaddr, --result-pubkey/--result-key, the capability flags, --add-bond");
                }
                let msg = msgs::update_worker(key.address(), &update);
                submit(ctx, &flags, &key, vec![msg]).await?;
            }
            RegistryTxSub::DeregisterWorker { flags } => {
                let key = flags.signer(ctx)?;
                let msg = msgs::deregister_worker(key.address());
                submit(ctx, &flags, &key, vec![msg]).await?;
            }
            RegistryTxSub::Unjail { flags } => {
                let key = flags.signer(ctx)?;
                let msg = msgs::unjail_worker(key.address());
                submit(ctx, &flags, &key, vec![msg]).await?;
            }
            RegistryTxSub::Bond { amount, flags } => {
                let amount = parse_ubls("AMOUNT", &amount)?;
                let key = flags.signer(ctx)?;
                let msg = msgs::bond_worker(key.address(), &amount);
                submit(ctx, &flags, &key, vec![msg]).await?;
            }
            RegistryTxSub::Unbond { amount, flags } => {
                let amount = parse_ubls("AMOUNT", &amount)?;
                let key = flags.signer(ctx)?;
                let msg = msgs::unbond_worker(key.address(), &amount);
                submit(ctx, &flags, &key, vec![msg]).await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser, Debug)]
    struct TestCli {
        #[command(flatten)]
        registry: RegistryTxCmd,
    }

    fn parse(args: &[&str]) -> Result<RegistryTxSub, clap::Error> {
        TestCli::try_parse_from(std::iter::once("registry").chain(args.iter().copied()))
            .map(|c| c.registry.cmd)
    }

    #[test]
    fn bond_and_unbond_take_a_positional_amount() {
        let RegistryTxSub::Bond { amount, flags } =
            parse(&["bond", "500ubls", "--from", "op"]).unwrap()
        else {
            panic!("expected bond");
        };
        assert_eq!(amount, "500ubls");
        assert_eq!(flags.from.as_deref(), Some("op"));
        assert_eq!(parse_ubls("AMOUNT", &amount).unwrap(), Coin::ubls(500));
        let RegistryTxSub::Unbond { amount, .. } = parse(&["unbond", "7ubls"]).unwrap() else {
            panic!("expected unbond");
        };
        assert_eq!(parse_ubls("AMOUNT", &amount).unwrap(), Coin::ubls(7));
        assert!(parse(&["bond"]).is_err(), "AMOUNT is required");
        assert!(parse_ubls("AMOUNT", "5uatom").is_err());
        assert!(parse_ubls("AMOUNT", "5ubls,3uatom").is_err());
    }
}
