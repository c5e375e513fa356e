//! `kill -9` of both cometbft and blsd in the middle of traffic: after a restart the chain goes
//! on from the same height and app hash, no committed tx is lost, and the supply is conserved
//! (what left it was burnt and is accounted as burnt).

use std::time::Duration;

use bls_client::keys::KeyPair;
use bls_client::rpc::RpcClient;
use bls_core::{Address, Coins};
use bls_e2e::chain::signed_sends;
use bls_e2e::{wait_until, Localnet, NodeOptions};

const GENESIS: u128 = 1_000_000_000_000;

async fn supply_and_burned(rpc: &RpcClient) -> anyhow::Result<(u128, u128)> {
    let read = |v: Vec<u8>| -> anyhow::Result<u128> {
        if v.is_empty() {
            return Ok(0);
        }
        let s: String = serde_json::from_slice(&v)?;
        Ok(s.parse()?)
    };
    let supply = read(
        rpc.abci_query("/store/key", bls_bank::keeper::store_keys::supply("ubls"))
            .await?,
    )?;
    let burned = read(
        rpc.abci_query("/store/key", bls_bank::keeper::store_keys::burned("ubls"))
            .await?,
    )?;
    Ok((supply, burned))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_traffic_then_restart() -> anyhow::Result<()> {
    let (alice, _) = KeyPair::generate()?;
    let mut net = Localnet::start(NodeOptions {
        accounts: vec![(alice.address().to_string(), format!("{GENESIS}ubls"))],
        ..Default::default()
    })
    .await?;
    let rpc = RpcClient::new(&net.validators[0].rpc_url())?;
    let acc = rpc
        .account(alice.address())
        .await?
        .ok_or_else(|| anyhow::anyhow!("alice has no account"))?;
    let bob = Address::from_bytes(&[0xb0; 20]);
    let txs = signed_sends(
        &net.chain_id,
        &alice,
        acc.account_number,
        acc.sequence,
        300,
        &bob,
        &Coins::parse("10ubls")?,
    )?;
    // Traffic in the background; the broadcasts start failing when the node dies.
    let sender = {
        let rpc = rpc.clone();
        let bytes: Vec<Vec<u8>> = txs.iter().map(|t| t.bytes.clone()).collect();
        tokio::spawn(async move {
            for b in bytes {
                if rpc.broadcast_tx_sync(b).await.is_err() {
                    break;
                }
            }
        })
    };
    // Kill once some txs are committed but not all.
    wait_until("some txs committed", Duration::from_secs(60), || async {
        let seq = rpc
            .account(alice.address())
            .await?
            .map_or(0, |a| a.sequence);
        Ok((seq >= acc.sequence + 20).then_some(()))
    })
    .await?;
    let v = &mut net.validators[0];
    if let Some(mut p) = v.cometbft.take() {
        p.kill();
    }
    if let Some(mut p) = v.blsd.take() {
        p.kill();
    }
    let _ = sender.await;

    // Restart: CometBFT's handshake with blsd's Info replays whatever is missing.
    net.start_validator(0)?;
    let rpc = RpcClient::new(&net.validators[0].rpc_url())?;
    let resumed = wait_until("the restarted node", Duration::from_secs(60), || async {
        Ok(net.height(0).await.ok())
    })
    .await?;
    net.wait_height(0, resumed + 2, Duration::from_secs(60))
        .await?;

    // Every committed tx is still there with its result, and nothing else changed bob's balance.
    let seq = rpc
        .account(alice.address())
        .await?
        .map_or(0, |a| a.sequence);
    let committed = seq - acc.sequence;
    assert!(committed >= 20, "only {committed} txs survived");
    for t in &txs[..usize::try_from(committed)?] {
        let r = rpc.tx(&t.hash).await?;
        assert!(
            r.is_some_and(|r| r.code == 0),
            "committed tx {} lost",
            t.hash
        );
    }
    let bob_balance = rpc.balance(&bob, "ubls").await?;
    assert_eq!(bob_balance, u128::from(committed) * 10);

    // The app hash in each header equals what blsd computed for the previous height: CometBFT
    // would have halted otherwise; check it continued past the restart with blocks after it.
    let h = net.height(0).await?;
    assert!(h > resumed);
    assert!(!net.app_hash_after(0, h - 1).await?.is_empty());

    let (supply, burned) = supply_and_burned(&rpc).await?;
    assert_eq!(
        supply + burned,
        GENESIS,
        "supply {supply} + burned {burned}"
    );
    Ok(())
}
