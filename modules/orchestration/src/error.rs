//! Typed errors of the orchestration module (codespace `orchestration`).

use bls_core::AbciCode;

/// Why an orchestration message, query or block hook failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrchestrationError {
    /// A message field fails validation.
    #[error("invalid {field}: {reason}")]
    InvalidField {
        /// Field name.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// The manifest JSON is malformed or out of bounds.
    #[error("invalid manifest: {0}")]
    InvalidManifest(String),
    /// The code is not a valid WASM module (or lacks the entry export).
    #[error("invalid wasm: {0}")]
    InvalidWasm(String),
    /// Code above the compressed or decompressed cap.
    #[error("code too large: {what} is {size} bytes, limit {limit}")]
    CodeTooLarge {
        /// `compressed` or `decompressed`.
        what: &'static str,
        /// Observed size (for decompressed: at least this much).
        size: u64,
        /// The cap.
        limit: u64,
    },
    /// No function with this id.
    #[error("unknown function {0}")]
    UnknownFunction(u64),
    /// The signer does not own the function.
    #[error("function {function} is owned by {owner}, not {signer}")]
    NotOwner {
        /// Function id.
        function: u64,
        /// Its owner.
        owner: String,
        /// Who signed.
        signer: String,
    },
    /// The function is retired.
    #[error("function {0} is retired")]
    FunctionRetired(u64),
    /// Not enough eligible workers to assign the job.
    #[error("not enough eligible workers: need {need}, have {have}")]
    NotEnoughWorkers {
        /// Workers needed.
        need: u32,
        /// Eligible workers available.
        have: u32,
    },
    /// A function with secrets has fewer subnetwork members holding them than its replication.
    #[error("function {function} has secrets and only {have} subnetwork members hold them (need {need}): new members get them re-sealed by the others within a few blocks; if none hold them, set them again with `bls function secrets set`")]
    NotEnoughSealed {
        /// Function id.
        function: u64,
        /// Replication.
        need: u32,
        /// Members holding every secret.
        have: u32,
    },
    /// `max_fee` does not cover the most the job can cost.
    #[error(
        "max_fee {max_fee} is below {required}, the most a job of function {function} can cost \
         (base fee + the larger of its fuel budget's fee and its timeout's fee): \
         offer at least {required}"
    )]
    FeeTooLow {
        /// The function invoked.
        function: u64,
        /// Offered.
        max_fee: String,
        /// The job's worst-case fee ([`crate::pricing::worst_case_fee`]).
        required: String,
    },
    /// A manifest's fuel budget above the chain's `max_fuel`.
    #[error("manifest limits.fuel {fuel} is above the chain's max_fuel {max_fuel}")]
    FuelAboveMax {
        /// The manifest's `limits.fuel`.
        fuel: u64,
        /// The `max_fuel` param.
        max_fuel: u64,
    },
    /// No job with this id.
    #[error("unknown job {0}")]
    UnknownJob(u64),
    /// The job finished long ago and was deleted (`job_retention_blocks`).
    #[error("job {0} not found: it finished more than job_retention_blocks ago and was pruned")]
    JobPruned(u64),
    /// The job is not in the phase this message needs.
    #[error("job {job} is {phase}: {action} not allowed")]
    WrongPhase {
        /// Job id.
        job: u64,
        /// Its phase.
        phase: String,
        /// What was attempted.
        action: &'static str,
    },
    /// The signer is not assigned to the job's current round.
    #[error("{worker} is not assigned to job {job}")]
    NotAssigned {
        /// Job id.
        job: u64,
        /// The signer.
        worker: String,
    },
    /// The worker already committed in this round.
    #[error("{worker} already committed to job {job}")]
    DuplicateCommit {
        /// Job id.
        job: u64,
        /// The worker.
        worker: String,
    },
    /// The worker already revealed in this round.
    #[error("{worker} already revealed for job {job}")]
    DuplicateReveal {
        /// Job id.
        job: u64,
        /// The worker.
        worker: String,
    },
    /// A reveal from a worker that did not commit.
    #[error("{worker} has no commitment for job {job}")]
    NoCommit {
        /// Job id.
        job: u64,
        /// The worker.
        worker: String,
    },
    /// The commit window has closed.
    #[error("commit window of job {job} closed at height {deadline}")]
    LateCommit {
        /// Job id.
        job: u64,
        /// Last height commits were accepted.
        deadline: u64,
    },
    /// The reveal window has closed.
    #[error("reveal window of job {job} closed at height {deadline}")]
    LateReveal {
        /// Job id.
        job: u64,
        /// Last height reveals were accepted.
        deadline: u64,
    },
    /// The reveal does not match the commitment.
    #[error("reveal does not match the commitment: {0}")]
    BadReveal(String),
    /// The revealed outcome is not a canonical outcome within the function's limits.
    #[error("invalid outcome: {0}")]
    InvalidOutcome(String),
    /// No code stored under this hash.
    #[error("code {0} is not stored on chain")]
    CodeNotFound(String),
    /// Invalid params.
    #[error("invalid params: {0}")]
    InvalidParams(String),
    /// Malformed query.
    #[error("invalid query: {0}")]
    InvalidQuery(String),
    /// A bank transfer or burn failed (e.g. the invoker cannot pay `max_fee`).
    #[error("bank: {0}")]
    Bank(String),
    /// A registry keeper call failed.
    #[error("registry: {0}")]
    Registry(String),
    /// Storage or serialization failure.
    #[error("store error: {0}")]
    Store(String),
    /// A worker may not decline this job slot.
    #[error("job {job} cannot be declined: {reason}")]
    NotDeclinable {
        /// Job id.
        job: u64,
        /// Why.
        reason: String,
    },
    /// The function is listed already (`MsgUpdateListing` replaces a listing).
    #[error("function {0} is listed already: update its listing instead")]
    AlreadyListed(u64),
    /// The function is not listed.
    #[error("function {0} is not listed")]
    NotListed(u64),
    /// The invocation pins a version the function no longer runs.
    #[error("function {function} runs version {current}, not the pinned version {pinned}: invoke version {current} (or 0 for the latest) after checking it")]
    VersionMoved {
        /// Function id.
        function: u64,
        /// The version asked for.
        pinned: u64,
        /// The version it runs.
        current: u64,
    },
    /// A listing's price changed too recently.
    #[error("function {function}'s price changed less than the cooldown ago (fast-path requests signed under it may still settle): it may change again from height {next}")]
    PriceChangeTooSoon {
        /// Function id.
        function: u64,
        /// First height at which it may.
        next: u64,
    },
    /// A function's manifest declares a callee that cannot be called.
    #[error("function {caller} calls function {callee}, which {reason}")]
    CannotCall {
        /// The calling function.
        caller: u64,
        /// The function it declares in `calls`.
        callee: u64,
        /// Why that cannot be.
        reason: String,
    },
    /// The tx's gas ran out before a costly check (signature verifications are charged
    /// before they run); the tx pipeline reports it as the SDK's out-of-gas error.
    #[error("{0}")]
    OutOfGas(String),
}

impl AbciCode for OrchestrationError {
    fn codespace(&self) -> &'static str {
        "orchestration"
    }
    fn code(&self) -> u32 {
        use OrchestrationError::*;
        match self {
            Store(_) => 1,
            InvalidField { .. } => 2,
            InvalidManifest(_) => 3,
            InvalidWasm(_) => 4,
            CodeTooLarge { .. } => 5,
            UnknownFunction(_) => 6,
            NotOwner { .. } => 7,
            FunctionRetired(_) => 8,
            NotEnoughWorkers { .. } => 9,
            FeeTooLow { .. } => 10,
            UnknownJob(_) => 11,
            WrongPhase { .. } => 12,
            NotAssigned { .. } => 13,
            DuplicateCommit { .. } => 14,
            DuplicateReveal { .. } => 15,
            NoCommit { .. } => 16,
            LateCommit { .. } => 17,
            LateReveal { .. } => 18,
            BadReveal(_) => 19,
            InvalidOutcome(_) => 20,
            CodeNotFound(_) => 21,
            InvalidParams(_) => 22,
            InvalidQuery(_) => 23,
            Bank(_) => 24,
            Registry(_) => 25,
            FuelAboveMax { .. } => 26,
            OutOfGas(_) => 27,
            JobPruned(_) => 28,
            NotEnoughSealed { .. } => 29,
            NotDeclinable { .. } => 30,
            AlreadyListed(_) => 31,
            NotListed(_) => 32,
            VersionMoved { .. } => 33,
            PriceChangeTooSoon { .. } => 34,
            CannotCall { .. } => 35,
        }
    }
}

impl From<cosmwasm_std::StdError> for OrchestrationError {
    fn from(e: cosmwasm_std::StdError) -> Self {
        OrchestrationError::Store(e.to_string())
    }
}

impl From<bls_core::gas::OutOfGas> for OrchestrationError {
    fn from(e: bls_core::gas::OutOfGas) -> Self {
        OrchestrationError::OutOfGas(e.to_string())
    }
}

impl From<bls_bank::BankError> for OrchestrationError {
    fn from(e: bls_bank::BankError) -> Self {
        OrchestrationError::Bank(e.to_string())
    }
}

impl From<bls_registry::RegistryError> for OrchestrationError {
    fn from(e: bls_registry::RegistryError) -> Self {
        OrchestrationError::Registry(e.to_string())
    }
}

/// Shorthand for an invalid-field error.
pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> OrchestrationError {
    OrchestrationError::InvalidField {
        field,
        reason: reason.into(),
    }
}
