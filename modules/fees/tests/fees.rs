//! Fees in-process tests: exact burn / community / distribution of gas fees, rewards
//! withdrawal, accounted supply, invocation split, genesis round trip.

#[path = "../../staking/tests/common/mod.rs"]
mod common;

use bls_auth::AuthModule;
use bls_bank::BankModule;
use bls_core::module::encode_any;
use bls_core::{Address, Coins, Module};
use bls_fees::msgs::{MsgWithdrawRewards, MSG_WITHDRAW_REWARDS};
use bls_fees::state::{self, community_pool, fee_collector, rewards_pool};
use bls_fees::{invocation_split, FeesError, FeesModule, Split};
use bls_staking::StakingModule;
use bls_testkit::{addr, assert_refused, variant, TestChain as Chain};
use common::{create_validator, delegate, new_chain};
use cosmos_sdk_proto::Any;
use serde_json::{json, Value};

static AUTH: AuthModule = AuthModule;
// These tests send no `MsgSend`: the bank needs no module-account list.
static BANK: BankModule = BankModule::new(|_| None);
static STAKING: StakingModule = StakingModule;
static FEES: FeesModule = FeesModule;

const BLS: u128 = 1_000_000;

fn modules() -> Vec<&'static dyn Module> {
    vec![&AUTH, &BANK, &STAKING, &FEES]
}

fn fees_genesis() -> Value {
    json!({"params": {"burn_ratio": 2000, "community_tax": 200,
        "worker_share": 6000, "burn_share": 2500, "community_share": 1500}})
}

fn chain() -> Chain {
    let balances: Vec<(Address, u128)> = (1..=9).map(|n| (addr(n), 1_000 * BLS)).collect();
    new_chain(modules(), &balances, &[("fees", fees_genesis())])
        .unwrap()
        .0
}

fn withdraw(n: u8) -> Any {
    encode_any(
        &MsgWithdrawRewards {
            address: addr(n).to_string(),
        },
        MSG_WITHDRAW_REWARDS,
    )
}

/// What the tx pipeline does with a tx's fee: pays it into the fee collector (minted here, as
/// if from some fee payer).
fn collect(c: &mut Chain, coins: &str) {
    bls_bank::genesis::fund(
        &mut c.store,
        &fee_collector(),
        &Coins::parse(coins).unwrap(),
    )
    .unwrap();
}

fn rewards(c: &Chain, n: u8) -> u128 {
    state::rewards(&c.store, &addr(n)).unwrap()
}

/// Validator 1: power 6 (4 BLS self + 2 BLS from addr(5)), commission 10%;
/// validator 2: power 3 (self), commission 0.
fn two_validators() -> Chain {
    let mut c = chain();
    c.deliver(&addr(1), create_validator(1, 1, 4 * BLS, 1_000))
        .unwrap();
    c.deliver(&addr(5), delegate(5, 1, 2 * BLS)).unwrap();
    c.deliver(&addr(2), create_validator(2, 2, 3 * BLS, 0))
        .unwrap();
    c.next_block();
    c
}

#[test]
fn gas_fees_are_burned_taxed_and_distributed_exactly() {
    let mut c = two_validators();
    collect(&mut c, "1000003ubls");
    let (supply, burned) = (c.supply(), c.burned());
    let out = c.next_block();
    // burn 20% = 200_000; tax 2% = 20_000; rest 780_003 split 6:3 → 520_002 / 260_001.
    // Validator 1: commission 52_000; delegators get 468_002 × 4/6 = 312_001 and
    // 468_002 × 2/6 = 156_000 (floors). Validator 2: 260_001 to its self-bond.
    assert_eq!(rewards(&c, 1), 52_000 + 312_001);
    assert_eq!(rewards(&c, 5), 156_000);
    assert_eq!(rewards(&c, 2), 260_001);
    let distributed = 52_000 + 312_001 + 156_000 + 260_001;
    // Tax plus the one unit of rounding.
    assert_eq!(
        c.balance(&community_pool()),
        1_000_003 - 200_000 - distributed
    );
    assert_eq!(c.balance(&community_pool()), 20_001);
    assert_eq!(c.balance(&rewards_pool()), distributed);
    assert_eq!(c.balance(&fee_collector()), 0);
    assert_eq!(supply - c.supply(), 200_000);
    assert_eq!(c.burned() - burned, 200_000);
    let ev = out
        .events
        .iter()
        .find(|e| e.kind == "fee_distribution")
        .unwrap();
    assert_eq!(ev.get("collected"), Some("1000003ubls"));
    assert_eq!(ev.get("burned"), Some("200000ubls"));
    assert_eq!(ev.get("community"), Some("20001ubls"));
    let t: Value = c.query("fees", "Totals", json!({})).unwrap();
    assert_eq!(t["totals"]["burned"], "200000");
    assert_eq!(t["unpaid_rewards"], distributed.to_string());
    let r: Value = c
        .query("fees", "Rewards", json!({"address": addr(5).to_string()}))
        .unwrap();
    assert_eq!(r["amount"], "156000");
    // An empty block settles nothing.
    let out = c.next_block();
    assert!(!out.events.iter().any(|e| e.kind == "fee_distribution"));
}

#[test]
fn withdraw_pays_out_once() {
    let mut c = two_validators();
    collect(&mut c, "1000003ubls");
    c.next_block();
    let bal = c.balance(&addr(5));
    let out = c.deliver(&addr(5), withdraw(5)).unwrap();
    assert_eq!(out.events[0].get("amount"), Some("156000ubls"));
    assert_eq!(c.balance(&addr(5)), bal + 156_000);
    assert_eq!(rewards(&c, 5), 0);
    assert_eq!(
        c.balance(&rewards_pool()),
        rewards(&c, 1) + rewards(&c, 2),
        "pool holds exactly the unpaid rewards"
    );
    let before = c.snapshot();
    assert_refused(
        c.deliver(&addr(5), withdraw(5)),
        &variant!(FeesError::NoRewards(_)),
    );
    let err = assert_refused(
        c.deliver(&addr(7), withdraw(7)),
        &variant!(FeesError::NoRewards(_)),
    );
    assert!(err.log.contains("no rewards"), "{}", err.log);
    assert_eq!(c.snapshot(), before);
}

#[test]
fn without_staking_validators_the_rest_goes_to_the_community_pool() {
    let mut c = chain();
    collect(&mut c, "1000ubls,7uatom");
    let supply = c.supply();
    c.next_block();
    assert_eq!(c.balance(&community_pool()), 800);
    assert_eq!(
        bls_bank::keeper::balance(&c.store, &community_pool(), "uatom").unwrap(),
        7
    );
    assert_eq!(supply - c.supply(), 200);
    assert!(bls_bank::keeper::all_balances(&c.store, &fee_collector())
        .unwrap()
        .is_empty());
}

#[test]
fn invocation_split_reads_params() {
    let c = chain();
    let s = invocation_split(&c.store).unwrap();
    assert_eq!(
        s,
        Split {
            worker_bps: 6000,
            burn_bps: 2500,
            community_bps: 1500
        }
    );
    // Floors for workers and burn; the community pool gets the rest: always sums to the fee.
    assert_eq!(s.apply(1_001), (600, 250, 151));
    for fee in [0u128, 1, 7, 9_999, 123_456_789] {
        let (w, b, k) = s.apply(fee);
        assert_eq!(w + b + k, fee);
    }
    let q: Value = c.query("fees", "InvocationSplit", json!({})).unwrap();
    assert_eq!(q["split"]["worker_bps"], 6000);
}

#[test]
fn params_are_validated() {
    for p in [
        json!({"params": {"burn_ratio": 9000, "community_tax": 1001}}),
        json!({"params": {"worker_share": 7000, "burn_share": 2000, "community_share": 999}}),
        json!({"params": {"unknown": 1}}),
    ] {
        let r = new_chain(modules(), &[], &[("fees", p.clone())]);
        assert!(r.is_err(), "{p}");
    }
}

#[test]
fn genesis_export_import_roundtrip() {
    let mut c = two_validators();
    collect(&mut c, "1000003ubls");
    c.next_block();
    c.deliver(&addr(2), withdraw(2)).unwrap();
    collect(&mut c, "5555ubls");
    c.next_block();
    let exported = c.export();
    // Validator 2 was paid again after its withdrawal: three accounts hold rewards.
    assert_eq!(exported["fees"]["rewards"].as_array().unwrap().len(), 3);
    let (c2, _) = c.reimport().unwrap();
    assert_eq!(c2.export(), exported);
    // Unfunded rewards are refused (the rewards pool holds nothing here).
    let mut bad = exported["fees"].clone();
    bad["rewards"][0]["amount"] = json!("999999999999");
    let err = new_chain(modules(), &[], &[("fees", bad)]).err().unwrap();
    assert!(err.log.contains(state::REWARDS_POOL.name()), "{}", err.log);
}
