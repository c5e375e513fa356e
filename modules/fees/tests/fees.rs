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
use common::{create_validator, delegate, new_chain, undelegate};
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
    // Validator 1: commission 52_000; its delegators' 468_002 is allocated whole and they
    // earn 468_002 × 4/6 = 312_001 and 468_002 × 2/6 = 156_000 (floors). Validator 2:
    // 260_001 to its self-bond.
    assert_eq!(rewards(&c, 1), 52_000 + 312_001);
    assert_eq!(rewards(&c, 5), 156_000);
    assert_eq!(rewards(&c, 2), 260_001);
    let distributed = 52_000 + 468_002 + 260_001;
    let unpaid = 52_000 + 312_001 + 156_000 + 260_001;
    // Exactly the tax: the validator shares split 780_003 with no remainder.
    assert_eq!(
        c.balance(&community_pool()),
        1_000_003 - 200_000 - distributed
    );
    assert_eq!(c.balance(&community_pool()), 20_000);
    // The pool holds what was distributed: the unpaid rewards and the one unit the
    // delegators' floors leave.
    assert_eq!(c.balance(&rewards_pool()), distributed);
    assert_eq!(distributed - unpaid, 1);
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
    assert_eq!(ev.get("community"), Some("20000ubls"));
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
        rewards(&c, 1) + rewards(&c, 2) + 1,
        "pool holds the unpaid rewards and the unit the delegators' floors left"
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

/// A delegation made after rewards were allocated cannot claim them: it starts at the
/// validator's current reward ratio and earns only from the next block on.
#[test]
fn a_late_delegator_earns_nothing_from_before_it_delegated() {
    let mut c = two_validators();
    collect(&mut c, "1000003ubls");
    c.next_block();
    // addr(6) delegates 6 BLS to validator 1 (now 12 BLS bonded) right after.
    c.deliver(&addr(6), delegate(6, 1, 6 * BLS)).unwrap();
    assert_eq!(rewards(&c, 6), 0);
    assert_refused(
        c.deliver(&addr(6), withdraw(6)),
        &variant!(FeesError::NoRewards(_)),
    );
    // The next block's fees: it earns its half of validator 1's delegator share, no more.
    let earned_5 = rewards(&c, 5);
    collect(&mut c, "1000000ubls");
    c.next_block();
    // rest 780_000 split by power 12:3 → 624_000 to validator 1, commission 62_400,
    // delegators 561_600: addr(6) 6/12 = 280_800, addr(5) 2/12 = 93_600.
    assert_eq!(rewards(&c, 6), 280_800);
    assert_eq!(rewards(&c, 5) - earned_5, 93_600);
    let bal = c.balance(&addr(6));
    c.deliver(&addr(6), withdraw(6)).unwrap();
    assert_eq!(c.balance(&addr(6)), bal + 280_800);
}

/// What a delegation earned stays earned when its amount changes: undelegating everything or
/// being slashed settles it first; afterwards it earns at the new amount.
#[test]
fn rewards_survive_undelegation_and_slashing() {
    let mut c = two_validators();
    collect(&mut c, "1000003ubls");
    c.next_block();
    assert_eq!(rewards(&c, 5), 156_000);
    // addr(5) leaves validator 1 entirely: its rewards remain.
    c.deliver(&addr(5), undelegate(5, 1, 2 * BLS)).unwrap();
    assert_eq!(rewards(&c, 5), 156_000);
    // Validator 1 is slashed 10%: its self-bond's earnings so far remain.
    let before_1 = rewards(&c, 1);
    c.keeper(|ctx| bls_staking::slash::slash(ctx, &addr(1), 1, 1_000))
        .unwrap();
    assert_eq!(rewards(&c, 1), before_1);
    // Another block: addr(5) earns nothing more from validator 1.
    collect(&mut c, "1000000ubls");
    c.next_block();
    assert_eq!(rewards(&c, 5), 156_000);
    let bal = c.balance(&addr(5));
    c.deliver(&addr(5), withdraw(5)).unwrap();
    assert_eq!(c.balance(&addr(5)), bal + 156_000);
    // The pool still covers everyone's unpaid rewards.
    assert!(c.balance(&rewards_pool()) >= rewards(&c, 1) + rewards(&c, 2));
}

/// End-block distribution does not grow with the validators or their delegations: with 12
/// more bonded validators and 200 one-ubls delegations, a block of fees changes the same
/// handful of keys as with two validators and none (before lazy accounting, it wrote an entry
/// per validator and per delegation, every block with fees).
#[test]
fn distribution_writes_do_not_grow_with_validators_or_delegations() {
    let changed_keys = |extra_validators: u8, extra_delegators: u8| {
        let mut c = two_validators();
        for n in 0..extra_validators {
            let op = 100 + n;
            c.fund(&addr(op), 10 * BLS);
            c.deliver(&addr(op), create_validator(op, op, 2 * BLS, 500))
                .unwrap();
        }
        for n in 0..extra_delegators {
            let d = addr(20 + n);
            c.fund(&d, 10);
            c.deliver(&d, delegate(20 + n, 1 + n % 2, 1)).unwrap();
        }
        c.next_block();
        collect(&mut c, "1000003ubls");
        let before = c.snapshot();
        c.next_block();
        let after = c.snapshot();
        let before: std::collections::BTreeMap<_, _> = before.into_iter().collect();
        let after: std::collections::BTreeMap<_, _> = after.into_iter().collect();
        let keys: std::collections::BTreeSet<_> = before.keys().chain(after.keys()).collect();
        keys.into_iter()
            .filter(|k| before.get(*k) != after.get(*k))
            .count()
    };
    let small = changed_keys(0, 0);
    assert_eq!(
        changed_keys(12, 0),
        small,
        "keys written with 14 validators"
    );
    assert_eq!(
        changed_keys(0, 200),
        small,
        "keys written with 200 more delegations"
    );
    assert!(small < 12, "{small} keys written by a fee block");
}

/// The validator level settles lazily too, and just as strictly: a validator that enters the
/// set after rewards were handed out gets none of them, and a commission change applies from
/// the change on (what accrued before is split at the old rate).
#[test]
fn a_late_validator_earns_nothing_earlier_and_commission_changes_apply_forward() {
    use bls_staking::msgs::{MsgEditValidator, MSG_EDIT_VALIDATOR};

    let mut c = two_validators();
    collect(&mut c, "1000003ubls");
    c.next_block();
    // Validator 1 drops its commission to 0 after the block: its 10% of that block stays.
    c.deliver(
        &addr(1),
        encode_any(
            &MsgEditValidator {
                operator: addr(1).to_string(),
                validator: addr(1).to_string(),
                moniker: String::new(),
                commission_bps: Some(0),
            },
            MSG_EDIT_VALIDATOR,
        ),
    )
    .unwrap();
    assert_eq!(rewards(&c, 1), 52_000 + 312_001);
    assert_eq!(rewards(&c, 5), 156_000);
    // Validator 3 (3 BLS) joins the set in this block's end block: nothing of the past.
    c.deliver(&addr(3), create_validator(3, 3, 3 * BLS, 0))
        .unwrap();
    c.next_block();
    assert_eq!(rewards(&c, 3), 0);
    // The next fees: rest 780_000 over power 6 + 3 + 3 = 12 → 65_000 per power.
    collect(&mut c, "1000000ubls");
    c.next_block();
    assert_eq!(rewards(&c, 3), 195_000, "3 power × 65 000, no commission");
    // Validator 1 now takes no commission: its 390_000 goes 4:2 to its delegators.
    assert_eq!(rewards(&c, 1), 52_000 + 312_001 + 260_000);
    assert_eq!(rewards(&c, 5), 156_000 + 130_000);
    assert!(
        c.balance(&rewards_pool())
            >= rewards(&c, 1) + rewards(&c, 2) + rewards(&c, 3) + rewards(&c, 5)
    );
}

/// A validator pushed out of the active set by another's bond (its own record untouched)
/// keeps what it earned while it was in: its earnings are settled at its old power before
/// the set changes.
#[test]
fn a_validator_pushed_out_of_the_set_keeps_what_it_earned() {
    let balances: Vec<(Address, u128)> = (1..=9).map(|n| (addr(n), 1_000 * BLS)).collect();
    let staking = json!({"params": {"unbonding_blocks": 10, "max_validators": 2,
        "min_self_bond": (2 * BLS).to_string(), "max_commission_bps": 2000,
        "max_unbonding_entries": 2}});
    let mut c = new_chain(
        modules(),
        &balances,
        &[("fees", fees_genesis()), ("staking", staking)],
    )
    .unwrap()
    .0;
    c.deliver(&addr(1), create_validator(1, 1, 6 * BLS, 0))
        .unwrap();
    c.deliver(&addr(2), create_validator(2, 2, 3 * BLS, 0))
        .unwrap();
    c.next_block();
    collect(&mut c, "1000003ubls");
    c.next_block();
    assert_eq!(rewards(&c, 2), 260_001);
    // Validator 3 bonds 10 BLS: the top two are now 3 and 1; validator 2 leaves the set.
    c.deliver(&addr(3), create_validator(3, 3, 10 * BLS, 0))
        .unwrap();
    collect(&mut c, "1000000ubls");
    c.next_block();
    assert_eq!(
        rewards(&c, 2),
        260_001,
        "earned while in the set, nothing since"
    );
    // This block's 780_000 went to the new set by power 10:6.
    assert_eq!(rewards(&c, 3), 487_500);
    assert_eq!(rewards(&c, 1), 520_002 + 292_500);
}
