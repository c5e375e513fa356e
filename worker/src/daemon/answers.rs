//! Fast-path answers this worker signed, one file per request id under
//! `<home>/data/fastpath-answers/`, so it never signs two results for one request.
//!
//! An answer is written atomically and durably ([`write_atomic`]: temp file, fsync, rename,
//! fsync of the directory) *before* it is sent to the head. A later copy of the same request
//! — through another head, after a head's cache eviction, after this worker restarted — gets
//! the stored answer back instead of a fresh execution, whose outcome could differ for a
//! function whose result depends on its environment (an HTTP origin, a timeout).
//!
//! Bounded: an answer is needed only while its request can still be served, i.e. until the
//! worker's view of the chain tip passes the request's expiry height; it is kept
//! [`PRUNE_MARGIN`] blocks longer (a tip read from a lagging node must not resurrect it) and
//! then deleted. At most [`MAX_ANSWERS`] answers are kept; when full, new requests are refused
//! (evicting an answer still in its window would reopen double signing).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::store::{write_atomic, StoreError};

/// Directory name inside the worker's data directory.
pub const ANSWERS_DIR: &str = "fastpath-answers";
/// Blocks past its expiry an answer is kept.
pub const PRUNE_MARGIN: u64 = 20;
/// Most answers kept at once.
pub const MAX_ANSWERS: usize = 100_000;

/// One signed answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// Request id (hex).
    pub request_id: String,
    /// The request's expiry height.
    pub expiry_height: u64,
    /// Worker id that signed.
    pub worker: String,
    /// Canonical outcome bytes (hex).
    pub outcome: String,
    /// sha256 of the outcome (hex).
    pub result_hash: String,
    /// Signature over (request id, code hash, result hash) (hex).
    pub signature: String,
}

/// Why an answer cannot be stored or read.
#[derive(Debug, thiserror::Error)]
pub enum AnswerError {
    /// Disk failure or a corrupt file.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Too many answers in their window.
    #[error("{0} fast-path answers are still within their requests' windows; refusing new requests until some expire")]
    Full(usize),
}

#[derive(Default)]
struct Index {
    /// Request id → expiry height.
    by_id: BTreeMap<[u8; 32], u64>,
    /// (expiry height, request id), for pruning in expiry order.
    by_expiry: BTreeSet<(u64, [u8; 32])>,
}

/// The on-disk answers and an in-memory index of them (request id → expiry).
pub struct AnswerStore {
    dir: PathBuf,
    max: usize,
    index: Mutex<Index>,
}

fn file_name(id: &[u8; 32]) -> String {
    format!("{}.json", hex::encode(id))
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl AnswerStore {
    /// Opens (creating) the answer directory and indexes what a previous run stored.
    pub fn open(dir: &Path) -> Result<AnswerStore, StoreError> {
        AnswerStore::open_with_limit(dir, MAX_ANSWERS)
    }

    /// [`AnswerStore::open`] holding at most `max` answers.
    pub fn open_with_limit(dir: &Path, max: usize) -> Result<AnswerStore, StoreError> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let mut index = Index::default();
        for entry in std::fs::read_dir(dir).map_err(io(dir))? {
            let path = entry.map_err(io(dir))?.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if path.extension().is_some_and(|e| e == "tmp") {
                // A write interrupted before its rename: never answered.
                let _ = std::fs::remove_file(&path);
                continue;
            }
            let Some(id) = name
                .strip_suffix(".json")
                .and_then(|h| hex::decode(h).ok())
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
            else {
                continue;
            };
            let a: Answer = read(&path)?;
            index.by_id.insert(id, a.expiry_height);
            index.by_expiry.insert((a.expiry_height, id));
        }
        Ok(AnswerStore {
            dir: dir.to_path_buf(),
            max: max.max(1),
            index: Mutex::new(index),
        })
    }

    /// The stored answer to request `id`, if any.
    pub fn get(&self, id: &[u8; 32]) -> Result<Option<Answer>, StoreError> {
        let known = self
            .index
            .lock()
            .map(|i| i.by_id.contains_key(id))
            .unwrap_or(true);
        if !known {
            return Ok(None);
        }
        let path = self.dir.join(file_name(id));
        match std::fs::read(&path) {
            Ok(_) => read(&path).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io(&path)(e)),
        }
    }

    /// Stores `answer` to request `id` durably (call before sending it). First drops answers
    /// whose requests expired more than [`PRUNE_MARGIN`] blocks before `tip`.
    pub fn put(&self, id: &[u8; 32], answer: &Answer, tip: u64) -> Result<(), AnswerError> {
        self.prune(tip)?;
        let held = self.len();
        if held >= self.max {
            return Err(AnswerError::Full(held));
        }
        // Serializing a struct of strings and integers cannot fail.
        let bytes = serde_json::to_vec(answer).unwrap_or_default();
        write_atomic(&self.dir.join(file_name(id)), &bytes)?;
        if let Ok(mut i) = self.index.lock() {
            i.by_id.insert(*id, answer.expiry_height);
            i.by_expiry.insert((answer.expiry_height, *id));
        }
        Ok(())
    }

    /// Deletes the answers whose requests expired more than [`PRUNE_MARGIN`] blocks before
    /// `tip`; returns how many.
    pub fn prune(&self, tip: u64) -> Result<usize, StoreError> {
        let due: Vec<(u64, [u8; 32])> = match self.index.lock() {
            Ok(i) => i
                .by_expiry
                .iter()
                .take_while(|(e, _)| e.saturating_add(PRUNE_MARGIN) < tip)
                .copied()
                .collect(),
            Err(_) => return Ok(0),
        };
        for (expiry, id) in &due {
            let path = self.dir.join(file_name(id));
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io(&path)(e)),
            }
            if let Ok(mut i) = self.index.lock() {
                i.by_id.remove(id);
                i.by_expiry.remove(&(*expiry, *id));
            }
        }
        Ok(due.len())
    }

    /// Answers held.
    pub fn len(&self) -> usize {
        self.index.lock().map_or(0, |i| i.by_id.len())
    }

    /// True when no answer is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn read(path: &Path) -> Result<Answer, StoreError> {
    let bytes = std::fs::read(path).map_err(io(path))?;
    serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(n: u8, expiry: u64) -> ([u8; 32], Answer) {
        let id = [n; 32];
        (
            id,
            Answer {
                request_id: hex::encode(id),
                expiry_height: expiry,
                worker: "bls1worker".into(),
                outcome: "aa".into(),
                result_hash: "bb".repeat(32),
                signature: "cc".repeat(64),
            },
        )
    }

    #[test]
    fn a_persisted_answer_survives_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let (id, a) = answer(1, 50);
        {
            let s = AnswerStore::open(dir.path()).unwrap();
            assert_eq!(s.get(&id).unwrap(), None);
            s.put(&id, &a, 10).unwrap();
            assert_eq!(s.get(&id).unwrap(), Some(a.clone()));
        }
        // A new process (the worker restarted) finds the same signed answer.
        let s = AnswerStore::open(dir.path()).unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s.get(&id).unwrap(), Some(a));
        assert_eq!(s.get(&[2; 32]).unwrap(), None);
    }

    #[test]
    fn answers_are_pruned_after_expiry_and_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let s = AnswerStore::open_with_limit(dir.path(), 2).unwrap();
        let (id1, a1) = answer(1, 10);
        let (id2, a2) = answer(2, 40);
        let (id3, a3) = answer(3, 60);
        s.put(&id1, &a1, 5).unwrap();
        s.put(&id2, &a2, 5).unwrap();
        // Full of answers still in their window: refused, nothing evicted.
        assert!(matches!(s.put(&id3, &a3, 30), Err(AnswerError::Full(2))));
        assert!(s.get(&id1).unwrap().is_some());
        // Past expiry + margin the first one goes, and room is made.
        s.put(&id3, &a3, 10 + PRUNE_MARGIN + 1).unwrap();
        assert_eq!(s.get(&id1).unwrap(), None);
        assert!(s.get(&id2).unwrap().is_some() && s.get(&id3).unwrap().is_some());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
        let s = AnswerStore::open_with_limit(dir.path(), 2).unwrap();
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn a_corrupt_answer_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(file_name(&[4; 32])), b"{nope").unwrap();
        assert!(matches!(
            AnswerStore::open(dir.path()),
            Err(StoreError::Corrupt { .. })
        ));
    }
}
