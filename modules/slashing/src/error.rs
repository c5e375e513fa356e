//! Typed errors of the slashing module (codespace `slashing`).

use bls_core::AbciCode;

/// Why a slashing message, query, genesis or hook failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlashingError {
    /// No staking validator with this operator address.
    #[error("unknown validator {0}")]
    UnknownValidator(String),
    /// The signer does not operate this validator.
    #[error("validator {validator} is operated by {operator}, not by {signer}")]
    WrongOperator {
        /// The validator.
        validator: String,
        /// Its operator.
        operator: String,
        /// Who signed.
        signer: String,
    },
    /// Unjail of a validator that is not jailed.
    #[error("validator {0} is not jailed")]
    NotJailed(String),
    /// Unjail before the jail period ended.
    #[error("validator {validator} is jailed until height {until}, current height {height}")]
    UnjailTooEarly {
        /// The validator.
        validator: String,
        /// First height at which unjail is allowed.
        until: u64,
        /// Current height.
        height: u64,
    },
    /// The validator double-signed: it can never be unjailed.
    #[error("validator {0} is tombstoned (double sign) and can never be unjailed")]
    Tombstoned(String),
    /// Self-bond below the staking minimum: unjailing would not hold.
    #[error("validator {validator} self-bond {have} is below min_self_bond {need}")]
    NotEnoughSelfBond {
        /// The validator.
        validator: String,
        /// Its self-bond.
        have: String,
        /// The minimum.
        need: String,
    },
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
    #[error("invalid slashing genesis: {0}")]
    InvalidGenesis(String),
    /// A staking keeper call failed.
    #[error("staking: {0}")]
    Staking(String),
    /// Malformed query request.
    #[error("invalid query: {0}")]
    InvalidQuery(String),
    /// Storage or serialization failure.
    #[error("store error: {0}")]
    Store(String),
}

impl AbciCode for SlashingError {
    fn codespace(&self) -> &'static str {
        "slashing"
    }
    fn code(&self) -> u32 {
        match self {
            SlashingError::Store(_) => 1,
            SlashingError::UnknownValidator(_) => 2,
            SlashingError::WrongOperator { .. } => 3,
            SlashingError::NotJailed(_) => 4,
            SlashingError::UnjailTooEarly { .. } => 5,
            SlashingError::Tombstoned(_) => 6,
            SlashingError::NotEnoughSelfBond { .. } => 7,
            SlashingError::InvalidField { .. } => 8,
            SlashingError::InvalidParams(_) => 9,
            SlashingError::InvalidGenesis(_) => 10,
            SlashingError::Staking(_) => 11,
            SlashingError::InvalidQuery(_) => 12,
        }
    }
}

impl From<cosmwasm_std::StdError> for SlashingError {
    fn from(e: cosmwasm_std::StdError) -> Self {
        SlashingError::Store(e.to_string())
    }
}

impl From<bls_staking::StakingError> for SlashingError {
    fn from(e: bls_staking::StakingError) -> Self {
        match e {
            bls_staking::StakingError::UnknownValidator(v) => SlashingError::UnknownValidator(v),
            other => SlashingError::Staking(other.to_string()),
        }
    }
}
