//! The ABCI 2.0 application CometBFT drives.
//!
//! - [`app::BlsApp`]: the state machine (InitChain, CheckTx, FinalizeBlock, Commit, Query);
//! - [`owner`]: one thread owns the app; every ABCI connection forwards to it, because
//!   tendermint-abci clones the application per connection and CometBFT opens four;
//! - [`query`]: the query router (store proofs, Cosmos gRPC paths, `bls.*` module paths);
//! - [`genesis`]: the `app_state` document and its per-module sections.

pub mod app;
pub mod genesis;
pub mod owner;
pub mod query;

pub use app::BlsApp;
pub use owner::{AbciHandle, OwnerThread};
