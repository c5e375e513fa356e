//! JSON queries under `/bls.fees.v1.Query/`: `Params`, `Rewards`, `Totals`, `InvocationSplit`.

use bls_core::Address;
use cosmwasm_std::Storage;
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::error::FeesError;
use crate::params::Params;
use crate::state::{self, Split, Totals};

/// Query path prefix.
pub const QUERY_PREFIX: &str = "/bls.fees.v1.Query/";

/// `Rewards` request.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RewardsRequest {
    /// Account address.
    pub address: String,
}

/// `Rewards` response.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RewardsResponse {
    /// Account address.
    pub address: String,
    /// Unpaid rewards, ubls.
    #[serde(with = "bls_core::amount::u128_str")]
    pub amount: u128,
}

/// `Totals` response.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TotalsResponse {
    /// Cumulative gas-fee accounting.
    pub totals: Totals,
    /// Current community pool balance, ubls.
    #[serde(with = "bls_core::amount::u128_str")]
    pub community_pool: u128,
    /// Rewards not yet withdrawn, ubls (the rewards pool's balance).
    #[serde(with = "bls_core::amount::u128_str")]
    pub unpaid_rewards: u128,
}

/// `Params` response.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ParamsResponse {
    /// Current params.
    pub params: Params,
}

/// `InvocationSplit` response.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SplitResponse {
    /// The split.
    pub split: Split,
}

fn parse_req<T: DeserializeOwned + Default>(data: &[u8]) -> Result<T, FeesError> {
    if data.is_empty() {
        return Ok(T::default());
    }
    serde_json::from_slice(data).map_err(|e| FeesError::InvalidQuery(e.to_string()))
}

fn to_json<T: Serialize>(v: &T) -> Result<Vec<u8>, FeesError> {
    serde_json::to_vec(v).map_err(|e| FeesError::Store(e.to_string()))
}

/// Answers one query method.
pub fn query(store: &dyn Storage, method: &str, data: &[u8]) -> Result<Vec<u8>, FeesError> {
    match method {
        "Params" => to_json(&ParamsResponse {
            params: state::params(store)?,
        }),
        "Rewards" => {
            let req: RewardsRequest = parse_req(data)?;
            let addr =
                Address::parse(&req.address).map_err(|e| FeesError::InvalidQuery(e.to_string()))?;
            to_json(&RewardsResponse {
                amount: state::rewards(store, &addr)?,
                address: addr.to_string(),
            })
        }
        "Totals" => to_json(&TotalsResponse {
            totals: state::totals(store)?,
            community_pool: bls_bank::keeper::balance(
                store,
                &state::community_pool(),
                bls_core::DENOM,
            )?,
            unpaid_rewards: bls_bank::keeper::balance(
                store,
                &state::rewards_pool(),
                bls_core::DENOM,
            )?,
        }),
        "InvocationSplit" => to_json(&SplitResponse {
            split: state::invocation_split(store)?,
        }),
        other => Err(FeesError::InvalidQuery(format!(
            "unknown query method {other:?}"
        ))),
    }
}
