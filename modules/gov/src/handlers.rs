//! Message handlers: submit a proposal, deposit on it, vote on it.

use bls_core::{Address, Coins, Context, Event, Module, DENOM};
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;

use crate::content::Content;
use crate::error::GovError;
use crate::events;
use crate::msgs::{
    MsgDeposit, MsgDepositResponse, MsgSubmitProposal, MsgSubmitProposalResponse, MsgVote,
    MsgVoteResponse,
};
use crate::state::{
    self, Proposal, ProposalStatus, Tally, DEPOSITS_ACCOUNT, DEPOSIT_QUEUE, VOTES, VOTING_QUEUE,
};
use crate::tally::{ABSTAIN, NO, NO_WITH_VETO, YES};

fn address(field: &'static str, s: &str) -> Result<Address, GovError> {
    Address::parse(s).map_err(|e| GovError::InvalidField {
        field,
        reason: e.to_string(),
    })
}

/// A deposit must be ubls only; an empty list is a deposit of zero.
fn ubls_amount(coins: &[ProtoCoin]) -> Result<u128, GovError> {
    let parsed = Coins::from_proto(coins).map_err(|e| GovError::InvalidDeposit(e.to_string()))?;
    let mut total = 0u128;
    for c in parsed.to_vec() {
        if c.denom != DENOM {
            return Err(GovError::InvalidDeposit(format!(
                "deposits are in {DENOM}, not {}",
                c.denom
            )));
        }
        total = c.amount;
    }
    Ok(total)
}

fn now(ctx: &Context<'_>) -> u64 {
    u64::try_from(ctx.block.time_secs).unwrap_or(0)
}

/// `MsgSubmitProposal`: checks the content (a parameter change is tried on a copy of the
/// state), takes the initial deposit and opens the deposit period — or the vote at once when
/// the initial deposit reaches `min_deposit`.
pub fn submit(
    ctx: &mut Context<'_>,
    msg: &MsgSubmitProposal,
    modules: &[&'static dyn Module],
) -> Result<MsgSubmitProposalResponse, GovError> {
    let proposer = address("proposer", &msg.proposer)?;
    let Some(any) = &msg.content else {
        return Err(GovError::InvalidContent("no content".into()));
    };
    let content = Content::decode(any)?;
    content.validate(ctx.store, ctx.block.height, modules)?;
    let params = state::params(ctx.store)?;
    let initial = ubls_amount(&msg.initial_deposit)?;
    if initial < params.min_initial_deposit {
        return Err(GovError::InitialDepositTooLow {
            got: initial,
            need: params.min_initial_deposit,
        });
    }
    let id = state::next_id(ctx.store)?;
    let submit_time = now(ctx);
    let deposit_end_time = submit_time.saturating_add(params.max_deposit_period_secs);
    let proposal = Proposal {
        proposal_id: id,
        content,
        status: ProposalStatus::DepositPeriod,
        final_tally_result: Tally::default(),
        proposer: proposer.to_string(),
        submit_time,
        deposit_end_time,
        total_deposit: 0,
        voting_start_time: 0,
        voting_end_time: 0,
        failed_reason: String::new(),
    };
    ctx.emit(
        Event::new(events::SUBMIT_PROPOSAL)
            .attr("proposal_id", id)
            .attr("proposal_type", proposal.content.type_url())
            .attr("proposer", &proposer),
    );
    state::save(ctx.store, &proposal)?;
    DEPOSIT_QUEUE.save(ctx.store, (deposit_end_time, id), &())?;
    if initial > 0 {
        add_deposit(ctx, proposal, &proposer, initial)?;
    }
    Ok(MsgSubmitProposalResponse { proposal_id: id })
}

/// `MsgDeposit`: adds to a proposal's deposit while it gathers deposits or is voted on.
pub fn deposit(ctx: &mut Context<'_>, msg: &MsgDeposit) -> Result<MsgDepositResponse, GovError> {
    let depositor = address("depositor", &msg.depositor)?;
    let proposal = state::must_get(ctx.store, msg.proposal_id)?;
    if !matches!(
        proposal.status,
        ProposalStatus::DepositPeriod | ProposalStatus::VotingPeriod
    ) {
        return Err(GovError::WrongStatus {
            id: proposal.proposal_id,
            status: proposal.status.as_str(),
            action: "depositing",
        });
    }
    let amount = ubls_amount(&msg.amount)?;
    if amount == 0 {
        return Err(GovError::InvalidDeposit("deposit a positive amount".into()));
    }
    add_deposit(ctx, proposal, &depositor, amount)?;
    Ok(MsgDepositResponse {})
}

/// Moves `amount` from `depositor` into the deposits account and opens the vote when the
/// total reaches `min_deposit` during the deposit period.
fn add_deposit(
    ctx: &mut Context<'_>,
    mut proposal: Proposal,
    depositor: &Address,
    amount: u128,
) -> Result<(), GovError> {
    let id = proposal.proposal_id;
    bls_bank::keeper::send_ubls(ctx, depositor, &DEPOSITS_ACCOUNT.address(), amount)?;
    let before = state::deposit(ctx.store, id, depositor)?;
    let sum = before
        .checked_add(amount)
        .ok_or(GovError::Overflow("deposit"))?;
    state::set_deposit(ctx.store, id, depositor, sum)?;
    proposal.total_deposit = proposal
        .total_deposit
        .checked_add(amount)
        .ok_or(GovError::Overflow("total deposit"))?;
    let mut event = Event::new(events::PROPOSAL_DEPOSIT)
        .attr("proposal_id", id)
        .attr("depositor", depositor)
        .attr("amount", format!("{amount}{DENOM}"));
    let params = state::params(ctx.store)?;
    if proposal.status == ProposalStatus::DepositPeriod
        && proposal.total_deposit >= params.min_deposit
    {
        DEPOSIT_QUEUE.remove(ctx.store, (proposal.deposit_end_time, id));
        let start = now(ctx);
        proposal.status = ProposalStatus::VotingPeriod;
        proposal.voting_start_time = start;
        proposal.voting_end_time = start.saturating_add(params.voting_period_secs);
        VOTING_QUEUE.save(ctx.store, (proposal.voting_end_time, id), &())?;
        event = event.attr("voting_period_start", id);
    }
    state::save(ctx.store, &proposal)?;
    ctx.emit(event);
    Ok(())
}

/// `MsgVote`: records (or replaces) the voter's option while the vote is open. Any account
/// may vote; its weight is its bonded stake (see [`crate::tally`]).
pub fn vote(ctx: &mut Context<'_>, msg: &MsgVote) -> Result<MsgVoteResponse, GovError> {
    let voter = address("voter", &msg.voter)?;
    if !matches!(msg.option, YES | ABSTAIN | NO | NO_WITH_VETO) {
        return Err(GovError::InvalidVoteOption(msg.option));
    }
    let proposal = state::must_get(ctx.store, msg.proposal_id)?;
    if proposal.status != ProposalStatus::VotingPeriod {
        return Err(GovError::WrongStatus {
            id: proposal.proposal_id,
            status: proposal.status.as_str(),
            action: "voting",
        });
    }
    VOTES.save(
        ctx.store,
        (proposal.proposal_id, voter.as_str()),
        &msg.option,
    )?;
    ctx.emit(
        Event::new(events::PROPOSAL_VOTE)
            .attr("proposal_id", proposal.proposal_id)
            .attr("voter", &voter)
            .attr("option", crate::tally::option_name(msg.option)),
    );
    Ok(MsgVoteResponse {})
}
