//! The Cosmos gRPC-gateway routes Keplr's staking page and explorers read, in the
//! `cosmos.staking.v1beta1` / `cosmos.distribution.v1beta1` JSON shapes, answered from
//! `/bls.staking.v1.Query/*` and `/bls.fees.v1.Query/*`, plus CometBFT's node info.
//!
//! | route | answer |
//! |---|---|
//! | `GET /cosmos/staking/v1beta1/validators?status=BOND_STATUS_BONDED` | `{"validators": [...], "pagination": ...}` |
//! | `GET /cosmos/staking/v1beta1/validators/{validator_addr}` | `{"validator": ...}` |
//! | `GET /cosmos/staking/v1beta1/delegations/{delegator_addr}` | `{"delegation_responses": [...], ...}` |
//! | `GET /cosmos/staking/v1beta1/delegators/{delegator_addr}/unbonding_delegations` | `{"unbonding_responses": [...], ...}` |
//! | `GET /cosmos/staking/v1beta1/pool` | `{"pool": {"not_bonded_tokens", "bonded_tokens"}}` |
//! | `GET /cosmos/staking/v1beta1/params` | `{"params": ...}` |
//! | `GET /cosmos/distribution/v1beta1/delegators/{delegator_addr}/rewards` | `{"rewards": [], "total": [...]}` |
//! | `GET /cosmos/base/tendermint/v1beta1/node_info` | `{"default_node_info": ..., "application_version": ...}` |
//!
//! A validator is its operator's account: its `operator_address` is that account's bytes
//! with the `blsvaloper` prefix, and either spelling is accepted. Shares equal tokens (the
//! chain slashes delegations pro rata, so one share is always one ubls). Rewards accrue per
//! account, not per validator, so `rewards` is empty and `total` holds them (withdraw with
//! `blsd tx fees withdraw-rewards`).

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use bls_core::{Address, DENOM};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::rest::{ask_json as ask, at_height, rpc_get, ApiError, Shared};
use crate::rest_gov::{dec_of_bps, pagination, time};

/// The staking, distribution and node-info routes.
pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/cosmos/staking/v1beta1/validators", get(validators))
        .route("/cosmos/staking/v1beta1/validators/{addr}", get(validator))
        .route(
            "/cosmos/staking/v1beta1/delegations/{addr}",
            get(delegations),
        )
        .route(
            "/cosmos/staking/v1beta1/delegators/{addr}/unbonding_delegations",
            get(unbonding),
        )
        .route("/cosmos/staking/v1beta1/pool", get(pool))
        .route("/cosmos/staking/v1beta1/params", get(params))
        .route(
            "/cosmos/distribution/v1beta1/delegators/{addr}/rewards",
            get(rewards),
        )
        .route("/cosmos/base/tendermint/v1beta1/node_info", get(node_info))
}

fn staking(method: &str) -> String {
    format!("{}{method}", bls_staking::queries::QUERY_PREFIX)
}

fn address(s: &str) -> Result<Address, ApiError> {
    Address::parse_account_or_valoper(s)
        .map_err(|e| ApiError(StatusCode::BAD_REQUEST, 3, e.to_string()))
}

fn valoper(account: &Value) -> String {
    account
        .as_str()
        .and_then(|a| Address::parse(a).ok())
        .map(|a| a.to_valoper())
        .unwrap_or_default()
}

/// A whole amount as a Cosmos `sdk.Dec` string.
fn dec(amount: &Value) -> String {
    format!("{}.000000000000000000", amount.as_str().unwrap_or("0"))
}

/// Our `ValidatorInfo` JSON in the `cosmos.staking.v1beta1.Validator` shape.
pub fn validator_json(info: &Value, max_commission_bps: u64) -> Value {
    use base64::Engine as _;
    let v = &info["validator"];
    let pubkey =
        hex::decode(v["consensus_pubkey"].as_str().unwrap_or_default()).unwrap_or_default();
    let status = if info["bonded"].as_bool() == Some(true) {
        "BOND_STATUS_BONDED"
    } else {
        "BOND_STATUS_UNBONDED"
    };
    json!({
        "operator_address": valoper(&v["operator"]),
        "consensus_pubkey": {
            "@type": "/cosmos.crypto.ed25519.PubKey",
            "key": base64::engine::general_purpose::STANDARD.encode(pubkey),
        },
        "jailed": v["jailed"],
        "status": status,
        "tokens": v["tokens"],
        "delegator_shares": dec(&v["tokens"]),
        "description": {
            "moniker": v["moniker"], "identity": "", "website": "", "security_contact": "", "details": "",
        },
        "unbonding_height": "0",
        "unbonding_time": "1970-01-01T00:00:00Z",
        "commission": {
            "commission_rates": {
                "rate": dec_of_bps(v["commission_bps"].as_u64().unwrap_or(0)),
                "max_rate": dec_of_bps(max_commission_bps),
                // Commission changes are bounded by max_rate only.
                "max_change_rate": dec_of_bps(max_commission_bps),
            },
            "update_time": "1970-01-01T00:00:00Z",
        },
        "min_self_delegation": info["self_bond"],
    })
}

async fn max_commission(s: &Shared, headers: &HeaderMap) -> Result<u64, ApiError> {
    let (_, p) = ask(s, headers, &staking("Params"), json!({})).await?;
    Ok(p["params"]["max_commission_bps"].as_u64().unwrap_or(0))
}

#[derive(Deserialize)]
struct ValidatorsParams {
    #[serde(default)]
    status: Option<String>,
}

async fn validators(
    State(s): State<Shared>,
    headers: HeaderMap,
    Query(q): Query<ValidatorsParams>,
) -> Result<Response, ApiError> {
    let want_bonded = match q.status.as_deref().unwrap_or("") {
        "" | "BOND_STATUS_UNSPECIFIED" => None,
        "BOND_STATUS_BONDED" => Some(true),
        "BOND_STATUS_UNBONDED" | "BOND_STATUS_UNBONDING" => Some(false),
        other => {
            return Err(ApiError(
                StatusCode::BAD_REQUEST,
                3,
                format!(
                    "unknown status {other:?}: use BOND_STATUS_BONDED, _UNBONDING or _UNBONDED"
                ),
            ))
        }
    };
    let max = max_commission(&s, &headers).await?;
    let mut all = Vec::new();
    let mut start_after: Option<String> = None;
    // Page through every validator so the wallet sees the whole set.
    let height = loop {
        let (h, v) = ask(
            &s,
            &headers,
            &staking("Validators"),
            json!({"start_after": start_after, "limit": bls_staking::queries::MAX_LIMIT}),
        )
        .await?;
        for info in v["validators"].as_array().cloned().unwrap_or_default() {
            let bonded = info["bonded"].as_bool() == Some(true);
            if want_bonded.is_none_or(|w| w == bonded) {
                all.push(validator_json(&info, max));
            }
        }
        match v["next"].as_str() {
            Some(n) => start_after = Some(n.to_string()),
            None => break h,
        }
    };
    let total = all.len();
    Ok(at_height(
        height,
        Json(json!({"validators": all, "pagination": pagination(total)})),
    ))
}

async fn validator(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(addr): Path<String>,
) -> Result<Response, ApiError> {
    let op = address(&addr)?;
    let max = max_commission(&s, &headers).await?;
    let (h, v) = ask(
        &s,
        &headers,
        &staking("Validator"),
        json!({"operator": op.to_string()}),
    )
    .await?;
    Ok(at_height(
        h,
        Json(json!({"validator": validator_json(&v, max)})),
    ))
}

async fn delegations(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(addr): Path<String>,
) -> Result<Response, ApiError> {
    let del = address(&addr)?;
    let (h, v) = ask(
        &s,
        &headers,
        &staking("Delegations"),
        json!({"delegator": del.to_string()}),
    )
    .await?;
    let list: Vec<Value> = v["delegations"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|d| {
            json!({
                "delegation": {
                    "delegator_address": d["delegator"],
                    "validator_address": valoper(&d["validator"]),
                    "shares": dec(&d["amount"]),
                },
                "balance": {"denom": DENOM, "amount": d["amount"]},
            })
        })
        .collect();
    let total = list.len();
    Ok(at_height(
        h,
        Json(json!({"delegation_responses": list, "pagination": pagination(total)})),
    ))
}

async fn unbonding(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(addr): Path<String>,
) -> Result<Response, ApiError> {
    let del = address(&addr)?;
    let (h, v) = ask(
        &s,
        &headers,
        &staking("UnbondingDelegations"),
        json!({"delegator": del.to_string()}),
    )
    .await?;
    // One response per validator, its entries in id order (as the Cosmos SDK groups them).
    let mut by_validator: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for e in v["entries"].as_array().cloned().unwrap_or_default() {
        by_validator
            .entry(valoper(&e["validator"]))
            .or_default()
            .push(json!({
                "creation_height": e["creation_height"].as_u64().unwrap_or(0).to_string(),
                "completion_time": time(&e["completion_time"]),
                "initial_balance": e["initial_balance"],
                "balance": e["balance"],
                "unbonding_id": e["id"].as_u64().unwrap_or(0).to_string(),
                "unbonding_on_hold_ref_count": "0",
            }));
    }
    let list: Vec<Value> = by_validator
        .into_iter()
        .map(|(validator, entries)| {
            json!({"delegator_address": del.to_string(), "validator_address": validator, "entries": entries})
        })
        .collect();
    let total = list.len();
    Ok(at_height(
        h,
        Json(json!({"unbonding_responses": list, "pagination": pagination(total)})),
    ))
}

async fn pool(State(s): State<Shared>, headers: HeaderMap) -> Result<Response, ApiError> {
    let (h, v) = ask(&s, &headers, &staking("Pool"), json!({})).await?;
    Ok(at_height(
        h,
        Json(json!({"pool": {
            "not_bonded_tokens": v["unbonding_tokens"],
            "bonded_tokens": v["bonded_tokens"],
        }})),
    ))
}

async fn params(State(s): State<Shared>, headers: HeaderMap) -> Result<Response, ApiError> {
    let (h, v) = ask(&s, &headers, &staking("Params"), json!({})).await?;
    let p = &v["params"];
    Ok(at_height(
        h,
        Json(json!({"params": {
            // Unbonding is counted in blocks here; the time form is its block count in seconds
            // at one block per second, the devnet's pace (see `unbonding_blocks`).
            "unbonding_time": format!("{}s", p["unbonding_blocks"].as_u64().unwrap_or(0)),
            "max_validators": p["max_validators"],
            "max_entries": p["max_unbonding_entries"],
            "historical_entries": 0,
            "bond_denom": DENOM,
            "min_commission_rate": "0.000000000000000000",
        }})),
    ))
}

async fn rewards(
    State(s): State<Shared>,
    headers: HeaderMap,
    Path(addr): Path<String>,
) -> Result<Response, ApiError> {
    let del = address(&addr)?;
    let path = format!("{}Rewards", bls_fees::queries::QUERY_PREFIX);
    let (h, v) = ask(&s, &headers, &path, json!({"address": del.to_string()})).await?;
    let total = match v["amount"].as_str() {
        Some("0") | None => json!([]),
        Some(_) => json!([{"denom": DENOM, "amount": dec(&v["amount"])}]),
    };
    Ok(at_height(h, Json(json!({"rewards": [], "total": total}))))
}

async fn node_info(State(s): State<Shared>) -> Result<Response, ApiError> {
    let status = rpc_get(&s, "status").await?;
    let ni = &status["node_info"];
    let height = status["sync_info"]["latest_block_height"]
        .as_str()
        .and_then(|h| h.parse().ok())
        .unwrap_or(0);
    Ok(at_height(
        height,
        Json(json!({
            "default_node_info": {
                "protocol_version": ni["protocol_version"],
                "default_node_id": ni["id"],
                "listen_addr": ni["listen_addr"],
                "network": ni["network"],
                "version": ni["version"],
                "channels": ni["channels"],
                "moniker": ni["moniker"],
                "other": ni["other"],
            },
            "application_version": {
                "name": "bls",
                "app_name": "blsd",
                "version": env!("CARGO_PKG_VERSION"),
                "git_commit": "",
                "build_tags": "",
                "go_version": "",
                "build_deps": [],
                "cosmos_sdk_version": "",
            },
        })),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validators_read_in_the_cosmos_shape() {
        let op = Address::from_bytes(&[3; 20]);
        let info = json!({
            "validator": {"operator": op.to_string(), "consensus_pubkey": "ab".repeat(32),
                "consensus_address": "X", "moniker": "node0", "commission_bps": 500,
                "tokens": "10000000", "jailed": false, "created_height": 0},
            "bonded_power": 10, "bonded": true, "self_bond": "10000000"
        });
        let v = validator_json(&info, 5000);
        assert_eq!(v["operator_address"], json!(op.to_valoper()));
        assert_eq!(v["status"], json!("BOND_STATUS_BONDED"));
        assert_eq!(v["delegator_shares"], json!("10000000.000000000000000000"));
        assert_eq!(
            v["commission"]["commission_rates"]["rate"],
            json!("0.050000000000000000")
        );
        assert_eq!(v["description"]["moniker"], json!("node0"));
        assert_eq!(
            v["consensus_pubkey"]["@type"],
            json!("/cosmos.crypto.ed25519.PubKey")
        );
    }
}
