//! bls-worker: executes bls functions for the network.
//!
//! - [`runtime`]: the wasmtime sandbox (WASI preview 1, limits, determinism,
//!   permissions, module cache) and the canonical job [`runtime::Outcome`].
//! - [`local`]: one local execution exactly as a worker runs it (`bls-worker run`, `bls`).
//! - [`daemon`]: `bls-worker start` — chain follower, job execution, commit/reveal
//!   transactions; [`config`]: its `config.toml`; [`metrics`]: its Prometheus metrics.
//! - [`p2p`]: the libp2p layer (discovery, registered-peers gate, work orders, code blobs,
//!   subnetwork gossip); [`head`]: the head worker's HTTP API and receipt settlement;
//!   [`keyed_locks`]: per-key async locks they share.

pub mod config;
pub mod daemon;
pub mod head;
pub mod keyed_locks;
pub mod local;
pub mod metrics;
pub mod p2p;
pub mod runtime;
