//! `Restore`: rebuilding the state from a snapshot a peer serves, checked chunk by chunk
//! against the snapshot's metadata and as a whole against the app hash CometBFT's light
//! client trusts.

use tendermint_proto::v0_38::abci::Snapshot;

use super::format::{self, FormatError, FORMAT};
use crate::store::{ChangeSet, Store, StoreError};

/// Why an offered snapshot is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RestoreError {
    /// This node already has state: state sync is for empty nodes only.
    #[error("the store already holds height {0}; state sync needs an empty node")]
    NotEmpty(u64),
    /// A format this node cannot read.
    #[error("snapshot format {0} is not supported (this node reads format {FORMAT})")]
    Format(u32),
    /// The snapshot's description is malformed.
    #[error("snapshot metadata: {0}")]
    Metadata(#[from] FormatError),
    /// The trusted app hash is not a 32-byte hash.
    #[error("trusted app hash has {0} bytes, expected 32")]
    AppHash(usize),
    /// Height 0 is not a state.
    #[error("snapshot at height 0")]
    ZeroHeight,
}

/// What became of one chunk.
#[derive(Debug, PartialEq, Eq)]
pub enum ChunkVerdict {
    /// Applied; more chunks follow.
    Accepted,
    /// The last chunk: the state is verified and committed at `height`.
    Restored {
        /// The snapshot's height, now this node's last height.
        height: u64,
    },
    /// The chunk's bytes do not match its hash: fetch it again, from another peer.
    Refetch,
    /// The snapshot is bad as a whole (its records are malformed or its state does not have
    /// the trusted app hash): try another.
    RejectSnapshot(String),
}

/// A restore in progress (between `OfferSnapshot` and the last `ApplySnapshotChunk`). It
/// holds the snapshot's state in memory until the last chunk, when the state is checked
/// against the trusted app hash and only then written.
pub struct Restore {
    height: u64,
    app_hash: Vec<u8>,
    hashes: Vec<[u8; 32]>,
    next: u32,
    changes: ChangeSet,
    last_key: Option<Vec<u8>>,
}

impl Restore {
    /// Accepts `snapshot` for a restore into `store` (which must be empty), to be checked
    /// against `app_hash` (from the header after the snapshot's height).
    pub fn offer(
        store: &Store,
        snapshot: &Snapshot,
        app_hash: &[u8],
    ) -> Result<Restore, RestoreError> {
        let last = store.last_height();
        if last != 0 {
            return Err(RestoreError::NotEmpty(last));
        }
        if snapshot.format != FORMAT {
            return Err(RestoreError::Format(snapshot.format));
        }
        if snapshot.height == 0 {
            return Err(RestoreError::ZeroHeight);
        }
        if app_hash.len() != 32 {
            return Err(RestoreError::AppHash(app_hash.len()));
        }
        let hashes = format::chunk_hashes(&snapshot.metadata, snapshot.chunks)?;
        Ok(Restore {
            height: snapshot.height,
            app_hash: app_hash.to_vec(),
            hashes,
            next: 0,
            changes: ChangeSet::new(),
            last_key: None,
        })
    }

    /// The height being restored.
    pub fn height(&self) -> u64 {
        self.height
    }

    /// Applies chunk `index`. Store errors are disk faults (the node stops); everything a
    /// peer can get wrong is a verdict.
    pub fn apply(
        &mut self,
        store: &Store,
        index: u32,
        chunk: &[u8],
    ) -> Result<ChunkVerdict, StoreError> {
        if index != self.next {
            // CometBFT applies chunks in order; anything else means the sync went astray.
            return Ok(ChunkVerdict::RejectSnapshot(format!(
                "chunk {index} arrived while chunk {} was expected",
                self.next
            )));
        }
        let Some(want) = self.hashes.get(index as usize) else {
            return Ok(ChunkVerdict::RejectSnapshot(format!(
                "chunk {index} is beyond the snapshot"
            )));
        };
        if format::chunk_hash(chunk) != *want {
            return Ok(ChunkVerdict::Refetch);
        }
        let records = match format::decode_chunk(chunk, self.last_key.as_deref()) {
            Ok(r) => r,
            // The bytes match the metadata, so the snapshot itself is malformed.
            Err(e) => return Ok(ChunkVerdict::RejectSnapshot(format!("chunk {index}: {e}"))),
        };
        if let Some((k, _)) = records.last() {
            self.last_key = Some(k.clone());
        }
        for (k, v) in records {
            self.changes.set(k, v);
        }
        self.next += 1;
        if (self.next as usize) < self.hashes.len() {
            return Ok(ChunkVerdict::Accepted);
        }
        let prepared = store.prepare(self.height, std::mem::take(&mut self.changes))?;
        if prepared.app_hash() != self.app_hash {
            return Ok(ChunkVerdict::RejectSnapshot(format!(
                "the restored state has app hash {}, the chain says {}",
                hex::encode(prepared.app_hash()),
                hex::encode(&self.app_hash)
            )));
        }
        store.commit_prepared(prepared)?;
        Ok(ChunkVerdict::Restored {
            height: self.height,
        })
    }
}
