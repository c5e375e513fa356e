//! The stake-weighted tally, with Cosmos semantics.
//!
//! Only bonded validators (the active set CometBFT was last sent) and delegations to them
//! count; a validator's weight is its tokens. Every voter votes with its own delegations to
//! bonded validators, which are taken out of those validators' weight; a validator whose
//! operator voted then votes with what is left, so delegators inherit their validator's vote
//! unless they vote themselves. A validator whose operator did not vote adds nothing.

use std::collections::BTreeMap;

use cosmwasm_std::Storage;

use crate::error::GovError;
use crate::params::{Params, BPS};
use crate::state::{self, Tally};

/// 1 yes, 2 abstain, 3 no, 4 no with veto (`cosmos.gov.v1beta1.VoteOption`).
pub const YES: i32 = 1;
/// Abstain.
pub const ABSTAIN: i32 = 2;
/// No.
pub const NO: i32 = 3;
/// No with veto.
pub const NO_WITH_VETO: i32 = 4;

/// The Cosmos name of a vote option.
pub fn option_name(option: i32) -> &'static str {
    match option {
        YES => "VOTE_OPTION_YES",
        ABSTAIN => "VOTE_OPTION_ABSTAIN",
        NO => "VOTE_OPTION_NO",
        NO_WITH_VETO => "VOTE_OPTION_NO_WITH_VETO",
        _ => "VOTE_OPTION_UNSPECIFIED",
    }
}

/// A tally and the bonded stake it is measured against.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counted {
    /// Stake per option.
    pub tally: Tally,
    /// All bonded stake.
    pub total_bonded: u128,
}

/// How a vote ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// More than `threshold` of the non-abstaining stake said yes, with quorum and no veto.
    Passed,
    /// Quorum not reached: deposits are refunded.
    NoQuorum,
    /// More than `veto_threshold` of the votes vetoed: deposits burn.
    Vetoed,
    /// Not enough yes (or everyone abstained): deposits are refunded.
    Rejected,
}

fn add(slot: &mut u128, amount: u128) -> Result<(), GovError> {
    *slot = slot
        .checked_add(amount)
        .ok_or(GovError::Overflow("tally"))?;
    Ok(())
}

fn add_option(t: &mut Tally, option: i32, amount: u128) -> Result<(), GovError> {
    match option {
        YES => add(&mut t.yes, amount),
        ABSTAIN => add(&mut t.abstain, amount),
        NO => add(&mut t.no, amount),
        NO_WITH_VETO => add(&mut t.no_with_veto, amount),
        // Only valid options are stored; an invalid one counts for nothing.
        _ => Ok(()),
    }
}

/// Counts the votes on proposal `id` over the current bonded set.
pub fn count(store: &dyn Storage, id: u64) -> Result<Counted, GovError> {
    // Bonded validators: operator → (tokens left after voting delegators, operator's vote).
    let mut bonded: BTreeMap<String, (u128, Option<i32>)> = BTreeMap::new();
    let mut total_bonded: u128 = 0;
    for (v, _power) in bls_staking::state::bonded_validators(store)? {
        add(&mut total_bonded, v.tokens)?;
        bonded.insert(v.operator.to_string(), (v.tokens, None));
    }
    let mut tally = Tally::default();
    for (voter, option) in state::votes(store, id)? {
        if let Some(entry) = bonded.get_mut(voter.as_str()) {
            entry.1 = Some(option);
        }
        for d in bls_staking::state::delegator_delegations(store, &voter)? {
            if let Some(entry) = bonded.get_mut(d.validator.as_str()) {
                let taken = d.amount.min(entry.0);
                entry.0 -= taken;
                add_option(&mut tally, option, taken)?;
            }
        }
    }
    for (left, option) in bonded.values() {
        if let Some(option) = option {
            add_option(&mut tally, *option, *left)?;
        }
    }
    Ok(Counted {
        tally,
        total_bonded,
    })
}

/// The verdict of `counted` under `params`.
pub fn verdict(counted: &Counted, params: &Params) -> Verdict {
    let t = &counted.tally;
    // Sums of stake are bounded by the supply (u128 holds it with room for ×10 000).
    let voted = t.yes + t.abstain + t.no + t.no_with_veto;
    let bps = u128::from(BPS);
    if counted.total_bonded == 0
        || voted.saturating_mul(bps)
            < counted
                .total_bonded
                .saturating_mul(u128::from(params.quorum_bps))
    {
        return Verdict::NoQuorum;
    }
    if t.no_with_veto.saturating_mul(bps)
        > voted.saturating_mul(u128::from(params.veto_threshold_bps))
    {
        return Verdict::Vetoed;
    }
    let deciding = t.yes + t.no + t.no_with_veto;
    if deciding > 0
        && t.yes.saturating_mul(bps) > deciding.saturating_mul(u128::from(params.threshold_bps))
    {
        return Verdict::Passed;
    }
    Verdict::Rejected
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counted(yes: u128, abstain: u128, no: u128, veto: u128, total: u128) -> Counted {
        Counted {
            tally: Tally {
                yes,
                abstain,
                no,
                no_with_veto: veto,
            },
            total_bonded: total,
        }
    }

    #[test]
    fn verdicts_follow_quorum_veto_and_threshold() {
        let p = Params::default(); // quorum 33.4%, threshold 50%, veto 33.4%
        assert_eq!(verdict(&counted(0, 0, 0, 0, 0), &p), Verdict::NoQuorum);
        assert_eq!(verdict(&counted(33, 0, 0, 0, 100), &p), Verdict::NoQuorum);
        assert_eq!(verdict(&counted(34, 0, 0, 0, 100), &p), Verdict::Passed);
        // Abstain counts for quorum, not for the threshold.
        assert_eq!(verdict(&counted(1, 40, 0, 0, 100), &p), Verdict::Passed);
        assert_eq!(verdict(&counted(0, 40, 0, 0, 100), &p), Verdict::Rejected);
        // Exactly half is not more than half.
        assert_eq!(verdict(&counted(30, 0, 30, 0, 100), &p), Verdict::Rejected);
        assert_eq!(verdict(&counted(31, 0, 30, 0, 100), &p), Verdict::Passed);
        // Veto above a third of all votes wins over a yes majority.
        assert_eq!(verdict(&counted(60, 0, 0, 35, 100), &p), Verdict::Vetoed);
        assert_eq!(verdict(&counted(67, 0, 0, 33, 100), &p), Verdict::Passed);
    }
}
