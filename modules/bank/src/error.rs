//! Errors of the bank module.

use bls_auth::AuthError;
use bls_core::coins::CoinError;
use bls_core::AbciCode;

/// Why a bank operation failed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BankError {
    /// Not enough balance.
    #[error("insufficient funds in {address}: {source}")]
    InsufficientFunds {
        /// Whose balance.
        address: String,
        /// Have/need detail.
        source: CoinError,
    },
    /// Malformed coins in a message.
    #[error("invalid coins: {0}")]
    InvalidCoins(CoinError),
    /// Malformed address in a message.
    #[error("invalid address: {0}")]
    InvalidAddress(String),
    /// Sending nothing.
    #[error("amount must be positive")]
    ZeroAmount,
    /// Supply or balance overflowed u128.
    #[error("amount overflow")]
    Overflow,
    /// Storage failure.
    #[error("store error: {0}")]
    Store(String),
    /// Creating the recipient's account failed.
    #[error("account: {0}")]
    Account(#[from] AuthError),
    /// A malformed query request.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// A query method this module does not serve.
    #[error("unknown query method {0:?}")]
    UnknownQuery(String),
    /// `MsgSend` to a module account, whose balance its module accounts for itself.
    #[error(
        "{address} is not allowed to receive funds: it is the module account {account} of \
         module {module}, which only that module pays into"
    )]
    BlockedRecipient {
        /// The recipient.
        address: String,
        /// The module account's name.
        account: &'static str,
        /// The module that declared it.
        module: &'static str,
    },
    /// Invalid genesis section.
    #[error("invalid bank genesis: {0}")]
    InvalidGenesis(String),
}

impl AbciCode for BankError {
    fn codespace(&self) -> &'static str {
        match self {
            BankError::Account(e) => e.codespace(),
            BankError::BlockedRecipient { .. } => "sdk",
            _ => "bank",
        }
    }
    fn code(&self) -> u32 {
        match self {
            BankError::InsufficientFunds { .. } => 5,
            BankError::InvalidCoins(_) => 10,
            BankError::InvalidAddress(_) => 7,
            BankError::ZeroAmount => 11,
            BankError::Overflow => 12,
            BankError::Store(_) => 1,
            BankError::Account(e) => e.code(),
            BankError::InvalidRequest(_) => 18,
            BankError::UnknownQuery(_) => 6,
            BankError::InvalidGenesis(_) => 19,
            BankError::BlockedRecipient { .. } => 4,
        }
    }
}
