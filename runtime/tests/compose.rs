//! `bls_call`: a function calls the functions the chain pinned for its job, inside the same job.
//! Each test tries to break one rule of `runtime/src/compose.rs`: calling what is not declared
//! or not pinned, another version, a cycle, a call loop, a callee that burns the job's fuel or
//! time, a callee that grabs memory, a callee with more permission than its caller, bad guest
//! pointers — and checks the outcome (call log included) is the same on every run.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bls_core::composition::{Call, MAX_CALLS_PER_JOB, MAX_CALL_DEPTH};
use bls_runtime::{
    Callee, ExitStatus, HttpConfig, Job, Manifest, Outcome, Runtime, RuntimeConfig, StaticHosts,
    SystemResolver, TrapKind,
};
use common::{job, runtime, wasm};

fn callee(rt: &Runtime, function_id: u64, name: &str, manifest: Manifest) -> Callee {
    Callee {
        function_id,
        version: 1,
        code_hash: rt.load(&wasm(name)).expect("load callee"),
        manifest,
    }
}

fn env(pairs: &[(&str, &str)], calls: &[u64]) -> Manifest {
    let mut m = Manifest::default();
    for (k, v) in pairs {
        m.env.insert(k.to_string(), v.to_string());
    }
    m.calls = calls.to_vec();
    m
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

async fn run_twice(rt: &Runtime, job: &Job) -> Outcome {
    let a = rt.run(job).await.expect("run");
    let b = rt.run(job).await.expect("run again");
    assert_eq!(a.result_hash(), b.result_hash(), "same job, same outcome");
    a
}

fn ok(function_id: u64) -> Call {
    Call {
        function_id,
        ok: true,
    }
}

/// A guest that calls `function_id` at `version` with `len` bytes at `ptr` (the output length
/// written at `out`), `times` times, and exits with the code of the first call that returns
/// non-zero (0 when all succeed). Its memory is one page.
fn caller_wat(
    function_id: u64,
    version: u64,
    (ptr, len): (u32, u32),
    out: u32,
    times: u32,
) -> Vec<u8> {
    wat::parse_str(format!(
        r#"(module
          (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
          (import "bls_call" "call" (func $call (param i64 i64 i32 i32 i32) (result i32)))
          (memory (export "memory") 1)
          (data (i32.const 0) "ada")
          (func (export "_start") (local $i i32) (local $rc i32)
            (loop $again
              (local.set $rc (call $call (i64.const {function_id}) (i64.const {version})
                (i32.const {ptr}) (i32.const {len}) (i32.const {out})))
              (if (i32.ne (local.get $rc) (i32.const 0))
                (then (call $exit (local.get $rc))))
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $again (i32.lt_u (local.get $i) (i32.const {times}))))
            (call $exit (i32.const 0))))"#
    ))
    .expect("wat")
}

#[tokio::test]
async fn a_function_calls_two_others_and_gets_their_outputs() {
    let rt = runtime();
    let code = rt.load(&wasm("compose")).unwrap();
    let mut j = job(
        code,
        env(&[("FIRST", "2"), ("SECOND", "3")], &[2, 3]),
        b"ada",
    );
    j.callees = vec![
        callee(&rt, 2, "hello", Manifest::default()),
        callee(&rt, 3, "sha256-rounds", Manifest::default()),
    ];
    let out = run_twice(&rt, &j).await;
    assert_eq!(out.status, ExitStatus::Exited(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!("Hello, ada! | {}\n", sha256_hex(b"ada"))
    );
    assert_eq!(out.calls, vec![ok(2), ok(3)]);
    // The callees' fuel is the job's: more than the caller alone would burn.
    let mut alone = job(code, env(&[("FIRST", "2"), ("SECOND", "3")], &[]), b"ada");
    alone.callees = j.callees.clone();
    let refused = rt.run(&alone).await.unwrap();
    assert!(out.fuel_used > refused.fuel_used);
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[tokio::test]
async fn attack_calling_what_the_manifest_does_not_declare_or_the_chain_did_not_pin() {
    let rt = runtime();
    let code = rt.load(&wasm("compose")).unwrap();
    // Declared nothing: the pinned callees are still out of reach.
    let mut j = job(code, env(&[("FIRST", "2"), ("SECOND", "3")], &[]), b"x");
    j.callees = vec![callee(&rt, 2, "hello", Manifest::default())];
    let out = run_twice(&rt, &j).await;
    assert_eq!(out.status, ExitStatus::Exited(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("not-declared")
            && err.contains("function 2 is not in this function's manifest `calls`"),
        "{err}"
    );
    assert!(out.calls.is_empty(), "a refused call is not logged");
    // Declared but not pinned (the fast path, or a chain that did not pin it).
    let j = job(code, env(&[("FIRST", "2"), ("SECOND", "3")], &[2, 3]), b"x");
    let out = run_twice(&rt, &j).await;
    let err = text(&out.stderr);
    assert!(
        err.contains("unavailable") && err.contains("not available to this job"),
        "{err}"
    );
    assert!(out.calls.is_empty());
}

#[tokio::test]
async fn a_call_cycle_ends_at_the_depth_limit_with_a_clear_error() {
    let rt = runtime();
    let a = env(&[("NEXT", "2")], &[2]);
    let b = env(&[("NEXT", "1")], &[1]);
    let code = rt.load(&wasm("relay")).unwrap();
    let mut j = job(code, a.clone(), b"ping");
    j.callees = vec![callee(&rt, 1, "relay", a), callee(&rt, 2, "relay", b)];
    let out = run_twice(&rt, &j).await;
    assert_eq!(out.status, ExitStatus::Exited(0));
    let said = text(&out.stdout);
    assert!(
        said.starts_with("refused: depth-limit: call depth limit 4 reached")
            && said.contains("path 2 → 1 → 2 → 1 → 2"),
        "{said}"
    );
    // Exactly the frames that ran are logged, in order; the refused call is not.
    assert_eq!(out.calls, vec![ok(2), ok(1), ok(2), ok(1)]);
    assert_eq!(out.calls.len(), MAX_CALL_DEPTH as usize);
}

#[tokio::test]
async fn attack_a_call_loop_stops_at_the_job_call_budget() {
    let rt = runtime();
    let code = rt
        .load(&caller_wat(2, 0, (0, 3), 1024, MAX_CALLS_PER_JOB + 1))
        .unwrap();
    let mut j = job(code, env(&[], &[2]), b"");
    j.callees = vec![callee(&rt, 2, "hello", Manifest::default())];
    let out = run_twice(&rt, &j).await;
    // 16 calls ran; call number 17 is refused with CallBudget (5).
    assert_eq!(out.status, ExitStatus::Exited(5));
    assert_eq!(out.calls, vec![ok(2); MAX_CALLS_PER_JOB as usize]);
}

#[tokio::test]
async fn attack_another_version_and_bad_guest_buffers_are_refused() {
    let rt = runtime();
    let hello = callee(&rt, 2, "hello", Manifest::default());
    for (wat, code, what) in [
        (
            caller_wat(2, 1, (0, 3), 1024, 1),
            0,
            "the pinned version by number",
        ),
        (
            caller_wat(2, 2, (0, 3), 1024, 1),
            3,
            "another version: VersionMoved",
        ),
        (
            caller_wat(2, 0, (65_530, 100), 1024, 1),
            7,
            "input past memory: BadBuffer",
        ),
        (
            caller_wat(2, 0, (u32::MAX - 1, 3), 1024, 1),
            7,
            "input wrapping around: BadBuffer",
        ),
        (
            caller_wat(2, 0, (0, 3), 65_534, 1),
            7,
            "output length past memory: BadBuffer",
        ),
        (
            caller_wat(2, 0, (0, (1 << 20) + 1), 1024, 1),
            8,
            "input above 1 MiB: InputTooLarge",
        ),
    ] {
        let c = rt.load(&wat).unwrap();
        let mut j = job(c, env(&[], &[2]), b"");
        j.callees = vec![hello.clone()];
        let out = run_twice(&rt, &j).await;
        assert_eq!(out.status, ExitStatus::Exited(code), "{what}");
        assert_eq!(
            out.calls.is_empty(),
            code != 0,
            "{what}: only a call that ran is logged"
        );
    }
}

#[tokio::test]
async fn attack_a_callee_burning_the_fuel_ends_the_whole_job() {
    let rt = runtime();
    let code = rt.load(&wasm("compose")).unwrap();
    let mut m = env(&[("FIRST", "2"), ("SECOND", "3")], &[2, 3]);
    m.limits.fuel = 50_000_000;
    let mut j = job(code, m, b"x");
    // The callee's own manifest allows far more fuel: the job's budget is what counts.
    let mut generous = Manifest::default();
    generous.limits.fuel = 10_000_000_000;
    j.callees = vec![
        callee(&rt, 2, "infinite-loop", generous),
        callee(&rt, 3, "hello", Manifest::default()),
    ];
    let out = run_twice(&rt, &j).await;
    assert_eq!(out.status, ExitStatus::Trapped(TrapKind::OutOfFuel));
    assert_eq!(out.fuel_used, 50_000_000);
    assert_eq!(
        out.calls,
        vec![Call {
            function_id: 2,
            ok: false
        }]
    );
}

#[tokio::test]
async fn attack_a_callee_overflowing_its_stack_ends_the_whole_job() {
    // How deep a stack goes is the machine's, not the protocol's: a caller must not turn it
    // into an answer it prints (honest workers would disagree and be judged for it).
    let rt = runtime();
    let code = rt.load(&wasm("compose")).unwrap();
    let mut j = job(code, env(&[("FIRST", "2"), ("SECOND", "3")], &[2, 3]), b"x");
    j.callees = vec![
        callee(&rt, 2, "deep-recursion", Manifest::default()),
        callee(&rt, 3, "hello", Manifest::default()),
    ];
    let out = run_twice(&rt, &j).await;
    assert_eq!(out.status, ExitStatus::Trapped(TrapKind::StackOverflow));
}

#[tokio::test]
async fn a_callee_without_its_entry_fails_in_fixed_words() {
    let rt = runtime();
    let code = rt.load(&wasm("compose")).unwrap();
    let mut j = job(code, env(&[("FIRST", "2"), ("SECOND", "3")], &[2, 3]), b"x");
    let no_entry = Manifest {
        entry: "nope".into(),
        ..Manifest::default()
    };
    j.callees = vec![
        callee(&rt, 2, "hello", no_entry),
        callee(&rt, 3, "hello", Manifest::default()),
    ];
    let out = run_twice(&rt, &j).await;
    assert_eq!(out.status, ExitStatus::Exited(1));
    assert_eq!(
        text(&out.stderr),
        "calling FIRST: failed: function 2 exports no entry \"nope\" of type () -> ()\n"
    );
}

#[tokio::test]
async fn attack_a_callee_sleeping_past_the_deadline_times_out_the_whole_job() {
    let rt = runtime();
    let code = rt.load(&wasm("compose")).unwrap();
    let mut m = env(&[("FIRST", "2"), ("SECOND", "3")], &[2, 3]);
    m.limits.timeout_ms = 300;
    let mut j = job(code, m, b"x");
    j.callees = vec![
        callee(&rt, 2, "sleep-forever", Manifest::default()),
        callee(&rt, 3, "hello", Manifest::default()),
    ];
    let out = rt.run(&j).await.unwrap();
    assert_eq!(out.status, ExitStatus::Trapped(TrapKind::Timeout));
    assert!(
        out.canonical().calls.is_empty(),
        "a timeout encodes no progress"
    );
}

#[tokio::test]
async fn attack_a_callee_grabbing_memory_fails_alone_within_its_callers_budget() {
    let rt = runtime();
    let code = rt.load(&wasm("compose")).unwrap();
    let mut m = env(&[("FIRST", "2"), ("SECOND", "3")], &[2, 3]);
    m.limits.memory_bytes = 8 << 20;
    let mut j = job(code, m, b"x");
    // The callee may ask for 1 GiB; it gets what its caller leaves of 8 MiB.
    let mut greedy = Manifest::default();
    greedy.limits.memory_bytes = 1 << 30;
    j.callees = vec![
        callee(&rt, 2, "memory-bomb", greedy),
        callee(&rt, 3, "hello", Manifest::default()),
    ];
    let out = run_twice(&rt, &j).await;
    // The caller handled the failure (exit 1 with the reason), not a job-wide trap.
    assert_eq!(out.status, ExitStatus::Exited(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("failed: function 2 ran out of memory") && err.contains("bytes"),
        "{err}"
    );
    let limit: u64 = err
        .split("limit here: ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("the limit is named");
    assert!(
        limit < 8 << 20,
        "the callee got {limit} bytes, more than its caller's budget left"
    );
    assert_eq!(
        out.calls,
        vec![Call {
            function_id: 2,
            ok: false
        }]
    );
}

/// A loopback server answering every request with `200 ok`; counts connections.
fn serve() -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            counted.fetch_add(1, Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let _ = conn.read(&mut buf);
            let _ = conn
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
        }
    });
    (addr, hits)
}

#[tokio::test]
async fn attack_a_callee_never_gets_more_http_than_its_caller() {
    let (addr, hits) = serve();
    let hosts = vec!["api.example.com=127.0.0.1".to_string()];
    let rt = Runtime::new(RuntimeConfig {
        max_concurrent_jobs: 2,
        http: HttpConfig {
            allow_private: vec![addr],
            resolver: Arc::new(StaticHosts::new(&hosts, Arc::new(SystemResolver)).unwrap()),
            ..HttpConfig::default()
        },
        ..RuntimeConfig::default()
    })
    .unwrap();
    let origin = format!("http://api.example.com:{}", addr.port());
    let mut fetcher = Manifest {
        args: vec![format!("{origin}/data")],
        ..Manifest::default()
    };
    fetcher.permissions.http = vec![origin.clone()];
    let code = rt.load(&wasm("compose")).unwrap();
    let callees = vec![
        callee(&rt, 2, "http-get", fetcher),
        callee(&rt, 3, "hello", Manifest::default()),
    ];

    // The caller may not reach the origin: neither may its callee.
    let mut j = job(code, env(&[("FIRST", "2"), ("SECOND", "3")], &[2, 3]), b"");
    j.callees = callees.clone();
    let out = rt.run(&j).await.unwrap();
    assert_eq!(out.status, ExitStatus::Exited(1));
    assert!(
        text(&out.stderr).contains("function 2 exited with code 3"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "the server was never contacted"
    );

    // The caller may: then the callee's own allowlist applies.
    let mut m = env(&[("FIRST", "2"), ("SECOND", "3")], &[2, 3]);
    m.permissions.http = vec![origin];
    let mut j = job(code, m, b"");
    j.callees = callees;
    let out = rt.run(&j).await.unwrap();
    assert_eq!(out.status, ExitStatus::Exited(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("status: 200"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_callee_whose_module_is_not_loaded_is_a_worker_error_not_an_outcome() {
    let rt = runtime();
    let code = rt.load(&wasm("compose")).unwrap();
    let mut j = job(code, env(&[("FIRST", "2"), ("SECOND", "3")], &[2, 3]), b"x");
    j.callees = vec![Callee {
        function_id: 2,
        version: 1,
        code_hash: [9; 32],
        manifest: Manifest::default(),
    }];
    let err = rt.run(&j).await.unwrap_err();
    assert!(err.to_string().contains("not loaded"), "{err}");
}
