//! Typed errors of the fees module (codespace `fees`).

use bls_core::AbciCode;

/// Why a fees message, query, genesis or hook failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeesError {
    /// Withdrawing with nothing accumulated.
    #[error("no rewards to withdraw for {0}")]
    NoRewards(String),
    /// A field fails validation.
    #[error("invalid {field}: {reason}")]
    InvalidField {
        /// The field name.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// Invalid params.
    #[error("invalid params: {0}")]
    InvalidParams(String),
    /// Invalid genesis section.
    #[error("invalid fees genesis: {0}")]
    InvalidGenesis(String),
    /// Amount arithmetic overflowed.
    #[error("amount overflow in {0}")]
    Overflow(&'static str),
    /// A bank transfer or burn failed.
    #[error("bank: {0}")]
    Bank(String),
    /// A staking lookup failed.
    #[error("staking: {0}")]
    Staking(String),
    /// Malformed query request.
    #[error("invalid query: {0}")]
    InvalidQuery(String),
    /// Storage or serialization failure.
    #[error("store error: {0}")]
    Store(String),
}

impl AbciCode for FeesError {
    fn codespace(&self) -> &'static str {
        "fees"
    }
    fn code(&self) -> u32 {
        match self {
            FeesError::Store(_) => 1,
            FeesError::NoRewards(_) => 2,
            FeesError::InvalidField { .. } => 3,
            FeesError::InvalidParams(_) => 4,
            FeesError::InvalidGenesis(_) => 5,
            FeesError::Overflow(_) => 6,
            FeesError::Bank(_) => 7,
            FeesError::Staking(_) => 8,
            FeesError::InvalidQuery(_) => 9,
        }
    }
}

impl From<cosmwasm_std::StdError> for FeesError {
    fn from(e: cosmwasm_std::StdError) -> Self {
        FeesError::Store(e.to_string())
    }
}

impl From<bls_bank::BankError> for FeesError {
    fn from(e: bls_bank::BankError) -> Self {
        FeesError::Bank(e.to_string())
    }
}

impl From<bls_auth::AuthError> for FeesError {
    fn from(e: bls_auth::AuthError) -> Self {
        FeesError::Bank(e.to_string())
    }
}

impl From<bls_staking::StakingError> for FeesError {
    fn from(e: bls_staking::StakingError) -> Self {
        FeesError::Staking(e.to_string())
    }
}
