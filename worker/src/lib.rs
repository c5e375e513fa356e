//! bls-worker: executes bls functions for the network.
//!
//! - [`runtime`]: the wasmtime sandbox (WASI preview 1, limits, determinism,
//!   permissions, module cache) and the canonical job [`runtime::Outcome`].
//! - [`local`]: one local execution exactly as a worker runs it (`bls-worker run`, `bls`).
//! - [`daemon`]: `bls-worker start` — chain follower, job execution, commit/reveal
//!   transactions; [`config`]: its `config.toml`; [`metrics`]: its Prometheus metrics.

pub mod config;
pub mod daemon;
pub mod head;
pub mod local;
pub mod metrics;
pub mod p2p;
pub mod runtime;
