//! `bls-worker run` end to end through the real binary.

#[path = "../../runtime/tests/common/mod.rs"]
mod common;

use std::process::Command;

/// The binary, with worker keys in the unencrypted `test` keyring backend (no passphrase).
fn bls_worker() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bls-worker"));
    cmd.env_remove("BLS_WORKER_CACHE_DIR")
        .env_remove("BLS_KEYRING_PASSPHRASE")
        .env_remove("BLS_KEYRING_PASSPHRASE_FILE")
        .env("BLS_KEYRING_BACKEND", "test");
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
        "--resolve",
        "--allow-private-http",
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

/// A developer cannot grant a private origin through `--allow-http` (the manifest rule);
/// pointing a public origin at a local mock needs the operator-side flags, and works.
#[test]
fn attack_ssrf_private_allow_http_is_refused_and_local_mock_needs_operator_flags() {
    let out = bls_worker()
        .arg("run")
        .arg(common::wasm_path("http-get"))
        .args([
            "--arg",
            "http://127.0.0.1:9/",
            "--allow-http",
            "http://127.0.0.1:9",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("127.0.0.1") && err.contains("not a public address"),
        "{err}"
    );

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf);
            let _ = s.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\nconnection: close\r\n\r\nmock",
            );
        }
    });
    let origin = format!("http://api.example.com:{port}");
    let url = format!("{origin}/v1");
    let base = [
        "--arg",
        &url,
        "--allow-http",
        &origin,
        "--resolve",
        "api.example.com=127.0.0.1",
    ];
    // Resolving to the mock is not enough: the answer is private.
    let v = json(&base, "http-get");
    assert_eq!(v["exit_code"], 3, "{v}");
    assert!(
        v["stdout"].as_str().unwrap().starts_with("error: denied:"),
        "{v}"
    );
    let allow = format!("127.0.0.1:{port}");
    let mut args = base.to_vec();
    args.extend(["--allow-private-http", &allow]);
    let v = json(&args, "http-get");
    assert_eq!(v["stdout"], "status: 200\nmock", "{v}");
}

/// Runs `bls-worker run FILE [args]` on bytes written to a temp file; (success, stdout, stderr).
fn run_bytes(bytes: &[u8], args: &[&str]) -> (bool, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f.wasm");
    std::fs::write(&path, bytes).unwrap();
    let out = bls_worker()
        .arg("run")
        .arg(&path)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_file_that_is_not_wasm_is_refused_in_words_and_exits_nonzero() {
    let (ok, stdout, stderr) = run_bytes(b"hello world\n", &[]);
    assert!(!ok, "a text file must not run: {stdout}");
    assert!(
        stderr.contains("not a WebAssembly module")
            && stderr.contains("68 65 6c 6c")
            && stderr.contains("bls function build"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("magic"),
        "wasmtime's raw error leaks: {stderr}"
    );
    let (ok, _, stderr) = run_bytes(b"", &[]);
    assert!(!ok && stderr.contains("the file is empty"), "{stderr}");
    // A component (layer 1) is WebAssembly, but not what the sandbox runs.
    let (ok, _, stderr) = run_bytes(&[0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0], &[]);
    assert!(!ok && stderr.contains("WebAssembly component"), "{stderr}");
}

#[test]
fn a_module_without_its_entry_is_refused_and_exits_nonzero() {
    let lib =
        wat::parse_str(r#"(module (memory (export "memory") 1) (func (export "add")))"#).unwrap();
    let (ok, stdout, stderr) = run_bytes(&lib, &[]);
    assert!(
        !ok,
        "a module without _start must not report an outcome: {stdout}"
    );
    assert!(
        stderr.contains("exports no function `_start`") && stderr.contains("`add`"),
        "{stderr}"
    );
    // Naming the function it does export runs it to an outcome.
    let (ok, stdout, stderr) = run_bytes(&lib, &["--entry", "add"]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("exited"), "{stdout}");
}

/// `bls-worker start` with `args` in a fresh home; waits (bounded) for it to exit and returns
/// (success, stderr). It must exit on its own: the metrics port is checked before the chain.
fn start_exits(init_args: &[&str], args: &[&str]) -> (bool, String) {
    let home = tempfile::tempdir().unwrap();
    let init = bls_worker()
        .args(["init", "--home"])
        .arg(home.path())
        .args(init_args)
        .output()
        .unwrap();
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let mut child = bls_worker()
        .args(["start", "--home"])
        .arg(home.path())
        .args(args)
        // Nothing listens here: were the port check skipped, it would wait for a node.
        .env("BLS_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("bls-worker start {args:?} did not exit");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    (status.success(), stderr)
}

#[test]
fn a_second_worker_on_a_busy_metrics_port_is_told_which_flag_to_use() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    // The port comes from config.toml (as two workers initialised with the default would).
    let (ok, stderr) = start_exits(&["--metrics-listen", &addr], &[]);
    assert!(!ok);
    assert!(
        stderr.contains(&format!("{addr} is already in use"))
            && stderr.contains("--metrics-listen"),
        "{stderr}"
    );
    // The flag overrides the config, and names the same way when busy.
    let (ok, stderr) = start_exits(&[], &["--metrics-listen", &addr]);
    assert!(!ok && stderr.contains("already in use"), "{stderr}");
    let (ok, stderr) = start_exits(&[], &["--metrics-listen", "nonsense"]);
    assert!(!ok && stderr.contains("expected IP:PORT"), "{stderr}");
    let out = bls_worker().args(["start", "--help"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("--metrics-listen"));
}

#[test]
fn init_prints_json_with_output_json_and_complete_next_steps() {
    let home = tempfile::tempdir().unwrap();
    let out = bls_worker()
        .args([
            "init",
            "--output",
            "json",
            "--rpc-url",
            "http://127.0.0.1:36657",
            "--home",
        ])
        .arg(home.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let address = v["address"].as_str().unwrap();
    assert!(address.starts_with("bls1"), "{v}");
    assert!(
        v["mnemonic"]
            .as_str()
            .is_some_and(|m| m.split_whitespace().count() >= 12),
        "{v}"
    );
    // The funding command names the address, the worker's node and --yes (it signs).
    let fund = v["fund"].as_str().unwrap();
    assert!(
        fund.starts_with("blsd tx bank send ")
            && fund.contains(address)
            && fund.contains("--yes")
            && fund.contains("--node http://127.0.0.1:36657"),
        "{fund}"
    );
    let start = v["start"].as_str().unwrap();
    assert!(start.contains("--register") && start.contains(&home.path().display().to_string()));
}
