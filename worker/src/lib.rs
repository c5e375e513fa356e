//! bls-worker: executes bls functions for the network.
//!
//! - [`runtime`]: the wasmtime sandbox (WASI preview 1, limits, determinism,
//!   permissions, module cache) and the canonical job [`runtime::Outcome`].
//! - [`daemon`]: `bls-worker start` — chain follower, job execution, commit/reveal
//!   transactions; [`config`]: its `config.toml`; [`metrics`]: its Prometheus metrics.

pub mod config;
pub mod daemon;
pub mod metrics;
pub mod runtime;
