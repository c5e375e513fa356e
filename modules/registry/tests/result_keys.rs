//! Versioned result keys: rotation keeps the old key with its height range, reserved while
//! evidence can reach it; keys valid for a height range; no rotation while unbonding; the
//! history survives genesis export/import (reservations and prune queue included); a worker
//! that leaves frees its keys; malformed histories are refused.

use bls_core::module::encode_any;
use bls_core::{Address, Module};
use bls_registry::msgs::*;
use bls_registry::queries::WorkerResponse;
use bls_registry::result_keys::{keys_valid_between, ResultKey};
use bls_registry::RegistryError;
use bls_registry::RegistryModule;
use bls_testkit::{assert_refused, variant};
use cosmwasm_std::testing::MockStorage;
use serde_json::json;

mod common;
use common::*;

fn register(c: &mut Chain, n: u8) -> Address {
    let (addr, msg) = register_msg(n, "eu", 2_000);
    c.fund(&addr, 10_000);
    c.tx(&addr, encode_any(&msg, MSG_REGISTER_WORKER)).unwrap();
    addr
}

fn rotate(c: &mut Chain, a: &Address, to: &[u8]) -> Result<(), bls_core::ModuleError> {
    let u = MsgUpdateWorker {
        operator: a.to_string(),
        worker: a.to_string(),
        result_pubkey: to.to_vec(),
        ..Default::default()
    };
    c.tx(a, encode_any(&u, MSG_UPDATE_WORKER)).map(|_| ())
}

fn history(c: &Chain, a: &Address) -> Vec<ResultKey> {
    let r: WorkerResponse = c
        .query("registry", "Worker", json!({"id": a.to_string()}))
        .unwrap();
    r.result_keys
}

#[test]
fn rotation_keeps_the_old_key_for_its_range_and_reserved() {
    let mut c = Chain::new();
    let a = register(&mut c, 1);
    let (_, _, k1) = key(1);
    let (_, _, k2) = key(60);
    c.until(5);
    rotate(&mut c, &a, &k2).unwrap();
    let h = history(&c, &a);
    assert_eq!(
        h,
        vec![
            ResultKey {
                pubkey: hex::encode(&k1),
                from_height: 1,
                until_height: Some(5),
            },
            ResultKey {
                pubkey: hex::encode(&k2),
                from_height: 5,
                until_height: None,
            },
        ]
    );
    // Keys valid for a range: the old one until 5, the new one from 5.
    let valid = |lo, hi| keys_valid_between(&c.store, &a, lo, hi).unwrap();
    assert_eq!(valid(1, 4), vec![k1.clone()]);
    assert_eq!(valid(5, 5), vec![k1.clone(), k2.clone()]);
    assert_eq!(valid(6, 100), vec![k2.clone()]);
    assert!(keys_valid_between(&c.store, &key(99).1, 0, 100)
        .unwrap()
        .is_empty());

    // The old key is reserved: another operator cannot register it.
    let (b, mut msg) = register_msg(2, "us", 2_000);
    msg.result_pubkey = k1.clone();
    c.fund(&b, 10_000);
    assert_refused(
        c.tx(&b, encode_any(&msg, MSG_REGISTER_WORKER)),
        &variant!(RegistryError::DuplicateRegistration(_)),
    );
    // After unbonding_blocks (10) it is out of reach: dropped and free.
    c.until(15);
    c.next_block();
    assert_eq!(history(&c, &a).len(), 1);
    c.tx(&b, encode_any(&msg, MSG_REGISTER_WORKER))
        .expect("the freed key registers");
}

#[test]
fn no_rotation_while_unbonding_and_leaving_frees_every_key() {
    let mut c = Chain::new();
    let a = register(&mut c, 1);
    let (_, _, k1) = key(1);
    let (_, _, k2) = key(61);
    let (_, _, k3) = key(62);
    rotate(&mut c, &a, &k2).unwrap();
    let d = MsgDeregisterWorker {
        operator: a.to_string(),
        worker: a.to_string(),
    };
    c.tx(&a, encode_any(&d, MSG_DEREGISTER_WORKER)).unwrap();
    assert_refused(
        rotate(&mut c, &a, &k3),
        &variant!(RegistryError::WrongStatus {
            worker,
            status,
            action
        }),
    );
    c.until(12);
    c.next_block();
    // The record is gone with both keys: each can be registered again.
    for (n, k) in [(3u8, &k1), (4, &k2)] {
        let (b, mut msg) = register_msg(n, "us", 2_000);
        msg.result_pubkey = k.clone();
        c.fund(&b, 10_000);
        c.tx(&b, encode_any(&msg, MSG_REGISTER_WORKER))
            .expect("freed");
    }
}

/// A change to an exported registry section.
type Edit = Box<dyn Fn(&mut serde_json::Value)>;

#[test]
fn histories_round_trip_through_genesis_and_bad_ones_are_refused() {
    let mut c = Chain::new();
    let a = register(&mut c, 1);
    register(&mut c, 2);
    let (_, _, k1) = key(1);
    let (_, _, k2) = key(63);
    c.until(3);
    rotate(&mut c, &a, &k2).unwrap();
    let exported = RegistryModule.export_genesis(&c.store).unwrap();
    assert_eq!(exported["result_keys"].as_array().unwrap().len(), 2);
    let fresh = import(&exported, 4_000, 8).expect("import");
    assert_eq!(
        RegistryModule.export_genesis(&fresh.store).unwrap(),
        exported
    );
    // The retired key is still reserved after the import, and still valid for its range.
    assert_eq!(
        keys_valid_between(&fresh.store, &a, 1, 2).unwrap(),
        vec![k1.clone()]
    );
    let mut c2 = fresh;
    let (b, mut msg) = register_msg(9, "us", 2_000);
    msg.result_pubkey = k1.clone();
    c2.fund(&b, 10_000);
    assert_refused(
        c2.tx(&b, encode_any(&msg, MSG_REGISTER_WORKER)),
        &variant!(RegistryError::DuplicateRegistration(_)),
    );
    // The prune queue was rebuilt: the key is dropped 10 blocks after its retirement.
    c2.until(14);
    assert_eq!(
        keys_valid_between(&c2.store, &a, 1, 2).unwrap(),
        Vec::<Vec<u8>>::new()
    );

    // A genesis without histories (older files) still loads: current keys only.
    let mut old = exported.clone();
    old.as_object_mut().unwrap().remove("result_keys");
    let fresh = import(&old, 4_000, 8).expect("older genesis loads");
    assert_eq!(
        keys_valid_between(&fresh.store, &a, 0, 100).unwrap(),
        vec![k2.clone()]
    );

    // Malformed histories.
    let cases: Vec<(&str, Edit)> = vec![
        (
            "the last key must be the worker's current result_pubkey",
            Box::new(|g| {
                g["result_keys"][0]["keys"]
                    .as_array_mut()
                    .unwrap()
                    .reverse()
            }),
        ),
        (
            "is not a genesis worker",
            Box::new(|g| {
                g["result_keys"][0]["worker"] = json!(key(77).1.to_string());
            }),
        ),
        (
            "listed twice",
            Box::new(|g| {
                let first = g["result_keys"][0].clone();
                g["result_keys"].as_array_mut().unwrap().push(first);
            }),
        ),
        (
            "key heights out of order",
            Box::new(|g| g["result_keys"][0]["keys"][0]["from_height"] = json!(50)),
        ),
        (
            "registered twice",
            Box::new(|g| {
                let other = g["workers"][1]["result_pubkey"].clone();
                g["result_keys"][0]["keys"][0]["pubkey"] = other;
            }),
        ),
        (
            "invalid result-signing key",
            Box::new(|g| g["result_keys"][0]["keys"][0]["pubkey"] = json!("02ab")),
        ),
    ];
    // result_keys are exported in worker id order; make sure entry 0 is worker `a`.
    let first_is_a = exported["result_keys"][0]["worker"] == json!(a.to_string());
    for (want, edit) in cases {
        let mut g = exported.clone();
        if !first_is_a {
            g["result_keys"].as_array_mut().unwrap().reverse();
            g["workers"].as_array_mut().unwrap().reverse();
        }
        edit(&mut g);
        let e = import(&g, 4_000, 8).map(|_| ()).unwrap_err();
        assert!(e.log.contains(want), "want {want:?} in {e}");
    }
}

/// M4: a worker that deregisters keeps signing with its key during its unbonding period. The
/// record (with every key) is deleted when unbonding completes, so evidence about anything it
/// signed in the last `fastpath_request_ttl + fastpath_settle_window` blocks of unbonding could
/// never land. Deregistration retires the key at that height: it counts for requests alive up to
/// the deregistration and for none that start later; the range survives a genesis round trip;
/// an active worker's history with a retired last key is still refused.
#[test]
fn attack_sign_while_unbonding_key_closed_at_deregistration() {
    let mut c = Chain::new();
    let a = register(&mut c, 1);
    register(&mut c, 2);
    let (_, _, k1) = key(1);
    c.until(4);
    let d = MsgDeregisterWorker {
        operator: a.to_string(),
        worker: a.to_string(),
    };
    c.tx(&a, encode_any(&d, MSG_DEREGISTER_WORKER)).unwrap();
    assert_eq!(
        history(&c, &a),
        vec![ResultKey {
            pubkey: hex::encode(&k1),
            from_height: 1,
            until_height: Some(4),
        }]
    );
    let valid = |s: &MockStorage, lo, hi| keys_valid_between(s, &a, lo, hi).unwrap();
    // A request alive at the deregistration height still reaches the key...
    assert_eq!(valid(&c.store, 0, 4), vec![k1.clone()]);
    assert_eq!(valid(&c.store, 4, 9), vec![k1.clone()]);
    // ...one whose window starts later does not: nothing signed for it can count.
    assert!(valid(&c.store, 5, 9).is_empty());
    // The key stays reserved while the worker unbonds.
    let (b, mut msg) = register_msg(9, "us", 2_000);
    msg.result_pubkey = k1.clone();
    c.fund(&b, 10_000);
    assert_refused(
        c.tx(&b, encode_any(&msg, MSG_REGISTER_WORKER)),
        &variant!(RegistryError::DuplicateRegistration(_)),
    );

    // Genesis: the closed range round-trips for the unbonding worker.
    let exported = RegistryModule.export_genesis(&c.store).unwrap();
    let fresh = import(&exported, 4_000, 8).expect("import");
    assert_eq!(
        RegistryModule.export_genesis(&fresh.store).unwrap(),
        exported
    );
    assert!(valid(&fresh.store, 5, 9).is_empty());
    assert_eq!(valid(&fresh.store, 0, 4), vec![k1.clone()]);
    // An active worker's last key cannot be retired in genesis; nor can a range end before it
    // starts.
    let a_first = exported["result_keys"][0]["worker"] == json!(a.to_string());
    let (ia, ib) = if a_first { (0, 1) } else { (1, 0) };
    let mut g = exported.clone();
    g["result_keys"][ib]["keys"][0]["until_height"] = json!(3);
    let e = import(&g, 4_000, 8).map(|_| ()).unwrap_err();
    assert!(e.log.contains("only for an unbonding worker"), "{e}");
    let mut g = exported.clone();
    g["result_keys"][ia]["keys"][0]["until_height"] = json!(0);
    let e = import(&g, 4_000, 8).map(|_| ()).unwrap_err();
    assert!(e.log.contains("out of order"), "{e}");
}
