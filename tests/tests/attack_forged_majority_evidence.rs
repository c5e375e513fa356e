//! Attack 1 of issue #12, forged-majority evidence, through real transactions against
//! cometbft + blsd + bls-workers with a head: an honest request is served and settled; the
//! attacker deploys its own n = 1, m = 1 function, registers one sybil worker, has the sybil
//! sign a zero hash for the public request and submits evidence — with the request as the
//! invoker signed it (the victim function: the sybil is no member of it), and with the
//! request re-pointed at its own function (the invoker's signature no longer verifies). Both
//! are refused and no honest bond changes. A head also refuses a request whose max_fee is
//! below the function's time-priced fast-path fee (402).

use std::time::Duration;

use bls_client::fastpath::{signed_execute_body, FastRequest};
use bls_client::keys::KeyPair;
use bls_client::msgs::{bank_send, register_worker, WorkerRegistration};
use bls_client::send::{send_tx, TxOptions};
use bls_core::module::encode_any;
use bls_core::{Coin, Coins};
use bls_e2e::fastpath::{
    bonds, fresh_terms, fund_deposit, hex32, post, query, request_from_body, signed_body,
    start_with_head, Nodes,
};
use bls_e2e::wait_until;
use bls_e2e::worker::{deploy, send, wasm_path, WorkerNet};
use bls_orchestration::fastpath::msgs::*;
use serde_json::json;

const HEAD: usize = 3;
const HEAD_BOND: &str = "1000000000ubls";

/// Submits `ev` signed by `key`; the chain's log of the refusal (panics if accepted).
async fn refused(wn: &WorkerNet, key: &KeyPair, ev: &MsgSubmitEvidence) -> anyhow::Result<String> {
    let res = send_tx(
        &wn.rpc,
        key,
        vec![encode_any(ev, MSG_SUBMIT_EVIDENCE)],
        &TxOptions::default(),
    )
    .await;
    Ok(match res {
        Ok(r) => {
            assert!(!r.is_ok(), "the forged evidence must be refused: {r:?}");
            r.log.clone()
        }
        Err(e) => e.to_string(),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_forged_majority_evidence() -> anyhow::Result<()> {
    let mut wn = WorkerNet::start(4, 30, 30).await?;
    let fp = start_with_head(&mut wn, HEAD, HEAD_BOND).await?;
    let exec_url = format!("{}/api/v1/functions/execute", fp.head_url);
    let wasm = std::fs::read(wasm_path("hello")?)?;
    let victim_fn = deploy(&wn.rpc, &wn.invoker, &wasm, "{}", 3, 2).await?;
    fund_deposit(&wn.rpc, &wn.invoker, 1_000_000).await?;

    // ---- an honest request, served and settled: its receipt is public ----
    let (body, id) = signed_body(&wn.rpc, &wn.invoker, victim_fn, "Ada", 1, Nodes::All).await?;
    let (st, v) = post(&exec_url, &body).await?;
    assert_eq!(st, 200, "{v}\n{}", wn.logs());
    let id_hex = hex::encode(id);
    wait_until("the receipt settled", Duration::from_secs(60), || {
        let (rpc, id) = (wn.rpc.clone(), id_hex.clone());
        async move {
            let v = query(
                &rpc,
                "/bls.orchestration.v1.Query/FastPathSettled",
                json!({"request_id": id}),
            )
            .await?;
            Ok(v["height"].as_u64())
        }
    })
    .await?;

    // ---- the head refuses a max_fee below the time-priced fee ----
    let terms = fresh_terms(&wn.rpc, victim_fn).await?;
    let flat: u128 = query(&wn.rpc, "/bls.orchestration.v1.Query/Params", json!({})).await?
        ["params"]["fastpath_fee"]
        .as_str()
        .unwrap_or("0")
        .parse()?;
    assert!(terms.fee > flat, "hello's 10 s timeout is priced");
    let cheap = FastRequest::new(&terms, "Ada".into(), 2, terms.fee - 1);
    let (cheap_body, _) = signed_execute_body(&wn.invoker, &cheap);
    let (st, e) = post(&exec_url, &cheap_body).await?;
    assert_eq!(st, 402, "{e}");
    assert!(
        e["error"]
            .as_str()
            .unwrap_or("")
            .contains("below the fast-path fee"),
        "{e}"
    );

    // ---- the attacker: funds, its own n = 1, m = 1 function, one sybil worker ----
    let (attacker, _) = KeyPair::generate()?;
    send(
        &wn.rpc,
        &wn.invoker,
        vec![bank_send(
            wn.invoker.address(),
            attacker.address(),
            &Coins::parse("100000000ubls")?,
        )],
    )
    .await?;
    let reg = WorkerRegistration {
        result_pubkey: attacker.public_key_bytes().to_vec(),
        peer_id: "12D3KooWsybilsybilsybilsybilsybilsybil".into(),
        multiaddrs: vec!["/ip4/127.0.0.1/tcp/9".into()],
        region: "mars".into(),
        network: "AS666".into(),
        memory_mb: 512,
        max_timeout_ms: 60_000,
        http_allowed: false,
        role: "worker".into(),
        bond: Coin::ubls(1_000_000),
        encryption_pubkey: Vec::new(),
    };
    send(
        &wn.rpc,
        &attacker,
        vec![register_worker(attacker.address(), &reg)],
    )
    .await?;
    let own_fn = deploy(&wn.rpc, &attacker, &wasm, r#"{"env":{"A":"1"}}"#, 1, 1).await?;
    let bonds_before = bonds(&wn.rpc).await?;

    // The sybil signs a zero hash for the public request.
    let code = hex32(&v["code_hash"])?;
    let zero = [0u8; 32];
    let sybil = SignedResult {
        worker: attacker.address().to_string(),
        result_hash: zero.to_vec(),
        signature: attacker.sign(&result_digest(&id, &code, &zero)).to_vec(),
    };
    let mut results: Vec<SignedResult> = v["signatures"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            Ok(SignedResult {
                worker: s["worker"].as_str().unwrap_or("").into(),
                result_hash: hex32(&s["result_hash"])?.to_vec(),
                signature: hex::decode(s["signature"].as_str().unwrap_or(""))?,
            })
        })
        .collect::<anyhow::Result<_>>()?;
    results.push(sybil);
    let public_request = request_from_body(&body)?;

    // (a) The request as signed: it names the victim function, whose subnetwork the sybil
    // is not in; its zero hash is no majority of anything.
    let ev = MsgSubmitEvidence {
        submitter: attacker.address().to_string(),
        results: results.clone(),
        request: Some(public_request.clone()),
        outcomes: vec![],
    };
    let log = refused(&wn, &attacker, &ev).await?;
    assert!(log.contains("inconclusive"), "{log}");

    // (b) The request re-pointed at the attacker's own function: the invoker's signature
    // covers the function id.
    let mut repointed = public_request.clone();
    repointed.function_id = own_fn;
    let ev = MsgSubmitEvidence {
        request: Some(repointed),
        ..ev
    };
    let log = refused(&wn, &attacker, &ev).await?;
    assert!(log.contains("invoker signature invalid"), "{log}");

    // Nobody's bond or status moved, the honest signers' least of all.
    assert_eq!(bonds(&wn.rpc).await?, bonds_before);
    for s in v["signatures"].as_array().into_iter().flatten() {
        let w = query(
            &wn.rpc,
            "/bls.registry.v1.Query/Worker",
            json!({"id": s["worker"]}),
        )
        .await?;
        assert_eq!(w["worker"]["status"], "active", "{w}");
        assert_eq!(w["worker"]["slashed_total"], "0", "{w}");
    }
    Ok(())
}
