//! Prometheus metrics of the node, served at `/metrics` by the REST gateway.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::sync::Arc;

/// Counters the state machine updates (cheap atomics, shared with the HTTP server).
#[derive(Clone, Default)]
pub struct AppMetrics {
    /// Last committed height.
    pub height: Gauge,
    /// Txs executed in blocks that succeeded.
    pub txs_ok: Counter,
    /// Txs executed in blocks that failed.
    pub txs_failed: Counter,
    /// CheckTx rejections.
    pub check_tx_rejected: Counter,
    /// Queries answered.
    pub queries: Counter,
    /// Queries running right now (off the consensus thread, at most `max_concurrent_queries`).
    pub queries_running: Gauge,
    /// Verified signatures remembered (bounded: `tx::sig_cache::DEFAULT_CAPACITY`), after the
    /// last commit.
    pub sig_cache_entries: Gauge,
    /// Proposals this node rejected in ProcessProposal (vote-extension rules).
    pub proposals_rejected: Counter,
    /// Blocks whose randomness mixed no vote-extension input although extensions were
    /// required (decided blocks with missing or invalid extensions).
    pub beacon_missing: Counter,
    registry: Arc<std::sync::Mutex<Option<Arc<Registry>>>>,
}

impl AppMetrics {
    /// Creates the metrics and their registry.
    pub fn new() -> Self {
        let m = Self::default();
        let mut reg = Registry::with_prefix("blsd");
        reg.register(
            "block_height",
            "Last committed block height",
            m.height.clone(),
        );
        reg.register(
            "txs_ok",
            "Transactions executed successfully",
            m.txs_ok.clone(),
        );
        reg.register(
            "txs_failed",
            "Transactions that failed in a block",
            m.txs_failed.clone(),
        );
        reg.register(
            "check_tx_rejected",
            "Transactions refused by CheckTx",
            m.check_tx_rejected.clone(),
        );
        reg.register("queries", "ABCI queries answered", m.queries.clone());
        reg.register(
            "sig_cache_entries",
            "Verified signatures remembered by this node (bounded), after the last commit",
            m.sig_cache_entries.clone(),
        );
        reg.register(
            "queries_running",
            "Queries running now, off the consensus thread (at most max_concurrent_queries)",
            m.queries_running.clone(),
        );
        reg.register(
            "proposals_rejected",
            "Proposals rejected in ProcessProposal (vote-extension rules)",
            m.proposals_rejected.clone(),
        );
        reg.register(
            "beacon_missing",
            "Decided blocks whose required vote extensions were missing or invalid",
            m.beacon_missing.clone(),
        );
        if let Ok(mut slot) = m.registry.lock() {
            *slot = Some(Arc::new(reg));
        }
        m
    }

    /// Text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Ok(slot) = self.registry.lock() {
            if let Some(reg) = slot.as_ref() {
                let _ = encode(&mut out, reg);
            }
        }
        out
    }
}
