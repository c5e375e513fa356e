//! `bls-auth`: accounts (address, public key, account number, sequence), the auth params that
//! govern the tx pipeline, and secp256k1 signature checks.
//!
//! - [`account`]: [`Account`] records (stored as `cosmos.auth.v1beta1.BaseAccount` protobuf) and
//!   [`ensure_account`], which creates an account with the next account number, as the Cosmos
//!   SDK does when an address first receives funds;
//! - [`params`]: [`Params`] incl. the fixed-point [`GasPrice`] (`min_gas_price`);
//! - [`pubkey`]: the key kinds an account may have (Cosmos and Ethereum secp256k1, Aptos
//!   ed25519), their type URLs and address rules;
//! - [`signature`]: signature verification for each kind, refusing malleable encodings;
//! - [`text_signature`]: text signed by a browser wallet (ADR-036, `personal_sign`, Aptos
//!   `signMessage`), for sign-in and wallet-signed fast-path requests;
//! - [`genesis`]: `{params, accounts}` import and export;
//! - [`queries`]: the `/cosmos.auth.v1beta1.Query/{Account,Params}` queries;
//! - [`module`]: [`AuthModule`], the `bls_core::Module` implementation (no messages).

pub mod account;
pub mod error;
pub mod genesis;
mod json_u64;
pub mod module;
pub mod params;
pub mod pubkey;
pub mod queries;
pub mod signature;
pub mod text_signature;

pub use account::{ensure_account, get_account, set_account, Account};
pub use error::AuthError;
pub use module::AuthModule;
pub use params::{GasPrice, Params};
pub use pubkey::PubKey;
