//! The REST routes Keplr uses to send, against real cometbft + blsd: `POST
//! /cosmos/tx/v1beta1/simulate` gives the gas the chain's own simulation gives, `POST
//! /cosmos/tx/v1beta1/txs` answers with CheckTx's verdict for these bytes (hash, code,
//! codespace and log, not fixed values), `GET /cosmos/tx/v1beta1/txs/{hash}` gives the
//! included tx's height, code, gas and events, and
//! `GET /cosmos/bank/v1beta1/balances/{address}/by_denom` the balance the send produced.

use std::time::Duration;

use base64::Engine as _;
use bls_client::keys::KeyPair;
use bls_client::rpc::RpcClient;
use bls_core::{Address, Coins};
use bls_e2e::chain::signed_sends;
use bls_e2e::{Localnet, NodeOptions};
use serde_json::{json, Value};

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

async fn post(url: &str, body: &Value) -> anyhow::Result<(u16, Value)> {
    let r = reqwest::Client::new().post(url).json(body).send().await?;
    Ok((r.status().as_u16(), r.json().await?))
}

async fn get(url: &str) -> anyhow::Result<(u16, Value, Option<String>)> {
    let r = reqwest::get(url).await?;
    let height = r
        .headers()
        .get("x-cosmos-block-height")
        .and_then(|h| h.to_str().ok())
        .map(str::to_string);
    Ok((r.status().as_u16(), r.json().await?, height))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keplr_routes_simulate_broadcast_get_tx_and_balance() -> anyhow::Result<()> {
    let (alice, _) = KeyPair::generate()?;
    let net = Localnet::start(NodeOptions {
        accounts: vec![(alice.address().to_string(), "1000000000ubls".into())],
        app_toml: vec![(
            "cors_allowed_origins".into(),
            "[\"http://wallet.test\"]".into(),
        )],
        ..Default::default()
    })
    .await?;
    let rpc = RpcClient::new(&net.validators[0].rpc_url())?;
    let api = net.validators[0].api_url();
    // CORS is opt-in per origin: the listed origin may read answers, another may not.
    for (origin, allowed) in [("http://wallet.test", true), ("http://evil.test", false)] {
        let r = net
            .http
            .get(format!("{api}/cosmos/staking/v1beta1/pool"))
            .header("origin", origin)
            .send()
            .await?;
        let header = r.headers().get("access-control-allow-origin").cloned();
        assert_eq!(
            header.as_ref().and_then(|h| h.to_str().ok()),
            allowed.then_some(origin),
            "{origin}"
        );
    }
    let acc = rpc
        .account(alice.address())
        .await?
        .ok_or_else(|| anyhow::anyhow!("alice has no account"))?;
    let bob = Address::from_bytes(&[0xb1; 20]);
    let send = |sequence: u64| {
        signed_sends(
            &net.chain_id,
            &alice,
            acc.account_number,
            sequence,
            1,
            &bob,
            &Coins::parse("4321ubls").expect("coins"),
        )
        .map(|mut v| v.remove(0))
    };
    let tx = send(acc.sequence)?;

    // Simulate: the same gas as the chain's simulation over ABCI, and the send's events.
    let (st, sim) = post(
        &format!("{api}/cosmos/tx/v1beta1/simulate"),
        &json!({"tx_bytes": b64(&tx.bytes)}),
    )
    .await?;
    assert_eq!(st, 200, "{sim}");
    let gas_used: u64 = sim["gas_info"]["gas_used"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("gas_used: {sim}"))?
        .parse()?;
    assert_eq!(gas_used, rpc.simulate(tx.bytes.clone()).await?);
    assert!(gas_used > 0);
    // Two transfers: the fee to the fee collector, then the send to bob.
    let to_bob = sim["result"]["events"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["type"] == "transfer")
        .any(|e| {
            let attr = |k: &str| {
                e["attributes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|a| a["key"] == k)
                    .map(|a| a["value"].clone())
            };
            attr("recipient") == Some(json!(bob.as_str()))
                && attr("amount") == Some(json!("4321ubls"))
        });
    assert!(to_bob, "no transfer of 4321ubls to bob: {sim}");
    // Nothing was sent by simulating.
    assert_eq!(rpc.balance(&bob, "ubls").await?, 0);

    // Broadcast a tx CheckTx refuses (a sequence from the future): its own hash, a code,
    // codespace and log, not fixed fields.
    let bad = send(acc.sequence + 7)?;
    let (st, v) = post(
        &format!("{api}/cosmos/tx/v1beta1/txs"),
        &json!({"tx_bytes": b64(&bad.bytes), "mode": "BROADCAST_MODE_SYNC"}),
    )
    .await?;
    assert_eq!(st, 200, "{v}");
    let r = &v["tx_response"];
    assert_eq!(r["txhash"], bad.hash, "{v}");
    assert_ne!(r["code"], 0, "{v}");
    assert!(r["code"].as_u64().is_some(), "{v}");
    assert_ne!(r["codespace"], "", "{v}");
    assert!(
        r["raw_log"].as_str().unwrap_or("").contains("sequence"),
        "{v}"
    );

    // Broadcast the good one: accepted, its hash.
    let (st, v) = post(
        &format!("{api}/cosmos/tx/v1beta1/txs"),
        &json!({"tx_bytes": b64(&tx.bytes), "mode": "BROADCAST_MODE_SYNC"}),
    )
    .await?;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["tx_response"]["txhash"], tx.hash, "{v}");
    assert_eq!(v["tx_response"]["code"], 0, "{v}");
    let included = rpc.wait_for_tx(&tx.hash, Duration::from_secs(30)).await?;
    assert_eq!(included.code, 0, "{}", included.log);

    // A tx far larger than a URL can carry (a deploy of 120 KiB of inline code) reaches
    // CometBFT: the gateway forwards it in a POST body, not a GET query string.
    let big = bls_client::tx::TxBuilder::new(&net.chain_id, acc.account_number, acc.sequence + 1)
        .message(bls_client::msgs::deploy_function(
            alice.address(),
            &bls_client::msgs::Deployment {
                wasm: vec![0u8; 120 * 1024],
                manifest_json: "{}".into(),
                replication: 1,
                quorum: 1,
                ..Default::default()
            },
        ))
        .gas_limit(9_000_000)
        .fee(Coins::parse("225000ubls")?)
        .sign(&alice)?;
    let (st, v) = post(
        &format!("{api}/cosmos/tx/v1beta1/txs"),
        &json!({"tx_bytes": b64(&big.bytes), "mode": "BROADCAST_MODE_SYNC"}),
    )
    .await?;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["tx_response"]["txhash"], big.hash, "{v}");
    assert!(v["tx_response"]["code"].as_u64().is_some(), "{v}");

    // GET the tx: what CometBFT recorded for it.
    let (st, v, _) = get(&format!("{api}/cosmos/tx/v1beta1/txs/{}", tx.hash)).await?;
    assert_eq!(st, 200, "{v}");
    let r = &v["tx_response"];
    assert_eq!(r["txhash"], tx.hash, "{v}");
    assert_eq!(r["height"], included.height.to_string(), "{v}");
    assert_eq!(r["code"], 0, "{v}");
    assert_eq!(r["gas_used"], included.gas_used.to_string(), "{v}");
    assert_eq!(r["gas_wanted"], "200000", "{v}");
    assert!(
        r["events"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|e| e["type"] == "transfer"),
        "{v}"
    );
    let (st, v, _) = get(&format!("{api}/cosmos/tx/v1beta1/txs/{}", "AB".repeat(32))).await?;
    assert_ne!(st, 200, "an unknown hash is not found: {v}");

    // Search by event query (explorers, Keplr's history): the tx, by height and by sender.
    let (st, v, _) = get(&format!(
        "{api}/cosmos/tx/v1beta1/txs?query=tx.height={}",
        included.height
    ))
    .await?;
    assert_eq!(st, 200, "{v}");
    assert!(
        v["tx_responses"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|t| t["txhash"] == tx.hash),
        "{v}"
    );
    let (st, v, _) = get(&format!(
        "{api}/cosmos/tx/v1beta1/txs?events=transfer.recipient='{bob}'&order_by=ORDER_BY_DESC"
    ))
    .await?;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["tx_responses"][0]["txhash"], tx.hash, "{v}");
    let (st, _, _) = get(&format!("{api}/cosmos/tx/v1beta1/txs")).await?;
    assert_eq!(st, 400, "a search without a query is refused");

    // Balance by denom: the amount sent, at the height in the header.
    let (st, v, height) = get(&format!(
        "{api}/cosmos/bank/v1beta1/balances/{bob}/by_denom?denom=ubls"
    ))
    .await?;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v, json!({"balance": {"denom": "ubls", "amount": "4321"}}));
    let height: u64 = height
        .ok_or_else(|| anyhow::anyhow!("no x-cosmos-block-height header"))?
        .parse()?;
    assert!(height >= included.height);
    let (st, v, _) = get(&format!(
        "{api}/cosmos/bank/v1beta1/balances/{bob}/by_denom?denom=uother"
    ))
    .await?;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["balance"]["amount"], "0", "{v}");
    Ok(())
}
