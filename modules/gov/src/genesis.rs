//! Gov genesis: params, proposals, open proposals' deposits and votes, and the next id.
//!
//! Coins are not minted here: bank genesis must fund the `gov_deposits` module account with exactly the
//! deposits listed. The two queues are rebuilt from the proposals' statuses and end times.

use std::collections::BTreeSet;

use bls_core::{Address, Context};
use serde::{Deserialize, Serialize};

use crate::error::GovError;
use crate::params::Params;
use crate::state::{
    self, Proposal, ProposalStatus, DEPOSITS_ACCOUNT, DEPOSIT_QUEUE, NEXT_ID, PARAMS, VOTES,
    VOTING_QUEUE,
};
use crate::tally::{ABSTAIN, NO, NO_WITH_VETO, YES};

/// The gov `app_state` section.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GenesisState {
    /// Params.
    pub params: Params,
    /// The next proposal id (0 or absent: 1).
    pub next_proposal_id: u64,
    /// Proposals.
    pub proposals: Vec<Proposal>,
    /// Deposits of open proposals.
    pub deposits: Vec<GenesisDeposit>,
    /// Votes of proposals being voted on.
    pub votes: Vec<GenesisVote>,
}

/// One deposit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisDeposit {
    /// The proposal.
    pub proposal_id: u64,
    /// Who deposited.
    pub depositor: Address,
    /// ubls.
    #[serde(with = "bls_core::amount::u128_str")]
    pub amount: u128,
}

/// One vote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisVote {
    /// The proposal.
    pub proposal_id: u64,
    /// Who voted.
    pub voter: Address,
    /// 1 yes, 2 abstain, 3 no, 4 no with veto.
    pub option: i32,
}

fn bad(s: impl Into<String>) -> GovError {
    GovError::InvalidGenesis(s.into())
}

/// Validates and writes the section.
pub fn init_genesis(ctx: &mut Context<'_>, g: &GenesisState) -> Result<(), GovError> {
    g.params.validate()?;
    PARAMS.save(ctx.store, &g.params)?;
    let next = g.next_proposal_id.max(1);
    let mut open = BTreeSet::new();
    let mut voting = BTreeSet::new();
    for p in &g.proposals {
        if p.proposal_id == 0 || p.proposal_id >= next {
            return Err(bad(format!(
                "proposal id {} must be 1..next_proposal_id ({next})",
                p.proposal_id
            )));
        }
        if state::PROPOSALS.has(ctx.store, p.proposal_id) {
            return Err(bad(format!("duplicate proposal {}", p.proposal_id)));
        }
        match p.status {
            ProposalStatus::DepositPeriod => {
                DEPOSIT_QUEUE.save(ctx.store, (p.deposit_end_time, p.proposal_id), &())?;
                open.insert(p.proposal_id);
            }
            ProposalStatus::VotingPeriod => {
                VOTING_QUEUE.save(ctx.store, (p.voting_end_time, p.proposal_id), &())?;
                open.insert(p.proposal_id);
                voting.insert(p.proposal_id);
            }
            _ => {}
        }
        state::save(ctx.store, p)?;
    }
    NEXT_ID.save(ctx.store, &next)?;
    let mut total: u128 = 0;
    for d in &g.deposits {
        if !open.contains(&d.proposal_id) {
            return Err(bad(format!(
                "deposit on proposal {} which is not open",
                d.proposal_id
            )));
        }
        if d.amount == 0 || state::deposit(ctx.store, d.proposal_id, &d.depositor)? != 0 {
            return Err(bad(format!(
                "zero or duplicate deposit of {} on {}",
                d.depositor, d.proposal_id
            )));
        }
        state::set_deposit(ctx.store, d.proposal_id, &d.depositor, d.amount)?;
        total = total
            .checked_add(d.amount)
            .ok_or(GovError::Overflow("genesis deposits"))?;
    }
    for p in g.proposals.iter().filter(|p| open.contains(&p.proposal_id)) {
        let sum: u128 = state::deposits(ctx.store, p.proposal_id)?
            .iter()
            .map(|(_, a)| *a)
            .sum();
        if sum != p.total_deposit {
            return Err(bad(format!(
                "proposal {} has total_deposit {} but its deposits sum to {sum}",
                p.proposal_id, p.total_deposit
            )));
        }
    }
    for v in &g.votes {
        if !voting.contains(&v.proposal_id) {
            return Err(bad(format!(
                "vote on proposal {} which is not being voted on",
                v.proposal_id
            )));
        }
        if !matches!(v.option, YES | ABSTAIN | NO | NO_WITH_VETO) {
            return Err(GovError::InvalidVoteOption(v.option));
        }
        VOTES.save(ctx.store, (v.proposal_id, v.voter.as_str()), &v.option)?;
    }
    let held = bls_bank::keeper::balance(ctx.store, &DEPOSITS_ACCOUNT.address(), bls_core::DENOM)?;
    if held != total {
        return Err(bad(format!(
            "the {} account holds {held}ubls but the deposits sum to {total}ubls",
            DEPOSITS_ACCOUNT.name()
        )));
    }
    Ok(())
}

/// Reads the section back.
pub fn export_genesis(store: &dyn cosmwasm_std::Storage) -> Result<GenesisState, GovError> {
    let proposals = state::proposals(store, None, None, usize::MAX)?;
    let mut deposits = Vec::new();
    let mut votes = Vec::new();
    for p in &proposals {
        for (depositor, amount) in state::deposits(store, p.proposal_id)? {
            deposits.push(GenesisDeposit {
                proposal_id: p.proposal_id,
                depositor,
                amount,
            });
        }
        for (voter, option) in state::votes(store, p.proposal_id)? {
            votes.push(GenesisVote {
                proposal_id: p.proposal_id,
                voter,
                option,
            });
        }
    }
    Ok(GenesisState {
        params: state::params(store)?,
        next_proposal_id: NEXT_ID.may_load(store)?.unwrap_or(1),
        proposals,
        deposits,
        votes,
    })
}
