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

/// A program per language that prints what the SDK gives it: an env var, the args, an HTTP
/// request to an origin the manifest does not allow and a call to a function it does not
/// declare (both refused by the host, with the host's reason).
fn probe(lang: &str, name: &str) -> (&'static str, String) {
    match lang {
        "go" => (
            "main.go",
            format!(
                r#"package main

import (
	"fmt"
	"strings"

	"{name}/bls"
)

func main() {{
	v, _ := bls.Env("GREETING")
	fmt.Printf("env %s\n", v)
	fmt.Printf("args %s\n", strings.Join(bls.Args(), " "))
	if _, err := bls.Get("https://example.com"); err != nil {{
		fmt.Printf("http %s\n", err)
	}}
	if _, err := bls.Call(7, []byte("x")); err != nil {{
		fmt.Printf("call %s\n", err)
	}}
}}
"#
            ),
        ),
        "c" => (
            "src/main.c",
            r#"#include <stdio.h>
#include "bls.h"

int main(int argc, char **argv) {
  const char *g = bls_env("GREETING");
  printf("env %s\n", g ? g : "");
  printf("args %s\n", argc > 1 ? argv[1] : "");
  bls_result r = bls_http_get("https://example.com");
  if (r.error) printf("http %s\n", r.message);
  bls_result c = bls_call(7, "x", 1);
  if (c.error) printf("call %s\n", c.message);
  return 0;
}
"#
            .to_string(),
        ),
        _ => (
            "assembly/index.ts",
            r#"import * as bls from "./bls";

let g = bls.env("GREETING");
bls.output("env " + (g ? g! : "") + "\n");
bls.output("args " + bls.args().join(" ") + "\n");
let r = bls.get("https://example.com");
if (r.failure) bls.output("http " + r.failure!.message + "\n");
let c = bls.call(7, Uint8Array.wrap(String.UTF8.encode("x")));
if (c.failure) bls.output("call " + c.failure!.message + "\n");
"#
            .to_string(),
        ),
    }
}

#[test]
fn every_language_sdk_reaches_env_args_http_and_calls_through_the_host() -> anyhow::Result<()> {
    let tmp = tempfile::Builder::new()
        .prefix("bls-sdk-probe-")
        .tempdir()?;
    let keyring = tmp.path().join("keyring");
    // No chain: init, build and run locally only.
    let run = |cwd: &Path, args: &[&str]| bls("http://127.0.0.1:9", &keyring, cwd, args);
    for lang in ["go", "c", "assemblyscript"] {
        let name = format!("probe-{lang}");
        let dir = tmp.path().join(&name);
        let dir_arg = dir.display().to_string();
        run(
            tmp.path(),
            &["function", "init", &name, "--lang", lang, "--dir", &dir_arg],
        )?;
        let (file, source) = probe(lang, &name);
        std::fs::write(dir.join(file), source)?;
        let toml = std::fs::read_to_string(dir.join("bls.toml"))?
            .replacen("args = []", "args = [\"--x\"]", 1)
            .replacen("# GREETING = \"Hello\"", "GREETING = \"hi\"", 1);
        std::fs::write(dir.join("bls.toml"), toml)?;
        let out = run(&dir, &["function", "run", "--offline"])?;
        let stdout = out["stdout"].as_str().unwrap_or_default();
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(lines.first(), Some(&"env hi"), "{lang}: {out}");
        assert_eq!(lines.get(1), Some(&"args --x"), "{lang}: {out}");
        assert!(
            lines.get(2).is_some_and(|l| l.starts_with("http ")
                && l.contains("https://example.com:443 is not in the manifest's http allowlist")),
            "{lang}: {out}"
        );
        assert!(
            lines.get(3).is_some_and(|l| l.starts_with("call ")
                && l.contains("function 7 is not in this function's manifest `calls`")),
            "{lang}: {out}"
        );
    }
    Ok(())
}
