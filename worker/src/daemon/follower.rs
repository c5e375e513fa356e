//! Follows the chain. The websocket subscription (NewBlock) only says "there is a new
//! height"; the follower always processes heights strictly in order with `block_results`,
//! from the last processed height (saved on disk) + 1 up to the node's latest. So live
//! mode, catch-up after a restart and catch-up after a disconnect are the same code path,
//! and a job assigned while the worker was away is never missed.
//!
//! tendermint-rpc's websocket client never reconnects and dies after ~30 s of silence,
//! so this module supervises it: on any error or silence it drops the client, polls over
//! HTTP meanwhile, and reconnects with backoff.
//!
//! A head also gets from it every challenge of its charges (`bls.head_challenged` naming it)
//! for its answerer (`crate::head::challenges`).

use std::sync::Arc;
use std::time::Duration;

use bls_client::rpc::{BlockResults, TxEvent};
use bls_client::RpcClient;
use bls_orchestration::events::{JOB_ASSIGNED, SUBNETWORK_PLACED};
use bls_orchestration::fastpath::head::events::HEAD_CHALLENGED;
use futures::StreamExt;
use tendermint_rpc::client::CompatMode;
use tendermint_rpc::query::EventType;
use tendermint_rpc::{SubscriptionClient, WebSocketClient, WebSocketClientUrl};
use tokio::sync::watch;

use super::jobs::Jobs;
use super::store::Store;
use crate::metrics::Metrics;

/// No websocket event for this long: poll over HTTP (the chain may have stalled, or the
/// subscription may be dead without saying so).
const SILENCE: Duration = Duration::from_secs(5);
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// The chain follower.
pub struct Follower {
    /// HTTP RPC.
    pub rpc: RpcClient,
    /// Websocket URL.
    pub ws_url: String,
    /// Saved cursor.
    pub store: Store,
    /// Where assignments go.
    pub jobs: Arc<Jobs>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// This worker's address.
    pub me: String,
    /// Publishes the last processed height.
    pub heights: watch::Sender<u64>,
    /// Set when the daemon stops.
    pub shutdown: watch::Receiver<bool>,
    /// A head's challenge answerer: receives the request id of every `bls.head_challenged`
    /// event naming this worker (`None`: not a head).
    pub head_challenges: Option<tokio::sync::mpsc::Sender<String>>,
}

impl Follower {
    /// Runs until shutdown. `start` is the first height to process when no cursor is saved.
    pub async fn run(self, start: u64) {
        let mut next = match self.store.height() {
            Ok(Some(h)) => h.saturating_add(1),
            Ok(None) => start,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the saved height; starting from the node's latest");
                start
            }
        };
        tracing::info!(from = next, "following the chain");
        let mut shutdown = self.shutdown.clone();
        let mut backoff = FIRST_BACKOFF;
        loop {
            if *shutdown.borrow() {
                return;
            }
            match self.connect().await {
                Ok((client, driver, mut sub)) => {
                    self.metrics.ws_connects.inc();
                    tracing::info!(url = %self.ws_url, "websocket subscribed to new blocks");
                    backoff = FIRST_BACKOFF;
                    loop {
                        // A failed catch-up keeps the connection: the results of the newest
                        // block may not be stored yet, and the next signal retries anyway.
                        // A dead node also kills the websocket, which reconnects below.
                        if let Err(e) = self.catch_up(&mut next).await {
                            tracing::debug!(height = next, error = %e, "catch-up incomplete; retrying on the next block");
                        }
                        tokio::select! {
                            ev = tokio::time::timeout(SILENCE, sub.next()) => match ev {
                                Ok(Some(_)) => {}
                                Ok(None) => {
                                    tracing::warn!("websocket subscription ended");
                                    break;
                                }
                                Err(_) if driver.is_finished() => {
                                    tracing::warn!("websocket connection lost");
                                    break;
                                }
                                Err(_) => {}
                            },
                            _ = shutdown.changed() => {
                                let _ = client.close();
                                return;
                            }
                        }
                        if driver.is_finished() {
                            tracing::warn!("websocket connection lost");
                            break;
                        }
                    }
                    let _ = client.close();
                    driver.abort();
                }
                Err(e) => {
                    tracing::warn!(url = %self.ws_url, error = %e, "websocket connect failed");
                    // The HTTP endpoint may still work: keep processing meanwhile.
                    if let Err(e) = self.catch_up(&mut next).await {
                        tracing::debug!(error = %e, "HTTP catch-up failed too");
                    }
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(backoff) => {}
                _ = shutdown.changed() => return,
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }

    async fn connect(
        &self,
    ) -> Result<
        (
            WebSocketClient,
            tokio::task::JoinHandle<()>,
            tendermint_rpc::Subscription,
        ),
        tendermint_rpc::Error,
    > {
        let url: WebSocketClientUrl = self.ws_url.parse()?;
        let (client, driver) = WebSocketClient::builder(url)
            .compat_mode(CompatMode::V0_38)
            .build()
            .await?;
        let driver = tokio::spawn(async move {
            if let Err(e) = driver.run().await {
                tracing::debug!(error = %e, "websocket driver stopped");
            }
        });
        match client.subscribe(EventType::NewBlock.into()).await {
            Ok(sub) => Ok((client, driver, sub)),
            Err(e) => {
                let _ = client.close();
                driver.abort();
                Err(e)
            }
        }
    }

    /// Processes every height from `next` to the node's latest, in order.
    async fn catch_up(&self, next: &mut u64) -> Result<(), bls_client::RpcError> {
        let latest = self.rpc.status().await?.latest_block_height;
        while *next <= latest {
            if *self.shutdown.borrow() {
                return Ok(());
            }
            let results = self.rpc.block_results(*next).await?;
            self.process(&results).await;
            if let Err(e) = self.store.set_height(*next) {
                tracing::error!(error = %e, "cannot save the processed height");
            }
            self.metrics.heights(*next, latest);
            self.heights.send_replace(*next);
            *next = next.saturating_add(1);
        }
        self.metrics
            .heights(next.saturating_sub(1), latest.max(next.saturating_sub(1)));
        Ok(())
    }

    /// Hands every job assigned to this worker in the block to [`Jobs::dispatch`].
    async fn process(&self, results: &BlockResults) {
        let events = results
            .txs
            .iter()
            .filter(|t| t.is_ok())
            .flat_map(|t| t.events.iter())
            .chain(results.finalize_block_events.iter());
        let mut mine = Vec::new();
        let mut placed = Vec::new();
        for e in events {
            if let Some(job) = assigned_to(e, &self.me) {
                mine.push(job);
            }
            if let Some(function) = placed_with(e, &self.me) {
                placed.push(function);
            }
            if let (Some(inbox), Some(id)) = (&self.head_challenges, challenged(e, &self.me)) {
                tracing::warn!(request = %id, height = results.height, "a charge of this head was challenged");
                if inbox.send(id).await.is_err() {
                    tracing::error!("the challenge answerer stopped");
                }
            }
        }
        for function in placed {
            tracing::info!(
                function,
                height = results.height,
                "placed in the function's subnetwork; prefetching its code"
            );
            self.jobs.prefetch(function).await;
        }
        for job in mine {
            tracing::info!(job, height = results.height, "assigned");
            self.jobs.dispatch(job).await;
        }
    }
}

/// The function id of a `bls.subnetwork_placed` event (a deploy's first placement, or a
/// repair) whose subnetwork includes `me`.
pub fn placed_with(e: &TxEvent, me: &str) -> Option<u64> {
    id_naming(e, SUBNETWORK_PLACED, "function_id", me)
}

/// The job id of a `bls.job_assigned` event that names `me` among its workers.
pub fn assigned_to(e: &TxEvent, me: &str) -> Option<u64> {
    id_naming(e, JOB_ASSIGNED, "job_id", me)
}

/// The numeric attribute `id` of an event of type `kind` whose `workers` list names `me`.
fn id_naming(e: &TxEvent, kind: &str, id: &str, me: &str) -> Option<u64> {
    if e.kind != kind || !e.attr("workers")?.split(',').any(|w| w.trim() == me) {
        return None;
    }
    e.attr(id)?.parse().ok()
}

/// The request id of a `bls.head_challenged` event that names `me` as the head.
pub fn challenged(e: &TxEvent, me: &str) -> Option<String> {
    if e.kind != HEAD_CHALLENGED || e.attr("head")? != me {
        return None;
    }
    e.attr("request_id").map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bls_client::rpc::EventAttribute;

    fn event(kind: &str, attrs: &[(&str, &str)]) -> TxEvent {
        TxEvent {
            kind: kind.into(),
            attributes: attrs
                .iter()
                .map(|(k, v)| EventAttribute {
                    key: k.to_string(),
                    value: v.to_string(),
                    index: true,
                })
                .collect(),
        }
    }

    #[test]
    fn only_assignments_naming_me_count() {
        let e = event(
            JOB_ASSIGNED,
            &[("job_id", "7"), ("workers", "bls1aaa,bls1bbb")],
        );
        assert_eq!(assigned_to(&e, "bls1bbb"), Some(7));
        assert_eq!(assigned_to(&e, "bls1bb"), None);
        let other = event(
            "bls.job_committed",
            &[("job_id", "7"), ("workers", "bls1bbb")],
        );
        assert_eq!(assigned_to(&other, "bls1bbb"), None);
        let bad = event(JOB_ASSIGNED, &[("job_id", "x"), ("workers", "bls1bbb")]);
        assert_eq!(assigned_to(&bad, "bls1bbb"), None);
        let missing = event(JOB_ASSIGNED, &[("job_id", "1")]);
        assert_eq!(assigned_to(&missing, "bls1bbb"), None);
    }

    #[test]
    fn only_challenges_naming_me_as_the_head_count() {
        let e = event(
            HEAD_CHALLENGED,
            &[
                ("request_id", "ab"),
                ("head", "bls1h"),
                ("invoker", "bls1me"),
            ],
        );
        assert_eq!(challenged(&e, "bls1h").as_deref(), Some("ab"));
        assert_eq!(
            challenged(&e, "bls1me"),
            None,
            "the invoker is not the head"
        );
        assert_eq!(challenged(&e, "bls1"), None);
        let other = event(JOB_ASSIGNED, &[("request_id", "ab"), ("head", "bls1h")]);
        assert_eq!(challenged(&other, "bls1h"), None);
    }
}
