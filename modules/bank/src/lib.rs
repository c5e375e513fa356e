//! `bls-bank`: balances, total supply, transfers and burns.
//!
//! - [`state`]: the keeper functions other modules call (`send`, `mint`, `burn`, `balance`);
//! - [`msgs`]: `cosmos.bank.v1beta1.MsgSend`;
//! - [`queries`]: `/cosmos.bank.v1beta1.Query/{Balance,AllBalances,TotalSupply,SupplyOf}`;
//! - [`genesis`]: initial balances (supply is derived from them);
//! - [`error`]: [`BankError`].

pub mod error;
pub mod state;

pub use error::BankError;
