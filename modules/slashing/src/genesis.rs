//! Slashing genesis: params, signing infos and their missed slots, exported the same way.

use std::collections::BTreeSet;

use cosmwasm_std::Storage;
use serde::{Deserialize, Serialize};

use crate::error::SlashingError;
use crate::params::Params;
use crate::state::{self, SigningInfo, MISSED, PARAMS};

/// The slashing `app_state` section.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GenesisState {
    /// Params.
    pub params: Params,
    /// Signing infos with their windows.
    pub signing_infos: Vec<GenesisSigningInfo>,
}

/// One validator's signing info and missed window slots.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisSigningInfo {
    /// The record.
    pub info: SigningInfo,
    /// Missed slots of its window (each below `signed_blocks_window`).
    #[serde(default)]
    pub missed_slots: Vec<u64>,
}

fn bad(s: impl Into<String>) -> SlashingError {
    SlashingError::InvalidGenesis(s.into())
}

/// Validates and writes the genesis state.
pub fn init_genesis(store: &mut dyn Storage, g: &GenesisState) -> Result<(), SlashingError> {
    g.params.validate()?;
    PARAMS.save(store, &g.params)?;
    let mut seen = BTreeSet::new();
    for s in &g.signing_infos {
        let addr = &s.info.address;
        let ok_addr = addr.len() == 40
            && addr
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b));
        if !ok_addr {
            return Err(bad(format!(
                "signing info address {addr:?} must be 40 upper-case hex characters"
            )));
        }
        if !seen.insert(addr.clone()) {
            return Err(bad(format!("duplicate signing info {addr}")));
        }
        let slots: BTreeSet<u64> = s.missed_slots.iter().copied().collect();
        if slots.len() != s.missed_slots.len()
            || slots.iter().any(|x| *x >= g.params.signed_blocks_window)
            || u64::try_from(slots.len()).ok() != Some(s.info.missed_blocks_counter)
        {
            return Err(bad(format!(
                "signing info {addr}: missed slots must be distinct, inside the window and as many as missed_blocks_counter"
            )));
        }
        state::save_signing_info(store, &s.info)?;
        for slot in slots {
            MISSED.save(store, (addr.as_str(), slot), &())?;
        }
    }
    Ok(())
}

/// Reads the state back as genesis.
pub fn export_genesis(store: &dyn Storage) -> Result<GenesisState, SlashingError> {
    let mut signing_infos = Vec::new();
    for info in state::all_signing_infos(store)? {
        let missed_slots = state::missed_slots(store, &info.address)?;
        signing_infos.push(GenesisSigningInfo { info, missed_slots });
    }
    Ok(GenesisState {
        params: state::params(store)?,
        signing_infos,
    })
}
