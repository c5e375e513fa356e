//! The same job gives the same result hash in every process: `bls-worker run` twice, and
//! the in-process runtime (the runtime's own per-run checks: runtime/tests/determinism.rs).

#[path = "../../runtime/tests/common/mod.rs"]
mod common;

use bls_runtime::{ExitStatus, Manifest};
use common::{job, runtime, wasm, wasm_path};

async fn hash_in_process(name: &str) -> String {
    let rt = runtime();
    let hash = rt.load(&wasm(name)).unwrap();
    let out = rt.run(&job(hash, Manifest::default(), b"")).await.unwrap();
    assert_eq!(out.status, ExitStatus::Exited(0), "{name}: {out:?}");
    hex::encode(out.result_hash())
}

fn hash_from_cli(name: &str) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bls-worker"))
        .args(["run", "--output", "json"])
        .arg(wasm_path(name))
        .env_remove("BLS_WORKER_CACHE_DIR")
        .output()
        .expect("spawn bls-worker");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["status"], "exited", "{v}");
    v["result_hash"].as_str().expect("result_hash").to_string()
}

async fn same_hash_across_processes(name: &str) {
    let a = hash_from_cli(name);
    let b = hash_from_cli(name);
    assert_eq!(a, b);
    // The CLI defaults (zero job id, block time 0) equal the in-process job's.
    assert_eq!(a, hash_in_process(name).await);
}

#[tokio::test]
async fn nan_floats_same_hash_across_processes() {
    same_hash_across_processes("nan-floats").await;
}

#[tokio::test]
async fn hashmap_order_same_hash_across_processes() {
    same_hash_across_processes("hashmap-order").await;
}
