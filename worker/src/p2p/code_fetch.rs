//! Where a worker gets a function's code: its runtime's compiled modules, its own verified
//! code on disk, then — for code stored on chain — a registered peer that provides the blob
//! (Kademlia; the requesting head last), else the chain; for code deployed through IPFS, its
//! IPFS node first, else those peers. Bytes count only when they hash to what the chain
//! recorded; once compiled, this node provides the blob itself. It also answers peers' code
//! requests (from its cache or the chain: it never fetches from IPFS for a peer).

use std::sync::Arc;
use std::time::Duration;

use libp2p::PeerId;
use sha2::{Digest, Sha256};

use super::node::{P2pError, P2pHandle};
use super::peers::{multiaddrs, PeerBook};
use super::protocol::{CodeReply, CodeRequest};
use crate::daemon::code::{CodeError, CodeSources, CodeStore};
use crate::daemon::runner::Runner;
use crate::keyed_locks::KeyedLocks;
use crate::metrics::Metrics;

/// How long a Kademlia provider lookup for a code blob may take.
const PROVIDER_LOOKUP: Duration = Duration::from_secs(2);
/// How long one peer may take to send a code blob.
const CODE_FROM_PEER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long all peers together may take before the chain is asked (well inside a work
/// order's request timeout, so the chain fallback still fits).
const CODE_FROM_PEERS_BUDGET: Duration = Duration::from_secs(12);
/// Most providers asked for one blob before falling back.
const MAX_CODE_PEERS: usize = 3;

/// The code source of fast-path work and prefetches.
pub struct CodeFetcher {
    /// Compiles verified code into the runtime.
    runner: Runner,
    /// Verified code cache (disk, then chain).
    store: CodeStore,
    /// The p2p node (providers, code requests).
    p2p: P2pHandle,
    /// Registered peers: only they are asked for code.
    peers: Arc<PeerBook>,
    /// Code fetches by source.
    metrics: Arc<Metrics>,
    /// One fetch per code blob at a time: a prefetch notice and the first work order of a
    /// function arrive together and need one download; other blobs are not held up.
    fetching: KeyedLocks<[u8; 32]>,
}

impl CodeFetcher {
    /// A fetcher loading into `runner`, caching in `store`, asking `peers` over `p2p`.
    pub fn new(
        runner: Runner,
        store: CodeStore,
        p2p: P2pHandle,
        peers: Arc<PeerBook>,
        metrics: Arc<Metrics>,
    ) -> CodeFetcher {
        CodeFetcher {
            runner,
            store,
            p2p,
            peers,
            metrics,
            fetching: KeyedLocks::default(),
        }
    }

    /// Ensures the module `hash` is loaded: runtime cache, disk cache, then by where the code
    /// lives. `sources` empty (code on chain): a Kademlia provider of the blob (registered
    /// peers other than `from` first), else `from` (the requesting head or the prefetch
    /// author), else the chain. `sources` with `ipfs://` CIDs: this worker's IPFS node, else
    /// those peers. Peer bytes are used only if their sha256 is `hash`; once loaded, this node
    /// announces itself as a provider.
    pub async fn ensure(
        &self,
        hash: [u8; 32],
        from: Option<&PeerId>,
        sources: &CodeSources,
    ) -> Result<(), CodeError> {
        if self.runner.has_module(&hash) {
            return Ok(());
        }
        let _one = self.fetching.lock(&hash).await;
        if self.runner.has_module(&hash) {
            return Ok(());
        }
        if let Some(wasm) = self.store.cached(&hash) {
            return self.load(hash, wasm).await;
        }
        if !sources.is_remote() {
            let wasm = match self.fetch_from_peers(hash, from, sources).await {
                Some(w) => w,
                None => {
                    let w = self.store.get(&hash, sources).await?;
                    self.metrics.code_fetch("chain");
                    w
                }
            };
            return self.load(hash, wasm).await;
        }
        let wasm = match self.store.get(&hash, sources).await {
            Ok(w) => {
                self.metrics.code_fetch("ipfs");
                w
            }
            Err(e @ (CodeError::Unavailable { .. } | CodeError::HashMismatch { .. })) => {
                if matches!(e, CodeError::HashMismatch { .. }) {
                    self.metrics.code_fetch("ipfs_mismatch");
                }
                tracing::info!(code = %hex::encode(hash), error = %e, "code not from IPFS; asking peers");
                self.fetch_from_peers(hash, from, sources).await.ok_or(e)?
            }
            Err(e) => return Err(e),
        };
        self.load(hash, wasm).await
    }

    /// The blob from a registered peer that provides it (others than `from` first, `from`
    /// last), verified and cached; `None` when none gave it within the budget (and the
    /// sources' deadline).
    async fn fetch_from_peers(
        &self,
        hash: [u8; 32],
        from: Option<&PeerId>,
        sources: &CodeSources,
    ) -> Option<Vec<u8>> {
        // Spare the requester (usually the head): look for another provider first.
        let exclude: Vec<PeerId> = from.copied().into_iter().collect();
        let mut candidates: Vec<(PeerId, &str)> = self
            .p2p
            .providers(hash, &exclude, PROVIDER_LOOKUP)
            .await
            .into_iter()
            .filter(|p| Some(p) != from && *p != self.p2p.peer_id)
            .map(|p| (p, "provider"))
            .collect();
        candidates.truncate(MAX_CODE_PEERS);
        if let Some(f) = from {
            candidates.push((*f, "requester"));
        }
        let deadline = tokio::time::Instant::now() + sources.left(CODE_FROM_PEERS_BUDGET);
        for (peer, kind) in candidates {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                break;
            }
            let wait = left.min(CODE_FROM_PEER_TIMEOUT);
            if let Some(bytes) = self.code_from_peer(&peer, hash, wait).await {
                tracing::info!(code = %hex::encode(hash), %peer, source = kind, "code blob fetched from peer");
                self.metrics.code_fetch(kind);
                if let Err(e) = self.store.put(&hash, &bytes) {
                    tracing::warn!(error = %e, "cannot cache code");
                }
                return Some(bytes);
            }
        }
        None
    }

    /// Compiles verified `wasm` into the runtime and announces this node as a provider.
    async fn load(&self, hash: [u8; 32], wasm: Vec<u8>) -> Result<(), CodeError> {
        self.runner.load_code(hash, wasm).await?;
        self.p2p.provide(hash).await;
        Ok(())
    }

    /// The blob `hash` from `peer` if it is registered, answers within `wait`, and sends
    /// the right bytes.
    async fn code_from_peer(
        &self,
        peer: &PeerId,
        hash: [u8; 32],
        wait: Duration,
    ) -> Option<Vec<u8>> {
        let Some(w) = self.peers.lookup(peer).await else {
            tracing::warn!(%peer, "code provider is not registered; not asking it");
            return None;
        };
        let request = CodeRequest {
            hash: hash.to_vec(),
        };
        // A slow or silent peer must not hold the fetch (and the fast path) for the whole
        // request timeout: the next candidate, then the chain, are there.
        let asked = tokio::time::timeout(wait, self.p2p.code(*peer, multiaddrs(&w), request))
            .await
            .unwrap_or_else(|_| {
                Err(P2pError::Request {
                    peer: peer.to_string(),
                    reason: "timed out".into(),
                })
            });
        match asked {
            Ok(CodeReply::Found(bytes)) => {
                let actual: [u8; 32] = Sha256::digest(&bytes).into();
                if actual == hash {
                    Some(bytes)
                } else {
                    tracing::warn!(%peer, "peer sent code with the wrong hash; ignoring it");
                    None
                }
            }
            Ok(CodeReply::Missing(why)) => {
                tracing::debug!(%peer, why, "peer has no code");
                None
            }
            Err(e) => {
                tracing::debug!(error = %e, "code from peer failed");
                None
            }
        }
    }

    /// Raw WASM for a code request (verified by hash before it is sent).
    pub async fn blob(&self, hash: &[u8]) -> CodeReply {
        let Ok(hash) = <[u8; 32]>::try_from(hash) else {
            return CodeReply::Missing("hash must be 32 bytes".into());
        };
        // The cache (code from IPFS lands there), else the chain: never IPFS on a peer's
        // behalf (a peer could make this node download anything).
        if let Some(w) = self.store.cached(&hash) {
            return CodeReply::Found(w);
        }
        match self.store.get(&hash, &CodeSources::on_chain()).await {
            Ok(w) => CodeReply::Found(w),
            Err(e) => CodeReply::Missing(e.to_string()),
        }
    }
}
