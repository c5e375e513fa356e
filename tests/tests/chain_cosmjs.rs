//! An unmodified CosmJS client (npm @cosmjs/stargate) signs, simulates, broadcasts and queries
//! against real cometbft + blsd.

use std::process::Command;

use bls_core::Address;
use bls_e2e::chain::new_key;
use bls_e2e::{Localnet, NodeOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cosmjs_sends_tokens() -> anyhow::Result<()> {
    let js = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("js");
    anyhow::ensure!(
        js.join("node_modules/@cosmjs/stargate").exists(),
        "CosmJS is not installed: run scripts/install"
    );
    let tmp = tempfile::tempdir()?;
    let alice = new_key(tmp.path(), "alice")?;
    let net = Localnet::start(NodeOptions {
        accounts: vec![(alice.address.clone(), "1000000000ubls".into())],
        ..Default::default()
    })
    .await?;
    let to = Address::from_bytes(&[0xc0; 20]).to_string();
    let rpc = net.validators[0].rpc_url();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(js.join("bank_send.mjs"))
            .args([rpc.as_str(), alice.mnemonic.as_str(), to.as_str(), "777"])
            .output()
    })
    .await??;
    let stdout = String::from_utf8_lossy(&out.stdout);
    anyhow::ensure!(
        out.status.success(),
        "cosmjs failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(stdout.trim())?;
    assert_eq!(v["chainId"], net.chain_id);
    assert_eq!(v["code"], 0, "{v}");
    assert_eq!(v["secondCode"], 0, "{v}");
    assert_eq!(v["before"], "0");
    assert_eq!(v["after"], "1554");
    assert_eq!(v["sequence"], 2);
    assert_eq!(v["unknownAccount"], serde_json::Value::Null, "{v}");
    assert_eq!(v["foundTxHeight"], v["height"], "{v}");
    assert_eq!(v["foundTxCode"], 0, "{v}");
    Ok(())
}
