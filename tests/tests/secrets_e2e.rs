//! Sealed secrets with real processes: cometbft, blsd, three workers and a head, the `bls`
//! CLI, and `hmac-secret` (the hex HMAC-SHA256 of its input under the secret `HMAC_KEY`).
//!
//! 1. `bls function secrets set` seals the key to the function's workers; invoked on chain and
//!    through the head, the verified result is the HMAC under that key (computed here with the
//!    `hmac` crate); a request-scoped secret (`invoke --fast --secret`) sealed to the workers
//!    runs a second function through the head; a request that names the function's secret
//!    as a plain or sealed request variable is refused.
//! 2. Then every place the system keeps or shows data is searched for either key (raw, hex,
//!    base64): every block's transactions and events, the exported genesis, every file under
//!    the validators' and the workers' homes (logs, stores, caches, keyrings), the head's API
//!    answers and the workers' metrics. None holds a copy.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use bls_client::keyring::Keyring;
use bls_e2e::bin_path;
use bls_e2e::fastpath::{fund_deposit, start_with_head};
use bls_e2e::leak::{blocks_containing, count_files, files_containing, find_in};
use bls_e2e::wait_until;
use bls_e2e::worker::{deploy, invoke, wait_finalized, wasm_path, WorkerNet};
use hmac::{Hmac, Mac};
use serde_json::Value;

const HEAD: usize = 3;
const HEAD_BOND: &str = "1000000000ubls";

fn hmac_hex(key: &str, msg: &[u8]) -> String {
    let mut m = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).expect("any key length");
    m.update(msg);
    hex::encode(m.finalize().into_bytes())
}

/// A random value that cannot occur by chance in any file or block.
fn random_secret(tag: &str) -> String {
    let mut b = [0u8; 18];
    rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut b);
    format!("{tag}{}", hex::encode(b))
}

/// The `bls` binary against validator 0 with a keyring holding the owner's key.
struct Bls<'a> {
    node: String,
    keyring: &'a Path,
}

impl Bls<'_> {
    fn output(&self, args: &[&str]) -> anyhow::Result<Output> {
        let mut cmd = Command::new(bin_path("bls")?);
        bls_e2e::process::test_keyring(&mut cmd);
        Ok(cmd
            .args(args)
            .args(["--node", &self.node, "--output", "json"])
            .arg("--keyring-dir")
            .arg(self.keyring)
            .env_remove("BLS_FROM")
            .output()?)
    }

    fn json(&self, args: &[&str]) -> anyhow::Result<Value> {
        let o = self.output(args)?;
        anyhow::ensure!(
            o.status.success(),
            "bls {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&o.stderr)
        );
        Ok(serde_json::from_slice(&o.stdout)?)
    }
}

/// Waits until function `id`'s subnetwork has `n` members with encryption keys registered.
async fn wait_keyed_members(wn: &WorkerNet, id: u64, n: usize) -> anyhow::Result<()> {
    wait_until(
        &format!("{n} keyed members of function {id}"),
        Duration::from_secs(60),
        || async {
            let s = bls_client::secrets::secrets(&wn.rpc, id).await?;
            let keyed = s
                .members
                .iter()
                .filter(|m| !m.encryption_pubkey.is_empty())
                .count();
            Ok((keyed >= n).then_some(()))
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_reach_only_the_workers_on_chain_and_through_a_head() -> anyhow::Result<()> {
    let mut wn = WorkerNet::start(4, 30, 30).await?;
    let fp = start_with_head(&mut wn, HEAD, HEAD_BOND).await?;
    let tmp = tempfile::Builder::new().prefix("bls-secrets-").tempdir()?;
    let keyring = tmp.path().join("keyring");
    Keyring::test(&keyring).import_key("owner", &wn.invoker)?;
    let bls = Bls {
        node: wn.net.validators[0].rpc_url(),
        keyring: &keyring,
    };
    let key = random_secret("K1");
    let request_key = random_secret("K2");
    let secrets: [&[u8]; 2] = [key.as_bytes(), request_key.as_bytes()];

    let wasm = std::fs::read(wasm_path("hmac-secret")?)?;
    let f = deploy(&wn.rpc, &wn.invoker, &wasm, "{}", 3, 2).await?;
    let g = deploy(&wn.rpc, &wn.invoker, &wasm, "{}", 3, 2).await?;
    wait_keyed_members(&wn, f, 3).await?;
    wait_keyed_members(&wn, g, 3).await?;

    // Set through the CLI, from a file (the value never appears on a command line).
    let file = tmp.path().join("secrets.env");
    std::fs::write(&file, format!("# the MAC key\nHMAC_KEY={key}\n"))?;
    let fs = f.to_string();
    let set = bls.json(&[
        "function",
        "secrets",
        "set",
        &fs,
        "--from-file",
        file.to_str().unwrap_or_default(),
        "--from",
        "owner",
        "--yes",
    ])?;
    assert_eq!(set["names"], serde_json::json!(["HMAC_KEY"]), "{set}");
    assert!(
        set["sealed_to"].as_array().map(Vec::len).unwrap_or(0) >= 3,
        "{set}"
    );
    let listed = bls.json(&["function", "secrets", "list", &fs])?;
    assert_eq!(listed["secrets"][0]["name"], "HMAC_KEY", "{listed}");
    assert!(
        find_in(listed.to_string().as_bytes(), &secrets).is_none(),
        "list shows no value"
    );

    // On chain: the verified result is the MAC under the sealed key.
    let inv = invoke(&wn.rpc, &wn.invoker, f, b"pay 5 to bob", 1_000_000).await?;
    let result = match wait_finalized(&wn.rpc, inv.job_id, Duration::from_secs(120)).await {
        Ok(r) => r,
        Err(e) => anyhow::bail!("{e:#}\n{}", wn.logs()),
    };
    let outcome = bls_core::outcome::Outcome::decode(result.outcome.as_slice())?;
    assert_eq!(
        String::from_utf8_lossy(&outcome.stdout),
        hmac_hex(&key, b"pay 5 to bob"),
        "stderr: {}",
        String::from_utf8_lossy(&outcome.stderr)
    );
    assert!(result.workers.len() >= 2);

    // Through the head: the same function, and a request-scoped key for the other one.
    fund_deposit(&wn.rpc, &wn.invoker, 5_000_000).await?;
    let fast = |fid: &str, input: &str, extra: &[&str]| -> anyhow::Result<Value> {
        let mut args = vec![
            "function",
            "invoke",
            fid,
            "--fast",
            "--head",
            &fp.head_url,
            "--input",
            input,
            "--from",
            "owner",
            "--yes",
            "--timeout",
            "60",
        ];
        args.extend_from_slice(extra);
        bls.json(&args)
    };
    let answer = fast(&fs, "pay 6 to carol", &[])?;
    assert_eq!(
        answer["stdout"],
        hmac_hex(&key, b"pay 6 to carol"),
        "{answer}"
    );
    let gs = g.to_string();
    let secret_file = tmp.path().join("request.env");
    std::fs::write(&secret_file, format!("HMAC_KEY={request_key}\n"))?;
    let answer2 = fast(
        &gs,
        "per request",
        &["--secret-file", secret_file.to_str().unwrap_or_default()],
    )?;
    assert_eq!(
        answer2["stdout"],
        hmac_hex(&request_key, b"per request"),
        "{answer2}"
    );
    // A request may not shadow the function's sealed secret, plainly or sealed.
    for extra in [
        vec!["--env", "HMAC_KEY=guess"],
        vec!["--secret", "HMAC_KEY=guess"],
    ] {
        let mut args = vec![
            "function",
            "invoke",
            &fs,
            "--fast",
            "--head",
            &fp.head_url,
            "--input",
            "x",
            "--from",
            "owner",
            "--yes",
            "--timeout",
            "60",
        ];
        args.extend_from_slice(&extra);
        let o = bls.output(&args)?;
        assert!(!o.status.success(), "{extra:?} was served");
    }
    let answers = format!("{set}{listed}{answer}{answer2}");
    assert!(find_in(answers.as_bytes(), &secrets).is_none());
    let mut metrics = String::new();
    for w in &wn.workers {
        metrics.push_str(&w.metrics().await.unwrap_or_default());
    }
    assert!(metrics.contains("bls_worker_secrets_total"), "counted");
    assert!(find_in(metrics.as_bytes(), &secrets).is_none(), "metrics");

    // Every block's transactions and events.
    let tip = wn.rpc.status().await?.latest_block_height;
    let (hits, txs) =
        blocks_containing(&wn.rpc, &wn.net.validators[0].rpc_url(), tip, &secrets).await?;
    assert!(txs >= 10, "looked at {txs} transactions");
    assert!(hits.is_empty(), "blocks holding a secret: {hits:?}");

    // Stop everything (logs flushed), export the genesis, scan every file.
    for w in &mut wn.workers {
        w.stop(Duration::from_secs(10));
    }
    wn.net.stop_validator(0);
    let out = Command::new(bin_path("blsd")?)
        .args(["genesis", "export", "--home"])
        .arg(&wn.net.validators[0].home)
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let genesis: Value = serde_json::from_slice(&out.stdout)?;
    let envelopes = &genesis["app_state"]["orchestration"]["secrets"]["envelopes"];
    assert!(
        envelopes.as_array().map(Vec::len).unwrap_or(0) >= 3,
        "the genesis holds the envelopes"
    );
    assert!(find_in(&out.stdout, &secrets).is_none(), "exported genesis");
    for dir in [wn.net.dir(), wn.dir.path()] {
        assert!(count_files(dir) > 20, "{} has files", dir.display());
        let found = files_containing(dir, &secrets)?;
        assert!(found.is_empty(), "files holding a secret: {found:?}");
    }
    Ok(())
}

/// Worker index of `addr`.
fn index_of(wn: &WorkerNet, addr: &str) -> usize {
    wn.workers
        .iter()
        .position(|w| w.address == addr)
        .expect("a worker of the net")
}

async fn members(wn: &WorkerNet, f: u64) -> anyhow::Result<Vec<String>> {
    Ok(bls_client::orchestration::function(&wn.rpc, f)
        .await?
        .subnetwork
        .map(|s| s.workers.iter().map(ToString::to_string).collect())
        .unwrap_or_default())
}

async fn slashed_and_status(wn: &WorkerNet) -> anyhow::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for w in &wn.workers {
        let r = bls_e2e::worker::worker_record(&wn.rpc, &w.address).await?;
        out.push((
            r["worker"]["slashed_total"]
                .as_str()
                .unwrap_or("0")
                .to_string(),
            r["worker"]["status"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        ));
    }
    Ok(out)
}

/// Invokes `f` on `input` and waits for its verified result: (stdout, agreeing workers).
async fn run(wn: &WorkerNet, f: u64, input: &[u8]) -> anyhow::Result<(u64, String, Vec<String>)> {
    let inv = invoke(&wn.rpc, &wn.invoker, f, input, 1_000_000).await?;
    let result = match wait_finalized(&wn.rpc, inv.job_id, Duration::from_secs(120)).await {
        Ok(r) => r,
        Err(e) => anyhow::bail!("{e:#}\n{}", wn.logs()),
    };
    let outcome = bls_core::outcome::Outcome::decode(result.outcome.as_slice())?;
    Ok((
        inv.job_id,
        String::from_utf8_lossy(&outcome.stdout).into_owned(),
        result.workers.iter().map(ToString::to_string).collect(),
    ))
}

/// Waits until `worker` holds every secret of `f`.
async fn wait_holds(wn: &WorkerNet, f: u64, worker: &str) -> anyhow::Result<()> {
    wait_until(
        &format!("{worker} holding function {f}'s secrets"),
        Duration::from_secs(90),
        || async {
            let s = bls_client::secrets::secrets(&wn.rpc, f).await?;
            Ok(s.members
                .iter()
                .any(|m| m.worker == worker && m.missing.is_empty())
                .then_some(()))
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e:#}\n{}", wn.logs()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replaced_member_gets_the_secret_and_a_bad_envelope_costs_nobody() -> anyhow::Result<()> {
    let mut state = bls_e2e::worker::worker_app_state(20, 20);
    for (module, section) in &mut state {
        if module == "orchestration" {
            section["params"]["subnetwork_size"] = serde_json::json!(3);
        }
    }
    let mut wn = WorkerNet::start_with_state(4, state).await?;
    for i in 0..4 {
        wn.start_worker(i, &[]).await?;
    }
    let chain_id = wn.net.chain_id.clone();
    let owner = wn.invoker.address().clone();
    let key = random_secret("K3");
    let wasm = std::fs::read(wasm_path("hmac-secret")?)?;
    let f = deploy(&wn.rpc, &wn.invoker, &wasm, "{}", 3, 2).await?;
    wait_keyed_members(&wn, f, 3).await?;
    let (msgs, _) = bls_client::secrets::seal_secrets(
        &wn.rpc,
        &chain_id,
        &owner,
        f,
        &[("HMAC_KEY".to_string(), key.clone())],
    )
    .await?;
    bls_e2e::worker::send(
        &wn.rpc,
        &wn.invoker,
        msgs.iter()
            .map(bls_client::secrets::set_secret_msg)
            .collect(),
    )
    .await?;

    // A member turns liar: it is slashed and jailed for its dissent, and the subnetwork
    // repair seats the spare worker.
    let before = members(&wn, f).await?;
    assert_eq!(before.len(), 3);
    let liar = before[0].clone();
    let spare = wn
        .workers
        .iter()
        .map(|w| w.address.clone())
        .find(|a| !before.contains(a))
        .expect("a spare");
    let li = index_of(&wn, &liar);
    wn.workers[li].stop(Duration::from_secs(10));
    wn.start_worker(li, &["--fault", "wrong-result"]).await?;
    let (_, out, agreeing) = run(&wn, f, b"first").await?;
    assert_eq!(out, hmac_hex(&key, b"first"));
    assert!(!agreeing.contains(&liar));
    wait_until(
        "the liar jailed and replaced",
        Duration::from_secs(60),
        || async {
            let m = members(&wn, f).await?;
            Ok((!m.contains(&liar) && m.contains(&spare)).then_some(()))
        },
    )
    .await?;
    // The survivors re-seal the key to the new member; the owner does nothing.
    wait_holds(&wn, f, &spare).await?;
    let spare_addr = bls_core::Address::parse(&spare)?;
    let held = bls_client::secrets::envelopes(&wn.rpc, f, &spare_addr).await?;
    assert_eq!(held.envelopes.len(), 1);
    assert_ne!(
        held.envelopes[0].sealed_by,
        owner.to_string(),
        "a member sealed it"
    );
    let gone =
        bls_client::secrets::envelopes(&wn.rpc, f, &bls_core::Address::parse(&liar)?).await?;
    assert!(
        gone.envelopes.is_empty(),
        "the jailed member's envelope is deleted"
    );
    let (_, out, agreeing) = run(&wn, f, b"second").await?;
    assert_eq!(out, hmac_hex(&key, b"second"));
    assert!(
        agreeing.contains(&spare),
        "the new member ran it: {agreeing:?}"
    );

    // The owner seals a second secret, giving one member a well-formed envelope of another
    // value: that member cannot match the commitment, reports it and declines its slot; the
    // job finalizes from the others and nobody is slashed for it.
    let now = members(&wn, f).await?;
    let victim = now
        .iter()
        .find(|m| **m != spare)
        .expect("a survivor")
        .clone();
    let s = bls_client::secrets::secrets(&wn.rpc, f).await?;
    let version = s.last_version + 1;
    let scope = bls_client::sealed::Scope::Function {
        chain_id: &chain_id,
        function_id: f,
        name: "OTHER",
        version,
    };
    let right = bls_client::sealed::SaltedValue::new("right")?;
    let wrong = bls_client::sealed::SaltedValue::new("wrong")?;
    let mut envelopes = Vec::new();
    for m in s.members.iter().filter(|m| !m.encryption_pubkey.is_empty()) {
        let value = if m.worker == victim { &wrong } else { &right };
        let e = bls_client::sealed::seal(
            &m.worker,
            &hex::decode(&m.encryption_pubkey)?,
            &scope,
            value,
        )?;
        envelopes.push(bls_orchestration::secrets::msgs::SealedEnvelope {
            worker: m.worker.clone(),
            enc: e.enc,
            ciphertext: e.ciphertext,
        });
    }
    let set = bls_orchestration::secrets::msgs::MsgSetSecret {
        owner: owner.to_string(),
        function_id: f,
        name: "OTHER".into(),
        commitment: right.commitment(&scope).to_vec(),
        envelopes,
        version,
    };
    bls_e2e::worker::send(
        &wn.rpc,
        &wn.invoker,
        vec![bls_client::secrets::set_secret_msg(&set)],
    )
    .await?;
    let penalties = slashed_and_status(&wn).await?;
    let (job, out, agreeing) = run(&wn, f, b"third").await?;
    assert_eq!(out, hmac_hex(&key, b"third"));
    assert!(!agreeing.contains(&victim), "{agreeing:?}");
    assert_eq!(agreeing.len(), 2);
    let j = bls_e2e::worker::job(&wn.rpc, job).await?;
    let slot = j
        .assignments
        .iter()
        .find(|a| a.worker.as_str() == victim)
        .expect("the victim was assigned");
    assert!(slot.declined, "{j:?}");
    // Wait for settlement, then compare penalties: unchanged for everyone.
    wait_until("job settled", Duration::from_secs(60), || async {
        let j = bls_e2e::worker::job(&wn.rpc, job).await?;
        Ok((!j.settling).then_some(()))
    })
    .await?;
    assert_eq!(
        slashed_and_status(&wn).await?,
        penalties,
        "nobody penalized"
    );
    let vi = index_of(&wn, &victim);
    let log = wn.workers[vi].all_logs();
    assert!(log.contains("secrets unopenable"), "the victim said why");
    // A member re-seals the right value to it; it runs the next job with the others.
    wait_holds(&wn, f, &victim).await?;
    let (_, out, agreeing) = run(&wn, f, b"fourth").await?;
    assert_eq!(out, hmac_hex(&key, b"fourth"));
    assert!(agreeing.contains(&victim), "{agreeing:?}");
    for w in &wn.workers {
        assert!(
            find_in(w.all_logs().as_bytes(), &[key.as_bytes()]).is_none(),
            "{}'s log holds the key",
            w.name
        );
    }
    Ok(())
}
