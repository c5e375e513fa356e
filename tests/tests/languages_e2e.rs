//! Functions in Go, C, AssemblyScript and Rust, the newcomer's way, against a real chain and three real workers:
//! `bls function init NAME --lang L` in an empty temp directory outside any bls checkout (the
//! SDK is written into the project), `bls function run --offline --stdin Ada` locally (the
//! AssemblyScript compiler from npm's cache, which scripts/install fills), `deploy`,
//! `invoke --wait` → the verified result is the function's output, with the same result hash
//! as the local run of the same job. (`bls_cli_flow.rs` walks the Rust flow with a checkout's
//! SDK in more detail.)

use std::path::Path;
use std::process::Command;

use bls_client::msgs::bank_send;
use bls_core::{Address, Coins};
use bls_e2e::bin_path;
use bls_e2e::worker::{send, WorkerNet};
use serde_json::Value;

fn bls(node: &str, keyring: &Path, cwd: &Path, args: &[&str]) -> anyhow::Result<Value> {
    let mut c = Command::new(bin_path("bls")?);
    c.args(args)
        .args(["--node", node, "--output", "json"])
        .arg("--keyring-dir")
        .arg(keyring)
        .current_dir(cwd)
        .env_remove("BLS_FROM")
        .env_remove("BLS_SDK_PATH");
    bls_e2e::test_keyring(&mut c);
    let o = c.output()?;
    anyhow::ensure!(
        o.status.success(),
        "bls {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    Ok(serde_json::from_slice(&o.stdout)?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn functions_in_every_language_init_build_run_deploy_and_invoke_to_a_verified_result(
) -> anyhow::Result<()> {
    let mut wn = WorkerNet::start(3, 30, 30).await?;
    for i in 0..3 {
        wn.start_worker(i, &[]).await?;
    }
    let tmp = tempfile::Builder::new().prefix("bls-langs-").tempdir()?;
    let keyring = tmp.path().join("keyring");
    let node = wn.net.validators[0].rpc_url();
    let run = |cwd: &Path, args: &[&str]| bls(&node, &keyring, cwd, args);
    let key = run(tmp.path(), &["keys", "add", "dev"])?;
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

    for lang in ["go", "c", "assemblyscript", "rust"] {
        let name = format!("hello-{lang}");
        let dir = tmp.path().join(&name);
        let dir_arg = dir.display().to_string();
        let mut init_args = vec!["function", "init", &name, "--lang", lang, "--dir", &dir_arg];
        if lang == "rust" {
            // Next to this checkout it would use contracts/sdk: ask for the copy a project
            // made anywhere else gets.
            init_args.push("--vendor-sdk");
        }
        let init = run(tmp.path(), &init_args)?;
        assert_eq!(init["lang"], lang, "{init}");
        assert!(
            Path::new(init["sdk_path"].as_str().unwrap_or_default()).starts_with(&dir),
            "the SDK is inside the project: {init}"
        );
        let local = run(&dir, &["function", "run", "--offline", "--stdin", "Ada"])?;
        assert_eq!(local["stdout"], "Hello, Ada!\n", "{lang}: {local}");
        let deployed = run(
            &dir,
            &["function", "deploy", "--no-build", "--from", "dev", "--yes"],
        )?;
        let id = deployed["function_id"]
            .as_str()
            .map(str::to_string)
            .or_else(|| deployed["function_id"].as_u64().map(|n| n.to_string()))
            .ok_or_else(|| anyhow::anyhow!("no function id: {deployed}"))?;
        let result = match run(
            &dir,
            &[
                "function",
                "invoke",
                &id,
                "--input",
                "Ada",
                "--wait",
                "--timeout",
                "120",
                "--from",
                "dev",
                "--yes",
            ],
        ) {
            Ok(r) => r,
            Err(e) => anyhow::bail!("{lang}: {e:#}\n{}", wn.logs()),
        };
        assert_eq!(result["stdout"], "Hello, Ada!\n", "{lang}: {result}");
        assert_eq!(result["status"], "finalized", "{lang}: {result}");
        let agreeing = result["workers"].as_array().map(Vec::len).unwrap_or(0);
        assert!(agreeing >= 2, "{lang}: quorum 2: {result}");
        // The same job locally (its seed and block time): the same result hash.
        let job_id: u64 = result["job_id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .or_else(|| result["job_id"].as_u64())
            .ok_or_else(|| anyhow::anyhow!("no job id: {result}"))?;
        let job = bls_e2e::worker::job(&wn.rpc, job_id).await?;
        let again = run(
            &dir,
            &[
                "function",
                "run",
                "--no-build",
                "--stdin",
                "Ada",
                "--job-id",
                &job.seed,
                "--block-time",
                &job.time_secs.to_string(),
            ],
        )?;
        assert_eq!(again["result_hash"], result["result_hash"], "{lang}");
    }
    Ok(())
}
