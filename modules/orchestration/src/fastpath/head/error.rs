//! Typed errors of head accountability (codespace `orchestration`, codes from 70).

use bls_core::AbciCode;

use crate::error::OrchestrationError;
use crate::fastpath::error::FastPathError;

/// Why a report, challenge or answer was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeadError {
    /// A field fails validation.
    #[error("invalid {field}: {reason}")]
    InvalidField {
        /// Field name.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// The invoker's request does not verify, or the statement answers another request.
    #[error("request: {0}")]
    BadRequest(String),
    /// The statement's head is not a registered head worker.
    #[error("{0} is not a registered head worker")]
    NotAHead(String),
    /// The statement is not signed by the head's registered result key: it proves nothing
    /// about the head.
    #[error("the statement is not signed by head {head}'s result key: {reason}")]
    BadHeadSignature {
        /// The head.
        head: String,
        /// Why.
        reason: String,
    },
    /// The statement's height is outside the window in which it can be reported.
    #[error("statement height {height}: {reason} (current height {current})")]
    OutsideWindow {
        /// The statement's height.
        height: u64,
        /// Current height.
        current: u64,
        /// Why.
        reason: String,
    },
    /// The statement proves no lie.
    #[error("the report proves no lie: {0}")]
    NoLie(String),
    /// The head was already punished for this request.
    #[error("head {head} was already punished for request {request}")]
    AlreadyPunished {
        /// Request id (hex).
        request: String,
        /// The head.
        head: String,
    },
    /// No head settled this request (or its record passed the dispute window).
    #[error("request {0} was not settled by a head within the dispute window")]
    NotSettled(String),
    /// Only the request's invoker may challenge it.
    #[error("request {request} was invoked by {invoker}, not {signer}")]
    NotInvoker {
        /// Request id (hex).
        request: String,
        /// Its invoker.
        invoker: String,
        /// Who signed.
        signer: String,
    },
    /// The dispute window of the settlement closed.
    #[error("request {request}: the dispute window closed at height {until} (current {current})")]
    WindowClosed {
        /// Request id (hex).
        request: String,
        /// Last height a challenge was accepted.
        until: u64,
        /// Current height.
        current: u64,
    },
    /// The request was challenged before (one challenge per request).
    #[error("request {request} was already challenged ({status})")]
    AlreadyChallenged {
        /// Request id (hex).
        request: String,
        /// The challenge's status.
        status: String,
    },
    /// The charge was refunded already (the head was punished for this request).
    #[error("the charge for request {0} was already refunded")]
    AlreadyRefunded(String),
    /// No open challenge for this request.
    #[error("no open challenge for request {0}")]
    NoOpenChallenge(String),
    /// The signer is not the challenged head.
    #[error("request {request} challenges head {head}, not {signer}")]
    NotChallengedHead {
        /// Request id (hex).
        request: String,
        /// The challenged head.
        head: String,
        /// Who signed.
        signer: String,
    },
    /// The answer's outcome is not the settled result.
    #[error("request {request}: the outcome hashes to {got}, the settled result is {want}")]
    WrongOutcome {
        /// Request id (hex).
        request: String,
        /// Settled result hash (hex).
        want: String,
        /// sha256 of the answer (hex).
        got: String,
    },
    /// Any other orchestration error (store, bank, registry).
    #[error(transparent)]
    Orchestration(#[from] OrchestrationError),
}

impl AbciCode for HeadError {
    fn codespace(&self) -> &'static str {
        "orchestration"
    }
    fn code(&self) -> u32 {
        use HeadError::*;
        match self {
            InvalidField { .. } => 70,
            BadRequest(_) => 71,
            NotAHead(_) => 72,
            BadHeadSignature { .. } => 73,
            OutsideWindow { .. } => 74,
            NoLie(_) => 75,
            AlreadyPunished { .. } => 76,
            NotSettled(_) => 77,
            NotInvoker { .. } => 78,
            WindowClosed { .. } => 79,
            AlreadyChallenged { .. } => 80,
            AlreadyRefunded(_) => 81,
            NoOpenChallenge(_) => 82,
            NotChallengedHead { .. } => 83,
            WrongOutcome { .. } => 84,
            Orchestration(e) => e.code(),
        }
    }
}

impl From<cosmwasm_std::StdError> for HeadError {
    fn from(e: cosmwasm_std::StdError) -> Self {
        HeadError::Orchestration(e.into())
    }
}

impl From<bls_bank::BankError> for HeadError {
    fn from(e: bls_bank::BankError) -> Self {
        HeadError::Orchestration(e.into())
    }
}

impl From<bls_registry::RegistryError> for HeadError {
    fn from(e: bls_registry::RegistryError) -> Self {
        HeadError::Orchestration(e.into())
    }
}

impl From<FastPathError> for HeadError {
    fn from(e: FastPathError) -> Self {
        match e {
            FastPathError::InvalidField { field, reason } => {
                HeadError::InvalidField { field, reason }
            }
            FastPathError::Orchestration(o) => HeadError::Orchestration(o),
            other => HeadError::BadRequest(other.to_string()),
        }
    }
}

/// Shorthand for an invalid-field error.
pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> HeadError {
    HeadError::InvalidField {
        field,
        reason: reason.into(),
    }
}
