//! Amino-JSON signing end to end (SIGN_MODE_LEGACY_AMINO_JSON, what Keplr with a Ledger signs):
//! an unmodified CosmJS `Secp256k1HdWallet` with the converters of `@bls/client` (clients/ts,
//! generated from proto/) sends tokens, deploys `hello` and invokes it against real cometbft +
//! blsd + three `bls-worker`s; the chain recorded each tx in amino mode, and the job finalizes
//! with the function's output.

use std::process::Command;
use std::time::Duration;

use bls_core::Address;
use bls_e2e::wait::wait_until;
use bls_e2e::worker::{balance_now, wait_finalized, wasm_path, WorkerNet};

const SIGN_MODE_LEGACY_AMINO_JSON: u64 = 127;

fn node(js: &std::path::Path, args: &[&str]) -> anyhow::Result<serde_json::Value> {
    let out = Command::new("node")
        .arg(js.join("amino_flow.mjs"))
        .args(args)
        .output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    anyhow::ensure!(
        out.status.success(),
        "amino_flow.mjs {}: {stdout}{}",
        args[0],
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(serde_json::from_str(stdout.trim())?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cosmjs_amino_wallet_sends_deploys_and_invokes() -> anyhow::Result<()> {
    let js = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("js");
    anyhow::ensure!(
        js.join("node_modules/@bls/client/dist/index.js").exists()
            && js.join("node_modules/@cosmjs/amino").exists(),
        "@bls/client or CosmJS is not installed: run scripts/install"
    );
    let wasm = wasm_path("hello")?;
    let mut wn = WorkerNet::start(3, 30, 30).await?;
    for i in 0..3 {
        wn.start_worker(i, &[]).await?;
    }
    let tmp = tempfile::tempdir()?;
    let amino = wn.funded_key(tmp.path(), "amino", 100_000_000).await?;

    let to = Address::from_bytes(&[0xa7; 20]).to_string();
    let rpc = wn.net.validators[0].rpc_url();
    let (js2, rpc2, mnemonic, wasm_arg) = (
        js.clone(),
        rpc.clone(),
        amino.mnemonic.clone(),
        wasm.display().to_string(),
    );
    let deployed = tokio::task::spawn_blocking(move || {
        node(&js2, &["deploy", &rpc2, &mnemonic, &wasm_arg, &to])
    })
    .await??;
    assert_eq!(deployed["from"], amino.address.as_str());
    assert_eq!(
        deployed["sendMode"], SIGN_MODE_LEGACY_AMINO_JSON,
        "{deployed}"
    );
    assert_eq!(
        deployed["deployMode"], SIGN_MODE_LEGACY_AMINO_JSON,
        "{deployed}"
    );
    let (received, _) = balance_now(&wn.rpc, &Address::from_bytes(&[0xa7; 20]).to_string()).await?;
    assert_eq!(received, 1234);
    let function_id: u64 = deployed["functionId"]
        .as_str()
        .unwrap_or_default()
        .parse()?;
    let f = bls_client::orchestration::function(&wn.rpc, function_id).await?;
    assert_eq!(f.function.owner.to_string(), amino.address);
    // The subnetwork is placed in the next block's begin block.
    wait_until(
        "the amino-deployed function's placement",
        Duration::from_secs(30),
        || async {
            let f = bls_client::orchestration::function(&wn.rpc, function_id).await?;
            Ok(f.subnetwork.is_some().then_some(()))
        },
    )
    .await?;

    let (js2, mnemonic) = (js.clone(), amino.mnemonic.clone());
    let id = function_id.to_string();
    let invoked =
        tokio::task::spawn_blocking(move || node(&js2, &["invoke", &rpc, &mnemonic, &id, "Amino"]))
            .await??;
    assert_eq!(
        invoked["invokeMode"], SIGN_MODE_LEGACY_AMINO_JSON,
        "{invoked}"
    );
    let job_id: u64 = invoked["jobId"].as_str().unwrap_or_default().parse()?;
    let result = match wait_finalized(&wn.rpc, job_id, Duration::from_secs(90)).await {
        Ok(r) => r,
        Err(e) => anyhow::bail!("{e:#}\n{}", wn.logs()),
    };
    let outcome = bls_core::outcome::Outcome::decode(result.outcome.as_slice())?;
    assert_eq!(outcome.stdout, b"Hello, Amino!\n");
    Ok(())
}
