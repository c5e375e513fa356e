//! Typed errors of the staking module (codespace `staking`).

use bls_core::AbciCode;

/// Why a staking message, query, genesis or keeper call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StakingError {
    /// A self-bond below `min_self_bond` (or a validator's self-bond too low to unjail).
    #[error("not enough bond: have {have}, need at least {need}")]
    NotEnoughBond {
        /// Offered or remaining self-bond.
        have: String,
        /// Required minimum.
        need: String,
    },
    /// The operator already runs a validator, or the consensus key is taken.
    #[error("duplicate validator: {0}")]
    DuplicateValidator(String),
    /// No validator with this operator address.
    #[error("unknown validator {0}")]
    UnknownValidator(String),
    /// The signer does not operate this validator.
    #[error("validator {validator} is operated by {operator}, not by {signer}")]
    WrongOperator {
        /// The validator (operator address it was created with).
        validator: String,
        /// Its operator.
        operator: String,
        /// Who signed.
        signer: String,
    },
    /// No delegation from this delegator to this validator.
    #[error("no delegation from {delegator} to {validator}")]
    UnknownDelegation {
        /// Delegator.
        delegator: String,
        /// Validator.
        validator: String,
    },
    /// Undelegating more than is delegated.
    #[error("insufficient delegation: have {have}, asked {need}")]
    InsufficientDelegation {
        /// Delegated amount.
        have: String,
        /// Requested amount.
        need: String,
    },
    /// Too many concurrent unbonding entries for one delegator/validator pair.
    #[error("too many unbonding entries for {delegator} → {validator} (max {max})")]
    TooManyUnbondingEntries {
        /// Delegator.
        delegator: String,
        /// Validator.
        validator: String,
        /// The `max_unbonding_entries` param.
        max: u32,
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
    #[error("invalid staking genesis: {0}")]
    InvalidGenesis(String),
    /// Arithmetic overflow on amounts.
    #[error("amount overflow in {0}")]
    Overflow(&'static str),
    /// A bank transfer or burn failed.
    #[error("bank: {0}")]
    Bank(String),
    /// Malformed query request.
    #[error("invalid query: {0}")]
    InvalidQuery(String),
    /// Storage or serialization failure.
    #[error("store error: {0}")]
    Store(String),
    /// The unbonding period ends before CometBFT stops accepting double-sign evidence.
    #[error(
        "staking unbonding_blocks ({unbonding_blocks}) must be greater than CometBFT's \
         consensus_params.evidence.max_age_num_blocks ({max_age_num_blocks}), or a \
         double-signer's stake can leave before the evidence lands: raise \
         app_state.staking.params.unbonding_blocks to at least {} or lower \
         consensus_params.evidence.max_age_num_blocks to at most {}",
        max_age_num_blocks.saturating_add(1),
        unbonding_blocks.saturating_sub(1)
    )]
    UnbondingShorterThanEvidence {
        /// The staking param.
        unbonding_blocks: u64,
        /// CometBFT's evidence param.
        max_age_num_blocks: u64,
    },
    /// CometBFT consensus params staking cannot use.
    #[error("invalid consensus_params.evidence: {0}")]
    InvalidEvidenceParams(String),
    /// A consensus key CometBFT's genesis gives in a form staking does not support.
    #[error("invalid CometBFT genesis validator: {0}")]
    InvalidGenesisValidator(String),
}

impl AbciCode for StakingError {
    fn codespace(&self) -> &'static str {
        "staking"
    }
    fn code(&self) -> u32 {
        match self {
            StakingError::Store(_) => 1,
            StakingError::NotEnoughBond { .. } => 2,
            StakingError::DuplicateValidator(_) => 3,
            StakingError::UnknownValidator(_) => 4,
            StakingError::WrongOperator { .. } => 5,
            StakingError::UnknownDelegation { .. } => 6,
            StakingError::InsufficientDelegation { .. } => 7,
            StakingError::TooManyUnbondingEntries { .. } => 8,
            StakingError::InvalidField { .. } => 9,
            StakingError::InvalidParams(_) => 10,
            StakingError::InvalidGenesis(_) => 11,
            StakingError::Overflow(_) => 12,
            StakingError::Bank(_) => 13,
            StakingError::InvalidQuery(_) => 14,
            StakingError::UnbondingShorterThanEvidence { .. } => 15,
            StakingError::InvalidEvidenceParams(_) => 16,
            StakingError::InvalidGenesisValidator(_) => 17,
        }
    }
}

impl From<cosmwasm_std::StdError> for StakingError {
    fn from(e: cosmwasm_std::StdError) -> Self {
        StakingError::Store(e.to_string())
    }
}

impl From<bls_bank::BankError> for StakingError {
    fn from(e: bls_bank::BankError) -> Self {
        StakingError::Bank(e.to_string())
    }
}

/// Shorthand for an invalid-field error.
pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> StakingError {
    StakingError::InvalidField {
        field,
        reason: reason.into(),
    }
}
