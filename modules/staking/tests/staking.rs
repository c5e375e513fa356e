//! Staking in-process tests: messages, rejections, unbonding, validator set, slashing keeper,
//! genesis round trip.

mod common;

use bls_auth::AuthModule;
use bls_bank::BankModule;
use bls_core::module::encode_any;
use bls_core::{Address, Module, ValidatorUpdate, VoteInfo};
use bls_staking::msgs::*;
use bls_staking::state::{self, bonded_pool, consensus_address, unbonding_pool};
use bls_staking::{slash, StakingError, StakingModule};
use bls_testkit::{addr, assert_refused, variant, TestChain as Chain};
use common::{create_validator, delegate, new_chain, pubkey, undelegate};
use cosmos_sdk_proto::Any;
use serde_json::{json, Value};

static AUTH: AuthModule = AuthModule;
// These tests send no `MsgSend`: the bank needs no module-account list.
static BANK: BankModule = BankModule::new(|_| None);
static STAKING: StakingModule = StakingModule;

const BLS: u128 = 1_000_000;

fn modules() -> Vec<&'static dyn Module> {
    vec![&AUTH, &BANK, &STAKING]
}

fn params(max_validators: u32) -> Value {
    json!({"params": {"unbonding_blocks": 10, "max_validators": max_validators,
        "min_self_bond": (2 * BLS).to_string(), "max_commission_bps": 2000,
        "max_unbonding_entries": 2}})
}

fn chain(max_validators: u32) -> Chain {
    let balances: Vec<(Address, u128)> = (1..=9).map(|n| (addr(n), 1_000 * BLS)).collect();
    new_chain(modules(), &balances, &[("staking", params(max_validators))])
        .unwrap()
        .0
}

fn create(n: u8, bond: u128) -> Any {
    create_validator(n, n, bond, 500)
}

fn update(key: u8, power: i64) -> ValidatorUpdate {
    ValidatorUpdate {
        ed25519_pubkey: pubkey(key),
        power,
    }
}

fn sorted(mut u: Vec<ValidatorUpdate>) -> Vec<ValidatorUpdate> {
    u.sort_by(|a, b| a.ed25519_pubkey.cmp(&b.ed25519_pubkey));
    u
}

fn tokens(c: &Chain, n: u8) -> u128 {
    state::must_get_validator(&c.store, &addr(n))
        .unwrap()
        .tokens
}

/// bonded pool = Σ tokens, unbonding pool = Σ entry balances.
fn check_pools(c: &Chain) {
    let t: u128 = state::all_validators(&c.store)
        .unwrap()
        .iter()
        .map(|v| v.tokens)
        .sum();
    assert_eq!(c.balance(&bonded_pool()), t, "bonded pool");
    let u: u128 = state::all_unbondings(&c.store)
        .unwrap()
        .iter()
        .map(|e| e.balance)
        .sum();
    assert_eq!(c.balance(&unbonding_pool()), u, "unbonding pool");
}

#[test]
fn create_validator_bonds_and_joins_the_set_once() {
    let mut c = chain(10);
    let out = c.deliver(&addr(1), create(1, 5 * BLS)).unwrap();
    let ev = out
        .events
        .iter()
        .find(|e| e.kind == "create_validator")
        .unwrap();
    assert_eq!(ev.get("validator"), Some(addr(1).as_str()));
    assert_eq!(ev.get("amount"), Some("5000000ubls"));
    assert_eq!(c.balance(&addr(1)), 995 * BLS);
    assert_eq!(c.balance(&bonded_pool()), 5 * BLS);
    assert_eq!(state::self_bond(&c.store, &addr(1)).unwrap(), 5 * BLS);
    let v: Value = c
        .query(
            "staking",
            "Validator",
            json!({"operator": addr(1).to_string()}),
        )
        .unwrap();
    assert_eq!(v["validator"]["tokens"], "5000000");
    assert_eq!(
        v["validator"]["consensus_address"],
        consensus_address(&pubkey(1)).as_str()
    );
    assert_eq!(v["bonded"], false, "joins at end block");

    let out = c.next_block();
    assert_eq!(out.updates, vec![update(1, 5)]);
    let v: Value = c
        .query(
            "staking",
            "Validator",
            json!({"operator": addr(1).to_string()}),
        )
        .unwrap();
    assert_eq!(
        (v["bonded"].clone(), v["bonded_power"].clone()),
        (json!(true), json!(5))
    );
    // Nothing changed: no updates.
    assert!(c.next_block().updates.is_empty());
    check_pools(&c);
}

#[test]
fn create_validator_rejections_change_nothing() {
    let mut c = chain(10);
    c.deliver(&addr(1), create(1, 5 * BLS)).unwrap();
    c.next_block();
    // addr(9)'s key is voting in CometBFT's set without being a staking validator.
    c.block.last_commit = vec![VoteInfo {
        validator_address: hex::decode(consensus_address(&pubkey(99))).unwrap(),
        power: 10,
        signed: true,
    }];
    let before = c.snapshot();
    let duplicate = variant!(StakingError::DuplicateValidator(_));
    let invalid = variant!(StakingError::InvalidField { field, reason });
    let cases: Vec<(Address, Any, &str, StakingError)> = vec![
        (
            addr(2),
            create(2, 2 * BLS - 1),
            "not enough bond",
            variant!(StakingError::NotEnoughBond { have, need }),
        ),
        (
            addr(1),
            create_validator(1, 7, 5 * BLS, 0),
            "duplicate validator",
            duplicate.clone(),
        ),
        (
            addr(2),
            create_validator(2, 1, 5 * BLS, 0),
            "already used",
            duplicate.clone(),
        ),
        (
            addr(2),
            create_validator(2, 99, 5 * BLS, 0),
            "current CometBFT validator",
            duplicate.clone(),
        ),
        (
            addr(2),
            create_validator(2, 2, 5 * BLS, 2001),
            "max_commission_bps",
            invalid.clone(),
        ),
        (
            addr(2),
            create(2, 2_000 * BLS),
            "insufficient funds",
            variant!(StakingError::Bank(_)),
        ),
        (
            addr(2),
            encode_any(
                &MsgCreateValidator {
                    operator: addr(2).to_string(),
                    consensus_pubkey: vec![1; 33],
                    moniker: "x".into(),
                    commission_bps: 0,
                    self_bond: Some(ubls(5 * BLS)),
                },
                MSG_CREATE_VALIDATOR,
            ),
            "expected 32 bytes",
            invalid.clone(),
        ),
        (
            addr(2),
            encode_any(
                &MsgCreateValidator {
                    operator: addr(2).to_string(),
                    consensus_pubkey: pubkey(2),
                    moniker: "x".into(),
                    commission_bps: 0,
                    self_bond: Some(cosmos_sdk_proto::cosmos::base::v1beta1::Coin {
                        denom: "uatom".into(),
                        amount: "5000000".into(),
                    }),
                },
                MSG_CREATE_VALIDATOR,
            ),
            "denom must be ubls",
            invalid.clone(),
        ),
        (
            addr(2),
            encode_any(
                &MsgCreateValidator {
                    operator: addr(2).to_string(),
                    consensus_pubkey: pubkey(2),
                    moniker: String::new(),
                    commission_bps: 0,
                    self_bond: Some(ubls(5 * BLS)),
                },
                MSG_CREATE_VALIDATOR,
            ),
            "moniker",
            invalid.clone(),
        ),
    ];
    for (signer, msg, want, refusal) in cases {
        let err = assert_refused(c.deliver(&signer, msg), &refusal);
        assert!(err.log.contains(want), "{want:?} not in {:?}", err.log);
        assert_eq!(
            c.snapshot(),
            before,
            "rejected message ({want}) wrote state"
        );
    }
    let err = c
        .deliver(
            &addr(2),
            Any {
                type_url: MSG_CREATE_VALIDATOR.into(),
                value: vec![0xff, 0xff],
            },
        )
        .unwrap_err();
    assert!(err.log.contains("decode"), "{}", err.log);
}

#[test]
fn delegate_changes_power_and_updates_only_on_power_change() {
    let mut c = chain(10);
    c.deliver(&addr(1), create(1, 5 * BLS)).unwrap();
    assert_eq!(c.next_block().updates, vec![update(1, 5)]);
    let out = c.deliver(&addr(2), delegate(2, 1, 3 * BLS)).unwrap();
    let kinds: Vec<&str> = out.events.iter().map(|e| e.kind.as_str()).collect();
    // The bond's transfer is the bank's (`coin_spent`, `coin_received`, `transfer`).
    assert_eq!(
        kinds,
        ["coin_spent", "coin_received", "transfer", "delegate"]
    );
    assert_eq!(tokens(&c, 1), 8 * BLS);
    assert_eq!(c.next_block().updates, vec![update(1, 8)]);
    // Half a BLS does not change the power: no update.
    c.deliver(&addr(3), delegate(3, 1, BLS / 2)).unwrap();
    assert!(c.next_block().updates.is_empty());
    let d: Value = c
        .query(
            "staking",
            "Delegations",
            json!({"delegator": addr(3).to_string()}),
        )
        .unwrap();
    assert_eq!(d["delegations"][0]["amount"], "500000");
    assert_eq!(d["delegations"][0]["validator"], addr(1).as_str());
    // Rejections.
    let before = c.snapshot();
    for (signer, msg, want) in [
        (addr(2), delegate(2, 7, BLS), "unknown validator"),
        (addr(2), delegate(2, 1, 0), "must be positive"),
        (addr(2), delegate(2, 1, 5_000 * BLS), "insufficient funds"),
    ] {
        let err = c.deliver(&signer, msg).unwrap_err();
        assert!(err.log.contains(want), "{want:?} not in {:?}", err.log);
        assert_eq!(c.snapshot(), before);
    }
    check_pools(&c);
}

#[test]
fn unbonding_completes_exactly_at_its_height() {
    let mut c = chain(10);
    c.deliver(&addr(1), create(1, 5 * BLS)).unwrap();
    c.deliver(&addr(2), delegate(2, 1, 4 * BLS)).unwrap();
    c.next_block();
    let h = c.block.height;
    let out = c.deliver(&addr(2), undelegate(2, 1, 3 * BLS)).unwrap();
    let ev = out.events.iter().find(|e| e.kind == "unbond").unwrap();
    let completion = h + 10;
    assert_eq!(
        ev.get("completion_height"),
        Some(completion.to_string().as_str())
    );
    assert_eq!(tokens(&c, 1), 6 * BLS);
    assert_eq!(c.balance(&unbonding_pool()), 3 * BLS);
    assert_eq!(c.next_block().updates, vec![update(1, 6)]);
    let u: Value = c
        .query(
            "staking",
            "UnbondingDelegations",
            json!({"delegator": addr(2).to_string()}),
        )
        .unwrap();
    assert_eq!(u["entries"][0]["completion_height"], completion);
    let bal = c.balance(&addr(2));
    while c.block.height < completion {
        let out = c.next_block();
        assert!(!out.events.iter().any(|e| e.kind == "complete_unbonding"));
        assert_eq!(c.balance(&addr(2)), bal, "paid before height {completion}");
    }
    assert_eq!(c.block.height, completion);
    let out = c.next_block();
    let ev = out
        .events
        .iter()
        .find(|e| e.kind == "complete_unbonding")
        .unwrap();
    assert_eq!(ev.get("amount"), Some("3000000ubls"));
    assert_eq!(c.balance(&addr(2)), bal + 3 * BLS);
    assert_eq!(c.balance(&unbonding_pool()), 0);
    assert!(state::all_unbondings(&c.store).unwrap().is_empty());
    check_pools(&c);
}

#[test]
fn undelegate_rejections() {
    let mut c = chain(10);
    c.deliver(&addr(1), create(1, 5 * BLS)).unwrap();
    c.deliver(&addr(2), delegate(2, 1, 4 * BLS)).unwrap();
    c.deliver(&addr(2), undelegate(2, 1, BLS)).unwrap();
    c.deliver(&addr(2), undelegate(2, 1, BLS)).unwrap();
    let before = c.snapshot();
    for (signer, msg, want) in [
        (addr(3), undelegate(3, 1, BLS), "no delegation"),
        (
            addr(2),
            undelegate(2, 1, 2 * BLS + 1),
            "insufficient delegation",
        ),
        (addr(2), undelegate(2, 1, BLS), "too many unbonding entries"),
        (addr(2), undelegate(2, 8, BLS), "unknown validator"),
        (addr(2), undelegate(2, 1, 0), "must be positive"),
    ] {
        let err = c.deliver(&signer, msg).unwrap_err();
        assert!(err.log.contains(want), "{want:?} not in {:?}", err.log);
        assert_eq!(c.snapshot(), before);
    }
}

#[test]
fn self_bond_below_minimum_jails_and_removes_from_set() {
    let mut c = chain(10);
    c.deliver(&addr(1), create(1, 5 * BLS)).unwrap();
    c.deliver(&addr(2), create(2, 5 * BLS)).unwrap();
    c.next_block();
    let out = c.deliver(&addr(1), undelegate(1, 1, 4 * BLS)).unwrap();
    assert!(out.events.iter().any(|e| e.kind == "jail_low_self_bond"));
    assert!(
        state::must_get_validator(&c.store, &addr(1))
            .unwrap()
            .jailed
    );
    assert_eq!(c.next_block().updates, vec![update(1, 0)]);
    let v: Value = c
        .query("staking", "Validators", json!({"status": "bonded"}))
        .unwrap();
    assert_eq!(v["validators"].as_array().unwrap().len(), 1);
    assert_eq!(
        v["validators"][0]["validator"]["operator"],
        addr(2).as_str()
    );
}

#[test]
fn edit_validator_happy_and_rejections() {
    let mut c = chain(10);
    c.deliver(&addr(1), create(1, 5 * BLS)).unwrap();
    let edit = |op: u8, val: u8, moniker: &str, bps: Option<u32>| {
        encode_any(
            &MsgEditValidator {
                operator: addr(op).to_string(),
                validator: addr(val).to_string(),
                moniker: moniker.into(),
                commission_bps: bps,
            },
            MSG_EDIT_VALIDATOR,
        )
    };
    c.deliver(&addr(1), edit(1, 1, "renamed", Some(1500)))
        .unwrap();
    let v = state::must_get_validator(&c.store, &addr(1)).unwrap();
    assert_eq!((v.moniker.as_str(), v.commission_bps), ("renamed", 1500));
    c.deliver(&addr(1), edit(1, 1, "", None)).unwrap();
    let v = state::must_get_validator(&c.store, &addr(1)).unwrap();
    assert_eq!((v.moniker.as_str(), v.commission_bps), ("renamed", 1500));
    let before = c.snapshot();
    let wrong_operator = variant!(StakingError::WrongOperator {
        validator,
        operator,
        signer
    });
    let invalid = variant!(StakingError::InvalidField { field, reason });
    for (signer, msg, want, refusal) in [
        (addr(2), edit(2, 1, "mine", None), "not by", &wrong_operator),
        (
            addr(1),
            edit(1, 1, "", Some(2001)),
            "max_commission_bps",
            &invalid,
        ),
        (
            addr(3),
            edit(3, 3, "x", None),
            "unknown validator",
            &variant!(StakingError::UnknownValidator(_)),
        ),
        (addr(1), edit(1, 1, "bad\nname", None), "moniker", &invalid),
    ] {
        let err = assert_refused(c.deliver(&signer, msg), refusal);
        assert!(err.log.contains(want), "{want:?} not in {:?}", err.log);
        assert_eq!(c.snapshot(), before);
    }
}

/// Validators 1..=4 with powers 5, 3, 3, 2 (created in `order`), max 2.
fn top_two(order: &[u8]) -> (Chain, Vec<ValidatorUpdate>) {
    let mut c = chain(2);
    for &n in order {
        let p = match n {
            1 => 5,
            2 | 3 => 3,
            _ => 2,
        };
        c.deliver(&addr(n), create(n, 2 * BLS)).unwrap();
        if p > 2 {
            c.deliver(&addr(9), delegate(9, n, (p - 2) * BLS)).unwrap();
        }
    }
    let out = c.next_block();
    (c, out.updates)
}

#[test]
fn top_max_validators_selection_is_deterministic() {
    let (mut c, updates) = top_two(&[1, 2, 3, 4]);
    // 5 wins; 3 vs 3 tie goes to the lower operator address (addr(2) < addr(3)).
    assert!(addr(2) < addr(3));
    assert_eq!(
        sorted(updates.clone()),
        sorted(vec![update(1, 5), update(2, 3)])
    );
    let (c2, updates2) = top_two(&[4, 3, 2, 1]);
    assert_eq!(sorted(updates2), sorted(updates));
    assert_eq!(
        state::last_powers(&c.store).unwrap(),
        state::last_powers(&c2.store).unwrap()
    );
    // Validator 4 grows to 10: it enters, validator 2 (now last) leaves with power 0.
    c.deliver(&addr(9), delegate(9, 4, 8 * BLS)).unwrap();
    assert_eq!(
        sorted(c.next_block().updates),
        sorted(vec![update(4, 10), update(2, 0)])
    );
    assert!(c.next_block().updates.is_empty());
}

#[test]
fn slash_is_exact_and_accounted() {
    let mut c = chain(10);
    // tokens 10_000_003 over three delegators.
    c.deliver(&addr(1), create(1, 3_333_334)).unwrap();
    c.deliver(&addr(2), delegate(2, 1, 3_333_334)).unwrap();
    c.deliver(&addr(3), delegate(3, 1, 3_333_335)).unwrap();
    c.next_block();
    c.deliver(&addr(2), undelegate(2, 1, 1_000_000)).unwrap(); // before the offence: kept
    c.next_block();
    let offence = c.block.height;
    c.deliver(&addr(3), undelegate(3, 1, 333_335)).unwrap(); // at the offence height: cut
    c.next_block();
    let tokens_before = tokens(&c, 1);
    assert_eq!(tokens_before, 10_000_003 - 1_333_335);
    let (supply, burned) = (c.supply(), c.burned());
    // 5%: floor(8_666_668 × 0.05) = 433_333 from tokens.
    let out = c
        .keeper(|ctx| slash::slash(ctx, &addr(1), offence, 500))
        .unwrap();
    assert_eq!(out.from_tokens, 433_333);
    // Only the entry from the offence height on: floor(333_335 × 5%) = 16_666.
    assert_eq!(out.from_unbonding, 16_666);
    assert_eq!(tokens(&c, 1), tokens_before - 433_333);
    let dels: Vec<u128> = state::validator_delegations(&c.store, &addr(1))
        .unwrap()
        .iter()
        .map(|d| d.amount)
        .collect();
    assert_eq!(dels.iter().sum::<u128>(), tokens(&c, 1));
    // Pro rata: floor(a × 433_333 / 8_666_668) each, the remainder one unit each in order.
    let expect: Vec<u128> = [3_333_334u128, 2_333_334, 3_000_000]
        .iter()
        .map(|a| a * 433_333 / 8_666_668)
        .collect();
    let floor_sum: u128 = expect.iter().sum();
    let remainder = 433_333 - floor_sum;
    assert!(remainder < 3);
    let mut cuts = expect.clone();
    let addrs = [addr(1), addr(2), addr(3)];
    let mut order: Vec<usize> = (0..3).collect();
    order.sort_by(|a, b| addrs[*a].cmp(&addrs[*b]));
    for i in order.iter().take(usize::try_from(remainder).unwrap()) {
        cuts[*i] += 1;
    }
    let mut want: Vec<(Address, u128)> = addrs
        .iter()
        .cloned()
        .zip([
            3_333_334u128 - cuts[0],
            2_333_334 - cuts[1],
            3_000_000 - cuts[2],
        ])
        .collect();
    want.sort();
    let got: Vec<(Address, u128)> = state::validator_delegations(&c.store, &addr(1))
        .unwrap()
        .into_iter()
        .map(|d| (d.delegator, d.amount))
        .collect();
    assert_eq!(got, want);
    let entries = state::all_unbondings(&c.store).unwrap();
    assert_eq!(entries[0].balance, 1_000_000);
    assert_eq!(entries[1].balance, 333_335 - 16_666);
    assert_eq!(supply - c.supply(), 433_333 + 16_666);
    assert_eq!(c.burned() - burned, supply - c.supply());
    check_pools(&c);
    // An offence after both entries were created leaves them alone.
    let h = c.block.height;
    let out = c.keeper(|ctx| slash::slash(ctx, &addr(1), h, 100)).unwrap();
    assert_eq!(out.from_unbonding, 0);
    check_pools(&c);
}

#[test]
fn genesis_validators_become_init_chain_validators_and_export_roundtrips() {
    let v1 = json!({"operator": addr(1).to_string(), "consensus_pubkey": hex::encode(pubkey(1)),
        "consensus_address": consensus_address(&pubkey(1)), "moniker": "g1",
        "commission_bps": 100, "tokens": "7000000", "jailed": false});
    let v2 = json!({"operator": addr(2).to_string(), "consensus_pubkey": hex::encode(pubkey(2)),
        "consensus_address": consensus_address(&pubkey(2)), "moniker": "g2",
        "commission_bps": 100, "tokens": "3000000", "jailed": false});
    let mut staking = params(10);
    staking["validators"] = json!([v1, v2]);
    staking["delegations"] = json!([
        {"delegator": addr(1).to_string(), "validator": addr(1).to_string(), "amount": "6000000"},
        {"delegator": addr(5).to_string(), "validator": addr(1).to_string(), "amount": "1000000"},
        {"delegator": addr(2).to_string(), "validator": addr(2).to_string(), "amount": "3000000"},
    ]);
    let balances = [
        (addr(1), 100 * BLS),
        (addr(3), 100 * BLS),
        (addr(5), 100 * BLS),
        (bonded_pool(), 10 * BLS),
    ];
    let (mut c, out) = new_chain(modules(), &balances, &[("staking", staking.clone())]).unwrap();
    assert_eq!(
        sorted(out.updates),
        sorted(vec![update(1, 7), update(2, 3)])
    );
    assert!(c.next_block().updates.is_empty());

    // Activity, then export → import → export is identical.
    c.deliver(&addr(5), delegate(5, 2, 2 * BLS)).unwrap();
    c.deliver(&addr(5), undelegate(5, 1, BLS / 2)).unwrap();
    c.deliver(&addr(3), create(3, 4 * BLS)).unwrap();
    c.next_block();
    let exported = c.export();
    let (c2, out2) = c.reimport().unwrap();
    assert_eq!(c2.export(), exported);
    // The recomputed set is the one CometBFT has.
    let mut want: Vec<ValidatorUpdate> = state::last_powers(&c.store)
        .unwrap()
        .iter()
        .map(|(op, p)| {
            let v = state::must_get_validator(&c.store, op).unwrap();
            ValidatorUpdate {
                ed25519_pubkey: v.pubkey_bytes().unwrap(),
                power: *p,
            }
        })
        .collect();
    want = sorted(want);
    assert_eq!(sorted(out2.updates), want);
    assert_eq!(
        state::last_powers(&c2.store).unwrap(),
        state::last_powers(&c.store).unwrap()
    );

    // Inconsistent genesis is refused: tokens ≠ delegations, unfunded pool.
    let mut bad = staking.clone();
    bad["delegations"][1]["amount"] = json!("999999");
    assert!(new_chain(modules(), &balances, &[("staking", bad)])
        .err()
        .unwrap()
        .log
        .contains("delegations sum"));
    let unfunded = [(addr(1), 100 * BLS), (addr(5), 100 * BLS)];
    assert!(new_chain(modules(), &unfunded, &[("staking", staking)])
        .err()
        .unwrap()
        .log
        .contains(state::BONDED_POOL.name()));
}

#[test]
fn no_staking_validators_means_no_updates() {
    let (mut c, out) = new_chain(modules(), &[(addr(1), 10 * BLS)], &[]).unwrap();
    assert!(out.updates.is_empty());
    // CometBFT's own validators vote; staking leaves them alone.
    c.block.last_commit = vec![VoteInfo {
        validator_address: vec![7; 20],
        power: 10,
        signed: true,
    }];
    for _ in 0..3 {
        assert!(c.next_block().updates.is_empty());
    }
}

#[test]
fn the_last_managed_validator_is_not_removed_when_nobody_else_votes() {
    let mut c = chain(10);
    c.deliver(&addr(1), create(1, 5 * BLS)).unwrap();
    c.next_block();
    state::jail(&mut c.store, &addr(1)).unwrap();
    // Only staking's validator votes: removing it would empty CometBFT's set.
    c.block.last_commit = vec![VoteInfo {
        validator_address: hex::decode(consensus_address(&pubkey(1))).unwrap(),
        power: 5,
        signed: true,
    }];
    let out = c.end_block();
    assert!(out.updates.is_empty());
    assert!(out
        .events
        .iter()
        .any(|e| e.kind == "validator_set_empty_avoided"));
    // With another (external) validator voting, the removal goes through.
    c.block.last_commit.push(VoteInfo {
        validator_address: vec![7; 20],
        power: 10,
        signed: true,
    });
    assert_eq!(c.end_block().updates, vec![update(1, 0)]);
}

/// The active set is recomputed only in blocks where a validator record changed: a quiet
/// block reads no validator (with hundreds of candidates, every block would otherwise load
/// and sort them all). Shown by a record edited behind the keeper's back (raw store write):
/// quiet blocks do not see it; the next keeper change recomputes the whole set and does.
#[test]
fn the_set_is_recomputed_only_when_a_validator_changed() {
    use cosmwasm_std::Storage as _;

    let mut c = chain(10);
    c.deliver(&addr(1), create(1, 5 * BLS)).unwrap();
    c.deliver(&addr(2), create(2, 4 * BLS)).unwrap();
    assert_eq!(
        sorted(c.next_block().updates),
        sorted(vec![update(1, 5), update(2, 4)])
    );
    assert_eq!(
        c.store.get(b"staking/set_changed"),
        None,
        "cleared once applied"
    );
    // Validator 1's record, rewritten raw with 9 BLS of tokens (the key of staking's
    // validator map, computed by a map of the same namespace).
    let key = cw_storage_plus::Map::<&str, Value>::new("staking/validators")
        .key(addr(1).as_str())
        .to_vec();
    let mut v: Value = serde_json::from_slice(&c.store.get(&key).expect("validator 1")).unwrap();
    v["tokens"] = json!((9 * BLS).to_string());
    c.store.set(&key, &serde_json::to_vec(&v).unwrap());
    for _ in 0..3 {
        assert!(
            c.next_block().updates.is_empty(),
            "a quiet block recomputes nothing"
        );
    }
    // Any keeper change to any validator: the set is recomputed from every record.
    c.deliver(&addr(3), delegate(3, 2, BLS)).unwrap();
    assert_eq!(
        sorted(c.next_block().updates),
        sorted(vec![update(1, 9), update(2, 5)])
    );
}
