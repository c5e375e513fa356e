//! `kill -9` of both cometbft and blsd in the middle of traffic: after a restart the chain goes
//! on from the height it had reached, with the same app hash for it (and blsd's own Info
//! agreeing with the headers), no committed tx is lost (every tx seen committed before the
//! kill is still there, and the committed ones are exactly a prefix of what was sent, matching
//! the account sequence and bob's balance), and the supply is conserved (what left it was
//! burnt and is accounted as burnt).

use std::time::Duration;

use bls_client::keys::KeyPair;
use bls_client::rpc::RpcClient;
use bls_core::{Address, Coins};
use bls_e2e::chain::{signed_sends, supply_and_burned};
use bls_e2e::{wait_until, Localnet, NodeOptions};

const GENESIS: u128 = 1_000_000_000_000;

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
    // What the node has committed just before the kill: its height with the app hash after
    // the block below it (in that block's header), and alice's sequence.
    let killed_at = net.height(0).await?;
    let hash_before = net.app_hash_after(0, killed_at - 1).await?;
    assert!(!hash_before.is_empty());
    let seen_committed = rpc
        .account(alice.address())
        .await?
        .map_or(0, |a| a.sequence)
        - acc.sequence;
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

    // Same height and app hash: the chain did not go back, the block the node had reached
    // keeps its app hash, and blsd's own Info (its last height and app hash) agrees with the
    // header CometBFT stores for the next block.
    assert!(
        resumed >= killed_at,
        "resumed at {resumed}, had reached {killed_at}"
    );
    assert_eq!(net.app_hash_after(0, killed_at - 1).await?, hash_before);
    let info = net.rpc(0, "abci_info").await?;
    let info_height: u64 = info["response"]["last_block_height"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("abci_info: {info}"))?
        .parse()?;
    let info_hash = base64_to_hex(
        info["response"]["last_block_app_hash"]
            .as_str()
            .unwrap_or(""),
    )?;
    assert!(
        info_height >= killed_at,
        "blsd reports height {info_height}"
    );
    net.wait_height(0, info_height + 1, Duration::from_secs(60))
        .await?;
    assert_eq!(net.app_hash_after(0, info_height).await?, info_hash);

    // No committed tx lost: the committed txs are exactly the first `committed` sent (the
    // account sequence counts them, each is found with code 0, none after them is), and they
    // include every tx seen committed before the kill.
    let seq = rpc
        .account(alice.address())
        .await?
        .map_or(0, |a| a.sequence);
    let committed = usize::try_from(seq - acc.sequence)?;
    assert!(
        committed as u64 >= seen_committed,
        "{seen_committed} txs were committed before the kill, {committed} after the restart"
    );
    for (i, t) in txs.iter().enumerate() {
        let r = rpc.tx(&t.hash).await?;
        if i < committed {
            assert!(
                r.is_some_and(|r| r.code == 0),
                "committed tx {i} ({}) lost",
                t.hash
            );
        } else {
            assert!(
                r.is_none(),
                "tx {i} ({}) is in a block but not counted",
                t.hash
            );
        }
    }
    let bob_balance = rpc.balance(&bob, "ubls").await?;
    assert_eq!(bob_balance, u128::try_from(committed)? * 10);

    let (supply, burned) = supply_and_burned(&rpc).await?;
    assert_eq!(
        supply + burned,
        GENESIS,
        "supply {supply} + burned {burned}"
    );
    Ok(())
}

/// Upper-case hex of a base64 string (CometBFT's RPC gives hashes in both forms).
fn base64_to_hex(b64: &str) -> anyhow::Result<String> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD.decode(b64)?;
    Ok(hex::encode_upper(bytes))
}
