//! Attack 8 of issue #12, "unanswerable heads", with real processes: cometbft, blsd, three
//! workers and one head worker (`bls-worker --head-listen`) on libp2p. One chain, in order:
//!
//! 1. an honest head's signed answer verifies (`bls_client::head`); the invoker challenges
//!    the charge through a real tx and the head answers by itself (the follower sees the
//!    challenge): the outcome is on chain, the head keeps its bond and earns the deposit; a
//!    report of the honest answer is refused and changes no bond;
//! 2. restarted with `--fault head-lie`, the head serves a tampered outcome under its
//!    signature: the client calls it a provable lie, the invoker's `MsgReportHead` slashes
//!    and jails the head and refunds the fee exactly;
//! 3. unjailed and restarted with `--fault head-silent`, the head settles a request and never
//!    answers its challenge: at the deadline it is slashed and jailed, the invoker gets its
//!    fee and its deposit back.
//!
//! Workers' bonds are never touched.

use std::time::Duration;

use anyhow::Context as _;
use bls_client::head::{report_head, verify_answer, AnswerError, HeadAnswer, HeadEvidence};
use bls_client::rpc::RpcClient;
use bls_e2e::fastpath::{
    fresh_terms, fund_deposit, post, signed_body_with, signed_request, start_with_head, Nodes,
};
use bls_e2e::wait_until;
use bls_e2e::worker::{
    balance_now, deploy, fees_paid, module_address, wasm_path, worker_app_state, worker_record,
    WorkerNet,
};
use bls_orchestration::fastpath::head::queries::HeadChallengeResponse;
use bls_orchestration::fastpath::head::state::ChallengeStatus;
use serde_json::{json, Value};

const HEAD: usize = 3;
/// Three times the minimum head bond, so a slashed head can still unjail.
const HEAD_BOND: u128 = 3_000_000_000;
const DEPOSIT: u128 = 1_000_000;
const SLASH_BPS: u32 = 1_000;
const CHALLENGE_DEPOSIT: u128 = 50_000;
const DISPUTE_WINDOW: u64 = 60;
const CHALLENGE_WINDOW: u64 = 30;
const JAIL: u64 = 5;

fn mul_bps(amount: u128, bps: u32) -> u128 {
    (amount / 10_000) * u128::from(bps) + (amount % 10_000) * u128::from(bps) / 10_000
}

fn app_state() -> Vec<(String, Value)> {
    let mut s = worker_app_state(30, 30);
    for (module, section) in &mut s {
        if module == "orchestration" {
            let p = &mut section["params"];
            p["head_slash_fraction_bps"] = json!(SLASH_BPS);
            p["head_jail_blocks"] = json!(JAIL);
            p["head_dispute_window"] = json!(DISPUTE_WINDOW);
            p["challenge_window"] = json!(CHALLENGE_WINDOW);
            p["challenge_deposit"] = json!(CHALLENGE_DEPOSIT.to_string());
        }
    }
    s
}

async fn challenge_of(rpc: &RpcClient, id: &[u8; 32]) -> anyhow::Result<HeadChallengeResponse> {
    Ok(bls_client::head::head_challenge(rpc, &hex::encode(id)).await?)
}

async fn wait_settled(rpc: &RpcClient, id: &[u8; 32]) -> anyhow::Result<u128> {
    wait_until(
        "the head to settle the request",
        Duration::from_secs(60),
        || async move { Ok(challenge_of(rpc, id).await?.settlement.map(|s| s.fee)) },
    )
    .await
}

async fn head_bond(rpc: &RpcClient, head: &str) -> anyhow::Result<(u128, String)> {
    let r = worker_record(rpc, head).await?;
    Ok((
        r["worker"]["bond"].as_str().context("bond")?.parse()?,
        r["worker"]["status"].as_str().unwrap_or("").to_string(),
    ))
}

/// Bonds of the non-head workers.
async fn worker_bonds(rpc: &RpcClient, wn: &WorkerNet) -> anyhow::Result<Vec<u128>> {
    let mut out = Vec::new();
    for w in &wn.workers[..HEAD] {
        out.push(head_bond(rpc, &w.address).await?.0);
    }
    Ok(out)
}

struct Served {
    id: [u8; 32],
    request: bls_orchestration::fastpath::msgs::SignedRequest,
    answer: HeadAnswer,
    evidence: HeadEvidence,
}

impl Served {
    /// Checks the head's answer as `bls function invoke --fast` does.
    async fn verify(&self, wn: &WorkerNet) -> Result<bls_client::head::Verified, AnswerError> {
        verify_answer(&wn.rpc, &wn.net.chain_id, &self.request, &self.answer).await
    }
}

/// Sends request `nonce` (v2: code, expiry and clock read from the chain now) through the
/// head and returns its answer with the evidence a report needs.
async fn serve(
    wn: &WorkerNet,
    head_url: &str,
    function_id: u64,
    nonce: u64,
) -> anyhow::Result<Served> {
    let terms = fresh_terms(&wn.rpc, function_id).await?;
    let (body, id) = signed_body_with(&wn.invoker, &terms, "Ada", nonce, Nodes::All);
    // Workers trust their view of the head's status for a few seconds: right after an unjail
    // they may still refuse its work orders (503, nothing charged), so ask until they serve.
    let url = format!("{head_url}/api/v1/functions/execute");
    let (url, body) = (&url, &body);
    let v = wait_until(
        "the head to serve",
        Duration::from_secs(30),
        || async move {
            let (st, v) = post(url, body).await?;
            match st {
                200 => Ok(Some(v)),
                503 => Ok(None),
                _ => anyhow::bail!("{st} {v}"),
            }
        },
    )
    .await
    .with_context(|| wn.logs())?;
    let answer: HeadAnswer = serde_json::from_value(v)?;
    let request = signed_request(&wn.invoker, &terms, "Ada", nonce);
    let evidence = HeadEvidence::new(&request, answer.clone());
    Ok(Served {
        id,
        request,
        answer,
        evidence,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attack_unanswerable_head_lying_and_silent_heads_are_slashed_honest_ones_are_not(
) -> anyhow::Result<()> {
    let mut wn = WorkerNet::start_with_state(4, app_state()).await?;
    let fp = start_with_head(&mut wn, HEAD, &format!("{HEAD_BOND}ubls")).await?;
    let rpc = wn.rpc.clone();
    let head = wn.workers[HEAD].address.clone();
    let head_key =
        bls_client::Keyring::test(wn.workers[HEAD].home.join("keyring")).get("worker")?;
    let invoker = wn.invoker.address().to_string();
    let function_id = deploy(
        &rpc,
        &wn.invoker,
        &std::fs::read(wasm_path("hello")?)?,
        "{}",
        3,
        2,
    )
    .await?;
    fund_deposit(&rpc, &wn.invoker, DEPOSIT).await?;
    let workers_before = worker_bonds(&rpc, &wn).await?;
    let challenges = module_address(bls_orchestration::fastpath::head::state::CHALLENGE_ACCOUNT);

    // ---- 1. an honest head answers a challenge by itself ----
    let honest = serve(&wn, &fp.head_url, function_id, 1).await?;
    let v = honest
        .verify(&wn)
        .await
        .context("an honest answer verifies")?;
    assert_eq!(v.outcome.stdout, b"Hello, Ada!\n");
    assert_eq!(v.head, head);
    wait_settled(&rpc, &honest.id).await?;
    let (bond0, _) = head_bond(&rpc, &head).await?;
    assert_eq!(bond0, HEAD_BOND);
    bls_e2e::worker::send(
        &rpc,
        &wn.invoker,
        vec![bls_client::head::challenge_head(
            wn.invoker.address(),
            &honest.id,
        )],
    )
    .await?;
    let (r_, id_) = (&rpc, &honest.id);
    let published = wait_until(
        "the honest head to answer the challenge",
        Duration::from_secs(60),
        || async move {
            let q = challenge_of(r_, id_).await?;
            Ok(match q.challenge.map(|c| c.status) {
                Some(ChallengeStatus::Answered) => q.outcome,
                Some(ChallengeStatus::Unanswered) => {
                    anyhow::bail!("the honest head did not answer")
                }
                _ => None,
            })
        },
    )
    .await
    .with_context(|| wn.logs())?;
    assert_eq!(
        published, honest.answer.outcome,
        "the served outcome is on chain"
    );
    assert_eq!(head_bond(&rpc, &head).await?, (HEAD_BOND, "active".into()));
    assert_eq!(
        balance_now(&rpc, &challenges).await?.0,
        0,
        "deposit paid out"
    );
    // (Only the challenged head may answer: `answered` means the head did it by itself.)
    // Reporting the honest answer proves nothing: refused, no bond moves.
    let refused = bls_e2e::worker::send(
        &rpc,
        &wn.invoker,
        vec![report_head(wn.invoker.address(), &honest.evidence)?],
    )
    .await;
    let e = format!(
        "{:#}",
        refused.expect_err("an honest answer cannot be reported")
    );
    assert!(e.contains("proves no lie"), "{e}");
    assert_eq!(head_bond(&rpc, &head).await?.0, HEAD_BOND);

    // ---- 2. a lying head is reported and slashed ----
    wn.workers[HEAD].stop(Duration::from_secs(10));
    fp.start_head_with(
        &mut wn,
        Duration::from_millis(300),
        &["--fault", "head-lie"],
    )
    .await?;
    let lie = serve(&wn, &fp.head_url, function_id, 2).await?;
    let err = lie
        .verify(&wn)
        .await
        .expect_err("a tampered answer does not verify");
    let AnswerError::Lie(l) = &err else {
        anyhow::bail!("expected a provable lie, got {err}");
    };
    assert_eq!(l.kind(), "served_other_outcome");
    let fee = wait_settled(&rpc, &lie.id).await?;
    let (inv0, h0) = balance_now(&rpc, &invoker).await?;
    let r = bls_e2e::worker::send(
        &rpc,
        &wn.invoker,
        vec![report_head(wn.invoker.address(), &lie.evidence)?],
    )
    .await?;
    let (inv1, h1) = balance_now(&rpc, &invoker).await?;
    let gas = fees_paid(&rpc, &invoker, h0 + 1, h1).await?;
    assert_eq!(inv1, inv0 - gas + fee, "the fee is refunded");
    let slash1 = mul_bps(HEAD_BOND, SLASH_BPS);
    let (bond1, status) = head_bond(&rpc, &head).await?;
    assert_eq!(bond1, HEAD_BOND - slash1 - fee);
    assert_eq!(status, "jailed");
    assert_eq!(
        r.event_attr("bls.head_reported", "lie"),
        Some("served_other_outcome")
    );

    // ---- 3. a silent head is challenged and slashed at the deadline ----
    wn.workers[HEAD].stop(Duration::from_secs(10));
    let after_jail = r.height + JAIL + 1;
    let r_ = &rpc;
    wait_until(
        "the head's jail to end",
        Duration::from_secs(60),
        || async move { Ok((r_.status().await?.latest_block_height >= after_jail).then_some(())) },
    )
    .await?;
    bls_e2e::worker::send(
        &rpc,
        &head_key,
        vec![bls_client::msgs::unjail_worker(head_key.address())],
    )
    .await?;
    fp.start_head_with(
        &mut wn,
        Duration::from_millis(300),
        &["--fault", "head-silent"],
    )
    .await?;
    let silent = serve(&wn, &fp.head_url, function_id, 3).await?;
    silent.verify(&wn).await?;
    let fee = wait_settled(&rpc, &silent.id).await?;
    let (inv0, h0) = balance_now(&rpc, &invoker).await?;
    let c = bls_e2e::worker::send(
        &rpc,
        &wn.invoker,
        vec![bls_client::head::challenge_head(
            wn.invoker.address(),
            &silent.id,
        )],
    )
    .await?;
    assert_eq!(balance_now(&rpc, &challenges).await?.0, CHALLENGE_DEPOSIT);
    let deadline: u64 = c
        .event_attr("bls.head_challenged", "deadline")
        .context("deadline")?
        .parse()?;
    assert_eq!(deadline, c.height + CHALLENGE_WINDOW);
    let (r_, id_) = (&rpc, &silent.id);
    wait_until(
        "the challenge deadline to pass",
        Duration::from_secs(90),
        || async move {
            let q = challenge_of(r_, id_).await?;
            Ok((q.challenge.map(|c| c.status) == Some(ChallengeStatus::Unanswered)).then_some(()))
        },
    )
    .await?;
    let (inv1, h1) = balance_now(&rpc, &invoker).await?;
    let gas = fees_paid(&rpc, &invoker, h0 + 1, h1).await?;
    assert_eq!(inv1, inv0 - gas + fee, "fee refunded and deposit returned");
    let (bond2, status) = head_bond(&rpc, &head).await?;
    assert_eq!(bond2, bond1 - mul_bps(bond1, SLASH_BPS) - fee);
    assert_eq!(status, "jailed");
    assert_eq!(balance_now(&rpc, &challenges).await?.0, 0);
    assert!(wn.workers[HEAD]
        .all_logs()
        .contains("fault injection: not answering the challenge"));

    assert_eq!(
        worker_bonds(&rpc, &wn).await?,
        workers_before,
        "workers untouched"
    );
    Ok(())
}
