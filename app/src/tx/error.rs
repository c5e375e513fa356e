//! Why a tx was rejected or failed, with the Cosmos SDK's `sdk` codespace codes and log texts
//! (clients such as CosmJS parse some of them, e.g. the sequence mismatch).

use bls_core::ModuleError;

/// Codespace of pipeline errors.
pub const SDK_CODESPACE: &str = "sdk";

/// A tx-level failure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxError {
    /// Bytes that are not a tx (SDK ErrTxDecode).
    #[error("{0}: tx parse error")]
    Decode(String),
    /// Larger than `max_tx_bytes` (SDK ErrTxTooLarge).
    #[error("tx too large: {size} bytes, max {max}: tx too large")]
    TooLarge {
        /// Size of the raw tx.
        size: usize,
        /// The limit.
        max: u64,
    },
    /// Structurally invalid (SDK ErrInvalidRequest).
    #[error("{0}: invalid request")]
    InvalidRequest(String),
    /// A message type no module handles (SDK ErrUnknownRequest).
    #[error("unrecognized message type {0}: unknown request")]
    UnknownMessage(String),
    /// Signature or signer mismatch (SDK ErrUnauthorized).
    #[error("{0}: unauthorized")]
    Unauthorized(String),
    /// No signatures at all (SDK ErrNoSignatures).
    #[error("no signatures supplied")]
    NoSignatures,
    /// More signatures than `tx_sig_limit` (SDK ErrTooManySignatures).
    #[error("signatures: {got}, limit: {limit}: too many signatures")]
    TooManySignatures {
        /// Signatures in the tx.
        got: usize,
        /// The limit.
        limit: u64,
    },
    /// Sequence does not match the account (SDK ErrWrongSequence; CosmJS parses this text).
    #[error(
        "account sequence mismatch, expected {expected}, got {got}: incorrect account sequence"
    )]
    WrongSequence {
        /// The account's sequence.
        expected: u64,
        /// The tx's.
        got: u64,
    },
    /// Missing, malformed or mismatched public key (SDK ErrInvalidPubKey).
    #[error("{0}: invalid pubkey")]
    InvalidPubKey(String),
    /// The signer has no account (SDK ErrUnknownAddress).
    #[error("account {0} not found: unknown address")]
    UnknownAddress(String),
    /// Malformed fee coins (SDK ErrInvalidCoins).
    #[error("{0}: invalid coins")]
    InvalidCoins(String),
    /// Fee below `gas_limit × min_gas_price` (SDK ErrInsufficientFee).
    #[error("insufficient fees; got: {got} required: {required}: insufficient fee")]
    InsufficientFee {
        /// Fee offered.
        got: String,
        /// Minimum fee.
        required: String,
    },
    /// The signer cannot pay the fee (SDK ErrInsufficientFunds).
    #[error("{0}: insufficient funds")]
    InsufficientFunds(String),
    /// Gas limit exhausted (SDK ErrOutOfGas; same log shape as the SDK).
    #[error(
        "out of gas in location: {location}; gasWanted: {wanted}, gasUsed: {used}: out of gas"
    )]
    OutOfGas {
        /// What was being charged.
        location: String,
        /// The tx's gas limit.
        wanted: u64,
        /// Gas consumed.
        used: u64,
    },
    /// Memo longer than `max_memo_characters` (SDK ErrMemoTooLarge).
    #[error("maximum number of characters is {max} but received {len} characters: memo too large")]
    MemoTooLarge {
        /// Memo length in characters.
        len: usize,
        /// The limit.
        max: u64,
    },
    /// Gas limit above `max_gas_per_tx` (SDK ErrInvalidGasLimit).
    #[error("gas limit {limit} exceeds the maximum of {max} per tx: invalid gas limit")]
    InvalidGasLimit {
        /// Declared gas limit.
        limit: u64,
        /// The maximum.
        max: u64,
    },
    /// Past its `timeout_height` (SDK ErrTxTimeoutHeight).
    #[error("block height: {height}, timeout height: {timeout}: tx timeout height")]
    TimeoutHeight {
        /// Current block height.
        height: u64,
        /// The tx's timeout height.
        timeout: u64,
    },
    /// Extension options present (SDK ErrUnknownExtensionOptions).
    #[error("unknown extension options: unknown extension options")]
    UnknownExtensionOptions,
    /// A feature this chain does not implement (multisig, fee grants, ...; SDK ErrNotSupported).
    #[error("{0}: feature not supported")]
    NotSupported(String),
    /// A message failed; keeps its module's codespace and code.
    #[error("failed to execute message; message index: {index}: {inner}")]
    Message {
        /// Index of the failing message.
        index: usize,
        /// The module's error.
        inner: ModuleError,
    },
    /// A message handler or `msg_signer` rejected a message before execution.
    #[error("{0}")]
    Module(ModuleError),
    /// State that does not decode (corruption, not input; SDK ErrInternal).
    #[error("internal error: {0}")]
    Internal(String),
}

impl TxError {
    /// (codespace, code) as reported to CometBFT.
    pub fn codes(&self) -> (String, u32) {
        let code = match self {
            TxError::Decode(_) => 2,
            TxError::Unauthorized(_) => 4,
            TxError::InsufficientFunds(_) => 5,
            TxError::UnknownMessage(_) => 6,
            TxError::InvalidPubKey(_) => 8,
            TxError::UnknownAddress(_) => 9,
            TxError::InvalidCoins(_) => 10,
            TxError::OutOfGas { .. } => 11,
            TxError::MemoTooLarge { .. } => 12,
            TxError::InsufficientFee { .. } => 13,
            TxError::TooManySignatures { .. } => 14,
            TxError::NoSignatures => 15,
            TxError::InvalidRequest(_) => 18,
            TxError::TooLarge { .. } => 21,
            TxError::TimeoutHeight { .. } => 30,
            TxError::UnknownExtensionOptions => 31,
            TxError::WrongSequence { .. } => 32,
            TxError::NotSupported(_) => 37,
            TxError::InvalidGasLimit { .. } => 41,
            TxError::Internal(_) => 1,
            TxError::Message { inner, .. } | TxError::Module(inner) => {
                return (inner.codespace.clone(), inner.code)
            }
        };
        (SDK_CODESPACE.to_string(), code)
    }

    /// As a `ModuleError` (simulate's query answer).
    pub fn to_module_error(&self) -> ModuleError {
        let (codespace, code) = self.codes();
        ModuleError {
            codespace,
            code,
            log: self.to_string(),
        }
    }
}

impl From<bls_core::gas::OutOfGas> for TxError {
    fn from(e: bls_core::gas::OutOfGas) -> Self {
        TxError::OutOfGas {
            location: e.descriptor,
            wanted: e.limit,
            used: e.used,
        }
    }
}
