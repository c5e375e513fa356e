//! The single signer task: it alone owns the worker account's sequence. Other tasks queue
//! messages on an mpsc channel; the signer batches whatever is queued (up to
//! `max_msgs_per_tx`) into one transaction, sends it, waits for inclusion and answers each
//! message. A failed batch is retried message by message so one bad message cannot sink
//! the others; node outages are retried with backoff; sequence mismatches refetch the
//! sequence ([`bls_client::SequenceTracker`]).
//!
//! Gas: simulated × adjustment, plus a small headroom per tx (the simulation ran against a
//! slightly older state: a reveal that completes the quorum also marks the job final, and
//! other reveals may have landed meanwhile). Settlement happens in end block, not in the
//! reveal, so no per-reveal headroom is needed: the fee is gas limit × price, and every
//! unused unit of headroom is paid for. A tx that still runs out of gas is re-sent once
//! with more gas.

use std::sync::Arc;
use std::time::Duration;

use bls_client::fee::adjusted_gas;
use bls_client::{
    Decimal, GasPrice, KeyPair, RpcClient, RpcError, SendError, SequenceTracker, TxBuilder,
    TxResult,
};
use bls_core::Coins;
use cosmos_sdk_proto::Any;
use tokio::sync::{mpsc, oneshot};

use crate::metrics::Metrics;

/// Queue depth before submitters wait (backpressure on job tasks).
const QUEUE: usize = 256;
/// Attempts for a message when the node is unreachable or the tx was not included in time.
const TRANSIENT_ATTEMPTS: u32 = 8;
/// First backoff after a transient failure; doubles up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(8);
/// Extra gas per transaction (simulation is against a slightly older state).
const TX_GAS_HEADROOM: u64 = 20_000;
/// ABCI code of the SDK's out-of-gas error.
const CODE_OUT_OF_GAS: u32 = 11;
/// Attempts per tx while the sequence is stale.
const SEQUENCE_ATTEMPTS: u32 = 3;
/// How long to wait for a broadcast tx to be included.
const INCLUSION_TIMEOUT: Duration = Duration::from_secs(30);

/// Signs and sends transactions for one key, tracking its sequence locally.
pub struct TxSender {
    rpc: RpcClient,
    key: KeyPair,
    chain_id: String,
    gas_price: GasPrice,
    gas_adjustment: Decimal,
    tracker: SequenceTracker,
}

impl TxSender {
    /// A sender for `key` on `chain_id`.
    pub fn new(
        rpc: RpcClient,
        key: KeyPair,
        chain_id: String,
        gas_price: GasPrice,
        gas_adjustment: Decimal,
    ) -> TxSender {
        let tracker = SequenceTracker::new(key.address().clone());
        TxSender {
            rpc,
            key,
            chain_id,
            gas_price,
            gas_adjustment,
            tracker,
        }
    }

    /// Simulates, signs with gas = simulated × adjustment + headroom + `extra_gas`,
    /// broadcasts and waits for inclusion. Refetches the sequence on a mismatch.
    pub async fn send(&mut self, msgs: &[Any], extra_gas: u64) -> Result<TxResult, SendError> {
        let mut attempt = 0u32;
        loop {
            attempt = attempt.saturating_add(1);
            match self.try_send(msgs, extra_gas).await {
                Err(e) if self.tracker.observe_error(&e) && attempt < SEQUENCE_ATTEMPTS => continue,
                other => return other,
            }
        }
    }

    async fn try_send(&mut self, msgs: &[Any], extra_gas: u64) -> Result<TxResult, SendError> {
        let state = self.tracker.current(&self.rpc).await?;
        let builder = TxBuilder::new(self.chain_id.clone(), state.account_number, state.sequence)
            .messages(msgs.iter().cloned());
        let simulated = self
            .rpc
            .simulate(builder.simulation_bytes(&self.key)?)
            .await?;
        let gas = adjusted_gas(simulated, &self.gas_adjustment)?
            .saturating_add(TX_GAS_HEADROOM)
            .saturating_add(extra_gas);
        let fee = Coins::from_coins([self.gas_price.fee_for(gas)?])
            .map_err(|_| bls_client::fee::FeeError::Overflow)?;
        let signed = builder.gas_limit(gas).fee(fee).sign(&self.key)?;
        let hash = self.rpc.broadcast_tx_sync(signed.bytes).await?;
        // In the mempool: the sequence is used even if the tx later fails in its block.
        self.tracker.advance();
        match self.rpc.wait_for_tx(&hash, INCLUSION_TIMEOUT).await {
            Ok(r) => Ok(r),
            Err(e) => {
                // Possibly dropped from the mempool: our sequence may be ahead of the chain.
                self.tracker.invalidate();
                Err(e.into())
            }
        }
    }
}

/// Why a message did not make it on chain.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TxFailure {
    /// The chain rejected it (simulation, CheckTx or DeliverTx) with this code and log.
    #[error("rejected ({codespace} code {code}): {log}")]
    Rejected {
        /// Module codespace of the error (`sdk`, `orchestration`, ...).
        codespace: String,
        /// ABCI code.
        code: u32,
        /// The application's log.
        log: String,
    },
    /// The node could not be reached or the tx was not included in time, after retries.
    #[error("node unavailable: {0}")]
    Unavailable(String),
    /// Any other failure (bad key, fee arithmetic, ...).
    #[error("{0}")]
    Other(String),
    /// The signer stopped.
    #[error("signer stopped")]
    Stopped,
}

struct Request {
    msg: Any,
    reply: oneshot::Sender<Result<TxResult, TxFailure>>,
}

/// Handle to queue messages for signing; cheap to clone.
#[derive(Clone, Debug)]
pub struct SignerHandle {
    tx: mpsc::Sender<Request>,
}

impl SignerHandle {
    /// Queues `msg` and waits until it is in a block (or failed for good).
    pub async fn submit(&self, msg: Any) -> Result<TxResult, TxFailure> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Request { msg, reply })
            .await
            .map_err(|_| TxFailure::Stopped)?;
        rx.await.map_err(|_| TxFailure::Stopped)?
    }
}

/// Starts the signer task. It ends when every [`SignerHandle`] is dropped.
pub fn spawn(
    sender: TxSender,
    max_msgs_per_tx: usize,
    metrics: Arc<Metrics>,
) -> (SignerHandle, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(QUEUE);
    let task = tokio::spawn(run(sender, rx, max_msgs_per_tx.max(1), metrics));
    (SignerHandle { tx }, task)
}

async fn run(
    mut sender: TxSender,
    mut rx: mpsc::Receiver<Request>,
    max_batch: usize,
    metrics: Arc<Metrics>,
) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < max_batch {
            match rx.try_recv() {
                Ok(r) => batch.push(r),
                Err(_) => break,
            }
        }
        if batch.len() == 1 {
            send_one(&mut sender, batch, &metrics).await;
            continue;
        }
        let msgs: Vec<Any> = batch.iter().map(|r| r.msg.clone()).collect();
        match send_with_retry(&mut sender, msgs, &metrics).await {
            Ok(result) => {
                for r in batch {
                    let _ = r.reply.send(Ok(result.clone()));
                }
            }
            Err(e) => {
                tracing::debug!(error = %e, n = batch.len(), "batch failed; sending its messages one by one");
                for r in batch {
                    send_one(&mut sender, vec![r], &metrics).await;
                }
            }
        }
    }
}

async fn send_one(sender: &mut TxSender, mut one: Vec<Request>, metrics: &Metrics) {
    let Some(r) = one.pop() else { return };
    let result = send_with_retry(sender, vec![r.msg.clone()], metrics).await;
    let _ = r.reply.send(result);
}

/// Sends one tx; retries transient failures with backoff. Returns the included result
/// (code 0) or why it failed.
async fn send_with_retry(
    sender: &mut TxSender,
    msgs: Vec<Any>,
    metrics: &Metrics,
) -> Result<TxResult, TxFailure> {
    let mut backoff = FIRST_BACKOFF;
    let mut attempt = 0u32;
    let mut extra = 0u64;
    let mut out_of_gas_retried = false;
    loop {
        attempt = attempt.saturating_add(1);
        let err = match sender.send(&msgs, extra).await {
            Ok(r) if r.is_ok() => {
                metrics.txs.inc();
                return Ok(r);
            }
            Ok(r) if r.code == CODE_OUT_OF_GAS && !out_of_gas_retried => {
                metrics.tx_failure("out_of_gas");
                tracing::info!(
                    gas_wanted = r.gas_wanted,
                    gas_used = r.gas_used,
                    "out of gas; re-sending with more"
                );
                out_of_gas_retried = true;
                let used = u64::try_from(r.gas_used).unwrap_or(0);
                extra = extra.saturating_mul(2).max(used).max(TX_GAS_HEADROOM);
                continue;
            }
            Ok(r) => {
                metrics.tx_failure("deliver");
                return Err(TxFailure::Rejected {
                    codespace: r.codespace,
                    code: r.code,
                    log: r.log,
                });
            }
            Err(e) => e,
        };
        let (stage, failure, transient) = classify(&err);
        metrics.tx_failure(stage);
        if !transient || attempt >= TRANSIENT_ATTEMPTS {
            tracing::warn!(error = %err, attempt, "transaction failed");
            return Err(failure);
        }
        tracing::info!(error = %err, attempt, "transaction not sent; retrying");
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// (metrics stage, failure, retry?) for a send error.
fn classify(e: &SendError) -> (&'static str, TxFailure, bool) {
    match e {
        SendError::Rpc(RpcError::CheckTx {
            code,
            codespace,
            log,
            ..
        }) => {
            // A stale sequence that survived the sender's own retries: try again later.
            let transient = e.is_sequence_mismatch();
            (
                "check_tx",
                TxFailure::Rejected {
                    codespace: codespace.clone(),
                    code: *code,
                    log: log.clone(),
                },
                transient,
            )
        }
        SendError::Rpc(RpcError::Query {
            code,
            codespace,
            log,
            ..
        }) => (
            "simulate",
            TxFailure::Rejected {
                codespace: codespace.clone(),
                code: *code,
                log: log.clone(),
            },
            e.is_sequence_mismatch(),
        ),
        SendError::Rpc(RpcError::Unreachable { .. }) | SendError::Rpc(RpcError::Rpc { .. }) => {
            ("unreachable", TxFailure::Unavailable(e.to_string()), true)
        }
        SendError::Rpc(RpcError::TxTimeout { .. }) => {
            ("timeout", TxFailure::Unavailable(e.to_string()), true)
        }
        SendError::AccountNotFound { .. } => ("account", TxFailure::Other(e.to_string()), true),
        SendError::Failed {
            code,
            codespace,
            log,
            ..
        } => (
            "deliver",
            TxFailure::Rejected {
                codespace: codespace.clone(),
                code: *code,
                log: log.clone(),
            },
            false,
        ),
        _ => ("other", TxFailure::Other(e.to_string()), false),
    }
}
