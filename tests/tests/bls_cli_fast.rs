//! `bls function invoke --fast` and `bls account deposit` against a real chain, three
//! workers and a head: without a deposit the head's 402 reason and the fix are printed;
//! after `bls account deposit` the account shows it and a fast invoke prints the function's
//! output with the head's and every worker signature verified client-side; `bls fastpath
//! challenge` makes the head publish the charged outcome (`challenge-status` shows it), and
//! reporting an honest answer saved with `--save` is refused; `--env` vars reach the guest
//! and cannot override the manifest's; a `--max-fee` below the time-priced fee and an
//! `--expires-in` beyond the chain's TTL are refused before anything is sent.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use bls_client::msgs::bank_send;
use bls_core::{Address, Coins};
use bls_e2e::fastpath::start_with_head;
use bls_e2e::json_of;
use bls_e2e::wait_until;
use bls_e2e::worker::{deploy, send, wasm_path, WorkerNet};
use serde_json::Value;

fn bls(node: &str, keyring: &Path, args: &[&str]) -> anyhow::Result<Command> {
    bls_e2e::bls_cli(node, keyring, args)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fast_invoke_needs_a_deposit_then_prints_a_verified_result() -> anyhow::Result<()> {
    let mut wn = WorkerNet::start(4, 30, 30).await?;
    let fp = start_with_head(&mut wn, 3, "1000000000ubls").await?;
    let function_id = deploy(
        &wn.rpc,
        &wn.invoker,
        &std::fs::read(wasm_path("hello")?)?,
        "{}",
        3,
        2,
    )
    .await?;
    let id = function_id.to_string();

    let tmp = tempfile::Builder::new().prefix("bls-cli-fast-").tempdir()?;
    let keyring = tmp.path().join("keyring");
    let node = wn.net.validators[0].rpc_url();
    let run =
        |args: &[&str]| -> anyhow::Result<Output> { Ok(bls(&node, &keyring, args)?.output()?) };
    let key = json_of(
        &run(&["keys", "add", "dev", "--output", "json"])?,
        "keys add",
    )?;
    let address = key["address"].as_str().unwrap_or_default().to_string();
    send(
        &wn.rpc,
        &wn.invoker,
        vec![bank_send(
            wn.invoker.address(),
            &Address::parse(&address)?,
            &Coins::parse("50000000ubls")?,
        )],
    )
    .await?;

    let acct = json_of(
        &run(&["account", "--from", "dev", "--output", "json"])?,
        "account",
    )?;
    assert_eq!(acct["balance"], "50000000ubls", "{acct}");
    assert_eq!(acct["fast_path_deposit"], "0ubls", "{acct}");

    // No deposit: the head's 402 reason and the command that fixes it.
    let fast = [
        "function", "invoke", &id, "--fast", "--input", "Ada", "--from", "dev",
    ];
    let mut cmd = bls(&node, &keyring, &fast)?;
    cmd.args(["--head", &fp.head_url]);
    let o = cmd.output()?;
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{err}");
    assert!(
        err.contains(&format!("the head refused to serve {address}")),
        "{err}"
    );
    assert!(err.contains("fast-path deposit of"), "{err}");
    assert!(err.contains("bls account deposit AMOUNT"), "{err}");

    let dep = json_of(
        &run(&[
            "account",
            "deposit",
            "1000000ubls",
            "--from",
            "dev",
            "--yes",
            "--output",
            "json",
        ])?,
        "account deposit",
    )?;
    assert_eq!(dep["fast_path_deposit"], "1000000ubls", "{dep}");
    let acct = json_of(
        &run(&["account", "--from", "dev", "--output", "json"])?,
        "account",
    )?;
    assert_eq!(acct["fast_path_deposit"], "1000000ubls", "{acct}");

    // Funded: the result, verified against the chain; the head URL from the environment.
    let mut cmd = bls(&node, &keyring, &fast)?;
    cmd.args(["--output", "json"]).env("BLS_HEAD", &fp.head_url);
    let r = json_of(&cmd.output()?, "invoke --fast")?;
    assert_eq!(r["stdout"], "Hello, Ada!\n", "{r}\n{}", wn.logs());
    assert_eq!(r["exit_code"], 0, "{r}");
    assert_eq!(r["function_id"], id);
    let signers = r["verified_signers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(signers.len() >= 2, "at least the quorum verified: {r}");
    let members: Vec<String> = bls_client::orchestration::function(&wn.rpc, function_id)
        .await?
        .subnetwork
        .map(|n| n.workers.iter().map(ToString::to_string).collect())
        .unwrap_or_default();
    for s in &signers {
        let s = s.as_str().unwrap_or_default();
        assert!(
            members.iter().any(|m| m == s),
            "{s} is in the function's subnetwork {members:?}: {r}"
        );
    }
    assert_eq!(r["request_id"].as_str().map(str::len), Some(64), "{r}");
    assert_eq!(r["head_worker"], wn.workers[3].address.as_str(), "{r}");

    // The head settles the charge; `bls fastpath challenge` makes it publish the outcome,
    // which `challenge-status` then shows. A second challenge is refused with the reason.
    let rid = r["request_id"].as_str().unwrap_or_default().to_string();
    let head = wn.workers[3].address.clone();
    let (run_, rid_) = (&run, &rid);
    let status = |want: &'static str| async move {
        let o = run_(&["fastpath", "challenge-status", rid_, "--output", "json"])?;
        let v = json_of(&o, "challenge-status")?;
        Ok(match want {
            "settled" => v["settled_by"].is_string(),
            c => v["challenge"] == c,
        }
        .then_some(v))
    };
    let v = wait_until("the head to settle", Duration::from_secs(60), || {
        status("settled")
    })
    .await?;
    assert_eq!(v["settled_by"], head.as_str(), "{v}");
    assert_eq!(v["challenge"], Value::Null, "{v}");
    let c = json_of(
        &run(&[
            "fastpath",
            "challenge",
            &rid,
            "--from",
            "dev",
            "--yes",
            "--output",
            "json",
        ])?,
        "fastpath challenge",
    )?;
    assert_eq!(c["head"], head.as_str(), "{c}");
    assert!(c["deadline"].as_u64().is_some_and(|d| d > 0), "{c}");
    let v = wait_until("the head to answer", Duration::from_secs(60), || {
        status("answered")
    })
    .await
    .map_err(|e| anyhow::anyhow!("{e}\n{}", wn.logs()))?;
    assert_eq!(v["stdout"], "Hello, Ada!\n", "{v}");
    let o = run(&["fastpath", "challenge", &rid, "--from", "dev", "--yes"])?;
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("already challenged"),
        "{err}"
    );

    // `--save` keeps the head's signed answer; reporting an honest one proves nothing.
    let saved = tmp.path().join("answer.json");
    let mut cmd = bls(&node, &keyring, &fast)?;
    cmd.args(["--head", &fp.head_url, "--save"]).arg(&saved);
    json_of(
        &cmd.args(["--output", "json"]).output()?,
        "invoke --fast --save",
    )?;
    let mut cmd = bls(&node, &keyring, &["fastpath", "report-head"])?;
    let o = cmd.arg(&saved).args(["--from", "dev", "--yes"]).output()?;
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("proves no lie"),
        "{err}"
    );

    // A --max-fee below the function's time-priced fast-path fee is refused before sending;
    // an expiry beyond the chain's request TTL too.
    let mut cmd = bls(&node, &keyring, &fast)?;
    cmd.args(["--head", &fp.head_url, "--max-fee", "1ubls"]);
    let o = cmd.output()?;
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{err}");
    assert!(err.contains("fast-path fee of"), "{err}");
    assert!(err.contains("raise --max-fee"), "{err}");
    let mut cmd = bls(&node, &keyring, &fast)?;
    cmd.args(["--head", &fp.head_url, "--expires-in", "100000"]);
    let o = cmd.output()?;
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{err}");
    assert!(err.contains("fastpath_request_ttl"), "{err}");
    let mut cmd = bls(&node, &keyring, &fast)?;
    cmd.args([
        "--head",
        &fp.head_url,
        "--expires-in",
        "20",
        "--output",
        "json",
    ]);
    let r = json_of(&cmd.output()?, "invoke --fast --expires-in 20")?;
    assert_eq!(r["stdout"], "Hello, Ada!\n", "{r}");

    // Request env vars (signed with the request) reach the guest beside the manifest's;
    // the manifest's own cannot be overridden.
    let env_fn = deploy(
        &wn.rpc,
        &wn.invoker,
        &std::fs::read(wasm_path("read-env")?)?,
        r#"{"env": {"MODE": "prod"}}"#,
        3,
        2,
    )
    .await?
    .to_string();
    let with_env = |pair: &str| -> anyhow::Result<Output> {
        let mut cmd = bls(&node, &keyring, &["function", "invoke", &env_fn, "--fast"])?;
        cmd.args(["--env", pair, "--from", "dev", "--head", &fp.head_url])
            .args(["--output", "json"]);
        Ok(cmd.output()?)
    };
    let r = json_of(&with_env("USER=ada")?, "invoke --fast --env")?;
    let out = r["stdout"].as_str().unwrap_or_default();
    assert!(out.lines().any(|l| l == "USER=ada"), "{r}");
    assert!(out.lines().any(|l| l == "MODE=prod"), "{r}");
    assert!(
        r["verified_signers"]
            .as_array()
            .is_some_and(|s| s.len() >= 2),
        "{r}"
    );
    let o = with_env("MODE=dev")?;
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{err}");
    assert!(err.contains("cannot be overridden"), "{err}");
    Ok(())
}
