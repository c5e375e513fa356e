//! bls-app
pub mod store;
