//! bls-app
pub mod store;
pub mod tx;
