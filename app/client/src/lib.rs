//! bls-client
