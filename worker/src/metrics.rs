//! Prometheus metrics of the worker daemon, served as text at `GET /metrics`.

use std::net::SocketAddr;
use std::sync::Arc;

use bls_runtime::{ExitStatus, Outcome};
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Label set with one `kind` label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabel {
    /// The kind (outcome kind, job stage, tx failure stage, ...).
    pub kind: String,
}

impl KindLabel {
    fn of(kind: &str) -> Self {
        KindLabel {
            kind: kind.to_string(),
        }
    }
}

/// Every metric the daemon updates.
pub struct Metrics {
    registry: Registry,
    /// Jobs by what happened to them (`executed`, `committed`, `revealed`, `failed`, ...).
    pub jobs: Family<KindLabel, Counter>,
    /// Executions by outcome kind (`exit_ok`, `exit_nonzero`, or a trap kind).
    pub outcomes: Family<KindLabel, Counter>,
    /// Execution wall time in seconds.
    pub execution_seconds: Histogram,
    /// Last height whose events were fully processed.
    pub processed_height: Gauge,
    /// Latest known chain height minus the processed height.
    pub chain_lag: Gauge,
    /// Transactions included successfully.
    pub txs: Counter,
    /// Commit transactions this process sent (accepted or not): a worker that re-commits a
    /// job it already committed shows here even though the chain refuses the second commit.
    pub commit_sends: Counter,
    /// Transaction failures by stage (`simulate`, `check_tx`, `deliver`, `broadcast`, ...).
    pub tx_failures: Family<KindLabel, Counter>,
    /// Websocket (re)connections.
    pub ws_connects: Counter,
    /// Jobs currently executing.
    pub jobs_in_flight: Gauge,
    /// Connected libp2p peers that passed the registration check.
    pub p2p_peers: Gauge,
    /// libp2p connections dropped because the peer is not registered on chain.
    pub p2p_rejected_peers: Gauge,
    /// Code blobs loaded, by where they came from (`provider`: a Kademlia provider,
    /// `requester`: the head or prefetch author, `chain`).
    pub code_fetches: Family<KindLabel, Counter>,
    /// Sealed-secret events (`opened`, `unopenable`, `stale`, `resealed`, `reseal_failed`):
    /// counts, never names or values.
    pub secrets: Family<KindLabel, Counter>,
    /// Gossip messages accepted (relayed) so far.
    pub gossip_accepted: Gauge,
    /// Gossip messages rejected so far (unregistered author or relayer, malformed, or not
    /// matching the chain).
    pub gossip_rejected: Gauge,
    /// Subnetwork topics subscribed.
    pub gossip_topics: Gauge,
    /// Code blobs loaded ahead of a request because of a prefetch notice.
    pub prefetches: Counter,
    /// Fast-path work orders refused, by reason (`crate::p2p::refusal::Refusal::kind`).
    pub work_refusals: Family<KindLabel, Counter>,
    /// Answers in the head's recent-answer cache.
    pub head_cache_entries: Gauge,
    /// Bytes held by the head's recent-answer cache (bounded: `head::answer_cache::MAX_BYTES`).
    pub head_cache_bytes: Gauge,
    /// Entries in each bounded in-memory table keyed by outside input, by table
    /// (`chain_reads`, `head_deposit_accounts`, `head_rate_buckets`, `head_account_locks`,
    /// `head_pending_receipts`, `head_served_outcomes` sampled every few seconds;
    /// `module_cache` after each module load).
    pub table_entries: Family<KindLabel, Gauge>,
    /// Bytes of compiled code in the runtime's in-memory module cache (bounded by
    /// `RuntimeConfig::module_cache_bytes`), after each module load.
    pub module_cache_bytes: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Creates and registers every metric (prefix `bls_worker_`).
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("bls_worker");
        let jobs = Family::<KindLabel, Counter>::default();
        registry.register("jobs", "Jobs by stage reached", jobs.clone());
        let outcomes = Family::<KindLabel, Counter>::default();
        registry.register("outcomes", "Executions by outcome kind", outcomes.clone());
        // 1 ms .. ~16 s.
        let execution_seconds = Histogram::new(
            prometheus_client::metrics::histogram::exponential_buckets(0.001, 2.0, 15),
        );
        registry.register(
            "execution_seconds",
            "Wall time of job executions",
            execution_seconds.clone(),
        );
        let processed_height = Gauge::default();
        registry.register(
            "processed_height",
            "Last block height whose events were processed",
            processed_height.clone(),
        );
        let chain_lag = Gauge::default();
        registry.register(
            "chain_lag_blocks",
            "Latest chain height minus processed height",
            chain_lag.clone(),
        );
        let txs = Counter::default();
        registry.register("txs", "Transactions included successfully", txs.clone());
        let commit_sends = Counter::default();
        registry.register(
            "commit_sends",
            "Commit transactions sent, accepted or not",
            commit_sends.clone(),
        );
        let tx_failures = Family::<KindLabel, Counter>::default();
        registry.register(
            "tx_failures",
            "Transaction failures by stage",
            tx_failures.clone(),
        );
        let ws_connects = Counter::default();
        registry.register(
            "websocket_connects",
            "Websocket (re)connections",
            ws_connects.clone(),
        );
        let jobs_in_flight = Gauge::default();
        registry.register(
            "jobs_in_flight",
            "Jobs executing now",
            jobs_in_flight.clone(),
        );
        let p2p_peers = Gauge::default();
        registry.register(
            "p2p_peers",
            "Connected libp2p peers registered on chain",
            p2p_peers.clone(),
        );
        let p2p_rejected_peers = Gauge::default();
        registry.register(
            "p2p_rejected_peers",
            "libp2p connections dropped because the peer is not registered",
            p2p_rejected_peers.clone(),
        );
        let code_fetches = Family::<KindLabel, Counter>::default();
        registry.register(
            "code_fetches",
            "Code blobs loaded, by source",
            code_fetches.clone(),
        );
        let secrets = Family::<KindLabel, Counter>::default();
        registry.register(
            "secrets",
            "Sealed-secret events: opened, unopenable, stale, resealed, reseal_failed",
            secrets.clone(),
        );
        let gossip_accepted = Gauge::default();
        registry.register(
            "gossip_accepted",
            "Gossip messages accepted and relayed",
            gossip_accepted.clone(),
        );
        let gossip_rejected = Gauge::default();
        registry.register(
            "gossip_rejected",
            "Gossip messages rejected",
            gossip_rejected.clone(),
        );
        let gossip_topics = Gauge::default();
        registry.register(
            "gossip_topics",
            "Subnetwork topics subscribed",
            gossip_topics.clone(),
        );
        let prefetches = Counter::default();
        registry.register(
            "prefetches",
            "Code blobs loaded ahead of a request after a prefetch notice",
            prefetches.clone(),
        );
        let work_refusals = Family::<KindLabel, Counter>::default();
        registry.register(
            "work_refusals",
            "Fast-path work orders refused, by reason",
            work_refusals.clone(),
        );
        let head_cache_entries = Gauge::default();
        registry.register(
            "head_cache_entries",
            "Answers in the head's recent-answer cache",
            head_cache_entries.clone(),
        );
        let head_cache_bytes = Gauge::default();
        registry.register(
            "head_cache_bytes",
            "Bytes held by the head's recent-answer cache",
            head_cache_bytes.clone(),
        );
        let module_cache_bytes = Gauge::default();
        registry.register(
            "module_cache_bytes",
            "Bytes of compiled code in the in-memory module cache",
            module_cache_bytes.clone(),
        );
        let table_entries = Family::<KindLabel, Gauge>::default();
        registry.register(
            "table_entries",
            "Entries in each bounded in-memory table keyed by outside input",
            table_entries.clone(),
        );
        Metrics {
            registry,
            table_entries,
            module_cache_bytes,
            work_refusals,
            head_cache_entries,
            head_cache_bytes,
            p2p_peers,
            p2p_rejected_peers,
            code_fetches,
            secrets,
            gossip_accepted,
            gossip_rejected,
            gossip_topics,
            prefetches,
            jobs,
            outcomes,
            execution_seconds,
            processed_height,
            chain_lag,
            txs,
            commit_sends,
            tx_failures,
            ws_connects,
            jobs_in_flight,
        }
    }

    /// Counts a job reaching `stage`.
    pub fn job(&self, stage: &str) {
        self.jobs.get_or_create(&KindLabel::of(stage)).inc();
    }

    /// Counts a sealed-secret event.
    pub fn secret(&self, event: &str) {
        self.secrets.get_or_create(&KindLabel::of(event)).inc();
    }

    /// Counts a code blob loaded from `source`.
    pub fn code_fetch(&self, source: &str) {
        self.code_fetches
            .get_or_create(&KindLabel::of(source))
            .inc();
    }

    /// Records the size of the in-memory table `table`.
    pub fn table_size(&self, table: &str, entries: usize) {
        self.table_entries
            .get_or_create(&KindLabel::of(table))
            .set(i64::try_from(entries).unwrap_or(i64::MAX));
    }

    /// Counts a fast-path work order refused for `kind`.
    pub fn work_refusal(&self, kind: &str) {
        self.work_refusals.get_or_create(&KindLabel::of(kind)).inc();
    }

    /// Counts a transaction failure at `stage`.
    pub fn tx_failure(&self, stage: &str) {
        self.tx_failures.get_or_create(&KindLabel::of(stage)).inc();
    }

    /// Records one execution.
    pub fn outcome(&self, outcome: &Outcome) {
        let kind = match outcome.status {
            ExitStatus::Exited(0) => "exit_ok",
            ExitStatus::Exited(_) => "exit_nonzero",
            ExitStatus::Trapped(kind) => kind.as_str(),
        };
        self.outcomes.get_or_create(&KindLabel::of(kind)).inc();
        self.execution_seconds
            .observe(outcome.wall_time.as_secs_f64());
    }

    /// Records the processed height and the lag behind `latest`.
    pub fn heights(&self, processed: u64, latest: u64) {
        self.processed_height
            .set(i64::try_from(processed).unwrap_or(i64::MAX));
        self.chain_lag
            .set(i64::try_from(latest.saturating_sub(processed)).unwrap_or(i64::MAX));
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}

/// Blocks the follower may trail the chain by and still be healthy (a few seconds of blocks).
pub const HEALTHY_MAX_LAG: i64 = 20;

impl Metrics {
    /// `/healthz`: healthy once the follower has processed a block and trails the chain by at
    /// most [`HEALTHY_MAX_LAG`] blocks (status, and the two figures).
    pub fn health(&self) -> (bool, serde_json::Value) {
        let processed = self.processed_height.get();
        let lag = self.chain_lag.get();
        let status = if processed == 0 {
            "starting"
        } else if lag > HEALTHY_MAX_LAG {
            "lagging"
        } else {
            "ok"
        };
        (
            status == "ok",
            serde_json::json!({
                "status": status,
                "processed_height": processed.to_string(),
                "chain_lag_blocks": lag,
            }),
        )
    }
}

/// Serves `GET /metrics` and `GET /healthz` on `addr` until the task is dropped. Returns the
/// bound address (useful when `addr` has port 0).
pub async fn serve(metrics: Arc<Metrics>, addr: SocketAddr) -> std::io::Result<SocketAddr> {
    use axum::routing::get;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let health = metrics.clone();
    let app = axum::Router::new()
        .route(
            "/metrics",
            get(move || {
                let m = metrics.clone();
                async move {
                    (
                        [(
                            axum::http::header::CONTENT_TYPE,
                            "application/openmetrics-text; version=1.0.0; charset=utf-8",
                        )],
                        m.render(),
                    )
                }
            }),
        )
        .route(
            "/healthz",
            get(move || {
                let (ok, body) = health.health();
                let code = if ok {
                    axum::http::StatusCode::OK
                } else {
                    axum::http::StatusCode::SERVICE_UNAVAILABLE
                };
                async move { (code, axum::Json(body)) }
            }),
        );
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "metrics server stopped");
        }
    });
    Ok(bound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_follows_the_follower() {
        let m = Metrics::new();
        assert_eq!(m.health().1["status"], "starting");
        m.heights(10, 15);
        assert!(m.health().0);
        m.heights(10, 10 + HEALTHY_MAX_LAG as u64 + 1);
        let (ok, body) = m.health();
        assert!(!ok);
        assert_eq!(body["status"], "lagging");
    }

    #[test]
    fn renders_counters_and_lag() {
        let m = Metrics::new();
        m.job("committed");
        m.tx_failure("check_tx");
        m.heights(10, 15);
        m.work_refusal("not_member");
        let text = m.render();
        assert!(
            text.contains("bls_worker_work_refusals_total{kind=\"not_member\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("bls_worker_jobs_total{kind=\"committed\"} 1"),
            "{text}"
        );
        assert!(text.contains("bls_worker_tx_failures_total{kind=\"check_tx\"} 1"));
        assert!(text.contains("bls_worker_chain_lag_blocks 5"));
        assert!(text.contains("bls_worker_processed_height 10"));
    }
}
