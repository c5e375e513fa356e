//! Fast-path queries (`/bls.orchestration.v1.Query/FastPathDeposit`, `.../PinnedHeads`,
//! `.../FastPathSettled`, `.../FastPathStats`; head accountability's in
//! [`super::head::queries`]).

use bls_core::Address;
use cosmwasm_std::Storage;
use serde::{Deserialize, Serialize};

use super::state::{deposit_of, pinned_heads, stats, FastPathStats, SETTLED, WITHDRAWALS};
use crate::error::OrchestrationError;

/// `FastPathDeposit` request.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DepositRequest {
    /// Invoker address.
    pub invoker: String,
}

/// `FastPathDeposit` response.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DepositResponse {
    /// Deposit (ubls, decimal string).
    pub deposit: String,
    /// Part of it requested for withdrawal (ubls, decimal string; heads should not serve
    /// against it).
    #[serde(default)]
    pub withdrawing: String,
    /// Height from which the pending withdrawal can be completed (0: none).
    #[serde(default)]
    pub release_height: u64,
}

/// `PinnedHeads` request.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PinnedHeadsRequest {
    /// Function id.
    pub function_id: u64,
}

/// `PinnedHeads` response.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PinnedHeadsResponse {
    /// Pinned head ids (empty: any head).
    pub heads: Vec<Address>,
}

/// `FastPathSettled` request.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SettledRequest {
    /// Request id (hex).
    pub request_id: String,
}

/// `FastPathSettled` response.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SettledResponse {
    /// Settlement height, if settled (forgotten once the request's window has closed:
    /// `expiry_height + fastpath_settle_window`).
    pub height: Option<u64>,
}

/// `FastPathStats` response (request: `{}` or empty): the cumulative totals.
pub type StatsResponse = FastPathStats;

fn parse<T: for<'de> Deserialize<'de>>(data: &[u8]) -> Result<T, OrchestrationError> {
    serde_json::from_slice(data).map_err(|e| OrchestrationError::InvalidQuery(e.to_string()))
}

fn json<T: Serialize>(v: &T) -> Result<Vec<u8>, OrchestrationError> {
    serde_json::to_vec(v).map_err(|e| OrchestrationError::Store(e.to_string()))
}

/// Answers a fast-path query method; `None` when `method` is not one of them.
pub fn query(
    store: &dyn Storage,
    method: &str,
    data: &[u8],
) -> Option<Result<Vec<u8>, OrchestrationError>> {
    let r = match method {
        "FastPathDeposit" => (|| {
            let req: DepositRequest = parse(data)?;
            let a = Address::parse(&req.invoker)
                .map_err(|e| OrchestrationError::InvalidQuery(e.to_string()))?;
            let w = WITHDRAWALS.may_load(store, a.as_str())?;
            json(&DepositResponse {
                deposit: deposit_of(store, &a)?.to_string(),
                withdrawing: w.as_ref().map_or_else(|| "0".into(), |w| w.amount.clone()),
                release_height: w.map_or(0, |w| w.release_height),
            })
        })(),
        "PinnedHeads" => (|| {
            let req: PinnedHeadsRequest = parse(data)?;
            json(&PinnedHeadsResponse {
                heads: pinned_heads(store, req.function_id)?,
            })
        })(),
        "FastPathSettled" => (|| {
            let req: SettledRequest = parse(data)?;
            json(&SettledResponse {
                height: SETTLED.may_load(store, &req.request_id.to_ascii_lowercase())?,
            })
        })(),
        "FastPathStats" => stats(store).and_then(|s| json(&s)),
        _ => return super::head::queries::query(store, method, data),
    };
    Some(r)
}
