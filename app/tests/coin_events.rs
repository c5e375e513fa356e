//! Every coin movement emits the bank's coin events (issue 13): an on-chain invocation walked
//! from `MsgInvoke` to its settlement through the whole app (ante fees, escrow, worker pay,
//! burn, community share, refund, the fees module's end block), and the sum of every block's
//! `coin_spent` / `coin_received` / `burn` events must equal each account's balance change and
//! balance to zero but for what was burned.
//!
//! The model test (`model_trust.rs`) runs the same check after every block of its random runs.

mod app_chain;
mod model;

use app_chain::{check_coin_events, CoinFlow};
use model::actions::Action;
use model::world::World;

#[test]
fn invoke_to_settle_coin_events_balance_to_zero() {
    let mut w = World::new(11, false).expect("world");
    w.apply(&Action::EndBlock).expect("a first block");
    let (start, supply) = (w.chain.holdings(), w.chain.supply());
    w.coin_flow = CoinFlow::default();
    let settled = w.stats.jobs_settled;
    let open_before: Vec<u64> = w.open_jobs.keys().copied().collect();

    w.apply(&Action::Invoke {
        invoker: 0,
        function: 0,
        fee_mult: 2,
        input: 3,
    })
    .expect("invoke");
    w.apply(&Action::EndBlock).expect("the invoke's block");
    let job = *w
        .open_jobs
        .keys()
        .find(|id| !open_before.contains(id))
        .expect("the invocation opened a job");
    let invoker = w.invokers[0].address().to_string();
    // Commit and reveal windows are a few blocks each; the bound is generous.
    for _ in 0..60 {
        if !w.open_jobs.contains_key(&job) {
            break;
        }
        w.apply(&Action::EndBlock).expect("a block");
    }
    assert!(!w.open_jobs.contains_key(&job), "job {job} never ended");
    assert!(
        w.stats.jobs_settled > settled,
        "job {job} failed instead of settling"
    );

    let supply_change = i128::try_from(w.chain.supply()).unwrap() - i128::try_from(supply).unwrap();
    check_coin_events(&start, &w.chain.holdings(), supply_change, &w.coin_flow)
        .expect("the coin events account for every balance change");
    let flow = &w.coin_flow;
    let escrow = bls_orchestration::state::escrow_account().to_string();
    let community = bls_fees::state::community_pool().to_string();
    let collector = bls_fees::state::fee_collector().to_string();
    for (who, name) in [
        (&invoker, "the invoker (fee and escrow)"),
        (&escrow, "the escrow account"),
        (&community, "the community pool"),
        (&collector, "the fee collector"),
    ] {
        assert!(flow.named.contains(who), "no coin event names {name} {who}");
    }
    assert!(
        flow.burned.get(bls_core::DENOM).copied().unwrap_or(0) > 0,
        "the settlement and the gas fees burn their share"
    );
    // The escrow was filled and emptied: its events net to zero.
    assert_eq!(
        flow.deltas.get(&(escrow, bls_core::DENOM.to_string())),
        Some(&0)
    );
}
