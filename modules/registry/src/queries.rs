//! JSON queries under `/bls.registry.v1.Query/`: `Worker`, `Workers`, `WorkersByOperator`,
//! `Params`. Lists are paginated with `start_after` (a worker id) and `limit` (≤ 100).

use bls_core::Address;
use cosmwasm_std::{Order, Storage};
use cw_storage_plus::Bound;
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::error::RegistryError;
use crate::params::Params;
use crate::state::{self, Liveness, Role, Worker, WorkerStatus, WORKERS};

/// Query path prefix.
pub const QUERY_PREFIX: &str = "/bls.registry.v1.Query/";
/// Largest page.
pub const MAX_LIMIT: u32 = 100;
/// Page size when `limit` is absent.
pub const DEFAULT_LIMIT: u32 = 50;

/// `Worker` request.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerRequest {
    /// Worker id (operator address; `worker` / `address` accepted as aliases).
    #[serde(alias = "worker", alias = "address")]
    pub id: String,
}

/// `Worker` response.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WorkerResponse {
    /// The worker.
    pub worker: Worker,
    /// Its liveness window counters.
    pub liveness: Liveness,
    /// Its result keys with the heights each was current, oldest first, the current key last
    /// (retired keys still count for what they signed; [`crate::result_keys`]).
    #[serde(default)]
    pub result_keys: Vec<crate::result_keys::ResultKey>,
}

/// `Workers` request: optional filters and pagination.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkersRequest {
    /// Only this region.
    pub region: Option<String>,
    /// Only this status (`active`, `jailed`, `unbonding`).
    pub status: Option<String>,
    /// Only this role (`worker`, `head`).
    pub role: Option<String>,
    /// Start after this worker id.
    pub start_after: Option<String>,
    /// Page size (≤ 100).
    pub limit: Option<u32>,
}

/// A page of workers.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WorkersResponse {
    /// Workers in id order.
    pub workers: Vec<Worker>,
    /// Pass as `start_after` for the next page; absent on the last page.
    pub next: Option<String>,
}

/// `WorkersByOperator` request.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkersByOperatorRequest {
    /// Operator address.
    pub operator: String,
}

/// `Params` response.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ParamsResponse {
    /// Current params.
    pub params: Params,
}

fn parse_req<T: DeserializeOwned + Default>(data: &[u8]) -> Result<T, RegistryError> {
    if data.is_empty() {
        return Ok(T::default());
    }
    serde_json::from_slice(data).map_err(|e| RegistryError::InvalidQuery(e.to_string()))
}

fn to_json<T: Serialize>(v: &T) -> Result<Vec<u8>, RegistryError> {
    serde_json::to_vec(v).map_err(|e| RegistryError::Store(e.to_string()))
}

fn parse_addr(s: &str) -> Result<Address, RegistryError> {
    Address::parse(s).map_err(|e| RegistryError::InvalidQuery(e.to_string()))
}

/// Answers one query method.
pub fn query(store: &dyn Storage, method: &str, data: &[u8]) -> Result<Vec<u8>, RegistryError> {
    match method {
        "Worker" => {
            let req: WorkerRequest = parse_req(data)?;
            let id = parse_addr(&req.id)?;
            let worker = state::must_get_worker(store, &id)?;
            let liveness = crate::liveness::counters(store, &id)?;
            let result_keys = crate::result_keys::history(store, &worker)?;
            to_json(&WorkerResponse {
                worker,
                liveness,
                result_keys,
            })
        }
        "Workers" => to_json(&workers(store, &parse_req(data)?)?),
        "WorkersByOperator" => {
            let req: WorkersByOperatorRequest = parse_req(data)?;
            let op = parse_addr(&req.operator)?;
            // One worker per operator today (the worker id is the operator address); a list
            // keeps the API stable if that ever changes.
            let workers: Vec<Worker> = state::get_worker(store, &op)?.into_iter().collect();
            to_json(&WorkersResponse {
                workers,
                next: None,
            })
        }
        "Params" => to_json(&ParamsResponse {
            params: state::params(store)?,
        }),
        other => Err(RegistryError::InvalidQuery(format!(
            "unknown query method {other:?}"
        ))),
    }
}

/// Filtered, paginated worker listing.
pub fn workers(
    store: &dyn Storage,
    req: &WorkersRequest,
) -> Result<WorkersResponse, RegistryError> {
    let status = match &req.status {
        Some(s) => Some(
            WorkerStatus::parse(s)
                .ok_or_else(|| RegistryError::InvalidQuery(format!("unknown status {s:?}")))?,
        ),
        None => None,
    };
    let role = match &req.role {
        Some(r) => Some(
            Role::parse(r)
                .ok_or_else(|| RegistryError::InvalidQuery(format!("unknown role {r:?}")))?,
        ),
        None => None,
    };
    let limit =
        usize::try_from(req.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT)).unwrap_or(100);
    let start = req.start_after.as_deref().map(Bound::exclusive);
    let mut out = Vec::new();
    let mut next = None;
    for item in WORKERS.range(store, start, None, Order::Ascending) {
        let (_, w) = item?;
        let keep = req.region.as_ref().is_none_or(|r| *r == w.region)
            && status.is_none_or(|s| s == w.status)
            && role.is_none_or(|r| r == w.role);
        if !keep {
            continue;
        }
        if out.len() == limit {
            // There is at least one more match: the page ends at the last returned id.
            next = out.last().map(|w: &Worker| w.operator.to_string());
            break;
        }
        out.push(w);
    }
    Ok(WorkersResponse { workers: out, next })
}
