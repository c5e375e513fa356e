//! The ABCI snapshot connection of the app: taking snapshots at Commit, serving them, and
//! restoring one when this node joins by state sync ([`crate::statesync`]).

use std::sync::Arc;

use tendermint_proto::v0_38::abci::{
    response_apply_snapshot_chunk, response_offer_snapshot, RequestApplySnapshotChunk,
    RequestLoadSnapshotChunk, RequestOfferSnapshot, ResponseApplySnapshotChunk,
    ResponseListSnapshots, ResponseLoadSnapshotChunk, ResponseOfferSnapshot,
};

use crate::metrics::AppMetrics;
use crate::statesync::{ChunkVerdict, Restore, RestoreError, SnapshotStore};
use crate::store::{Store, StoreError};

/// Snapshots served, taken and restored by one node.
#[derive(Default)]
pub struct StateSync {
    /// Where snapshots live (`None`: this node neither takes nor serves any).
    snapshots: Option<SnapshotStore>,
    /// Take one every this many heights (0: never).
    interval: u64,
    /// The restore under way, between OfferSnapshot and the last chunk.
    restore: Option<Restore>,
}

impl StateSync {
    /// Serves the snapshots in `snapshots` and takes one every `interval` heights (0: none).
    pub fn new(snapshots: SnapshotStore, interval: u64) -> StateSync {
        StateSync {
            snapshots: Some(snapshots),
            interval,
            restore: None,
        }
    }

    /// The snapshot directory, for serving on the snapshot connection's own thread.
    pub fn snapshots(&self) -> Option<SnapshotStore> {
        self.snapshots.clone()
    }

    /// Called after each commit: starts a snapshot of `height` in the background when one is
    /// due. Never waits for it.
    pub fn after_commit(&self, store: &Arc<Store>, height: u64, metrics: &AppMetrics) {
        let Some(snapshots) = &self.snapshots else {
            return;
        };
        if self.interval == 0 || !height.is_multiple_of(self.interval) {
            return;
        }
        let pin = match store.pin() {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(height, error = %e, "cannot pin state for a snapshot");
                metrics.snapshot_failures.inc();
                return;
            }
        };
        let metrics = metrics.clone();
        let started = snapshots.spawn(store.clone(), pin, move |result| match result {
            Ok(taken) => {
                tracing::info!(
                    height = taken.height,
                    chunks = taken.chunks,
                    bytes = taken.bytes,
                    "state-sync snapshot written"
                );
                metrics
                    .snapshot_height
                    .set(i64::try_from(taken.height).unwrap_or(i64::MAX));
            }
            Err(e) => {
                tracing::error!(height, error = %e, "state-sync snapshot failed");
                metrics.snapshot_failures.inc();
            }
        });
        if !started {
            tracing::warn!(
                height,
                "a snapshot is still being written; skipping this one (raise snapshot_interval)"
            );
        }
    }
}

/// `ListSnapshots`.
pub fn list_snapshots(snapshots: Option<&SnapshotStore>) -> ResponseListSnapshots {
    ResponseListSnapshots {
        snapshots: snapshots.map(SnapshotStore::list).unwrap_or_default(),
    }
}

/// `LoadSnapshotChunk` (an empty chunk tells CometBFT this node does not have it).
pub fn load_snapshot_chunk(
    snapshots: Option<&SnapshotStore>,
    r: &RequestLoadSnapshotChunk,
) -> ResponseLoadSnapshotChunk {
    ResponseLoadSnapshotChunk {
        chunk: snapshots
            .and_then(|s| s.load_chunk(r.height, r.format, r.chunk))
            .unwrap_or_default()
            .into(),
    }
}

impl StateSync {
    /// `OfferSnapshot`: accepts a snapshot this empty node can restore.
    pub fn offer(&mut self, store: &Store, r: RequestOfferSnapshot) -> ResponseOfferSnapshot {
        use response_offer_snapshot::Result as Offer;
        let Some(snapshot) = r.snapshot else {
            return ResponseOfferSnapshot {
                result: Offer::Reject as i32,
            };
        };
        let result = match Restore::offer(store, &snapshot, &r.app_hash) {
            Ok(restore) => {
                tracing::info!(
                    height = snapshot.height,
                    chunks = snapshot.chunks,
                    "restoring a state-sync snapshot"
                );
                self.restore = Some(restore);
                Offer::Accept
            }
            Err(e) => {
                tracing::warn!(height = snapshot.height, error = %e, "snapshot refused");
                match e {
                    RestoreError::NotEmpty(_) => Offer::Abort,
                    RestoreError::Format(_) => Offer::RejectFormat,
                    _ => Offer::Reject,
                }
            }
        };
        ResponseOfferSnapshot {
            result: result as i32,
        }
    }

    /// `ApplySnapshotChunk`. `Ok(Some(height))` once the state is restored at `height`.
    pub fn apply(
        &mut self,
        store: &Store,
        metrics: &AppMetrics,
        r: RequestApplySnapshotChunk,
    ) -> Result<(ResponseApplySnapshotChunk, Option<u64>), StoreError> {
        use response_apply_snapshot_chunk::Result as Apply;
        let respond = |result: Apply| ResponseApplySnapshotChunk {
            result: result as i32,
            ..Default::default()
        };
        let Some(restore) = self.restore.as_mut() else {
            tracing::error!("a snapshot chunk arrived with no snapshot accepted");
            return Ok((respond(Apply::Abort), None));
        };
        match restore.apply(store, r.index, &r.chunk)? {
            ChunkVerdict::Accepted => Ok((respond(Apply::Accept), None)),
            ChunkVerdict::Restored { height } => {
                tracing::info!(height, app_hash = %hex::encode(store.app_hash()), "state restored from snapshot");
                self.restore = None;
                Ok((respond(Apply::Accept), Some(height)))
            }
            ChunkVerdict::Refetch => {
                tracing::warn!(
                    chunk = r.index,
                    sender = %r.sender,
                    "snapshot chunk does not match its hash; fetching it again from another peer"
                );
                metrics.statesync_chunks_refused.inc();
                Ok((
                    ResponseApplySnapshotChunk {
                        result: Apply::Retry as i32,
                        refetch_chunks: vec![r.index],
                        reject_senders: vec![r.sender],
                    },
                    None,
                ))
            }
            ChunkVerdict::RejectSnapshot(why) => {
                tracing::warn!(height = restore.height(), %why, "snapshot rejected");
                self.restore = None;
                Ok((respond(Apply::RejectSnapshot), None))
            }
        }
    }
}
