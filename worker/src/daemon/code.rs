//! Function code by hash: from the on-disk cache (`<code dir>/<sha256>.wasm`), the chain's
//! `Code` query, or — for code deployed through IPFS — this worker's IPFS node by CID (peers
//! are asked by [`crate::p2p::code_fetch`]). Bytes are returned only after their sha256 was
//! checked against the hash the chain recorded — from disk too, so a corrupted or tampered
//! cache file is never run, and an IPFS node or CID that serves other bytes is refused.

use std::path::PathBuf;

use bls_client::ipfs::IpfsClient;
use bls_orchestration::code::Compression;
use bls_orchestration::msgs::DeclineReason;
use sha2::{Digest, Sha256};

use crate::keyed_locks::KeyedLocks;

use super::chain::Chain;
use super::store::write_atomic;

/// Largest decompressed WASM the worker accepts (bounds a gzip bomb from a hostile node, and
/// what it reads from an IPFS source): the chain's cap on code through IPFS.
pub const MAX_WASM_BYTES: u64 = bls_orchestration::params::MAX_REMOTE_WASM_BYTES;

/// Where a module that is not stored on chain is fetched, how much of it to read, and until
/// when to try.
#[derive(Clone, Debug, Default)]
pub struct CodeSources {
    /// Its `ipfs://` URIs (empty: the code is on chain).
    pub uris: Vec<String>,
    /// Its raw size as deployed (0: unknown; then at most [`MAX_WASM_BYTES`] is read).
    pub size: u64,
    /// When fetching gives up (a job's commit window must still take its decline).
    pub deadline: Option<tokio::time::Instant>,
}

impl CodeSources {
    /// Code stored on chain.
    pub fn on_chain() -> CodeSources {
        CodeSources::default()
    }

    /// A function's current code.
    pub fn of_function(f: &bls_orchestration::state::Function) -> CodeSources {
        CodeSources {
            uris: f.fetch_sources().to_vec(),
            size: if f.code_on_chain { 0 } else { f.code_size },
            deadline: None,
        }
    }

    /// The code a job pinned, fetched until `deadline`.
    pub fn of_job(
        j: &bls_orchestration::state::Job,
        deadline: tokio::time::Instant,
    ) -> CodeSources {
        CodeSources {
            uris: j.source_uris.clone(),
            size: j.code_size,
            deadline: Some(deadline),
        }
    }

    /// The code of a function a job pinned as a callee, fetched until `deadline`.
    pub fn of_callee(
        c: &bls_orchestration::state::PinnedCallee,
        deadline: tokio::time::Instant,
    ) -> CodeSources {
        CodeSources {
            uris: c.source_uris.clone(),
            size: c.code_size,
            deadline: Some(deadline),
        }
    }

    /// Whether the code lives off chain.
    pub fn is_remote(&self) -> bool {
        !self.uris.is_empty()
    }

    /// The most bytes to read from a source.
    pub fn max_bytes(&self) -> u64 {
        if self.size == 0 {
            MAX_WASM_BYTES
        } else {
            self.size.min(MAX_WASM_BYTES)
        }
    }

    /// Time left before the deadline (`cap` when there is none, at most `cap`).
    pub fn left(&self, cap: std::time::Duration) -> std::time::Duration {
        self.deadline.map_or(cap, |d| {
            d.saturating_duration_since(tokio::time::Instant::now())
                .min(cap)
        })
    }
}

/// Why code could not be obtained.
#[derive(Debug, thiserror::Error)]
pub enum CodeError {
    /// The code is not on chain and no source (IPFS node, peer) gave it.
    #[error("code {hash} is not on chain and no source gave it: {tried}")]
    Unavailable {
        /// Hex hash.
        hash: String,
        /// What was tried and how it failed.
        tried: String,
    },
    /// The bytes hash right but the runtime cannot compile them (or the entry is missing).
    #[error("code {hash} does not compile: {reason}")]
    Invalid {
        /// Hex hash.
        hash: String,
        /// The runtime's error.
        reason: String,
    },
    /// The query failed.
    #[error("fetching code {hash}: {source}")]
    Query {
        /// Hex hash.
        hash: String,
        /// The RPC error.
        source: bls_client::RpcError,
    },
    /// The bytes do not hash to the expected value: never run them.
    #[error("code hash mismatch: expected {expected}, got {actual}")]
    HashMismatch {
        /// The chain's hash.
        expected: String,
        /// Hash of what we got.
        actual: String,
    },
    /// The stored gzip stream is invalid or too large.
    #[error("code {hash}: {reason}")]
    Decompress {
        /// Hex hash.
        hash: String,
        /// Why.
        reason: String,
    },
    /// The cache directory failed.
    #[error("code cache: {0}")]
    Cache(String),
}

impl CodeError {
    /// The `MsgDeclineJob` reason for a job whose code is not on chain, if this failure is
    /// one (I/O and chain-query failures are this worker's own: retried, never declined).
    pub fn decline_reason(&self) -> Option<DeclineReason> {
        match self {
            CodeError::Unavailable { .. } => Some(DeclineReason::CodeUnavailable),
            CodeError::HashMismatch { .. } => Some(DeclineReason::CodeMismatch),
            CodeError::Invalid { .. } | CodeError::Decompress { .. } => {
                Some(DeclineReason::CodeInvalid)
            }
            CodeError::Query { .. } | CodeError::Cache(_) => None,
        }
    }
}

/// The code cache, kept under a byte budget (least recently used blobs removed first,
/// [`bls_runtime::disk_budget`]).
#[derive(Debug, Clone)]
pub struct CodeStore {
    dir: PathBuf,
    max_bytes: u64,
    chain: Chain,
    /// This worker's IPFS node (`[ipfs] api_url`), if any.
    ipfs: Option<IpfsClient>,
    /// Longest one fetch from the IPFS node may take (`[ipfs] timeout_secs`).
    ipfs_timeout: std::time::Duration,
    // One fetch per blob at a time: jobs of the same function arrive together and need one
    // download; other blobs (a slow CID) do not wait for it.
    fetching: std::sync::Arc<KeyedLocks<[u8; 32]>>,
}

impl CodeStore {
    /// A cache in `dir` (created) of at most `max_bytes` of blobs, backed by `chain` and, for
    /// code on IPFS, by the node `ipfs` (each fetch from it at most `ipfs_timeout`).
    pub fn new(
        dir: PathBuf,
        max_bytes: u64,
        chain: Chain,
        ipfs: Option<IpfsClient>,
        ipfs_timeout: std::time::Duration,
    ) -> Result<CodeStore, CodeError> {
        std::fs::create_dir_all(&dir)
            .map_err(|e| CodeError::Cache(format!("{}: {e}", dir.display())))?;
        Ok(CodeStore {
            dir,
            max_bytes,
            chain,
            ipfs,
            ipfs_timeout,
            fetching: Default::default(),
        })
    }

    /// The raw WASM `hash` from the on-disk cache only (verified), without asking the chain.
    pub fn cached(&self, hash: &[u8; 32]) -> Option<Vec<u8>> {
        let path = self.dir.join(format!("{}.wasm", hex::encode(hash)));
        let bytes = std::fs::read(&path).ok()?;
        let actual: [u8; 32] = Sha256::digest(&bytes).into();
        bls_runtime::disk_budget::touch(&path);
        (&actual == hash).then_some(bytes)
    }

    /// Writes a verified blob and removes the least recently used ones over the budget.
    fn store(&self, path: &std::path::Path, wasm: &[u8]) -> Result<(), CodeError> {
        write_atomic(path, wasm).map_err(|e| CodeError::Cache(e.to_string()))?;
        bls_runtime::disk_budget::trim(&self.dir, "wasm", self.max_bytes, path)
            .map(|_| ())
            .map_err(|e| CodeError::Cache(format!("trimming {}: {e}", self.dir.display())))
    }

    /// Caches `wasm` (from a peer) under `hash` if it hashes to it, so this worker can
    /// serve the blob on without asking the chain. Mismatching bytes are not stored.
    pub fn put(&self, hash: &[u8; 32], wasm: &[u8]) -> Result<(), CodeError> {
        let actual: [u8; 32] = Sha256::digest(wasm).into();
        if &actual != hash {
            return Err(CodeError::HashMismatch {
                expected: hex::encode(hash),
                actual: hex::encode(actual),
            });
        }
        let path = self.dir.join(format!("{}.wasm", hex::encode(hash)));
        self.store(&path, wasm)
    }

    /// The raw WASM whose sha256 is `hash`: from the cache; else, for code on chain, the
    /// chain; for code on IPFS ([`CodeSources::is_remote`]), this worker's IPFS node by CID,
    /// and if that fails the chain (someone may have stored the same bytes inline). Verified
    /// before it is cached or returned.
    pub async fn get(&self, hash: &[u8; 32], sources: &CodeSources) -> Result<Vec<u8>, CodeError> {
        let hex_hash = hex::encode(hash);
        let path = self.dir.join(format!("{hex_hash}.wasm"));
        let _one_fetch = self.fetching.lock(hash).await;
        if let Ok(bytes) = std::fs::read(&path) {
            let actual: [u8; 32] = Sha256::digest(&bytes).into();
            if &actual == hash {
                bls_runtime::disk_budget::touch(&path);
                return Ok(bytes);
            }
            tracing::warn!(path = %path.display(), "cached code does not match its hash; refetching");
            let _ = std::fs::remove_file(&path);
        }
        let wasm = if sources.is_remote() {
            match self.fetch_from_ipfs(&hex_hash, sources).await {
                Ok(w) => w,
                Err(e) => match self.fetch_from_chain(&hex_hash).await {
                    Ok(w) => w,
                    Err(_) => return Err(e),
                },
            }
        } else {
            self.fetch_from_chain(&hex_hash).await?
        };
        let actual = hex::encode(Sha256::digest(&wasm));
        if actual != hex_hash {
            return Err(CodeError::HashMismatch {
                expected: hex_hash,
                actual,
            });
        }
        if let Err(e) = self.store(&path, &wasm) {
            // The bytes are verified; only the next run will have to fetch them again.
            tracing::warn!(error = %e, "cannot cache code");
        }
        Ok(wasm)
    }

    async fn fetch_from_chain(&self, hex_hash: &str) -> Result<Vec<u8>, CodeError> {
        let resp = self
            .chain
            .code(hex_hash)
            .await
            .map_err(|source| match source.abci_log() {
                Some(log) if log.contains("not stored on chain") || log.contains("not found") => {
                    CodeError::Unavailable {
                        hash: hex_hash.to_string(),
                        tried: "the chain does not store it and names no source".into(),
                    }
                }
                _ => CodeError::Query {
                    hash: hex_hash.to_string(),
                    source,
                },
            })?;
        let stored: Vec<u8> = resp.code.into();
        Ok(match resp.info.compression {
            Compression::None => stored,
            Compression::Gzip => {
                bls_orchestration::code::decompress(&stored, u64::MAX, MAX_WASM_BYTES)
                    .map_err(|e| CodeError::Decompress {
                        hash: hex_hash.to_string(),
                        reason: e.to_string(),
                    })?
                    .1
            }
        })
    }

    /// The first source whose content hashes to `hex_hash`, all sources together within
    /// `[ipfs] timeout_secs` and the sources' deadline. A source that serves other bytes is a
    /// mismatch (reported as such when no other source gave the right ones).
    async fn fetch_from_ipfs(
        &self,
        hex_hash: &str,
        sources: &CodeSources,
    ) -> Result<Vec<u8>, CodeError> {
        let Some(ipfs) = &self.ipfs else {
            return Err(CodeError::Unavailable {
                hash: hex_hash.to_string(),
                tried: "this worker has no IPFS node ([ipfs] api_url)".into(),
            });
        };
        let mut tried = Vec::new();
        let mut mismatch = None;
        let until = tokio::time::Instant::now() + sources.left(self.ipfs_timeout);
        for source in bls_orchestration::source::ipfs_sources(&sources.uris) {
            let cid = source.cid();
            let left = until.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                tried.push(format!("{cid}: not tried, out of time"));
                continue;
            }
            let fetched = tokio::time::timeout(left, ipfs.cat(&cid, sources.max_bytes()))
                .await
                .unwrap_or_else(|_| {
                    Err(bls_client::ipfs::IpfsError::Unreachable {
                        url: ipfs.url().to_string(),
                        reason: format!("no answer within {:.1} s", left.as_secs_f64()),
                    })
                });
            match fetched {
                Ok(bytes) => {
                    let actual = hex::encode(Sha256::digest(&bytes));
                    if actual == hex_hash {
                        tracing::info!(code = hex_hash, %cid, bytes = bytes.len(), "code fetched from IPFS");
                        return Ok(bytes);
                    }
                    tracing::warn!(code = hex_hash, %cid, %actual, "IPFS content does not match the chain's code hash; refused");
                    mismatch = Some(actual);
                }
                Err(e) => tried.push(format!("{cid}: {e}")),
            }
        }
        match mismatch {
            Some(actual) => Err(CodeError::HashMismatch {
                expected: hex_hash.to_string(),
                actual,
            }),
            None => Err(CodeError::Unavailable {
                hash: hex_hash.to_string(),
                tried: if tried.is_empty() {
                    "no ipfs:// source".into()
                } else {
                    tried.join("; ")
                },
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: std::time::Duration = std::time::Duration::from_secs(1);

    #[test]
    fn put_keeps_only_verified_bytes_and_cached_rechecks_them() {
        let dir = tempfile::tempdir().unwrap();
        let rpc = bls_client::RpcClient::new("http://127.0.0.1:1").unwrap();
        let store = CodeStore::new(
            dir.path().to_path_buf(),
            1 << 20,
            Chain::new(rpc),
            None,
            SECOND,
        )
        .unwrap();
        let wasm = b"\0asm module".to_vec();
        let hash: [u8; 32] = Sha256::digest(&wasm).into();
        assert!(store.cached(&hash).is_none());
        assert!(matches!(
            store.put(&hash, b"other bytes"),
            Err(CodeError::HashMismatch { .. })
        ));
        assert!(store.cached(&hash).is_none());
        store.put(&hash, &wasm).unwrap();
        assert_eq!(store.cached(&hash), Some(wasm));
        // A tampered cache file is never returned.
        let path = dir.path().join(format!("{}.wasm", hex::encode(hash)));
        std::fs::write(path, b"tampered").unwrap();
        assert!(store.cached(&hash).is_none());
    }

    #[test]
    fn blobs_beyond_the_budget_are_removed_least_recently_used_first() {
        let dir = tempfile::tempdir().unwrap();
        let rpc = bls_client::RpcClient::new("http://127.0.0.1:1").unwrap();
        // Room for two 100-byte blobs.
        let store =
            CodeStore::new(dir.path().to_path_buf(), 250, Chain::new(rpc), None, SECOND).unwrap();
        let blob = |b: u8| vec![b; 100];
        let hash = |w: &[u8]| -> [u8; 32] { Sha256::digest(w).into() };
        let (a, b, c) = (blob(1), blob(2), blob(3));
        store.put(&hash(&a), &a).unwrap();
        store.put(&hash(&b), &b).unwrap();
        // `a` is used again (mtimes have a coarse grain: make the order unambiguous).
        let past = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
        let path_b = dir.path().join(format!("{}.wasm", hex::encode(hash(&b))));
        std::fs::File::options()
            .append(true)
            .open(&path_b)
            .unwrap()
            .set_modified(past)
            .unwrap();
        assert_eq!(store.cached(&hash(&a)), Some(a.clone()));
        store.put(&hash(&c), &c).unwrap();
        assert_eq!(store.cached(&hash(&a)), Some(a));
        assert_eq!(store.cached(&hash(&c)), Some(c));
        assert!(
            store.cached(&hash(&b)).is_none(),
            "the least recently used blob went"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_silent_ipfs_node_holds_a_fetch_only_until_its_deadline_and_not_other_code() {
        // An IPFS API that accepts connections and never answers; it says when the first
        // connection came (the slow fetch then holds its lock).
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (accepted, first) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for c in listener.incoming().take(16) {
                held.push(c);
                let _ = accepted.send(());
            }
        });
        let dir = tempfile::tempdir().unwrap();
        let rpc = bls_client::RpcClient::new("http://127.0.0.1:1").unwrap();
        let ipfs = IpfsClient::new(&url, std::time::Duration::from_secs(600)).unwrap();
        let store = CodeStore::new(
            dir.path().to_path_buf(),
            1 << 20,
            Chain::new(rpc),
            Some(ipfs),
            std::time::Duration::from_secs(600),
        )
        .unwrap();
        let other = b"\0asm other".to_vec();
        let other_hash: [u8; 32] = Sha256::digest(&other).into();
        store.put(&other_hash, &other).unwrap();
        let slow = CodeSources {
            uris: vec![
                "ipfs://bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e".into(),
                "ipfs://Qmf412jQZiuVUtdgnB36FXFX7xg5V6KEbSJ4dpQuhkLyfD".into(),
            ],
            size: 11,
            deadline: Some(tokio::time::Instant::now() + 3 * SECOND),
        };
        let slow_task = tokio::spawn({
            let store = store.clone();
            async move { store.get(&[7; 32], &slow).await }
        });
        tokio::task::spawn_blocking(move || first.recv())
            .await
            .unwrap()
            .expect("the slow fetch reached the silent node");
        // Other code is served while the slow fetch is stuck (one lock per blob).
        assert_eq!(
            store
                .get(&other_hash, &CodeSources::on_chain())
                .await
                .unwrap(),
            other
        );
        assert!(!slow_task.is_finished(), "the slow fetch was still waiting");
        // And the slow fetch gives up at its deadline, as a reason to decline.
        let slow_result = tokio::time::timeout(30 * SECOND, slow_task)
            .await
            .expect("the fetch gave up at its deadline")
            .unwrap();
        match slow_result {
            Err(e @ CodeError::Unavailable { .. }) => {
                assert_eq!(e.decline_reason(), Some(DeclineReason::CodeUnavailable));
                assert!(e.to_string().contains("no answer within"), "{e}");
            }
            r => panic!("expected Unavailable, got {r:?}"),
        }
    }
}
