//! The outcomes this head served, kept on disk until no challenge of their charge can be
//! answered any more.
//!
//! A head that settles a receipt may be challenged by the invoker to publish the settled
//! outcome on chain ([`super::challenges`]); failing that, it is slashed. So the outcome is
//! written here *before* the answer leaves and before its receipt is queued, and kept:
//! - while its receipt waits for settlement (`p-<request id>`),
//! - once settled at height `h`, until the chain's `head_dispute_window` and
//!   `challenge_window` after `h` have passed (`s-<h>-<request id>`).
//!
//! A receipt the chain refuses for good is never charged, so its outcome is deleted at once.
//! One file per request, written to a temporary name and renamed (a crash leaves the old file
//! or the new one); like the receipt journal, a write is not fsynced one by one, so a power
//! loss can lose the newest few. The store is bounded ([`MAX_ENTRIES`], [`MAX_BYTES`]): when
//! full, the head refuses new requests rather than forget an outcome it may have to publish.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::daemon::store::StoreError;

/// Directory name of the store inside the worker's data directory.
pub const SERVED_DIR: &str = "head-outcomes";
/// Most outcomes kept at once.
pub const MAX_ENTRIES: usize = 500_000;
/// Most outcome bytes kept at once (4 GiB).
pub const MAX_BYTES: u64 = 4 << 30;

/// Why an outcome could not be kept.
#[derive(Debug, thiserror::Error)]
pub enum ServedError {
    /// The store holds [`MAX_ENTRIES`] outcomes or [`MAX_BYTES`] bytes.
    #[error("the served-outcome store is full ({entries} outcomes, {bytes} bytes): outcomes are kept until their challenge windows pass")]
    Full {
        /// Outcomes kept.
        entries: usize,
        /// Bytes kept.
        bytes: u64,
    },
    /// The disk failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Default)]
struct Index {
    /// Request id → (settlement height if settled, size).
    entries: BTreeMap<String, (Option<u64>, u64)>,
    /// (settlement height, request id) of settled outcomes.
    settled: BTreeSet<(u64, String)>,
    bytes: u64,
    /// Outcome bytes when there is no directory (tests, a head without a data directory).
    memory: BTreeMap<String, Vec<u8>>,
}

/// Served outcomes by request id (hex).
pub struct ServedOutcomes {
    dir: Option<PathBuf>,
    index: Mutex<Index>,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn is_request_id(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl ServedOutcomes {
    /// A store kept in memory only.
    pub fn in_memory() -> ServedOutcomes {
        ServedOutcomes {
            dir: None,
            index: Mutex::new(Index::default()),
        }
    }

    /// Opens (creating) the store in `dir`, indexing what a previous run left; leftover
    /// temporary files and names that are not outcomes are removed.
    pub fn open(dir: &Path) -> Result<ServedOutcomes, StoreError> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let mut index = Index::default();
        for entry in std::fs::read_dir(dir).map_err(io(dir))? {
            let entry = entry.map_err(io(dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let size = entry.metadata().map_err(io(&entry.path()))?.len();
            match parse_name(&name) {
                Some((id, settled)) => index.insert(id, settled, size),
                None => {
                    tracing::warn!(file = %entry.path().display(), "removing a stray file from the served-outcome store");
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        Ok(ServedOutcomes {
            dir: Some(dir.to_path_buf()),
            index: Mutex::new(index),
        })
    }

    fn path(&self, id: &str, settled: Option<u64>) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.join(file_name(id, settled)))
    }

    /// Keeps `outcome` for request `id` (hex) as pending settlement. Keeping it again is a
    /// no-op (a re-served cached answer).
    pub fn put(&self, id: &str, outcome: &[u8]) -> Result<(), ServedError> {
        let mut ix = self.index.lock().map_err(|_| poisoned())?;
        if ix.entries.contains_key(id) {
            return Ok(());
        }
        let size = u64::try_from(outcome.len()).unwrap_or(u64::MAX);
        if ix.entries.len() >= MAX_ENTRIES || ix.bytes.saturating_add(size) > MAX_BYTES {
            return Err(ServedError::Full {
                entries: ix.entries.len(),
                bytes: ix.bytes,
            });
        }
        match self.path(id, None) {
            Some(path) => {
                let tmp = path.with_extension("tmp");
                std::fs::write(&tmp, outcome).map_err(io(&tmp))?;
                std::fs::rename(&tmp, &path).map_err(io(&path))?;
            }
            None => {
                ix.memory.insert(id.to_string(), outcome.to_vec());
            }
        }
        ix.insert(id.to_string(), None, size);
        Ok(())
    }

    /// The outcome served for request `id` (hex), if kept.
    pub fn get(&self, id: &str) -> Option<Vec<u8>> {
        let ix = self.index.lock().ok()?;
        let (settled, _) = *ix.entries.get(id)?;
        match self.path(id, settled) {
            Some(path) => std::fs::read(path).ok(),
            None => ix.memory.get(id).cloned(),
        }
    }

    /// Whether request `id` (hex) is kept.
    pub fn contains(&self, id: &str) -> bool {
        self.index
            .lock()
            .is_ok_and(|ix| ix.entries.contains_key(id))
    }

    /// Outcomes kept.
    pub fn len(&self) -> usize {
        self.index.lock().map_or(0, |ix| ix.entries.len())
    }

    /// Whether nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Request `id` (hex) was settled at `height`: its outcome is kept until [`Self::prune`]
    /// passes that height plus the challenge windows.
    pub fn settled(&self, id: &str, height: u64) {
        let Ok(mut ix) = self.index.lock() else {
            return;
        };
        let Some(&(was, size)) = ix.entries.get(id) else {
            return;
        };
        if was.is_some() {
            return;
        }
        if let (Some(from), Some(to)) = (self.path(id, None), self.path(id, Some(height))) {
            if let Err(e) = std::fs::rename(&from, &to) {
                tracing::error!(error = %e, file = %from.display(), "marking a served outcome settled");
                return;
            }
        }
        ix.remove(id);
        ix.insert(id.to_string(), Some(height), size);
    }

    /// Request `id` (hex) will never be charged (the chain refused its receipt): forget it.
    pub fn dropped(&self, id: &str) {
        let Ok(mut ix) = self.index.lock() else {
            return;
        };
        if let Some(&(settled, _)) = ix.entries.get(id) {
            if let Some(path) = self.path(id, settled) {
                let _ = std::fs::remove_file(path);
            }
            ix.memory.remove(id);
            ix.remove(id);
        }
    }

    /// Forgets pending outcomes whose receipt is no longer waiting (`waiting` is false for
    /// it: lost with an unsynced journal), as after a restart.
    pub fn retain_pending(&self, waiting: impl Fn(&str) -> bool) {
        let stale: Vec<String> = match self.index.lock() {
            Ok(ix) => ix
                .entries
                .iter()
                .filter(|(id, (s, _))| s.is_none() && !waiting(id))
                .map(|(id, _)| id.clone())
                .collect(),
            Err(_) => return,
        };
        for id in stale {
            self.dropped(&id);
        }
    }

    /// Deletes outcomes settled before height `tip - keep` (their challenge can no longer be
    /// opened or answered). Returns how many were deleted.
    pub fn prune(&self, tip: u64, keep: u64) -> usize {
        let Ok(mut ix) = self.index.lock() else {
            return 0;
        };
        let Some(limit) = tip.checked_sub(keep) else {
            return 0;
        };
        let due: Vec<(u64, String)> = ix
            .settled
            .range(..(limit, String::new()))
            .cloned()
            .collect();
        for (h, id) in &due {
            if let Some(path) = self.path(id, Some(*h)) {
                let _ = std::fs::remove_file(path);
            }
            ix.memory.remove(id);
            ix.remove(id);
        }
        due.len()
    }
}

impl Index {
    fn insert(&mut self, id: String, settled: Option<u64>, size: u64) {
        if let Some(h) = settled {
            self.settled.insert((h, id.clone()));
        }
        self.bytes = self.bytes.saturating_add(size);
        self.entries.insert(id, (settled, size));
    }

    fn remove(&mut self, id: &str) {
        if let Some((settled, size)) = self.entries.remove(id) {
            if let Some(h) = settled {
                self.settled.remove(&(h, id.to_string()));
            }
            self.bytes = self.bytes.saturating_sub(size);
        }
    }
}

fn poisoned() -> ServedError {
    ServedError::Store(StoreError::Corrupt {
        path: PathBuf::from(SERVED_DIR),
        reason: "index lock poisoned".into(),
    })
}

fn file_name(id: &str, settled: Option<u64>) -> String {
    match settled {
        None => format!("p-{id}"),
        Some(h) => format!("s-{h}-{id}"),
    }
}

/// (request id, settlement height) of a store file name.
fn parse_name(name: &str) -> Option<(String, Option<u64>)> {
    if let Some(id) = name.strip_prefix("p-") {
        return is_request_id(id).then(|| (id.to_string(), None));
    }
    let rest = name.strip_prefix("s-")?;
    let (h, id) = rest.split_once('-')?;
    let h: u64 = h.parse().ok()?;
    is_request_id(id).then(|| (id.to_string(), Some(h)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> String {
        hex::encode([n; 32])
    }

    #[test]
    fn outcomes_survive_a_restart_until_their_windows_pass() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = ServedOutcomes::open(dir.path()).unwrap();
            s.put(&id(1), b"one").unwrap();
            s.put(&id(2), b"two").unwrap();
            s.put(&id(3), b"three").unwrap();
            s.put(&id(1), b"again").unwrap(); // a re-served answer keeps the first
            s.settled(&id(1), 10);
            s.settled(&id(2), 20);
            s.dropped(&id(3));
        }
        std::fs::write(dir.path().join("p-abc.tmp"), b"torn").unwrap();
        let s = ServedOutcomes::open(dir.path()).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s.get(&id(1)).as_deref(), Some(&b"one"[..]));
        assert_eq!(s.get(&id(2)).as_deref(), Some(&b"two"[..]));
        assert_eq!(s.get(&id(3)), None);
        assert!(!dir.path().join("p-abc.tmp").exists());
        // Settled at 10 with windows of 5: kept through tip 15, gone at 16.
        assert_eq!(s.prune(15, 5), 0);
        assert_eq!(s.prune(16, 5), 1);
        assert_eq!(s.get(&id(1)), None);
        assert!(s.get(&id(2)).is_some());
        assert_eq!(s.prune(100, 5), 1);
        assert!(s.is_empty());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn pending_outcomes_of_lost_receipts_are_forgotten() {
        let s = ServedOutcomes::in_memory();
        s.put(&id(1), b"a").unwrap();
        s.put(&id(2), b"b").unwrap();
        s.settled(&id(2), 3);
        s.retain_pending(|_| false);
        assert!(!s.contains(&id(1)), "pending without a receipt");
        assert!(s.contains(&id(2)), "settled outcomes stay");
    }

    #[test]
    fn file_names_round_trip_and_strays_do_not_parse() {
        assert_eq!(parse_name(&file_name(&id(7), None)), Some((id(7), None)));
        assert_eq!(
            parse_name(&file_name(&id(7), Some(42))),
            Some((id(7), Some(42)))
        );
        for bad in [
            "p-xyz",
            "s-1-abc",
            "s--",
            "x",
            "s-a-00",
            &format!("p-{}", id(0xab).to_uppercase()),
        ] {
            assert_eq!(parse_name(bad), None, "{bad}");
        }
    }
}
