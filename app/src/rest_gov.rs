//! The Cosmos gRPC-gateway routes of gov and upgrade, in the v1beta1 JSON shapes Keplr's
//! governance page and explorers read, answered from `/bls.gov.v1.Query/*` and
//! `/bls.upgrade.v1.Query/*`.
//!
//! | route | answer |
//! |---|---|
//! | `GET /cosmos/gov/v1beta1/proposals?proposal_status=N` | `{"proposals": [...], "pagination": ...}` |
//! | `GET /cosmos/gov/v1beta1/proposals/{id}` | `{"proposal": ...}` |
//! | `GET /cosmos/gov/v1beta1/proposals/{id}/tally` | `{"tally": ...}` |
//! | `GET /cosmos/gov/v1beta1/proposals/{id}/votes` | `{"votes": [...], "pagination": ...}` |
//! | `GET /cosmos/gov/v1beta1/proposals/{id}/votes/{voter}` | `{"vote": ...}` (404 if none) |
//! | `GET /cosmos/gov/v1beta1/proposals/{id}/deposits` | `{"deposits": [...], "pagination": ...}` |
//! | `GET /cosmos/gov/v1beta1/params/{voting,deposit,tallying}` | the three param groups |
//! | `GET /cosmos/upgrade/v1beta1/current_plan` | `{"plan": ... or null}` |
//! | `GET /cosmos/upgrade/v1beta1/applied_plan/{name}` | `{"height": "N"}` |

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use bls_core::DENOM;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::rest::{ask_json as ask, at_height, ApiError, Shared};
use crate::webapp::signin::rfc3339;

/// The gov and upgrade routes.
pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/cosmos/gov/v1beta1/proposals", get(proposals))
        .route("/cosmos/gov/v1beta1/proposals/{id}", get(proposal))
        .route("/cosmos/gov/v1beta1/proposals/{id}/tally", get(tally))
        .route("/cosmos/gov/v1beta1/proposals/{id}/votes", get(votes))
        .route(
            "/cosmos/gov/v1beta1/proposals/{id}/votes/{voter}",
            get(vote),
        )
        .route("/cosmos/gov/v1beta1/proposals/{id}/deposits", get(deposits))
        .route("/cosmos/gov/v1beta1/params/{params_type}", get(params))
        .route("/cosmos/upgrade/v1beta1/current_plan", get(current_plan))
        .route(
            "/cosmos/upgrade/v1beta1/applied_plan/{name}",
            get(applied_plan),
        )
}

fn gov(method: &str) -> String {
    format!("{}{method}", bls_gov::queries::QUERY_PREFIX)
}

/// An amount of ubls (a JSON string) as Cosmos coins.
pub(crate) fn coins(amount: &Value) -> Value {
    json!([{"denom": DENOM, "amount": amount.as_str().unwrap_or("0")}])
}

/// Unix seconds as RFC 3339 (0 or absent: the zero time).
pub(crate) fn time(v: &Value) -> Value {
    // Unset times read as the zero time, as the Cosmos SDK renders them.
    match v.as_u64() {
        Some(secs) if secs > 0 => Value::String(rfc3339(secs)),
        _ => Value::String("0001-01-01T00:00:00Z".into()),
    }
}

/// Our proposal JSON in the v1beta1 shape (ids and heights as strings, times as RFC 3339,
/// deposits as coins).
fn proposal_json(p: &Value) -> Value {
    let mut content = p["content"].clone();
    if let Some(plan) = content.get_mut("plan") {
        let height = plan["height"].as_u64().unwrap_or(0).to_string();
        plan["height"] = Value::String(height);
        plan["time"] = Value::String("0001-01-01T00:00:00Z".into());
        plan["upgraded_client_state"] = Value::Null;
    }
    json!({
        "proposal_id": p["proposal_id"].as_u64().unwrap_or(0).to_string(),
        "content": content,
        "status": p["status"],
        "final_tally_result": p["final_tally_result"],
        "submit_time": time(&p["submit_time"]),
        "deposit_end_time": time(&p["deposit_end_time"]),
        "total_deposit": coins(&p["total_deposit"]),
        "voting_start_time": time(&p["voting_start_time"]),
        "voting_end_time": time(&p["voting_end_time"]),
    })
}

fn vote_json(v: &Value) -> Value {
    json!({
        "proposal_id": v["proposal_id"].as_u64().unwrap_or(0).to_string(),
        "voter": v["voter"],
        "option": v["option"],
        "options": [{"option": v["option"], "weight": "1.000000000000000000"}],
    })
}

/// A last page of `total` items.
pub(crate) fn pagination(total: usize) -> Value {
    json!({"next_key": null, "total": total.to_string()})
}

fn id_param(id: &str) -> Result<u64, ApiError> {
    id.parse().map_err(|_| {
        ApiError(
            StatusCode::BAD_REQUEST,
            3,
            format!("proposal id {id:?} is not a number"),
        )
    })
}

#[derive(Deserialize)]
struct ProposalsParams {
    #[serde(default)]
    proposal_status: Option<String>,
}

/// The v1beta1 status filter: a number (`2`) or a name (`PROPOSAL_STATUS_VOTING_PERIOD`).
fn status_filter(s: Option<&str>) -> Result<String, ApiError> {
    Ok(match s.unwrap_or("") {
        "" | "0" | "PROPOSAL_STATUS_UNSPECIFIED" => String::new(),
        "1" => "deposit_period".into(),
        "2" => "voting_period".into(),
        "3" => "passed".into(),
        "4" => "rejected".into(),
        "5" => "failed".into(),
        other if bls_gov::state::ProposalStatus::parse(other).is_some() => other.to_string(),
        other => {
            return Err(ApiError(
                StatusCode::BAD_REQUEST,
                3,
                format!("unknown proposal_status {other:?}"),
            ))
        }
    })
}

async fn proposals(
    State(s): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<ProposalsParams>,
) -> Result<Response, ApiError> {
    let status = status_filter(q.proposal_status.as_deref())?;
    let mut all = Vec::new();
    let mut start_after = 0u64;
    // Page through every proposal (100 per query) so wallets get the whole list.
    let height = loop {
        let (h, v) = ask(
            &s,
            &headers,
            &gov("Proposals"),
            json!({"status": status, "start_after": start_after}),
        )
        .await?;
        if let Some(list) = v["proposals"].as_array() {
            all.extend(list.iter().map(proposal_json));
        }
        match v["next"].as_u64() {
            Some(n) => start_after = n,
            None => break h,
        }
    };
    let total = all.len();
    Ok(at_height(
        height,
        Json(json!({"proposals": all, "pagination": pagination(total)})),
    ))
}

async fn proposal(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = id_param(&id)?;
    let (h, v) = ask(&s, &headers, &gov("Proposal"), json!({"proposal_id": id})).await?;
    Ok(at_height(
        h,
        Json(json!({"proposal": proposal_json(&v["proposal"])})),
    ))
}

async fn tally(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = id_param(&id)?;
    let (h, v) = ask(&s, &headers, &gov("Tally"), json!({"proposal_id": id})).await?;
    Ok(at_height(h, Json(json!({"tally": v["tally"]}))))
}

async fn votes(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = id_param(&id)?;
    let (h, v) = ask(&s, &headers, &gov("Votes"), json!({"proposal_id": id})).await?;
    let list: Vec<Value> = v["votes"]
        .as_array()
        .map(|l| l.iter().map(vote_json).collect())
        .unwrap_or_default();
    let total = list.len();
    Ok(at_height(
        h,
        Json(json!({"votes": list, "pagination": pagination(total)})),
    ))
}

async fn vote(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path((id, voter)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let id = id_param(&id)?;
    let (h, v) = ask(
        &s,
        &headers,
        &gov("Vote"),
        json!({"proposal_id": id, "voter": voter}),
    )
    .await?;
    if v["vote"].is_null() {
        return Err(ApiError(
            StatusCode::NOT_FOUND,
            5,
            format!("voter: {voter} not found for proposal: {id}"),
        ));
    }
    Ok(at_height(h, Json(json!({"vote": vote_json(&v["vote"])}))))
}

async fn deposits(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = id_param(&id)?;
    let (h, v) = ask(&s, &headers, &gov("Deposits"), json!({"proposal_id": id})).await?;
    let list: Vec<Value> = v["deposits"]
        .as_array()
        .map(|l| {
            l.iter()
                .map(|d| {
                    json!({
                        "proposal_id": id.to_string(),
                        "depositor": d["depositor"],
                        "amount": coins(&d["amount"]),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let total = list.len();
    Ok(at_height(
        h,
        Json(json!({"deposits": list, "pagination": pagination(total)})),
    ))
}

/// Basis points as a Cosmos `sdk.Dec` string (`3340` → `0.334000000000000000`).
pub(crate) fn dec_of_bps(bps: u64) -> String {
    format!("{}.{:04}00000000000000", bps / 10_000, bps % 10_000)
}

async fn params(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(params_type): Path<String>,
) -> Result<Response, ApiError> {
    if !matches!(params_type.as_str(), "voting" | "deposit" | "tallying") {
        return Err(ApiError(
            StatusCode::BAD_REQUEST,
            3,
            format!(
                "{params_type:?} is not a valid parameter type: use voting, deposit or tallying"
            ),
        ));
    }
    let (h, v) = ask(&s, &headers, &gov("Params"), json!({})).await?;
    let p = &v["params"];
    let secs = |k: &str| format!("{}s", p[k].as_u64().unwrap_or(0));
    let bps = |k: &str| dec_of_bps(p[k].as_u64().unwrap_or(0));
    // The Cosmos SDK answers all three groups, zeroing the ones not asked for; we give all.
    Ok(at_height(
        h,
        Json(json!({
            "voting_params": {"voting_period": secs("voting_period_secs")},
            "deposit_params": {
                "min_deposit": coins(&p["min_deposit"]),
                "max_deposit_period": secs("max_deposit_period_secs"),
            },
            "tally_params": {
                "quorum": bps("quorum_bps"),
                "threshold": bps("threshold_bps"),
                "veto_threshold": bps("veto_threshold_bps"),
            },
        })),
    ))
}

async fn current_plan(State(s): State<Shared>, headers: HeaderMap) -> Result<Response, ApiError> {
    let path = format!("{}CurrentPlan", bls_upgrade::queries::QUERY_PREFIX);
    let (h, v) = ask(&s, &headers, &path, json!({})).await?;
    let plan = if v["plan"].is_null() {
        Value::Null
    } else {
        json!({
            "name": v["plan"]["name"],
            "time": "0001-01-01T00:00:00Z",
            "height": v["plan"]["height"].as_u64().unwrap_or(0).to_string(),
            "info": v["plan"]["info"],
            "upgraded_client_state": null,
        })
    };
    Ok(at_height(h, Json(json!({"plan": plan}))))
}

async fn applied_plan(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let path = format!("{}AppliedPlan", bls_upgrade::queries::QUERY_PREFIX);
    let (h, v) = ask(&s, &headers, &path, json!({"name": name})).await?;
    Ok(at_height(
        h,
        Json(json!({"height": v["height"].as_u64().unwrap_or(0).to_string()})),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bps_render_as_cosmos_decimals() {
        assert_eq!(dec_of_bps(3340), "0.334000000000000000");
        assert_eq!(dec_of_bps(5000), "0.500000000000000000");
        assert_eq!(dec_of_bps(10_000), "1.000000000000000000");
        assert_eq!(dec_of_bps(1), "0.000100000000000000");
    }

    #[test]
    fn proposals_read_in_the_v1beta1_shape() {
        let ours = json!({
            "proposal_id": 7,
            "content": {"@type": "/cosmos.upgrade.v1beta1.SoftwareUpgradeProposal",
                "title": "t", "description": "", "plan": {"name": "v2", "height": 90, "info": ""}},
            "status": "PROPOSAL_STATUS_VOTING_PERIOD",
            "final_tally_result": {"yes": "0", "abstain": "0", "no": "0", "no_with_veto": "0"},
            "proposer": "bls1x", "submit_time": 1_700_000_000u64, "deposit_end_time": 1_700_000_010u64,
            "total_deposit": "10", "voting_start_time": 1_700_000_000u64, "voting_end_time": 0,
            "failed_reason": ""
        });
        let v = proposal_json(&ours);
        assert_eq!(v["proposal_id"], json!("7"));
        assert_eq!(v["content"]["plan"]["height"], json!("90"));
        assert_eq!(v["submit_time"], json!("2023-11-14T22:13:20Z"));
        assert_eq!(v["voting_end_time"], json!("0001-01-01T00:00:00Z"));
        assert_eq!(
            v["total_deposit"],
            json!([{"denom": "ubls", "amount": "10"}])
        );
    }
}
