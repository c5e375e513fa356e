//! The slash keeper: burns a fraction of a validator's tokens (spread over its delegations) and
//! of its unbonding entries created at or after the offence.

use bls_core::Address;
use cosmwasm_std::Storage;
use serde::{Deserialize, Serialize};

use crate::amount::{mul_bps, mul_div};
use crate::error::StakingError;
use crate::state::{
    self, bonded_pool, set_delegation, ubls, unbonding_pool, validator_delegations,
    validator_unbondings, UNBONDINGS,
};

/// What a slash burned, ubls.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlashOutcome {
    /// Burned from the validator's bonded tokens (its delegations).
    #[serde(with = "crate::amount::u128_str")]
    pub from_tokens: u128,
    /// Burned from unbonding entries created at or after the offence height.
    #[serde(with = "crate::amount::u128_str")]
    pub from_unbonding: u128,
}

impl SlashOutcome {
    /// Total burned.
    pub fn total(&self) -> u128 {
        self.from_tokens.saturating_add(self.from_unbonding)
    }
}

/// Slashes `fraction_bps` of `operator`'s tokens and of the initial balance of each of its
/// unbonding entries created at or after `infraction_height`; the coins are burned (supply
/// down, burn total up).
///
/// Delegations lose `floor(amount × cut / tokens)` each; the few units of rounding left go one
/// each to delegations in delegator order, so the validator loses exactly
/// `floor(tokens × fraction)`.
pub fn slash(
    store: &mut dyn Storage,
    operator: &Address,
    infraction_height: u64,
    fraction_bps: u32,
) -> Result<SlashOutcome, StakingError> {
    let mut v = state::must_get_validator(store, operator)?;
    let cut = mul_bps(v.tokens, fraction_bps);
    let mut out = SlashOutcome::default();
    if cut > 0 {
        let dels = validator_delegations(store, operator)?;
        let mut cuts: Vec<u128> = dels
            .iter()
            .map(|d| mul_div(d.amount, cut, v.tokens).unwrap_or(0).min(d.amount))
            .collect();
        let mut left = cut.saturating_sub(cuts.iter().sum());
        for (c, d) in cuts.iter_mut().zip(&dels) {
            if left == 0 {
                break;
            }
            if d.amount > *c {
                *c += 1;
                left -= 1;
            }
        }
        for (c, d) in cuts.iter().zip(&dels) {
            if *c > 0 {
                set_delegation(store, operator, &d.delegator, d.amount - c)?;
                out.from_tokens += c;
            }
        }
        v.tokens = v
            .tokens
            .checked_sub(out.from_tokens)
            .ok_or_else(|| StakingError::Store("delegations exceed validator tokens".into()))?;
        state::save_validator(store, &v)?;
        bls_bank::state::burn(store, &bonded_pool(), &ubls(out.from_tokens))?;
    }
    for mut e in validator_unbondings(store, operator)? {
        if e.creation_height < infraction_height || e.balance == 0 {
            continue;
        }
        let c = mul_bps(e.initial_balance, fraction_bps).min(e.balance);
        if c == 0 {
            continue;
        }
        e.balance -= c;
        UNBONDINGS.save(store, e.id, &e)?;
        out.from_unbonding = out
            .from_unbonding
            .checked_add(c)
            .ok_or(StakingError::Overflow("slash"))?;
    }
    if out.from_unbonding > 0 {
        bls_bank::state::burn(store, &unbonding_pool(), &ubls(out.from_unbonding))?;
    }
    Ok(out)
}
