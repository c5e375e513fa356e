//! Module cache: no recompilation of a known code hash, on-disk artifacts survive a new
//! runtime, and only this worker's own artifacts are deserialized.

mod common;

use bls_runtime::{ExitStatus, Manifest, Runtime, RuntimeConfig, RuntimeError};
use common::{job, wasm};

fn runtime_with_cache(dir: &std::path::Path) -> Runtime {
    Runtime::new(RuntimeConfig {
        max_concurrent_jobs: 2,
        cache_dir: Some(dir.to_path_buf()),
        ..RuntimeConfig::default()
    })
    .unwrap()
}

async fn hello_ok(rt: &Runtime, hash: [u8; 32]) {
    let out = rt
        .run(&job(hash, Manifest::default(), b"cache"))
        .await
        .unwrap();
    assert_eq!(out.status, ExitStatus::Exited(0));
    assert_eq!(out.stdout, b"Hello, cache!\n");
}

#[tokio::test]
async fn second_load_does_not_recompile() {
    let rt = common::runtime();
    let code = wasm("hello");
    let h1 = rt.load(&code).unwrap();
    assert_eq!(rt.cache_stats().compiles, 1);
    let h2 = rt.load(&code).unwrap();
    assert_eq!(h1, h2);
    hello_ok(&rt, h1).await;
    hello_ok(&rt, h1).await;
    let stats = rt.cache_stats();
    assert_eq!(stats.compiles, 1, "{stats:?}");
    assert!(stats.memory_hits >= 3, "{stats:?}");
}

#[tokio::test]
async fn disk_cache_survives_a_new_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let code = wasm("hello");
    let hash = {
        let rt = runtime_with_cache(dir.path());
        let hash = rt.load(&code).unwrap();
        assert_eq!(rt.cache_stats().compiles, 1);
        hash
    };
    let rt = runtime_with_cache(dir.path());
    assert!(rt.has_module(&hash));
    // Runs straight from disk, without the code and without compiling.
    hello_ok(&rt, hash).await;
    let stats = rt.cache_stats();
    assert_eq!((stats.compiles, stats.disk_hits), (0, 1), "{stats:?}");
}

#[tokio::test]
async fn foreign_or_tampered_artifacts_are_not_deserialized() {
    let mine = tempfile::tempdir().unwrap();
    let theirs = tempfile::tempdir().unwrap();
    let code = wasm("hello");
    let hash = runtime_with_cache(theirs.path()).load(&code).unwrap();
    let file = format!("{}.cwasm", hex::encode(hash));

    // Another worker's artifact copied into my cache dir (tagged with their key).
    let rt = runtime_with_cache(mine.path());
    std::fs::copy(theirs.path().join(&file), mine.path().join(&file)).unwrap();
    let rt2 = runtime_with_cache(mine.path());
    drop(rt);
    assert!(matches!(
        rt2.run(&job(hash, Manifest::default(), b"")).await,
        Err(RuntimeError::ModuleNotLoaded(_))
    ));
    rt2.load(&code).unwrap();
    assert_eq!(rt2.cache_stats().compiles, 1);

    // Now my own artifact, with one byte flipped.
    let path = mine.path().join(&file);
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    let rt3 = runtime_with_cache(mine.path());
    assert!(matches!(
        rt3.run(&job(hash, Manifest::default(), b"")).await,
        Err(RuntimeError::ModuleNotLoaded(_))
    ));
    rt3.load(&code).unwrap();
    assert_eq!(rt3.cache_stats().compiles, 1);
    hello_ok(&rt3, hash).await;
}

#[tokio::test]
async fn code_must_match_the_expected_hash() {
    let rt = common::runtime();
    let code = wasm("hello");
    let err = rt.load_expected(&[9; 32], &code).unwrap_err();
    assert!(matches!(err, RuntimeError::HashMismatch { .. }), "{err}");
    assert_eq!(rt.cache_stats().compiles, 0);
    let unknown = rt.run(&job([9; 32], Manifest::default(), b"")).await;
    assert!(matches!(unknown, Err(RuntimeError::ModuleNotLoaded(_))));
}

#[tokio::test]
async fn invalid_manifest_is_refused() {
    let rt = common::runtime();
    let hash = rt.load(&wasm("hello")).unwrap();
    let mut m = Manifest::default();
    m.limits.timeout_ms = 16 * 60 * 1000;
    assert!(matches!(
        rt.run(&job(hash, m, b"")).await,
        Err(RuntimeError::InvalidJob(_))
    ));
    let mut m = Manifest::default();
    m.limits.memory_bytes = 2 << 30; // above the worker's 1 GiB default
    assert!(matches!(
        rt.run(&job(hash, m, b"")).await,
        Err(RuntimeError::MemoryAboveWorkerMax { .. })
    ));
}

#[test]
fn garbage_wasm_is_a_compile_error() {
    let rt = common::runtime();
    assert!(matches!(
        rt.load(b"\0asm garbage"),
        Err(RuntimeError::Compile(_))
    ));
    let imports_unknown =
        wat::parse_str(r#"(module (import "evil" "f" (func)) (func (export "_start")))"#).unwrap();
    assert!(matches!(
        rt.load(&imports_unknown),
        Err(RuntimeError::Link(_))
    ));
}

/// The memory cache is bounded in bytes of compiled code, not only in modules: over the
/// budget the least recently used go (one module larger than the budget stays, alone), and
/// an evicted module compiles again on its next load.
#[tokio::test]
async fn memory_cache_is_bounded_in_bytes() {
    let roomy = common::runtime();
    let hello = roomy.load(&wasm("hello")).unwrap();
    roomy.load(&wasm("read-env")).unwrap();
    let (modules, both) = roomy.module_cache_usage();
    assert_eq!(modules, 2);
    assert!(both > 0);

    let tight = Runtime::new(RuntimeConfig {
        max_concurrent_jobs: 2,
        // Room for one of the two modules at most.
        module_cache_bytes: both / 2 + 1,
        ..RuntimeConfig::default()
    })
    .unwrap();
    tight.load(&wasm("hello")).unwrap();
    let (_, hello_bytes) = tight.module_cache_usage();
    let read_env = tight.load(&wasm("read-env")).unwrap();
    let (modules, bytes) = tight.module_cache_usage();
    assert_eq!(modules, 1, "the older module was evicted");
    assert!(tight.has_module(&read_env));
    assert_eq!(bytes, both - hello_bytes, "only read-env's code is held");
    assert!(!tight.has_module(&hello));
    assert_eq!(tight.cache_stats().compiles, 2);
    // Loading it again compiles it again, and it runs.
    tight.load(&wasm("hello")).unwrap();
    assert_eq!(tight.cache_stats().compiles, 3);
    hello_ok(&tight, hello).await;

    // A budget smaller than any module keeps just the newest one.
    let tiny = Runtime::new(RuntimeConfig {
        max_concurrent_jobs: 2,
        module_cache_bytes: 1,
        ..RuntimeConfig::default()
    })
    .unwrap();
    let h = tiny.load(&wasm("hello")).unwrap();
    tiny.load(&wasm("read-env")).unwrap();
    assert_eq!(tiny.module_cache_usage().0, 1);
    assert!(!tiny.has_module(&h));
}

/// The on-disk artifacts are kept under their byte budget too: with room for one, compiling
/// a second module removes the first one's artifact (it compiles again when next needed).
#[tokio::test]
async fn disk_cache_is_bounded_in_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let rt = Runtime::new(RuntimeConfig {
        max_concurrent_jobs: 2,
        cache_dir: Some(dir.path().to_path_buf()),
        disk_cache_max_bytes: 1,
        ..RuntimeConfig::default()
    })
    .unwrap();
    let artifacts = || {
        std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "cwasm"))
            .count()
    };
    let hello = rt.load(&wasm("hello")).unwrap();
    assert_eq!(artifacts(), 1);
    rt.load(&wasm("read-env")).unwrap();
    assert_eq!(artifacts(), 1, "the older artifact was removed");
    // A new runtime over the same directory finds only the newest on disk.
    let again = Runtime::new(RuntimeConfig {
        max_concurrent_jobs: 2,
        cache_dir: Some(dir.path().to_path_buf()),
        ..RuntimeConfig::default()
    })
    .unwrap();
    assert!(!again.has_module(&hello));
}
