//! Browser-wallet keys end to end against real cometbft + blsd + three `bls-worker`s, through
//! `@bls/client` (clients/ts): a CosmJS `Secp256k1HdWallet` (amino) funds an account controlled
//! by an Ethereum key and one controlled by an Aptos key; ethers.js `signTypedData` (the EIP-712
//! algorithm MetaMask runs) sends, deploys `hello` and invokes it; an `@aptos-labs/ts-sdk`
//! Ed25519 key invokes it through the Aptos `signMessage` envelope. Both jobs finalize with the
//! function's output; the addresses are the wallets' own (Ethereum address, Aptos address);
//! a signature by another key and typed data naming another chain are refused, spending nothing.

use std::process::Command;
use std::time::Duration;

use bls_core::Address;
use bls_e2e::worker::{wait_finalized, wasm_path, WorkerNet};

fn hex(s: &str) -> anyhow::Result<Vec<u8>> {
    let s = s.trim_start_matches("0x");
    (0..s.len())
        .step_by(2)
        .map(|i| Ok(u8::from_str_radix(&s[i..i + 2], 16)?))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ethereum_and_aptos_keys_send_deploy_and_invoke() -> anyhow::Result<()> {
    let js = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("js");
    anyhow::ensure!(
        js.join("node_modules/@bls/client/dist/index.js").exists()
            && js.join("node_modules/ethers").exists()
            && js.join("node_modules/@aptos-labs/ts-sdk").exists(),
        "@bls/client, ethers or the Aptos SDK is not installed: run scripts/install"
    );
    let wasm = wasm_path("hello")?;
    let mut wn = WorkerNet::start(3, 30, 30).await?;
    for i in 0..3 {
        wn.start_worker(i, &[]).await?;
    }
    let tmp = tempfile::tempdir()?;
    let funder = wn.funded_key(tmp.path(), "funder", 200_000_000).await?;

    let rest = wn.net.validators[0].api_url();
    let (js2, mnemonic, wasm_arg) = (
        js.clone(),
        funder.mnemonic.clone(),
        wasm.display().to_string(),
    );
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(js2.join("wallet_flow.mjs"))
            .args([rest.as_str(), mnemonic.as_str(), wasm_arg.as_str()])
            .output()
    })
    .await??;
    let stdout = String::from_utf8_lossy(&out.stdout);
    anyhow::ensure!(
        out.status.success(),
        "wallet_flow.mjs: {stdout}{}\n{}",
        String::from_utf8_lossy(&out.stderr),
        wn.logs()
    );
    let v: serde_json::Value = serde_json::from_str(stdout.trim())?;

    // The bls addresses are the wallets' own addresses: the Ethereum address, and the first 20
    // bytes of the Aptos address.
    let eth: Address = v["ethAddress"].as_str().unwrap_or_default().parse()?;
    assert_eq!(
        eth.as_bytes(),
        hex(v["ethHexAddress"].as_str().unwrap_or_default())?
    );
    let aptos: Address = v["aptosAddress"].as_str().unwrap_or_default().parse()?;
    assert_eq!(
        aptos.as_bytes(),
        &hex(v["aptosHexAddress"].as_str().unwrap_or_default())?[..20]
    );
    // The chain stored each account's key with its type.
    let acc = wn
        .rpc
        .account(&eth)
        .await?
        .expect("the Ethereum account exists");
    assert_eq!(
        acc.pub_key.map(|k| k.type_url),
        Some("/cosmos.evm.crypto.v1.ethsecp256k1.PubKey".to_string())
    );
    let acc = wn
        .rpc
        .account(&aptos)
        .await?
        .expect("the Aptos account exists");
    assert_eq!(
        acc.pub_key.map(|k| k.type_url),
        Some("/bls.crypto.v1.AptosPubKey".to_string())
    );
    let f = bls_client::orchestration::function(
        &wn.rpc,
        v["functionId"].as_str().unwrap_or_default().parse()?,
    )
    .await?;
    assert_eq!(f.function.owner, eth);

    for (job, who) in [("ethJob", "Eth"), ("aptosJob", "Aptos")] {
        let id: u64 = v[job].as_str().unwrap_or_default().parse()?;
        let result = match wait_finalized(&wn.rpc, id, Duration::from_secs(90)).await {
            Ok(r) => r,
            Err(e) => anyhow::bail!("{e:#}\n{}", wn.logs()),
        };
        let outcome = bls_core::outcome::Outcome::decode(result.outcome.as_slice())?;
        assert_eq!(outcome.stdout, format!("Hello, {who}!\n").as_bytes());
    }

    // Forgeries: refused at CheckTx with the SDK's unauthorized code; the sequence is unchanged.
    for key in ["wrongKeyRefusal", "wrongChainRefusal"] {
        assert_eq!(v[key]["code"], 4, "{key}: {v}");
        assert!(
            v[key]["log"]
                .as_str()
                .unwrap_or_default()
                .contains("signature verification failed"),
            "{key}: {v}"
        );
    }
    assert_eq!(v["sequenceBefore"], v["sequenceAfter"], "{v}");
    Ok(())
}
