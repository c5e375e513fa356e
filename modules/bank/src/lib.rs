//! `bls-bank`: balances, total supply, transfers and burns.
//!
//! - [`keeper`]: the API other modules and the app call (`send`, `burn` take the context
//!   and emit the coin events; `balance`, `supply_of`, ... read);
//! - [`events`]: the SDK's `coin_spent` / `coin_received` / `transfer` / `burn`;
//! - [`msgs`]: the `cosmos.bank.v1beta1.MsgSend` handler;
//! - [`queries`]: the `/cosmos.bank.v1beta1.Query/{Balance,AllBalances,TotalSupply,SupplyOf,Params}`
//!   queries;
//! - [`genesis`]: initial balances (supply is derived from them) and [`genesis::fund`];
//! - [`module`]: [`BankModule`], the `bls_core::Module` implementation;
//! - [`error`]: the module error type, [`BankError`].
//!
//! The storage maps (`state`) are private: nothing outside this crate names them.

pub mod error;
pub mod events;
pub mod genesis;
pub mod keeper;
pub mod module;
pub mod msgs;
pub mod queries;
mod state;

pub use error::BankError;
pub use module::BankModule;
