//! The encrypted (`file`) keyring backend with real processes: `blsd` and `bls` share one
//! keyring by default and read each other's exports; a real chain takes a transfer signed
//! with an encrypted key whose passphrase comes from the environment (a wrong one signs
//! nothing); a worker with an encrypted key starts only with its passphrase (never prompting:
//! without it, it exits at once) and then registers.

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use bls_client::{Keyring, PassphraseSource};
use bls_core::Address;
use bls_e2e::bin_path;
use bls_e2e::net::free_port;
use bls_e2e::worker::{wait_registered, WorkerNet, TEST_BOND};
use serde_json::Value;

const PW: &str = "a passphrase for this test";

/// `name` with no ambient bls settings and no terminal; the default (`file`) backend.
fn cmd(name: &str, args: &[&str]) -> anyhow::Result<Command> {
    let mut c = Command::new(bin_path(name)?);
    c.args(args).stdin(Stdio::null());
    for var in [
        "BLSD_HOME",
        "BLS_KEYRING",
        "BLS_KEYRING_BACKEND",
        "BLS_KEYRING_PASSPHRASE",
        "BLS_KEYRING_PASSPHRASE_FILE",
        "BLS_EXPORT_PASSPHRASE",
        "BLS_NODE",
        "BLS_FROM",
    ] {
        c.env_remove(var);
    }
    Ok(c)
}

/// Runs `c`; a process still running after 120 s (a prompt nobody answers) fails the test.
fn run(c: &mut Command) -> anyhow::Result<Output> {
    let mut child = c.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
    let deadline = Instant::now() + Duration::from_secs(120);
    while child.try_wait()?.is_none() {
        if Instant::now() > deadline {
            child.kill()?;
            let o = child.wait_with_output()?;
            anyhow::bail!("hung: {}", String::from_utf8_lossy(&o.stderr));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(child.wait_with_output()?)
}

fn json(o: &Output) -> anyhow::Result<Value> {
    anyhow::ensure!(
        o.status.success(),
        "failed: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    Ok(serde_json::from_slice(&o.stdout)?)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn blsd_and_bls_share_the_default_keyring_and_each_others_exports() -> anyhow::Result<()> {
    let home = tempfile::tempdir()?;
    let with_home = |name: &str, args: &[&str]| -> anyhow::Result<Command> {
        let mut c = cmd(name, args)?;
        c.env("HOME", home.path());
        Ok(c)
    };
    // No passphrase, no terminal: refused at once, nothing written.
    let o = run(&mut with_home("blsd", &["keys", "add", "alice"])?)?;
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("BLS_KEYRING_PASSPHRASE") && stderr(&o).contains("not a terminal"),
        "{}",
        stderr(&o)
    );
    let default_dir = home.path().join(".blsd/keyring");
    assert!(!default_dir.join("alice.json").exists());

    let added = json(&run(with_home(
        "blsd",
        &["keys", "add", "alice", "--output", "json"],
    )?
    .env("BLS_KEYRING_PASSPHRASE", PW))?)?;
    assert!(default_dir.join("alice.json").exists());
    // `bls`, with no keyring option either, sees the same key.
    let shown = json(&run(&mut with_home(
        "bls",
        &["keys", "show", "alice", "--output", "json"],
    )?)?)?;
    assert_eq!(shown["address"], added["address"]);
    assert_eq!(shown["backend"], "file");
    // So does a `bls` that names blsd's home through BLSD_HOME.
    let shown = json(&run(cmd("bls", &["keys", "list", "--output", "json"])?
        .env("BLSD_HOME", home.path().join(".blsd")))?)?;
    assert_eq!(shown[0]["address"], added["address"]);

    // bls exports, blsd imports (into another keyring, under another passphrase).
    let armored = home.path().join("alice.key");
    let o = run(with_home("bls", &["keys", "export", "alice", "--out"])?
        .arg(&armored)
        .env("BLS_KEYRING_PASSPHRASE", PW)
        .env("BLS_EXPORT_PASSPHRASE", "export passphrase"))?;
    anyhow::ensure!(o.status.success(), "export: {}", stderr(&o));
    let other = home.path().join("other-keyring");
    let imported = json(&run(with_home(
        "blsd",
        &[
            "keys",
            "import",
            "alice",
            "--output",
            "json",
            "--keyring-dir",
        ],
    )?
    .arg(&other)
    .arg(&armored)
    .env("BLS_KEYRING_PASSPHRASE", "another passphrase")
    .env("BLS_EXPORT_PASSPHRASE", "export passphrase"))?)?;
    assert_eq!(imported["address"], added["address"]);
    let opened =
        Keyring::file(&other, PassphraseSource::given("another passphrase")).get("alice")?;
    assert_eq!(opened.address().as_str(), added["address"]);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_encrypted_key_sends_a_tx_and_an_encrypted_worker_registers() -> anyhow::Result<()> {
    // A chain with a funded invoker and no workers of the harness.
    let wn = WorkerNet::start(0, 30, 30).await?;
    let tmp = tempfile::Builder::new()
        .prefix("bls-keyring-e2e-")
        .tempdir()?;
    let keyring = tmp.path().join("keyring");
    // The funded key, in an encrypted keyring (production scrypt parameters).
    Keyring::file(&keyring, PassphraseSource::given(PW)).import_key("alice", &wn.invoker)?;
    let node = wn.net.validators[0].rpc_url();
    let blsd = |args: &[&str]| -> anyhow::Result<Command> {
        let mut c = cmd("blsd", args)?;
        c.args([
            "--node",
            &node,
            "--chain-id",
            &wn.net.chain_id,
            "--output",
            "json",
        ])
        .arg("--keyring-dir")
        .arg(&keyring);
        Ok(c)
    };

    // A worker home with an encrypted key; init takes the new passphrase from the environment.
    let worker_home = tmp.path().join("worker");
    let worker_pw = "the worker's passphrase";
    let metrics = format!("127.0.0.1:{}", free_port()?);
    let init = json(&run(cmd(
        "bls-worker",
        &[
            "init",
            "--output",
            "json",
            "--rpc-url",
            &node,
            "--chain-id",
            &wn.net.chain_id,
            "--bond",
            &format!("{TEST_BOND}ubls"),
            "--metrics-listen",
            &metrics,
            "--home",
        ],
    )?
    .arg(&worker_home)
    .env("BLS_KEYRING_PASSPHRASE", worker_pw))?)?;
    assert_eq!(init["keyring_backend"], "file", "{init}");
    let worker_addr = init["address"].as_str().unwrap_or_default().to_string();
    let config = std::fs::read_to_string(worker_home.join("config.toml"))?;
    assert!(config.contains("backend = \"file\""), "{config}");
    let worker_file = std::fs::read_to_string(worker_home.join("keyring/worker.json"))?;
    assert!(worker_file.contains("\"crypto\"") && !worker_file.contains("private_key_hex"));

    // A wrong passphrase signs nothing.
    let bob = Address::from_bytes(&[0xb0; 20]).to_string();
    let o = run(blsd(&[
        "tx", "bank", "send", "alice", &bob, "1ubls", "--yes", "--wait",
    ])?
    .env("BLS_KEYRING_PASSPHRASE", "wrong"))?;
    assert!(
        !o.status.success() && stderr(&o).contains("wrong passphrase for key \"alice\""),
        "{}",
        stderr(&o)
    );
    // With the passphrase from the environment: alice funds the worker and bob.
    for (to, amount) in [(&worker_addr, TEST_BOND + 10_000_000), (&bob, 12_345)] {
        let res = json(&run(blsd(&[
            "tx",
            "bank",
            "send",
            "alice",
            to,
            &format!("{amount}ubls"),
            "--yes",
            "--wait",
        ])?
        .env("BLS_KEYRING_PASSPHRASE", PW))?)?;
        assert_eq!(res["code"], 0, "send failed: {res}");
    }
    let bob_balance = wn.rpc.balance(&Address::parse(&bob)?, "ubls").await?;
    assert_eq!(
        bob_balance, 12_345,
        "only the right passphrase's send landed"
    );

    // The worker daemon never prompts: without its passphrase it exits at once, and a wrong
    // one is refused.
    let home_arg = worker_home.to_string_lossy().to_string();
    let start_args = ["start", "--register", "--home", home_arg.as_str()];
    let o = run(&mut cmd("bls-worker", &start_args)?)?;
    let err = stderr(&o);
    assert!(
        !o.status.success()
            && err.contains("BLS_KEYRING_PASSPHRASE")
            && err.contains("--keyring-passphrase-file"),
        "{err}"
    );
    let o = run(cmd("bls-worker", &start_args)?.env("BLS_KEYRING_PASSPHRASE", "wrong"))?;
    let err = stderr(&o);
    assert!(
        !o.status.success() && err.contains("wrong passphrase for key \"worker\""),
        "{err}"
    );
    // With the passphrase in a file (as a service manager hands it over): it registers.
    let pw_file = tmp.path().join("worker-passphrase");
    std::fs::write(&pw_file, format!("{worker_pw}\n"))?;
    let mut start = cmd("bls-worker", &start_args)?;
    start.arg("--keyring-passphrase-file").arg(&pw_file);
    let log = tmp.path().join("worker.log");
    let _worker = bls_e2e::process::Proc::spawn("worker", start, &log)?;
    wait_registered(&wn.rpc, &[&worker_addr], Duration::from_secs(60))
        .await
        .map_err(|e| {
            anyhow::anyhow!("{e}: {}", std::fs::read_to_string(&log).unwrap_or_default())
        })?;
    Ok(())
}
