//! Peer discovery: the chain's active head workers are the Kademlia bootstrap nodes. The
//! registry is re-read periodically (new heads join the routing table, then a bootstrap
//! walk finds the other workers), subnetwork topics are refreshed, and the peer gauges
//! are updated.

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use bls_registry::{Role, WorkerStatus};
use libp2p::PeerId;

use super::executor::Executor;
use super::gossip::refresh_subscriptions;
use super::peers::multiaddrs;

/// How often the registry is re-read once a head is known.
pub const REFRESH: Duration = Duration::from_secs(10);
/// How often while no head is known yet (a worker that starts before its heads).
const REFRESH_NO_HEAD: Duration = Duration::from_secs(2);
/// How often the gauges are updated.
const GAUGES: Duration = Duration::from_secs(1);

/// Adds every active head of the registry to the routing table and runs a bootstrap walk;
/// returns how many heads (other than this node) are known.
pub async fn bootstrap_from_chain(exec: &Executor) -> usize {
    let workers = match exec.peers.refresh().await {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!(error = %e, "reading the registry for bootstrap peers");
            return 0;
        }
    };
    let mut heads = 0usize;
    for w in workers {
        if w.role != Role::Head || w.status != WorkerStatus::Active {
            continue;
        }
        let Ok(peer) = w.peer_id.parse::<PeerId>() else {
            continue;
        };
        let addrs = multiaddrs(&w);
        if peer == exec.p2p.peer_id || addrs.is_empty() {
            continue;
        }
        heads = heads.saturating_add(1);
        exec.p2p.add_bootstrap(peer, addrs).await;
    }
    exec.p2p.bootstrap().await;
    // Peers admitted earlier may have left the registry since.
    exec.p2p.recheck_peers().await;
    heads
}

/// Runs discovery, subscriptions and gauges until the task is dropped.
pub async fn run(exec: Arc<Executor>) {
    let mut topics = BTreeSet::new();
    let mut next = tokio::time::Instant::now();
    loop {
        if tokio::time::Instant::now() >= next {
            let heads = bootstrap_from_chain(&exec).await;
            topics = refresh_subscriptions(&exec, topics).await;
            next = tokio::time::Instant::now() + if heads == 0 { REFRESH_NO_HEAD } else { REFRESH };
        }
        let stats = &exec.p2p.stats;
        let gauge = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        exec.metrics
            .p2p_peers
            .set(gauge(stats.peers.load(Ordering::Relaxed) as u64));
        exec.metrics
            .p2p_rejected_peers
            .set(gauge(stats.rejected_peers.load(Ordering::Relaxed)));
        exec.metrics
            .gossip_accepted
            .set(gauge(stats.gossip_accepted.load(Ordering::Relaxed)));
        exec.metrics
            .gossip_rejected
            .set(gauge(stats.gossip_rejected.load(Ordering::Relaxed)));
        exec.metrics.gossip_topics.set(gauge(topics.len() as u64));
        tokio::time::sleep(GAUGES).await;
    }
}
