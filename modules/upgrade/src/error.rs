//! Typed errors of the upgrade module (codespace `upgrade`).

use bls_core::AbciCode;

/// Why a plan, query or genesis was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpgradeError {
    /// The plan is malformed (name, height, info).
    #[error("invalid upgrade plan: {0}")]
    InvalidPlan(String),
    /// A plan of this name was already applied.
    #[error("upgrade plan {name:?} was already applied at height {height}")]
    AlreadyApplied {
        /// The plan's name.
        name: String,
        /// Where it was applied.
        height: u64,
    },
    /// A malformed query.
    #[error("invalid query: {0}")]
    InvalidQuery(String),
    /// Invalid genesis section.
    #[error("invalid upgrade genesis: {0}")]
    InvalidGenesis(String),
    /// Store failure.
    #[error("store: {0}")]
    Store(String),
}

impl AbciCode for UpgradeError {
    fn codespace(&self) -> &'static str {
        "upgrade"
    }

    fn code(&self) -> u32 {
        match self {
            UpgradeError::Store(_) => 1,
            UpgradeError::InvalidPlan(_) => 2,
            UpgradeError::AlreadyApplied { .. } => 3,
            UpgradeError::InvalidQuery(_) => 4,
            UpgradeError::InvalidGenesis(_) => 5,
        }
    }
}

impl From<cosmwasm_std::StdError> for UpgradeError {
    fn from(e: cosmwasm_std::StdError) -> Self {
        UpgradeError::Store(e.to_string())
    }
}
