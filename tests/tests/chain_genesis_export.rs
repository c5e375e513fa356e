//! `blsd genesis export` of a stopped node gives a genesis that starts a chain with the same
//! state: balances, supply and burn totals, accounts and their sequences, and fast-path
//! deposits (the deposit record, the module account holding it, the totals).

use std::process::Command;
use std::time::Duration;

use bls_client::rpc::RpcClient;
use bls_core::Address;
use bls_e2e::chain::{blsd_json, keyring_dir, new_key, supply_and_burned};
use bls_e2e::fastpath::{fund_deposit, query};
use bls_e2e::{bin_path, Localnet, NodeOptions};
use bls_orchestration::fastpath::state::{fastpath_account, FastPathStats};
use serde_json::json;

const DEPOSIT: u128 = 250_000;

/// The supply and burn totals a restart must keep: `(bank supply, bank burned, fees module's
/// gas-fee totals)`.
async fn totals(rpc: &RpcClient) -> anyhow::Result<(u128, u128, serde_json::Value)> {
    let (supply, burned) = supply_and_burned(rpc).await?;
    let fees = query(rpc, "/bls.fees.v1.Query/Totals", json!({})).await?;
    Ok((supply, burned, fees))
}

/// The fast-path state a restart must keep: `(deposit, fast-path module account, totals)`.
async fn fastpath_state(
    rpc: &RpcClient,
    invoker: &Address,
) -> anyhow::Result<(String, u128, FastPathStats)> {
    let deposit = bls_client::fastpath::deposit_of(rpc, invoker)
        .await?
        .deposit;
    let held = rpc.balance(&fastpath_account(), "ubls").await?;
    let stats: FastPathStats = serde_json::from_value(
        query(rpc, "/bls.orchestration.v1.Query/FastPathStats", json!({})).await?,
    )?;
    Ok((deposit, held, stats))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exported_genesis_restarts_to_the_same_state() -> anyhow::Result<()> {
    let tmp = tempfile::tempdir()?;
    let alice = new_key(tmp.path(), "alice")?;
    let mut net = Localnet::start(NodeOptions {
        accounts: vec![(alice.address.clone(), "1000000000ubls".into())],
        ..Default::default()
    })
    .await?;
    let keyring = keyring_dir(&net)?;
    bls_client::keyring::Keyring::test(&keyring).import_mnemonic("alice", &alice.mnemonic)?;
    let bob = Address::from_bytes(&[0xb0; 20]);
    let res = blsd_json(
        &net,
        0,
        &keyring,
        &[
            "tx",
            "bank",
            "send",
            "alice",
            bob.as_str(),
            "4242ubls",
            "--yes",
            "--wait",
        ],
    )?;
    assert_eq!(res["code"], 0, "{res}");
    let rpc = RpcClient::new(&net.validators[0].rpc_url())?;
    let alice_addr = Address::parse(&alice.address)?;
    fund_deposit(&rpc, &alice.key, DEPOSIT).await?;
    let h = net.height(0).await?;
    net.wait_height(0, h + 2, Duration::from_secs(30)).await?;
    let fastpath_before = fastpath_state(&rpc, &alice_addr).await?;
    assert_eq!(fastpath_before.0, DEPOSIT.to_string());
    assert_eq!(fastpath_before.1, DEPOSIT);
    assert_eq!(fastpath_before.2.deposits, DEPOSIT);
    let before = (
        rpc.balance(&alice_addr, "ubls").await?,
        rpc.balance(&bob, "ubls").await?,
        rpc.account(&alice_addr).await?.map(|a| a.sequence),
    );
    let totals_before = totals(&rpc).await?;
    // Something was burnt and taxed (gas fees of the txs above), so the totals are not
    // trivially zero on both sides.
    assert!(totals_before.1 > 0, "burned {}", totals_before.1);
    assert_ne!(
        totals_before.2["totals"]["burned"], "0",
        "{}",
        totals_before.2
    );
    let last_seen = net.height(0).await?;
    net.stop_validator(0);

    let out = Command::new(bin_path("blsd")?)
        .args(["genesis", "export", "--home"])
        .arg(&net.validators[0].home)
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "export failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let exported: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    // The exported chain continues the height (stored heights keep their meaning).
    let initial: u64 = exported["initial_height"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("initial_height: {}", exported["initial_height"]))?
        .parse()?;
    assert!(
        initial > last_seen,
        "initial_height {initial} after height {last_seen}"
    );
    let sections: Vec<(String, serde_json::Value)> = exported["app_state"]
        .as_object()
        .ok_or_else(|| anyhow::anyhow!("no app_state"))?
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    drop(net);

    let net2 = Localnet::start(NodeOptions {
        app_state: sections,
        initial_height: Some(initial),
        ..Default::default()
    })
    .await?;
    let h2 = net2.height(0).await?;
    assert!(
        h2 >= initial,
        "the new chain continues at {initial}, is at {h2}"
    );
    let rpc2 = RpcClient::new(&net2.validators[0].rpc_url())?;
    let after = (
        rpc2.balance(&alice_addr, "ubls").await?,
        rpc2.balance(&bob, "ubls").await?,
        rpc2.account(&alice_addr).await?.map(|a| a.sequence),
    );
    assert_eq!(before, after);
    assert_eq!(after.1, 4242);
    // Supply and the burn totals (the bank's and the fees module's) came along unchanged.
    assert_eq!(totals(&rpc2).await?, totals_before);
    // The deposit record came along with the coins that back it.
    assert_eq!(fastpath_state(&rpc2, &alice_addr).await?, fastpath_before);
    Ok(())
}
