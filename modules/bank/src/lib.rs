//! `bls-bank`: balances, total supply, transfers and burns.
//!
//! - [`state`]: the keeper functions other modules call (`send`, `mint`, `burn`, `balance`);
//! - [`transfer`]: `send` plus the SDK's `coin_spent` / `coin_received` / `transfer` events;
//! - [`msgs`]: the `cosmos.bank.v1beta1.MsgSend` handler;
//! - [`queries`]: the `/cosmos.bank.v1beta1.Query/{Balance,AllBalances,TotalSupply,SupplyOf,Params}`
//!   queries;
//! - [`genesis`]: initial balances (supply is derived from them);
//! - [`module`]: [`BankModule`], the `bls_core::Module` implementation;
//! - [`error`]: the module error type, [`BankError`].

pub mod error;
pub mod genesis;
pub mod module;
pub mod msgs;
pub mod queries;
pub mod state;
pub mod transfer;

pub use error::BankError;
pub use module::BankModule;
