//! Keeping a cache directory under a byte budget. What lands in a worker's caches is decided
//! by others (every function deployed on chain and placed on it), so the caches evict: after
//! each write, the least recently used files of the cache's kind go first, by modification
//! time, which every cache hit refreshes ([`touch`]).

use std::path::Path;
use std::time::SystemTime;

/// Marks `path` as just used (a cache hit), so [`trim`] removes it last. Best effort.
pub fn touch(path: &Path) {
    if let Ok(f) = std::fs::File::options().append(true).open(path) {
        let _ = f.set_modified(SystemTime::now());
    }
}

/// Removes the least recently used files ending in `.{extension}` directly in `dir` until
/// their total is at most `max_bytes`; `keep` (the file just written) is never removed, so
/// one file larger than the budget stays alone. Returns the bytes removed.
pub fn trim(dir: &Path, extension: &str, max_bytes: u64, keep: &Path) -> std::io::Result<u64> {
    let mut files = Vec::new();
    let mut total = 0u64;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if path.extension().is_none_or(|e| e != extension) {
            continue;
        }
        let meta = entry.metadata()?;
        if !meta.is_file() {
            continue;
        }
        total = total.saturating_add(meta.len());
        let used = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        files.push((used, path, meta.len()));
    }
    if total <= max_bytes {
        return Ok(0);
    }
    // Oldest first; the path breaks ties so the order does not depend on the directory's.
    files.sort();
    let mut removed = 0u64;
    for (_, path, len) in files {
        if total <= max_bytes {
            break;
        }
        if path == keep {
            continue;
        }
        match std::fs::remove_file(&path) {
            Ok(()) => {
                total = total.saturating_sub(len);
                removed = removed.saturating_add(len);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn file(dir: &Path, name: &str, len: usize, age_secs: u64) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, vec![0u8; len]).unwrap();
        let f = std::fs::File::options().append(true).open(&p).unwrap();
        f.set_modified(SystemTime::now() - Duration::from_secs(age_secs))
            .unwrap();
        p
    }

    #[test]
    fn the_least_recently_used_go_first_and_the_new_file_stays() {
        let dir = tempfile::tempdir().unwrap();
        let old = file(dir.path(), "a.wasm", 100, 300);
        let used = file(dir.path(), "b.wasm", 100, 200);
        let other_kind = file(dir.path(), "c.cwasm", 1000, 400);
        let new = file(dir.path(), "d.wasm", 100, 0);
        // A hit on `used` makes it the most recent of the old ones.
        touch(&used);
        assert_eq!(trim(dir.path(), "wasm", 250, &new).unwrap(), 100);
        assert!(!old.exists());
        assert!(used.exists() && new.exists());
        assert!(other_kind.exists(), "other kinds are not this budget's");
        // Under budget: nothing happens.
        assert_eq!(trim(dir.path(), "wasm", 250, &new).unwrap(), 0);
        // A budget smaller than the new file keeps it alone.
        trim(dir.path(), "wasm", 10, &new).unwrap();
        assert!(new.exists() && !used.exists());
    }
}
