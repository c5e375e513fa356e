//! Compiled-module cache keyed by the sha256 of the code: in memory (an `InstancePre`
//! per module, ready to instantiate) and optionally on disk (compiled artifacts).
//!
//! `Module::deserialize` trusts its input completely, so the disk cache only ever
//! deserializes artifacts this worker compiled itself: each file carries a tag
//! `sha256(key ‖ code_hash ‖ sha256(artifact))` under a secret key created on first use
//! (`cache.key`, mode 0600). Files without a valid tag — copied in, tampered with, or
//! written by another worker — are ignored and recompiled. The fixed-length input keeps
//! this secret-prefix construction free of length-extension forgeries.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use sha2::{Digest, Sha256};
use wasmtime::{Engine, InstancePre, Linker, Module};

use crate::error::RuntimeError;
use crate::state::JobState;

/// Cache counters (monotonic since the runtime started).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Modules compiled from WASM bytes.
    pub compiles: u64,
    /// Modules loaded from the on-disk cache.
    pub disk_hits: u64,
    /// Lookups answered from memory.
    pub memory_hits: u64,
}

struct Entry {
    pre: InstancePre<JobState>,
    last_used: u64,
    /// Bytes of the module's compiled image in memory.
    bytes: usize,
}

/// The module cache of one runtime.
pub struct ModuleCache {
    engine: Engine,
    linker: Linker<JobState>,
    capacity: usize,
    max_bytes: usize,
    entries: Mutex<MemoryEntries>,
    disk: Option<DiskCache>,
    compiles: AtomicU64,
    disk_hits: AtomicU64,
    memory_hits: AtomicU64,
}

#[derive(Default)]
struct MemoryEntries {
    map: HashMap<[u8; 32], Entry>,
    clock: u64,
    /// Sum of the entries' `bytes`.
    bytes: usize,
}

impl ModuleCache {
    /// A cache holding up to `capacity` modules and `max_bytes` of compiled code in memory
    /// (the least recently used go first; one module larger than `max_bytes` is still kept,
    /// alone), with artifacts under `disk_dir` when given, at most `disk_max_bytes` of them.
    pub fn new(
        engine: Engine,
        linker: Linker<JobState>,
        capacity: usize,
        max_bytes: usize,
        disk_dir: Option<&Path>,
        disk_max_bytes: u64,
    ) -> Result<Self, RuntimeError> {
        let disk = disk_dir
            .map(|d| DiskCache::open(d, disk_max_bytes))
            .transpose()?;
        Ok(Self {
            engine,
            linker,
            capacity: capacity.max(1),
            max_bytes,
            entries: Mutex::new(MemoryEntries::default()),
            disk,
            compiles: AtomicU64::new(0),
            disk_hits: AtomicU64::new(0),
            memory_hits: AtomicU64::new(0),
        })
    }

    /// Current counters.
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            compiles: self.compiles.load(Ordering::Relaxed),
            disk_hits: self.disk_hits.load(Ordering::Relaxed),
            memory_hits: self.memory_hits.load(Ordering::Relaxed),
        }
    }

    fn lookup_memory(&self, hash: &[u8; 32]) -> Option<InstancePre<JobState>> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.clock = entries.clock.wrapping_add(1);
        let now = entries.clock;
        let entry = entries.map.get_mut(hash)?;
        entry.last_used = now;
        Some(entry.pre.clone())
    }

    /// Modules in memory and the bytes of their compiled code.
    pub fn memory_usage(&self) -> (usize, usize) {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        (entries.map.len(), entries.bytes)
    }

    fn insert(&self, hash: [u8; 32], pre: InstancePre<JobState>) {
        let range = pre.module().image_range();
        let bytes = (range.end as usize).saturating_sub(range.start as usize);
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.clock = entries.clock.wrapping_add(1);
        let now = entries.clock;
        if let Some(old) = entries.map.remove(&hash) {
            entries.bytes = entries.bytes.saturating_sub(old.bytes);
        }
        // Evict the least recently used modules (ties cannot occur: the clock is unique)
        // until the new one fits in count and bytes, or is alone.
        while !entries.map.is_empty()
            && (entries.map.len() >= self.capacity
                || entries.bytes.saturating_add(bytes) > self.max_bytes)
        {
            let Some(oldest) = entries
                .map
                .iter()
                .min_by_key(|(_, e)| e.last_used)
                .map(|(k, _)| *k)
            else {
                break;
            };
            if let Some(e) = entries.map.remove(&oldest) {
                entries.bytes = entries.bytes.saturating_sub(e.bytes);
            }
        }
        entries.bytes = entries.bytes.saturating_add(bytes);
        entries.map.insert(
            hash,
            Entry {
                pre,
                last_used: now,
                bytes,
            },
        );
    }

    fn prepare(&self, module: &Module) -> Result<InstancePre<JobState>, RuntimeError> {
        self.linker
            .instantiate_pre(module)
            .map_err(|e| RuntimeError::Link(format!("{e:#}")))
    }

    /// The ready-to-instantiate module for `hash`, from memory or the disk cache.
    pub fn get(&self, hash: &[u8; 32]) -> Result<Option<InstancePre<JobState>>, RuntimeError> {
        if let Some(pre) = self.lookup_memory(hash) {
            self.memory_hits.fetch_add(1, Ordering::Relaxed);
            return Ok(Some(pre));
        }
        let Some(disk) = &self.disk else {
            return Ok(None);
        };
        let Some(module) = disk.load(&self.engine, hash) else {
            return Ok(None);
        };
        self.disk_hits.fetch_add(1, Ordering::Relaxed);
        let pre = self.prepare(&module)?;
        self.insert(*hash, pre.clone());
        Ok(Some(pre))
    }

    /// Makes `code` available under its hash: from cache when present, else compiled
    /// (and written to the disk cache). Fails when `expected` is given and differs from
    /// the code's sha256.
    pub fn load(&self, code: &[u8], expected: Option<&[u8; 32]>) -> Result<[u8; 32], RuntimeError> {
        let hash: [u8; 32] = Sha256::digest(code).into();
        if let Some(expected) = expected {
            if *expected != hash {
                return Err(RuntimeError::HashMismatch {
                    expected: hex::encode(expected),
                    actual: hex::encode(hash),
                });
            }
        }
        if self.get(&hash)?.is_some() {
            return Ok(hash);
        }
        let module =
            Module::new(&self.engine, code).map_err(|e| RuntimeError::Compile(format!("{e:#}")))?;
        self.compiles.fetch_add(1, Ordering::Relaxed);
        let pre = self.prepare(&module)?;
        if let Some(disk) = &self.disk {
            if let Err(e) = disk.store(&hash, &module) {
                // The disk cache is an optimization: a failed write only costs a recompile.
                tracing::warn!(hash = %hex::encode(hash), error = %e, "module cache write failed");
            }
        }
        self.insert(hash, pre);
        Ok(hash)
    }

    /// True when `hash` can be run without the code (in memory or on disk).
    pub fn contains(&self, hash: &[u8; 32]) -> bool {
        let in_memory = self
            .entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .map
            .contains_key(hash);
        in_memory
            || self
                .disk
                .as_ref()
                .is_some_and(|d| d.path_for(hash).exists())
    }
}

/// Compiled artifacts on disk, tagged with this worker's secret key, kept under a byte
/// budget (least recently used first, [`crate::disk_budget`]).
struct DiskCache {
    dir: PathBuf,
    key: [u8; 32],
    max_bytes: u64,
}

const KEY_FILE: &str = "cache.key";
const TAG_LEN: usize = 32;

impl DiskCache {
    fn open(dir: &Path, max_bytes: u64) -> Result<Self, RuntimeError> {
        let io = |e: std::io::Error| RuntimeError::Cache(format!("{}: {e}", dir.display()));
        std::fs::create_dir_all(dir).map_err(io)?;
        let key_path = dir.join(KEY_FILE);
        if !key_path.exists() {
            let mut key = [0u8; 32];
            rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut key);
            // Write under a unique name, then hard-link into place: the link fails if a
            // concurrent process won the race, and nobody ever reads a half-written key.
            let tmp = dir.join(format!("{KEY_FILE}.{}.tmp", std::process::id()));
            write_private(&tmp, &key).map_err(io)?;
            let linked = std::fs::hard_link(&tmp, &key_path);
            let _ = std::fs::remove_file(&tmp);
            if let Err(e) = linked {
                if e.kind() != std::io::ErrorKind::AlreadyExists {
                    return Err(io(e));
                }
            }
        }
        let bytes = std::fs::read(&key_path).map_err(io)?;
        let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
            RuntimeError::Cache(format!("{} is not a 32-byte key", key_path.display()))
        })?;
        Ok(Self {
            dir: dir.to_path_buf(),
            key,
            max_bytes,
        })
    }

    fn path_for(&self, hash: &[u8; 32]) -> PathBuf {
        self.dir.join(format!("{}.cwasm", hex::encode(hash)))
    }

    fn tag(&self, hash: &[u8; 32], artifact: &[u8]) -> [u8; 32] {
        Sha256::new()
            .chain_update(self.key)
            .chain_update(hash)
            .chain_update(Sha256::digest(artifact))
            .finalize()
            .into()
    }

    fn load(&self, engine: &Engine, hash: &[u8; 32]) -> Option<Module> {
        let path = self.path_for(hash);
        let file = std::fs::read(&path).ok()?;
        crate::disk_budget::touch(&path);
        if file.len() < TAG_LEN {
            return None;
        }
        let (tag, artifact) = file.split_at(TAG_LEN);
        if tag != self.tag(hash, artifact) {
            tracing::warn!(hash = %hex::encode(hash), "ignoring module cache file with a bad tag");
            return None;
        }
        // SAFETY: the tag proves this worker wrote `artifact` from `Module::serialize`
        // for this very code hash; wasmtime additionally checks engine compatibility.
        match unsafe { Module::deserialize(engine, artifact) } {
            Ok(module) => Some(module),
            Err(e) => {
                // e.g. written by a different wasmtime version or engine config.
                tracing::info!(hash = %hex::encode(hash), error = %e, "stale module cache file");
                None
            }
        }
    }

    fn store(&self, hash: &[u8; 32], module: &Module) -> Result<(), String> {
        let artifact = module.serialize().map_err(|e| format!("serialize: {e}"))?;
        let path = self.path_for(hash);
        let tmp = self.dir.join(format!(
            "{}.{}.{}.tmp",
            hex::encode(hash),
            std::process::id(),
            TMP_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let mut file = Vec::with_capacity(TAG_LEN + artifact.len());
        file.extend_from_slice(&self.tag(hash, &artifact));
        file.extend_from_slice(&artifact);
        write_private(&tmp, &file).map_err(|e| format!("{}: {e}", tmp.display()))?;
        std::fs::rename(&tmp, &path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            format!("{}: {e}", path.display())
        })?;
        crate::disk_budget::trim(&self.dir, "cwasm", self.max_bytes, &path)
            .map(|_| ())
            .map_err(|e| format!("trimming {}: {e}", self.dir.display()))
    }
}

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}
