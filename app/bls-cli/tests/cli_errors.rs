//! The `bls` binary's answers to newcomer mistakes: each error names the fix. Runs the real
//! binary in temp dirs; "chain not running" is a free loopback port with nothing listening.

use std::path::Path;
use std::process::{Command, Output};

/// `bls` with a clean environment (no ambient node, keyring, signer or SDK settings) and the
/// unencrypted `test` keyring backend.
fn bls(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_bls"));
    c.args(args)
        .env_remove("BLS_NODE")
        .env_remove("BLS_KEYRING")
        .env_remove("BLS_FROM")
        .env_remove("BLS_SDK_PATH")
        .env_remove("BLS_KEYRING_PASSPHRASE")
        .env_remove("BLS_KEYRING_PASSPHRASE_FILE")
        .env("BLS_KEYRING_BACKEND", "test");
    c
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("running bls")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs and expects failure with every one of `needles` in stderr.
fn fails_with(cmd: &mut Command, needles: &[&str]) -> String {
    let o = run(cmd);
    let err = stderr(&o);
    assert!(!o.status.success(), "expected failure, got success: {err}");
    for n in needles {
        assert!(err.contains(n), "stderr lacks {n:?}:\n{err}");
    }
    err
}

/// A fresh project `hello` in `dir/hello`.
fn project(dir: &Path) -> std::path::PathBuf {
    let p = dir.join("hello");
    let o = run(bls(&["function", "init", "hello", "--dir"]).arg(&p));
    assert!(o.status.success(), "init: {}", stderr(&o));
    p
}

/// A loopback URL where nothing listens.
fn dead_node() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}")
}

#[test]
fn no_keyring_says_how_to_create_a_key() {
    let tmp = tempfile::tempdir().unwrap();
    let p = project(tmp.path());
    let keyring = tmp.path().join("keyring");
    let mut cmd = bls(&["function", "deploy", "--from", "dev", "--keyring-dir"]);
    cmd.arg(&keyring).arg("--dir").arg(&p);
    fails_with(
        &mut cmd,
        &["no keyring at", "bls keys add NAME", "blsd keys add NAME"],
    );
}

#[test]
fn unknown_key_and_missing_from_name_the_fix() {
    let tmp = tempfile::tempdir().unwrap();
    let p = project(tmp.path());
    let keyring = tmp.path().join("keyring");
    let o = run(bls(&["keys", "add", "alice", "--output", "json", "--keyring-dir"]).arg(&keyring));
    assert!(o.status.success(), "{}", stderr(&o));
    let added: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(added["address"].as_str().unwrap().starts_with("bls1"));

    let mut cmd = bls(&["function", "deploy", "--from", "bob", "--keyring-dir"]);
    cmd.arg(&keyring).arg("--dir").arg(&p);
    fails_with(
        &mut cmd,
        &[
            "no key named \"bob\"",
            "bls keys add bob",
            "blsd keys add bob",
            "keys in the keyring: alice",
        ],
    );

    let mut cmd = bls(&["function", "invoke", "1", "--keyring-dir"]);
    cmd.arg(&keyring);
    fails_with(&mut cmd, &["no signer: pass --from KEY", "alice"]);

    // The same keyring through the environment, and `keys list` shows the key.
    let o = run(bls(&["keys", "list", "--output", "json"]).env("BLS_KEYRING", &keyring));
    assert!(o.status.success(), "{}", stderr(&o));
    let keys: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(keys[0]["name"], "alice");
}

/// A loopback "node" that counts the connections made to it (and answers none).
fn counting_node() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let seen = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = seen.clone();
    std::thread::spawn(move || {
        for c in l.incoming() {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            drop(c);
        }
    });
    (url, seen)
}

#[test]
fn without_a_terminal_signing_commands_need_yes_and_touch_nothing_without_it() {
    let tmp = tempfile::tempdir().unwrap();
    let keyring = tmp.path().join("keyring");
    assert!(
        run(bls(&["keys", "add", "dev", "--keyring-dir"]).arg(&keyring))
            .status
            .success()
    );
    let rid = "ab".repeat(32);
    let commands: [&[&str]; 4] = [
        &["function", "retire", "1"],
        &["function", "invoke", "1", "--input", "Ada"],
        &["account", "deposit", "5ubls"],
        &["fastpath", "challenge", &rid],
    ];
    for args in commands {
        let (node, seen) = counting_node();
        // `output()` gives the child no terminal on stdin.
        let mut cmd = bls(args);
        cmd.args(["--from", "dev", "--node", &node, "--keyring-dir"])
            .arg(&keyring)
            .stdin(std::process::Stdio::null());
        let err = fails_with(&mut cmd, &["pass --yes"]);
        assert_eq!(
            seen.load(std::sync::atomic::Ordering::SeqCst),
            0,
            "{args:?} contacted the node without a yes: {err}"
        );
        // With --yes it goes on to the node (which answers nothing here).
        cmd.arg("--yes");
        let err = fails_with(&mut cmd, &[]);
        assert!(!err.contains("pass --yes"), "{args:?}: {err}");
        assert!(
            seen.load(std::sync::atomic::Ordering::SeqCst) > 0,
            "{args:?} with --yes did not reach the node: {err}"
        );
    }
}

#[test]
fn chain_not_running_points_at_the_devnet() {
    let tmp = tempfile::tempdir().unwrap();
    let p = project(tmp.path());
    let keyring = tmp.path().join("keyring");
    assert!(
        run(bls(&["keys", "add", "dev", "--keyring-dir"]).arg(&keyring))
            .status
            .success()
    );
    let node = dead_node();
    let want = format!("cannot reach the node at {node}: start a devnet with ./scripts/devnet");

    let mut cmd = bls(&[
        "function", "deploy", "--from", "dev", "--yes", "--node", &node,
    ]);
    cmd.arg("--keyring-dir").arg(&keyring).arg("--dir").arg(&p);
    fails_with(&mut cmd, &[&want]);

    let mut cmd = bls(&[
        "function", "invoke", "1", "--wait", "--from", "dev", "--yes",
    ]);
    cmd.env("BLS_NODE", &node)
        .arg("--keyring-dir")
        .arg(&keyring);
    fails_with(&mut cmd, &[&want]);

    for args in [
        vec!["account", "--from", "dev"],
        vec!["function", "list"],
        vec!["function", "show", "1"],
    ] {
        let mut cmd = bls(&args);
        cmd.args(["--node", &node])
            .arg("--keyring-dir")
            .arg(&keyring);
        fails_with(&mut cmd, &[&want]);
    }
}

#[test]
fn bad_manifest_names_the_key_and_what_is_allowed() {
    let tmp = tempfile::tempdir().unwrap();
    let p = project(tmp.path());
    let manifest = p.join("bls.toml");
    let good = std::fs::read_to_string(&manifest).unwrap();
    let cases: [(&str, &str, &[&str]); 5] = [
        (
            "timeout_ms = 10000",
            "timeout_ms = 0",
            &[
                "bad manifest",
                "`limits.timeout_ms` = 0",
                "allowed 1..=900000",
            ],
        ),
        (
            "quorum = 2",
            "quorum = 1",
            &["`quorum` = 1", "allowed 2..=3"],
        ),
        ("fuel = ", "fule = ", &["unknown field `fule`", "`fuel`"]),
        (
            "http = []",
            "http = [\"ftp://x\"]",
            &["`permissions.http`", "scheme must be http or https"],
        ),
        (
            "calls = []",
            "calls = [3, 3]",
            &["key `calls`", "distinct function ids"],
        ),
    ];
    for (from, to, needles) in cases {
        assert!(good.contains(from), "template lacks {from:?}");
        std::fs::write(&manifest, good.replacen(from, to, 1)).unwrap();
        for sub in ["build", "run"] {
            let mut cmd = bls(&["function", sub, "--dir"]);
            cmd.arg(&p);
            let err = fails_with(&mut cmd, needles);
            assert!(err.contains(&manifest.display().to_string()), "{err}");
        }
    }
}

#[test]
fn outside_a_project_says_how_to_make_one() {
    let tmp = tempfile::tempdir().unwrap();
    for sub in ["build", "run", "deploy"] {
        let mut cmd = bls(&["function", sub, "--dir"]);
        cmd.arg(tmp.path());
        fails_with(
            &mut cmd,
            &[
                "is not in a function project (no bls.toml",
                "bls function init NAME",
            ],
        );
    }
}

#[test]
fn missing_wasm_target_says_how_to_add_it() {
    let tmp = tempfile::tempdir().unwrap();
    let p = project(tmp.path());
    // A compiler whose sysroot has no wasm32-wasip1 standard library.
    let sysroot = tmp.path().join("sysroot");
    std::fs::create_dir_all(sysroot.join("lib/rustlib")).unwrap();
    let fake = tmp.path().join("fake-rustc");
    std::fs::write(&fake, format!("#!/bin/sh\necho {}\n", sysroot.display())).unwrap();
    let mut perms = std::fs::metadata(&fake).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&fake, perms).unwrap();
    let mut cmd = bls(&["function", "build", "--dir"]);
    cmd.arg(&p).env("RUSTC", &fake);
    fails_with(
        &mut cmd,
        &[
            "the Rust target wasm32-wasip1 is not installed",
            "rustup target add wasm32-wasip1",
        ],
    );
}

#[test]
fn init_mistakes_are_explained() {
    let tmp = tempfile::tempdir().unwrap();
    let p = project(tmp.path());
    let mut cmd = bls(&["function", "init", "hello", "--dir"]);
    cmd.arg(&p);
    fails_with(&mut cmd, &["already exists and is not empty", "--dir"]);

    let mut cmd = bls(&["function", "init", "9lives", "--dir"]);
    cmd.arg(tmp.path().join("x"));
    fails_with(
        &mut cmd,
        &["invalid function name \"9lives\"", "starting with a letter"],
    );

    let mut cmd = bls(&["function", "init", "other", "--dir"]);
    cmd.arg(tmp.path().join("other"))
        .env("BLS_SDK_PATH", tmp.path());
    fails_with(
        &mut cmd,
        &[
            "cannot find the bls guest SDK",
            "--sdk-path",
            "BLS_SDK_PATH",
        ],
    );

    let mut cmd = bls(&["function", "run", "--no-build", "--dir"]);
    cmd.arg(&p);
    fails_with(&mut cmd, &["no WASM at", "bls function build"]);
}

#[test]
fn init_writes_a_documented_project_and_json() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("greeter");
    let o = run(bls(&["function", "init", "greeter", "--output", "json", "--dir"]).arg(&dir));
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["name"], "greeter");
    assert!(v["sdk_path"].as_str().unwrap().ends_with("contracts/sdk"));
    for f in ["Cargo.toml", "src/main.rs", "bls.toml", ".gitignore"] {
        assert!(dir.join(f).is_file(), "{f}");
    }
    let manifest = std::fs::read_to_string(dir.join("bls.toml")).unwrap();
    for key in [
        "name",
        "entry",
        "replication",
        "quorum",
        "timeout_ms",
        "memory_bytes",
        "fuel",
        "output_bytes",
        "http",
        "filesystem",
    ] {
        let line = manifest
            .lines()
            .position(|l| l.starts_with(&format!("{key} =")))
            .unwrap_or_else(|| panic!("no {key} in bls.toml"));
        assert!(
            manifest
                .lines()
                .nth(line.wrapping_sub(1))
                .is_some_and(|l| l.starts_with('#')),
            "{key} has no comment above it"
        );
    }
}

/// Builds the generated project for real (cargo, wasm32-wasip1, offline: its only
/// dependency is the SDK by path) and runs it locally.
#[test]
fn build_and_run_the_new_project() {
    let tmp = tempfile::tempdir().unwrap();
    let p = project(tmp.path());
    let o = run(bls(&[
        "function",
        "build",
        "--offline",
        "--output",
        "json",
        "--dir",
    ])
    .arg(&p));
    assert!(o.status.success(), "{}", stderr(&o));
    let b: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let wasm = std::fs::read(b["wasm"].as_str().unwrap()).unwrap();
    assert_eq!(b["size"].as_u64(), Some(wasm.len() as u64));
    assert!(b["gzip_size"].as_u64().unwrap() < wasm.len() as u64);
    assert_eq!(b["code_hash"].as_str().unwrap().len(), 64);

    let o = run(bls(&[
        "function",
        "run",
        "--offline",
        "--stdin",
        "Ada",
        "--output",
        "json",
        "--dir",
    ])
    .arg(&p));
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["stdout"], "Hello, Ada!\n");
    assert_eq!(r["exit_code"], 0);
    assert_eq!(r["code_hash"], b["code_hash"]);
    assert_eq!(r["result_hash"].as_str().unwrap().len(), 64);

    // A second project that calls the first one as function 7 (`--callee 7=DIR`).
    let caller = tmp.path().join("caller");
    let o = run(bls(&["function", "init", "caller", "--dir"]).arg(&caller));
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::write(
        caller.join("src/main.rs"),
        r#"fn main() {
    let input = bls_sdk::input().unwrap_or_default();
    match bls_sdk::call::call(7, &input) {
        Ok(out) => { let _ = bls_sdk::output(&[b"7 said: ".as_slice(), &out].concat()); }
        Err(e) => { bls_sdk::log(&e.to_string()); std::process::exit(1); }
    }
}
"#,
    )
    .unwrap();
    let toml = std::fs::read_to_string(caller.join("bls.toml")).unwrap();
    std::fs::write(
        caller.join("bls.toml"),
        toml.replacen("calls = []", "calls = [7]", 1),
    )
    .unwrap();
    let callee = format!("7={}", p.display());
    let o = run(bls(&[
        "function",
        "run",
        "--offline",
        "--stdin",
        "Bo",
        "--callee",
        &callee,
        "--output",
        "json",
        "--dir",
    ])
    .arg(&caller));
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["stdout"], "7 said: Hello, Bo!\n", "{r}");
    assert_eq!(
        r["calls"],
        serde_json::json!([{"function_id": 7, "ok": true}]),
        "{r}"
    );
    // Without the callee the call is refused in words, not a crash.
    let o = run(bls(&["function", "run", "--no-build", "--output", "json", "--dir"]).arg(&caller));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["exit_code"], 1, "{r}");
    assert!(
        r["stderr"]
            .as_str()
            .unwrap()
            .contains("unavailable: function 7 is not available"),
        "{r}"
    );
    let o = run(bls(&[
        "function",
        "run",
        "--no-build",
        "--callee",
        "seven",
        "--dir",
    ])
    .arg(&caller));
    assert!(
        !o.status.success() && stderr(&o).contains("expected ID=DIR"),
        "{}",
        stderr(&o)
    );

    // Limits come from bls.toml: a tiny fuel budget traps the same code.
    let manifest = p.join("bls.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let start = text.find("fuel = ").unwrap();
    let end = start + text[start..].find('\n').unwrap();
    std::fs::write(
        &manifest,
        format!("{}fuel = 10{}", &text[..start], &text[end..]),
    )
    .unwrap();
    let o = run(bls(&["function", "run", "--no-build", "--output", "json", "--dir"]).arg(&p));
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["status"], "trapped", "{r}");
    assert_eq!(r["trap"], "out_of_fuel", "{r}");
}
