//! JSON queries under `/bls.slashing.v1.Query/`: `Params`, `SigningInfo`, `SigningInfos`.

use bls_core::Address;
use bls_staking::state as staking;
use cosmwasm_std::Storage;
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::error::SlashingError;
use crate::params::Params;
use crate::state::{self, SigningInfo};

/// Query path prefix.
pub const QUERY_PREFIX: &str = "/bls.slashing.v1.Query/";

/// `SigningInfo` request: by validator operator address or by consensus address (hex).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SigningInfoRequest {
    /// Validator operator address.
    pub validator: Option<String>,
    /// Consensus address, hex.
    pub consensus_address: Option<String>,
}

/// `SigningInfo` response.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SigningInfoResponse {
    /// The record; absent before the validator's first vote.
    pub info: Option<SigningInfo>,
    /// Slots of the current window that were missed.
    pub missed_slots: Vec<u64>,
}

/// `SigningInfos` response.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SigningInfosResponse {
    /// Every record, in consensus-address order.
    pub infos: Vec<SigningInfo>,
}

/// `Params` response.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ParamsResponse {
    /// Current params.
    pub params: Params,
}

fn parse_req<T: DeserializeOwned + Default>(data: &[u8]) -> Result<T, SlashingError> {
    if data.is_empty() {
        return Ok(T::default());
    }
    serde_json::from_slice(data).map_err(|e| SlashingError::InvalidQuery(e.to_string()))
}

fn to_json<T: Serialize>(v: &T) -> Result<Vec<u8>, SlashingError> {
    serde_json::to_vec(v).map_err(|e| SlashingError::Store(e.to_string()))
}

/// Answers one query method.
pub fn query(store: &dyn Storage, method: &str, data: &[u8]) -> Result<Vec<u8>, SlashingError> {
    match method {
        "Params" => to_json(&ParamsResponse {
            params: state::params(store)?,
        }),
        "SigningInfo" => {
            let req: SigningInfoRequest = parse_req(data)?;
            let cons = match (req.validator, req.consensus_address) {
                (Some(v), None) => {
                    let op = Address::parse(&v)
                        .map_err(|e| SlashingError::InvalidQuery(e.to_string()))?;
                    staking::must_get_validator(store, &op)?.consensus_address
                }
                (None, Some(c)) => {
                    let bytes = hex::decode(&c).map_err(|_| {
                        SlashingError::InvalidQuery("consensus_address must be hex".into())
                    })?;
                    staking::consensus_address_key(&bytes)
                }
                _ => {
                    return Err(SlashingError::InvalidQuery(
                        "give exactly one of validator or consensus_address".into(),
                    ))
                }
            };
            to_json(&SigningInfoResponse {
                info: state::signing_info(store, &cons)?,
                missed_slots: state::missed_slots(store, &cons)?,
            })
        }
        "SigningInfos" => to_json(&SigningInfosResponse {
            infos: state::all_signing_infos(store)?,
        }),
        other => Err(SlashingError::InvalidQuery(format!(
            "unknown query method {other:?}"
        ))),
    }
}
