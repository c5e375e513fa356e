//! Typed errors of the gov module (codespace `gov`).

use bls_core::AbciCode;

/// Why a governance message, query, genesis or hook failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GovError {
    /// No proposal with this id.
    #[error("proposal {0} not found")]
    UnknownProposal(u64),
    /// The proposal's content is malformed or cannot be carried out.
    #[error("invalid proposal content: {0}")]
    InvalidContent(String),
    /// A parameter change the module concerned refuses.
    #[error("invalid parameter change {module}.{key}: {reason}")]
    InvalidParamChange {
        /// The module (`subspace`).
        module: String,
        /// The key.
        key: String,
        /// Why.
        reason: String,
    },
    /// The proposal is not open for this action (deposits after voting ended, votes before
    /// voting started or after it ended).
    #[error("proposal {id} is {status}: {action} is not allowed")]
    WrongStatus {
        /// The proposal.
        id: u64,
        /// Its status.
        status: &'static str,
        /// What was tried.
        action: &'static str,
    },
    /// The initial deposit is below `min_initial_deposit`.
    #[error("initial deposit {got}ubls is below the minimum {need}ubls")]
    InitialDepositTooLow {
        /// Offered.
        got: u128,
        /// Required.
        need: u128,
    },
    /// A deposit of something other than a positive amount of ubls.
    #[error("invalid deposit: {0}")]
    InvalidDeposit(String),
    /// A vote option outside yes / abstain / no / no-with-veto.
    #[error("invalid vote option {0}: use 1 (yes), 2 (abstain), 3 (no) or 4 (no with veto)")]
    InvalidVoteOption(i32),
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
    /// A malformed query.
    #[error("invalid query: {0}")]
    InvalidQuery(String),
    /// Invalid genesis section.
    #[error("invalid gov genesis: {0}")]
    InvalidGenesis(String),
    /// A bank failure (insufficient funds for a deposit).
    #[error("{0}")]
    Bank(String),
    /// A staking read failed.
    #[error("staking: {0}")]
    Staking(String),
    /// Arithmetic overflow.
    #[error("overflow: {0}")]
    Overflow(&'static str),
    /// Store failure.
    #[error("store: {0}")]
    Store(String),
}

impl AbciCode for GovError {
    fn codespace(&self) -> &'static str {
        "gov"
    }

    fn code(&self) -> u32 {
        match self {
            GovError::Store(_) => 1,
            GovError::UnknownProposal(_) => 2,
            GovError::InvalidContent(_) => 3,
            GovError::InvalidParamChange { .. } => 4,
            GovError::WrongStatus { .. } => 5,
            GovError::InitialDepositTooLow { .. } => 6,
            GovError::InvalidDeposit(_) => 7,
            GovError::InvalidVoteOption(_) => 8,
            GovError::InvalidField { .. } => 9,
            GovError::InvalidParams(_) => 10,
            GovError::InvalidQuery(_) => 11,
            GovError::InvalidGenesis(_) => 12,
            GovError::Bank(_) => 13,
            GovError::Staking(_) => 14,
            GovError::Overflow(_) => 15,
        }
    }
}

impl From<cosmwasm_std::StdError> for GovError {
    fn from(e: cosmwasm_std::StdError) -> Self {
        GovError::Store(e.to_string())
    }
}

impl From<bls_bank::BankError> for GovError {
    fn from(e: bls_bank::BankError) -> Self {
        GovError::Bank(e.to_string())
    }
}

impl From<bls_staking::StakingError> for GovError {
    fn from(e: bls_staking::StakingError) -> Self {
        GovError::Staking(e.to_string())
    }
}
