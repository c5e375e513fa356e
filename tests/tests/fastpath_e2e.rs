//! The fast path with real processes: cometbft, blsd, three workers and one head worker
//! talking libp2p (tcp + noise + yamux, request-response).
//!
//! One chain, in order: the head's HTTP API returns the quorum result of `hello` with three
//! valid worker signatures, the workers got the code from a peer; unsigned, badly signed
//! and unfunded requests are refused with 4xx; N requests settle on chain with exact
//! deposit, worker, head, community and burn changes; a replayed receipt is rejected; the
//! result equals the on-chain path's; a killed worker does not stop the head; a lying
//! worker's signed result submitted as evidence gets it slashed and jailed.

use std::time::Duration;

use anyhow::Context as _;
use bls_client::fastpath::{signed_execute_body, FastRequest};
use bls_client::keys::KeyPair;
use bls_client::rpc::RpcClient;
use bls_client::send::{send_tx, TxOptions};
use bls_core::module::encode_any;
use bls_e2e::fastpath::{
    check_signatures, fresh_terms, fund_deposit, hex32, post, query, request_from_body,
    signed_body, start_with_head, Nodes,
};
use bls_e2e::wait_until;
use bls_e2e::worker::{
    balance_now, block_results, deploy, fees_paid, invoke, module_address, parse_ubls, supply_now,
    wait_finalized, wasm_path, WorkerNet,
};
use bls_orchestration::fastpath::handlers::{fastpath_split, InvocationSplit};
use bls_orchestration::fastpath::msgs::*;
use serde_json::json;

const HEAD: usize = 3;
const HEAD_BOND: &str = "1000000000ubls";
const DEPOSIT: u128 = 1_000_000;

fn mul_bps(amount: u128, bps: u32) -> u128 {
    let bps = u128::from(bps.min(10_000));
    (amount / 10_000) * bps + (amount % 10_000) * bps / 10_000
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fast_path_executes_settles_and_polices() -> anyhow::Result<()> {
    let mut wn = WorkerNet::start(4, 30, 30).await?;
    // Worker 3 becomes the head: same key, role head, the head bond.
    let fp = start_with_head(&mut wn, HEAD, HEAD_BOND).await?;
    let p2p_flag = |i: usize| fp.p2p[i].clone();
    let head_url = fp.head_url.clone();
    let head_addr = wn.workers[HEAD].address.clone();
    let rec = query(
        &wn.rpc,
        "/bls.registry.v1.Query/Worker",
        json!({"id": head_addr}),
    )
    .await?;
    assert_eq!(rec["worker"]["role"], "head");
    assert_eq!(rec["worker"]["multiaddrs"][0], p2p_flag(HEAD));

    let wasm_file = wasm_path("hello")?;
    let function_id = deploy(
        &wn.rpc,
        &wn.invoker,
        &std::fs::read(&wasm_file)?,
        "{}",
        3,
        2,
    )
    .await?;
    let invoker = wn.invoker.address().to_string();
    fund_deposit(&wn.rpc, &wn.invoker, DEPOSIT).await?;
    let chain_id = wn.net.chain_id.clone();
    let exec_url = format!("{head_url}/api/v1/functions/execute");

    // ---- refusals: 4xx with a reason, nothing executed ----
    let (mut unsigned, _) =
        signed_body(&wn.rpc, &wn.invoker, function_id, "Ada", 100, Nodes::All).await?;
    unsigned["signature"] = json!("");
    let (st, v) = post(&exec_url, &unsigned).await?;
    assert_eq!(st, 401, "{v}");
    assert!(
        v["error"].as_str().unwrap_or("").contains("unsigned"),
        "{v}"
    );
    let (mut forged, _) =
        signed_body(&wn.rpc, &wn.invoker, function_id, "Ada", 101, Nodes::All).await?;
    forged["config"]["stdin"] = json!("Eve"); // signed for "Ada"
    let (st, v) = post(&exec_url, &forged).await?;
    assert_eq!(st, 401, "{v}");
    let (poor, _) = KeyPair::generate()?;
    let (unfunded, _) = signed_body(&wn.rpc, &poor, function_id, "Ada", 1, Nodes::All).await?;
    let (st, v) = post(&exec_url, &unfunded).await?;
    assert_eq!(st, 402, "{v}");
    assert!(v["error"].as_str().unwrap_or("").contains("deposit"), "{v}");
    let (st, v) = post(&exec_url, &json!({"function_id": []})).await?;
    assert!((400..500).contains(&st), "{st} {v}");
    let big = json!({"function_id": "1", "config": {"stdin": "x".repeat(400 * 1024)}});
    let (st, _) = post(&exec_url, &big).await?;
    assert_eq!(st, 413);
    // Request v2 fields: malformed, expired, too far ahead, or for code the function does not
    // run — each refused with the reason before anything runs.
    let terms = fresh_terms(&wn.rpc, function_id).await?;
    let tip = wn.net.height(0).await?;
    let v2 = |nonce: u64, edit: &dyn Fn(&mut FastRequest)| {
        let mut r = FastRequest::new(&terms, "Ada".into(), nonce, 5_000);
        edit(&mut r);
        signed_execute_body(&wn.invoker, &r).0
    };
    let mut no_code = v2(200, &|_| {});
    no_code["code_hash"] = json!("zz");
    for (body, status, why) in [
        (no_code, 400, "code_hash must be 32 bytes"),
        (v2(201, &|r| r.expiry_height = 0), 400, "expiry_height"),
        (
            v2(202, &|r| r.time_nanos = 1_000_000_000),
            400,
            "time_nanos",
        ),
        (v2(203, &|r| r.expiry_height = 1), 400, "expired"),
        (
            v2(204, &|r| r.expiry_height = tip + 100_000),
            400,
            "fastpath_request_ttl",
        ),
        (v2(205, &|r| r.code_hash = [3; 32]), 400, "asks for code"),
    ] {
        let (st, v) = post(&exec_url, &body).await?;
        assert_eq!(st, status, "{why}: {v}");
        assert!(
            v["error"].as_str().unwrap_or("").contains(why),
            "{why}: {v}"
        );
    }

    // ---- N requests, then exact settlement ----
    let (supply_before, h0) = supply_now(&wn.rpc).await?;
    let mut before = std::collections::BTreeMap::new();
    for w in &wn.workers {
        before.insert(w.address.clone(), balance_now(&wn.rpc, &w.address).await?.0);
    }

    const N: u64 = 3;
    let names = ["Ada", "Grace", "Linus"];
    let mut responses = Vec::new();
    let mut bodies = Vec::new();
    for (nonce, name) in (1..=N).zip(names) {
        let (body, id) =
            signed_body(&wn.rpc, &wn.invoker, function_id, name, nonce, Nodes::All).await?;
        let (st, v) = post(&exec_url, &body).await?;
        assert_eq!(st, 200, "{v}\n{}", wn.logs());
        assert_eq!(v["request_id"], hex::encode(id));
        assert_eq!(v["stdout"], format!("Hello, {name}!\n"));
        assert_eq!(v["exit_code"], 0);
        let signers = check_signatures(&wn.rpc, &v).await?;
        assert_eq!(signers.len(), 3, "three valid signatures: {v}");
        assert!(v["dissent"].as_array().is_some_and(|d| d.is_empty()));
        if nonce == 1 {
            // The same signed request again: served from the cache, charged once.
            let (st, again) = post(&exec_url, &body).await?;
            assert_eq!(st, 200);
            assert_eq!(again, v);
            let (st, cached) = post(
                &format!("{head_url}/api/v1/functions/requests/result"),
                &json!({"request_id": hex::encode(id)}),
            )
            .await?;
            assert_eq!((st, &cached), (200, &v));
        }
        responses.push(v);
        bodies.push(body);
    }
    // Workers that executed had never run the function: they compiled it when the chain
    // placed them in its subnetwork (or, had that not finished, got the blob from a peer).
    for w in &wn.workers[..3] {
        let signed = responses.iter().any(|r| {
            r["signatures"]
                .as_array()
                .is_some_and(|s| s.iter().any(|s| s["worker"] == w.address.as_str()))
        });
        if signed {
            let logs = w.all_logs();
            assert!(
                logs.contains("code prefetched and compiled on placement")
                    || logs.contains("code blob fetched from peer"),
                "{} executed without loading the code first:\n{}",
                w.name,
                w.tail(30)
            );
        }
    }

    for r in &responses {
        let id = r["request_id"].as_str().unwrap_or("").to_string();
        wait_until(
            &format!("request {id} settled"),
            Duration::from_secs(30),
            || {
                let rpc = wn.rpc.clone();
                let id = id.clone();
                async move {
                    let v = query(
                        &rpc,
                        "/bls.orchestration.v1.Query/FastPathSettled",
                        json!({"request_id": id}),
                    )
                    .await?;
                    Ok(v["height"].as_u64())
                }
            },
        )
        .await?;
    }
    // Let the last settlement block's end-block (fee burn) land before reading.
    let settled_at = wn.net.height(0).await?;
    wn.net
        .wait_height(0, settled_at + 2, Duration::from_secs(20))
        .await?;

    let split_v = query(&wn.rpc, "/bls.fees.v1.Query/InvocationSplit", json!({})).await?;
    let split: InvocationSplit = serde_json::from_value(split_v["split"].clone())?;
    // The chain's own fee function: the flat fee plus hello's timeout priced per second.
    let fee = fresh_terms(&wn.rpc, function_id).await?.fee;
    let orch = query(&wn.rpc, "/bls.orchestration.v1.Query/Params", json!({})).await?;
    let flat: u128 = orch["params"]["fastpath_fee"]
        .as_str()
        .context("fastpath_fee")?
        .parse()?;
    assert!(fee > flat, "the timeout is priced: {fee} > {flat}");
    let s3 = fastpath_split(&split, fee, 3);
    assert!(s3.per_worker > 0 && s3.head > 0 && s3.burn > 0);

    let dep = query(
        &wn.rpc,
        "/bls.orchestration.v1.Query/FastPathDeposit",
        json!({"invoker": invoker}),
    )
    .await?;
    assert_eq!(dep["deposit"], (DEPOSIT - u128::from(N) * fee).to_string());
    assert_eq!(
        balance_now(
            &wn.rpc,
            &module_address(bls_orchestration::fastpath::state::FASTPATH_ACCOUNT)
        )
        .await?
        .0,
        DEPOSIT - u128::from(N) * fee
    );
    let (supply_after, h1) = supply_now(&wn.rpc).await?;
    for w in &wn.workers {
        let (bal, h) = balance_now(&wn.rpc, &w.address).await?;
        let times = responses
            .iter()
            .filter(|r| {
                r["signatures"]
                    .as_array()
                    .is_some_and(|s| s.iter().any(|s| s["worker"] == w.address.as_str()))
            })
            .count() as u128;
        let mut expected = before[&w.address] + times * s3.per_worker;
        if w.address == head_addr {
            expected = expected + u128::from(N) * s3.head
                - fees_paid(&wn.rpc, &w.address, h0 + 1, h).await?;
        }
        assert_eq!(
            bal, expected,
            "balance of {} ({} signatures)",
            w.name, times
        );
    }
    // Supply fell by exactly the fast-path burn plus the burn share of the block fees.
    let fp = query(&wn.rpc, "/bls.fees.v1.Query/Params", json!({})).await?;
    let burn_ratio = fp["params"]["burn_ratio"].as_u64().context("burn_ratio")? as u32;
    let mut gas_burn = 0u128;
    for hh in h0 + 1..=h1 {
        gas_burn += mul_bps(tx_fees_in_block(&wn.rpc, hh).await?, burn_ratio);
    }
    assert_eq!(
        supply_before - supply_after,
        u128::from(N) * s3.burn + gas_burn
    );

    // ---- a replayed receipt is rejected by the chain ----
    let head_key =
        bls_client::Keyring::test(wn.workers[HEAD].home.join("keyring")).get("worker")?;
    let r0 = &responses[0];
    let replay = MsgSettleReceipts {
        head: head_addr.clone(),
        receipts: vec![Receipt {
            request: Some(request_from_body(&bodies[0])?),
            code_hash: hex32(&r0["code_hash"])?.to_vec(),
            result_hash: hex32(&r0["result_hash"])?.to_vec(),
            signatures: r0["signatures"]
                .as_array()
                .context("signatures")?
                .iter()
                .map(|s| WorkerSignature {
                    worker: s["worker"].as_str().unwrap_or("").into(),
                    signature: hex::decode(s["signature"].as_str().unwrap_or(""))
                        .unwrap_or_default(),
                })
                .collect(),
        }],
    };
    let res = send_tx(
        &wn.rpc,
        &head_key,
        vec![encode_any(&replay, MSG_SETTLE_RECEIPTS)],
        &TxOptions::default(),
    )
    .await;
    let log = match res {
        Ok(r) => {
            assert!(!r.is_ok(), "a replayed receipt must fail");
            r.log.clone()
        }
        Err(e) => e.to_string(),
    };
    assert!(log.contains("already settled"), "{log}");
    // The chain's fast-path totals: exactly the N receipts, nothing of the rejected replay.
    let stats = query(
        &wn.rpc,
        "/bls.orchestration.v1.Query/FastPathStats",
        json!({}),
    )
    .await?;
    let n = u128::from(N);
    for (field, want) in [
        ("receipts_settled", n),
        ("fees_charged", n * fee),
        ("burned", n * s3.burn),
        ("to_heads", n * s3.head),
        ("to_workers", n * 3 * s3.per_worker),
        ("to_community", n * s3.community),
        ("deposits", DEPOSIT - n * fee),
    ] {
        assert_eq!(stats[field], want.to_string(), "{field}: {stats}");
    }

    // ---- the on-chain path gives the same result for the same input ----
    let inv = invoke(&wn.rpc, &wn.invoker, function_id, b"Ada", 1_000_000).await?;
    let onchain = wait_finalized(&wn.rpc, inv.job_id, Duration::from_secs(90))
        .await
        .with_context(|| wn.logs())?;
    assert_eq!(
        onchain.result_hash,
        responses[0]["result_hash"].as_str().unwrap_or("")
    );

    // ---- a killed worker: the head completes with the others ----
    let victim = responses[0]["signatures"]
        .as_array()
        .context("signatures")?
        .iter()
        .filter_map(|s| s["worker"].as_str())
        .find_map(|a| wn.workers[..3].iter().position(|w| w.address == a))
        .context("a non-head signer")?;
    wn.workers[victim].kill();
    let victim_addr = wn.workers[victim].address.clone();
    let (body, _) = signed_body(
        &wn.rpc,
        &wn.invoker,
        function_id,
        "Ada",
        10,
        Nodes::Count(4),
    )
    .await?;
    let (st, v) = post(&exec_url, &body).await?;
    assert_eq!(st, 200, "{v}\n{}", wn.logs());
    let signers = check_signatures(&wn.rpc, &v).await?;
    assert!(signers.len() >= 2 && !signers.contains(&victim_addr), "{v}");
    assert!(
        v["failures"].as_array().is_some_and(|f| f
            .iter()
            .any(|f| f.as_str().unwrap_or("").contains(&victim_addr))),
        "{v}"
    );

    // ---- a lying worker: its signed result is evidence; it is slashed and jailed ----
    let flag = p2p_flag(victim);
    wn.workers[victim].start(&["--p2p-listen", &flag, "--fault", "wrong-result"])?;
    let (body, id) = signed_body(
        &wn.rpc,
        &wn.invoker,
        function_id,
        "Ada",
        11,
        Nodes::Count(4),
    )
    .await?;
    wait_until("the liar's p2p node", Duration::from_secs(60), || {
        let logs = wn.workers[victim].all_logs();
        async move { Ok(logs.matches("p2p listening").count().ge(&2).then_some(())) }
    })
    .await?;
    let bond_before: u128 = parse_ubls(&format!(
        "{}ubls",
        query(
            &wn.rpc,
            "/bls.registry.v1.Query/Worker",
            json!({"id": victim_addr})
        )
        .await?["worker"]["bond"]
            .as_str()
            .unwrap_or("0")
    ))?;
    let (st, v) = post(&exec_url, &body).await?;
    assert_eq!(st, 200, "{v}\n{}", wn.logs());
    assert!(
        v["dissent"]
            .as_array()
            .is_some_and(|d| d.iter().any(|d| d["worker"] == victim_addr.as_str())),
        "the liar's signed result is reported: {v}\n{}",
        wn.logs()
    );
    let results: Vec<SignedResult> = v["signatures"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(v["dissent"].as_array().into_iter().flatten())
        .map(|s| {
            Ok(SignedResult {
                worker: s["worker"].as_str().unwrap_or("").into(),
                result_hash: hex32(&s["result_hash"])?.to_vec(),
                signature: hex::decode(s["signature"].as_str().unwrap_or(""))?,
            })
        })
        .collect::<anyhow::Result<_>>()?;
    // The head reports the conflict itself; the liar ends up slashed and jailed.
    let rec = wait_until("the liar jailed", Duration::from_secs(30), || {
        let rpc = wn.rpc.clone();
        let liar = victim_addr.clone();
        async move {
            let r = query(&rpc, "/bls.registry.v1.Query/Worker", json!({"id": liar})).await?;
            Ok((r["worker"]["status"] == "jailed").then_some(r))
        }
    })
    .await
    .with_context(|| wn.logs())?;
    let bond_after: u128 = rec["worker"]["bond"].as_str().unwrap_or("0").parse()?;
    assert!(
        bond_after < bond_before,
        "slashed: {bond_before} -> {bond_after}"
    );
    // Anyone may submit evidence (here the invoker, with its own signed request and the
    // majority's outcome from the answer); the same offence is punished once.
    let ev = MsgSubmitEvidence {
        submitter: invoker.clone(),
        results,
        request: Some(request_from_body(&body)?),
        outcomes: vec![ResultOutcome {
            result_hash: hex32(&v["result_hash"])?.to_vec(),
            outcome: hex::decode(v["outcome"].as_str().unwrap_or(""))?,
        }],
    };
    assert_eq!(request_from_body(&body)?.verify(&chain_id)?.id, id);
    let res = send_tx(
        &wn.rpc,
        &wn.invoker,
        vec![encode_any(&ev, MSG_SUBMIT_EVIDENCE)],
        &TxOptions::default(),
    )
    .await;
    let log = match res {
        Ok(r) => {
            assert!(!r.is_ok(), "already punished: the evidence must be refused");
            r.log.clone()
        }
        Err(e) => e.to_string(),
    };
    assert!(log.contains("already punished"), "{log}");
    let rec = query(
        &wn.rpc,
        "/bls.registry.v1.Query/Worker",
        json!({"id": victim_addr}),
    )
    .await?;
    assert_eq!(
        rec["worker"]["bond"]
            .as_str()
            .unwrap_or("0")
            .parse::<u128>()?,
        bond_after,
        "not slashed twice"
    );
    for s in v["signatures"].as_array().into_iter().flatten() {
        let w = query(
            &wn.rpc,
            "/bls.registry.v1.Query/Worker",
            json!({"id": s["worker"]}),
        )
        .await?;
        assert_eq!(
            w["worker"]["status"], "active",
            "honest signer untouched: {w}"
        );
    }
    Ok(())
}

/// Sum of the ubls fees of every tx in block `h`.
async fn tx_fees_in_block(rpc: &RpcClient, h: u64) -> anyhow::Result<u128> {
    let r = block_results(rpc, h).await?;
    let mut total = 0u128;
    for t in &r.txs {
        if let Some(fee) = t
            .events
            .iter()
            .filter(|e| e.kind == "tx")
            .find_map(|e| e.attr("fee").map(str::to_string))
        {
            total += parse_ubls(&fee)?;
        }
    }
    Ok(total)
}
