//! Typed errors of the fast path (codespace `orchestration`, codes from 40).

use bls_core::AbciCode;

use crate::error::OrchestrationError;

/// Why a fast-path message failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FastPathError {
    /// A field fails validation.
    #[error("invalid {field}: {reason}")]
    InvalidField {
        /// Field name.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// The invoker's signature over the request id does not verify.
    #[error("receipt {index}: invoker signature invalid: {reason}")]
    BadRequestSignature {
        /// Receipt index in the message.
        index: usize,
        /// Why.
        reason: String,
    },
    /// A worker signature does not verify (or its signer is not eligible).
    #[error("receipt {index}: worker {worker}: {reason}")]
    BadWorkerSignature {
        /// Receipt (or result) index in the message.
        index: usize,
        /// The worker.
        worker: String,
        /// Why.
        reason: String,
    },
    /// The request id was settled before (or twice in this message).
    #[error("request {0} was already settled (replayed receipt)")]
    Replayed(String),
    /// Fewer agreeing signatures than the function's quorum.
    #[error("receipt {index}: {have} worker signatures, quorum is {need}")]
    NoQuorum {
        /// Receipt index.
        index: usize,
        /// Valid distinct signatures.
        have: u32,
        /// Required.
        need: u32,
    },
    /// The signer is not a registered, active head worker.
    #[error("{0} is not an active registered head worker")]
    NotHead(String),
    /// The function pins its heads and the signer is not one of them.
    #[error("head {head} is not pinned for function {function}")]
    HeadNotPinned {
        /// Function id.
        function: u64,
        /// The head.
        head: String,
    },
    /// The code hash is not the function's current code.
    #[error("receipt {index}: code hash {got} is not function {function}'s code {want}")]
    WrongCode {
        /// Receipt index.
        index: usize,
        /// Function id.
        function: u64,
        /// Expected hex.
        want: String,
        /// Got hex.
        got: String,
    },
    /// The fee exceeds what the invoker signed for.
    #[error("receipt {index}: fee {fee} exceeds the signed max_fee {max_fee}")]
    FeeAboveMax {
        /// Receipt index.
        index: usize,
        /// Fee.
        fee: u128,
        /// Signed limit.
        max_fee: u128,
    },
    /// The deposit cannot cover the charge.
    #[error("fast-path deposit of {invoker} is {have}, needs {need}")]
    InsufficientDeposit {
        /// Invoker.
        invoker: String,
        /// Deposit.
        have: u128,
        /// Needed.
        need: u128,
    },
    /// Evidence that proves nothing (no conflict, no majority, or nobody new to slash).
    #[error("inconclusive evidence: {0}")]
    Inconclusive(String),
    /// The request's chain window closed: its receipt no longer settles and evidence about
    /// it is no longer accepted.
    #[error("{}request {request} closed at height {until} (now {height}): receipts settle and evidence is accepted only until expiry_height + fastpath_settle_window", receipt_prefix(*.index))]
    RequestClosed {
        /// Receipt index (settlement; `None` for evidence).
        index: Option<usize>,
        /// Request id (hex).
        request: String,
        /// Last height of its window.
        until: u64,
        /// Current height.
        height: u64,
    },
    /// The request expires more than `fastpath_request_ttl` blocks ahead: no honest head or
    /// worker serves it yet.
    #[error("{}request {request} expires at height {expiry}, more than fastpath_request_ttl ahead of height {height}; it is valid from height {from}", receipt_prefix(*.index))]
    RequestNotYetValid {
        /// Receipt index (settlement; `None` for evidence).
        index: Option<usize>,
        /// Request id (hex).
        request: String,
        /// Its expiry height.
        expiry: u64,
        /// First height of its window.
        from: u64,
        /// Current height.
        height: u64,
    },
    /// A receipt names other code than the code its request asks for.
    #[error("receipt {index}: code hash {receipt} is not the requested code {requested}")]
    CodeNotRequested {
        /// Receipt index.
        index: usize,
        /// The request's code hash (hex).
        requested: String,
        /// The receipt's (hex).
        receipt: String,
    },
    /// An outcome in evidence is malformed, too large or not the bytes behind its hash.
    #[error("outcome {index}: {reason}")]
    BadOutcome {
        /// Index in `outcomes`.
        index: usize,
        /// Why.
        reason: String,
    },
    /// The settling head was proven to have lied in its answer to this request: it may not
    /// charge for it.
    #[error("receipt {index}: head {head} was punished for a lie in its answer to request {request} and may not charge for it")]
    ChargeForProvenLie {
        /// Receipt index.
        index: usize,
        /// Request id (hex).
        request: String,
        /// The head.
        head: String,
    },
    /// Any other orchestration error (unknown function, not owner, bank, registry, store).
    #[error(transparent)]
    Orchestration(#[from] OrchestrationError),
}

impl AbciCode for FastPathError {
    fn codespace(&self) -> &'static str {
        "orchestration"
    }
    fn code(&self) -> u32 {
        use FastPathError::*;
        match self {
            InvalidField { .. } => 40,
            BadRequestSignature { .. } => 41,
            BadWorkerSignature { .. } => 42,
            Replayed(_) => 43,
            NoQuorum { .. } => 44,
            NotHead(_) => 45,
            HeadNotPinned { .. } => 46,
            WrongCode { .. } => 47,
            FeeAboveMax { .. } => 48,
            InsufficientDeposit { .. } => 49,
            Inconclusive(_) => 50,
            RequestClosed { .. } => 60,
            RequestNotYetValid { .. } => 61,
            CodeNotRequested { .. } => 62,
            BadOutcome { .. } => 63,
            ChargeForProvenLie { .. } => 64,
            Orchestration(e) => e.code(),
        }
    }
}

impl From<cosmwasm_std::StdError> for FastPathError {
    fn from(e: cosmwasm_std::StdError) -> Self {
        FastPathError::Orchestration(e.into())
    }
}

impl From<bls_bank::BankError> for FastPathError {
    fn from(e: bls_bank::BankError) -> Self {
        FastPathError::Orchestration(e.into())
    }
}

impl From<bls_registry::RegistryError> for FastPathError {
    fn from(e: bls_registry::RegistryError) -> Self {
        FastPathError::Orchestration(e.into())
    }
}

/// `receipt N: ` (how settlement errors name the refused receipt, which the head's settlement
/// loop reads to drop it), or nothing.
fn receipt_prefix(index: Option<usize>) -> String {
    index.map(|i| format!("receipt {i}: ")).unwrap_or_default()
}

/// Shorthand for an invalid-field error.
pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> FastPathError {
    FastPathError::InvalidField {
        field,
        reason: reason.into(),
    }
}
