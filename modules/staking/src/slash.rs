//! The slash keeper: burns a fraction of a validator's tokens (spread over its delegations) and
//! of its unbonding entries created at or after the offence.

use bls_core::{Address, Context};
use serde::{Deserialize, Serialize};

use crate::error::StakingError;
use crate::state::{
    self, bonded_pool, set_delegation, unbonding_pool, validator_delegations, validator_unbondings,
    UNBONDINGS,
};
use bls_core::amount::{mul_bps, mul_div};

/// What a slash burned, ubls.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlashOutcome {
    /// Burned from the validator's bonded tokens (its delegations).
    #[serde(with = "bls_core::amount::u128_str")]
    pub from_tokens: u128,
    /// Burned from unbonding entries created at or after the offence height.
    #[serde(with = "bls_core::amount::u128_str")]
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
    ctx: &mut Context<'_>,
    operator: &Address,
    infraction_height: u64,
    fraction_bps: u32,
) -> Result<SlashOutcome, StakingError> {
    let mut v = state::must_get_validator(ctx.store, operator)?;
    let cut = mul_bps(v.tokens, fraction_bps);
    let mut out = SlashOutcome::default();
    if cut > 0 {
        let dels = validator_delegations(ctx.store, operator)?;
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
                set_delegation(ctx.store, operator, &d.delegator, d.amount - c)?;
                out.from_tokens += c;
            }
        }
        v.tokens = v
            .tokens
            .checked_sub(out.from_tokens)
            .ok_or_else(|| StakingError::Store("delegations exceed validator tokens".into()))?;
        state::save_validator(ctx.store, &v)?;
        bls_bank::keeper::burn_ubls(ctx, &bonded_pool(), out.from_tokens)?;
    }
    for mut e in validator_unbondings(ctx.store, operator)? {
        if e.creation_height < infraction_height || e.balance == 0 {
            continue;
        }
        let c = mul_bps(e.initial_balance, fraction_bps).min(e.balance);
        if c == 0 {
            continue;
        }
        e.balance -= c;
        UNBONDINGS.save(ctx.store, e.id, &e)?;
        out.from_unbonding = out
            .from_unbonding
            .checked_add(c)
            .ok_or(StakingError::Overflow("slash"))?;
    }
    if out.from_unbonding > 0 {
        bls_bank::keeper::burn_ubls(ctx, &unbonding_pool(), out.from_unbonding)?;
    }
    Ok(out)
}
