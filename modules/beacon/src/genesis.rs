//! The beacon's genesis section: `{"randomness": "<64 hex>"}` (optional). Absent, the chain
//! starts from [`crate::mix::genesis_value`] (chain id and initial height); `blsd genesis
//! export` writes the current value so a restarted chain continues the sequence.
//! Commitments are not exported: the first height of a restarted chain mixes no reveals.

use bls_core::Context;
use cosmwasm_std::Storage;
use serde::{Deserialize, Serialize};

use crate::error::BeaconError;
use crate::mix;
use crate::state::{self, Source};

/// The `beacon` section of `app_state`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisState {
    /// The randomness to start from (64 hex characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub randomness: Option<String>,
}

/// Writes the genesis randomness.
pub fn init_genesis(ctx: &mut Context<'_>, g: &GenesisState) -> Result<(), BeaconError> {
    let exported = match &g.randomness {
        None => None,
        Some(s) => Some(
            hex::decode(s)
                .ok()
                .and_then(|v| <[u8; 32]>::try_from(v.as_slice()).ok())
                .ok_or_else(|| {
                    BeaconError::InvalidGenesis(format!(
                        "randomness must be 64 hex characters, got {:?}",
                        s.chars().take(80).collect::<String>()
                    ))
                })?,
        ),
    };
    mix::init(ctx, exported)
}

/// The current randomness as a genesis section; nothing before the first block (a new chain
/// derives its own starting value, so `blsd genesis defaults` carries none).
pub fn export_genesis(store: &dyn Storage) -> Result<GenesisState, BeaconError> {
    let r = state::randomness(store)?;
    Ok(GenesisState {
        randomness: (r.source != Source::Genesis && !r.value.is_empty()).then_some(r.value),
    })
}
