//! Slashing in-process tests: double sign (tombstone), downtime window, unjail rules,
//! accounted burns, genesis round trip.

#[path = "../../staking/tests/common/mod.rs"]
mod common;

use bls_auth::AuthModule;
use bls_bank::BankModule;
use bls_core::module::encode_any;
use bls_core::{Address, Misbehavior, Module, ValidatorUpdate, VoteInfo};
use bls_slashing::msgs::{MsgUnjail, MSG_UNJAIL};
use bls_slashing::{state, SlashingError, SlashingModule};
use bls_staking::state as staking;
use bls_staking::StakingModule;
use bls_testkit::{addr, assert_refused, variant, TestChain as Chain};
use common::{create_validator, delegate, new_chain, pubkey, undelegate};
use cosmos_sdk_proto::Any;
use serde_json::{json, Value};

static AUTH: AuthModule = AuthModule;
// These tests send no `MsgSend`: the bank needs no module-account list.
static BANK: BankModule = BankModule::new(|_| None);
static STAKING: StakingModule = StakingModule;
static SLASHING: SlashingModule = SlashingModule;

const BLS: u128 = 1_000_000;
const JAIL: u64 = 20;

fn modules() -> Vec<&'static dyn Module> {
    vec![&AUTH, &BANK, &STAKING, &SLASHING]
}

fn chain() -> Chain {
    let balances: Vec<(Address, u128)> = (1..=9).map(|n| (addr(n), 1_000 * BLS)).collect();
    let staking = json!({"params": {"unbonding_blocks": 100, "max_validators": 10,
        "min_self_bond": (2 * BLS).to_string(), "max_commission_bps": 2000,
        "max_unbonding_entries": 7}});
    let slashing = json!({"params": {"signed_blocks_window": 10, "min_signed_per_window": 5,
        "downtime_jail_blocks": JAIL, "slash_fraction_double_sign": 500,
        "slash_fraction_downtime": 100}});
    new_chain(
        modules(),
        &balances,
        &[("staking", staking), ("slashing", slashing)],
    )
    .unwrap()
    .0
}

fn cons(n: u8) -> Vec<u8> {
    hex::decode(staking::consensus_address(&pubkey(n))).unwrap()
}

fn create(n: u8, bond: u128) -> Any {
    create_validator(n, n, bond, 0)
}

fn unjail(op: u8, val: u8) -> Any {
    encode_any(
        &MsgUnjail {
            operator: addr(op).to_string(),
            validator: addr(val).to_string(),
        },
        MSG_UNJAIL,
    )
}

fn vote(n: u8, signed: bool) -> VoteInfo {
    VoteInfo {
        validator_address: cons(n),
        power: 10,
        signed,
    }
}

/// Two validators: 1 (10 BLS self + 5 BLS from addr(5)) and 2 (10 BLS), both in the set.
fn two_validators() -> Chain {
    let mut c = chain();
    c.deliver(&addr(1), create(1, 10 * BLS)).unwrap();
    c.deliver(&addr(5), delegate(5, 1, 5 * BLS)).unwrap();
    c.deliver(&addr(2), create(2, 10 * BLS)).unwrap();
    c.next_block();
    c
}

/// Runs one block: begin (with `votes`), end; returns the whole output.
fn block(c: &mut Chain, votes: Vec<VoteInfo>) -> bls_testkit::Output {
    c.block.last_commit = votes;
    let mut out = c.begin_block();
    let end = c.end_block();
    out.events.extend(end.events);
    out.updates.extend(end.updates);
    c.advance();
    out
}

fn tokens(c: &Chain, n: u8) -> u128 {
    staking::must_get_validator(&c.store, &addr(n))
        .unwrap()
        .tokens
}

#[test]
fn double_sign_slashes_jails_and_tombstones() {
    let mut c = two_validators();
    c.deliver(&addr(5), undelegate(5, 1, BLS)).unwrap(); // before the offence: kept whole
    c.next_block();
    let offence = c.block.height;
    c.deliver(&addr(5), undelegate(5, 1, 2 * BLS)).unwrap(); // at the offence: cut
    c.next_block();
    c.next_block();
    assert_eq!(tokens(&c, 1), 12 * BLS);
    let (supply, burned) = (c.supply(), c.burned());

    c.block.misbehavior = vec![Misbehavior {
        validator_address: cons(1),
        height: offence,
        power: 15,
        duplicate_vote: true,
    }];
    let out = block(&mut c, vec![vote(1, true), vote(2, true)]);
    // 5% of 12 BLS = 600_000 from tokens; 5% of the 2 BLS entry = 100_000.
    let slash = out.events.iter().find(|e| e.kind == "slash").unwrap();
    assert_eq!(slash.get("reason"), Some("double_sign"));
    assert_eq!(slash.get("burned"), Some("700000ubls"));
    assert_eq!(tokens(&c, 1), 12 * BLS - 600_000);
    assert_eq!(supply - c.supply(), 700_000);
    assert_eq!(c.burned() - burned, 700_000);
    let entries = staking::all_unbondings(&c.store).unwrap();
    assert_eq!(
        entries.iter().map(|e| e.balance).collect::<Vec<_>>(),
        vec![BLS, 2 * BLS - 100_000]
    );
    // Delegations pro rata: 10/12 and 2/12 of 600_000.
    assert_eq!(
        staking::self_bond(&c.store, &addr(1)).unwrap(),
        10 * BLS - 500_000
    );
    assert_eq!(
        staking::delegation(&c.store, &addr(1), &addr(5)).unwrap(),
        2 * BLS - 100_000
    );
    // Jailed and removed from CometBFT's set in the same block.
    assert!(
        staking::must_get_validator(&c.store, &addr(1))
            .unwrap()
            .jailed
    );
    assert_eq!(
        out.updates,
        vec![ValidatorUpdate {
            ed25519_pubkey: pubkey(1),
            power: 0
        }]
    );
    let info: Value = c
        .query(
            "slashing",
            "SigningInfo",
            json!({"validator": addr(1).to_string()}),
        )
        .unwrap();
    assert_eq!(info["info"]["tombstoned"], true);

    // Tombstoned: never unjailed, even much later.
    for _ in 0..JAIL + 1 {
        c.next_block();
    }
    let err = assert_refused(
        c.deliver(&addr(1), unjail(1, 1)),
        &variant!(SlashingError::Tombstoned(_)),
    );
    assert!(err.log.contains("tombstoned"), "{}", err.log);

    // The same evidence again is ignored: no second slash.
    let supply = c.supply();
    c.block.misbehavior = vec![Misbehavior {
        validator_address: cons(1),
        height: offence,
        power: 15,
        duplicate_vote: true,
    }];
    let out = block(&mut c, vec![vote(2, true)]);
    assert!(out.events.iter().any(|e| e.kind == "evidence_ignored"));
    assert_eq!(c.supply(), supply);
}

#[test]
fn evidence_and_votes_of_unknown_validators_and_light_client_attacks_are_ignored() {
    let mut c = two_validators();
    let (supply, before) = (c.supply(), tokens(&c, 1));
    c.block.misbehavior = vec![
        Misbehavior {
            validator_address: vec![9; 20],
            height: 1,
            power: 10,
            duplicate_vote: true,
        },
        Misbehavior {
            validator_address: cons(1),
            height: 1,
            power: 10,
            duplicate_vote: false,
        },
    ];
    let out = block(
        &mut c,
        vec![
            vote(1, true),
            VoteInfo {
                validator_address: vec![9; 20],
                power: 10,
                signed: false,
            },
        ],
    );
    assert_eq!(
        out.events
            .iter()
            .filter(|e| e.kind == "evidence_ignored")
            .count(),
        2
    );
    assert_eq!((c.supply(), tokens(&c, 1)), (supply, before));
    assert!(state::signing_info(&c.store, &hex::encode_upper([9u8; 20]))
        .unwrap()
        .is_none());
}

#[test]
fn downtime_slashes_and_jails_then_unjail_after_the_jail() {
    let mut c = two_validators();
    let (supply, burned) = (c.supply(), c.burned());
    // Window 10, at most 5 misses: 4 signed, then misses; the 6th miss (vote 10) slashes.
    for i in 1..=10u64 {
        let signed = i <= 4;
        let out = block(&mut c, vec![vote(1, signed), vote(2, true)]);
        let slashed = out.events.iter().any(|e| e.kind == "slash");
        assert_eq!(slashed, i == 10, "vote {i}");
        if i == 10 {
            let ev = out.events.iter().find(|e| e.kind == "liveness").unwrap();
            assert_eq!(ev.get("missed_blocks"), Some("6"));
            // 1% of 15 BLS.
            let slash = out.events.iter().find(|e| e.kind == "slash").unwrap();
            assert_eq!(slash.get("burned"), Some("150000ubls"));
            assert_eq!(slash.get("reason"), Some("missing_signature"));
            assert_eq!(
                out.updates,
                vec![ValidatorUpdate {
                    ed25519_pubkey: pubkey(1),
                    power: 0
                }]
            );
        }
    }
    assert_eq!(tokens(&c, 1), 15 * BLS - 150_000);
    assert_eq!(supply - c.supply(), 150_000);
    assert_eq!(c.burned() - burned, 150_000);
    let info = state::signing_info(&c.store, &staking::consensus_address(&pubkey(1)))
        .unwrap()
        .unwrap();
    let jailed_at = c.block.height - 1;
    assert_eq!(info.jailed_until, jailed_at + JAIL);
    assert_eq!((info.missed_blocks_counter, info.index_offset), (0, 0));
    assert!(state::missed_slots(&c.store, &info.address)
        .unwrap()
        .is_empty());

    // Jailed votes (still in the set for a block or two) are not counted.
    block(&mut c, vec![vote(1, false), vote(2, true)]);
    let info2 = state::signing_info(&c.store, &info.address)
        .unwrap()
        .unwrap();
    assert_eq!(info2, info);

    // Too early, until exactly jailed_until.
    while c.block.height < info.jailed_until {
        let before = c.snapshot();
        assert_refused(
            c.deliver(&addr(1), unjail(1, 1)),
            &variant!(SlashingError::UnjailTooEarly {
                validator,
                until,
                height
            }),
        );
        assert_eq!(c.snapshot(), before);
        c.next_block();
    }
    let out = c.deliver(&addr(1), unjail(1, 1)).unwrap();
    assert_eq!(out.events[0].kind, "unjail");
    assert!(
        !staking::must_get_validator(&c.store, &addr(1))
            .unwrap()
            .jailed
    );
    // It rejoins CometBFT's set with its (slashed) power.
    assert_eq!(
        c.next_block().updates,
        vec![ValidatorUpdate {
            ed25519_pubkey: pubkey(1),
            power: 14
        }]
    );
}

#[test]
fn exactly_the_allowed_misses_never_slash() {
    let mut c = two_validators();
    let supply = c.supply();
    // Every other vote missed: 5 of every 10, forever within the limit.
    for i in 0..40u64 {
        let out = block(&mut c, vec![vote(1, i % 2 == 0), vote(2, true)]);
        assert!(!out.events.iter().any(|e| e.kind == "slash"), "block {i}");
    }
    assert_eq!(c.supply(), supply);
    let info = state::signing_info(&c.store, &staking::consensus_address(&pubkey(1)))
        .unwrap()
        .unwrap();
    assert_eq!((info.index_offset, info.missed_blocks_counter), (40, 5));
    // A sixth miss inside the window slashes.
    block(&mut c, vec![vote(1, false), vote(2, true)]); // replaces a signed slot
    assert!(
        staking::must_get_validator(&c.store, &addr(1))
            .unwrap()
            .jailed
    );
}

#[test]
fn unjail_rejections() {
    let mut c = two_validators();
    let before = c.snapshot();
    for (signer, msg, refusal) in [
        (addr(1), unjail(1, 1), variant!(SlashingError::NotJailed(_))),
        (
            addr(3),
            unjail(3, 3),
            variant!(SlashingError::UnknownValidator(_)),
        ),
    ] {
        assert_refused(c.deliver(&signer, msg), &refusal);
        assert_eq!(c.snapshot(), before);
    }
    // Jailed for a low self-bond (no signing info): wrong operator, then self-bond too low.
    c.deliver(&addr(1), undelegate(1, 1, 9 * BLS)).unwrap();
    c.next_block();
    let before = c.snapshot();
    assert_refused(
        c.deliver(&addr(2), unjail(2, 1)),
        &variant!(SlashingError::WrongOperator {
            validator,
            operator,
            signer
        }),
    );
    let err = assert_refused(
        c.deliver(&addr(1), unjail(1, 1)),
        &variant!(SlashingError::NotEnoughSelfBond {
            validator,
            have,
            need
        }),
    );
    assert!(err.log.contains("min_self_bond"), "{}", err.log);
    assert_eq!(c.snapshot(), before);
    // Topping the self-bond up makes unjail work.
    c.deliver(&addr(1), delegate(1, 1, BLS)).unwrap();
    c.deliver(&addr(1), unjail(1, 1)).unwrap();
}

#[test]
fn genesis_export_import_keeps_windows() {
    let mut c = two_validators();
    for i in 0..7u64 {
        block(&mut c, vec![vote(1, i % 3 != 0), vote(2, true)]);
    }
    c.block.misbehavior = vec![Misbehavior {
        validator_address: cons(2),
        height: c.block.height - 1,
        power: 10,
        duplicate_vote: true,
    }];
    block(&mut c, vec![vote(1, false), vote(2, true)]);
    let exported = c.export();
    assert_eq!(
        exported["slashing"]["signing_infos"][0]["missed_slots"]
            .as_array()
            .unwrap()
            .len()
            + exported["slashing"]["signing_infos"][1]["missed_slots"]
                .as_array()
                .unwrap()
                .len(),
        4
    );
    let (c2, _) = c.reimport().unwrap();
    assert_eq!(c2.export(), exported);
    // Bad genesis: slots outside the window.
    let mut bad = exported["slashing"].clone();
    bad["signing_infos"][0]["missed_slots"] = json!([10]);
    bad["signing_infos"][0]["info"]["missed_blocks_counter"] = json!(1);
    let mut c3 = chain();
    let err = c3.genesis(&[("slashing", bad)]).err().unwrap();
    assert!(err.log.contains("missed slots"), "{}", err.log);
}
