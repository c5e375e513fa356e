//! Registry: registration, updates, jail/unjail, unbonding, slashing, liveness window,
//! queries and genesis, driven through the `Module` impl over MockStorage.

use bls_core::module::encode_any;
use bls_core::{Address, Module};
use bls_registry::liveness::{self, Duty};
use bls_registry::msgs::*;
use bls_registry::penalty;
use bls_registry::queries::{WorkerResponse, WorkersResponse};
use bls_registry::state::{self, bonds_account};
use bls_registry::RegistryError;
use bls_registry::{RegistryModule, WorkerStatus};
use bls_testkit::{assert_refused, variant};

mod common;
use common::*;

fn register(c: &mut Chain, n: u8, region: &str) -> Address {
    let (addr, msg) = register_msg(n, region, 2_000);
    c.fund(&addr, 10_000);
    c.tx(&addr, encode_any(&msg, MSG_REGISTER_WORKER)).unwrap();
    addr
}

#[test]
fn register_bonds_and_is_queryable() {
    let mut c = Chain::new();
    let a = register(&mut c, 1, "eu");
    let b = register(&mut c, 2, "us");
    assert_eq!(c.balance(&a), 8_000);
    assert_eq!(c.balance(&bonds_account()), 4_000);
    let r: WorkerResponse = c
        .query(
            "registry",
            "Worker",
            serde_json::json!({"id": a.to_string()}),
        )
        .unwrap();
    assert_eq!(r.worker.status, WorkerStatus::Active);
    assert_eq!(r.worker.bond, 2_000);
    let r: WorkersResponse = c
        .query("registry", "Workers", serde_json::json!({"region": "us"}))
        .unwrap();
    assert_eq!(r.workers.len(), 1);
    assert_eq!(r.workers[0].operator, b);
    let r: WorkersResponse = c
        .query("registry", "Workers", serde_json::json!({"limit": 1}))
        .unwrap();
    assert_eq!(r.workers.len(), 1);
    let next = r.next.expect("a second page");
    let r2: WorkersResponse = c
        .query(
            "registry",
            "Workers",
            serde_json::json!({"start_after": next, "limit": 1}),
        )
        .unwrap();
    assert_eq!(r2.workers.len(), 1);
    assert_ne!(r2.workers[0].operator, r.workers[0].operator);
    assert!(r2.next.is_none());
    let r: WorkersResponse = c
        .query(
            "registry",
            "WorkersByOperator",
            serde_json::json!({"operator": a.to_string()}),
        )
        .unwrap();
    assert_eq!(r.workers.len(), 1);
    assert_eq!(state::active_workers(&c.store).unwrap().len(), 2);
    assert_refused(
        c.query::<WorkerResponse>("registry", "Worker", serde_json::json!({"id": "bls1xyz"})),
        &variant!(RegistryError::InvalidQuery(_)),
    );
}

#[test]
fn registration_rejections() {
    let mut c = Chain::new();
    // Not enough bond (worker min 1000; head min 5000).
    let (a, msg) = register_msg(1, "eu", 999);
    c.fund(&a, 100_000);
    assert_refused(
        c.tx(&a, encode_any(&msg, MSG_REGISTER_WORKER)),
        &variant!(RegistryError::NotEnoughBond { have, need }),
    );
    let (_, mut head) = register_msg(1, "eu", 4_000);
    head.role = "head".into();
    assert_refused(
        c.tx(&a, encode_any(&head, MSG_REGISTER_WORKER)),
        &variant!(RegistryError::NotEnoughBond { have, need }),
    );
    // Wrong denom, bad role, bad key, bad fields.
    let (_, mut m) = register_msg(1, "eu", 2_000);
    m.bond = Some(ProtoCoin {
        denom: "uatom".into(),
        amount: "2000".into(),
    });
    assert!(c
        .tx(&a, encode_any(&m, MSG_REGISTER_WORKER))
        .unwrap_err()
        .log
        .contains("denom"));
    let (_, mut m) = register_msg(1, "eu", 2_000);
    m.role = "boss".into();
    assert_refused(
        c.tx(&a, encode_any(&m, MSG_REGISTER_WORKER)),
        &variant!(RegistryError::InvalidField { field, reason }),
    );
    let (_, mut m) = register_msg(1, "eu", 2_000);
    m.result_pubkey.truncate(32);
    assert_refused(
        c.tx(&a, encode_any(&m, MSG_REGISTER_WORKER)),
        &variant!(RegistryError::InvalidKey(_)),
    );
    let (_, mut m) = register_msg(1, "eu", 2_000);
    m.result_pubkey = [vec![0x02], vec![0xff; 32]].concat(); // x ≥ p: not on the curve
    assert_refused(
        c.tx(&a, encode_any(&m, MSG_REGISTER_WORKER)),
        &variant!(RegistryError::InvalidKey(_)),
    );
    let (_, mut m) = register_msg(1, "", 2_000);
    m.region = String::new();
    assert!(c
        .tx(&a, encode_any(&m, MSG_REGISTER_WORKER))
        .unwrap_err()
        .log
        .contains("region"));
    let (_, mut m) = register_msg(1, "eu", 2_000);
    m.multiaddrs = vec!["/a".into(), "/b".into(), "/c".into()];
    assert!(c
        .tx(&a, encode_any(&m, MSG_REGISTER_WORKER))
        .unwrap_err()
        .log
        .contains("multiaddrs"));
    let (_, mut m) = register_msg(1, "eu", 2_000);
    m.capabilities = None;
    assert_refused(
        c.tx(&a, encode_any(&m, MSG_REGISTER_WORKER)),
        &variant!(RegistryError::InvalidField { field, reason }),
    );
    // Insufficient funds.
    let (poor, m) = register_msg(9, "eu", 2_000);
    assert!(c
        .tx(&poor, encode_any(&m, MSG_REGISTER_WORKER))
        .unwrap_err()
        .log
        .contains("insufficient"));
    // Nothing above changed state.
    assert_eq!(c.balance(&bonds_account()), 0);
    // Duplicate: same operator, and another operator reusing the key or peer id.
    let (_, m) = register_msg(1, "eu", 2_000);
    c.tx(&a, encode_any(&m, MSG_REGISTER_WORKER)).unwrap();
    assert_refused(
        c.tx(&a, encode_any(&m, MSG_REGISTER_WORKER)),
        &variant!(RegistryError::DuplicateRegistration(_)),
    );
    let (b, mut m2) = register_msg(2, "eu", 2_000);
    c.fund(&b, 10_000);
    m2.result_pubkey = m.result_pubkey.clone();
    assert_refused(
        c.tx(&b, encode_any(&m2, MSG_REGISTER_WORKER)),
        &variant!(RegistryError::DuplicateRegistration(_)),
    );
    let (_, mut m3) = register_msg(2, "eu", 2_000);
    m3.peer_id = m.peer_id.clone();
    assert_refused(
        c.tx(&b, encode_any(&m3, MSG_REGISTER_WORKER)),
        &variant!(RegistryError::DuplicateRegistration(_)),
    );
}

#[test]
fn wrong_operator_and_unknown_worker() {
    let mut c = Chain::new();
    let a = register(&mut c, 1, "eu");
    let b = register(&mut c, 2, "us");
    let m = MsgDeregisterWorker {
        operator: b.to_string(),
        worker: a.to_string(),
    };
    assert_refused(
        c.tx(&b, encode_any(&m, MSG_DEREGISTER_WORKER)),
        &variant!(RegistryError::WrongOperator {
            worker,
            operator,
            signer
        }),
    );
    let u = MsgUpdateWorker {
        operator: b.to_string(),
        worker: a.to_string(),
        region: "ap".into(),
        ..Default::default()
    };
    assert_refused(
        c.tx(&b, encode_any(&u, MSG_UPDATE_WORKER)),
        &variant!(RegistryError::WrongOperator {
            worker,
            operator,
            signer
        }),
    );
    let (_, ghost, _) = key(77);
    let m = MsgUnjailWorker {
        operator: ghost.to_string(),
        worker: ghost.to_string(),
    };
    assert_refused(
        c.tx(&ghost, encode_any(&m, MSG_UNJAIL_WORKER)),
        &variant!(RegistryError::UnknownWorker(_)),
    );
}

#[test]
fn update_changes_fields_and_tops_up_bond() {
    let mut c = Chain::new();
    let a = register(&mut c, 1, "eu");
    let (_, _, newpk) = key(50);
    let u = MsgUpdateWorker {
        operator: a.to_string(),
        worker: a.to_string(),
        result_pubkey: newpk.clone(),
        region: "ap".into(),
        add_bond: Some(ProtoCoin::ubls(500)),
        ..Default::default()
    };
    c.tx(&a, encode_any(&u, MSG_UPDATE_WORKER)).unwrap();
    let w = state::must_get_worker(&c.store, &a).unwrap();
    assert_eq!(w.region, "ap");
    assert_eq!(w.bond, 2_500);
    assert_eq!(w.result_pubkey, hex::encode(&newpk));
    assert_eq!(w.network, "AS13335", "empty fields unchanged");
    assert_eq!(c.balance(&bonds_account()), 2_500);
}

#[test]
fn jail_unjail_and_too_early() {
    let mut c = Chain::new();
    let a = register(&mut c, 1, "eu");
    assert!(c
        .keeper(|ctx| penalty::jail(ctx, &a, 5, "test"))
        .unwrap()
        .is_some());
    assert!(state::active_workers(&c.store).unwrap().is_empty());
    let m = MsgUnjailWorker {
        operator: a.to_string(),
        worker: a.to_string(),
    };
    assert_refused(
        c.tx(&a, encode_any(&m, MSG_UNJAIL_WORKER)),
        &variant!(RegistryError::UnjailTooEarly {
            worker,
            until,
            height
        }),
    );
    while c.block.height < 5 {
        c.next_block();
    }
    c.tx(&a, encode_any(&m, MSG_UNJAIL_WORKER)).unwrap();
    assert_eq!(
        state::must_get_worker(&c.store, &a).unwrap().status,
        WorkerStatus::Active
    );
    // Unjailing an active worker is refused.
    assert_refused(
        c.tx(&a, encode_any(&m, MSG_UNJAIL_WORKER)),
        &variant!(RegistryError::WrongStatus {
            worker,
            status,
            action
        }),
    );
}

#[test]
fn slash_burns_and_below_minimum_cannot_unjail() {
    let mut c = Chain::new();
    let a = register(&mut c, 1, "eu");
    let supply0 = bls_bank::keeper::supply_of(&c.store, "ubls").unwrap();
    let amount = c
        .keeper(|ctx| penalty::slash(ctx, &a, 6_000, 0, "test"))
        .unwrap();
    assert_eq!(amount, 1_200);
    let w = state::must_get_worker(&c.store, &a).unwrap();
    assert_eq!(w.bond, 800);
    assert_eq!(w.slashed_total, 1_200);
    assert_eq!(state::slashed_total(&c.store).unwrap(), 1_200);
    assert_eq!(c.balance(&bonds_account()), 800);
    assert_eq!(
        supply0 - bls_bank::keeper::supply_of(&c.store, "ubls").unwrap(),
        1_200
    );
    assert_eq!(
        bls_bank::keeper::burned_of(&c.store, "ubls").unwrap(),
        1_200
    );
    c.keeper(|ctx| penalty::jail(ctx, &a, 2, "test")).unwrap();
    c.next_block();
    let m = MsgUnjailWorker {
        operator: a.to_string(),
        worker: a.to_string(),
    };
    assert_refused(
        c.tx(&a, encode_any(&m, MSG_UNJAIL_WORKER)),
        &variant!(RegistryError::NotEnoughBond { have, need }),
    );
    // Top up, then unjail works.
    let u = MsgUpdateWorker {
        operator: a.to_string(),
        worker: a.to_string(),
        add_bond: Some(ProtoCoin::ubls(300)),
        ..Default::default()
    };
    c.tx(&a, encode_any(&u, MSG_UPDATE_WORKER)).unwrap();
    c.tx(&a, encode_any(&m, MSG_UNJAIL_WORKER)).unwrap();
}

#[test]
fn deregister_unbonds_after_the_period() {
    let mut c = Chain::new();
    let a = register(&mut c, 1, "eu");
    let m = MsgDeregisterWorker {
        operator: a.to_string(),
        worker: a.to_string(),
    };
    c.tx(&a, encode_any(&m, MSG_DEREGISTER_WORKER)).unwrap();
    let w = state::must_get_worker(&c.store, &a).unwrap();
    assert_eq!(w.status, WorkerStatus::Unbonding);
    assert_eq!(w.unbonding_height, 11);
    assert_refused(
        c.tx(&a, encode_any(&m, MSG_DEREGISTER_WORKER)),
        &variant!(RegistryError::WrongStatus {
            worker,
            status,
            action
        }),
    );
    // Still slashable while unbonding.
    c.keeper(|ctx| penalty::slash(ctx, &a, 1_000, 0, "late evidence"))
        .unwrap();
    while c.block.height <= 10 {
        c.next_block();
    }
    assert!(
        state::get_worker(&c.store, &a).unwrap().is_some(),
        "not before completion"
    );
    c.next_block(); // end block of height 11 pays out
    assert!(state::get_worker(&c.store, &a).unwrap().is_none());
    assert_eq!(c.balance(&a), 8_000 + 1_800);
    assert_eq!(c.balance(&bonds_account()), 0);
    // The operator may register again.
    let (_, msg) = register_msg(1, "eu", 2_000);
    c.tx(&a, encode_any(&msg, MSG_REGISTER_WORKER)).unwrap();
}

#[test]
fn liveness_window_jails_after_too_many_misses() {
    let mut c = Chain::new();
    let a = register(&mut c, 1, "eu");
    // Window 4, min answered 2: answers then misses.
    for _ in 0..2 {
        c.keeper(|ctx| liveness::record_answer(ctx, &a)).unwrap();
    }
    let miss = |c: &mut Chain| c.keeper(|ctx| liveness::record_miss(ctx, &a, &Duty::Job(7)));
    assert_eq!(miss(&mut c).unwrap(), None);
    assert_eq!(miss(&mut c).unwrap(), None, "2 of 4 answered: ok");
    assert!(c.events_of("bls.worker_jailed").is_empty());
    // The fifth record overwrites the oldest slot (an answer) with a miss: 1 of 4 answered.
    c.until(3);
    assert_eq!(miss(&mut c).unwrap(), Some(8));
    let w = state::must_get_worker(&c.store, &a).unwrap();
    assert_eq!(w.status, WorkerStatus::Jailed);
    assert_eq!(w.jailed_until, 8);
    assert_eq!(w.last_penalty, liveness::JAIL_REASON);
    // The keeper emitted every miss and the jail itself.
    let missed = c.events_of("bls.worker_missed");
    assert_eq!(missed.len(), 3);
    assert!(missed
        .iter()
        .all(|e| e.get("worker") == Some(a.as_str()) && e.get("job_id") == Some("7")));
    let jailed = c.events_of("bls.worker_jailed");
    assert_eq!(jailed.len(), 1);
    assert_eq!(jailed[0].get("until"), Some("8"));
    assert_eq!(jailed[0].get("reason"), Some(liveness::JAIL_REASON));
    assert_eq!(
        liveness::counters(&c.store, &a).unwrap().missed,
        0,
        "window reset"
    );
}

#[test]
fn genesis_round_trips() {
    let mut c = Chain::new();
    let a = register(&mut c, 1, "eu");
    register(&mut c, 2, "us");
    let m = MsgDeregisterWorker {
        operator: a.to_string(),
        worker: a.to_string(),
    };
    c.tx(&a, encode_any(&m, MSG_DEREGISTER_WORKER)).unwrap();
    let exported = RegistryModule.export_genesis(&c.store).unwrap();

    // Without the bonds funded by the bank genesis, import is refused.
    assert_refused(
        import(&exported, 0, 1).map(|_| ()),
        &variant!(RegistryError::NotEnoughBond { have, need }),
    );
    let fresh = import(&exported, 4_000, 1).unwrap();
    assert_eq!(
        RegistryModule.export_genesis(&fresh.store).unwrap(),
        exported
    );
    // The unbonding queue was rebuilt.
    assert_eq!(state::due_unbondings(&fresh.store, 100).unwrap().len(), 1);
}

fn bond_msg(a: &Address, amount: u128) -> cosmos_sdk_proto::Any {
    encode_any(
        &MsgBondWorker {
            operator: a.to_string(),
            amount: Some(ProtoCoin::ubls(amount)),
        },
        MSG_BOND_WORKER,
    )
}

fn unbond_msg(a: &Address, amount: u128) -> cosmos_sdk_proto::Any {
    encode_any(
        &MsgUnbondWorker {
            operator: a.to_string(),
            amount: Some(ProtoCoin::ubls(amount)),
        },
        MSG_UNBOND_WORKER,
    )
}

#[test]
fn bond_adds_exactly_and_shares_the_update_path() {
    let mut c = Chain::new();
    let a = register(&mut c, 1, "eu");
    c.tx(&a, bond_msg(&a, 700)).unwrap();
    let w = state::must_get_worker(&c.store, &a).unwrap();
    assert_eq!(w.bond, 2_700);
    assert_eq!(c.balance(&a), 10_000 - 2_700);
    assert_eq!(c.balance(&bonds_account()), 2_700);
    // Zero, wrong denom and more than the balance are refused without side effects.
    assert_refused(
        c.tx(&a, bond_msg(&a, 0)),
        &variant!(RegistryError::InvalidField { field, reason }),
    );
    let wrong = MsgBondWorker {
        operator: a.to_string(),
        amount: Some(ProtoCoin {
            denom: "uatom".into(),
            amount: "5".into(),
        }),
    };
    assert!(c
        .tx(&a, encode_any(&wrong, MSG_BOND_WORKER))
        .unwrap_err()
        .log
        .contains("denom"));
    assert!(c
        .tx(&a, bond_msg(&a, 1_000_000))
        .unwrap_err()
        .log
        .contains("insufficient"));
    assert_eq!(state::must_get_worker(&c.store, &a).unwrap().bond, 2_700);
    // A zero add_bond in MsgUpdateWorker is refused the same way (one code path).
    let u = MsgUpdateWorker {
        operator: a.to_string(),
        worker: a.to_string(),
        add_bond: Some(ProtoCoin::ubls(0)),
        ..Default::default()
    };
    assert_refused(
        c.tx(&a, encode_any(&u, MSG_UPDATE_WORKER)),
        &variant!(RegistryError::InvalidField { field, reason }),
    );
    // Bonding a deregistered (unbonding) worker is refused.
    let d = MsgDeregisterWorker {
        operator: a.to_string(),
        worker: a.to_string(),
    };
    c.tx(&a, encode_any(&d, MSG_DEREGISTER_WORKER)).unwrap();
    assert_refused(
        c.tx(&a, bond_msg(&a, 10)),
        &variant!(RegistryError::WrongStatus {
            worker,
            status,
            action
        }),
    );
}

#[test]
fn unbond_below_the_minimum_is_rejected() {
    let mut c = Chain::new();
    let a = register(&mut c, 1, "eu"); // bond 2000, worker min 1000
    let e = assert_refused(
        c.tx(&a, unbond_msg(&a, 1_001)),
        &variant!(RegistryError::NotEnoughBond { have, need }),
    );
    assert!(e.log.contains("deregister"), "{}", e.log);
    assert_refused(
        c.tx(&a, unbond_msg(&a, 2_000)),
        &variant!(RegistryError::NotEnoughBond { have, need }),
    );
    assert_refused(
        c.tx(&a, unbond_msg(&a, u128::MAX)),
        &variant!(RegistryError::NotEnoughBond { have, need }),
    );
    assert_refused(
        c.tx(&a, unbond_msg(&a, 0)),
        &variant!(RegistryError::InvalidField { field, reason }),
    );
    // Exactly down to the minimum is fine.
    c.tx(&a, unbond_msg(&a, 1_000)).unwrap();
    let w = state::must_get_worker(&c.store, &a).unwrap();
    assert_eq!(w.bond, 1_000);
    assert_eq!(w.status, WorkerStatus::Active);
    assert_eq!(state::unbonding_total(&w), 1_000);
    assert_refused(
        c.tx(&a, unbond_msg(&a, 1)),
        &variant!(RegistryError::NotEnoughBond { have, need }),
    );
    // Head role uses min_head_bond (5000).
    let (h, mut m) = register_msg(2, "eu", 6_000);
    m.role = "head".into();
    c.fund(&h, 10_000);
    c.tx(&h, encode_any(&m, MSG_REGISTER_WORKER)).unwrap();
    assert_refused(
        c.tx(&h, unbond_msg(&h, 1_001)),
        &variant!(RegistryError::NotEnoughBond { have, need }),
    );
    c.tx(&h, unbond_msg(&h, 1_000)).unwrap();
    // A deregistered worker cannot unbond part of its bond.
    let d = MsgDeregisterWorker {
        operator: h.to_string(),
        worker: h.to_string(),
    };
    c.tx(&h, encode_any(&d, MSG_DEREGISTER_WORKER)).unwrap();
    assert_refused(
        c.tx(&h, unbond_msg(&h, 1)),
        &variant!(RegistryError::WrongStatus {
            worker,
            status,
            action
        }),
    );
}

#[test]
fn jailed_worker_may_unbond_down_to_the_minimum() {
    // Decision: allowed, as deregistration is allowed while jailed; the amount stays
    // slashable for the whole unbonding period and the minimum still binds.
    let mut c = Chain::new();
    let a = register(&mut c, 1, "eu");
    assert!(c
        .keeper(|ctx| penalty::jail(ctx, &a, 50, "test"))
        .unwrap()
        .is_some());
    c.tx(&a, unbond_msg(&a, 500)).unwrap();
    let w = state::must_get_worker(&c.store, &a).unwrap();
    assert_eq!((w.status, w.bond), (WorkerStatus::Jailed, 1_500));
    // Slashed below the minimum: nothing more may be unbonded.
    c.keeper(|ctx| penalty::slash(ctx, &a, 5_000, 0, "evidence"))
        .unwrap();
    assert_eq!(state::must_get_worker(&c.store, &a).unwrap().bond, 750);
    assert_refused(
        c.tx(&a, unbond_msg(&a, 1)),
        &variant!(RegistryError::NotEnoughBond { have, need }),
    );
}

#[test]
fn unbond_completes_exactly_at_its_height() {
    let mut c = Chain::new();
    let a = register(&mut c, 1, "eu"); // height 1, unbonding_blocks 10
    c.next_block(); // height 2
    c.tx(&a, unbond_msg(&a, 300)).unwrap();
    c.tx(&a, unbond_msg(&a, 200)).unwrap(); // same height: merges into one entry
    c.next_block(); // height 3
    c.tx(&a, unbond_msg(&a, 100)).unwrap();
    let w = state::must_get_worker(&c.store, &a).unwrap();
    assert_eq!(w.bond, 1_400);
    assert_eq!(
        w.unbonding
            .iter()
            .map(|e| (e.completion_height, e.amount))
            .collect::<Vec<_>>(),
        vec![(12, 500), (13, 100)]
    );
    assert_eq!(
        c.balance(&bonds_account()),
        2_000,
        "still held while unbonding"
    );
    while c.block.height < 12 {
        c.next_block();
    }
    assert_eq!(
        c.balance(&a),
        8_000,
        "nothing returned before height 12's end block"
    );
    c.next_block(); // end block of 12
    assert_eq!(c.balance(&a), 8_500);
    let w = state::must_get_worker(&c.store, &a).unwrap();
    assert_eq!(w.unbonding.len(), 1);
    assert_eq!(w.status, WorkerStatus::Active);
    c.next_block(); // end block of 13
    assert_eq!(c.balance(&a), 8_600);
    assert_eq!(c.balance(&bonds_account()), 1_400);
    let w = state::must_get_worker(&c.store, &a).unwrap();
    assert!(w.unbonding.is_empty());
    assert_eq!(w.bond, 1_400);
    assert!(state::due_unbondings(&c.store, u64::MAX)
        .unwrap()
        .is_empty());
}

#[test]
fn too_many_unbondings_in_flight_are_refused() {
    let mut c = Chain::new();
    let (a, msg) = register_msg(1, "eu", 9_000);
    c.fund(&a, 10_000);
    c.tx(&a, encode_any(&msg, MSG_REGISTER_WORKER)).unwrap();
    for _ in 0..state::MAX_UNBONDING_ENTRIES {
        c.tx(&a, unbond_msg(&a, 10)).unwrap();
        c.next_block();
    }
    assert_refused(
        c.tx(&a, unbond_msg(&a, 10)),
        &variant!(RegistryError::TooManyUnbondings { worker, max }),
    );
}

#[test]
fn slash_during_unbonding_cuts_the_entry_and_supply_is_conserved() {
    let mut c = Chain::new();
    let a = register(&mut c, 1, "eu");
    let supply0 = c.supply();
    c.tx(&a, bond_msg(&a, 1_000)).unwrap(); // bond 3000
    c.tx(&a, unbond_msg(&a, 1_000)).unwrap(); // bond 2000, entry 1000 at 11
    let slashed = c
        .keeper(|ctx| penalty::slash(ctx, &a, 1_000, 0, "double sign"))
        .unwrap();
    assert_eq!(slashed, 200 + 100, "10% of the bond and 10% of the entry");
    let w = state::must_get_worker(&c.store, &a).unwrap();
    assert_eq!(w.bond, 1_800);
    assert_eq!(w.unbonding[0].amount, 900);
    assert_eq!(w.slashed_total, 300);
    assert_eq!(c.balance(&bonds_account()), 2_700);
    assert_eq!(supply0 - c.supply(), 300);
    assert_eq!(bls_bank::keeper::burned_of(&c.store, "ubls").unwrap(), 300);
    while c.block.height <= 11 {
        c.next_block();
    }
    assert_eq!(c.balance(&a), 10_000 - 3_000 + 900);
    // Deregistering returns the rest; every coin is accounted for: held or burnt.
    let d = MsgDeregisterWorker {
        operator: a.to_string(),
        worker: a.to_string(),
    };
    c.tx(&a, encode_any(&d, MSG_DEREGISTER_WORKER)).unwrap();
    while c.block.height <= 22 {
        c.next_block();
    }
    assert!(state::get_worker(&c.store, &a).unwrap().is_none());
    assert_eq!(c.balance(&a), 10_000 - 300);
    assert_eq!(c.balance(&bonds_account()), 0);
    assert_eq!(c.supply() + 300, supply0);
}

#[test]
fn deregistration_returns_partial_unbondings_still_in_flight() {
    let mut c = Chain::new();
    let a = register(&mut c, 1, "eu");
    c.tx(&a, unbond_msg(&a, 400)).unwrap(); // completes at 11
    let d = MsgDeregisterWorker {
        operator: a.to_string(),
        worker: a.to_string(),
    };
    c.tx(&a, encode_any(&d, MSG_DEREGISTER_WORKER)).unwrap(); // also at 11: one queue key
    while c.block.height <= 11 {
        c.next_block();
    }
    assert!(state::get_worker(&c.store, &a).unwrap().is_none());
    assert_eq!(c.balance(&a), 10_000);
    assert_eq!(c.balance(&bonds_account()), 0);
}

#[test]
fn bond_and_unbond_reject_other_operators() {
    let mut c = Chain::new();
    let a = register(&mut c, 1, "eu");
    let b = register(&mut c, 2, "us");
    // The signer is the operator named in the message: b cannot sign a's message.
    assert_eq!(RegistryModule.msg_signer(&bond_msg(&a, 1)).unwrap(), a);
    assert_eq!(RegistryModule.msg_signer(&unbond_msg(&a, 1)).unwrap(), a);
    assert_ne!(RegistryModule.msg_signer(&unbond_msg(&a, 1)).unwrap(), b);
    // An operator without a worker is refused.
    let (_, ghost, _) = key(77);
    c.fund(&ghost, 1_000);
    assert_refused(
        c.tx(&ghost, bond_msg(&ghost, 10)),
        &variant!(RegistryError::UnknownWorker(_)),
    );
    assert_refused(
        c.tx(&ghost, unbond_msg(&ghost, 10)),
        &variant!(RegistryError::UnknownWorker(_)),
    );
    let bad = MsgUnbondWorker {
        operator: "not-an-address".into(),
        amount: Some(ProtoCoin::ubls(1)),
    };
    assert_refused(
        RegistryModule.msg_signer(&encode_any(&bad, MSG_UNBOND_WORKER)),
        &variant!(RegistryError::InvalidField { field, reason }),
    );
    // b's unbond touches only b's worker.
    c.tx(&b, unbond_msg(&b, 100)).unwrap();
    assert_eq!(state::must_get_worker(&c.store, &a).unwrap().bond, 2_000);
    assert_eq!(state::must_get_worker(&c.store, &b).unwrap().bond, 1_900);
}

#[test]
fn genesis_round_trips_partial_unbondings() {
    let mut c = Chain::new();
    let a = register(&mut c, 1, "eu");
    c.tx(&a, unbond_msg(&a, 400)).unwrap();
    let exported = RegistryModule.export_genesis(&c.store).unwrap();
    // The bonds account must also cover the partial unbonding.
    assert_refused(
        import(&exported, 1_600, 1).map(|_| ()),
        &variant!(RegistryError::NotEnoughBond { have, need }),
    );
    let fresh = import(&exported, 2_000, 1).unwrap();
    assert_eq!(
        RegistryModule.export_genesis(&fresh.store).unwrap(),
        exported
    );
    assert_eq!(
        state::due_unbondings(&fresh.store, 11).unwrap(),
        vec![(11, a.to_string())]
    );
}

#[test]
fn punish_slashes_jails_and_emits_its_own_events() {
    let mut c = Chain::new();
    let a = register(&mut c, 1, "eu");
    c.events.clear();
    let infraction = penalty::Infraction {
        fraction_bps: 1_000,
        height: 1,
        jail_blocks: 20,
        reason: "dissenting result for job 9",
    };
    let p = c
        .keeper(|ctx| penalty::punish(ctx, &a, &infraction))
        .unwrap();
    assert_eq!(p.slashed, 200);
    assert_eq!(p.jailed_until, Some(21));
    let w = state::must_get_worker(&c.store, &a).unwrap();
    assert_eq!(
        (w.bond, w.status, w.jailed_until),
        (1_800, WorkerStatus::Jailed, 21)
    );
    assert_eq!(w.last_penalty, infraction.reason);
    // The burn itself is the bank's: `coin_spent` from the bonds account and `burn`.
    let bonds = bls_registry::state::bonds_account();
    let mut want = bls_bank::events::burned(&bonds, &bls_core::Coins::ubls(200));
    want.push(bls_registry::events::worker_slashed(
        &a,
        200,
        infraction.reason,
    ));
    want.push(bls_registry::events::worker_jailed(
        &a,
        21,
        infraction.reason,
    ));
    assert_eq!(c.events, want);
    // A shorter jail never shortens a running one; the event names the real end.
    let until = c.keeper(|ctx| penalty::jail(ctx, &a, 5, "again")).unwrap();
    assert_eq!(until, Some(21));
    assert_eq!(c.events.last().unwrap().get("until"), Some("21"));
    // An unbonding worker is slashed but not jailed, and no jail event is emitted.
    let b = register(&mut c, 2, "us");
    let m2 = MsgDeregisterWorker {
        operator: b.to_string(),
        worker: b.to_string(),
    };
    c.tx(&b, encode_any(&m2, MSG_DEREGISTER_WORKER)).unwrap();
    c.events.clear();
    let p = c
        .keeper(|ctx| penalty::punish(ctx, &b, &infraction))
        .unwrap();
    assert_eq!(p.jailed_until, None);
    assert_eq!(
        state::must_get_worker(&c.store, &b).unwrap().status,
        WorkerStatus::Unbonding
    );
    let kinds: Vec<&str> = c.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["coin_spent", "burn", "bls.worker_slashed"]);
    // An unknown worker is a typed error and changes nothing.
    let stranger = key(9).1;
    let e = c
        .keeper(|ctx| penalty::punish(ctx, &stranger, &infraction))
        .unwrap_err();
    assert!(matches!(e, bls_registry::RegistryError::UnknownWorker(_)));
}
