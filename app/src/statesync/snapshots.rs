//! `SnapshotStore`: this node's finished snapshots on disk, written in the background and
//! served to joining nodes.
//!
//! ```text
//! <home>/data/snapshots/<height>/snapshot.pb   the ABCI `Snapshot` (protobuf)
//! <home>/data/snapshots/<height>/chunk-<i>     chunk i (format::FORMAT)
//! <home>/data/snapshots/.tmp-<height>/          a snapshot being written (removed at start)
//! ```

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use cosmwasm_std::{Order, Storage as _};
use prost::Message as _;
use tendermint_proto::v0_38::abci::Snapshot;

use super::format::{self, CHUNK_BYTES, FORMAT};
use crate::store::{CommittedState, PinnedCommit, Store, StoreError};

const SNAPSHOT_FILE: &str = "snapshot.pb";
const TMP_PREFIX: &str = ".tmp-";

/// Why a snapshot could not be written.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// A file operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The error.
        source: std::io::Error,
    },
    /// Reading the state failed.
    #[error("reading state: {0}")]
    Store(#[from] StoreError),
    /// The state has more chunks than a snapshot may hold.
    #[error("state needs more than {} chunks", format::MAX_CHUNKS)]
    TooLarge,
}

fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> SnapshotError {
    let context = context.into();
    move |source| SnapshotError::Io { context, source }
}

/// What a finished snapshot holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SnapshotTaken {
    /// Height of the state.
    pub height: u64,
    /// Chunks written.
    pub chunks: u32,
    /// Bytes of all chunks.
    pub bytes: u64,
}

/// The snapshot directory of one node. Cloneable: the ABCI snapshot connection serves from
/// it while the owner thread starts new snapshots.
#[derive(Clone, Debug)]
pub struct SnapshotStore {
    dir: PathBuf,
    keep_recent: u32,
    /// A snapshot is being written: the next due one is skipped rather than queued.
    busy: Arc<AtomicBool>,
}

impl SnapshotStore {
    /// Opens (creating) `dir`, keeping the newest `keep_recent` snapshots (at least 1), and
    /// removes what an interrupted snapshot left behind.
    pub fn open(dir: &Path, keep_recent: u32) -> Result<SnapshotStore, SnapshotError> {
        fs::create_dir_all(dir).map_err(io(format!("creating {}", dir.display())))?;
        for entry in fs::read_dir(dir).map_err(io(format!("listing {}", dir.display())))? {
            let entry = entry.map_err(io("listing snapshots"))?;
            if entry.file_name().to_string_lossy().starts_with(TMP_PREFIX) {
                tracing::info!(path = %entry.path().display(), "removing an unfinished snapshot");
                fs::remove_dir_all(entry.path())
                    .map_err(io(format!("removing {}", entry.path().display())))?;
            }
        }
        Ok(SnapshotStore {
            dir: dir.to_path_buf(),
            keep_recent: keep_recent.max(1),
            busy: Arc::default(),
        })
    }

    /// Heights of the finished snapshots, ascending.
    fn heights(&self) -> Vec<u64> {
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut heights: Vec<u64> = entries
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
            .collect();
        heights.sort_unstable();
        heights
    }

    /// The finished snapshots, newest first (what `ListSnapshots` answers).
    pub fn list(&self) -> Vec<Snapshot> {
        self.heights()
            .into_iter()
            .rev()
            .filter_map(|h| {
                let path = self.dir.join(h.to_string()).join(SNAPSHOT_FILE);
                let bytes = fs::read(&path).ok()?;
                match Snapshot::decode(bytes.as_slice()) {
                    Ok(s) if s.height == h => Some(s),
                    _ => {
                        tracing::warn!(path = %path.display(), "unreadable snapshot skipped");
                        None
                    }
                }
            })
            .collect()
    }

    /// Chunk `chunk` of the snapshot at `height` (`None`: no such snapshot or chunk).
    pub fn load_chunk(&self, height: u64, format: u32, chunk: u32) -> Option<Vec<u8>> {
        if format != FORMAT {
            return None;
        }
        fs::read(
            self.dir
                .join(height.to_string())
                .join(format!("chunk-{chunk}")),
        )
        .ok()
    }

    /// Starts writing a snapshot of `pin` on a background thread; `done` gets the outcome.
    /// `false` when one is still being written (this one is skipped).
    pub fn spawn(
        &self,
        store: Arc<Store>,
        pin: PinnedCommit,
        done: impl FnOnce(Result<SnapshotTaken, SnapshotError>) + Send + 'static,
    ) -> bool {
        if self.busy.swap(true, Ordering::AcqRel) {
            return false;
        }
        let this = self.clone();
        let spawned = std::thread::Builder::new()
            .name("snapshot".into())
            .spawn(move || {
                let result = this.write(&pin.attach(&store));
                this.busy.store(false, Ordering::Release);
                done(result);
            });
        if let Err(e) = spawned {
            self.busy.store(false, Ordering::Release);
            tracing::error!(error = %e, "cannot spawn the snapshot thread");
            return false;
        }
        true
    }

    /// Writes a snapshot of `state`, then removes snapshots beyond `keep_recent`.
    pub fn write(&self, state: &CommittedState<'_>) -> Result<SnapshotTaken, SnapshotError> {
        let height = state.height();
        let tmp = self.dir.join(format!("{TMP_PREFIX}{height}"));
        if tmp.exists() {
            fs::remove_dir_all(&tmp).map_err(io(format!("removing {}", tmp.display())))?;
        }
        fs::create_dir_all(&tmp).map_err(io(format!("creating {}", tmp.display())))?;

        let view = state.view()?;
        let mut out = ChunkWriter {
            dir: &tmp,
            metadata: Vec::new(),
            chunks: 0,
            bytes: 0,
        };
        let mut chunk = Vec::with_capacity(CHUNK_BYTES + 1024);
        for (key, value) in view.range(None, None, Order::Ascending) {
            format::push_record(&mut chunk, &key, &value);
            if chunk.len() >= CHUNK_BYTES {
                out.flush(&mut chunk)?;
            }
        }
        if let Some(e) = view.take_error() {
            return Err(e.into());
        }
        // CometBFT refuses a snapshot of zero chunks; an empty state (never seen after
        // genesis, which always writes the chain id) gets one empty chunk.
        if !chunk.is_empty() || out.chunks == 0 {
            out.flush(&mut chunk)?;
        }
        let ChunkWriter {
            metadata,
            chunks,
            bytes,
            ..
        } = out;
        let snapshot = Snapshot {
            height,
            format: FORMAT,
            chunks,
            hash: format::snapshot_hash(&metadata).to_vec().into(),
            metadata: metadata.into(),
        };
        write_synced(&tmp.join(SNAPSHOT_FILE), &snapshot.encode_to_vec())?;
        let done = self.dir.join(height.to_string());
        if done.exists() {
            fs::remove_dir_all(&done).map_err(io(format!("removing {}", done.display())))?;
        }
        fs::rename(&tmp, &done).map_err(io(format!("renaming {}", tmp.display())))?;
        if let Ok(d) = fs::File::open(&self.dir) {
            // Make the rename durable; a failure here only risks losing this snapshot.
            let _ = d.sync_all();
        }
        self.prune();
        Ok(SnapshotTaken {
            height,
            chunks,
            bytes,
        })
    }

    /// Removes the oldest snapshots beyond `keep_recent`.
    fn prune(&self) {
        let heights = self.heights();
        let excess = heights.len().saturating_sub(self.keep_recent as usize);
        for h in &heights[..excess] {
            let path = self.dir.join(h.to_string());
            if let Err(e) = fs::remove_dir_all(&path) {
                tracing::warn!(path = %path.display(), error = %e, "cannot remove an old snapshot");
            }
        }
    }
}

/// Writes a snapshot's chunks and collects their hashes (the metadata).
struct ChunkWriter<'a> {
    dir: &'a Path,
    metadata: Vec<u8>,
    chunks: u32,
    bytes: u64,
}

impl ChunkWriter<'_> {
    /// Writes `chunk` as the next chunk and empties it.
    fn flush(&mut self, chunk: &mut Vec<u8>) -> Result<(), SnapshotError> {
        if self.chunks >= format::MAX_CHUNKS {
            return Err(SnapshotError::TooLarge);
        }
        write_synced(&self.dir.join(format!("chunk-{}", self.chunks)), chunk)?;
        self.metadata.extend_from_slice(&format::chunk_hash(chunk));
        self.bytes += chunk.len() as u64;
        self.chunks += 1;
        chunk.clear();
        Ok(())
    }
}

/// Writes `bytes` to `path` and syncs it.
fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), SnapshotError> {
    let mut f = fs::File::create(path).map_err(io(format!("creating {}", path.display())))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(io(format!("writing {}", path.display())))
}
