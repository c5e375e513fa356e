//! What the daemon keeps on disk under `<home>/data`: the last processed height and one
//! record per commit it made. Every write is atomic (temp file, fsync, rename, fsync of
//! the directory), so a crash leaves either the old or the new file, never a torn one.
//!
//! The commit record is written *before* the commit transaction is sent: after a crash the
//! worker finds it and reveals (or re-sends the identical commitment) instead of running
//! the job again with a new salt, so it never posts two different commits for a job.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Errors reading or writing daemon state.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A filesystem operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A state file does not parse.
    #[error("{path}: corrupt state file: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The parse error.
        reason: String,
    },
}

/// A commit this worker made (or is about to make) for one job round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitRecord {
    /// Job id.
    pub job_id: u64,
    /// Round of the job the commit belongs to.
    pub round: u32,
    /// Salt of the commitment (hex).
    pub salt: String,
    /// Canonical outcome bytes that will be revealed (hex).
    pub outcome: String,
    /// sha256 of the outcome bytes (hex).
    pub result_hash: String,
    /// The commitment sent on chain (hex).
    pub commitment: String,
}

impl CommitRecord {
    /// The salt bytes.
    pub fn salt_bytes(&self) -> Vec<u8> {
        hex::decode(&self.salt).unwrap_or_default()
    }

    /// The outcome bytes.
    pub fn outcome_bytes(&self) -> Vec<u8> {
        hex::decode(&self.outcome).unwrap_or_default()
    }

    /// The commitment bytes.
    pub fn commitment_bytes(&self) -> Vec<u8> {
        hex::decode(&self.commitment).unwrap_or_default()
    }
}

#[derive(Serialize, Deserialize)]
struct Cursor {
    height: u64,
}

/// The daemon's on-disk state directory.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

const HEIGHT_FILE: &str = "height.json";
const COMMITS_DIR: &str = "commits";

impl Store {
    /// Opens (creating) the state directory.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        let commits = dir.join(COMMITS_DIR);
        std::fs::create_dir_all(&commits).map_err(|source| StoreError::Io {
            path: commits,
            source,
        })?;
        Ok(Store {
            dir: dir.to_path_buf(),
        })
    }

    /// The last height whose events were fully processed, if any.
    pub fn height(&self) -> Result<Option<u64>, StoreError> {
        let path = self.dir.join(HEIGHT_FILE);
        Ok(read_json::<Cursor>(&path)?.map(|c| c.height))
    }

    /// Records that every event up to `height` was processed.
    pub fn set_height(&self, height: u64) -> Result<(), StoreError> {
        write_json(&self.dir.join(HEIGHT_FILE), &Cursor { height })
    }

    fn commit_path(&self, job_id: u64, round: u32) -> PathBuf {
        self.dir
            .join(COMMITS_DIR)
            .join(format!("{job_id:020}-{round}.json"))
    }

    /// The record of job `job_id`, round `round`, if one was saved.
    pub fn commit(&self, job_id: u64, round: u32) -> Result<Option<CommitRecord>, StoreError> {
        read_json(&self.commit_path(job_id, round))
    }

    /// Saves a commit record (before the commit is sent).
    pub fn save_commit(&self, record: &CommitRecord) -> Result<(), StoreError> {
        write_json(&self.commit_path(record.job_id, record.round), record)
    }

    /// Forgets a record once its job round is closed on chain.
    pub fn remove_commit(&self, job_id: u64, round: u32) -> Result<(), StoreError> {
        let path = self.commit_path(job_id, round);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(StoreError::Io { path, source }),
        }
    }

    /// Every saved commit record, in job id order.
    pub fn commits(&self) -> Result<Vec<CommitRecord>, StoreError> {
        let dir = self.dir.join(COMMITS_DIR);
        let entries = std::fs::read_dir(&dir).map_err(|source| StoreError::Io {
            path: dir.clone(),
            source,
        })?;
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| StoreError::Io {
                path: dir.clone(),
                source,
            })?;
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "json") {
                if let Some(r) = read_json::<CommitRecord>(&path)? {
                    out.push(r);
                }
            }
        }
        out.sort_by_key(|r| (r.job_id, r.round));
        Ok(out)
    }
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>, StoreError> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| StoreError::Corrupt {
                path: path.to_path_buf(),
                reason: e.to_string(),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(StoreError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), StoreError> {
    // Serializing these plain structs cannot fail.
    let bytes = serde_json::to_vec_pretty(value).unwrap_or_default();
    write_atomic(path, &bytes)
}

/// Writes `bytes` to `path` atomically and durably.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |source| StoreError::Io { path: p, source }
    };
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let dir = path.parent().unwrap_or(Path::new("."));
    // Unique per write, so concurrent writers of the same file never share a temp file.
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_extension(format!("{}.{n}.tmp", std::process::id()));
    {
        let mut f = std::fs::File::create(&tmp).map_err(io(&tmp))?;
        f.write_all(bytes).map_err(io(&tmp))?;
        f.sync_all().map_err(io(&tmp))?;
    }
    std::fs::rename(&tmp, path).map_err(io(path))?;
    // Persist the rename itself.
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io(dir))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(job_id: u64) -> CommitRecord {
        CommitRecord {
            job_id,
            round: 0,
            salt: "00".repeat(32),
            outcome: "aa".into(),
            result_hash: "bb".into(),
            commitment: "cc".into(),
        }
    }

    #[test]
    fn height_and_commits_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        assert_eq!(s.height().unwrap(), None);
        s.set_height(41).unwrap();
        s.set_height(42).unwrap();
        s.save_commit(&record(10)).unwrap();
        s.save_commit(&record(2)).unwrap();
        let s = Store::open(dir.path()).unwrap();
        assert_eq!(s.height().unwrap(), Some(42));
        assert_eq!(s.commit(10, 0).unwrap(), Some(record(10)));
        assert_eq!(s.commit(10, 1).unwrap(), None);
        let all: Vec<u64> = s.commits().unwrap().iter().map(|r| r.job_id).collect();
        assert_eq!(all, vec![2, 10]);
        s.remove_commit(2, 0).unwrap();
        s.remove_commit(2, 0).unwrap();
        assert_eq!(s.commits().unwrap().len(), 1);
        // No temp files left behind.
        let leftovers = std::fs::read_dir(dir.path().join(COMMITS_DIR))
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x == "tmp")
            })
            .count();
        assert_eq!(leftovers, 0);
    }

    #[test]
    fn corrupt_file_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path()).unwrap();
        std::fs::write(dir.path().join(HEIGHT_FILE), b"{nope").unwrap();
        assert!(matches!(s.height(), Err(StoreError::Corrupt { .. })));
    }
}
