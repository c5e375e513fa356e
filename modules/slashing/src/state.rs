//! Slashing state: per-validator signing info and the missed-vote bitmap of its window.
//!
//! Keys: `slashing/params`; `slashing/infos/{consensus address hex}` → [`SigningInfo`];
//! `slashing/missed/{consensus address hex}/{slot}` → () when that slot of the window is a
//! miss (absent = signed), so the counter updates in O(1) per vote.

use cosmwasm_std::{Order, Storage};
use cw_storage_plus::{Item, Map};
use serde::{Deserialize, Serialize};

use crate::error::SlashingError;
use crate::params::Params;

/// Params.
pub(crate) const PARAMS: Item<Params> = Item::new("slashing/params");
/// Signing info by consensus address (upper-case hex).
pub(crate) const SIGNING_INFOS: Map<&str, SigningInfo> = Map::new("slashing/infos");
/// Missed bitmap: (consensus address, slot).
pub(crate) const MISSED: Map<(&str, u64), ()> = Map::new("slashing/missed");

/// Liveness and jail record of one validator.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigningInfo {
    /// Consensus address, upper-case hex.
    pub address: String,
    /// Height of the first vote seen (or of the last downtime reset).
    pub start_height: u64,
    /// Votes counted since `start_height`; the window slot is `index_offset % window`.
    pub index_offset: u64,
    /// Misses in the current window.
    pub missed_blocks_counter: u64,
    /// First height at which `MsgUnjail` is accepted (`u64::MAX` once tombstoned).
    pub jailed_until: u64,
    /// Double-signed: never unjailed again, never slashed twice.
    pub tombstoned: bool,
}

/// Loads the params (defaults when genesis set none).
pub fn params(store: &dyn Storage) -> Result<Params, SlashingError> {
    Ok(PARAMS.may_load(store)?.unwrap_or_default())
}

/// The signing info of a consensus address, if any vote or offence was seen.
pub fn signing_info(store: &dyn Storage, cons: &str) -> Result<Option<SigningInfo>, SlashingError> {
    Ok(SIGNING_INFOS.may_load(store, cons)?)
}

/// The signing info, or a fresh one starting at `height`.
pub fn signing_info_or_new(
    store: &dyn Storage,
    cons: &str,
    height: u64,
) -> Result<SigningInfo, SlashingError> {
    Ok(signing_info(store, cons)?.unwrap_or_else(|| SigningInfo {
        address: cons.to_string(),
        start_height: height,
        ..Default::default()
    }))
}

/// Saves a signing info.
pub fn save_signing_info(store: &mut dyn Storage, info: &SigningInfo) -> Result<(), SlashingError> {
    Ok(SIGNING_INFOS.save(store, &info.address, info)?)
}

/// Every signing info in address order.
pub fn all_signing_infos(store: &dyn Storage) -> Result<Vec<SigningInfo>, SlashingError> {
    SIGNING_INFOS
        .range(store, None, None, Order::Ascending)
        .map(|r| Ok(r?.1))
        .collect()
}

/// Missed slots of one validator's window, ascending.
pub fn missed_slots(store: &dyn Storage, cons: &str) -> Result<Vec<u64>, SlashingError> {
    Ok(MISSED
        .prefix(cons)
        .keys(store, None, None, Order::Ascending)
        .collect::<Result<_, _>>()?)
}

/// Clears a validator's window (after a downtime jail).
pub fn clear_missed(store: &mut dyn Storage, cons: &str) -> Result<(), SlashingError> {
    for slot in missed_slots(store, cons)? {
        MISSED.remove(store, (cons, slot));
    }
    Ok(())
}
