//! Hostile functions end with the right outcome within their limits, and the runtime
//! keeps working afterwards.

mod common;

use std::time::Duration;

use bls_runtime::{ExitStatus, Manifest, TrapKind};
use common::{assert_healthy, run, runtime};

/// A hang fails the test instead of stalling it. The margin is generous on purpose: the
/// deadline catches a limit that never fires, it does not measure how fast one fires.
async fn within_deadline<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(60), f)
        .await
        .expect("the job's own timeout never ended it")
}

fn manifest(f: impl FnOnce(&mut Manifest)) -> Manifest {
    let mut m = Manifest::default();
    f(&mut m);
    m
}

#[tokio::test]
async fn hello_greets_input() {
    let rt = runtime();
    let out = run(&rt, "hello", Manifest::default(), &[], b"Ada\n").await;
    assert_eq!(out.status, ExitStatus::Exited(0));
    assert_eq!(out.stdout, b"Hello, Ada!\n");
    assert!(out.fuel_used > 0);
    let out = run(&rt, "hello", Manifest::default(), &[], b"").await;
    assert_eq!(out.stdout, b"Hello, world!\n");
}

#[tokio::test]
async fn sha256_rounds_matches_host_computation() {
    use sha2::{Digest, Sha256};
    let rt = runtime();
    let out = run(&rt, "sha256-rounds", Manifest::default(), &["1000"], b"abc").await;
    assert_eq!(out.status, ExitStatus::Exited(0));
    let mut d: [u8; 32] = Sha256::digest(b"abc").into();
    for _ in 1..1000 {
        d = Sha256::digest(d).into();
    }
    assert_eq!(out.stdout, format!("{}\n", hex::encode(d)).into_bytes());
    let bad = run(&rt, "sha256-rounds", Manifest::default(), &["many"], b"abc").await;
    assert_eq!(bad.status, ExitStatus::Exited(2));
}

#[tokio::test]
async fn infinite_loop_runs_out_of_fuel() {
    let rt = runtime();
    let m = manifest(|m| m.limits.fuel = 50_000_000);
    let out = run(&rt, "infinite-loop", m, &[], b"").await;
    assert_eq!(
        out.status,
        ExitStatus::Trapped(TrapKind::OutOfFuel),
        "{out:?}"
    );
    assert_eq!(out.fuel_used, 50_000_000);
    assert_healthy(&rt).await;
}

#[tokio::test]
async fn infinite_loop_times_out() {
    let rt = runtime();
    let m = manifest(|m| {
        m.limits.fuel = u64::MAX;
        m.limits.timeout_ms = 300;
    });
    let out = within_deadline(run(&rt, "infinite-loop", m, &[], b"")).await;
    assert_eq!(
        out.status,
        ExitStatus::Trapped(TrapKind::Timeout),
        "{out:?}"
    );
    assert!(
        out.wall_time >= Duration::from_millis(300),
        "{:?}",
        out.wall_time
    );
    assert_healthy(&rt).await;
}

#[tokio::test]
async fn sleep_in_host_call_stops_at_deadline() {
    let rt = runtime();
    let m = manifest(|m| m.limits.timeout_ms = 300);
    let out = within_deadline(run(&rt, "sleep-forever", m, &[], b"")).await;
    assert_eq!(
        out.status,
        ExitStatus::Trapped(TrapKind::Timeout),
        "{out:?}"
    );
    // Output before the sleep is kept for the operator but not in the canonical form.
    assert_eq!(out.stdout, b"going to sleep\n");
    assert!(out.canonical().stdout.is_empty());
    assert_healthy(&rt).await;
}

#[tokio::test]
async fn memory_bomb_runs_out_of_memory() {
    let rt = runtime();
    let m = manifest(|m| m.limits.memory_bytes = 16 << 20);
    let out = run(&rt, "memory-bomb", m, &[], b"").await;
    assert_eq!(
        out.status,
        ExitStatus::Trapped(TrapKind::OutOfMemory),
        "{out:?}"
    );
    assert_healthy(&rt).await;
}

#[tokio::test]
async fn memory_below_initial_size_is_out_of_memory() {
    // A Rust guest declares ~1 MiB of initial memory; one page is not enough.
    let rt = runtime();
    let m = manifest(|m| m.limits.memory_bytes = 64 * 1024);
    let out = run(&rt, "hello", m, &[], b"").await;
    assert_eq!(
        out.status,
        ExitStatus::Trapped(TrapKind::OutOfMemory),
        "{out:?}"
    );
    assert_healthy(&rt).await;
}

#[tokio::test]
async fn output_flood_stops_at_cap() {
    let rt = runtime();
    let m = manifest(|m| m.limits.output_bytes = 1000);
    let out = run(&rt, "output-flood", m, &[], b"").await;
    assert_eq!(
        out.status,
        ExitStatus::Trapped(TrapKind::OutputLimitExceeded),
        "{out:?}"
    );
    assert_eq!(out.stdout.len(), 1000);
    assert!(out.stdout_truncated);
    assert!(!out.stderr_truncated);
    assert!(out.stdout.iter().all(|&b| b == b'A'));
    assert_healthy(&rt).await;
}

#[tokio::test]
async fn deep_recursion_overflows_stack() {
    let rt = runtime();
    let out = run(&rt, "deep-recursion", Manifest::default(), &[], b"").await;
    assert_eq!(
        out.status,
        ExitStatus::Trapped(TrapKind::StackOverflow),
        "{out:?}"
    );
    assert_healthy(&rt).await;
}

#[tokio::test]
async fn read_env_sees_only_the_manifest() {
    // Something the host process certainly has.
    assert!(std::env::var_os("PATH").is_some());
    let rt = runtime();
    let m = manifest(|m| {
        m.env.insert("B_KEY".into(), "two".into());
        m.env.insert("A_KEY".into(), "one".into());
        m.args = vec!["from-manifest".into()];
    });
    let out = run(&rt, "read-env", m, &["from-invocation"], b"").await;
    assert_eq!(out.status, ExitStatus::Exited(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text,
        "A_KEY=one\nB_KEY=two\narg: bls-function\narg: from-manifest\narg: from-invocation\ncwd: /\ntime: 0.000000000\n"
    );
}

#[tokio::test]
async fn clock_reads_block_time() {
    let rt = runtime();
    let hash = rt.load(&common::wasm("read-env")).unwrap();
    let mut job = common::job(hash, Manifest::default(), b"");
    job.block_time = bls_runtime::BlockTime {
        seconds: 1_700_000_000,
        nanos: 5,
    };
    let out = rt.run(&job).await.unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.ends_with("time: 1700000000.000000005\n"), "{text}");
}

#[tokio::test]
async fn all_hostile_in_sequence_then_healthy() {
    // One runtime takes every hostile job back to back; pool slots must all come back.
    let rt = runtime();
    let tight = manifest(|m| {
        m.limits.timeout_ms = 200;
        m.limits.fuel = 20_000_000;
        m.limits.memory_bytes = 8 << 20;
        m.limits.output_bytes = 512;
    });
    let expect = [
        ("infinite-loop", ExitStatus::Trapped(TrapKind::OutOfFuel)),
        ("sleep-forever", ExitStatus::Trapped(TrapKind::Timeout)),
        ("memory-bomb", ExitStatus::Trapped(TrapKind::OutOfMemory)),
        (
            "output-flood",
            ExitStatus::Trapped(TrapKind::OutputLimitExceeded),
        ),
        (
            "deep-recursion",
            ExitStatus::Trapped(TrapKind::StackOverflow),
        ),
        ("read-passwd", ExitStatus::Exited(1)),
    ];
    for round in 0..3 {
        for (name, status) in expect {
            let out = run(&rt, name, tight.clone(), &[], b"").await;
            assert_eq!(out.status, status, "{name} round {round}: {out:?}");
        }
    }
    assert_healthy(&rt).await;
}

#[tokio::test]
async fn missing_entry_is_a_deterministic_trap() {
    let rt = runtime();
    let m = manifest(|m| m.entry = "no_such_export".into());
    let out = run(&rt, "hello", m, &[], b"").await;
    assert_eq!(out.status, ExitStatus::Trapped(TrapKind::Other));
    assert!(out
        .trap_message
        .unwrap_or_default()
        .contains("no_such_export"));
}
