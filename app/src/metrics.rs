//! Prometheus metrics of the node, served at `/metrics` by the REST gateway.

use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::sync::Arc;

/// Label set naming a store table.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TableLabel {
    /// The redb table.
    pub table: String,
}

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
    /// Rows in each store table after the last commit (flat under steady traffic when
    /// pruning is on).
    pub store_rows: Family<TableLabel, Gauge>,
    /// Lowest height still readable (0: nothing pruned).
    pub prune_floor: Gauge,
    /// Rows pruning has deleted.
    pub pruned_rows: Counter,
    /// Height of the newest state-sync snapshot this node serves (0: none).
    pub snapshot_height: Gauge,
    /// Snapshots that could not be written.
    pub snapshot_failures: Counter,
    /// Snapshot chunks refused while joining by state sync (bytes not matching their hash).
    pub statesync_chunks_refused: Counter,
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
        reg.register(
            "store_rows",
            "Rows in each store table after the last commit",
            m.store_rows.clone(),
        );
        reg.register(
            "prune_floor_height",
            "Lowest height this node still answers queries for (0: nothing pruned)",
            m.prune_floor.clone(),
        );
        reg.register(
            "pruned_rows",
            "Store rows deleted by pruning",
            m.pruned_rows.clone(),
        );
        reg.register(
            "snapshot_height",
            "Height of the newest state-sync snapshot this node serves (0: none)",
            m.snapshot_height.clone(),
        );
        reg.register(
            "snapshot_failures",
            "State-sync snapshots that could not be written",
            m.snapshot_failures.clone(),
        );
        reg.register(
            "statesync_chunks_refused",
            "Snapshot chunks refused while joining by state sync (fetched again elsewhere)",
            m.statesync_chunks_refused.clone(),
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
