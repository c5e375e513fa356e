//! Chain foundation end to end: real cometbft + blsd, the blsd CLI as the client, the REST
//! gateway, metrics, bad transactions, and ics23 proofs against the app hash.

use std::time::Duration;

use bls_client::rpc::RpcClient;
use bls_core::Address;
use bls_e2e::chain::{blsd_json, keyring_dir, new_key};
use bls_e2e::{wait_until, Localnet, NodeOptions};
use prost::Message;
use tendermint_rpc::Client as _;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bank_send_via_cli_rest_proofs_and_bad_txs() -> anyhow::Result<()> {
    let tmp = tempfile::tempdir()?;
    let alice = new_key(tmp.path(), "alice")?;
    let net = Localnet::start(NodeOptions {
        accounts: vec![(alice.address.clone(), "1000000000000ubls".into())],
        ..Default::default()
    })
    .await?;
    let keyring = keyring_dir(&net)?;
    bls_client::keyring::Keyring::test(&keyring).import_mnemonic("alice", &alice.mnemonic)?;
    let bob = Address::from_bytes(&[0xb0; 20]).to_string();
    let rpc = RpcClient::new(&net.validators[0].rpc_url())?;

    // A send through the real CLI.
    let res = blsd_json(
        &net,
        0,
        &keyring,
        &[
            "tx",
            "bank",
            "send",
            "alice",
            &bob,
            "12345ubls",
            "--yes",
            "--wait",
        ],
    )?;
    assert_eq!(res["code"], 0, "send failed: {res}");
    let bal = blsd_json(&net, 0, &keyring, &["query", "bank", "balances", &bob])?;
    let amount = bal["balances"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["denom"] == "ubls"))
        .map(|c| c["amount"].clone());
    assert_eq!(amount, Some(serde_json::json!("12345")), "balances: {bal}");

    // The fee left alice too: she paid 12345 plus a positive fee.
    let alice_addr = Address::parse(&alice.address)?;
    let alice_bal = rpc.balance(&alice_addr, "ubls").await?;
    assert!(
        alice_bal < 1_000_000_000_000 - 12345,
        "no fee charged: {alice_bal}"
    );

    // What a newcomer meets from the real CLI: each error says what to do.
    let v = &net.validators[0];
    let blsd_at = |node: &str, args: &[&str]| -> anyhow::Result<(bool, String)> {
        let o = std::process::Command::new(bls_e2e::bin_path("blsd")?)
            .args(args)
            .args(["--node", node, "--chain-id", &net.chain_id, "--keyring-dir"])
            .arg(&keyring)
            .env_remove("BLS_NODE")
            .env("BLS_KEYRING_BACKEND", "test")
            .stdin(std::process::Stdio::null())
            .output()?;
        Ok((
            o.status.success(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        ))
    };
    let send = ["tx", "bank", "send", "alice", &bob, "1ubls"];
    // No terminal, no --yes: refused before signing, nothing sent.
    let (ok, err) = blsd_at(&v.rpc_url(), &send)?;
    assert!(!ok && err.contains("pass --yes"), "{err}");
    // More than alice has: the chain's reason, the fix, then the code.
    let (ok, err) = blsd_at(
        &v.rpc_url(),
        &[
            "tx",
            "bank",
            "send",
            "alice",
            &bob,
            "999999999999999ubls",
            "--yes",
        ],
    )?;
    assert!(!ok, "{err}");
    assert!(
        err.contains("fund the signer with `blsd tx bank send"),
        "{err}"
    );
    assert!(
        err.trim_end().ends_with("code 5, during simulate]"),
        "{err}"
    );
    assert!(!err.contains("failed to execute message"), "{err}");
    // The REST gateway and the ABCI socket given as --node are named as such.
    let (ok, err) = blsd_at(&v.api_url(), &["query", "bank", "balances", &bob])?;
    assert!(
        !ok && err.contains(&format!(
            "that is the node's REST gateway (port {}); --node wants CometBFT's RPC, by default http://127.0.0.1:26657",
            v.api_port
        )),
        "{err}"
    );
    let abci = format!("http://127.0.0.1:{}", v.abci_port);
    let (ok, err) = blsd_at(&abci, &["query", "bank", "balances", &bob])?;
    assert!(
        !ok && err.contains(&format!("that is blsd's ABCI port ({})", v.abci_port)),
        "{err}"
    );
    let alice_after = rpc.balance(&alice_addr, "ubls").await?;
    assert_eq!(alice_after, alice_bal, "a refused send moved coins");

    // Garbage bytes are refused by CheckTx with a clear error and change nothing.
    let garbage = rpc.broadcast_tx_sync(vec![0xff, 0x00, 0x13, 0x37]).await;
    let err = garbage.expect_err("garbage tx must be refused");
    let log = err.abci_log().unwrap_or_default().to_string();
    assert!(
        log.to_lowercase().contains("decode") || log.to_lowercase().contains("parse"),
        "log: {log}"
    );
    assert_eq!(rpc.balance(&alice_addr, "ubls").await?, alice_bal);

    // REST gateway routes Keplr uses.
    let api = net.validators[0].api_url();
    let http = reqwest::Client::new();
    let v: serde_json::Value = http
        .get(format!("{api}/cosmos/bank/v1beta1/balances/{bob}"))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(v["balances"][0]["amount"], "12345", "{v}");
    let v: serde_json::Value = http
        .get(format!(
            "{api}/cosmos/auth/v1beta1/accounts/{}",
            alice.address
        ))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(v["account"]["sequence"], "1", "{v}");
    let missing = http
        .get(format!(
            "{api}/cosmos/auth/v1beta1/accounts/{}",
            Address::from_bytes(&[9; 20])
        ))
        .send()
        .await?;
    assert_eq!(missing.status(), 404);
    let metrics = http
        .get(format!("{api}/metrics"))
        .send()
        .await?
        .text()
        .await?;
    assert!(metrics.contains("blsd_block_height"), "{metrics}");
    assert!(metrics.contains("blsd_txs_ok_total 1"), "{metrics}");
    // The tx's signature was verified once and remembered (bounded cache, sized on /metrics).
    let remembered = metrics
        .lines()
        .find_map(|l| l.strip_prefix("blsd_sig_cache_entries "))
        .and_then(|v| v.trim().parse::<f64>().ok());
    assert!(remembered.is_some_and(|n| n >= 1.0), "{metrics}");
    let info: serde_json::Value = http
        .get(format!("{api}/chain-info.json"))
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(info["chainId"], net.chain_id);
    assert_eq!(info["bech32Config"]["bech32PrefixAccAddr"], "bls");
    // Keplr needs the REST URL; the node derives it from the Host it was asked on.
    assert_eq!(info["rest"], api.as_str(), "{info}");

    // An ics23 proof of bob's balance verifies against the app hash of its height.
    let key = bls_bank::keeper::store_keys::balance(&Address::from_bytes(&[0xb0; 20]), "ubls");
    let q = rpc
        .http()
        .abci_query(Some("/store/key".to_string()), key.clone(), None, true)
        .await?;
    assert_eq!(q.code.value(), 0, "{}", q.log);
    let height = q.height.value();
    let ops = q.proof.expect("proof requested").ops;
    assert_eq!(ops.len(), 1);
    let proof = ics23::CommitmentProof::decode(ops[0].data.as_slice())?;
    let app_hash = wait_until(
        "the next block's header",
        Duration::from_secs(20),
        || async {
            match net.app_hash_after(0, height).await {
                Ok(h) if !h.is_empty() => Ok(Some(h)),
                _ => Ok(None),
            }
        },
    )
    .await?;
    let app_hash = hex::decode(&app_hash)?;
    assert!(bls_app::store::verify_proof(
        &app_hash,
        &key,
        Some(&q.value),
        &proof
    ));
    let mut forged = q.value.clone();
    forged.push(b'0');
    assert!(!bls_app::store::verify_proof(
        &app_hash,
        &key,
        Some(&forged),
        &proof
    ));
    Ok(())
}
