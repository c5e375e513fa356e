//! Gov state: proposals, deposits, votes and the two queues of proposals waiting for a period
//! to end.
//!
//! Keys: `gov/params`; `gov/next_id`; `gov/proposals/{id}` → [`Proposal`];
//! `gov/deposits/{id}/{depositor}` → ubls; `gov/votes/{id}/{voter}` → option;
//! `gov/deposit_queue/{end time}/{id}` and `gov/voting_queue/{end time}/{id}` → ().
//! Deposits are held by the `gov_deposits` module account, whose balance is always the sum of the
//! stored deposits.

use bls_core::{Address, ModuleAccount};
use cosmwasm_std::{Order, Storage};
use cw_storage_plus::{Bound, Item, Map};
use serde::{Deserialize, Serialize};

use crate::content::Content;
use crate::error::GovError;
use crate::params::Params;

/// The module account holding deposits.
pub const DEPOSITS_ACCOUNT: ModuleAccount = ModuleAccount::new("gov_deposits");

/// Params.
pub(crate) const PARAMS: Item<Params> = Item::new("gov/params");
/// The next proposal id (ids start at 1).
pub(crate) const NEXT_ID: Item<u64> = Item::new("gov/next_id");
/// Proposals by id.
pub(crate) const PROPOSALS: Map<u64, Proposal> = Map::new("gov/proposals");
/// Deposits: (proposal, depositor) → ubls as a decimal string.
pub(crate) const DEPOSITS: Map<(u64, &str), String> = Map::new("gov/deposits");
/// Votes: (proposal, voter) → option (1 yes, 2 abstain, 3 no, 4 no with veto).
pub(crate) const VOTES: Map<(u64, &str), i32> = Map::new("gov/votes");
/// Proposals in their deposit period by (deposit end time, id).
pub(crate) const DEPOSIT_QUEUE: Map<(u64, u64), ()> = Map::new("gov/deposit_queue");
/// Proposals in their voting period by (voting end time, id).
pub(crate) const VOTING_QUEUE: Map<(u64, u64), ()> = Map::new("gov/voting_queue");

/// Where a proposal stands (Cosmos `ProposalStatus` names in JSON).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProposalStatus {
    /// Gathering deposits.
    #[serde(rename = "PROPOSAL_STATUS_DEPOSIT_PERIOD")]
    DepositPeriod,
    /// Being voted on.
    #[serde(rename = "PROPOSAL_STATUS_VOTING_PERIOD")]
    VotingPeriod,
    /// Passed and carried out.
    #[serde(rename = "PROPOSAL_STATUS_PASSED")]
    Passed,
    /// Rejected (or vetoed).
    #[serde(rename = "PROPOSAL_STATUS_REJECTED")]
    Rejected,
    /// Passed, but carrying it out failed: nothing of it was applied.
    #[serde(rename = "PROPOSAL_STATUS_FAILED")]
    Failed,
}

impl ProposalStatus {
    /// The Cosmos name.
    pub fn as_str(self) -> &'static str {
        match self {
            ProposalStatus::DepositPeriod => "PROPOSAL_STATUS_DEPOSIT_PERIOD",
            ProposalStatus::VotingPeriod => "PROPOSAL_STATUS_VOTING_PERIOD",
            ProposalStatus::Passed => "PROPOSAL_STATUS_PASSED",
            ProposalStatus::Rejected => "PROPOSAL_STATUS_REJECTED",
            ProposalStatus::Failed => "PROPOSAL_STATUS_FAILED",
        }
    }

    /// Parses a Cosmos name, or its short form (`voting_period`, `passed`, ...).
    pub fn parse(s: &str) -> Option<Self> {
        let short = s
            .trim_start_matches("PROPOSAL_STATUS_")
            .to_ascii_lowercase();
        Some(match short.as_str() {
            "deposit_period" => ProposalStatus::DepositPeriod,
            "voting_period" => ProposalStatus::VotingPeriod,
            "passed" => ProposalStatus::Passed,
            "rejected" => ProposalStatus::Rejected,
            "failed" => ProposalStatus::Failed,
            _ => return None,
        })
    }
}

/// Stake behind each option (ubls).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tally {
    /// Yes.
    #[serde(with = "bls_core::amount::u128_str")]
    pub yes: u128,
    /// Abstain.
    #[serde(with = "bls_core::amount::u128_str")]
    pub abstain: u128,
    /// No.
    #[serde(with = "bls_core::amount::u128_str")]
    pub no: u128,
    /// No with veto.
    #[serde(with = "bls_core::amount::u128_str")]
    pub no_with_veto: u128,
}

/// One proposal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Proposal {
    /// Its id.
    pub proposal_id: u64,
    /// What it proposes.
    pub content: Content,
    /// Where it stands.
    pub status: ProposalStatus,
    /// The tally when its vote ended (zeros before).
    pub final_tally_result: Tally,
    /// Who submitted it.
    pub proposer: String,
    /// Block time of submission, Unix seconds.
    pub submit_time: u64,
    /// End of the deposit period, Unix seconds.
    pub deposit_end_time: u64,
    /// Sum of deposits (ubls).
    #[serde(with = "bls_core::amount::u128_str")]
    pub total_deposit: u128,
    /// Start of the vote, Unix seconds (0 before).
    pub voting_start_time: u64,
    /// End of the vote, Unix seconds (0 before).
    pub voting_end_time: u64,
    /// Why carrying it out failed (status `FAILED`), else empty.
    #[serde(default)]
    pub failed_reason: String,
}

/// The params.
pub fn params(store: &dyn Storage) -> Result<Params, GovError> {
    Ok(PARAMS.may_load(store)?.unwrap_or_default())
}

/// A proposal.
pub fn proposal(store: &dyn Storage, id: u64) -> Result<Option<Proposal>, GovError> {
    Ok(PROPOSALS.may_load(store, id)?)
}

/// A proposal that must exist.
pub fn must_get(store: &dyn Storage, id: u64) -> Result<Proposal, GovError> {
    proposal(store, id)?.ok_or(GovError::UnknownProposal(id))
}

/// Saves a proposal.
pub fn save(store: &mut dyn Storage, p: &Proposal) -> Result<(), GovError> {
    Ok(PROPOSALS.save(store, p.proposal_id, p)?)
}

/// Takes the next proposal id.
pub fn next_id(store: &mut dyn Storage) -> Result<u64, GovError> {
    let id = NEXT_ID.may_load(store)?.unwrap_or(1);
    NEXT_ID.save(
        store,
        &id.checked_add(1).ok_or(GovError::Overflow("proposal id"))?,
    )?;
    Ok(id)
}

/// Proposals after `start_after` in id order, optionally of one status, at most `limit`.
pub fn proposals(
    store: &dyn Storage,
    status: Option<ProposalStatus>,
    start_after: Option<u64>,
    limit: usize,
) -> Result<Vec<Proposal>, GovError> {
    let mut out = Vec::new();
    for item in PROPOSALS.range(
        store,
        start_after.map(Bound::exclusive),
        None,
        Order::Ascending,
    ) {
        let (_, p) = item?;
        if status.is_none_or(|s| s == p.status) {
            out.push(p);
            if out.len() >= limit {
                break;
            }
        }
    }
    Ok(out)
}

/// The deposit of `depositor` on proposal `id`.
pub fn deposit(store: &dyn Storage, id: u64, depositor: &Address) -> Result<u128, GovError> {
    match DEPOSITS.may_load(store, (id, depositor.as_str()))? {
        Some(s) => parse_amount(&s),
        None => Ok(0),
    }
}

/// Sets the deposit of `depositor` on proposal `id`.
pub fn set_deposit(
    store: &mut dyn Storage,
    id: u64,
    depositor: &Address,
    amount: u128,
) -> Result<(), GovError> {
    Ok(DEPOSITS.save(store, (id, depositor.as_str()), &amount.to_string())?)
}

/// Every deposit on proposal `id`, in depositor order.
pub fn deposits(store: &dyn Storage, id: u64) -> Result<Vec<(Address, u128)>, GovError> {
    DEPOSITS
        .prefix(id)
        .range(store, None, None, Order::Ascending)
        .map(|item| {
            let (addr, amount) = item?;
            Ok((stored_address(&addr)?, parse_amount(&amount)?))
        })
        .collect()
}

/// Removes every deposit record of proposal `id`.
pub fn clear_deposits(store: &mut dyn Storage, id: u64) -> Result<(), GovError> {
    for (addr, _) in deposits(store, id)? {
        DEPOSITS.remove(store, (id, addr.as_str()));
    }
    Ok(())
}

/// Every vote on proposal `id`, in voter order.
pub fn votes(store: &dyn Storage, id: u64) -> Result<Vec<(Address, i32)>, GovError> {
    VOTES
        .prefix(id)
        .range(store, None, None, Order::Ascending)
        .map(|item| {
            let (addr, option) = item?;
            Ok((stored_address(&addr)?, option))
        })
        .collect()
}

/// The vote of `voter` on proposal `id`.
pub fn vote(store: &dyn Storage, id: u64, voter: &Address) -> Result<Option<i32>, GovError> {
    Ok(VOTES.may_load(store, (id, voter.as_str()))?)
}

/// Removes every vote on proposal `id` (its tally is final).
pub fn clear_votes(store: &mut dyn Storage, id: u64) -> Result<(), GovError> {
    for (addr, _) in votes(store, id)? {
        VOTES.remove(store, (id, addr.as_str()));
    }
    Ok(())
}

/// Ids due in `queue` at block time `now` (end time at or before it), in (time, id) order.
pub fn due(
    store: &dyn Storage,
    queue: &Map<(u64, u64), ()>,
    now: u64,
) -> Result<Vec<(u64, u64)>, GovError> {
    Ok(queue
        .keys(
            store,
            None,
            Some(Bound::inclusive((now, u64::MAX))),
            Order::Ascending,
        )
        .collect::<Result<_, _>>()?)
}

fn parse_amount(s: &str) -> Result<u128, GovError> {
    s.parse()
        .map_err(|_| GovError::Store(format!("stored amount {s:?} is not a number")))
}

fn stored_address(s: &str) -> Result<Address, GovError> {
    Address::parse(s).map_err(|e| GovError::Store(format!("stored address {s:?}: {e}")))
}
