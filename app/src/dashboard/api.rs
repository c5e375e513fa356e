//! JSON routes the dashboard needs beyond `/bls/{module}/{method}`:
//!
//! | route | answer |
//! |---|---|
//! | `GET /dashboard/api/cometbft` | chain id, latest height/time and CometBFT's validator set |
//! | `GET /dashboard/api/supply` | `ubls` total supply and total ever burned (bank) |
//! | `GET /dashboard/api/jobs?limit=&function_id=` | the newest jobs, newest first, with decoded results |
//!
//! Everything is read from this node: CometBFT over its RPC (server side, so the page needs
//! no CORS and no second origin) and the app over the ABCI owner thread.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use bls_core::outcome::{ExitStatus, Outcome};
use bls_orchestration::queries::{IdRequest, JobResponse, ResultRequest, ResultResponse};
use bls_orchestration::state::{Job, JobResult, JobStatus, JOB_SEQ};
use cosmos_sdk_proto::cosmos::bank::v1beta1::{QuerySupplyOfRequest, QuerySupplyOfResponse};
use prost::Message;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use tendermint_proto::v0_38::abci::{request, response, RequestQuery, ResponseQuery};

use crate::rest::RestState;

type Shared = Arc<RestState>;

/// How long a CometBFT RPC call may take before the route gives up.
const RPC_TIMEOUT: Duration = Duration::from_secs(5);
/// Most jobs one `jobs` answer lists.
const MAX_JOBS: u64 = 50;
/// Jobs listed when `limit` is absent.
const DEFAULT_JOBS: u64 = 20;
/// Most job ids one `jobs` answer looks at (bounds the work of a filtered listing).
const MAX_SCAN: u64 = 500;
/// Most characters of a job's input or output shown.
const MAX_TEXT: usize = 4096;

/// Why a dashboard route could not answer.
#[derive(Debug, thiserror::Error)]
pub enum DashboardError {
    /// The application did not answer (shutting down).
    #[error("application is not running")]
    AppUnavailable,
    /// A query answered with an error code.
    #[error("query {path} failed: {log}")]
    Query {
        /// Query path.
        path: String,
        /// The app's log.
        log: String,
    },
    /// An answer could not be decoded.
    #[error("cannot decode {what}: {detail}")]
    Decode {
        /// What was decoded.
        what: &'static str,
        /// Decoder message.
        detail: String,
    },
    /// CometBFT's RPC failed or answered an error.
    #[error("CometBFT RPC {0}")]
    Rpc(String),
}

impl IntoResponse for DashboardError {
    fn into_response(self) -> Response {
        let status = match self {
            DashboardError::AppUnavailable | DashboardError::Rpc(_) => StatusCode::BAD_GATEWAY,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        (status, Json(json!({"error": self.to_string()}))).into_response()
    }
}

fn decode_err(what: &'static str) -> impl FnOnce(String) -> DashboardError {
    move |detail| DashboardError::Decode { what, detail }
}

/// One ABCI query through the app's owner thread.
async fn abci(s: &Shared, path: &str, data: Vec<u8>) -> Result<ResponseQuery, DashboardError> {
    let handle = s.abci.clone();
    let req = RequestQuery {
        data: data.into(),
        path: path.to_string(),
        height: 0,
        prove: false,
    };
    let resp = tokio::task::spawn_blocking(move || handle.call(request::Value::Query(req)))
        .await
        .map_err(|_| DashboardError::AppUnavailable)?;
    match resp {
        Some(response::Value::Query(q)) => Ok(q),
        _ => Err(DashboardError::AppUnavailable),
    }
}

/// A module JSON query; `Ok(None)` when the module answered an error (e.g. not found).
async fn module_json<T: DeserializeOwned>(
    s: &Shared,
    path: &str,
    req: &impl serde::Serialize,
) -> Result<Option<T>, DashboardError> {
    let body = serde_json::to_vec(req).map_err(|e| decode_err("request")(e.to_string()))?;
    let q = abci(s, path, body).await?;
    if q.code != 0 {
        return Ok(None);
    }
    serde_json::from_slice(&q.value)
        .map(Some)
        .map_err(|e| decode_err("module answer")(e.to_string()))
}

/// The raw value under `key` in the latest state (`None` when absent).
async fn store_value(s: &Shared, key: &[u8]) -> Result<Option<Vec<u8>>, DashboardError> {
    let q = abci(s, crate::abci::query::STORE_PATH, key.to_vec()).await?;
    if q.code != 0 {
        return Err(DashboardError::Query {
            path: crate::abci::query::STORE_PATH.into(),
            log: q.log,
        });
    }
    Ok((!q.value.is_empty()).then(|| q.value.to_vec()))
}

async fn rpc(s: &Shared, path_and_query: &str) -> Result<Value, DashboardError> {
    let url = format!("{}/{path_and_query}", s.cometbft_rpc.trim_end_matches('/'));
    let v: Value = s
        .http
        .get(&url)
        .timeout(RPC_TIMEOUT)
        .send()
        .await
        .map_err(|e| DashboardError::Rpc(format!("{path_and_query}: {e}")))?
        .json()
        .await
        .map_err(|e| DashboardError::Rpc(format!("{path_and_query}: {e}")))?;
    if let Some(err) = v.get("error") {
        return Err(DashboardError::Rpc(format!("{path_and_query}: {err}")));
    }
    Ok(v["result"].clone())
}

/// `GET /dashboard/api/cometbft`.
pub async fn cometbft(State(s): State<Shared>) -> Result<Json<Value>, DashboardError> {
    let status = rpc(&s, "status").await?;
    // One page of 100 is CometBFT's maximum; a bigger set shows `total` > listed.
    let vals = rpc(&s, "validators?per_page=100").await?;
    let validators: Vec<Value> = vals["validators"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|v| {
                    json!({
                        "address": v["address"],
                        "voting_power": v["voting_power"],
                        "proposer_priority": v["proposer_priority"],
                        "pub_key": v["pub_key"]["value"],
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let sync = &status["sync_info"];
    Ok(Json(json!({
        "chain_id": status["node_info"]["network"],
        "moniker": status["node_info"]["moniker"],
        "latest_height": sync["latest_block_height"],
        "latest_block_time": sync["latest_block_time"],
        "catching_up": sync["catching_up"],
        "validators_total": vals["total"],
        "validators": validators,
    })))
}

/// `GET /dashboard/api/supply`.
pub async fn supply(State(s): State<Shared>) -> Result<Json<Value>, DashboardError> {
    let denom = bls_core::DENOM;
    let path = "/cosmos.bank.v1beta1.Query/SupplyOf";
    let req = QuerySupplyOfRequest {
        denom: denom.to_string(),
    };
    let q = abci(&s, path, req.encode_to_vec()).await?;
    if q.code != 0 {
        return Err(DashboardError::Query {
            path: path.into(),
            log: q.log,
        });
    }
    let resp = QuerySupplyOfResponse::decode(q.value.as_ref())
        .map_err(|e| decode_err("supply")(e.to_string()))?;
    let supply = resp.amount.map(|c| c.amount).unwrap_or_else(|| "0".into());
    // The bank keeps burn totals in state but has no query for them: read the key.
    let key = bls_bank::state::BURNED.key(denom);
    let burned = match store_value(&s, &key).await? {
        Some(bytes) => serde_json::from_slice::<String>(&bytes)
            .map_err(|e| decode_err("burned total")(e.to_string()))?,
        None => "0".into(),
    };
    Ok(Json(
        json!({"denom": denom, "supply": supply, "burned": burned}),
    ))
}

/// Query of `GET /dashboard/api/jobs`.
#[derive(Debug, Default, Deserialize)]
pub struct JobsParams {
    /// Most jobs to list (≤ 50).
    pub limit: Option<u64>,
    /// Only this function's jobs.
    pub function_id: Option<u64>,
}

/// `GET /dashboard/api/jobs`: walks job ids down from the newest (the orchestration `Jobs`
/// query lists oldest first), looking at no more than [`MAX_SCAN`] ids.
pub async fn jobs(
    State(s): State<Shared>,
    Query(p): Query<JobsParams>,
) -> Result<Json<Value>, DashboardError> {
    let limit = p.limit.unwrap_or(DEFAULT_JOBS).clamp(1, MAX_JOBS);
    let latest: u64 = match store_value(&s, JOB_SEQ.as_slice()).await? {
        Some(bytes) => {
            serde_json::from_slice(&bytes).map_err(|e| decode_err("job sequence")(e.to_string()))?
        }
        None => 0,
    };
    let lowest = latest.saturating_sub(MAX_SCAN);
    let mut out = Vec::new();
    let mut id = latest;
    while id > lowest && (out.len() as u64) < limit {
        let job_path = "/bls.orchestration.v1.Query/Job";
        if let Some(JobResponse { job }) = module_json(&s, job_path, &IdRequest { id }).await? {
            if p.function_id.is_none_or(|f| f == job.function_id) {
                let result = if job.status == JobStatus::Finalized {
                    let path = "/bls.orchestration.v1.Query/Result";
                    module_json::<ResultResponse>(&s, path, &ResultRequest { job_id: id })
                        .await?
                        .map(|r| r.result)
                } else {
                    None
                };
                out.push(job_json(&job, result.as_ref()));
            }
        }
        id -= 1;
    }
    Ok(Json(json!({
        "latest_job_id": latest.to_string(),
        "scanned_from": (id + 1).to_string(),
        "jobs": out,
    })))
}

fn text(bytes: &[u8]) -> (String, bool) {
    let s = String::from_utf8_lossy(bytes);
    let cut = s.chars().count() > MAX_TEXT;
    (s.chars().take(MAX_TEXT).collect(), cut)
}

fn job_json(job: &Job, result: Option<&JobResult>) -> Value {
    let (input, input_cut) = text(job.input.as_slice());
    let assignments: Vec<Value> = job
        .assignments
        .iter()
        .map(|a| {
            json!({
                "worker": a.worker.to_string(),
                "committed": a.commitment.is_some(),
                "revealed": a.result_hash.is_some(),
                "result_hash": a.result_hash,
            })
        })
        .collect();
    json!({
        "id": job.id.to_string(),
        "function_id": job.function_id.to_string(),
        "invoker": job.invoker.to_string(),
        "status": job.status.as_str(),
        "round": job.round,
        "height": job.height.to_string(),
        "input": input,
        "input_truncated": input_cut,
        "args": job.args,
        "max_fee": job.max_fee.to_string(),
        "replication": job.replication,
        "quorum": job.quorum,
        "failure": job.failure,
        "assignments": assignments,
        "result": result.map(result_json),
    })
}

fn result_json(r: &JobResult) -> Value {
    let outcome = match Outcome::decode(r.outcome.as_slice()) {
        Ok(o) => {
            let (stdout, stdout_cut) = text(&o.stdout);
            let (stderr, stderr_cut) = text(&o.stderr);
            let status = match o.status {
                ExitStatus::Exited(code) => format!("exit {code}"),
                ExitStatus::Trapped(kind) => format!("trap: {kind}"),
            };
            json!({
                "status": status,
                "stdout": stdout,
                "stdout_truncated": o.stdout_truncated || stdout_cut,
                "stderr": stderr,
                "stderr_truncated": o.stderr_truncated || stderr_cut,
            })
        }
        Err(e) => json!({"error": e.to_string()}),
    };
    json!({
        "result_hash": r.result_hash,
        "workers": r.workers.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "fee": r.fee.to_string(),
        "fuel_used": r.fuel_used.to_string(),
        "height": r.height.to_string(),
        "outcome": outcome,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_cuts_long_output_and_keeps_short_output() {
        assert_eq!(text(b"hi"), ("hi".to_string(), false));
        let long = vec![b'a'; MAX_TEXT + 10];
        let (s, cut) = text(&long);
        assert!(cut);
        assert_eq!(s.len(), MAX_TEXT);
        // Invalid UTF-8 is shown lossily, never rejected.
        assert_eq!(text(&[0xff]).0, "\u{fffd}");
    }

    #[test]
    fn result_json_decodes_the_outcome() {
        let o = Outcome {
            status: ExitStatus::Exited(0),
            stdout: b"Hello, Ada!\n".to_vec(),
            stdout_truncated: false,
            stderr: Vec::new(),
            stderr_truncated: false,
            fuel_used: 42,
            wall_time: Duration::ZERO,
            trap_message: None,
        };
        let r = JobResult {
            job_id: 1,
            function_id: 2,
            result_hash: "ab".into(),
            outcome: o.canonical_bytes().into(),
            workers: Vec::new(),
            fee: 7,
            fuel_used: 42,
            height: 9,
        };
        let v = result_json(&r);
        assert_eq!(v["outcome"]["stdout"], "Hello, Ada!\n");
        assert_eq!(v["outcome"]["status"], "exit 0");
        assert_eq!(v["fee"], "7");
        let bad = JobResult {
            outcome: b"junk".to_vec().into(),
            ..r
        };
        assert!(result_json(&bad)["outcome"]["error"].is_string());
    }
}
