//! The encrypted keyring through the real `bls` binary, as an attacker or a careless script
//! would meet it: no terminal and no passphrase, a wrong passphrase, the other backend, a key
//! file read for its secret, and armored exports that are guessed at or edited.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use bls_client::KeyPair;

const PW: &str = "keyring passphrase one";
const EXPORT_PW: &str = "export passphrase two";

/// `bls` with a clean environment: the default (`file`) backend, no passphrase anywhere, no
/// terminal on stdin.
fn bls(keyring: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_bls"));
    // The keyring option first: a test appends an option's value after `args`.
    c.arg("--keyring-dir")
        .arg(keyring)
        .args(args)
        .env_remove("BLS_NODE")
        .env_remove("BLS_KEYRING")
        .env_remove("BLS_FROM")
        .env_remove("BLS_KEYRING_BACKEND")
        .env_remove("BLS_KEYRING_PASSPHRASE")
        .env_remove("BLS_KEYRING_PASSPHRASE_FILE")
        .env_remove("BLS_EXPORT_PASSPHRASE")
        .stdin(Stdio::null());
    c
}

/// Runs `cmd`, killing it if it has not exited within 60 s (a prompt would hang it).
fn run(cmd: &mut Command) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawning bls");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if child.try_wait().expect("waiting for bls").is_some() {
            return child.wait_with_output().expect("collecting output");
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let o = child.wait_with_output().expect("collecting output");
            panic!(
                "bls hung (waiting for a prompt?): {}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn ok(o: &Output) -> serde_json::Value {
    assert!(
        o.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap_or(serde_json::Value::Null)
}

fn fails_with(o: &Output, needles: &[&str]) -> String {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(!o.status.success(), "expected failure, got success: {err}");
    for n in needles {
        assert!(err.contains(n), "stderr lacks {n:?}:\n{err}");
    }
    err
}

#[test]
fn without_a_terminal_or_a_passphrase_nothing_is_prompted_or_written() {
    let tmp = tempfile::tempdir().unwrap();
    let kr = tmp.path().join("keyring");
    let o = run(&mut bls(&kr, &["keys", "add", "dev"]));
    fails_with(
        &o,
        &[
            "key \"dev\" needs the keyring passphrase",
            "stdin is not a terminal",
            "BLS_KEYRING_PASSPHRASE",
            "--keyring-passphrase-file",
        ],
    );
    assert!(!kr.join("dev.json").exists());

    // A key made with the passphrase cannot be used without it either.
    ok(&run(
        bls(&kr, &["keys", "add", "dev"]).env("BLS_KEYRING_PASSPHRASE", PW)
    ));
    let o = run(&mut bls(
        &kr,
        &["account", "deposit", "1ubls", "--from", "dev", "--yes"],
    ));
    fails_with(&o, &["BLS_KEYRING_PASSPHRASE", "stdin is not a terminal"]);
    // Listing and showing need no passphrase.
    let listed = ok(&run(&mut bls(&kr, &["keys", "list", "--output", "json"])));
    assert_eq!(listed[0]["name"], "dev");
    assert_eq!(listed[0]["backend"], "file");
}

#[test]
fn the_key_file_holds_no_secret_and_a_wrong_passphrase_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let kr = tmp.path().join("keyring");
    let added = ok(&run(
        bls(&kr, &["keys", "add", "dev", "--output", "json"]).env("BLS_KEYRING_PASSPHRASE", PW)
    ));
    let mnemonic = added["mnemonic"].as_str().unwrap().to_string();
    let key = KeyPair::from_mnemonic(&mnemonic).unwrap();
    assert_eq!(added["address"], key.address().as_str());
    let file = std::fs::read(kr.join("dev.json")).unwrap();
    let text = String::from_utf8_lossy(&file);
    assert!(!text.contains(&hex::encode(key.secret_bytes())));
    assert!(!text.contains(&hex::encode_upper(key.secret_bytes())));
    assert!(!file.windows(32).any(|w| w == key.secret_bytes()));
    assert!(!text.contains(&mnemonic));
    assert!(text.contains("\"kdf\": \"scrypt\""), "{text}");

    let o = run(bls(&kr, &["keys", "export", "dev"])
        .env("BLS_KEYRING_PASSPHRASE", "not the passphrase")
        .env("BLS_EXPORT_PASSPHRASE", EXPORT_PW));
    fails_with(&o, &["wrong passphrase for key \"dev\""]);
    assert!(o.stdout.is_empty(), "something was exported");

    // The passphrase from a file works (first line, newline stripped).
    let pw_file = tmp.path().join("pw");
    std::fs::write(&pw_file, format!("{PW}\n")).unwrap();
    let o = run(
        bls(&kr, &["keys", "export", "dev", "--keyring-passphrase-file"])
            .arg(&pw_file)
            .env("BLS_EXPORT_PASSPHRASE", EXPORT_PW),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("-----BEGIN BLS PRIVATE KEY-----"));
}

#[test]
fn backends_do_not_read_each_others_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let kr = tmp.path().join("keyring");
    ok(&run(
        bls(&kr, &["keys", "add", "enc"]).env("BLS_KEYRING_PASSPHRASE", PW)
    ));
    ok(&run(&mut bls(
        &kr,
        &["keys", "add", "dev", "--keyring-backend", "test"],
    )));
    let o = run(
        bls(&kr, &["keys", "export", "enc", "--keyring-backend", "test"])
            .env("BLS_EXPORT_PASSPHRASE", EXPORT_PW),
    );
    fails_with(&o, &["key \"enc\" is encrypted", "--keyring-backend file"]);
    let o = run(bls(&kr, &["keys", "export", "dev"])
        .env("BLS_KEYRING_PASSPHRASE", PW)
        .env("BLS_EXPORT_PASSPHRASE", EXPORT_PW));
    fails_with(
        &o,
        &[
            "key \"dev\" is stored UNENCRYPTED",
            "--keyring-backend test",
            "keys export dev --keyring-backend test",
        ],
    );
    // The environment selects the backend too.
    let o = run(bls(&kr, &["keys", "export", "enc"])
        .env("BLS_KEYRING_BACKEND", "test")
        .env("BLS_EXPORT_PASSPHRASE", EXPORT_PW));
    fails_with(&o, &["key \"enc\" is encrypted"]);
    let o = run(bls(&kr, &["keys", "list"]).env("BLS_KEYRING_BACKEND", "plaintext"));
    fails_with(&o, &["plaintext"]);
}

#[test]
fn export_import_round_trip_and_tampered_or_guessed_armor_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let kr = tmp.path().join("keyring");
    let other = tmp.path().join("other");
    let added = ok(&run(
        bls(&kr, &["keys", "add", "dev", "--output", "json"]).env("BLS_KEYRING_PASSPHRASE", PW)
    ));
    let armored = tmp.path().join("dev.key");
    let o = run(bls(&kr, &["keys", "export", "dev", "--out"])
        .arg(&armored)
        .env("BLS_KEYRING_PASSPHRASE", PW)
        .env("BLS_EXPORT_PASSPHRASE", EXPORT_PW));
    ok(&o);
    let text = std::fs::read_to_string(&armored).unwrap();
    for line in [
        "-----BEGIN BLS PRIVATE KEY-----",
        "type: secp256k1",
        "kdf: scrypt",
        "kdf-params: log_n=15,r=8,p=1",
        "salt: ",
        "-----END BLS PRIVATE KEY-----",
    ] {
        assert!(text.contains(line), "{line:?} not in {text}");
    }
    let key = KeyPair::from_mnemonic(added["mnemonic"].as_str().unwrap()).unwrap();
    assert!(!text.contains(&hex::encode(key.secret_bytes())));

    let import = |file: &Path, name: &str, export_pw: &str| {
        run(bls(&other, &["keys", "import", name, "--output", "json"])
            .arg(file)
            .env("BLS_KEYRING_PASSPHRASE", "the other keyring's")
            .env("BLS_EXPORT_PASSPHRASE", export_pw))
    };
    let o = import(&armored, "guess", "password123");
    fails_with(&o, &["wrong export passphrase"]);
    let lines: Vec<&str> = text.lines().collect();
    let body = lines.iter().position(|l| l.is_empty()).unwrap() + 1;
    let mut edited: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    let mut chars: Vec<char> = edited[body].chars().collect();
    chars[10] = if chars[10] == 'A' { 'B' } else { 'A' };
    edited[body] = chars.into_iter().collect();
    let tampered = tmp.path().join("tampered.key");
    std::fs::write(&tampered, edited.join("\n")).unwrap();
    let o = import(&tampered, "tampered", EXPORT_PW);
    fails_with(&o, &["armored key was altered"]);
    let garbage = tmp.path().join("garbage.key");
    std::fs::write(&garbage, "hello").unwrap();
    let o = import(&garbage, "garbage", EXPORT_PW);
    fails_with(&o, &["not an armored bls private key"]);
    assert!(!other.join("guess.json").exists() && !other.join("tampered.json").exists());

    let imported = ok(&import(&armored, "dev2", EXPORT_PW));
    assert_eq!(imported["address"], added["address"]);
    assert_eq!(imported["backend"], "file");
}
