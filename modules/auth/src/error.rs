//! Errors of the auth module. Codes are the Cosmos SDK's `sdk` codespace codes, so clients
//! (CosmJS, Keplr) that match on them behave as they do against a Cosmos SDK chain.

use bls_core::AbciCode;

/// Why an auth operation failed.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    /// A malformed bech32 address.
    #[error("invalid address: {0}")]
    InvalidAddress(String),
    /// No account at this address. The text is what CosmJS matches (`code = NotFound`).
    #[error("rpc error: code = NotFound desc = account {0} not found: key not found")]
    AccountNotFound(String),
    /// A public key of the wrong type or length, or one that does not match the address.
    #[error("invalid pubkey: {0}")]
    InvalidPubKey(String),
    /// A signature that does not verify (or is malformed / high-S).
    #[error("{0}")]
    Unauthorized(String),
    /// Invalid params (genesis).
    #[error("invalid auth params: {0}")]
    InvalidParams(String),
    /// Invalid genesis section.
    #[error("invalid auth genesis: {0}")]
    InvalidGenesis(String),
    /// A malformed query request.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// A query method this module does not serve.
    #[error("unknown query method {0:?}")]
    UnknownQuery(String),
    /// Account numbers exhausted (u64 overflow; unreachable in practice).
    #[error("account number overflow")]
    AccountNumberOverflow,
    /// A stored record that does not decode (state corruption).
    #[error("store error: {0}")]
    Store(String),
}

impl AbciCode for AuthError {
    fn codespace(&self) -> &'static str {
        "sdk"
    }
    fn code(&self) -> u32 {
        match self {
            AuthError::InvalidAddress(_) => 7,
            AuthError::AccountNotFound(_) => 22,
            AuthError::InvalidPubKey(_) => 8,
            AuthError::Unauthorized(_) => 4,
            AuthError::InvalidParams(_) | AuthError::InvalidGenesis(_) => 18,
            AuthError::InvalidRequest(_) => 18,
            AuthError::UnknownQuery(_) => 6,
            AuthError::AccountNumberOverflow => 35,
            AuthError::Store(_) => 1,
        }
    }
}
