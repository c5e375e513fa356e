//! `blsd tx ...`: the command tree and `bank send` (the shared flow is [`super::submit`]).

use anyhow::{bail, Context as _};
use bls_core::{Address, Coins};
use clap::{Args, Subcommand};
use cosmos_sdk_proto::Any;

use super::context::ClientContext;
use super::submit::{submit, TxFlags};

/// Send transactions.
#[derive(Args, Clone, Debug)]
pub struct TxCmd {
    /// The tx subcommand.
    #[command(subcommand)]
    pub cmd: TxSub,
}

/// `blsd tx` subcommands.
#[derive(Subcommand, Clone, Debug)]
pub enum TxSub {
    /// Bank transactions.
    Bank {
        /// The bank subcommand.
        #[command(subcommand)]
        cmd: BankTxSub,
    },
    /// Worker registry transactions.
    Registry(super::tx_registry::RegistryTxCmd),
    /// Function deployment and invocation.
    Orchestration(super::tx_orchestration::OrchestrationTxCmd),
    /// Validator staking: create, delegate, undelegate, edit.
    Staking(super::staking::StakingTxCmd),
    /// Validator slashing: unjail.
    Slashing(super::staking::SlashingTxCmd),
    /// Fee rewards: withdraw.
    Fees(super::staking::FeesTxCmd),
    /// Governance: submit proposals, deposit, vote.
    Gov(super::gov::GovTxCmd),
}

/// `blsd tx bank` subcommands.
#[derive(Subcommand, Clone, Debug)]
pub enum BankTxSub {
    /// Send coins: `blsd tx bank send FROM_KEY TO_ADDR 1000ubls`.
    Send {
        /// Key name (or address of a key in the keyring) sending the coins.
        from_key: String,
        /// Recipient `bls1...` address.
        to_addr: String,
        /// Amount, e.g. 1000ubls (comma-separate several denoms).
        amount: String,
        /// Common tx flags.
        #[command(flatten)]
        flags: TxFlags,
    },
}

impl TxCmd {
    /// Runs the command.
    pub async fn run(self, ctx: &ClientContext) -> anyhow::Result<()> {
        match self.cmd {
            TxSub::Bank {
                cmd:
                    BankTxSub::Send {
                        from_key,
                        to_addr,
                        amount,
                        mut flags,
                    },
            } => {
                if let Some(f) = &flags.from {
                    if f != &from_key {
                        bail!("--from {f:?} conflicts with FROM_KEY {from_key:?}: give one");
                    }
                }
                flags.from = Some(from_key);
                let key = flags.signer(ctx)?;
                let msg = bank_send_msg(key.address(), &to_addr, &amount)?;
                submit(ctx, &flags, &key, vec![msg]).await?;
                Ok(())
            }
            TxSub::Registry(cmd) => cmd.run(ctx).await,
            TxSub::Orchestration(cmd) => cmd.run(ctx).await,
            TxSub::Staking(cmd) => cmd.run(ctx).await,
            TxSub::Slashing(cmd) => cmd.run(ctx).await,
            TxSub::Fees(cmd) => cmd.run(ctx).await,
            TxSub::Gov(cmd) => cmd.run(ctx).await,
        }
    }
}

/// Builds a `MsgSend` from `from` to `to` (validated) of `amount` (e.g. `1000ubls`).
pub fn bank_send_msg(from: &Address, to: &str, amount: &str) -> anyhow::Result<Any> {
    let to = Address::parse(to).with_context(|| "recipient address")?;
    let coins = Coins::parse(amount).with_context(|| format!("amount {amount:?}"))?;
    if coins.is_empty() {
        bail!("amount {amount:?} is zero: send at least 1 unit, e.g. 1000ubls");
    }
    Ok(crate::msgs::bank_send(from, &to, &coins))
}
