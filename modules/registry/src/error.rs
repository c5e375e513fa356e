//! Typed errors of the registry module (codespace `registry`).

use bls_core::AbciCode;

/// Why a registry message, query or keeper call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// The bond is below the role's minimum (or not in `ubls`).
    #[error("not enough bond: have {have}, need at least {need}")]
    NotEnoughBond {
        /// Offered or remaining bond.
        have: String,
        /// Required minimum.
        need: String,
    },
    /// The operator (or the result key / peer id) is already registered.
    #[error("duplicate registration: {0}")]
    DuplicateRegistration(String),
    /// No worker with this id.
    #[error("unknown worker {0}")]
    UnknownWorker(String),
    /// The signer does not operate this worker.
    #[error("worker {worker} is operated by {operator}, not by {signer}")]
    WrongOperator {
        /// The worker id.
        worker: String,
        /// Its operator.
        operator: String,
        /// Who signed.
        signer: String,
    },
    /// Unjail before the jail period ended.
    #[error("worker {worker} is jailed until height {until}, current height {height}")]
    UnjailTooEarly {
        /// The worker id.
        worker: String,
        /// Jail end height.
        until: u64,
        /// Current height.
        height: u64,
    },
    /// The worker is not in a state that allows this message.
    #[error("worker {worker} is {status}: {action} not allowed")]
    WrongStatus {
        /// The worker id.
        worker: String,
        /// Its status.
        status: String,
        /// What was attempted.
        action: &'static str,
    },
    /// The result-signing key is not a valid compressed secp256k1 point.
    #[error("invalid result-signing key: {0}")]
    InvalidKey(String),
    /// A field fails validation.
    #[error("invalid {field}: {reason}")]
    InvalidField {
        /// The field name.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// Invalid params (genesis or update).
    #[error("invalid params: {0}")]
    InvalidParams(String),
    /// A bank transfer or burn failed.
    #[error("bank: {0}")]
    Bank(String),
    /// Malformed query request.
    #[error("invalid query: {0}")]
    InvalidQuery(String),
    /// The worker already has the most partial unbondings in flight.
    #[error("worker {worker} already has {max} unbondings in flight; wait for one to complete")]
    TooManyUnbondings {
        /// The worker id.
        worker: String,
        /// The limit ([`crate::state::MAX_UNBONDING_ENTRIES`]).
        max: usize,
    },
    /// The worker's result-key history is full of keys still within evidence reach.
    #[error("worker {worker} already has {max} result keys within evidence reach; the oldest retired key frees up at height {frees_at}")]
    KeyHistoryFull {
        /// The worker id.
        worker: String,
        /// The limit ([`crate::result_keys::MAX_RESULT_KEYS`]).
        max: usize,
        /// First height at which a rotation can succeed.
        frees_at: u64,
    },
    /// Storage or serialization failure.
    #[error("store error: {0}")]
    Store(String),
}

impl AbciCode for RegistryError {
    fn codespace(&self) -> &'static str {
        "registry"
    }
    fn code(&self) -> u32 {
        match self {
            RegistryError::NotEnoughBond { .. } => 2,
            RegistryError::DuplicateRegistration(_) => 3,
            RegistryError::UnknownWorker(_) => 4,
            RegistryError::WrongOperator { .. } => 5,
            RegistryError::UnjailTooEarly { .. } => 6,
            RegistryError::WrongStatus { .. } => 7,
            RegistryError::InvalidKey(_) => 8,
            RegistryError::InvalidField { .. } => 9,
            RegistryError::InvalidParams(_) => 10,
            RegistryError::Bank(_) => 11,
            RegistryError::InvalidQuery(_) => 12,
            RegistryError::TooManyUnbondings { .. } => 13,
            RegistryError::KeyHistoryFull { .. } => 14,
            RegistryError::Store(_) => 1,
        }
    }
}

impl From<cosmwasm_std::StdError> for RegistryError {
    fn from(e: cosmwasm_std::StdError) -> Self {
        RegistryError::Store(e.to_string())
    }
}

impl From<bls_bank::BankError> for RegistryError {
    fn from(e: bls_bank::BankError) -> Self {
        RegistryError::Bank(e.to_string())
    }
}

/// Shorthand for an invalid-field error.
pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> RegistryError {
    RegistryError::InvalidField {
        field,
        reason: reason.into(),
    }
}
