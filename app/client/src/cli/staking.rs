//! Validator-side commands: `blsd tx staking|slashing|fees ...` and
//! `blsd query staking|slashing|fees ...`. The validator id is its operator address, i.e. the
//! `--from` key's address for operator commands.

use anyhow::{bail, Context as _};
use base64::Engine as _;
use bls_core::module::encode_any;
use bls_core::{Address, Coins, DENOM};
use clap::{Args, Subcommand};
use cosmos_sdk_proto::Any;
use serde::Serialize;

use super::context::{emit_raw_json, ClientContext};
use super::submit::{submit, TxFlags};
use super::units::parse_address;
use bls_fees::msgs as fees_msgs;
use bls_slashing::msgs as slashing_msgs;
use bls_staking::msgs as staking_msgs;

/// Parses a single positive `ubls` amount, e.g. `5000000ubls`.
pub fn parse_ubls(what: &str, s: &str) -> anyhow::Result<u128> {
    let coins = Coins::parse(s).with_context(|| format!("{what} {s:?}"))?;
    match coins.to_vec().as_slice() {
        [c] if c.denom == DENOM && c.amount > 0 => Ok(c.amount),
        _ => bail!("{what} must be a single positive {DENOM} amount, e.g. 1000000{DENOM}"),
    }
}

/// Decodes an ed25519 consensus key given as hex (64 characters) or base64 (as in CometBFT's
/// `priv_validator_key.json` and `cometbft show-validator`).
pub fn parse_consensus_pubkey(s: &str) -> anyhow::Result<Vec<u8>> {
    let s = s.trim();
    let bytes = if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        hex::decode(s)?
    } else {
        base64::engine::general_purpose::STANDARD
            .decode(s)
            .with_context(|| "consensus pubkey must be hex or base64")?
    };
    if bytes.len() != 32 {
        bail!(
            "consensus pubkey must be 32 bytes of ed25519 key, got {}",
            bytes.len()
        );
    }
    Ok(bytes)
}

/// Reads the public key from a CometBFT `priv_validator_key.json` (or a `show-validator`
/// output): `{"pub_key": {"type": "tendermint/PubKeyEd25519", "value": "<base64>"}}`.
pub fn consensus_pubkey_from_file(path: &str) -> anyhow::Result<Vec<u8>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("read {path}"))?;
    let v: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{path} is not JSON"))?;
    let pk = v.get("pub_key").unwrap_or(&v);
    if let Some(t) = pk.get("type").and_then(|t| t.as_str()) {
        if t != "tendermint/PubKeyEd25519" {
            bail!("{path}: consensus key type {t:?} is not ed25519");
        }
    }
    let Some(value) = pk.get("value").and_then(|x| x.as_str()) else {
        bail!("{path}: no pub_key.value");
    };
    parse_consensus_pubkey(value)
}

/// `MsgCreateValidator` operated by `operator`.
pub fn create_validator_msg(
    operator: &Address,
    consensus_pubkey: Vec<u8>,
    moniker: &str,
    commission_bps: u32,
    self_bond: u128,
) -> Any {
    encode_any(
        &staking_msgs::MsgCreateValidator {
            operator: operator.to_string(),
            consensus_pubkey,
            moniker: moniker.to_string(),
            commission_bps,
            self_bond: Some(staking_msgs::ubls(self_bond)),
        },
        staking_msgs::MSG_CREATE_VALIDATOR,
    )
}

/// `MsgDelegate` from `delegator` to `validator`.
pub fn delegate_msg(delegator: &Address, validator: &Address, amount: u128) -> Any {
    encode_any(
        &staking_msgs::MsgDelegate {
            delegator: delegator.to_string(),
            validator: validator.to_string(),
            amount: Some(staking_msgs::ubls(amount)),
        },
        staking_msgs::MSG_DELEGATE,
    )
}

/// `MsgUndelegate` of `amount` from `delegator`'s delegation to `validator`.
pub fn undelegate_msg(delegator: &Address, validator: &Address, amount: u128) -> Any {
    encode_any(
        &staking_msgs::MsgUndelegate {
            delegator: delegator.to_string(),
            validator: validator.to_string(),
            amount: Some(staking_msgs::ubls(amount)),
        },
        staking_msgs::MSG_UNDELEGATE,
    )
}

/// `MsgEditValidator` of the operator's own validator.
pub fn edit_validator_msg(operator: &Address, moniker: &str, commission_bps: Option<u32>) -> Any {
    encode_any(
        &staking_msgs::MsgEditValidator {
            operator: operator.to_string(),
            validator: operator.to_string(),
            moniker: moniker.to_string(),
            commission_bps,
        },
        staking_msgs::MSG_EDIT_VALIDATOR,
    )
}

/// `MsgUnjail` of the operator's own validator.
pub fn unjail_msg(operator: &Address) -> Any {
    encode_any(
        &slashing_msgs::MsgUnjail {
            operator: operator.to_string(),
            validator: operator.to_string(),
        },
        slashing_msgs::MSG_UNJAIL,
    )
}

/// `MsgWithdrawRewards` of `address`.
pub fn withdraw_rewards_msg(address: &Address) -> Any {
    encode_any(
        &fees_msgs::MsgWithdrawRewards {
            address: address.to_string(),
        },
        fees_msgs::MSG_WITHDRAW_REWARDS,
    )
}

/// Builds a message once the signer's address is known.
type MsgBuilder = Box<dyn FnOnce(&Address) -> anyhow::Result<Any>>;

/// Staking transactions.
#[derive(Args, Clone, Debug)]
pub struct StakingTxCmd {
    /// The staking subcommand.
    #[command(subcommand)]
    pub cmd: StakingTxSub,
}

/// `blsd tx staking` subcommands.
#[derive(Subcommand, Clone, Debug)]
pub enum StakingTxSub {
    /// Create a validator operated by --from, self-bonding --amount.
    CreateValidator {
        /// Self-bond, e.g. 10000000ubls (at least the chain's min_self_bond).
        #[arg(long)]
        amount: String,
        /// ed25519 consensus public key, hex or base64.
        #[arg(
            long,
            required_unless_present = "priv_validator_key",
            conflicts_with = "priv_validator_key"
        )]
        pubkey: Option<String>,
        /// CometBFT priv_validator_key.json to read the consensus public key from.
        #[arg(long)]
        priv_validator_key: Option<String>,
        /// Display name.
        #[arg(long)]
        moniker: String,
        /// Commission on delegators' rewards, basis points (100 = 1%).
        #[arg(long, default_value_t = 1000)]
        commission_bps: u32,
        /// Common tx flags.
        #[command(flatten)]
        flags: TxFlags,
    },
    /// Delegate --from's coins to a validator.
    Delegate {
        /// Validator operator address.
        validator: String,
        /// Amount, e.g. 1000000ubls.
        amount: String,
        /// Common tx flags.
        #[command(flatten)]
        flags: TxFlags,
    },
    /// Start unbonding part of --from's delegation (coins return after the unbonding period).
    Undelegate {
        /// Validator operator address.
        validator: String,
        /// Amount, e.g. 1000000ubls.
        amount: String,
        /// Common tx flags.
        #[command(flatten)]
        flags: TxFlags,
    },
    /// Change --from's validator moniker and/or commission.
    EditValidator {
        /// New display name.
        #[arg(long)]
        moniker: Option<String>,
        /// New commission, basis points.
        #[arg(long)]
        commission_bps: Option<u32>,
        /// Common tx flags.
        #[command(flatten)]
        flags: TxFlags,
    },
}

impl StakingTxCmd {
    /// Runs the command.
    pub async fn run(self, ctx: &ClientContext) -> anyhow::Result<()> {
        let (flags, build): (TxFlags, MsgBuilder) = match self.cmd {
            StakingTxSub::CreateValidator {
                amount,
                pubkey,
                priv_validator_key,
                moniker,
                commission_bps,
                flags,
            } => {
                let bond = parse_ubls("--amount", &amount)?;
                let pk = match (pubkey, priv_validator_key) {
                    (Some(p), _) => parse_consensus_pubkey(&p)?,
                    (None, Some(f)) => consensus_pubkey_from_file(&f)?,
                    (None, None) => bail!("give --pubkey or --priv-validator-key"),
                };
                (
                    flags,
                    Box::new(move |op: &Address| {
                        Ok(create_validator_msg(op, pk, &moniker, commission_bps, bond))
                    }),
                )
            }
            StakingTxSub::Delegate {
                validator,
                amount,
                flags,
            } => {
                let val = parse_address(&validator)?;
                let amount = parse_ubls("amount", &amount)?;
                (
                    flags,
                    Box::new(move |d: &Address| Ok(delegate_msg(d, &val, amount))),
                )
            }
            StakingTxSub::Undelegate {
                validator,
                amount,
                flags,
            } => {
                let val = parse_address(&validator)?;
                let amount = parse_ubls("amount", &amount)?;
                (
                    flags,
                    Box::new(move |d: &Address| Ok(undelegate_msg(d, &val, amount))),
                )
            }
            StakingTxSub::EditValidator {
                moniker,
                commission_bps,
                flags,
            } => {
                if moniker.is_none() && commission_bps.is_none() {
                    bail!("nothing to edit: give --moniker and/or --commission-bps");
                }
                let moniker = moniker.unwrap_or_default();
                (
                    flags,
                    Box::new(move |op: &Address| {
                        Ok(edit_validator_msg(op, &moniker, commission_bps))
                    }),
                )
            }
        };
        let key = flags.signer(ctx)?;
        let msg = build(key.address())?;
        submit(ctx, &flags, &key, vec![msg]).await?;
        Ok(())
    }
}

/// Slashing transactions.
#[derive(Args, Clone, Debug)]
pub struct SlashingTxCmd {
    /// The slashing subcommand.
    #[command(subcommand)]
    pub cmd: SlashingTxSub,
}

/// `blsd tx slashing` subcommands.
#[derive(Subcommand, Clone, Debug)]
pub enum SlashingTxSub {
    /// Unjail --from's validator once its jail period is over.
    Unjail {
        /// Common tx flags.
        #[command(flatten)]
        flags: TxFlags,
    },
}

impl SlashingTxCmd {
    /// Runs the command.
    pub async fn run(self, ctx: &ClientContext) -> anyhow::Result<()> {
        let SlashingTxSub::Unjail { flags } = self.cmd;
        let key = flags.signer(ctx)?;
        submit(ctx, &flags, &key, vec![unjail_msg(key.address())]).await?;
        Ok(())
    }
}

/// Fees transactions.
#[derive(Args, Clone, Debug)]
pub struct FeesTxCmd {
    /// The fees subcommand.
    #[command(subcommand)]
    pub cmd: FeesTxSub,
}

/// `blsd tx fees` subcommands.
#[derive(Subcommand, Clone, Debug)]
pub enum FeesTxSub {
    /// Withdraw all of --from's accumulated rewards (delegation rewards and commission).
    WithdrawRewards {
        /// Common tx flags.
        #[command(flatten)]
        flags: TxFlags,
    },
}

impl FeesTxCmd {
    /// Runs the command.
    pub async fn run(self, ctx: &ClientContext) -> anyhow::Result<()> {
        let FeesTxSub::WithdrawRewards { flags } = self.cmd;
        let key = flags.signer(ctx)?;
        submit(ctx, &flags, &key, vec![withdraw_rewards_msg(key.address())]).await?;
        Ok(())
    }
}

/// Staking queries.
#[derive(Args, Clone, Debug)]
pub struct StakingQueryCmd {
    /// The staking subcommand.
    #[command(subcommand)]
    pub cmd: StakingQuerySub,
}

/// `blsd query staking` subcommands.
#[derive(Subcommand, Clone, Debug)]
pub enum StakingQuerySub {
    /// Validators, filtered and paginated.
    Validators {
        /// Only this status: bonded, unbonded, jailed.
        #[arg(long)]
        status: Option<String>,
        /// Start after this operator address.
        #[arg(long)]
        start_after: Option<String>,
        /// Page size (at most 100).
        #[arg(long)]
        limit: Option<u32>,
    },
    /// One validator by operator address.
    Validator {
        /// Operator `bls1...` address.
        operator: String,
    },
    /// Delegations of a delegator.
    Delegations {
        /// Delegator `bls1...` address.
        delegator: String,
    },
    /// Pending unbonding entries of a delegator.
    Unbonding {
        /// Delegator `bls1...` address.
        delegator: String,
    },
    /// Bonded and unbonding totals.
    Pool,
    /// Staking parameters.
    Params,
}

/// Slashing queries.
#[derive(Args, Clone, Debug)]
pub struct SlashingQueryCmd {
    /// The slashing subcommand.
    #[command(subcommand)]
    pub cmd: SlashingQuerySub,
}

/// `blsd query slashing` subcommands.
#[derive(Subcommand, Clone, Debug)]
pub enum SlashingQuerySub {
    /// Liveness window and jail record of a validator.
    SigningInfo {
        /// Validator operator `bls1...` address, or its hex consensus address.
        validator: String,
    },
    /// Slashing parameters.
    Params,
}

/// Fees queries.
#[derive(Args, Clone, Debug)]
pub struct FeesQueryCmd {
    /// The fees subcommand.
    #[command(subcommand)]
    pub cmd: FeesQuerySub,
}

/// `blsd query fees` subcommands.
#[derive(Subcommand, Clone, Debug)]
pub enum FeesQuerySub {
    /// Fees parameters (gas-fee burn and tax, invocation split).
    Params,
    /// Unpaid rewards of an address.
    Rewards {
        /// `bls1...` address.
        address: String,
    },
    /// Cumulative burned / community / distributed totals.
    Totals,
}

pub(crate) async fn query_module<T: Serialize>(
    ctx: &ClientContext,
    path: &str,
    req: &T,
) -> anyhow::Result<()> {
    let bytes = ctx.rpc()?.query_json_raw(path, req).await?;
    emit_raw_json(ctx, &bytes)
}

impl StakingQueryCmd {
    /// Runs the command.
    pub async fn run(self, ctx: &ClientContext) -> anyhow::Result<()> {
        use bls_staking::queries::{DelegatorRequest, ValidatorRequest, ValidatorsRequest};
        let p = |m: &str| format!("{}{m}", bls_staking::queries::QUERY_PREFIX);
        match self.cmd {
            StakingQuerySub::Validators {
                status,
                start_after,
                limit,
            } => {
                let req = ValidatorsRequest {
                    status,
                    start_after,
                    limit,
                };
                query_module(ctx, &p("Validators"), &req).await
            }
            StakingQuerySub::Validator { operator } => {
                let req = ValidatorRequest {
                    operator: parse_address(&operator)?.to_string(),
                };
                query_module(ctx, &p("Validator"), &req).await
            }
            StakingQuerySub::Delegations { delegator } => {
                let req = DelegatorRequest {
                    delegator: parse_address(&delegator)?.to_string(),
                };
                query_module(ctx, &p("Delegations"), &req).await
            }
            StakingQuerySub::Unbonding { delegator } => {
                let req = DelegatorRequest {
                    delegator: parse_address(&delegator)?.to_string(),
                };
                query_module(ctx, &p("UnbondingDelegations"), &req).await
            }
            StakingQuerySub::Pool => query_module(ctx, &p("Pool"), &serde_json::json!({})).await,
            StakingQuerySub::Params => {
                query_module(ctx, &p("Params"), &serde_json::json!({})).await
            }
        }
    }
}

impl SlashingQueryCmd {
    /// Runs the command.
    pub async fn run(self, ctx: &ClientContext) -> anyhow::Result<()> {
        use bls_slashing::queries::SigningInfoRequest;
        let p = |m: &str| format!("{}{m}", bls_slashing::queries::QUERY_PREFIX);
        match self.cmd {
            SlashingQuerySub::SigningInfo { validator } => {
                let req = if validator.starts_with("bls1") {
                    SigningInfoRequest {
                        validator: Some(parse_address(&validator)?.to_string()),
                        consensus_address: None,
                    }
                } else {
                    SigningInfoRequest {
                        validator: None,
                        consensus_address: Some(validator),
                    }
                };
                query_module(ctx, &p("SigningInfo"), &req).await
            }
            SlashingQuerySub::Params => {
                query_module(ctx, &p("Params"), &serde_json::json!({})).await
            }
        }
    }
}

impl FeesQueryCmd {
    /// Runs the command.
    pub async fn run(self, ctx: &ClientContext) -> anyhow::Result<()> {
        let p = |m: &str| format!("{}{m}", bls_fees::queries::QUERY_PREFIX);
        match self.cmd {
            FeesQuerySub::Params => query_module(ctx, &p("Params"), &serde_json::json!({})).await,
            FeesQuerySub::Rewards { address } => {
                let req = bls_fees::queries::RewardsRequest {
                    address: parse_address(&address)?.to_string(),
                };
                query_module(ctx, &p("Rewards"), &req).await
            }
            FeesQuerySub::Totals => query_module(ctx, &p("Totals"), &serde_json::json!({})).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser, Debug)]
    struct Cli {
        #[command(subcommand)]
        cmd: StakingTxSub,
    }

    #[test]
    fn consensus_pubkey_formats() {
        let hex_key = "ab".repeat(32);
        assert_eq!(parse_consensus_pubkey(&hex_key).unwrap(), vec![0xab; 32]);
        let b64 = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        assert_eq!(parse_consensus_pubkey(&b64).unwrap(), vec![7; 32]);
        assert!(parse_consensus_pubkey("abcd").is_err());
        assert!(parse_consensus_pubkey("not base64!").is_err());

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("priv_validator_key.json");
        std::fs::write(
            &path,
            format!(
                r#"{{"address":"X","pub_key":{{"type":"tendermint/PubKeyEd25519","value":"{b64}"}},"priv_key":{{}}}}"#
            ),
        )
        .unwrap();
        assert_eq!(
            consensus_pubkey_from_file(path.to_str().unwrap()).unwrap(),
            vec![7; 32]
        );
    }

    #[test]
    fn amounts_and_messages() {
        assert_eq!(parse_ubls("x", "5000000ubls").unwrap(), 5_000_000);
        assert!(parse_ubls("x", "5uatom").is_err());
        assert!(parse_ubls("x", "0ubls").is_err());
        let op = Address::from_bytes(&[1; 20]);
        let any = create_validator_msg(&op, vec![2; 32], "v", 100, 7);
        let m: staking_msgs::MsgCreateValidator =
            bls_core::module::decode_any(&any, staking_msgs::MSG_CREATE_VALIDATOR).unwrap();
        assert_eq!(m.operator, op.to_string());
        assert_eq!(m.self_bond.unwrap().amount, "7");
        let any = unjail_msg(&op);
        assert_eq!(any.type_url, "/bls.slashing.v1.MsgUnjail");
        assert_eq!(
            withdraw_rewards_msg(&op).type_url,
            "/bls.fees.v1.MsgWithdrawRewards"
        );
    }

    #[test]
    fn cli_parses() {
        let c = Cli::try_parse_from([
            "x",
            "create-validator",
            "--amount",
            "5000000ubls",
            "--pubkey",
            &"ab".repeat(32),
            "--moniker",
            "v",
            "--from",
            "k",
        ])
        .unwrap();
        assert!(matches!(c.cmd, StakingTxSub::CreateValidator { .. }));
        assert!(Cli::try_parse_from([
            "x",
            "create-validator",
            "--amount",
            "1ubls",
            "--moniker",
            "v"
        ])
        .is_err());
        let c = Cli::try_parse_from(["x", "delegate", "bls1abc", "5ubls", "--from", "k"]).unwrap();
        assert!(matches!(c.cmd, StakingTxSub::Delegate { .. }));
    }
}
