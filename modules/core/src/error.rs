//! The error every module error maps to at the ABCI boundary: codespace, code and a log.

use std::fmt;

/// Implemented by each module's typed error so the app can report a stable (codespace, code).
pub trait AbciCode: fmt::Display {
    /// The module's codespace, e.g. `bank`.
    fn codespace(&self) -> &'static str;
    /// A non-zero code, stable across releases.
    fn code(&self) -> u32;
}

/// A failed message or query as CometBFT sees it: non-zero code, codespace and a log saying why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{codespace} error {code}: {log}")]
pub struct ModuleError {
    /// Module codespace (`sdk` for the tx pipeline).
    pub codespace: String,
    /// Non-zero code.
    pub code: u32,
    /// Human-readable reason.
    pub log: String,
}

/// Every module's typed error converts with its own codespace and code, so handlers can `?`
/// them into a `ModuleError`. (`ModuleError` itself is deliberately not `AbciCode`.)
impl<E: AbciCode> From<E> for ModuleError {
    fn from(e: E) -> Self {
        Self::from_abci(&e)
    }
}

impl ModuleError {
    /// An error from explicit parts.
    pub fn new(codespace: &str, code: u32, log: impl Into<String>) -> Self {
        Self {
            codespace: codespace.to_string(),
            code,
            log: log.into(),
        }
    }

    /// Wraps a module's typed error.
    pub fn from_abci(e: &dyn AbciCode) -> Self {
        Self::new(e.codespace(), e.code(), e.to_string())
    }

    /// A storage/serialization failure inside a module (`cosmwasm_std::StdError` in 3.x is not
    /// `std::error::Error`, so it arrives here as text).
    pub fn storage(context: &str, e: impl fmt::Display) -> Self {
        Self::new("store", 1, format!("{context}: {e}"))
    }
}
