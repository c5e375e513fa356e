//! The newcomer flow with the `bls` CLI against a real chain and three real workers:
//! keys add → init → build → run locally → deploy (refused: no funds) → fund → deploy →
//! invoke --wait → the verified result is the function's output and has the same result
//! hash as the local run of the same job; then list, show, retire.

use std::path::Path;
use std::process::{Command, Output};

use bls_client::msgs::bank_send;
use bls_core::{Address, Coins};
use bls_e2e::bin_path;
use bls_e2e::worker::{send, WorkerNet};
use serde_json::Value;

/// The `bls` binary with the chain's node and a test keyring; no ambient BLS_* settings.
struct Bls<'a> {
    node: String,
    keyring: &'a Path,
}

impl Bls<'_> {
    fn cmd(&self, args: &[&str]) -> anyhow::Result<Command> {
        let mut c = Command::new(bin_path("bls")?);
        c.args(args)
            .args(["--node", &self.node])
            .arg("--keyring-dir")
            .arg(self.keyring)
            .env_remove("BLS_FROM")
            .env_remove("BLS_SDK_PATH");
        bls_e2e::test_keyring(&mut c);
        Ok(c)
    }

    /// Runs and returns the output whatever the status.
    fn output(&self, args: &[&str]) -> anyhow::Result<Output> {
        Ok(self.cmd(args)?.output()?)
    }

    /// Runs `args --output json`, fails unless it succeeded, returns stdout as JSON.
    fn json(&self, args: &[&str]) -> anyhow::Result<Value> {
        let mut all = args.to_vec();
        all.extend(["--output", "json"]);
        let o = self.output(&all)?;
        anyhow::ensure!(
            o.status.success(),
            "bls {}: {}",
            all.join(" "),
            String::from_utf8_lossy(&o.stderr)
        );
        serde_json::from_slice(&o.stdout).map_err(|e| {
            anyhow::anyhow!(
                "bls {}: {e}: {}",
                all.join(" "),
                String::from_utf8_lossy(&o.stdout)
            )
        })
    }
}

fn str_of<'a>(v: &'a Value, key: &str) -> anyhow::Result<&'a str> {
    v[key]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("no string {key:?} in {v}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn newcomer_flow_init_build_run_deploy_invoke() -> anyhow::Result<()> {
    let mut wn = WorkerNet::start(3, 30, 30).await?;
    for i in 0..3 {
        wn.start_worker(i, &[]).await?;
    }
    let tmp = tempfile::Builder::new().prefix("bls-cli-flow-").tempdir()?;
    let keyring = tmp.path().join("keyring");
    let bls = Bls {
        node: wn.net.validators[0].rpc_url(),
        keyring: &keyring,
    };

    // A key, a project, a local build and run.
    let key = bls.json(&["keys", "add", "dev"])?;
    let address = str_of(&key, "address")?.to_string();
    let project = tmp.path().join("hello");
    let dir = project.to_string_lossy().to_string();
    let init = bls.json(&["function", "init", "hello", "--dir", &dir])?;
    assert_eq!(init["name"], "hello");
    let built = bls.json(&["function", "build", "--offline", "--dir", &dir])?;
    let code_hash = str_of(&built, "code_hash")?.to_string();
    let local = bls.json(&[
        "function",
        "run",
        "--no-build",
        "--stdin",
        "Ada",
        "--dir",
        &dir,
    ])?;
    assert_eq!(local["stdout"], "Hello, Ada!\n", "{local}");

    // Deploying from an empty account is refused with the fix.
    let o = bls.output(&[
        "function",
        "deploy",
        "--no-build",
        "--from",
        "dev",
        "--yes",
        "--dir",
        &dir,
    ])?;
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "deploy without funds succeeded");
    assert!(
        err.contains(&format!("account {address} has no funds: fund {address}: ")),
        "{err}"
    );

    // Fund it (from the harness's funded key), see the balance, deploy.
    let to = Address::parse(&address)?;
    send(
        &wn.rpc,
        &wn.invoker,
        vec![bank_send(
            wn.invoker.address(),
            &to,
            &Coins::parse("50000000ubls")?,
        )],
    )
    .await?;
    let account = bls.json(&["account", "--from", "dev"])?;
    assert_eq!(account["balance"], "50000000ubls", "{account}");
    assert_eq!(account["exists"], true);

    let deployed = bls.json(&[
        "function",
        "deploy",
        "--offline",
        "--from",
        "dev",
        "--yes",
        "--dir",
        &dir,
    ])?;
    assert_eq!(deployed["name"], "hello");
    assert_eq!(str_of(&deployed, "code_hash")?, code_hash);
    let id = str_of(&deployed, "function_id")?.to_string();

    // Invoke and wait: the verified result is the function's output.
    let result = match bls.json(&[
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
    ]) {
        Ok(r) => r,
        Err(e) => anyhow::bail!("{e:#}\n{}", wn.logs()),
    };
    assert_eq!(result["stdout"], "Hello, Ada!\n", "{result}");
    assert_eq!(result["status"], "finalized");
    assert_eq!(result["exit_code"], 0);
    assert_eq!(str_of(&result, "function_id")?, id);
    let agreeing = result["workers"].as_array().map(Vec::len).unwrap_or(0);
    assert!(agreeing >= 2, "quorum 2: {result}");

    // `bls function run` of the same job (its seed and block time) gives the same hash.
    let job_id: u64 = str_of(&result, "job_id")?.parse()?;
    let job = bls_e2e::worker::job(&wn.rpc, job_id).await?;
    // Without --max-fee the CLI escrowed exactly the job's worst case by the chain's rule.
    let p = bls_client::orchestration::params(&wn.rpc).await?.params;
    let manifest: bls_core::manifest::Manifest = serde_json::from_str(&job.manifest_json)?;
    let worst = bls_orchestration::pricing::worst_case_fee(&p, &manifest.limits);
    assert_eq!(job.max_fee, worst);
    assert!(worst > p.base_fee, "the worst case covers fuel or time");
    let again = bls.json(&[
        "function",
        "run",
        "--no-build",
        "--stdin",
        "Ada",
        "--dir",
        &dir,
        "--job-id",
        &job.seed,
        "--block-time",
        &job.time_secs.to_string(),
    ])?;
    assert_eq!(
        again["result_hash"], result["result_hash"],
        "local {again} vs chain {result}"
    );

    // list, show, retire.
    let list = bls.json(&["function", "list", "--mine", "--from", "dev"])?;
    let functions = list["functions"].as_array().cloned().unwrap_or_default();
    assert_eq!(functions.len(), 1, "{list}");
    assert_eq!(functions[0]["function_id"], id.as_str());
    let shown = bls.json(&["function", "show", &id])?;
    assert_eq!(
        (shown["replication"].as_u64(), shown["quorum"].as_u64()),
        (Some(3), Some(2))
    );
    assert_eq!(shown["status"], "active");
    assert_eq!(shown["manifest"]["limits"]["timeout_ms"], 10_000);
    // For people the list is an aligned table.
    let o = bls.output(&["function", "list", "--mine", "--from", "dev"])?;
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success() && text.starts_with("ID  STATUS  QUORUM  CODE_HASH"),
        "{text}"
    );
    // Without a terminal, retiring needs --yes: refused, and the function stays active.
    let o = bls.output(&["function", "retire", &id, "--from", "dev"])?;
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("pass --yes"), "{err}");
    assert_eq!(bls.json(&["function", "show", &id])?["status"], "active");
    // An unknown function: what went wrong, the command that lists them, the code last.
    let o = bls.output(&["function", "invoke", "999", "--from", "dev", "--yes"])?;
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success()
            && err.contains(&format!(
                "unknown function 999: list the functions with `bls function list --node {}`",
                bls.node
            ))
            && err
                .trim_end()
                .ends_with("[orchestration code 6, during a query]"),
        "{err}"
    );
    let retired = bls.json(&["function", "retire", &id, "--from", "dev", "--yes"])?;
    assert_eq!(retired["status"], "retired");
    assert_eq!(bls.json(&["function", "show", &id])?["status"], "retired");
    let o = bls.output(&["function", "invoke", &id, "--from", "dev", "--yes"])?;
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "invoking a retired function succeeded");
    assert!(
        err.contains(&format!(
            "function {id} is retired: list the functions with `bls function list"
        )) && err.contains("[orchestration code 8, during simulate]"),
        "{err}"
    );
    Ok(())
}
