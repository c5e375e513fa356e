//! Params that governance may change: a module declares how its params are read, checked and
//! stored ([`GovernedParams`]), and the gov module changes them through [`crate::Module::params`]
//! and [`crate::Module::set_params`] without knowing their type.
//!
//! A change always goes through the module's own checks: the new value is parsed with the
//! module's `Params` type (unknown keys refused) and validated by the module, which may read
//! other state (staking checks the unbonding period against CometBFT's evidence window).

use cosmwasm_std::Storage;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{AbciCode, ModuleError};

/// A module's params type, as governance reaches it.
pub trait GovernedParams: Serialize + DeserializeOwned {
    /// The module's typed error.
    type Error: AbciCode;
    /// The stored params (the defaults before genesis wrote any).
    fn load(store: &dyn Storage) -> Result<Self, Self::Error>;
    /// Validates `self` as the module's new params, reading other state where the rules need it.
    fn check(&self, store: &dyn Storage) -> Result<(), Self::Error>;
    /// Stores `self` (already checked).
    fn store(&self, store: &mut dyn Storage) -> Result<(), Self::Error>;
}

/// How governance reads and writes one module's params as JSON.
#[derive(Clone, Copy)]
pub struct ParamsAccess {
    /// The stored params as a JSON object.
    pub get: fn(&dyn Storage) -> Result<serde_json::Value, ModuleError>,
    /// Parses `value` as the whole new params, checks and stores them.
    pub set: fn(&mut dyn Storage, &serde_json::Value) -> Result<(), ModuleError>,
}

impl ParamsAccess {
    /// The access for params of type `P`.
    pub const fn of<P: GovernedParams>() -> Self {
        Self {
            get: get_json::<P>,
            set: set_json::<P>,
        }
    }
}

/// Refuses a new value of a liveness window (`name`): a missed-slot bitmap is indexed modulo
/// its window, so a new window would misread the slots already recorded (jailing who signed
/// everything). Such a window is set at genesis only; `Err` says which value to keep.
pub fn window_fixed_after_genesis(name: &str, new: u64, current: u64) -> Result<(), String> {
    if new == current {
        return Ok(());
    }
    Err(format!(
        "{name} is fixed after genesis (the missed-slot record is laid out by it): keep {current}"
    ))
}

/// The code of [`invalid_params`] errors (codespace `params`).
pub const INVALID_PARAMS_CODE: u32 = 1;

/// The error for params that do not parse as the module's type.
pub fn invalid_params(log: impl Into<String>) -> ModuleError {
    ModuleError::new("params", INVALID_PARAMS_CODE, log)
}

fn get_json<P: GovernedParams>(store: &dyn Storage) -> Result<serde_json::Value, ModuleError> {
    let p = P::load(store)?;
    serde_json::to_value(p).map_err(|e| ModuleError::storage("params", e))
}

fn set_json<P: GovernedParams>(
    store: &mut dyn Storage,
    value: &serde_json::Value,
) -> Result<(), ModuleError> {
    let p = P::deserialize(value).map_err(|e| invalid_params(e.to_string()))?;
    p.check(store)?;
    Ok(p.store(store)?)
}
