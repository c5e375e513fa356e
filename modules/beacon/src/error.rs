//! Typed errors of the beacon (codespace `beacon`).

use bls_core::AbciCode;

/// Why a vote extension, a block's vote-extension pseudo-transaction, a query or the genesis
/// section is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BeaconError {
    /// A vote extension is neither empty (withheld) nor the 65-byte v1 layout.
    #[error("malformed vote extension: {0}")]
    MalformedExtension(String),
    /// Vote extensions are enabled for the previous height but the block does not start with
    /// the vote-extension pseudo-transaction.
    #[error("block {height} must start with the vote extensions of height {} (pseudo-transaction missing)", height.saturating_sub(1))]
    MissingVoteExtensions {
        /// The block's height.
        height: u64,
    },
    /// A pseudo-transaction anywhere but first, or in a block that must not have one.
    #[error("vote-extension pseudo-transaction not allowed at index {index}: {why}")]
    UnexpectedPseudoTx {
        /// Position in the block.
        index: usize,
        /// Why it is not allowed there.
        why: &'static str,
    },
    /// The pseudo-transaction does not decode as an `ExtendedCommitInfo`.
    #[error("vote-extension pseudo-transaction does not decode: {0}")]
    MalformedCommitInfo(String),
    /// The extended commit's round is not the block's last-commit round.
    #[error("extended commit round {got} differs from the block's last commit round {want}")]
    RoundMismatch {
        /// Round in the pseudo-transaction.
        got: i32,
        /// Round of the block's last commit.
        want: i32,
    },
    /// The extended commit lists a different number of votes than the block's last commit.
    #[error("extended commit has {got} votes, the block's last commit {want}")]
    VoteCountMismatch {
        /// Votes in the pseudo-transaction.
        got: usize,
        /// Votes in the block's last commit.
        want: usize,
    },
    /// Vote `index` differs from the block's last commit (validator, power or flag).
    #[error("vote {index} differs from the block's last commit: {reason}")]
    VoteMismatch {
        /// Position of the vote.
        index: usize,
        /// What differs.
        reason: String,
    },
    /// A validator appears twice.
    #[error("validator {0} appears twice in the commit")]
    DuplicateValidator(String),
    /// No consensus key is known for a validator that signed.
    #[error("no consensus key known for validator {0}")]
    UnknownValidator(String),
    /// A vote's extension signature is missing, malformed or does not verify.
    #[error("vote extension signature of validator {validator} is invalid: {reason}")]
    BadSignature {
        /// Consensus address (hex).
        validator: String,
        /// Why.
        reason: &'static str,
    },
    /// A vote that is not a commit vote carries an extension or a signature.
    #[error("validator {0} did not vote for the block but its vote carries extension data")]
    ExtensionOnNonCommitVote(String),
    /// Voting powers are not positive or overflow.
    #[error("invalid voting power: {0}")]
    InvalidPower(String),
    /// The validly signed extensions hold 2/3 of the power or less.
    #[error(
        "signed vote extensions hold {signed} of {total} voting power; more than 2/3 is required"
    )]
    InsufficientPower {
        /// Power of commit votes with verified extension signatures.
        signed: i64,
        /// Power of every vote in the commit.
        total: i64,
    },
    /// Bad genesis section.
    #[error("invalid beacon genesis: {0}")]
    InvalidGenesis(String),
    /// Malformed query request.
    #[error("invalid query: {0}")]
    InvalidQuery(String),
    /// Storage or serialization failure.
    #[error("store error: {0}")]
    Store(String),
}

impl AbciCode for BeaconError {
    fn codespace(&self) -> &'static str {
        "beacon"
    }
    fn code(&self) -> u32 {
        match self {
            BeaconError::Store(_) => 1,
            BeaconError::MalformedExtension(_) => 2,
            BeaconError::MissingVoteExtensions { .. } => 3,
            BeaconError::UnexpectedPseudoTx { .. } => 4,
            BeaconError::MalformedCommitInfo(_) => 5,
            BeaconError::RoundMismatch { .. } => 6,
            BeaconError::VoteCountMismatch { .. } => 7,
            BeaconError::VoteMismatch { .. } => 8,
            BeaconError::DuplicateValidator(_) => 9,
            BeaconError::UnknownValidator(_) => 10,
            BeaconError::BadSignature { .. } => 11,
            BeaconError::ExtensionOnNonCommitVote(_) => 12,
            BeaconError::InvalidPower(_) => 13,
            BeaconError::InsufficientPower { .. } => 14,
            BeaconError::InvalidGenesis(_) => 15,
            BeaconError::InvalidQuery(_) => 16,
        }
    }
}

impl From<cosmwasm_std::StdError> for BeaconError {
    fn from(e: cosmwasm_std::StdError) -> Self {
        BeaconError::Store(e.to_string())
    }
}
