//! State sync: this node's snapshots for others ([`SnapshotStore`]) and the restore of a
//! snapshot offered by CometBFT when this node joins ([`Restore`]).
//!
//! CometBFT v0.38 drives both sides over the ABCI snapshot connection:
//! - serving: `ListSnapshots` and `LoadSnapshotChunk` read finished snapshots from
//!   `<home>/data/snapshots/` on the asking thread (never the consensus thread);
//! - joining: `OfferSnapshot` (with the app hash CometBFT's light client verified) then
//!   `ApplySnapshotChunk` for each chunk in order, on the owner thread (the node runs no
//!   blocks until state sync ends).
//!
//! A snapshot is the whole key-value state at one height ([`format`]). Each chunk is checked
//! against its hash in the snapshot's metadata as it arrives (a corrupt chunk is refused and
//! fetched again from another peer); the state as a whole is checked against the trusted app
//! hash before anything is written, so a snapshot made up by a peer is refused whole.
//!
//! Snapshots are written every `snapshot_interval` heights (app.toml) on a background thread
//! from a redb read transaction pinned at Commit, so taking one never delays a block, and
//! into a temporary directory renamed into place when complete, so a crash midway leaves
//! nothing a peer could be served (the leftover is removed at the next start).

pub mod format;
mod restore;
mod snapshots;

pub use restore::{ChunkVerdict, Restore, RestoreError};
pub use snapshots::{SnapshotStore, SnapshotTaken};
