//! The same job gives the same result hash on every run (across processes:
//! worker/tests/determinism.rs, through `bls-worker run`).

mod common;

use std::collections::BTreeSet;

use bls_runtime::{ExitStatus, Manifest};
use common::{job, runtime, wasm};

async fn hashes_in_process(name: &str, runs: usize) -> BTreeSet<String> {
    let rt = runtime();
    let hash = rt.load(&wasm(name)).unwrap();
    let mut seen = BTreeSet::new();
    for _ in 0..runs {
        let out = rt.run(&job(hash, Manifest::default(), b"")).await.unwrap();
        assert_eq!(out.status, ExitStatus::Exited(0), "{name}: {out:?}");
        seen.insert(hex::encode(out.result_hash()));
    }
    seen
}

#[tokio::test]
async fn nan_floats_same_hash_20_runs() {
    let in_process = hashes_in_process("nan-floats", 20).await;
    assert_eq!(in_process.len(), 1, "{in_process:?}");
}

#[tokio::test]
async fn nan_bits_are_canonical() {
    let rt = runtime();
    let out = common::run(&rt, "nan-floats", Manifest::default(), &[], b"").await;
    let text = String::from_utf8(out.stdout).unwrap();
    // Arithmetic NaNs all come out as the canonical quiet NaN, whatever the inputs' payloads.
    for line in text.lines().filter(|l| l.starts_with("f64[")) {
        let bits = line.rsplit(' ').next().unwrap();
        assert!(
            bits == "0x7ff8000000000000" || line.starts_with("f64[5]"),
            "non-canonical NaN: {line}"
        );
    }
    assert!(text.contains("f32 = 0x7fc00000"), "{text}");
}

#[tokio::test]
async fn hashmap_order_same_hash_20_runs() {
    let in_process = hashes_in_process("hashmap-order", 20).await;
    assert_eq!(in_process.len(), 1, "{in_process:?}");
}

#[tokio::test]
async fn randomness_is_seeded_from_the_job_id() {
    let rt = runtime();
    let hash = rt.load(&wasm("hashmap-order")).unwrap();
    let mut a = job(hash, Manifest::default(), b"");
    a.id = [1; 32];
    let mut b = a.clone();
    b.id = [2; 32];
    let out_a1 = rt.run(&a).await.unwrap();
    let out_a2 = rt.run(&a).await.unwrap();
    let out_b = rt.run(&b).await.unwrap();
    assert_eq!(out_a1.stdout, out_a2.stdout);
    // 64 keys: two seeds giving the same iteration order is vanishingly unlikely.
    assert_ne!(out_a1.stdout, out_b.stdout);
}
