//! Shared test helpers: builds the guest functions once and runs jobs. Also included by
//! worker/tests and worker/benches (`#[path]`), which drive `bls-worker run` with the same
//! guests.
#![allow(dead_code)] // each test binary uses a different subset

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use bls_runtime::{BlockTime, Job, Manifest, Outcome, Runtime, RuntimeConfig};

/// Repository root (the parent of the crate using these helpers: runtime/ or worker/).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the crate dir has a parent")
        .to_path_buf()
}

/// Runs `scripts/build-contracts` once per process (cargo itself decides what is
/// stale), under a file lock so parallel test binaries do not race.
fn build_contracts() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let root = repo_root();
            let target = root.join("contracts/target");
            std::fs::create_dir_all(&target).expect("create contracts/target");
            let lock = std::fs::File::create(target.join(".build.lock")).expect("lock file");
            lock.lock().expect("lock contracts build");
            let status = std::process::Command::new(root.join("scripts/build-contracts"))
                .arg("--quiet")
                // The outer `cargo test` environment must not redirect or reflag the guest build.
                .env_remove("CARGO_TARGET_DIR")
                .env_remove("CARGO_BUILD_TARGET")
                .env_remove("RUSTFLAGS")
                .env_remove("CARGO_ENCODED_RUSTFLAGS")
                .env_remove("CARGO_BUILD_RUSTFLAGS")
                .status()
                .expect("run scripts/build-contracts");
            assert!(status.success(), "scripts/build-contracts failed");
            drop(lock);
            target.join("wasm32-wasip1/release")
        })
        .clone()
}

/// Path of a built guest function, e.g. `wasm_path("hello")`.
pub fn wasm_path(name: &str) -> PathBuf {
    let path = build_contracts().join(format!("{name}.wasm"));
    assert!(path.exists(), "{} missing after build", path.display());
    path
}

/// Bytes of a built guest function.
pub fn wasm(name: &str) -> Vec<u8> {
    std::fs::read(wasm_path(name)).expect("read wasm")
}

/// A small runtime for tests (few pool slots, in-memory cache).
pub fn runtime() -> Runtime {
    Runtime::new(RuntimeConfig {
        max_concurrent_jobs: 4,
        ..RuntimeConfig::default()
    })
    .expect("runtime")
}

/// A job for `code_hash` with the given manifest and input; job id and block time are
/// fixed (zero) like `bls-worker run`'s defaults.
pub fn job(code_hash: [u8; 32], manifest: Manifest, input: &[u8]) -> Job {
    Job {
        id: [0; 32],
        code_hash,
        manifest,
        input: input.to_vec(),
        args: Vec::new(),
        block_time: BlockTime::default(),
        data_dir: None,
        secrets: Default::default(),
        callees: Vec::new(),
    }
}

/// Loads `name` into `rt` and runs it with `manifest`, `args` and `input`.
pub async fn run(
    rt: &Runtime,
    name: &str,
    manifest: Manifest,
    args: &[&str],
    input: &[u8],
) -> Outcome {
    let hash = rt.load(&wasm(name)).expect("load");
    let mut j = job(hash, manifest, input);
    j.args = args.iter().map(|s| s.to_string()).collect();
    rt.run(&j).await.expect("run")
}

/// Asserts the runtime still runs `hello` correctly.
pub async fn assert_healthy(rt: &Runtime) {
    let out = run(rt, "hello", Manifest::default(), &[], b"again").await;
    assert_eq!(out.status, bls_runtime::ExitStatus::Exited(0), "{out:?}");
    assert_eq!(out.stdout, b"Hello, again!\n");
}
