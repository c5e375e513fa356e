//! End-block gas-fee settlement and `MsgWithdrawRewards`.

use bls_core::amount::mul_bps;
use bls_core::{Address, Coin, Coins, Context, Event};

use crate::error::FeesError;
use crate::events;
use crate::msgs::{MsgWithdrawRewards, MsgWithdrawRewardsResponse};
use crate::state::{self, community_pool, fee_collector, rewards_pool, Totals, TOTALS};
use bls_bank::keeper as bank;

/// Settles this block's collected gas fees: `burn_ratio` burned, `community_tax` to the
/// community pool, the rest to bonded staking validators by power (commission to the
/// operator, the remainder to delegators pro rata to their delegations, self-bond included),
/// through staking's lazy accounting ([`bls_staking::rewards`]): one write, whatever the
/// number of validators and delegations; with none bonded, the rest goes to the community
/// pool. What floors leave stays in the rewards pool. Denoms other than ubls go to the
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

    // One write for every bonded validator and delegation: they settle lazily.
    let distributed = if rest > 0 && bls_staking::rewards::allocate_block(ctx.store, rest)? {
        rest
    } else {
        0
    };
    // burn + tax ≤ collected, and distributed is what is left or 0.
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
    // Refused before anything is settled: a refusal writes nothing.
    if state::rewards(ctx.store, &addr)? == 0 {
        return Err(FeesError::NoRewards(addr.to_string()));
    }
    let amount = state::take_rewards(ctx.store, &addr)?;
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
