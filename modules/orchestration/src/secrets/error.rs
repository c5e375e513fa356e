//! Errors of the secrets messages.

use bls_core::AbciCode;

use crate::error::OrchestrationError;

/// Why a secrets message was refused.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    /// A field fails validation.
    #[error("invalid {field}: {reason}")]
    InvalidField {
        /// The field.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// The function has no secret of this name.
    #[error("function {function} has no secret named {name:?}")]
    UnknownSecret {
        /// Function id.
        function: u64,
        /// The name.
        name: String,
    },
    /// The envelopes do not match the subnetwork's members with an encryption key.
    #[error("envelopes must be exactly one per member of function {function}'s subnetwork with an encryption key ({expected}); {problem}")]
    WrongRecipients {
        /// Function id.
        function: u64,
        /// The members that need one, comma-separated.
        expected: String,
        /// What is wrong.
        problem: String,
    },
    /// The signer is not a member of the function's subnetwork (or does not hold what it
    /// claims to).
    #[error("{worker} may not do this for function {function}: {reason}")]
    NotAllowed {
        /// The signer.
        worker: String,
        /// Function id.
        function: u64,
        /// Why not.
        reason: String,
    },
    /// The version is not the secret's current one.
    #[error("secret {name:?} of function {function} is at version {current}, not {given}")]
    StaleVersion {
        /// Function id.
        function: u64,
        /// The name.
        name: String,
        /// The current version.
        current: u64,
        /// The version in the message.
        given: u64,
    },
    /// Anything else (unknown function, not owner, retired, store).
    #[error(transparent)]
    Orchestration(#[from] OrchestrationError),
}

impl AbciCode for SecretsError {
    fn codespace(&self) -> &'static str {
        "orchestration"
    }
    fn code(&self) -> u32 {
        use SecretsError::*;
        match self {
            InvalidField { .. } => 90,
            UnknownSecret { .. } => 91,
            WrongRecipients { .. } => 92,
            NotAllowed { .. } => 93,
            StaleVersion { .. } => 94,
            Orchestration(e) => e.code(),
        }
    }
}

impl From<cosmwasm_std::StdError> for SecretsError {
    fn from(e: cosmwasm_std::StdError) -> Self {
        SecretsError::Orchestration(e.into())
    }
}

impl From<bls_registry::RegistryError> for SecretsError {
    fn from(e: bls_registry::RegistryError) -> Self {
        SecretsError::Orchestration(e.into())
    }
}

/// Shorthand for an invalid-field error.
pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> SecretsError {
    SecretsError::InvalidField {
        field,
        reason: reason.into(),
    }
}

impl From<SecretsError> for OrchestrationError {
    /// Secrets state read from orchestration's own hooks (assignment, placement): only store
    /// errors can happen there.
    fn from(e: SecretsError) -> Self {
        match e {
            SecretsError::Orchestration(e) => e,
            other => OrchestrationError::Store(other.to_string()),
        }
    }
}
