//! `bls function invoke --fast`: a signed request to a head worker's
//! `POST /api/v1/functions/execute`, paid from the fast-path deposit, whose answer is
//! accepted only after the head's signature and the workers' signatures verify against the
//! chain (`bls_client::head::verify_answer`). An answer that proves the head lied is saved
//! with the signed request for `bls fastpath report-head`.
//!
//! The request binds the function's deployed code hash, an expiry height (`--expires-in`
//! blocks after the latest block) and the guest clock (the latest block time), all read from
//! the chain before signing; a `--max-fee` below the function's fast-path fee is refused
//! here, before anything is sent.

use std::path::{Path, PathBuf};
use std::time::Duration;

use bls_client::cli::ClientContext;
use bls_client::fastpath::{chain_terms, fast_request_id, signed_execute_body, FastRequest};
use bls_client::head::{verify_answer, AnswerError, HeadAnswer, HeadEvidence};
use bls_client::head_api::{ErrorBody, ExecuteResponse};
use bls_client::KeyPair;
use serde::Serialize;

use crate::errors::CliError;

/// What `bls function invoke --fast` prints.
#[derive(Debug, Serialize)]
pub struct FastResult {
    /// Request id (hex).
    pub request_id: String,
    /// Function id (string, like uint64 in Cosmos JSON).
    pub function_id: String,
    /// The head API that served it.
    pub head: String,
    /// The head worker whose signature on the answer verified.
    pub head_worker: String,
    /// Code hash that ran (hex; equals the deployed code).
    pub code_hash: String,
    /// Quorum result hash (hex).
    pub result_hash: String,
    /// Guest stdout (lossy UTF-8).
    pub stdout: String,
    /// Guest stderr (lossy UTF-8).
    pub stderr: String,
    /// Exit code (`null` for a trap).
    pub exit_code: Option<i32>,
    /// Fuel used.
    pub fuel_used: u64,
    /// Workers whose signatures verified against their registered result keys.
    pub verified_signers: Vec<String>,
    /// Signed results that disagree with the quorum (the head reports them as evidence).
    pub dissent: usize,
}

/// A fast request to send: what to run and where.
#[derive(Debug)]
pub struct FastInvoke {
    /// Head API base URL.
    pub head: String,
    /// Function id.
    pub function_id: u64,
    /// Guest stdin (the head API carries it as text).
    pub stdin: String,
    /// Guest args.
    pub args: Vec<String>,
    /// Extra environment variables.
    pub env: std::collections::BTreeMap<String, String>,
    /// Request-scoped secrets, sealed here to the function's workers.
    pub secrets: Vec<(String, String)>,
    /// Most paid, ubls (`None`: what the request costs now, the fast-path fee plus a listed
    /// price).
    pub max_fee: Option<u128>,
    /// How long to wait for the head.
    pub timeout: Duration,
    /// Where to write the head's signed answer with the signed request (always; a provable
    /// lie is saved even without it).
    pub save: Option<PathBuf>,
    /// Blocks the request stays valid (`None`: [`bls_client::fastpath::DEFAULT_EXPIRES_IN`]).
    pub expires_in: Option<u64>,
}

/// Writes `evidence` to `path` (pretty JSON).
pub fn write_evidence(path: &Path, evidence: &HeadEvidence) -> anyhow::Result<()> {
    let json = serde_json::to_vec_pretty(evidence)?;
    std::fs::write(path, json)
        .map_err(|e| anyhow::anyhow!("writing the head's answer to {}: {e}", path.display()))
}

/// A nonce unique per invoker in practice: the wall clock in nanoseconds (the head caches
/// by request id, so a repeat would be served from its cache, not charged twice).
fn nonce() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// ` --from ADDRESS --yes` plus the node and keyring flags: what a suggested follow-up tx
/// needs to run as printed.
fn sign_flags(ctx: &ClientContext, key: &KeyPair) -> String {
    format!(" --from {} --yes{}", key.address(), ctx.signing_flags())
}

/// Sends the request, verifies the answer, prints it.
pub async fn invoke(ctx: &ClientContext, key: &KeyPair, req: FastInvoke) -> anyhow::Result<()> {
    let head = req.head.trim_end_matches('/').to_string();
    let mut terms = chain_terms(&ctx.rpc()?, req.function_id, req.expires_in).await?;
    if let Some(c) = &ctx.chain_id {
        terms.chain_id = c.clone();
    }
    // By default exactly what the request costs now (the fast-path fee plus a listed price):
    // a generous ceiling would let a price raised before settlement take the difference.
    let max_fee = req.max_fee.unwrap_or(terms.fee);
    if max_fee < terms.fee {
        return Err(CliError::MaxFeeBelowFastFee {
            function: req.function_id,
            max_fee,
            fee: terms.fee,
        }
        .into());
    }
    let mut fr = FastRequest::new(&terms, req.stdin, nonce(), max_fee);
    fr.args = req.args;
    fr.env = req.env;
    if !req.secrets.is_empty() {
        fr.sealed = bls_client::secrets::seal_request_secrets(
            &ctx.rpc()?,
            &terms.chain_id,
            req.function_id,
            key.address().as_str(),
            fr.nonce,
            &req.secrets,
        )
        .await?;
    }
    let (body, _) = signed_execute_body(key, &fr);
    let id = fast_request_id(key, &fr);
    let signed = fr.signed(key);
    let resp = reqwest::Client::builder()
        .timeout(req.timeout)
        .build()?
        .post(format!("{head}/api/v1/functions/execute"))
        .json(&body)
        .send()
        .await
        .map_err(|e| CliError::HeadUnreachable {
            url: head.clone(),
            detail: e.to_string(),
        })?;
    let status = resp.status().as_u16();
    let text = resp.text().await.map_err(|e| CliError::HeadUnreachable {
        url: head.clone(),
        detail: e.to_string(),
    })?;
    if status != 200 {
        let reason = serde_json::from_str::<ErrorBody>(&text)
            .map(|e| e.error)
            .unwrap_or(text);
        return Err(if status == 402 {
            CliError::FastPathUnpaid {
                address: key.address().to_string(),
                reason,
                flags: ctx.signing_flags(),
            }
        } else {
            CliError::HeadRefused {
                url: head,
                status,
                reason,
            }
        }
        .into());
    }
    let r: ExecuteResponse = serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!("the head at {head} answered something else than a result: {e}")
    })?;
    let answer: HeadAnswer = serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!("the head at {head} answered something else than a result: {e}")
    })?;
    let evidence = HeadEvidence::new(&signed, answer.clone());
    if let Some(path) = &req.save {
        write_evidence(path, &evidence)?;
    }
    let v = match verify_answer(&ctx.rpc()?, &fr.chain_id, &signed, &answer).await {
        Ok(v) => v,
        Err(AnswerError::Rpc(e)) => return Err(e.into()),
        Err(AnswerError::Lie(lie)) => {
            let file = req.save.clone().unwrap_or_else(|| {
                PathBuf::from(format!(
                    "bls-head-answer-{}.json",
                    &r.request_id.get(..16).unwrap_or("x")
                ))
            });
            if req.save.is_none() {
                write_evidence(&file, &evidence)?;
            }
            return Err(CliError::HeadLied {
                sign_flags: sign_flags(ctx, key),
                head: answer.head,
                lie: lie.to_string(),
                file,
            }
            .into());
        }
        Err(e) => {
            return Err(CliError::HeadAnswerUnverified {
                sign_flags: sign_flags(ctx, key),
                node_flags: ctx.node_flags(),
                url: head,
                reason: e.to_string(),
                request_id: hex::encode(id),
            }
            .into())
        }
    };
    let outcome = v.outcome;
    let signers = v.signers;
    let out = FastResult {
        request_id: r.request_id.clone(),
        function_id: req.function_id.to_string(),
        head,
        head_worker: v.head,
        code_hash: r.code_hash.clone(),
        result_hash: r.result_hash.clone(),
        // From the verified outcome, not the head's convenience fields.
        stdout: String::from_utf8_lossy(&outcome.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&outcome.stderr).into_owned(),
        exit_code: match outcome.status {
            bls_core::outcome::ExitStatus::Exited(c) => Some(c),
            bls_core::outcome::ExitStatus::Trapped(_) => None,
        },
        fuel_used: outcome.fuel_used,
        verified_signers: signers,
        dissent: r.dissent.len(),
    };
    ctx.emit(&out, |o| {
        format!(
            "{}\nrequest_id: {}\nresult_hash: {}\nexit_code: {}\nfuel_used: {}\nverified: signed by head {} and {} worker signatures ({})",
            o.stdout.trim_end(),
            o.request_id,
            o.result_hash,
            o.exit_code.map_or("trapped".into(), |c| c.to_string()),
            o.fuel_used,
            o.head_worker,
            o.verified_signers.len(),
            o.verified_signers.join(", ")
        )
    })
}
