//! Begin-block subnetwork repair: members that were jailed, deregistered or otherwise left are
//! replaced without waiting for an invoke, with the same placement rule as assignment, a
//! bounded number of subnetworks per block, and deterministic results.

mod common;

use std::collections::BTreeSet;

use bls_core::module::encode_any;
use bls_orchestration::handlers::subnet_repair::REPAIR_PER_BLOCK;
use bls_orchestration::queries::FunctionResponse;
use bls_registry::msgs::{MsgDeregisterWorker, MSG_DEREGISTER_WORKER};
use common::*;

fn params() -> serde_json::Value {
    serde_json::json!({
        "subnetwork_size": 3, "commit_window": 5, "reveal_window": 5, "base_fee": "1000"
    })
}

fn subnet(c: &Chain, f: u64) -> (Vec<String>, u64) {
    let r: FunctionResponse = c
        .query("orchestration", "Function", serde_json::json!({"id": f}))
        .unwrap();
    let s = r.subnetwork.expect("subnetwork");
    (
        s.workers.iter().map(ToString::to_string).collect(),
        s.placed_height,
    )
}

/// Three seats, equal bonds: at most ceil(3/2) = 2 members per region.
fn region_cap_holds(ws: &[SimWorker], ids: &[String]) -> bool {
    ["eu", "us", "ap"]
        .iter()
        .all(|r| ids.iter().filter(|id| find(ws, id).region == *r).count() <= 2)
}

fn jail(c: &mut Chain, id: &str) {
    let a = bls_core::Address::parse(id).unwrap();
    c.jail(&a, 1_000);
}

fn repaired_events(c: &Chain) -> Vec<(String, String)> {
    c.events_of("bls.subnetwork_repaired")
        .iter()
        .map(|e| {
            let get = |k: &str| {
                e.attributes
                    .iter()
                    .find(|(key, _)| key == k)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default()
            };
            (get("function_id"), get("dropped"))
        })
        .collect()
}

/// Six workers (two per region), one function with a 3-member subnetwork.
fn chain_with_function(seed: u8) -> (Chain, Vec<SimWorker>, u64) {
    let mut c = Chain::with_seed(params(), seed);
    let ws = six_workers();
    for w in &ws {
        c.register(w);
    }
    let f = c.deploy(&user(50), hello_wasm(), "{}", 3, 2).unwrap();
    (c, ws, f)
}

#[test]
fn jailed_member_is_replaced_in_the_next_block_keeping_the_region_cap() {
    for seed in 0..6u8 {
        let (mut c, ws, f) = chain_with_function(seed);
        let (before, placed) = subnet(&c, f);
        assert!(region_cap_holds(&ws, &before));

        // Nothing changed: the next block leaves the subnetwork (and its height) alone.
        c.next_block();
        assert_eq!(subnet(&c, f), (before.clone(), placed));
        assert!(repaired_events(&c).is_empty());

        let victim = before[1].clone();
        jail(&mut c, &victim);
        c.next_block();
        let h = c.block.height;

        let (after, placed_after) = subnet(&c, f);
        assert!(!after.contains(&victim), "seed {seed}: {after:?}");
        assert_eq!(after.len(), 3, "seed {seed}: refilled to the target size");
        assert_eq!(placed_after, h, "repaired in the begin block of height {h}");
        // The two others stay; the new member keeps the region cap.
        assert!(before
            .iter()
            .filter(|w| **w != victim)
            .all(|w| after.contains(w)));
        assert!(region_cap_holds(&ws, &after), "seed {seed}: {after:?}");
        assert_eq!(repaired_events(&c), vec![(f.to_string(), victim.clone())]);
        // No invocation was needed.
        assert!(c.events_of("bls.job_assigned").is_empty());
    }
}

#[test]
fn deregistered_member_is_replaced_in_the_next_block() {
    let (mut c, _ws, f) = chain_with_function(3);
    let (before, _) = subnet(&c, f);
    let victim = before[0].clone();
    let msg = MsgDeregisterWorker {
        operator: victim.clone(),
        worker: victim.clone(),
    };
    let addr = bls_core::Address::parse(&victim).unwrap();
    c.tx(&addr, encode_any(&msg, MSG_DEREGISTER_WORKER))
        .expect("deregister");
    c.next_block();
    let (after, _) = subnet(&c, f);
    assert!(!after.contains(&victim));
    assert_eq!(after.len(), 3);
}

#[test]
fn too_few_active_workers_keeps_what_it_can() {
    let mut c = Chain::new(params());
    let ws: Vec<SimWorker> = six_workers().into_iter().step_by(2).collect(); // eu, us, ap
    for w in &ws {
        c.register(w);
    }
    let f = c.deploy(&user(50), hello_wasm(), "{}", 2, 2).unwrap();
    let (before, _) = subnet(&c, f);
    assert_eq!(before.len(), 3);
    let victim = before[2].clone();
    jail(&mut c, &victim);
    c.next_block();
    let (after, _) = subnet(&c, f);
    // Like invoke's repair: drop the jailed member, keep the rest, nobody to refill with.
    let expected: Vec<String> = before.iter().filter(|w| **w != victim).cloned().collect();
    assert_eq!(after, expected);

    // Later blocks leave it as is: the repair acts only on ineligible members.
    c.next_block();
    assert_eq!(subnet(&c, f).0, expected);
}

#[test]
fn repair_is_deterministic() {
    let run = || {
        let (mut c, _ws, f) = chain_with_function(5);
        let g = c.deploy(&user(51), hello_wasm(), "{}", 3, 2).unwrap();
        let victims: Vec<String> = subnet(&c, f).0.into_iter().take(2).collect();
        for v in &victims {
            jail(&mut c, v);
        }
        c.next_block();
        c.next_block();
        (subnet(&c, f), subnet(&c, g), c.snapshot())
    };
    let (a_f, a_g, a_store) = run();
    let (b_f, b_g, b_store) = run();
    assert_eq!(a_f, b_f);
    assert_eq!(a_g, b_g);
    assert!(
        a_store == b_store,
        "identical stores after identical blocks"
    );
}

#[test]
fn repairs_are_bounded_per_block_and_every_subnetwork_is_visited() {
    let mut c = Chain::new(params());
    let ws = six_workers();
    for w in &ws {
        c.register(w);
    }
    let total = REPAIR_PER_BLOCK + 4;
    let fns: Vec<u64> = (0..total)
        .map(|_| c.deploy(&user(50), hello_wasm(), "{}", 3, 2).unwrap())
        .collect();
    // Everybody placed so far is jailed; three fresh workers (one per region) join.
    for w in &ws {
        jail(&mut c, w.addr.as_str());
    }
    let fresh: Vec<SimWorker> = [(7u8, "eu"), (8, "us"), (9, "ap")]
        .iter()
        .map(|(n, r)| SimWorker::new(*n, r, &format!("AS{}", 200 + n)))
        .collect();
    for w in &fresh {
        c.register(w);
    }
    let fresh_ids: BTreeSet<String> = fresh.iter().map(|w| w.addr.to_string()).collect();
    // Each deploy took a block (placement is in the next begin block) and the scan moved on
    // meanwhile: start this check from the beginning of the scan.
    bls_orchestration::testing::SUBNET_REPAIR_CURSOR
        .save(&mut c.store, &0)
        .unwrap();

    c.next_block();
    let first: Vec<String> = repaired_events(&c).into_iter().map(|(f, _)| f).collect();
    let expect_first: Vec<String> = fns[..REPAIR_PER_BLOCK]
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        first, expect_first,
        "first block: the first batch, in id order"
    );
    // The rest still wait for their turn.
    let last = *fns.last().unwrap();
    assert!(subnet(&c, last).0.iter().all(|w| !fresh_ids.contains(w)));

    c.next_block();
    let all: Vec<String> = repaired_events(&c).into_iter().map(|(f, _)| f).collect();
    let expect_all: Vec<String> = fns.iter().map(ToString::to_string).collect();
    assert_eq!(all, expect_all, "second block: the remainder");
    for f in &fns {
        let (members, _) = subnet(&c, *f);
        let set: BTreeSet<String> = members.into_iter().collect();
        assert_eq!(set, fresh_ids, "function {f}");
    }

    // The scan wrapped around: a later jailing of a fresh worker is found again from the start.
    jail(&mut c, fresh[0].addr.as_str());
    c.next_block();
    let third: Vec<String> = repaired_events(&c)
        .into_iter()
        .skip(total)
        .map(|(f, _)| f)
        .collect();
    assert_eq!(third, expect_first);
}
