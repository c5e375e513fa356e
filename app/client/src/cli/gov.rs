//! Governance commands: `blsd tx gov submit-proposal|deposit|vote`, `blsd query gov ...` and
//! `blsd query upgrade ...`. Proposals use the Cosmos SDK's messages and content types.

use anyhow::{bail, Context as _};
use bls_core::module::encode_any;
use bls_core::{Address, DENOM};
use bls_gov::content;
use bls_gov::msgs::{self as gov_msgs, MsgDeposit, MsgSubmitProposal, MsgVote};
use clap::{Args, Subcommand};
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::cosmos::gov::v1beta1::TextProposal;
use cosmos_sdk_proto::cosmos::params::v1beta1::{ParamChange, ParameterChangeProposal};
use cosmos_sdk_proto::cosmos::upgrade::v1beta1::{
    CancelSoftwareUpgradeProposal, Plan, SoftwareUpgradeProposal,
};
use cosmos_sdk_proto::Any;

use super::context::ClientContext;
use super::staking::{parse_ubls, query_module};
use super::submit::{submit, TxFlags};

/// Governance transactions.
#[derive(Args, Clone, Debug)]
pub struct GovTxCmd {
    /// The gov subcommand.
    #[command(subcommand)]
    pub cmd: GovTxSub,
}

/// `blsd tx gov` subcommands.
#[derive(Subcommand, Clone, Debug)]
pub enum GovTxSub {
    /// Submit a proposal, putting down its initial deposit.
    SubmitProposal {
        /// The kind of proposal.
        #[command(subcommand)]
        kind: ProposalKind,
    },
    /// Add to a proposal's deposit (it opens for voting at the `min_deposit` param).
    Deposit {
        /// The proposal id.
        proposal_id: u64,
        /// Amount, e.g. 10000000ubls.
        amount: String,
        /// Common tx flags.
        #[command(flatten)]
        flags: TxFlags,
    },
    /// Vote on a proposal in its voting period (voting again replaces the vote). Your weight
    /// is your bonded stake; as a validator's operator you also vote for the delegators of
    /// your validator who do not vote themselves.
    Vote {
        /// The proposal id.
        proposal_id: u64,
        /// yes, no, abstain or no_with_veto.
        option: String,
        /// Common tx flags.
        #[command(flatten)]
        flags: TxFlags,
    },
}

/// What a proposal carries.
#[derive(Args, Clone, Debug)]
pub struct ProposalCommon {
    /// Title (at most 140 bytes).
    #[arg(long)]
    pub title: String,
    /// Description (at most 10 000 bytes).
    #[arg(long, default_value = "")]
    pub description: String,
    /// Initial deposit, e.g. 10000000ubls (at least the `min_initial_deposit` param).
    #[arg(long)]
    pub deposit: String,
    /// Common tx flags.
    #[command(flatten)]
    pub flags: TxFlags,
}

/// `blsd tx gov submit-proposal` kinds.
#[derive(Subcommand, Clone, Debug)]
pub enum ProposalKind {
    /// A text proposal: passing it records the community's answer and changes nothing.
    Text {
        /// Title, description, deposit and tx flags.
        #[command(flatten)]
        common: ProposalCommon,
    },
    /// Change module params: `--change staking.max_validators=50` (repeatable). The value is
    /// JSON; a bare word is taken as a JSON string (`--change gov.min_deposit=20000000`
    /// sets the string "20000000"). The change is checked by the module at submission.
    ParamChange {
        /// MODULE.KEY=VALUE, one per change.
        #[arg(long = "change", required = true)]
        changes: Vec<String>,
        /// Title, description, deposit and tx flags.
        #[command(flatten)]
        common: ProposalCommon,
    },
    /// Schedule a software upgrade: every node halts at `--upgrade-height` unless its binary
    /// registers the plan `NAME`, and writes `<home>/data/upgrade-info.json` for cosmovisor.
    SoftwareUpgrade {
        /// The plan's name (letters, digits, '-', '_', '.').
        name: String,
        /// The height the new binary starts at (after the vote ends).
        #[arg(long)]
        upgrade_height: u64,
        /// Plan info for operators and cosmovisor (e.g. binary URLs).
        #[arg(long, default_value = "")]
        upgrade_info: String,
        /// Title, description, deposit and tx flags.
        #[command(flatten)]
        common: ProposalCommon,
    },
    /// Cancel the pending software upgrade.
    CancelSoftwareUpgrade {
        /// Title, description, deposit and tx flags.
        #[command(flatten)]
        common: ProposalCommon,
    },
}

/// Parses `module.key=value`; a value that is not JSON becomes a JSON string.
pub fn parse_change(s: &str) -> anyhow::Result<ParamChange> {
    let (path, value) = s
        .split_once('=')
        .with_context(|| format!("change {s:?} must be MODULE.KEY=VALUE"))?;
    let (module, key) = path
        .split_once('.')
        .with_context(|| format!("change {s:?} must be MODULE.KEY=VALUE"))?;
    if module.is_empty() || key.is_empty() {
        bail!("change {s:?} must be MODULE.KEY=VALUE");
    }
    let value = if serde_json::from_str::<serde_json::Value>(value).is_ok() {
        value.to_string()
    } else {
        serde_json::Value::String(value.to_string()).to_string()
    };
    Ok(ParamChange {
        subspace: module.to_string(),
        key: key.to_string(),
        value,
    })
}

/// Parses `yes|no|abstain|no_with_veto` (also `1`..`4` and Cosmos' `VOTE_OPTION_...`).
pub fn parse_vote_option(s: &str) -> anyhow::Result<i32> {
    let short = s
        .trim()
        .trim_start_matches("VOTE_OPTION_")
        .to_ascii_lowercase()
        .replace('-', "_");
    Ok(match short.as_str() {
        "yes" | "1" => bls_gov::tally::YES,
        "abstain" | "2" => bls_gov::tally::ABSTAIN,
        "no" | "3" => bls_gov::tally::NO,
        "no_with_veto" | "veto" | "4" => bls_gov::tally::NO_WITH_VETO,
        _ => bail!("vote option {s:?}: use yes, no, abstain or no_with_veto"),
    })
}

fn ubls_coins(amount: u128) -> Vec<ProtoCoin> {
    vec![ProtoCoin {
        denom: DENOM.to_string(),
        amount: amount.to_string(),
    }]
}

/// `MsgSubmitProposal` of `content` by `proposer` with `deposit` ubls.
pub fn submit_proposal_msg(proposer: &Address, content: Any, deposit: u128) -> Any {
    encode_any(
        &MsgSubmitProposal {
            content: Some(content),
            initial_deposit: ubls_coins(deposit),
            proposer: proposer.to_string(),
        },
        gov_msgs::MSG_SUBMIT_PROPOSAL,
    )
}

/// The content `Any` of a proposal kind.
// A `Plan` names the deprecated `time` and `upgraded_client_state` to leave them empty.
#[allow(deprecated)]
pub fn proposal_content(kind: &ProposalKind) -> anyhow::Result<Any> {
    Ok(match kind {
        ProposalKind::Text { common } => encode_any(
            &TextProposal {
                title: common.title.clone(),
                description: common.description.clone(),
            },
            content::TEXT_PROPOSAL,
        ),
        ProposalKind::ParamChange { changes, common } => encode_any(
            &ParameterChangeProposal {
                title: common.title.clone(),
                description: common.description.clone(),
                changes: changes
                    .iter()
                    .map(|c| parse_change(c))
                    .collect::<anyhow::Result<_>>()?,
            },
            content::PARAMETER_CHANGE_PROPOSAL,
        ),
        ProposalKind::SoftwareUpgrade {
            name,
            upgrade_height,
            upgrade_info,
            common,
        } => encode_any(
            &SoftwareUpgradeProposal {
                title: common.title.clone(),
                description: common.description.clone(),
                plan: Some(Plan {
                    name: name.clone(),
                    time: None,
                    height: i64::try_from(*upgrade_height)
                        .context("--upgrade-height is too large")?,
                    info: upgrade_info.clone(),
                    upgraded_client_state: None,
                }),
            },
            content::SOFTWARE_UPGRADE_PROPOSAL,
        ),
        ProposalKind::CancelSoftwareUpgrade { common } => encode_any(
            &CancelSoftwareUpgradeProposal {
                title: common.title.clone(),
                description: common.description.clone(),
            },
            content::CANCEL_SOFTWARE_UPGRADE_PROPOSAL,
        ),
    })
}

impl ProposalKind {
    fn common(&self) -> &ProposalCommon {
        match self {
            ProposalKind::Text { common }
            | ProposalKind::ParamChange { common, .. }
            | ProposalKind::SoftwareUpgrade { common, .. }
            | ProposalKind::CancelSoftwareUpgrade { common } => common,
        }
    }
}

impl GovTxCmd {
    /// Runs the command.
    pub async fn run(self, ctx: &ClientContext) -> anyhow::Result<()> {
        match self.cmd {
            GovTxSub::SubmitProposal { kind } => {
                let common = kind.common();
                let deposit = parse_ubls("--deposit", &common.deposit)?;
                let content = proposal_content(&kind)?;
                let key = common.flags.signer(ctx)?;
                let msg = submit_proposal_msg(key.address(), content, deposit);
                submit(ctx, &common.flags, &key, vec![msg]).await?;
            }
            GovTxSub::Deposit {
                proposal_id,
                amount,
                flags,
            } => {
                let amount = parse_ubls("amount", &amount)?;
                let key = flags.signer(ctx)?;
                let msg = encode_any(
                    &MsgDeposit {
                        proposal_id,
                        depositor: key.address().to_string(),
                        amount: ubls_coins(amount),
                    },
                    gov_msgs::MSG_DEPOSIT,
                );
                submit(ctx, &flags, &key, vec![msg]).await?;
            }
            GovTxSub::Vote {
                proposal_id,
                option,
                flags,
            } => {
                let option = parse_vote_option(&option)?;
                let key = flags.signer(ctx)?;
                let msg = encode_any(
                    &MsgVote {
                        proposal_id,
                        voter: key.address().to_string(),
                        option,
                    },
                    gov_msgs::MSG_VOTE,
                );
                submit(ctx, &flags, &key, vec![msg]).await?;
            }
        }
        Ok(())
    }
}

/// Governance queries.
#[derive(Args, Clone, Debug)]
pub struct GovQueryCmd {
    /// The gov subcommand.
    #[command(subcommand)]
    pub cmd: GovQuerySub,
}

/// `blsd query gov` subcommands.
#[derive(Subcommand, Clone, Debug)]
pub enum GovQuerySub {
    /// Proposals in id order.
    Proposals {
        /// Only this status: deposit_period, voting_period, passed, rejected, failed.
        #[arg(long, default_value = "")]
        status: String,
        /// Ids after this one (paging).
        #[arg(long, default_value_t = 0)]
        start_after: u64,
        /// Page size (at most 100).
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// One proposal.
    Proposal {
        /// The proposal id.
        proposal_id: u64,
    },
    /// The votes on a proposal being voted on.
    Votes {
        /// The proposal id.
        proposal_id: u64,
    },
    /// One account's vote on a proposal being voted on.
    Vote {
        /// The proposal id.
        proposal_id: u64,
        /// The voter's `bls1...` address.
        voter: String,
    },
    /// The deposits on an open proposal.
    Deposits {
        /// The proposal id.
        proposal_id: u64,
    },
    /// The tally: live while the vote is open, final after.
    Tally {
        /// The proposal id.
        proposal_id: u64,
    },
    /// Gov parameters (deposit, periods, quorum, threshold, veto).
    Params,
    /// Any module's params as a `param-change` proposal edits them (MODULE.KEY).
    ModuleParams {
        /// The module: auth, staking, slashing, fees, registry, orchestration, gov.
        module: String,
    },
}

impl GovQueryCmd {
    /// Runs the command.
    pub async fn run(self, ctx: &ClientContext) -> anyhow::Result<()> {
        use bls_gov::queries::{ProposalRequest, ProposalsRequest, VoteRequest};
        let p = |m: &str| format!("{}{m}", bls_gov::queries::QUERY_PREFIX);
        let one = |proposal_id| ProposalRequest { proposal_id };
        match self.cmd {
            GovQuerySub::Proposals {
                status,
                start_after,
                limit,
            } => {
                let req = ProposalsRequest {
                    status,
                    start_after,
                    limit,
                };
                query_module(ctx, &p("Proposals"), &req).await
            }
            GovQuerySub::Proposal { proposal_id } => {
                query_module(ctx, &p("Proposal"), &one(proposal_id)).await
            }
            GovQuerySub::Votes { proposal_id } => {
                query_module(ctx, &p("Votes"), &one(proposal_id)).await
            }
            GovQuerySub::Vote { proposal_id, voter } => {
                let req = VoteRequest {
                    proposal_id,
                    voter: super::units::parse_address(&voter)?.to_string(),
                };
                query_module(ctx, &p("Vote"), &req).await
            }
            GovQuerySub::Deposits { proposal_id } => {
                query_module(ctx, &p("Deposits"), &one(proposal_id)).await
            }
            GovQuerySub::Tally { proposal_id } => {
                query_module(ctx, &p("Tally"), &one(proposal_id)).await
            }
            GovQuerySub::Params => query_module(ctx, &p("Params"), &serde_json::json!({})).await,
            GovQuerySub::ModuleParams { module } => {
                let req = bls_gov::queries::ModuleParamsRequest { module };
                query_module(ctx, &p("ModuleParams"), &req).await
            }
        }
    }
}

/// Upgrade queries.
#[derive(Args, Clone, Debug)]
pub struct UpgradeQueryCmd {
    /// The upgrade subcommand.
    #[command(subcommand)]
    pub cmd: UpgradeQuerySub,
}

/// `blsd query upgrade` subcommands.
#[derive(Subcommand, Clone, Debug)]
pub enum UpgradeQuerySub {
    /// The pending upgrade plan (null when none).
    Plan,
    /// The height a plan was applied at (0 if it was not).
    Applied {
        /// The plan's name.
        name: String,
    },
}

impl UpgradeQueryCmd {
    /// Runs the command.
    pub async fn run(self, ctx: &ClientContext) -> anyhow::Result<()> {
        let p = |m: &str| format!("{}{m}", bls_upgrade::queries::QUERY_PREFIX);
        match self.cmd {
            UpgradeQuerySub::Plan => {
                query_module(ctx, &p("CurrentPlan"), &serde_json::json!({})).await
            }
            UpgradeQuerySub::Applied { name } => {
                let req = bls_upgrade::queries::AppliedPlanRequest { name };
                query_module(ctx, &p("AppliedPlan"), &req).await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_parse_json_or_take_a_bare_word_as_a_string() {
        let c = parse_change("staking.max_validators=50").unwrap();
        assert_eq!(
            (c.subspace.as_str(), c.key.as_str(), c.value.as_str()),
            ("staking", "max_validators", "50")
        );
        assert_eq!(
            parse_change("auth.min_gas_price=0.05").unwrap().value,
            "0.05"
        );
        assert_eq!(
            parse_change("gov.min_deposit=\"7\"").unwrap().value,
            "\"7\""
        );
        assert_eq!(parse_change("x.y=abc").unwrap().value, "\"abc\"");
        for bad in ["nodot=1", "a.b", ".k=1", "m.=1"] {
            assert!(parse_change(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn vote_options_parse() {
        assert_eq!(parse_vote_option("yes").unwrap(), 1);
        assert_eq!(parse_vote_option("VOTE_OPTION_NO_WITH_VETO").unwrap(), 4);
        assert_eq!(parse_vote_option("no-with-veto").unwrap(), 4);
        assert!(parse_vote_option("maybe").is_err());
    }
}
