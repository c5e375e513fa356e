//! `hello` job three ways:
//! - `runtime`: through `Runtime::run` (pooling, cached `InstancePre`, all limits and
//!   determinism settings, async with epoch/timeout) — what a worker does per job;
//! - `raw_wasmtime`: a bare wasmtime engine (default config, sync WASI p1, `InstancePre`
//!   reused) instantiating and running `_start` — the floor;
//! - `process`: one `bls-worker run` process per invocation with a warm disk cache —
//!   what per-invocation isolation by process would cost.
//!
//! And composition (`bls_call`): a `relay` job whose one call runs `hello` (two frames in one
//! job) against two plain `hello` jobs run one after the other, and one plain job.

#[path = "../../runtime/tests/common/mod.rs"]
mod common;

use std::process::Command;

use bls_runtime::{Callee, ExitStatus, Manifest, Runtime, RuntimeConfig};
use criterion::{criterion_group, criterion_main, Criterion};
use wasmtime::{Engine, Linker, Module, Store};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::pipe::{MemoryInputPipe, MemoryOutputPipe};
use wasmtime_wasi::WasiCtxBuilder;

fn bench_hello(c: &mut Criterion) {
    let code = common::wasm("hello");
    let mut group = c.benchmark_group("hello_job");

    // Through the runtime.
    let rt = Runtime::new(RuntimeConfig {
        max_concurrent_jobs: 4,
        ..RuntimeConfig::default()
    })
    .expect("runtime");
    let hash = rt.load(&code).expect("load");
    let job = common::job(hash, Manifest::default(), b"bench");
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio");
    group.bench_function("runtime", |b| {
        b.iter(|| {
            let out = tokio.block_on(rt.run(&job)).expect("run");
            assert_eq!(out.status, ExitStatus::Exited(0));
        })
    });

    // Raw wasmtime baseline.
    let engine = Engine::default();
    let module = Module::new(&engine, &code).expect("compile");
    let mut linker: Linker<WasiP1Ctx> = Linker::new(&engine);
    wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |s| s).expect("wasi");
    let pre = linker.instantiate_pre(&module).expect("pre");
    group.bench_function("raw_wasmtime", |b| {
        b.iter(|| {
            let stdout = MemoryOutputPipe::new(4096);
            let wasi = WasiCtxBuilder::new()
                .stdin(MemoryInputPipe::new(&b"bench"[..]))
                .stdout(stdout.clone())
                .build_p1();
            let mut store = Store::new(&engine, wasi);
            let instance = pre.instantiate(&mut store).expect("instantiate");
            let start = instance
                .get_typed_func::<(), ()>(&mut store, "_start")
                .expect("_start");
            start.call(&mut store, ()).expect("call");
            assert_eq!(&stdout.contents()[..], b"Hello, bench!\n");
        })
    });

    // One process per invocation (disk cache warm, so no compile in the loop).
    let cache = tempfile::tempdir().expect("tempdir");
    let wasm_path = common::wasm_path("hello");
    let invoke = || {
        let out = Command::new(env!("CARGO_BIN_EXE_bls-worker"))
            .arg("run")
            .arg(&wasm_path)
            .args(["--stdin", "bench", "--output", "json", "--cache-dir"])
            .arg(cache.path())
            .output()
            .expect("spawn");
        assert!(out.status.success());
    };
    invoke();
    group.sample_size(10);
    group.bench_function("process", |b| b.iter(invoke));
    group.finish();
}

/// Jobs through one shared `Runtime` from 1 and from 2 threads: time per job (a lower time
/// with 2 threads means they scale; the pooling allocator must not make 2 slower than 1).
fn bench_threads(c: &mut Criterion) {
    let code = common::wasm("hello");
    let rt = Runtime::new(RuntimeConfig {
        max_concurrent_jobs: 4,
        ..RuntimeConfig::default()
    })
    .expect("runtime");
    let hash = rt.load(&code).expect("load");
    let job = common::job(hash, Manifest::default(), b"bench");
    let mut group = c.benchmark_group("hello_job_threads");
    for threads in [1u64, 2] {
        group.bench_function(format!("{threads}_threads"), |b| {
            b.iter_custom(|iters| {
                let per_thread = iters.div_ceil(threads);
                let start = std::time::Instant::now();
                std::thread::scope(|s| {
                    for _ in 0..threads {
                        s.spawn(|| {
                            let tokio = tokio::runtime::Builder::new_current_thread()
                                .enable_all()
                                .build()
                                .expect("tokio");
                            for _ in 0..per_thread {
                                let out = tokio.block_on(rt.run(&job)).expect("run");
                                assert_eq!(out.status, ExitStatus::Exited(0));
                            }
                        });
                    }
                });
                // Wall time for all `iters` jobs: criterion divides it into time per job.
                start.elapsed()
            })
        });
    }
    group.finish();
}

/// A job that calls `hello` once through `bls_call` (`relay`), against the same work as two
/// separate jobs and against one plain job.
fn bench_composition(c: &mut Criterion) {
    let rt = Runtime::new(RuntimeConfig {
        max_concurrent_jobs: 4,
        ..RuntimeConfig::default()
    })
    .expect("runtime");
    let hello = rt.load(&common::wasm("hello")).expect("load hello");
    let relay = rt.load(&common::wasm("relay")).expect("load relay");
    let plain = common::job(hello, Manifest::default(), b"bench");
    let mut m = Manifest::default();
    m.env.insert("NEXT".into(), "2".into());
    m.calls = vec![2];
    let mut composed = common::job(relay, m, b"bench");
    composed.callees = vec![Callee {
        function_id: 2,
        version: 1,
        code_hash: hello,
        manifest: Manifest::default(),
    }];
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio");
    let mut group = c.benchmark_group("composition");
    group.bench_function("plain_job", |b| {
        b.iter(|| {
            let out = tokio.block_on(rt.run(&plain)).expect("run");
            assert_eq!(out.status, ExitStatus::Exited(0));
        })
    });
    group.bench_function("two_plain_jobs", |b| {
        b.iter(|| {
            for _ in 0..2 {
                let out = tokio.block_on(rt.run(&plain)).expect("run");
                assert_eq!(out.status, ExitStatus::Exited(0));
            }
        })
    });
    group.bench_function("job_calling_hello", |b| {
        b.iter(|| {
            let out = tokio.block_on(rt.run(&composed)).expect("run");
            assert_eq!(out.stdout, b"Hello, bench!\n");
            assert_eq!(out.calls.len(), 1);
        })
    });
    group.finish();
}

criterion_group!(benches, bench_hello, bench_threads, bench_composition);
criterion_main!(benches);
