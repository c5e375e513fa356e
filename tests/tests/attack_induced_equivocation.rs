//! Attack 2 of issue #12, induced equivocation, with real processes (cometbft, blsd, five
//! bls-workers of which two are heads): one invoker-signed request is sent through head A
//! and then through head B, and again through B after one worker was killed and restarted
//! with a fault that would make any fresh execution differ (standing in for an environment
//! that changed: an HTTP origin, a slower machine). Every worker returns the identical signed
//! result each time — the clock is in the signed request, and each worker answers a request
//! id from the answer it persisted — so the evidence an attacker builds from everything it
//! collected proves nothing: refused, and no bond changes. A relay that changes the clock is
//! refused (the invoker's signature no longer verifies), and the invoker pays once.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Context as _;
use bls_client::keys::KeyPair;
use bls_client::send::{send_tx, TxOptions};
use bls_core::module::encode_any;
use bls_e2e::fastpath::{
    bonds, fresh_terms, fund_deposit, hex32, long_lived_app_state, post, query, request_from_body,
    signed_body, start_with_heads, Nodes,
};
use bls_e2e::wait_until;
use bls_e2e::worker::{deploy, send, wasm_path, WorkerNet};
use bls_orchestration::fastpath::msgs::*;
use serde_json::{json, Value};

const HEADS: [usize; 2] = [3, 4];
const HEAD_BOND: &str = "1000000000ubls";
const DEPOSIT: u128 = 1_000_000;

/// worker → (result hash, signature) of an execute answer.
fn signed_by(v: &Value) -> BTreeMap<String, (String, String)> {
    v["signatures"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            (
                s["worker"].as_str().unwrap_or("").to_string(),
                (
                    s["result_hash"].as_str().unwrap_or("").to_string(),
                    s["signature"].as_str().unwrap_or("").to_string(),
                ),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_induced_equivocation() -> anyhow::Result<()> {
    let mut wn = WorkerNet::start_with_state(5, long_lived_app_state()).await?;
    let fps = start_with_heads(&mut wn, &HEADS, HEAD_BOND, Duration::from_millis(300)).await?;
    let (head_a, head_b) = (&fps[0], &fps[1]);
    let exec =
        |fp: &bls_e2e::fastpath::FastPath| format!("{}/api/v1/functions/execute", fp.head_url);
    let wasm = std::fs::read(wasm_path("hello")?)?;
    let function_id = deploy(&wn.rpc, &wn.invoker, &wasm, "{}", 3, 2).await?;
    fund_deposit(&wn.rpc, &wn.invoker, DEPOSIT).await?;
    let fee = fresh_terms(&wn.rpc, function_id).await?.fee;
    let bonds_before = bonds(&wn.rpc).await?;
    assert_eq!(bonds_before.len(), 5);

    // ---- one signed request, through head A, then head B ----
    let (body, id) = signed_body(&wn.rpc, &wn.invoker, function_id, "Ada", 1, Nodes::All).await?;
    let (st, a) = post(&exec(head_a), &body).await?;
    assert_eq!(st, 200, "{a}\n{}", wn.logs());
    let (st, b) = post(&exec(head_b), &body).await?;
    assert_eq!(st, 200, "{b}\n{}", wn.logs());
    let (sig_a, sig_b) = (signed_by(&a), signed_by(&b));
    assert!(sig_a.len() >= 2, "{a}");
    for (worker, signed) in &sig_b {
        assert_eq!(
            sig_a.get(worker),
            Some(signed),
            "{worker} signed the same result both times"
        );
    }
    assert_eq!(a["result_hash"], b["result_hash"]);

    // A relay that rewrites the clock (or anything else the invoker signed) is refused.
    let mut relayed = body.clone();
    relayed["time_secs"] = json!(body["time_secs"].as_u64().unwrap_or(0) + 3600);
    let (st, v) = post(&exec(head_a), &relayed).await?;
    assert_eq!(st, 401, "{v}");

    // ---- settled once; head B's copy of the receipt is refused as a replay ----
    let id_hex = hex::encode(id);
    wait_until("the request settled", Duration::from_secs(60), || {
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
    .await
    .with_context(|| wn.logs())?;
    let journal_b = wn.workers[HEADS[1]].home.join("data/head-receipts.jsonl");
    let journal_a = wn.workers[HEADS[0]].home.join("data/head-receipts.jsonl");
    for journal in [&journal_a, &journal_b] {
        wait_until(
            "both heads' journals drained",
            Duration::from_secs(60),
            || {
                let journal = journal.clone();
                async move {
                    let text = std::fs::read_to_string(&journal).unwrap_or_default();
                    Ok(text.trim().is_empty().then_some(()))
                }
            },
        )
        .await
        .with_context(|| wn.logs())?;
    }

    // ---- a worker restarts with a fault that would change any fresh execution ----
    let victim = (0..5)
        .filter(|i| !HEADS.contains(i))
        .find(|i| sig_a.contains_key(&wn.workers[*i].address))
        .context("a non-head signer")?;
    let victim_addr = wn.workers[victim].address.clone();
    wn.workers[victim].kill();
    let p2p = head_a.p2p[victim].clone();
    wn.start_worker(victim, &["--p2p-listen", &p2p, "--fault", "wrong-result"])
        .await?;
    wait_until(
        "the restarted worker's p2p node",
        Duration::from_secs(60),
        || {
            let logs = wn.workers[victim].all_logs();
            async move { Ok((logs.matches("p2p listening").count() >= 2).then_some(())) }
        },
    )
    .await?;
    // Head B restarts too: its cache is gone and the request is settled, so it serves the
    // same signed request again and asks the workers once more.
    wn.workers[HEADS[1]].kill();
    head_b
        .start_head(&mut wn, Duration::from_millis(300))
        .await?;
    let (st, c) = post(&exec(head_b), &body).await?;
    assert_eq!(st, 200, "{c}\n{}", wn.logs());
    let sig_c = signed_by(&c);
    assert!(
        sig_c.contains_key(&victim_addr),
        "the restarted worker answered: {c}\n{}",
        wn.logs()
    );
    for (worker, signed) in &sig_c {
        assert_eq!(
            sig_a.get(worker),
            Some(signed),
            "{worker} returned the answer it signed before (after a restart, to another head)"
        );
    }
    assert!(
        wn.workers[victim]
            .all_logs()
            .contains("answered from the stored answer"),
        "{}",
        wn.workers[victim].tail(40)
    );
    assert!(c["dissent"].as_array().is_some_and(|d| d.is_empty()), "{c}");

    // ---- the attacker's evidence from everything it collected proves nothing ----
    let (attacker, _) = KeyPair::generate()?;
    send(
        &wn.rpc,
        &wn.invoker,
        vec![bls_client::msgs::bank_send(
            wn.invoker.address(),
            attacker.address(),
            &bls_core::Coins::parse("10000000ubls")?,
        )],
    )
    .await?;
    let results: Vec<SignedResult> = [&a, &b, &c]
        .iter()
        .flat_map(|v| v["signatures"].as_array().cloned().unwrap_or_default())
        .map(|s| {
            Ok(SignedResult {
                worker: s["worker"].as_str().unwrap_or("").into(),
                result_hash: hex32(&s["result_hash"])?.to_vec(),
                signature: hex::decode(s["signature"].as_str().unwrap_or(""))?,
            })
        })
        .collect::<anyhow::Result<_>>()?;
    let ev = MsgSubmitEvidence {
        submitter: attacker.address().to_string(),
        results,
        request: Some(request_from_body(&body)?),
        outcomes: vec![ResultOutcome {
            result_hash: hex32(&a["result_hash"])?.to_vec(),
            outcome: hex::decode(a["outcome"].as_str().unwrap_or(""))?,
        }],
    };
    let res = send_tx(
        &wn.rpc,
        &attacker,
        vec![encode_any(&ev, MSG_SUBMIT_EVIDENCE)],
        &TxOptions::default(),
    )
    .await;
    let log = match res {
        Ok(r) => {
            assert!(!r.is_ok(), "the evidence must be refused");
            r.log.clone()
        }
        Err(e) => e.to_string(),
    };
    assert!(log.contains("inconclusive"), "{log}");
    assert!(log.contains("agree"), "{log}");
    assert_eq!(
        bonds(&wn.rpc).await?,
        bonds_before,
        "no bond or status changed"
    );

    // The invoker paid for the request once, whichever head settled it.
    let dep = query(
        &wn.rpc,
        "/bls.orchestration.v1.Query/FastPathDeposit",
        json!({"invoker": wn.invoker.address().to_string()}),
    )
    .await?;
    assert_eq!(dep["deposit"], (DEPOSIT - fee).to_string(), "{dep}");
    Ok(())
}
