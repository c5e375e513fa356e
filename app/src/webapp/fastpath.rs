//! The web app's fast path: a browser wallet signs a request's text
//! (`bls_orchestration::fastpath::request::request_text`) and the page posts it to a head
//! itself; this node only reads the terms to sign and checks the head's answer.
//!
//! - `GET /app/api/fastpath/terms?function_id=N[&expires_in=K]`: what a request of function
//!   `N` must bind now (the chain id, code hash, expiry, guest clock, fee), read from the chain
//!   as the CLI reads them (`bls_client::fastpath::chain_terms`).
//! - `POST /app/api/fastpath/check` `{request, answer}`: the execute body the page sent and the
//!   head's answer, checked by the CLI's own rule (`bls_client::head::verify_answer`: the
//!   head's and every worker's signature against their registered keys, the code, the
//!   window, the chain's judge). A lie the rule proves comes back with the evidence to report.
//!
//! Each check reads the chain several times: at most [`MAX_CONCURRENT_CHECKS`] run at once on
//! a node, the rest are refused (503) rather than queued, so a page cannot stall the node.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use bls_client::fastpath::chain_terms;
use bls_client::head::{verify_answer, AnswerError, HeadAnswer, HeadEvidence};
use bls_client::head_api::ExecuteRequest;
use bls_client::rpc::RpcClient;
use bls_core::outcome::{ExitStatus, Outcome};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::Semaphore;

use crate::rest::RestState;

/// Most answer checks running at once on this node.
pub const MAX_CONCURRENT_CHECKS: usize = 8;

/// Shared by every REST server of the process (one per node in practice).
static CHECKS: Semaphore = Semaphore::const_new(MAX_CONCURRENT_CHECKS);

/// A refused call: its status and `{"error": ...}`.
pub struct Refusal(StatusCode, String);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.0, Json(json!({"error": self.1}))).into_response()
    }
}

fn refuse(status: StatusCode, message: impl std::fmt::Display) -> Refusal {
    Refusal(status, message.to_string())
}

fn rpc(s: &RestState) -> Result<RpcClient, Refusal> {
    RpcClient::new(&s.cometbft_rpc)
        .map_err(|e| refuse(StatusCode::INTERNAL_SERVER_ERROR, format!("node RPC: {e}")))
}

/// `GET /app/api/fastpath/terms` query.
#[derive(Deserialize)]
pub struct TermsQuery {
    function_id: u64,
    #[serde(default)]
    expires_in: Option<u64>,
}

/// The terms a request of a function must bind now.
pub async fn terms(
    State(s): State<Arc<RestState>>,
    Query(q): Query<TermsQuery>,
) -> Result<Response, Refusal> {
    let rpc = rpc(&s)?;
    match chain_terms(&rpc, q.function_id, q.expires_in).await {
        Ok(t) => Ok(Json(json!({
            "chain_id": t.chain_id,
            "function_id": t.function_id.to_string(),
            "code_hash": hex::encode(t.code_hash),
            "expiry_height": t.expiry_height,
            "time_secs": t.time_secs,
            "time_nanos": t.time_nanos,
            "fee": t.fee.to_string(),
        }))
        .into_response()),
        Err(bls_client::fastpath::FastPathError::Rpc(e)) => Err(refuse(
            StatusCode::BAD_GATEWAY,
            format!("reading the chain: {e}"),
        )),
        Err(e) => Err(refuse(StatusCode::BAD_REQUEST, e)),
    }
}

/// `POST /app/api/fastpath/check` body.
#[derive(Deserialize)]
pub struct CheckRequest {
    /// The execute body the page sent to the head.
    request: ExecuteRequest,
    /// The head's answer.
    answer: HeadAnswer,
}

/// Checks a head's answer to a request by the chain's rule.
pub async fn check(
    State(s): State<Arc<RestState>>,
    Json(c): Json<CheckRequest>,
) -> Result<Response, Refusal> {
    let Ok(_permit) = CHECKS.try_acquire() else {
        return Err(refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("{MAX_CONCURRENT_CHECKS} answer checks are running on this node: retry"),
        ));
    };
    let signed = bls_client::fastpath::signed_body(&c.request)
        .map_err(|e| refuse(StatusCode::BAD_REQUEST, format!("request: {e}")))?
        .request;
    let rpc = rpc(&s)?;
    let chain_err = |e: bls_client::rpc::RpcError| {
        refuse(StatusCode::BAD_GATEWAY, format!("reading the chain: {e}"))
    };
    let chain_id = rpc.status().await.map_err(chain_err)?.chain_id;
    Ok(
        match verify_answer(&rpc, &chain_id, &signed, &c.answer).await {
            Ok(v) => {
                let o: &Outcome = &v.outcome;
                // From the verified outcome, not the head's convenience fields.
                Json(json!({
                    "verified": true,
                    "request_id": c.answer.request_id,
                    "head": v.head,
                    "code_hash": c.answer.code_hash,
                    "result_hash": c.answer.result_hash,
                    "stdout": String::from_utf8_lossy(&o.stdout),
                    "stderr": String::from_utf8_lossy(&o.stderr),
                    "exit_code": match o.status {
                        ExitStatus::Exited(c) => Some(c),
                        ExitStatus::Trapped(_) => None,
                    },
                    "fuel_used": o.fuel_used,
                    "signers": v.signers,
                }))
                .into_response()
            }
            Err(AnswerError::Rpc(e)) => return Err(chain_err(e)),
            Err(e) => {
                let lie = e.lie().map(|l| format!("{l:?}"));
                let evidence = lie
                    .as_ref()
                    .map(|_| HeadEvidence::new(&signed, c.answer.clone()));
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Json(json!({
                        "verified": false,
                        "error": format!("the head's answer does not verify: {e}"),
                        "lie": lie,
                        "evidence": evidence,
                    })),
                )
                    .into_response()
            }
        },
    )
}
