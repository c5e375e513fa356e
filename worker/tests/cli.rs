//! `bls-worker run` end to end through the real binary.

mod common;

use std::process::Command;

fn bls_worker() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bls-worker"));
    cmd.env_remove("BLS_WORKER_CACHE_DIR");
    cmd
}

fn json(args: &[&str], wasm: &str) -> serde_json::Value {
    let out = bls_worker()
        .arg("run")
        .arg(common::wasm_path(wasm))
        .args(args)
        .args(["--output", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn help_lists_run_and_its_flags() {
    let out = bls_worker().arg("--help").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("run"));
    let out = bls_worker().args(["run", "--help"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--stdin",
        "--input",
        "--arg",
        "--env",
        "--allow-http",
        "--timeout",
        "--memory",
        "--fuel",
        "--output",
    ] {
        assert!(text.contains(flag), "missing {flag} in:\n{text}");
    }
}

#[test]
fn hello_text_and_json() {
    let out = bls_worker()
        .arg("run")
        .arg(common::wasm_path("hello"))
        .args(["--stdin", "Ada"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("status:      exited 0"), "{text}");
    assert!(text.contains("Hello, Ada!"), "{text}");
    assert!(text.contains("result hash: "), "{text}");

    let v = json(&["--stdin", "Ada"], "hello");
    assert_eq!(v["stdout"], "Hello, Ada!\n");
    assert_eq!(v["exit_code"], 0);
    assert_eq!(v["result_hash"].as_str().unwrap().len(), 64);
}

#[test]
fn limits_and_env_flags_apply() {
    let v = json(&["--fuel", "1000000", "--timeout", "5s"], "infinite-loop");
    assert_eq!(v["trap"], "out_of_fuel");
    assert_eq!(v["fuel_used"], 1_000_000);
    let v = json(&["--memory", "4MiB"], "memory-bomb");
    assert_eq!(v["trap"], "out_of_memory");
    let v = json(&["--max-output", "100"], "output-flood");
    assert_eq!(v["trap"], "output_limit_exceeded");
    assert_eq!(v["stdout"].as_str().unwrap().len(), 100);
    let v = json(
        &["--env", "K=V", "--arg", "x", "--block-time", "42"],
        "read-env",
    );
    assert_eq!(
        v["stdout"],
        "K=V\narg: bls-function\narg: x\ncwd: /\ntime: 42.000000000\n"
    );
}

#[test]
fn input_file_and_bad_usage() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.txt");
    std::fs::write(&input, "file input").unwrap();
    let v = json(&["--input", input.to_str().unwrap()], "hello");
    assert_eq!(v["stdout"], "Hello, file input!\n");

    // Invalid limits and unreadable files are errors (exit 1), not outcomes.
    let out = bls_worker()
        .arg("run")
        .arg(common::wasm_path("hello"))
        .args(["--timeout", "16m"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("timeout_ms"));
    let out = bls_worker()
        .args(["run", "/nonexistent.wasm"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    // --stdin and --input conflict: a usage error from clap.
    let out = bls_worker()
        .arg("run")
        .arg(common::wasm_path("hello"))
        .args(["--stdin", "a", "--input", "b"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
