//! A short-lived cache of the chain reads on the fast path (head and worker executor):
//! module queries (params, functions with their subnetworks, pinned heads, worker records)
//! and the chain tip (height and block time).
//!
//! Without it every fast-path request made about ten sequential RPC round trips through
//! CometBFT, most of the latency budget. A read is trusted for at most the view's TTL
//! ([`DEFAULT_TTL`]), counted from when the read *started*: a retired function, a new
//! pinned head or a jailed worker takes effect on the fast path within one TTL of its
//! block. Once a value is half a TTL old the next caller still gets it but starts one
//! background re-read, so under steady traffic no request waits for the chain. Errors are
//! never cached (an unknown function is asked again). Deposits are not cached here: the
//! head keeps its own book that also counts what it charged since the read
//! (`head::deposits`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bls_client::{RpcClient, RpcError};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// How long a read is trusted by default.
pub const DEFAULT_TTL: Duration = Duration::from_secs(1);

/// Most cached reads; beyond it expired ones are purged, then the least recently used (so hostile
/// requests naming many functions can neither grow memory nor flush the reads in use).
const MAX_ENTRIES: usize = 10_000;

/// What a [`TtlMap`] knows about a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup<V> {
    /// Valid; nothing to do.
    Fresh(V),
    /// Valid but past half its TTL: the caller was chosen to re-read it (call
    /// [`TtlMap::put`] with the new value or [`TtlMap::refresh_failed`]).
    Refresh(V),
    /// Absent or expired.
    Miss,
}

/// Values by key, each valid for `ttl` after its read started. Time is passed in so
/// tests are exact.
pub struct TtlMap<K, V> {
    ttl: Duration,
    max: usize,
    entries: Mutex<BTreeMap<K, Entry<V>>>,
}

/// One cached read.
struct Entry<V> {
    /// When its read started (validity counts from here).
    read_at: Instant,
    /// When a caller last got it (eviction order when full).
    used_at: Instant,
    value: V,
    /// A re-read is running.
    refreshing: bool,
}

impl<K: Ord + Clone, V: Clone> TtlMap<K, V> {
    /// An empty map trusting values for `ttl`, holding at most `max` of them.
    pub fn new(ttl: Duration, max: usize) -> Self {
        TtlMap {
            ttl,
            max: max.max(1),
            entries: Mutex::new(BTreeMap::new()),
        }
    }

    /// The value of `key` if it is still valid at `now`.
    pub fn get(&self, key: &K, now: Instant) -> Option<V> {
        match self.lookup(key, now) {
            Lookup::Fresh(v) | Lookup::Refresh(v) => Some(v),
            Lookup::Miss => None,
        }
    }

    /// Like [`TtlMap::get`], and elects at most one caller at a time to re-read a value
    /// past half its TTL.
    pub fn lookup(&self, key: &K, now: Instant) -> Lookup<V> {
        let Ok(mut entries) = self.entries.lock() else {
            return Lookup::Miss;
        };
        let Some(e) = entries.get_mut(key) else {
            return Lookup::Miss;
        };
        let age = now.saturating_duration_since(e.read_at);
        if age >= self.ttl {
            return Lookup::Miss;
        }
        e.used_at = e.used_at.max(now);
        if age >= self.ttl / 2 && !e.refreshing {
            e.refreshing = true;
            Lookup::Refresh(e.value.clone())
        } else {
            Lookup::Fresh(e.value.clone())
        }
    }

    /// Stores `v` for `key`, read starting at `started`.
    pub fn put(&self, key: K, v: V, started: Instant) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= self.max && !entries.contains_key(&key) {
            let ttl = self.ttl;
            entries.retain(|_, e| started.saturating_duration_since(e.read_at) < ttl);
            // Still full: the least recently used read goes. Reads in use are asked for by
            // every request, so a flood of one-off keys (hostile requests naming functions
            // that do not exist) evicts other one-off keys, not them.
            if entries.len() >= self.max {
                let coldest = entries
                    .iter()
                    .min_by_key(|(_, e)| e.used_at)
                    .map(|(k, _)| k.clone());
                if let Some(k) = coldest {
                    entries.remove(&k);
                }
            }
        }
        let used_at = entries
            .get(&key)
            .map_or(started, |e| e.used_at.max(started));
        entries.insert(
            key,
            Entry {
                read_at: started,
                used_at,
                value: v,
                refreshing: false,
            },
        );
    }

    /// A re-read elected by [`TtlMap::lookup`] failed: the next caller may try again.
    pub fn refresh_failed(&self, key: &K) {
        if let Ok(mut entries) = self.entries.lock() {
            if let Some(e) = entries.get_mut(key) {
                e.refreshing = false;
            }
        }
    }

    /// Number of stored values (valid or not yet purged).
    pub fn len(&self) -> usize {
        self.entries.lock().map_or(0, |e| e.len())
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

/// Key of a cached read: (query path, JSON request).
type ReadKey = (String, Vec<u8>);

/// Cached module queries and chain tip over one RPC client.
pub struct ChainView {
    rpc: RpcClient,
    ttl: Duration,
    /// Raw JSON answers.
    reads: Arc<TtlMap<ReadKey, Arc<Vec<u8>>>>,
    tip: Arc<TtlMap<(), Tip>>,
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
    /// Module reads cached now (bounded by `MAX_ENTRIES`).
    pub fn cached_reads(&self) -> usize {
        self.reads.len()
    }

    /// A view over `rpc` trusting reads for `ttl`.
    pub fn new(rpc: RpcClient, ttl: Duration) -> ChainView {
        ChainView {
            rpc,
            ttl,
            reads: Arc::new(TtlMap::new(ttl, MAX_ENTRIES)),
            tip: Arc::new(TtlMap::new(ttl, 1)),
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
        let bytes = match self.reads.lookup(&key, Instant::now()) {
            Lookup::Fresh(b) => b,
            Lookup::Refresh(b) => {
                let (rpc, reads) = (self.rpc.clone(), self.reads.clone());
                tokio::spawn(async move {
                    let started = Instant::now();
                    match rpc.abci_query(&key.0, key.1.clone()).await {
                        Ok(b) => reads.put(key, Arc::new(b), started),
                        Err(e) => {
                            tracing::debug!(path = %key.0, error = %e, "cache re-read failed");
                            reads.refresh_failed(&key);
                        }
                    }
                });
                b
            }
            Lookup::Miss => {
                let started = Instant::now();
                let b = Arc::new(self.rpc.abci_query(path, key.1.clone()).await?);
                self.reads.put(key, b.clone(), started);
                b
            }
        };
        serde_json::from_slice(&bytes).map_err(|e| RpcError::Decode {
            path: path.to_string(),
            detail: e.to_string(),
        })
    }

    /// The chain tip (height and block time), at most one TTL old.
    pub async fn tip(&self) -> Result<Tip, RpcError> {
        match self.tip.lookup(&(), Instant::now()) {
            Lookup::Fresh(t) => Ok(t),
            Lookup::Refresh(t) => {
                let (rpc, tip) = (self.rpc.clone(), self.tip.clone());
                tokio::spawn(async move {
                    let started = Instant::now();
                    match read_tip(&rpc).await {
                        Ok(t) => tip.put((), t, started),
                        Err(_) => tip.refresh_failed(&()),
                    }
                });
                Ok(t)
            }
            Lookup::Miss => {
                let started = Instant::now();
                let t = read_tip(&self.rpc).await?;
                self.tip.put((), t, started);
                Ok(t)
            }
        }
    }
}

async fn read_tip(rpc: &RpcClient) -> Result<Tip, RpcError> {
    let s = rpc.status().await?;
    let time_nanos = tendermint::Time::parse_from_rfc3339(&s.latest_block_time)
        .ok()
        .map_or(0, |t| u128::try_from(t.unix_timestamp_nanos()).unwrap_or(0));
    Ok(Tip {
        height: s.latest_block_height,
        time_nanos,
    })
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
        m.put("a", 1, t0);
        assert_eq!(m.get(&"a", t0), Some(1));
        assert_eq!(m.get(&"a", t0 + Duration::from_millis(999)), Some(1));
        assert_eq!(m.get(&"a", t0 + Duration::from_millis(1000)), None);
        assert_eq!(m.get(&"b", t0), None);
    }

    #[test]
    fn one_caller_at_a_time_refreshes_past_half_the_ttl() {
        let m = map();
        let t0 = Instant::now();
        m.put("a", 1, t0);
        assert_eq!(
            m.lookup(&"a", t0 + Duration::from_millis(499)),
            Lookup::Fresh(1)
        );
        let half = t0 + Duration::from_millis(500);
        assert_eq!(m.lookup(&"a", half), Lookup::Refresh(1));
        assert_eq!(
            m.lookup(&"a", half),
            Lookup::Fresh(1),
            "one re-read at a time"
        );
        m.refresh_failed(&"a");
        assert_eq!(
            m.lookup(&"a", half),
            Lookup::Refresh(1),
            "a failed re-read is retried"
        );
        // The re-read started at `half` lands: valid for a whole TTL from its start.
        m.put("a", 2, half);
        assert_eq!(
            m.lookup(&"a", half + Duration::from_millis(499)),
            Lookup::Fresh(2)
        );
        assert_eq!(
            m.lookup(&"a", half + Duration::from_millis(1000)),
            Lookup::Miss
        );
        m.refresh_failed(&"missing"); // harmless
    }

    #[test]
    fn size_is_bounded() {
        let m = map();
        let t0 = Instant::now();
        for (i, k) in ["a", "b", "c"].into_iter().enumerate() {
            m.put(k, i as u32, t0 + Duration::from_millis(i as u64));
        }
        assert_eq!(m.len(), 3);
        // Full of valid values: a new key evicts the least recently used read only.
        m.put("d", 9, t0 + Duration::from_millis(10));
        assert_eq!(m.len(), 3);
        assert_eq!(m.get(&"a", t0), None, "the coldest went");
        assert_eq!(m.get(&"b", t0 + Duration::from_millis(10)), Some(1));
        assert_eq!(m.get(&"d", t0 + Duration::from_millis(10)), Some(9));
        // Expired values are purged first.
        let t1 = t0 + Duration::from_secs(2);
        m.put("e", 1, t1);
        m.put("f", 2, t1);
        m.put("g", 3, t1);
        assert_eq!(m.len(), 3, "the expired reads made room");
        assert_eq!(m.get(&"e", t1), Some(1));
        // Overwriting a key never evicts.
        m.put("e", 5, t1);
        assert_eq!((m.len(), m.get(&"e", t1)), (3, Some(5)));
    }

    /// The attack: a flood of one-off keys (requests naming functions that do not exist)
    /// against a full map. The read every request uses is never flushed (it was, when a full
    /// map was cleared).
    #[test]
    fn a_flood_of_one_off_keys_does_not_flush_the_reads_in_use() {
        let m = TtlMap::new(Duration::from_millis(1000), 100);
        let t0 = Instant::now();
        m.put("params".to_string(), 1u32, t0);
        for i in 0..10_000u64 {
            let now = t0 + Duration::from_micros(i * 100);
            // The read in use is refreshed when past half its TTL, as the view does.
            if let Lookup::Refresh(v) = m.lookup(&"params".to_string(), now) {
                m.put("params".to_string(), v, now);
            }
            m.put(format!("unknown-function-{i}"), 0, now);
            assert!(m.len() <= 100);
            assert_eq!(m.get(&"params".to_string(), now), Some(1), "step {i}");
        }
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
