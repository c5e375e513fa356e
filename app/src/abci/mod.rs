//! The ABCI 2.0 application CometBFT drives.
//!
//! - [`app::BlsApp`]: the state machine (InitChain, CheckTx, FinalizeBlock, Commit, Query);
//! - [`owner`]: one thread owns the app; every ABCI connection forwards to it (CometBFT
//!   opens four), except queries, which run on the asking thread;
//! - [`server`]: the ABCI socket server (length-prefixed protobuf over TCP, `TCP_NODELAY`);
//! - [`query`]: the query router (store proofs, Cosmos gRPC paths, `bls.*` module paths),
//!   over committed state, off the consensus thread; [`query_gate`] bounds how many run;
//! - [`genesis`]: the `app_state` document and its per-module sections;
//! - [`vote_extensions`]: vote extensions and their pseudo-transaction (randomness beacon);
//! - [`state_sync`]: snapshots taken at Commit, served, and restored when joining.

pub mod app;
pub mod genesis;
pub mod owner;
pub mod query;
pub mod query_gate;
pub mod server;
pub mod state_sync;
pub mod vote_extensions;

pub use app::BlsApp;
pub use owner::{AbciHandle, OwnerThread};
pub use query::QueryService;
pub use server::AbciServer;
