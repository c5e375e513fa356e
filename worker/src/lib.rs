//! bls-worker: executes bls functions for the network.
//!
//! - [`runtime`]: the wasmtime sandbox (WASI preview 1, limits, determinism,
//!   permissions, module cache) and the canonical job [`runtime::Outcome`].

pub mod runtime;
