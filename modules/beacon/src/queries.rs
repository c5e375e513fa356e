//! JSON queries under `/bls.beacon.v1.Query/`: `Randomness` (request `{}`).

use cosmwasm_std::Storage;
use serde::{Deserialize, Serialize};

use crate::error::BeaconError;
use crate::state::{self, Randomness};

/// Query path prefix.
pub const QUERY_PREFIX: &str = "/bls.beacon.v1.Query/";

/// `Randomness` response: the output of the block at the queried height.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RandomnessResponse {
    /// The output and what went into it.
    pub randomness: Randomness,
    /// Consensus param `abci.vote_extensions_enable_height` (0: disabled, block-hash fallback).
    pub vote_extensions_enable_height: u64,
}

/// Answers `method`.
pub fn query(store: &dyn Storage, method: &str, data: &[u8]) -> Result<Vec<u8>, BeaconError> {
    match method {
        "Randomness" => {
            if !data.is_empty() {
                let v: serde_json::Value = serde_json::from_slice(data)
                    .map_err(|e| BeaconError::InvalidQuery(e.to_string()))?;
                if v.as_object().is_none_or(|o| !o.is_empty()) {
                    return Err(BeaconError::InvalidQuery(
                        "Randomness takes an empty JSON object".into(),
                    ));
                }
            }
            let r = RandomnessResponse {
                randomness: state::randomness(store)?,
                vote_extensions_enable_height: state::config(store)?.vote_extensions_enable_height,
            };
            serde_json::to_vec(&r).map_err(|e| BeaconError::Store(e.to_string()))
        }
        other => Err(BeaconError::InvalidQuery(format!(
            "unknown method {other:?} (known: Randomness)"
        ))),
    }
}
