//! A short-lived cache of the chain reads on the fast path (head and worker executor):
//! module queries (params, functions with their subnetworks, pinned heads, worker records)
//! and the chain tip (height and block time).
//!
//! Without it every fast-path request made about ten sequential RPC round trips through
//! CometBFT, most of the latency budget. A read is trusted for at most the view's TTL
//! ([`DEFAULT_TTL`]) and is dropped earlier when the view sees a newer chain height than
//! the one it was read at (heights are seen when the tip is read, at most once per TTL).
//! So the guarantee is the TTL: a retired function, a new pinned head or a jailed worker
//! takes effect on the fast path within one TTL of its block. Errors are never cached (an
//! unknown function is asked again). Deposits are not cached here: the head keeps its own
//! book that also counts what it charged since the read (`head::deposits`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bls_client::{RpcClient, RpcError};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// How long a read is trusted by default.
pub const DEFAULT_TTL: Duration = Duration::from_secs(1);

/// Most cached reads; beyond it expired ones are purged, then everything if still full
/// (so hostile requests naming many functions cannot grow memory).
const MAX_ENTRIES: usize = 10_000;

/// Values by key, each valid for `ttl` after it was stored and only while no newer
/// chain height than its own has been observed. Time is passed in so tests are exact.
pub struct TtlMap<K, V> {
    ttl: Duration,
    max: usize,
    state: Mutex<TtlState<K, V>>,
}

struct TtlState<K, V> {
    /// Highest chain height observed so far.
    height: u64,
    /// key → (stored at, height when stored, value).
    entries: BTreeMap<K, (Instant, u64, V)>,
}

impl<K: Ord + Clone, V: Clone> TtlMap<K, V> {
    /// An empty map trusting values for `ttl`, holding at most `max` of them.
    pub fn new(ttl: Duration, max: usize) -> Self {
        TtlMap {
            ttl,
            max: max.max(1),
            state: Mutex::new(TtlState {
                height: 0,
                entries: BTreeMap::new(),
            }),
        }
    }

    /// The value of `key` if it is still valid at `now`.
    pub fn get(&self, key: &K, now: Instant) -> Option<V> {
        let st = self.state.lock().ok()?;
        let (at, height, v) = st.entries.get(key)?;
        let fresh = now.saturating_duration_since(*at) < self.ttl && *height >= st.height;
        fresh.then(|| v.clone())
    }

    /// The highest chain height observed (0 before any).
    pub fn height(&self) -> u64 {
        self.state.lock().map_or(0, |st| st.height)
    }

    /// Stores `v` for `key` as read at `now` when the chain was at `height` (the height
    /// observed before the read started, so a read racing a new block is dropped on the
    /// next observation).
    pub fn put(&self, key: K, v: V, height: u64, now: Instant) {
        let Ok(mut st) = self.state.lock() else {
            return;
        };
        if st.entries.len() >= self.max && !st.entries.contains_key(&key) {
            let (ttl, h) = (self.ttl, st.height);
            st.entries
                .retain(|_, (at, eh, _)| now.saturating_duration_since(*at) < ttl && *eh >= h);
            if st.entries.len() >= self.max {
                st.entries.clear();
            }
        }
        st.entries.insert(key, (now, height, v));
    }

    /// Records that the chain reached `height`: every value read at a lower height is
    /// invalid from now on.
    pub fn observe_height(&self, height: u64) {
        if let Ok(mut st) = self.state.lock() {
            if height > st.height {
                st.height = height;
                st.entries.retain(|_, (_, h, _)| *h >= height);
            }
        }
    }

    /// Number of stored values (valid or not yet purged).
    pub fn len(&self) -> usize {
        self.state.lock().map_or(0, |st| st.entries.len())
    }

    /// True when nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The latest block the node has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tip {
    /// Height.
    pub height: u64,
    /// Block time, nanoseconds since the Unix epoch (0 if unparseable).
    pub time_nanos: u128,
}

/// Cached module queries and chain tip over one RPC client.
pub struct ChainView {
    rpc: RpcClient,
    ttl: Duration,
    /// (query path, JSON request) → raw JSON answer.
    reads: TtlMap<(String, Vec<u8>), Arc<Vec<u8>>>,
    tip: Mutex<Option<(Instant, Tip)>>,
}

impl std::fmt::Debug for ChainView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChainView")
            .field("rpc", &self.rpc.url())
            .field("ttl", &self.ttl)
            .field("cached", &self.reads.len())
            .finish()
    }
}

impl ChainView {
    /// A view over `rpc` trusting reads for `ttl`.
    pub fn new(rpc: RpcClient, ttl: Duration) -> ChainView {
        ChainView {
            rpc,
            ttl,
            reads: TtlMap::new(ttl, MAX_ENTRIES),
            tip: Mutex::new(None),
        }
    }

    /// How long reads are trusted.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// A JSON module query (`/bls.<module>.v1.Query/<Method>`), from the cache while valid.
    pub async fn query<Req: Serialize + ?Sized, Resp: DeserializeOwned>(
        &self,
        path: &str,
        req: &Req,
    ) -> Result<Resp, RpcError> {
        let data = serde_json::to_vec(req).map_err(|e| RpcError::Decode {
            path: path.to_string(),
            detail: format!("cannot encode request: {e}"),
        })?;
        let key = (path.to_string(), data);
        let bytes = match self.reads.get(&key, Instant::now()) {
            Some(b) => b,
            None => {
                let height = self.reads.height();
                let b = Arc::new(self.rpc.abci_query(path, key.1.clone()).await?);
                self.reads.put(key, b.clone(), height, Instant::now());
                b
            }
        };
        serde_json::from_slice(&bytes).map_err(|e| RpcError::Decode {
            path: path.to_string(),
            detail: e.to_string(),
        })
    }

    /// The chain tip, read at most once per TTL; a higher height than seen before
    /// invalidates every read made before it.
    pub async fn tip(&self) -> Result<Tip, RpcError> {
        let now = Instant::now();
        if let Some((at, t)) = self.tip.lock().ok().and_then(|g| *g) {
            if now.saturating_duration_since(at) < self.ttl {
                return Ok(t);
            }
        }
        let s = self.rpc.status().await?;
        let time_nanos = tendermint::Time::parse_from_rfc3339(&s.latest_block_time)
            .ok()
            .map_or(0, |t| u128::try_from(t.unix_timestamp_nanos()).unwrap_or(0));
        let t = Tip {
            height: s.latest_block_height,
            time_nanos,
        };
        self.reads.observe_height(t.height);
        if let Ok(mut g) = self.tip.lock() {
            *g = Some((Instant::now(), t));
        }
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map() -> TtlMap<&'static str, u32> {
        TtlMap::new(Duration::from_millis(1000), 3)
    }

    #[test]
    fn value_is_valid_until_the_ttl_then_gone() {
        let m = map();
        let t0 = Instant::now();
        m.put("a", 1, 0, t0);
        assert_eq!(m.get(&"a", t0), Some(1));
        assert_eq!(m.get(&"a", t0 + Duration::from_millis(999)), Some(1));
        assert_eq!(m.get(&"a", t0 + Duration::from_millis(1000)), None);
        assert_eq!(m.get(&"b", t0), None);
    }

    #[test]
    fn a_newer_height_invalidates_older_reads_only() {
        let m = map();
        let t0 = Instant::now();
        m.put("old", 1, 5, t0);
        m.observe_height(5); // same height: still valid
        assert_eq!(m.get(&"old", t0), Some(1));
        m.observe_height(6);
        assert_eq!(m.get(&"old", t0), None);
        assert!(m.is_empty(), "stale reads are dropped, not kept");
        m.put("new", 2, 6, t0);
        assert_eq!(m.get(&"new", t0), Some(2));
        m.observe_height(4); // heights never go back
        assert_eq!(m.height(), 6);
        assert_eq!(m.get(&"new", t0), Some(2));
    }

    #[test]
    fn a_read_racing_a_new_block_is_not_trusted() {
        // The read started when height 6 was the highest seen; a tip of 7 arrives before
        // it is stored: the stored value is already stale.
        let m = map();
        let t0 = Instant::now();
        m.observe_height(6);
        let started_at = m.height();
        m.observe_height(7);
        m.put("f", 1, started_at, t0);
        assert_eq!(m.get(&"f", t0), None);
    }

    #[test]
    fn size_is_bounded() {
        let m = map();
        let t0 = Instant::now();
        for (i, k) in ["a", "b", "c"].into_iter().enumerate() {
            m.put(k, i as u32, 0, t0);
        }
        assert_eq!(m.len(), 3);
        // Full of valid values: a new key clears the map rather than growing it.
        m.put("d", 9, 0, t0);
        assert_eq!(m.len(), 1);
        assert_eq!(m.get(&"d", t0), Some(9));
        // Expired values are purged first.
        let t1 = t0 + Duration::from_secs(2);
        m.put("e", 1, 0, t1);
        m.put("f", 2, 0, t1);
        m.put("g", 3, 0, t1);
        assert_eq!(m.len(), 3, "the expired `d` made room");
        assert_eq!(m.get(&"e", t1), Some(1));
        // Overwriting a key never evicts.
        m.put("e", 5, 0, t1);
        assert_eq!((m.len(), m.get(&"e", t1)), (3, Some(5)));
    }

    #[tokio::test]
    async fn view_reports_rpc_errors_and_caches_nothing_then() {
        // Nothing listens on this port: the query fails, and the failure is not cached.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or(9);
        let rpc = RpcClient::new(&format!("http://127.0.0.1:{port}")).expect("rpc url");
        let v = ChainView::new(rpc, DEFAULT_TTL);
        let r: Result<serde_json::Value, _> = v.query("/x", &serde_json::json!({})).await;
        assert!(r.is_err());
        assert!(v.reads.is_empty());
        assert!(v.tip().await.is_err());
    }
}
