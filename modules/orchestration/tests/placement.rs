//! Subnetwork placement through the chain: the region cap, determinism, sensitivity to the
//! beacon randomness, re-placement when members jail.

mod common;

use bls_orchestration::queries::FunctionResponse;
use common::*;

fn params() -> serde_json::Value {
    serde_json::json!({
        "subnetwork_size": 3, "commit_window": 5, "reveal_window": 5, "base_fee": "1000"
    })
}

fn subnet_after_deploy(seed: u8) -> Vec<String> {
    let mut c = Chain::with_seed(params(), seed);
    for w in six_workers() {
        c.register(&w);
    }
    let f = c.deploy(&user(50), hello_wasm(), "{}", 3, 2).unwrap();
    let r: FunctionResponse = c
        .query("orchestration", "Function", serde_json::json!({"id": f}))
        .unwrap();
    r.subnetwork
        .unwrap()
        .workers
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn placement_spans_regions_and_is_deterministic() {
    let ws = six_workers();
    for seed in 0..8u8 {
        let a = subnet_after_deploy(seed);
        assert_eq!(
            a,
            subnet_after_deploy(seed),
            "same state + seed, same placement"
        );
        // Three seats, equal bonds: at most ceil(3/2) = 2 in one region.
        for r in ["eu", "us", "ap"] {
            let n = a.iter().filter(|id| find(&ws, id).region == r).count();
            assert!(n <= 2, "seed {seed}: {a:?}");
        }
    }
    let base = subnet_after_deploy(0);
    assert!(
        (1..16u8).any(|s| subnet_after_deploy(s) != base),
        "the beacon randomness changes the placement"
    );
}

#[test]
fn capabilities_filter_placement() {
    let mut c = Chain::new(params());
    for w in six_workers() {
        c.register(&w);
    }
    // Workers offer 512 MiB; a 1 GiB function has nobody to run it.
    let f = c
        .deploy(
            &user(50),
            hello_wasm(),
            r#"{"limits":{"memory_bytes":1073741824}}"#,
            1,
            1,
        )
        .unwrap();
    let r: FunctionResponse = c
        .query("orchestration", "Function", serde_json::json!({"id": f}))
        .unwrap();
    assert!(r.subnetwork.is_none_or(|s| s.workers.is_empty()));
    let invoker = user(60);
    c.fund(&invoker, 50_000);
    let e = c.invoke(&invoker, f, 20_000).unwrap_err();
    assert!(e.log.contains("not enough eligible workers"), "{}", e.log);
}

#[test]
fn a_subnetwork_whose_workers_all_jail_is_replaced() {
    let mut c = Chain::new(params());
    let ws = six_workers();
    for w in &ws {
        c.register(w);
    }
    let f = c.deploy(&user(50), hello_wasm(), "{}", 3, 2).unwrap();
    let r: FunctionResponse = c
        .query("orchestration", "Function", serde_json::json!({"id": f}))
        .unwrap();
    let before = r.subnetwork.unwrap().workers;
    for id in &before {
        c.jail(id, 1_000);
    }
    c.next_block();
    let invoker = user(60);
    c.fund(&invoker, 50_000);
    let resp = c.invoke(&invoker, f, 20_000).unwrap();
    let r: FunctionResponse = c
        .query("orchestration", "Function", serde_json::json!({"id": f}))
        .unwrap();
    let after = r.subnetwork.unwrap().workers;
    assert_eq!(after.len(), 3);
    assert!(
        after.iter().all(|w| !before.contains(w)),
        "{before:?} -> {after:?}"
    );
    assert!(resp
        .workers
        .iter()
        .all(|w| after.iter().any(|a| a.as_str() == w)));
    assert!(!c.events_of("bls.subnetwork_placed").is_empty());
}
