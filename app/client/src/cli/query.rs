//! `blsd query ...`: bank, auth, tx, block results, node status and a raw `bls` escape hatch.

use anyhow::{bail, Context as _};
use bls_core::Coin;
use clap::{Args, Subcommand};
use serde::Serialize;

use super::context::{emit_raw_json, ClientContext};
use super::submit::tx_result_text;
use super::units::parse_address;
use crate::rpc::BlockResults;

/// Query chain state.
#[derive(Args, Clone, Debug)]
pub struct QueryCmd {
    /// Read the state committed at this height instead of the latest (0 = latest). Applies to
    /// state queries (bank, auth, bls, registry, orchestration, beacon, staking, slashing,
    /// fees); the node must still hold that height.
    #[arg(long, global = true)]
    pub height: Option<u64>,
    /// The query subcommand.
    #[command(subcommand)]
    pub cmd: QuerySub,
}

/// `blsd query` subcommands.
#[derive(Subcommand, Clone, Debug)]
pub enum QuerySub {
    /// Bank queries.
    Bank {
        /// The bank subcommand.
        #[command(subcommand)]
        cmd: BankQuerySub,
    },
    /// Auth queries.
    Auth {
        /// The auth subcommand.
        #[command(subcommand)]
        cmd: AuthQuerySub,
    },
    /// An included transaction by hash.
    Tx {
        /// Tx hash (64 hex characters).
        hash: String,
    },
    /// The results (tx results and FinalizeBlock events) of one block.
    BlockResults {
        /// Block height.
        height: u64,
    },
    /// The node's status (chain id, latest height).
    Status,
    /// Raw JSON query of a bls module: `blsd query bls /bls.registry.v1.Query/Params '{}'`.
    Bls {
        /// ABCI query path.
        path: String,
        /// JSON request body.
        #[arg(default_value = "{}")]
        json: String,
    },
    /// Worker registry queries.
    Registry(super::query_modules::RegistryQueryCmd),
    /// Function and job queries.
    Orchestration(super::query_modules::OrchestrationQueryCmd),
    /// The randomness beacon that seeds job assignment and subnetwork placement.
    Beacon(super::query_modules::BeaconQueryCmd),
    /// Validators, delegations, unbonding.
    Staking(super::staking::StakingQueryCmd),
    /// Validator signing info.
    Slashing(super::staking::SlashingQueryCmd),
    /// Fee params, rewards, totals.
    Fees(super::staking::FeesQueryCmd),
    /// Proposals, votes, deposits, tallies and gov params.
    Gov(super::gov::GovQueryCmd),
    /// The pending software-upgrade plan and applied plans.
    Upgrade(super::gov::UpgradeQueryCmd),
}

/// `blsd query bank` subcommands.
#[derive(Subcommand, Clone, Debug)]
pub enum BankQuerySub {
    /// Balances of an address.
    Balances {
        /// The `bls1...` address.
        address: String,
        /// Only this denom.
        #[arg(long)]
        denom: Option<String>,
    },
}

/// `blsd query auth` subcommands.
#[derive(Subcommand, Clone, Debug)]
pub enum AuthQuerySub {
    /// Account number, sequence and public key of an address.
    Account {
        /// The `bls1...` address.
        address: String,
    },
}

#[derive(Serialize)]
struct Balances {
    address: String,
    balances: Vec<Coin>,
}

#[derive(Serialize)]
struct Balance {
    address: String,
    balance: Coin,
}

/// JSON shape of `query auth account`.
#[derive(Serialize)]
struct AccountOut {
    address: String,
    account_number: u64,
    sequence: u64,
    /// Base64 compressed secp256k1 key, once the account has signed a tx.
    pub_key: Option<String>,
}

impl QueryCmd {
    /// Runs the command.
    pub async fn run(self, ctx: &ClientContext) -> anyhow::Result<()> {
        if self.height.is_some_and(|h| h > 0)
            && matches!(
                self.cmd,
                QuerySub::Tx { .. } | QuerySub::BlockResults { .. } | QuerySub::Status
            )
        {
            bail!("--height applies to state queries, not to tx, block-results or status");
        }
        let at_height = ClientContext {
            height: self.height,
            ..ctx.clone()
        };
        let ctx = &at_height;
        match self.cmd {
            QuerySub::Bank {
                cmd: BankQuerySub::Balances { address, denom },
            } => {
                let addr = parse_address(&address)?;
                let rpc = ctx.rpc()?;
                match denom {
                    Some(d) => {
                        bls_core::coins::validate_denom(&d)?;
                        let amount = rpc.balance(&addr, &d).await?;
                        let out = Balance {
                            address,
                            balance: Coin::new(amount, d),
                        };
                        ctx.emit(&out, |b| b.balance.to_string())
                    }
                    None => {
                        let coins = rpc.all_balances(&addr).await?;
                        let out = Balances {
                            address,
                            balances: coins.to_vec(),
                        };
                        ctx.emit(&out, |b| {
                            if b.balances.is_empty() {
                                "no balances".to_string()
                            } else {
                                b.balances
                                    .iter()
                                    .map(ToString::to_string)
                                    .collect::<Vec<_>>()
                                    .join("\n")
                            }
                        })
                    }
                }
            }
            QuerySub::Auth {
                cmd: AuthQuerySub::Account { address },
            } => {
                let addr = parse_address(&address)?;
                let Some(acc) = ctx.rpc()?.account(&addr).await? else {
                    bail!("account {address} not found: it has never received funds");
                };
                let pub_key = acc.pub_key.as_ref().map(|pk| {
                    use base64::Engine as _;
                    use prost::Message as _;
                    let key = cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey::decode(
                        pk.value.as_slice(),
                    )
                    .map(|k| k.key)
                    .unwrap_or_else(|_| pk.value.clone());
                    base64::engine::general_purpose::STANDARD.encode(key)
                });
                let out = AccountOut {
                    address: acc.address,
                    account_number: acc.account_number,
                    sequence: acc.sequence,
                    pub_key,
                };
                ctx.emit(&out, |a| {
                    format!(
                        "address: {}\naccount_number: {}\nsequence: {}\npub_key: {}",
                        a.address,
                        a.account_number,
                        a.sequence,
                        a.pub_key.as_deref().unwrap_or("(none yet)")
                    )
                })
            }
            QuerySub::Tx { hash } => {
                let Some(r) = ctx.rpc()?.tx(&hash).await? else {
                    bail!("transaction {hash} not found (not yet included, or the node does not index txs)");
                };
                ctx.emit(&r, tx_result_text)
            }
            QuerySub::BlockResults { height } => {
                let r = ctx.rpc()?.block_results(height).await?;
                ctx.emit(&r, block_results_text)
            }
            QuerySub::Status => {
                let s = ctx.rpc()?.status().await?;
                ctx.emit(&s, |s| {
                    format!(
                        "chain_id: {}\nmoniker: {}\nlatest_block_height: {}\nlatest_block_time: {}\ncatching_up: {}",
                        s.chain_id, s.moniker, s.latest_block_height, s.latest_block_time, s.catching_up
                    )
                })
            }
            QuerySub::Bls { path, json } => {
                let req: serde_json::Value = serde_json::from_str(&json)
                    .with_context(|| format!("request {json:?} is not JSON"))?;
                let bytes = ctx.rpc()?.query_json_raw(&path, &req).await?;
                emit_raw_json(ctx, &bytes)
            }
            QuerySub::Registry(cmd) => cmd.run(ctx).await,
            QuerySub::Orchestration(cmd) => cmd.run(ctx).await,
            QuerySub::Beacon(cmd) => cmd.run(ctx).await,
            QuerySub::Staking(cmd) => cmd.run(ctx).await,
            QuerySub::Slashing(cmd) => cmd.run(ctx).await,
            QuerySub::Fees(cmd) => cmd.run(ctx).await,
            QuerySub::Gov(cmd) => cmd.run(ctx).await,
            QuerySub::Upgrade(cmd) => cmd.run(ctx).await,
        }
    }
}

fn block_results_text(r: &BlockResults) -> String {
    let mut s = format!("height: {}\ntxs: {}", r.height, r.txs.len());
    for (i, t) in r.txs.iter().enumerate() {
        s.push_str(&format!(
            "\n- tx {i}: code {} gas {}/{} {}",
            t.code, t.gas_used, t.gas_wanted, t.log
        ));
    }
    for e in &r.finalize_block_events {
        let attrs: Vec<String> = e
            .attributes
            .iter()
            .map(|a| format!("{}={}", a.key, a.value))
            .collect();
        s.push_str(&format!("\nevent {}: {}", e.kind, attrs.join(" ")));
    }
    s
}

#[cfg(test)]
mod height_flag_tests {
    use clap::Parser;

    use super::{QueryCmd, QuerySub};

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        query: QueryCmd,
    }

    fn parse(args: &[&str]) -> Result<QueryCmd, clap::Error> {
        Cli::try_parse_from(std::iter::once("query").chain(args.iter().copied())).map(|c| c.query)
    }

    #[test]
    fn height_is_accepted_before_or_after_the_subcommand() {
        let q = parse(&["--height", "5", "bank", "balances", "bls1x"]).expect("parse");
        assert_eq!(q.height, Some(5));
        let q = parse(&["registry", "params", "--height", "7"]).expect("parse");
        assert_eq!(q.height, Some(7));
        let q = parse(&["bank", "balances", "bls1x"]).expect("parse");
        assert_eq!(q.height, None);
        assert!(matches!(q.cmd, QuerySub::Bank { .. }));
        for bad in ["-1", "abc", "1.5"] {
            assert!(parse(&["--height", bad, "status"]).is_err(), "{bad}");
        }
    }
}
