//! Composition end to end against real cometbft + blsd and three real workers: function A
//! (`compose`) calls listed B (`hello`) and C (`sha256-rounds`), each from another author;
//! a consumer invokes A with the `bls` CLI and gets the verified joined result, and each
//! callee's author earns exactly its price. The fast path refuses A in words (the CLI before
//! signing, the head when a client signs anyway). Two `relay`s
//! naming each other form a cycle A→B→A→…: the job ends at the depth limit with the refusal
//! in its verified output, and the invoker pays exactly the fuel fee plus the prices of the
//! calls that ran — nothing for the refused call, the rest of the reserve refunded.

use std::path::Path;
use std::time::Duration;

use bls_client::msgs::bank_send;
use bls_core::composition::{Call, MAX_CALL_DEPTH};
use bls_core::module::encode_any;
use bls_core::outcome::Outcome;
use bls_core::{Address, Coins};
use bls_e2e::chain::new_key;
use bls_e2e::fastpath::{post, signed_body_with, start_with_head, Nodes};
use bls_e2e::json_of;
use bls_e2e::worker::{
    balance_now, deploy, invoke, result, send, wait_finalized, wasm_path, WorkerNet,
};
use bls_orchestration::msgs::{MsgUpdateFunction, MSG_UPDATE_FUNCTION};
use sha2::Digest;

const PRICE_B: u128 = 3_000;
const PRICE_C: u128 = 5_000;
const PRICE_RELAY: u128 = 2_000;

fn bls(node: &str, keyring: &Path, args: &[&str]) -> anyhow::Result<std::process::Output> {
    Ok(bls_e2e::bls_cli(node, keyring, args)?.output()?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_function_calls_listed_functions_and_each_author_earns_its_price() -> anyhow::Result<()> {
    let mut wn = WorkerNet::start(4, 30, 30).await?;
    let fp = start_with_head(&mut wn, 3, "1000000000ubls").await?;
    let tmp = tempfile::Builder::new().prefix("bls-compose-").tempdir()?;
    let keyring = tmp.path().join("keyring");
    let authors: Vec<_> = ["a", "b", "c"]
        .iter()
        .map(|n| new_key(&keyring, &format!("author-{n}")))
        .collect::<Result<_, _>>()?;
    let consumer = new_key(&keyring, "consumer")?;
    for who in authors.iter().chain([&consumer]) {
        send(
            &wn.rpc,
            &wn.invoker,
            vec![bank_send(
                wn.invoker.address(),
                &Address::parse(&who.address)?,
                &Coins::parse("50000000ubls")?,
            )],
        )
        .await?;
    }
    let node = wn.net.validators[0].rpc_url();
    let run = |args: &[&str]| bls(&node, &keyring, args);
    let wasm = |name: &str| -> anyhow::Result<Vec<u8>> { Ok(std::fs::read(wasm_path(name)?)?) };
    let list = |id: u64, from: &str, price: u128| -> anyhow::Result<()> {
        let price = format!("{price}ubls");
        let id = id.to_string();
        json_of(
            &run(&[
                "market", "publish", &id, "--name", "callee", "--price", &price, "--from", from,
                "--yes", "--output", "json",
            ])?,
            "market publish",
        )?;
        Ok(())
    };

    let b = deploy(&wn.rpc, &authors[1].key, &wasm("hello")?, "{}", 3, 2).await?;
    let c = deploy(
        &wn.rpc,
        &authors[2].key,
        &wasm("sha256-rounds")?,
        "{}",
        3,
        2,
    )
    .await?;
    let manifest = serde_json::json!({
        "env": {"FIRST": b.to_string(), "SECOND": c.to_string()},
        "calls": [b, c],
    })
    .to_string();
    let a = deploy(&wn.rpc, &authors[0].key, &wasm("compose")?, &manifest, 3, 2).await?;
    let a_id = a.to_string();

    // Not listed yet: the invoke is refused, naming the callee.
    let o = run(&[
        "function", "invoke", &a_id, "--input", "Ada", "--from", "consumer", "--yes",
    ])?;
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success()
            && err.contains(&format!(
                "function {a} calls function {b}, which is not listed"
            )),
        "{err}"
    );
    list(b, "author-b", PRICE_B)?;
    list(c, "author-c", PRICE_C)?;

    let owner_b = authors[1].address.clone();
    let owner_c = authors[2].address.clone();
    let (b0, _) = balance_now(&wn.rpc, &owner_b).await?;
    let (c0, _) = balance_now(&wn.rpc, &owner_c).await?;
    let r = json_of(
        &run(&[
            "function", "invoke", &a_id, "--input", "Ada", "--wait", "--from", "consumer", "--yes",
            "--output", "json",
        ])?,
        "invoke A",
    )?;
    let sha = hex::encode(sha2::Sha256::digest(b"Ada"));
    assert_eq!(r["stdout"], format!("Hello, Ada! | {sha}\n"), "{r}");
    let job_id: u64 = r["job_id"]
        .as_u64()
        .or_else(|| r["job_id"].as_str().and_then(|s| s.parse().ok()))
        .ok_or_else(|| anyhow::anyhow!("no job id: {r}"))?;
    wait_finalized(&wn.rpc, job_id, Duration::from_secs(60)).await?;
    let res = result(&wn.rpc, job_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no result"))?;
    let outcome = Outcome::decode(res.outcome.as_slice())?;
    assert_eq!(
        outcome.calls,
        vec![
            Call {
                function_id: b,
                ok: true
            },
            Call {
                function_id: c,
                ok: true
            }
        ]
    );
    assert!(res.workers.len() >= 2, "verified by a quorum: {res:?}");
    assert_eq!(balance_now(&wn.rpc, &owner_b).await?.0 - b0, PRICE_B);
    assert_eq!(balance_now(&wn.rpc, &owner_c).await?.0 - c0, PRICE_C);

    // The fast path refuses a composed function before anything is signed or paid.
    let o = run(&[
        "function",
        "invoke",
        &a_id,
        "--fast",
        "--head",
        "http://127.0.0.1:9",
        "--input",
        "Ada",
        "--from",
        "consumer",
    ])?;
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success() && err.contains("composed function runs only in on-chain jobs"),
        "{err}"
    );

    // A client that skips that check and signs a request anyway: the head refuses it too.
    let f = bls_client::orchestration::function(&wn.rpc, a).await?;
    let status = wn.rpc.status().await?;
    let terms = bls_client::fastpath::ChainTerms {
        chain_id: status.chain_id.clone(),
        function_id: a,
        code_hash: hex::decode(&f.function.code_hash)?
            .try_into()
            .map_err(|_| anyhow::anyhow!("code hash"))?,
        expiry_height: status.latest_block_height + 3,
        time_secs: 0,
        time_nanos: 0,
        fee: 1_000_000,
    };
    let (body, _) = signed_body_with(&consumer.key, &terms, "Ada", 1, Nodes::All);
    let (st, v) = post(&format!("{}/api/v1/functions/execute", fp.head_url), &body).await?;
    assert_eq!(st, 400, "{v}");
    assert!(
        v.to_string()
            .contains("composed function runs only in on-chain jobs"),
        "{v}"
    );

    // A cycle: relay R1 → R2 → R1 → … ends at the depth limit.
    let r1 = deploy(&wn.rpc, &authors[0].key, &wasm("relay")?, "{}", 3, 2).await?;
    let r2_manifest = serde_json::json!({"env": {"NEXT": r1.to_string()}, "calls": [r1]});
    let r2 = deploy(
        &wn.rpc,
        &authors[1].key,
        &wasm("relay")?,
        &r2_manifest.to_string(),
        3,
        2,
    )
    .await?;
    let update = MsgUpdateFunction {
        owner: authors[0].address.clone(),
        function_id: r1,
        manifest_json: serde_json::json!({"env": {"NEXT": r2.to_string()}, "calls": [r2]})
            .to_string(),
        ..Default::default()
    };
    send(
        &wn.rpc,
        &authors[0].key,
        vec![encode_any(&update, MSG_UPDATE_FUNCTION)],
    )
    .await?;
    list(r1, "author-a", PRICE_RELAY)?;
    list(r2, "author-b", PRICE_RELAY)?;
    let consumer_key = consumer.key.clone();
    let (paid_before, _) = balance_now(&wn.rpc, &consumer.address).await?;
    let (a0, _) = balance_now(&wn.rpc, &authors[0].address).await?;
    let (b1, _) = balance_now(&wn.rpc, &owner_b).await?;
    let invoked = invoke(&wn.rpc, &consumer_key, r1, b"ping", 10_000_000).await?;
    wait_finalized(&wn.rpc, invoked.job_id, Duration::from_secs(60)).await?;
    let res = result(&wn.rpc, invoked.job_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no result"))?;
    let outcome = Outcome::decode(res.outcome.as_slice())?;
    let said = String::from_utf8_lossy(&outcome.stdout).into_owned();
    assert!(
        said.starts_with("refused: depth-limit: call depth limit 4 reached")
            && said.contains(&format!("path {r2} → {r1} → {r2} → {r1} → {r2}")),
        "{said}"
    );
    // What ran: R1 (invoked) and the four frames below it, each exited 0.
    let ran: Vec<u64> = outcome.calls.iter().map(|c| c.function_id).collect();
    assert_eq!(ran, vec![r2, r1, r2, r1]);
    assert_eq!(ran.len(), MAX_CALL_DEPTH as usize);
    let fee = res.fee;
    let (paid_after, _) = balance_now(&wn.rpc, &consumer.address).await?;
    assert_eq!(
        paid_before - paid_after,
        invoked.tx_fee + fee + 5 * PRICE_RELAY,
        "the fuel fee, R1's price and the four calls that ran: nothing more"
    );
    assert_eq!(
        balance_now(&wn.rpc, &authors[0].address).await?.0 - a0,
        3 * PRICE_RELAY
    );
    assert_eq!(
        balance_now(&wn.rpc, &owner_b).await?.0 - b1,
        2 * PRICE_RELAY
    );
    Ok(())
}
