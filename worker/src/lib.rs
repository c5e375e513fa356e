//! bls-worker: executes bls functions for the network.
//!
//! The sandbox itself (wasmtime, limits, determinism, the HTTP extension, one local run)
//! is the `bls-runtime` crate; this crate puts it to work:
//!
//! - [`daemon`]: `bls-worker start` — chain follower, job execution, commit/reveal
//!   transactions; [`config`]: its `config.toml`; [`metrics`]: its Prometheus metrics.
//! - [`p2p`]: the libp2p layer (discovery, registered-peers gate, work orders, code blobs,
//!   subnetwork gossip); [`head`]: the head worker's HTTP API and receipt settlement;
//!   [`keyed_locks`]: per-key async locks they share.

pub mod config;
pub mod daemon;
pub mod head;
pub mod keyed_locks;
pub mod metrics;
pub mod p2p;
