//! JSON routes the dashboard needs beyond `/bls/{module}/{method}`:
//!
//! | route | answer |
//! |---|---|
//! | `GET /dashboard/api/cometbft` | chain id, latest height/time and CometBFT's validator set |
//! | `GET /dashboard/api/supply` | `ubls` total supply and total ever burned (bank) |
//! | `GET /dashboard/api/jobs?limit=&function_id=` | the newest jobs, newest first, with decoded results |
//! | `GET /dashboard/api/settlements?limit=` | the newest fast-path settlements (CometBFT `tx_search`), newest first |
//!
//! Everything is read from this node: CometBFT over its RPC (server side, so the page needs
//! no CORS and no second origin) and the app over the ABCI owner thread.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use bls_core::outcome::{ExitStatus, Outcome};
use bls_orchestration::fastpath::handlers::FASTPATH_SETTLED;
use bls_orchestration::fastpath::msgs::MSG_SETTLE_RECEIPTS;
use bls_orchestration::queries::{IdRequest, JobResponse, ResultRequest, ResultResponse};
use bls_orchestration::state::{job_seq_store_key, Job, JobResult, JobStatus};
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
/// Most settlement txs one `settlements` answer lists.
const MAX_SETTLEMENTS: u64 = 50;
/// Settlement txs listed when `limit` is absent.
const DEFAULT_SETTLEMENTS: u64 = 10;

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
    rpc_with(s, path_and_query, &[]).await
}

/// A CometBFT RPC GET of `method` with `params` (URL-encoded here; CometBFT's URI form wants
/// string arguments in double quotes).
async fn rpc_with(
    s: &Shared,
    path_and_query: &str,
    params: &[(&str, String)],
) -> Result<Value, DashboardError> {
    let url = format!("{}/{path_and_query}", s.cometbft_rpc.trim_end_matches('/'));
    let v: Value = s
        .http
        .get(&url)
        .query(params)
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
    // The bank keeps burn totals in state but has no query for them: read its declared key.
    let key = bls_bank::keeper::store_keys::burned(denom);
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
    let latest: u64 = match store_value(&s, &job_seq_store_key()).await? {
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

/// Query of `GET /dashboard/api/settlements`.
#[derive(Debug, Default, Deserialize)]
pub struct SettlementsParams {
    /// Most settlement txs to list (≤ 50).
    pub limit: Option<u64>,
}

/// `GET /dashboard/api/settlements`: the newest txs carrying a `MsgSettleReceipts` (CometBFT's
/// tx index, `message.action`; only successful messages emit it), one entry per settle
/// message: height, tx hash, head, receipts and fees charged.
pub async fn settlements(
    State(s): State<Shared>,
    Query(p): Query<SettlementsParams>,
) -> Result<Json<Value>, DashboardError> {
    let limit = p
        .limit
        .unwrap_or(DEFAULT_SETTLEMENTS)
        .clamp(1, MAX_SETTLEMENTS);
    let query = format!("\"message.action='{MSG_SETTLE_RECEIPTS}'\"");
    let found = rpc_with(
        &s,
        "tx_search",
        &[
            ("query", query),
            ("order_by", "\"desc\"".into()),
            ("page", "1".into()),
            ("per_page", limit.to_string()),
        ],
    )
    .await?;
    let mut list = settlements_json(&found);
    list.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok(Json(json!({
        "total_txs": found["total_count"],
        "settlements": list,
    })))
}

/// The settle messages of a `tx_search` result, in its order: per successful tx, the
/// `bls.fastpath_settled` events (one per receipt) grouped by `msg_index`.
fn settlements_json(found: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    for tx in found["txs"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        if tx["tx_result"]["code"].as_u64().unwrap_or(0) != 0 {
            continue;
        }
        // msg_index → (head, receipts, fee); a BTreeMap keeps message order.
        let mut msgs: BTreeMap<u64, (String, u64, u128)> = BTreeMap::new();
        let events = tx["tx_result"]["events"].as_array();
        for e in events.map(Vec::as_slice).unwrap_or_default() {
            if e["type"] != FASTPATH_SETTLED {
                continue;
            }
            let attr = |k: &str| {
                e["attributes"].as_array().and_then(|a| {
                    a.iter()
                        .find(|x| x["key"] == k)
                        .and_then(|x| x["value"].as_str())
                })
            };
            let index = attr("msg_index").and_then(|v| v.parse().ok()).unwrap_or(0);
            let fee: u128 = attr("fee").and_then(|v| v.parse().ok()).unwrap_or(0);
            let entry = msgs.entry(index).or_default();
            if entry.0.is_empty() {
                entry.0 = attr("head").unwrap_or_default().to_string();
            }
            entry.1 = entry.1.saturating_add(1);
            entry.2 = entry.2.saturating_add(fee);
        }
        for (msg_index, (head, receipts, fee)) in msgs {
            out.push(json!({
                "height": tx["height"],
                "tx_hash": tx["hash"],
                "msg_index": msg_index,
                "head": head,
                "receipts": receipts,
                "fee": fee.to_string(),
            }));
        }
    }
    out
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
            let exit_code = match o.status {
                ExitStatus::Exited(code) => Some(code),
                ExitStatus::Trapped(_) => None,
            };
            json!({
                "status": status,
                "exit_code": exit_code,
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

    fn settled(head: &str, fee: &str, msg_index: u32) -> Value {
        json!({"type": FASTPATH_SETTLED, "attributes": [
            {"key": "request_id", "value": "ab", "index": true},
            {"key": "head", "value": head, "index": true},
            {"key": "fee", "value": fee, "index": true},
            {"key": "msg_index", "value": msg_index.to_string(), "index": true},
        ]})
    }

    #[test]
    fn settlements_json_groups_receipts_per_message_and_skips_failed_txs() {
        let action = json!({"type": "message", "attributes": [
            {"key": "action", "value": MSG_SETTLE_RECEIPTS, "index": true}]});
        let found = json!({"total_count": "3", "txs": [
            {"hash": "AA", "height": "12", "tx_result": {"code": 0, "events": [
                action, settled("bls1h", "1000", 0), settled("bls1h", "1000", 0),
                settled("bls1h", "1000", 0),
                // A second settle message in the same tx, by another head.
                settled("bls1g", "700", 1),
            ]}},
            {"hash": "BB", "height": "11", "tx_result": {"code": 5, "events": [
                settled("bls1h", "1000", 0)]}},
            {"hash": "CC", "height": "9", "tx_result": {"events": [
                settled("bls1h", "1000", 0),
                // Malformed attributes count as a receipt with fee 0, never an error.
                {"type": FASTPATH_SETTLED, "attributes": [{"key": "fee", "value": "x"}]},
            ]}},
        ]});
        let list = settlements_json(&found);
        let rows: Vec<(String, String, u64, String, u64)> = list
            .iter()
            .map(|v| {
                (
                    v["height"].as_str().unwrap_or_default().to_string(),
                    v["head"].as_str().unwrap_or_default().to_string(),
                    v["receipts"].as_u64().unwrap_or(0),
                    v["fee"].as_str().unwrap_or_default().to_string(),
                    v["msg_index"].as_u64().unwrap_or(99),
                )
            })
            .collect();
        let row = |h: &str, head: &str, n, fee: &str, i| (h.into(), head.into(), n, fee.into(), i);
        assert_eq!(
            rows,
            vec![
                row("12", "bls1h", 3, "3000", 0),
                row("12", "bls1g", 1, "700", 1),
                row("9", "bls1h", 2, "1000", 0),
            ]
        );
        assert_eq!(list[0]["tx_hash"], "AA");
        assert!(settlements_json(&json!({})).is_empty());
        assert!(settlements_json(&json!({"txs": "nope"})).is_empty());
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
            calls: Vec::new(),
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
        assert_eq!(v["outcome"]["exit_code"], 0);
        assert_eq!(v["fee"], "7");
        let bad = JobResult {
            outcome: b"junk".to_vec().into(),
            ..r
        };
        assert!(result_json(&bad)["outcome"]["error"].is_string());
    }
}
