//! Worker slashing spares unbonding entries begun before the infraction (the Cosmos SDK rule):
//! entries started at or after the infraction height are cut by exactly the slash fraction,
//! earlier ones are untouched; start heights survive genesis export/import, and genesis files
//! written before the field existed still load (unknown start: slashable).

use bls_core::module::encode_any;
use bls_core::{Address, Module};
use bls_registry::msgs::*;
use bls_registry::penalty;
use bls_registry::state::{self, bonds_account};
use bls_registry::{RegistryError, RegistryModule};
use bls_testkit::{assert_refused, variant};

mod common;
use common::*;

fn register(c: &mut Chain, bond: u128) -> Address {
    let (a, msg) = register_msg(1, "eu", bond);
    c.fund(&a, bond + 1_000);
    c.tx(&a, encode_any(&msg, MSG_REGISTER_WORKER)).unwrap();
    a
}

fn unbond(c: &mut Chain, a: &Address, amount: u128) {
    c.tx(
        a,
        encode_any(
            &MsgUnbondWorker {
                operator: a.to_string(),
                amount: Some(ProtoCoin::ubls(amount)),
            },
            MSG_UNBOND_WORKER,
        ),
    )
    .unwrap();
}

/// (start, completion, amount) of each entry, in order.
fn entries(c: &Chain, a: &Address) -> Vec<(u64, u64, u128)> {
    state::must_get_worker(&c.store, a)
        .unwrap()
        .unbonding
        .iter()
        .map(|e| (e.start_height, e.completion_height, e.amount))
        .collect()
}

#[test]
fn only_entries_begun_at_or_after_the_infraction_are_cut() {
    let mut c = Chain::new();
    let a = register(&mut c, 5_000);
    c.until(2);
    unbond(&mut c, &a, 1_234); // begun at 2, before the infraction
    c.until(5);
    unbond(&mut c, &a, 777); // begun at 5, after the infraction
    assert_eq!(entries(&c, &a), vec![(2, 12, 1_234), (5, 15, 777)]);
    let bond0 = 5_000 - 1_234 - 777; // 2_989
    let held0 = c.balance(&bonds_account());
    assert_eq!(held0, 5_000);

    // Infraction at 4, 10%: the bond (always at stake) and the entry begun at 5 are cut.
    let slashed = c
        .keeper(|ctx| penalty::slash(ctx, &a, 1_000, 4, "dissent"))
        .unwrap();
    let bond_cut = 298; // floor(2_989 / 10)
    let entry_cut = 77; // floor(777 / 10)
    assert_eq!(slashed, bond_cut + entry_cut);
    let w = state::must_get_worker(&c.store, &a).unwrap();
    assert_eq!(w.bond, bond0 - bond_cut);
    assert_eq!(
        entries(&c, &a),
        vec![(2, 12, 1_234), (5, 15, 777 - entry_cut)]
    );
    assert_eq!(w.slashed_total, slashed);
    assert_eq!(c.balance(&bonds_account()), held0 - slashed);
    assert_eq!(
        bls_bank::keeper::burned_of(&c.store, "ubls").unwrap(),
        slashed
    );

    // An infraction exactly at an entry's start height reaches it ("at or after").
    let again = c
        .keeper(|ctx| penalty::slash(ctx, &a, 5_000, 5, "dissent"))
        .unwrap();
    let bond1 = bond0 - bond_cut; // 2_691
    let entry1 = 777 - entry_cut; // 700
    assert_eq!(again, bond1 / 2 + entry1 / 2);
    assert_eq!(
        entries(&c, &a),
        vec![(2, 12, 1_234), (5, 15, entry1 - entry1 / 2)]
    );

    // An infraction after every start leaves all entries alone; the bond is still cut.
    let before = entries(&c, &a);
    let bond2 = state::must_get_worker(&c.store, &a).unwrap().bond;
    let late = c
        .keeper(|ctx| penalty::slash(ctx, &a, 1_000, 6, "dissent"))
        .unwrap();
    assert_eq!(late, bond2 / 10);
    assert_eq!(entries(&c, &a), before);

    // The untouched entry is returned in full at its completion.
    let operator0 = c.balance(&a);
    c.until(13);
    assert_eq!(c.balance(&a), operator0 + 1_234);
}

#[test]
fn unknown_infraction_height_cuts_every_entry() {
    let mut c = Chain::new();
    let a = register(&mut c, 5_000);
    c.until(3);
    unbond(&mut c, &a, 1_000);
    c.until(4);
    unbond(&mut c, &a, 2_000);
    let slashed = c
        .keeper(|ctx| penalty::slash(ctx, &a, 2_500, 0, "evidence"))
        .unwrap();
    assert_eq!(slashed, 500 + 250 + 500);
    assert_eq!(entries(&c, &a), vec![(3, 13, 750), (4, 14, 1_500)]);
}

#[test]
fn same_block_unbondings_merge_and_different_blocks_do_not() {
    let mut c = Chain::new();
    let a = register(&mut c, 5_000);
    c.until(2);
    unbond(&mut c, &a, 100);
    unbond(&mut c, &a, 200);
    c.next_block();
    unbond(&mut c, &a, 300);
    assert_eq!(entries(&c, &a), vec![(2, 12, 300), (3, 13, 300)]);
}

#[test]
fn genesis_keeps_start_heights_and_loads_files_without_them() {
    let mut c = Chain::new();
    let a = register(&mut c, 5_000);
    c.until(3);
    unbond(&mut c, &a, 1_000);
    let exported = RegistryModule.export_genesis(&c.store).unwrap();
    assert_eq!(exported["workers"][0]["unbonding"][0]["start_height"], 3);
    let fresh = import(&exported, 5_000, 1).unwrap();
    assert_eq!(
        RegistryModule.export_genesis(&fresh.store).unwrap(),
        exported
    );

    // A genesis written before `start_height` existed: loads, start unknown (0), slashable by
    // an infraction at any height.
    let mut legacy = exported.clone();
    legacy["workers"][0]["unbonding"][0]
        .as_object_mut()
        .unwrap()
        .remove("start_height");
    let mut old = import(&legacy, 5_000, 1).unwrap();
    let w = state::must_get_worker(&old.store, &a).unwrap();
    assert_eq!(w.unbonding[0].start_height, 0);
    old.block.height = 1_000_000;
    let slashed = old
        .keeper(|ctx| penalty::slash(ctx, &a, 1_000, 1_000_000, "late"))
        .unwrap();
    assert_eq!(slashed, 400 + 100);

    // A start after the completion is refused.
    let mut bad = exported.clone();
    bad["workers"][0]["unbonding"][0]["start_height"] = serde_json::json!(99);
    assert_refused(
        import(&bad, 5_000, 1).map(|_| ()),
        &variant!(RegistryError::InvalidParams(_)),
    );
}
