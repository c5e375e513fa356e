//! The daemon shares one runtime across tokio tasks: jobs run concurrently, a stuck
//! job does not hold up the others, and more jobs than pool slots just queue.
//!
//! No timing is asserted: "does not hold up" is checked as an order of events (every hello
//! job is done while the sleeper still holds its slot).

mod common;

use std::sync::Arc;

use bls_runtime::{ExitStatus, Manifest, Runtime, RuntimeConfig, TrapKind};
use common::{job, wasm};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_jobs_share_one_runtime() {
    let rt = Arc::new(
        Runtime::new(RuntimeConfig {
            max_concurrent_jobs: 3,
            ..RuntimeConfig::default()
        })
        .unwrap(),
    );
    let hello = rt.load(&wasm("hello")).unwrap();
    let sleeper = rt.load(&wasm("sleep-forever")).unwrap();

    // Long enough that 20 hello jobs on a loaded machine finish well inside it.
    let mut slow = Manifest::default();
    slow.limits.timeout_ms = 10_000;
    let stuck = {
        let rt = rt.clone();
        tokio::spawn(async move { rt.run(&job(sleeper, slow, b"")).await })
    };

    // 20 hello jobs through the 2 remaining slots while the sleeper holds one.
    let mut tasks = Vec::new();
    for i in 0..20 {
        let rt = rt.clone();
        tasks.push(tokio::spawn(async move {
            let input = format!("n{i}");
            rt.run(&job(hello, Manifest::default(), input.as_bytes()))
                .await
        }));
    }
    for (i, t) in tasks.into_iter().enumerate() {
        let out = t.await.unwrap().unwrap();
        assert_eq!(out.status, ExitStatus::Exited(0));
        assert_eq!(out.stdout, format!("Hello, n{i}!\n").into_bytes());
    }
    assert!(
        !stuck.is_finished(),
        "hello jobs waited for the sleeper (it ended first)"
    );
    let stuck = stuck.await.unwrap().unwrap();
    assert_eq!(stuck.status, ExitStatus::Trapped(TrapKind::Timeout));
}
