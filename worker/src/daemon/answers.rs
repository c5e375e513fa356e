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
//! then deleted. Until then it cannot be evicted (that would reopen double signing), so what
//! heads can make this worker hold is bounded instead ([`AnswerLimits`]): a count, a byte
//! budget over all answers, and a per-head byte quota, so one head cannot fill the store and
//! have this worker refuse every other head's work. A new request that would exceed a bound
//! is refused before it is executed ([`AnswerStore::check_room`]) and again when it is stored.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::store::{write_atomic, StoreError};

/// Directory name inside the worker's data directory.
pub const ANSWERS_DIR: &str = "fastpath-answers";
/// Blocks past its expiry an answer is kept.
pub const PRUNE_MARGIN: u64 = 20;
/// Bytes of an answer file besides its hex outcome (ids, hashes, signature, head, JSON).
const ANSWER_OVERHEAD: u64 = 1024;
/// Most answers kept at once (default).
pub const MAX_ANSWERS: usize = 100_000;

/// What the store may hold (config `[fastpath]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnswerLimits {
    /// Most answers.
    pub max_answers: usize,
    /// Most bytes of answer files.
    pub max_bytes: u64,
    /// Most bytes of answers to one head's work orders.
    pub head_quota_bytes: u64,
}

impl Default for AnswerLimits {
    fn default() -> Self {
        AnswerLimits {
            max_answers: MAX_ANSWERS,
            max_bytes: 1 << 30,
            head_quota_bytes: 256 << 20,
        }
    }
}

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
    /// The head (peer id) whose work order it answered; empty when this worker, as a head,
    /// ran the request itself. Charged to that head's quota.
    #[serde(default)]
    pub head: String,
}

/// Why an answer cannot be stored or read.
#[derive(Debug, thiserror::Error)]
pub enum AnswerError {
    /// Disk failure or a corrupt file.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Too many answers in their window.
    #[error("{0} fast-path answers are still within their requests' windows; refusing new requests until some expire")]
    TooMany(usize),
    /// The byte budget is used up by answers still in their window.
    #[error("fast-path answers hold {held} bytes; {more} more would exceed the {budget} byte budget ([fastpath] answers_max_mb); refusing new requests until some expire")]
    Full {
        /// Bytes held.
        held: u64,
        /// Bytes the new answer needs.
        more: u64,
        /// The budget.
        budget: u64,
    },
    /// The sending head's quota is used up by answers still in their window.
    #[error("answers to head {head}'s work orders hold {held} bytes; {more} more would exceed its {quota} byte quota ([fastpath] answers_head_quota_mb)")]
    HeadQuota {
        /// The head (peer id).
        head: String,
        /// Bytes held for it.
        held: u64,
        /// Bytes the new answer needs.
        more: u64,
        /// The quota.
        quota: u64,
    },
}

/// What the index keeps of one answer.
#[derive(Clone)]
struct Entry {
    expiry: u64,
    bytes: u64,
    head: String,
}

#[derive(Default)]
struct Index {
    /// Request id → what is held for it.
    by_id: BTreeMap<[u8; 32], Entry>,
    /// (expiry height, request id), for pruning in expiry order.
    by_expiry: BTreeSet<(u64, [u8; 32])>,
    /// Bytes held in all.
    bytes: u64,
    /// Bytes held per head.
    by_head: BTreeMap<String, u64>,
}

impl Index {
    fn insert(&mut self, id: [u8; 32], e: Entry) {
        if let Some(old) = self.by_id.remove(&id) {
            self.remove_entry(&id, &old);
        }
        self.bytes = self.bytes.saturating_add(e.bytes);
        let h = self.by_head.entry(e.head.clone()).or_default();
        *h = h.saturating_add(e.bytes);
        self.by_expiry.insert((e.expiry, id));
        self.by_id.insert(id, e);
    }

    fn remove(&mut self, id: &[u8; 32]) {
        if let Some(old) = self.by_id.remove(id) {
            self.remove_entry(id, &old);
        }
    }

    fn remove_entry(&mut self, id: &[u8; 32], old: &Entry) {
        self.by_expiry.remove(&(old.expiry, *id));
        self.bytes = self.bytes.saturating_sub(old.bytes);
        if let Some(h) = self.by_head.get_mut(&old.head) {
            *h = h.saturating_sub(old.bytes);
            if *h == 0 {
                self.by_head.remove(&old.head);
            }
        }
    }
}

/// The on-disk answers and an in-memory index of them (request id → expiry, size, head).
pub struct AnswerStore {
    dir: PathBuf,
    limits: AnswerLimits,
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
        AnswerStore::open_with_limits(dir, AnswerLimits::default())
    }

    /// [`AnswerStore::open`] holding at most `max` answers.
    pub fn open_with_limit(dir: &Path, max: usize) -> Result<AnswerStore, StoreError> {
        AnswerStore::open_with_limits(
            dir,
            AnswerLimits {
                max_answers: max,
                ..AnswerLimits::default()
            },
        )
    }

    /// [`AnswerStore::open`] within `limits`. Answers a previous run stored count against
    /// them even when they exceed them (they cannot be dropped before they expire).
    pub fn open_with_limits(dir: &Path, limits: AnswerLimits) -> Result<AnswerStore, StoreError> {
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
            let bytes = std::fs::metadata(&path).map_err(io(&path))?.len();
            let a: Answer = read(&path)?;
            index.insert(
                id,
                Entry {
                    expiry: a.expiry_height,
                    bytes,
                    head: a.head,
                },
            );
        }
        Ok(AnswerStore {
            dir: dir.to_path_buf(),
            limits: AnswerLimits {
                max_answers: limits.max_answers.max(1),
                max_bytes: limits.max_bytes.max(1),
                head_quota_bytes: limits.head_quota_bytes.max(1),
            },
            index: Mutex::new(index),
        })
    }

    /// The stored size of an answer whose canonical outcome is at most `outcome_len` bytes
    /// (hex doubles it; the other fields are bounded): what [`AnswerStore::check_room`]
    /// reserves before executing.
    pub fn answer_size(outcome_len: usize) -> u64 {
        let len = u64::try_from(outcome_len).unwrap_or(u64::MAX);
        len.saturating_mul(2).saturating_add(ANSWER_OVERHEAD)
    }

    /// Refuses when one more answer of `bytes` bytes to `head`'s work order would exceed a
    /// bound (after pruning answers expired before `tip`). Called before executing, with the
    /// largest answer the function can produce, so a full store costs no execution.
    pub fn check_room(&self, head: &str, bytes: u64, tip: u64) -> Result<(), AnswerError> {
        self.prune(tip)?;
        let i = self
            .index
            .lock()
            .map_err(|_| AnswerError::TooMany(usize::MAX))?;
        let l = &self.limits;
        if i.by_id.len() >= l.max_answers {
            return Err(AnswerError::TooMany(i.by_id.len()));
        }
        let held = i.by_head.get(head).copied().unwrap_or(0);
        if held.saturating_add(bytes) > l.head_quota_bytes {
            return Err(AnswerError::HeadQuota {
                head: head.to_string(),
                held,
                more: bytes,
                quota: l.head_quota_bytes,
            });
        }
        if i.bytes.saturating_add(bytes) > l.max_bytes {
            return Err(AnswerError::Full {
                held: i.bytes,
                more: bytes,
                budget: l.max_bytes,
            });
        }
        Ok(())
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

    /// Stores `answer` to request `id` durably (call before sending it), charged to
    /// `answer.head`. First drops answers whose requests expired more than [`PRUNE_MARGIN`]
    /// blocks before `tip`; refuses when a bound would be exceeded.
    pub fn put(&self, id: &[u8; 32], answer: &Answer, tip: u64) -> Result<(), AnswerError> {
        // Serializing a struct of strings and integers cannot fail.
        let bytes = serde_json::to_vec(answer).unwrap_or_default();
        let size = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
        self.check_room(&answer.head, size, tip)?;
        write_atomic(&self.dir.join(file_name(id)), &bytes)?;
        if let Ok(mut i) = self.index.lock() {
            i.insert(
                *id,
                Entry {
                    expiry: answer.expiry_height,
                    bytes: size,
                    head: answer.head.clone(),
                },
            );
        }
        Ok(())
    }

    /// Bytes held in all, and for `head`.
    pub fn bytes(&self, head: &str) -> (u64, u64) {
        self.index.lock().map_or((0, 0), |i| {
            (i.bytes, i.by_head.get(head).copied().unwrap_or(0))
        })
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
        for (_, id) in &due {
            let path = self.dir.join(file_name(id));
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io(&path)(e)),
            }
            if let Ok(mut i) = self.index.lock() {
                i.remove(id);
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
                head: String::new(),
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
        assert!(matches!(s.put(&id3, &a3, 30), Err(AnswerError::TooMany(2))));
        assert!(s.get(&id1).unwrap().is_some());
        // Past expiry + margin the first one goes, and room is made.
        s.put(&id3, &a3, 10 + PRUNE_MARGIN + 1).unwrap();
        assert_eq!(s.get(&id1).unwrap(), None);
        assert!(s.get(&id2).unwrap().is_some() && s.get(&id3).unwrap().is_some());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
        let s = AnswerStore::open_with_limit(dir.path(), 2).unwrap();
        assert_eq!(s.len(), 2);
    }

    /// The attack: one head sends many requests (each a signed answer this worker must keep
    /// until expiry) to fill the store, so the worker refuses every other head. Its quota
    /// stops it; other heads are still answered; the byte budget bounds all heads together.
    #[test]
    fn one_head_cannot_fill_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let (_, mut probe) = answer(0, 50);
        probe.head = "greedy".into(); // every head name below has 6 characters
        let size = serde_json::to_vec(&probe).unwrap().len() as u64;
        let s = AnswerStore::open_with_limits(
            dir.path(),
            AnswerLimits {
                max_answers: 1_000,
                max_bytes: 5 * size,
                head_quota_bytes: 2 * size,
            },
        )
        .unwrap();
        let put = |n: u8, head: &str| {
            let (id, mut a) = answer(n, 50);
            a.head = head.into();
            s.put(&id, &a, 10)
        };
        put(1, "greedy").unwrap();
        put(2, "greedy").unwrap();
        assert!(matches!(
            put(3, "greedy"),
            Err(AnswerError::HeadQuota { ref head, .. }) if head == "greedy"
        ));
        assert!(matches!(
            s.check_room("greedy", 1, 10),
            Err(AnswerError::HeadQuota { .. })
        ));
        // Another head is still served, until the byte budget over all heads is spent.
        put(4, "honest").unwrap();
        put(5, "others").unwrap();
        put(6, "others").unwrap();
        assert!(matches!(put(7, "fourth"), Err(AnswerError::Full { .. })));
        // The quota survives a restart (it is rebuilt from the stored answers).
        drop(s);
        let s = AnswerStore::open_with_limits(
            dir.path(),
            AnswerLimits {
                max_answers: 1_000,
                max_bytes: 5 * size,
                head_quota_bytes: 2 * size,
            },
        )
        .unwrap();
        assert!(matches!(
            s.check_room("greedy", 1, 10),
            Err(AnswerError::HeadQuota { .. })
        ));
        // Once the requests expire, the room comes back.
        s.check_room("greedy", size, 50 + PRUNE_MARGIN + 1).unwrap();
        assert_eq!(s.bytes("greedy"), (0, 0));
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
