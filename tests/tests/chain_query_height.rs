//! Queries at a past height end to end (real cometbft + blsd): a balance before and after a
//! send, read at both heights through ABCI `abci_query` with a height (module query and
//! `/store/key` with ics23 proofs against each height's app hash), `blsd query --height` and
//! the REST `x-cosmos-block-height` header; a future height is refused clearly.

use std::time::Duration;

use bls_client::rpc::RpcClient;
use bls_core::Address;
use bls_e2e::chain::{blsd_json, keyring_dir, new_key};
use bls_e2e::{wait_until, Localnet, NodeOptions};
use prost::Message;
use tendermint_rpc::Client as _;

const SENT: u128 = 4_321;

/// Bob's ubls balance as `blsd query --height H bank balances`.
fn cli_balance(net: &Localnet, keyring: &std::path::Path, bob: &str, height: u64) -> u128 {
    let h = height.to_string();
    let v = blsd_json(
        net,
        0,
        keyring,
        &["query", "--height", &h, "bank", "balances", bob],
    )
    .expect("blsd query");
    v["balances"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["denom"] == "ubls"))
        .map_or(0, |c| {
            c["amount"].as_str().unwrap_or("x").parse().expect("amount")
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balance_before_and_after_a_send_at_both_heights() -> anyhow::Result<()> {
    let tmp = tempfile::tempdir()?;
    let alice = new_key(tmp.path(), "alice")?;
    let net = Localnet::start(NodeOptions {
        accounts: vec![(alice.address.clone(), "1000000000000ubls".into())],
        ..Default::default()
    })
    .await?;
    let keyring = keyring_dir(&net)?;
    bls_client::keyring::Keyring::test(&keyring).import_mnemonic("alice", &alice.mnemonic)?;
    let bob = Address::from_bytes(&[0xb1; 20]);
    let bob_s = bob.to_string();
    let amount = format!("{SENT}ubls");
    let res = blsd_json(
        &net,
        0,
        &keyring,
        &[
            "tx", "bank", "send", "alice", &bob_s, &amount, "--yes", "--wait",
        ],
    )?;
    assert_eq!(res["code"], 0, "send failed: {res}");
    let after: u64 = res["height"].as_u64().expect("tx height");
    let before = after - 1;
    net.wait_app_height(0, after + 1, Duration::from_secs(30))
        .await?;

    // Module query through ABCI at both heights (and at 0 = latest).
    let rpc = RpcClient::new(&net.validators[0].rpc_url())?;
    assert_eq!(
        RpcClient::new(&net.validators[0].rpc_url())?
            .at_height(before)?
            .balance(&bob, "ubls")
            .await?,
        0
    );
    assert_eq!(
        RpcClient::new(&net.validators[0].rpc_url())?
            .at_height(after)?
            .balance(&bob, "ubls")
            .await?,
        SENT
    );
    assert_eq!(rpc.balance(&bob, "ubls").await?, SENT);

    // `/store/key` with proofs against each height's app hash: absent before, present after.
    let key = bls_bank::keeper::store_keys::balance(&bob, "ubls");
    for (height, want) in [(before, None), (after, Some(SENT))] {
        let q = rpc
            .http()
            .abci_query(
                Some("/store/key".to_string()),
                key.clone(),
                Some(tendermint::block::Height::try_from(height)?),
                true,
            )
            .await?;
        assert_eq!(q.code.value(), 0, "{}", q.log);
        assert_eq!(q.height.value(), height);
        let value = want.map(|_| q.value.clone());
        if let Some(n) = want {
            assert_eq!(serde_json::from_slice::<String>(&q.value)?, n.to_string());
        } else {
            assert!(q.value.is_empty());
        }
        let ops = q.proof.expect("proof requested").ops;
        let proof = ics23::CommitmentProof::decode(ops[0].data.as_slice())?;
        let app_hash = wait_until(
            "the header carrying the app hash",
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
        assert!(
            bls_app::store::verify_proof(&app_hash, &key, value.as_deref(), &proof),
            "proof at {height}"
        );
    }

    // The CLI flag.
    assert_eq!(cli_balance(&net, &keyring, &bob_s, before), 0);
    assert_eq!(cli_balance(&net, &keyring, &bob_s, after), SENT);

    // The REST header, echoed in the answer.
    let api = net.validators[0].api_url();
    let http = reqwest::Client::new();
    for (height, want) in [(before, None), (after, Some(SENT.to_string()))] {
        let r = http
            .get(format!("{api}/cosmos/bank/v1beta1/balances/{bob_s}"))
            .header("x-cosmos-block-height", height.to_string())
            .send()
            .await?;
        assert_eq!(r.status(), 200);
        assert_eq!(
            r.headers()
                .get("x-cosmos-block-height")
                .and_then(|v| v.to_str().ok()),
            Some(height.to_string().as_str())
        );
        let v: serde_json::Value = r.json().await?;
        assert_eq!(
            v["balances"][0]["amount"].as_str().map(str::to_string),
            want,
            "{v}"
        );
    }

    // A future height is refused with a reason, over ABCI and REST.
    let future = net.height(0).await? + 1_000;
    let err = RpcClient::new(&net.validators[0].rpc_url())?
        .at_height(future)?
        .balance(&bob, "ubls")
        .await
        .expect_err("future height refused");
    assert!(err.to_string().contains("future"), "{err}");
    let r = http
        .get(format!("{api}/cosmos/bank/v1beta1/balances/{bob_s}"))
        .header("x-cosmos-block-height", future.to_string())
        .send()
        .await?;
    assert_eq!(r.status(), 400);
    let v: serde_json::Value = r.json().await?;
    assert!(
        v["message"].as_str().unwrap_or("").contains("future"),
        "{v}"
    );
    Ok(())
}
