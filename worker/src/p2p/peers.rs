//! Registered workers as peers: who may connect (the node's gate asks [`PeerBook`]), read
//! from the chain and cached briefly, and where they listen.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use bls_client::RpcError;
use bls_registry::queries::WorkersRequest;
use bls_registry::{Role, Worker, WorkerStatus};
use libp2p::{Multiaddr, PeerId};

use super::gate::{Lookup, PeerAuthority, Registered};
use crate::daemon::chain::Chain;

/// How long cached registrations are trusted.
const CACHE_TTL: Duration = Duration::from_secs(3);

/// Registered workers by peer id, refreshed from the chain on a miss (rate-limited).
pub struct PeerBook {
    chain: Chain,
    state: tokio::sync::Mutex<(Option<Instant>, BTreeMap<String, Worker>)>,
}

impl PeerBook {
    /// An empty book over `chain`.
    pub fn new(chain: Chain) -> PeerBook {
        PeerBook {
            chain,
            state: tokio::sync::Mutex::new((None, BTreeMap::new())),
        }
    }

    /// The registered worker with `peer`, if any (refreshes at most every [`CACHE_TTL`]).
    /// A worker that deregistered (unbonding) is no longer a peer: `None`.
    pub async fn lookup(&self, peer: &PeerId) -> Option<Worker> {
        self.lookup_any(peer)
            .await
            .filter(|w| w.status != WorkerStatus::Unbonding)
    }

    async fn lookup_any(&self, peer: &PeerId) -> Option<Worker> {
        let key = peer.to_string();
        let mut st = self.state.lock().await;
        if let Some(w) = st.1.get(&key) {
            if st.0.is_some_and(|t| t.elapsed() < CACHE_TTL) {
                return Some(w.clone());
            }
        }
        if st
            .0
            .is_none_or(|t| t.elapsed() >= Duration::from_millis(500))
        {
            match all_workers(&self.chain).await {
                Ok(ws) => {
                    st.1 = ws.into_iter().map(|w| (w.peer_id.clone(), w)).collect();
                    st.0 = Some(Instant::now());
                }
                Err(e) => tracing::warn!(error = %e, "refreshing the peer book"),
            }
        }
        st.1.get(&key).cloned()
    }

    /// Re-reads every registered worker from the chain now; returns them.
    pub async fn refresh(&self) -> Result<Vec<Worker>, RpcError> {
        let ws = all_workers(&self.chain).await?;
        let mut st = self.state.lock().await;
        st.1 = ws.iter().map(|w| (w.peer_id.clone(), w.clone())).collect();
        st.0 = Some(Instant::now());
        Ok(ws)
    }
}

impl PeerAuthority for PeerBook {
    fn registered<'a>(&'a self, peer: &'a PeerId) -> Lookup<'a> {
        Box::pin(async move {
            self.lookup(peer).await.map(|w| Registered {
                addrs: multiaddrs(&w),
                head: w.role == Role::Head && w.status == WorkerStatus::Active,
            })
        })
    }
}

/// Every registered worker (follows pagination).
pub async fn all_workers(chain: &Chain) -> Result<Vec<Worker>, RpcError> {
    let mut out = Vec::new();
    let mut start_after: Option<String> = None;
    loop {
        let req = WorkersRequest {
            region: None,
            status: None,
            role: None,
            start_after: start_after.clone(),
            limit: Some(100),
        };
        let page = bls_client::registry::workers(chain.rpc(), &req).await?;
        out.extend(page.workers);
        match page.next {
            Some(n) if Some(&n) != start_after.as_ref() => start_after = Some(n),
            _ => return Ok(out),
        }
    }
}

/// The parsed multiaddrs of a registered worker.
pub fn multiaddrs(w: &Worker) -> Vec<Multiaddr> {
    w.multiaddrs.iter().filter_map(|a| a.parse().ok()).collect()
}
