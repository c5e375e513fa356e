//! End-block gas-fee settlement and `MsgWithdrawRewards`.

use bls_core::amount::{mul_bps, mul_div};
use bls_core::{Address, Coin, Coins, Context, Event};

use crate::error::FeesError;
use crate::events;
use crate::msgs::{MsgWithdrawRewards, MsgWithdrawRewardsResponse};
use crate::state::{self, community_pool, fee_collector, rewards_pool, Totals, TOTALS};
use bls_bank::keeper as bank;

/// Settles this block's collected gas fees: `burn_ratio` burned, `community_tax` to the
/// community pool, the rest to bonded staking validators by power (commission credited to the
/// operator, the remainder to delegators pro rata to their delegations, self-bond included,
/// through staking's lazy accounting: one write per validator, [`bls_staking::rewards`]).
/// Floors everywhere; what the validator shares leave over goes to the community pool, what
/// delegators' floors leave stays in the rewards pool. Denoms other than ubls go to the
/// community pool whole.
pub fn end_block(ctx: &mut Context<'_>) -> Result<(), FeesError> {
    let collector = fee_collector();
    let all = bank::all_balances(ctx.store, &collector)?;
    let mut others = Coins::new();
    for c in all.to_vec() {
        if c.denom != bls_core::DENOM {
            others
                .add(&c)
                .map_err(|_| FeesError::Overflow("fee denoms"))?;
        }
    }
    bank::send(ctx, &collector, &community_pool(), &others)?;
    let collected = all.amount_of(bls_core::DENOM);
    if collected == 0 {
        return Ok(());
    }
    let p = state::params(ctx.store)?;
    let burn = mul_bps(collected, p.burn_ratio);
    let tax = mul_bps(collected, p.community_tax);
    let rest = collected.saturating_sub(burn).saturating_sub(tax);

    let bonded = bls_staking::state::bonded_validators(ctx.store)?;
    let total_power: u128 = bonded
        .iter()
        .map(|(_, p)| u128::try_from(*p).unwrap_or(0))
        .sum();
    let mut distributed: u128 = 0;
    if total_power > 0 && rest > 0 {
        for (v, power) in &bonded {
            let share = mul_div(rest, u128::try_from(*power).unwrap_or(0), total_power)
                .ok_or(FeesError::Overflow("validator share"))?;
            if share == 0 {
                continue;
            }
            let commission = mul_bps(share, v.commission_bps);
            state::credit_rewards(ctx.store, &v.operator, commission)?;
            distributed = distributed.saturating_add(commission);
            let to_delegators = share - commission;
            if v.tokens == 0 || to_delegators == 0 {
                continue;
            }
            bls_staking::rewards::allocate(ctx.store, &v.operator, to_delegators, v.tokens)?;
            distributed = distributed.saturating_add(to_delegators);
        }
    }
    // Shares are floors of parts of `rest` (delegations sum to tokens), so this holds;
    // remainders included.
    let community = collected
        .checked_sub(burn)
        .and_then(|c| c.checked_sub(distributed))
        .ok_or_else(|| FeesError::Store("distribution exceeds collected fees".into()))?;
    bank::burn_ubls(ctx, &collector, burn)?;
    bank::send_ubls(ctx, &collector, &rewards_pool(), distributed)?;
    bank::send_ubls(ctx, &collector, &community_pool(), community)?;
    let t = state::totals(ctx.store)?;
    let add = |a: u128, b: u128| a.checked_add(b).ok_or(FeesError::Overflow("totals"));
    TOTALS.save(
        ctx.store,
        &Totals {
            burned: add(t.burned, burn)?,
            community: add(t.community, community)?,
            distributed: add(t.distributed, distributed)?,
        },
    )?;
    ctx.emit(
        Event::new(events::FEE_DISTRIBUTION)
            .attr("collected", Coin::ubls(collected))
            .attr("burned", Coin::ubls(burn))
            .attr("community", Coin::ubls(community))
            .attr("distributed", Coin::ubls(distributed)),
    );
    Ok(())
}

/// Pays the signer everything it accumulated.
pub fn withdraw_rewards(
    ctx: &mut Context<'_>,
    msg: &MsgWithdrawRewards,
) -> Result<MsgWithdrawRewardsResponse, FeesError> {
    let addr = Address::parse(&msg.address).map_err(|e| FeesError::InvalidField {
        field: "address",
        reason: e.to_string(),
    })?;
    let amount = state::take_rewards(ctx.store, &addr)?;
    if amount == 0 {
        return Err(FeesError::NoRewards(addr.to_string()));
    }
    bank::send_ubls(ctx, &rewards_pool(), &addr, amount)?;
    ctx.emit(
        Event::new(events::WITHDRAW_REWARDS)
            .attr("address", &addr)
            .attr("amount", Coin::ubls(amount)),
    );
    Ok(MsgWithdrawRewardsResponse {
        amount: Some(Coin::ubls(amount).to_proto()),
    })
}
