//! Receipts of served requests: journaled on disk as they are produced and batched into
//! `MsgSettleReceipts` transactions.
//!
//! The journal (`<home>/data/head-receipts.jsonl`) is appended to for every served
//! request and rewritten with what is still pending after each settlement round, so a
//! head that crashes or restarts still settles what it served. Appends are not fsynced
//! one by one (that would cost milliseconds on every request); they survive a process
//! crash, and a power loss can lose the last unsynced receipts. A receipt that was
//! settled just before a crash is submitted again after the restart; the chain rejects it
//! as replayed and the rejected-batch search below drops it from the queue — but its outcome
//! is kept when the chain records this head's settlement of it (the charge can still be
//! challenged, [`forget_or_keep`]).
//!
//! The outcome of every served request is in the served-outcome store ([`super::served`]);
//! after each round the store learns which receipts settled (their outcomes are kept through
//! the chain's challenge windows) and which were dropped (never charged: forgotten).
//!
//! A batch the chain refuses because of its receipts is not dropped whole: the receipt the
//! chain's log names is dropped and the rest retried, otherwise the batch is split in
//! halves until the bad receipts are isolated, so one stale receipt does not cost the head
//! the others. When the refusal is about the head or the transaction (the head jailed, its
//! account short of the tx fee, a stale sequence) or the chain is unreachable, nothing is
//! dropped: the batch goes back to the queue and is retried next round.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::future::Future;
use std::io::{BufRead as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bls_client::head::head_challenge;
use bls_client::orchestration::PARAMS_QUERY;
use bls_core::module::encode_any;
use bls_core::AbciCode as _;
use bls_orchestration::fastpath::error::FastPathError;
use bls_orchestration::fastpath::head::queries::HeadChallengeResponse;
use bls_orchestration::fastpath::msgs::{MsgSettleReceipts, Receipt, MSG_SETTLE_RECEIPTS};
use bls_orchestration::fastpath::state::MAX_RECEIPTS_PER_MSG;
use bls_orchestration::queries::ParamsResponse;
use prost::Message as _;
use serde::{Deserialize, Serialize};

use super::served::ServedOutcomes;
use crate::daemon::chain::Chain;
use crate::daemon::signer::{SignerHandle, TxFailure};
use crate::daemon::store::{write_atomic, StoreError};

/// File name of the journal inside the worker's data directory.
pub const JOURNAL_FILE: &str = "head-receipts.jsonl";

/// One served request waiting for settlement.
#[derive(Debug, Clone, PartialEq)]
pub struct Queued {
    /// The request id (hex) the receipt settles.
    pub request_id: String,
    /// The receipt as it will be settled.
    pub receipt: Receipt,
    /// Who pays.
    pub invoker: String,
    /// The fee it will charge.
    pub fee: u128,
}

/// A journal line: the receipt as hex protobuf, so the line is the exact bytes settled.
#[derive(Serialize, Deserialize)]
struct JournalLine {
    #[serde(default)]
    request_id: String,
    invoker: String,
    fee: String,
    receipt: String,
}

impl JournalLine {
    fn of(q: &Queued) -> JournalLine {
        JournalLine {
            request_id: q.request_id.clone(),
            invoker: q.invoker.clone(),
            fee: q.fee.to_string(),
            receipt: hex::encode(q.receipt.encode_to_vec()),
        }
    }

    fn parse(line: &str) -> Option<Queued> {
        let l: JournalLine = serde_json::from_str(line).ok()?;
        let bytes = hex::decode(&l.receipt).ok()?;
        Some(Queued {
            request_id: l.request_id,
            receipt: Receipt::decode(bytes.as_slice()).ok()?,
            invoker: l.invoker,
            fee: l.fee.parse().ok()?,
        })
    }

    fn bytes(q: &Queued) -> Vec<u8> {
        // A struct of strings always serializes.
        let mut b = serde_json::to_vec(&JournalLine::of(q)).unwrap_or_default();
        b.push(b'\n');
        b
    }
}

struct Journal {
    path: PathBuf,
    file: std::fs::File,
}

impl Journal {
    fn append_handle(path: &Path) -> Result<std::fs::File, StoreError> {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|source| StoreError::Io {
                path: path.to_path_buf(),
                source,
            })
    }
}

#[derive(Default)]
struct Inner {
    queue: VecDeque<Queued>,
    /// Request ids of every receipt not yet settled or dropped, queued or in a settlement
    /// round right now.
    ids: BTreeSet<String>,
    owed: BTreeMap<String, u128>,
    journal: Option<Journal>,
}

/// Served requests a head holds unsettled at most: beyond it, new requests are refused (503)
/// until settlements land. Each costs about 1.5 KB in memory and a journal line; a chain that
/// stops accepting settlements (down, or this head jailed) must not let the queue, and the
/// journal rewritten each round, grow without end.
pub const MAX_PENDING_RECEIPTS: usize = 100_000;

/// Receipts waiting for settlement, and the fees they will charge per invoker (so a
/// deposit is not promised twice before settlement lands).
#[derive(Default)]
pub struct Pending {
    inner: Mutex<Inner>,
}

impl Pending {
    /// A queue kept in memory only (tests, or a head without a data directory).
    pub fn in_memory() -> Pending {
        Pending::default()
    }

    /// Opens the journal at `path` (creating it), loading what a previous run left
    /// unsettled. Lines that do not parse (a torn last append) are skipped with a warning.
    pub fn open(path: &Path) -> Result<Pending, StoreError> {
        let io = |source| StoreError::Io {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut inner = Inner::default();
        match std::fs::File::open(path) {
            Ok(f) => {
                for (n, line) in std::io::BufReader::new(f).lines().enumerate() {
                    let line = line.map_err(io)?;
                    if line.trim().is_empty() {
                        continue;
                    }
                    match JournalLine::parse(&line) {
                        Some(q) => inner.enqueue_back(q),
                        None => tracing::warn!(
                            path = %path.display(),
                            line = n + 1,
                            "skipping an unreadable receipt journal line"
                        ),
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(e)),
        }
        if !inner.queue.is_empty() {
            tracing::info!(
                receipts = inner.queue.len(),
                "unsettled receipts from a previous run"
            );
        }
        inner.journal = Some(Journal {
            path: path.to_path_buf(),
            file: Journal::append_handle(path)?,
        });
        // Rewrite at once so skipped lines do not linger.
        inner.rewrite_journal();
        Ok(Pending {
            inner: Mutex::new(inner),
        })
    }

    /// Queues the receipt of request `request_id` (hex) charging `fee` to `invoker`
    /// (journaled before it returns).
    pub fn push(&self, request_id: &str, receipt: Receipt, invoker: &str, fee: u128) {
        let q = Queued {
            request_id: request_id.to_string(),
            receipt,
            invoker: invoker.to_string(),
            fee,
        };
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        if let Some(j) = inner.journal.as_mut() {
            if let Err(e) = j.file.write_all(&JournalLine::bytes(&q)) {
                tracing::error!(path = %j.path.display(), error = %e, "journaling a receipt");
            }
        }
        inner.enqueue_back(q);
    }

    /// Whether [`MAX_PENDING_RECEIPTS`] served requests await settlement: the head takes no
    /// new request until some settle.
    pub fn backlog_full(&self) -> bool {
        self.inner
            .lock()
            .map_or(true, |i| i.ids.len() >= MAX_PENDING_RECEIPTS)
    }

    /// Whether request `request_id` (hex) was served and awaits settlement, queued or in a
    /// settlement round (also after a restart: the ids are journaled).
    pub fn contains(&self, request_id: &str) -> bool {
        self.inner.lock().is_ok_and(|i| i.ids.contains(request_id))
    }

    /// Fees queued but not yet settled for `invoker`.
    pub fn owed(&self, invoker: &str) -> u128 {
        self.inner
            .lock()
            .ok()
            .and_then(|i| i.owed.get(invoker).copied())
            .unwrap_or(0)
    }

    /// Receipts waiting (including any batch being settled right now).
    pub fn len(&self) -> usize {
        self.inner.lock().map_or(0, |i| i.queue.len())
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A snapshot of the queue, oldest first.
    pub fn snapshot(&self) -> Vec<Queued> {
        self.inner
            .lock()
            .map(|i| i.queue.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Removes up to `max` of the oldest receipts for a settlement attempt. They stay in
    /// the journal and keep counting as owed until [`Pending::finish`].
    fn take(&self, max: usize) -> Vec<Queued> {
        match self.inner.lock() {
            Ok(mut i) => {
                let n = i.queue.len().min(max);
                i.queue.drain(..n).collect()
            }
            Err(_) => Vec::new(),
        }
    }

    /// Ends a settlement round: `done` left for good (settled or rejected), `retry` goes
    /// back to the front of the queue; the journal is rewritten with what is pending.
    fn finish(&self, done: &[Queued], retry: Vec<Queued>) {
        let Ok(mut i) = self.inner.lock() else {
            return;
        };
        for q in done {
            i.ids.remove(&q.request_id);
            if let Some(e) = i.owed.get_mut(&q.invoker) {
                *e = e.saturating_sub(q.fee);
                if *e == 0 {
                    i.owed.remove(&q.invoker);
                }
            }
        }
        for q in retry.into_iter().rev() {
            i.queue.push_front(q);
        }
        i.rewrite_journal();
    }
}

impl Inner {
    fn enqueue_back(&mut self, q: Queued) {
        self.ids.insert(q.request_id.clone());
        let e = self.owed.entry(q.invoker.clone()).or_insert(0);
        *e = e.saturating_add(q.fee);
        self.queue.push_back(q);
    }

    fn rewrite_journal(&mut self) {
        let Some(j) = self.journal.as_mut() else {
            return;
        };
        let bytes: Vec<u8> = self.queue.iter().flat_map(JournalLine::bytes).collect();
        let result = write_atomic(&j.path, &bytes)
            .and_then(|()| Journal::append_handle(&j.path).map(|f| j.file = f));
        if let Err(e) = result {
            tracing::error!(error = %e, "rewriting the receipt journal");
        }
    }
}

/// What one settlement round did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RoundReport {
    /// Receipts settled on chain.
    pub settled: usize,
    /// Receipts the chain refused for good, with its reason.
    pub dropped: Vec<String>,
    /// Receipts put back because the chain could not be reached.
    pub deferred: usize,
    /// Settlement transactions that landed.
    pub txs: usize,
    /// (request id, settlement height) of every receipt settled.
    pub settled_at: Vec<(String, u64)>,
    /// Request ids of the receipts dropped for good (never charged).
    pub dropped_ids: Vec<String>,
}

/// Whether a refusal is about the receipts (bad signatures, replays, wrong code, no
/// quorum, unfunded deposit, unknown function, a head not pinned for that function): those
/// will never settle and are narrowed down and dropped. Anything else (the head not active,
/// its account unable to pay the tx fee, a stale sequence, gas) is about this head or the
/// transaction: the receipts are kept and settled later.
fn refuses_receipts(codespace: &str, code: u32) -> bool {
    let not_head = FastPathError::NotHead(String::new());
    codespace == not_head.codespace() && code != not_head.code()
}

/// The receipt a rejection log names (`receipt <index>: ...`), if it is in range.
fn named_receipt(log: &str, len: usize) -> Option<usize> {
    log.match_indices("receipt ").find_map(|(at, m)| {
        let rest = log.get(at + m.len()..)?;
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let after = rest.get(digits.len()..)?;
        if digits.is_empty() || !after.starts_with(':') {
            return None;
        }
        digits.parse().ok().filter(|i| *i < len)
    })
}

/// Settles everything pending, one message per batch of at most
/// [`MAX_RECEIPTS_PER_MSG`], through `submit` (which returns the block height of a
/// settled message). Rejected batches are narrowed down to the receipts the chain refuses;
/// an unreachable chain defers the rest of the round.
pub async fn settle_pending<F, Fut>(pending: &Pending, head: &str, mut submit: F) -> RoundReport
where
    F: FnMut(MsgSettleReceipts) -> Fut,
    Fut: Future<Output = Result<u64, TxFailure>>,
{
    let mut report = RoundReport::default();
    loop {
        let batch = pending.take(MAX_RECEIPTS_PER_MSG);
        if batch.is_empty() {
            return report;
        }
        let mut done = Vec::new();
        let mut retry = Vec::new();
        let mut work = vec![batch];
        while let Some(b) = work.pop() {
            let msg = MsgSettleReceipts {
                head: head.to_string(),
                receipts: b.iter().map(|q| q.receipt.clone()).collect(),
            };
            match submit(msg).await {
                Ok(height) => {
                    tracing::info!(receipts = b.len(), height, "settled fast-path receipts");
                    report.settled += b.len();
                    report.txs += 1;
                    report
                        .settled_at
                        .extend(b.iter().map(|q| (q.request_id.clone(), height)));
                    done.extend(b);
                }
                Err(TxFailure::Rejected {
                    codespace,
                    code,
                    log,
                }) if refuses_receipts(&codespace, code) && b.len() == 1 => {
                    tracing::warn!(reason = %log, "receipt refused by the chain; dropping it");
                    report.dropped.push(log);
                    report
                        .dropped_ids
                        .extend(b.iter().map(|q| q.request_id.clone()));
                    done.extend(b);
                }
                Err(TxFailure::Rejected {
                    codespace,
                    code,
                    log,
                }) if refuses_receipts(&codespace, code) => {
                    let mut b = b;
                    match named_receipt(&log, b.len()) {
                        Some(i) => {
                            tracing::warn!(reason = %log, "receipt refused by the chain; dropping it");
                            report.dropped.push(log);
                            let q = b.remove(i);
                            report.dropped_ids.push(q.request_id.clone());
                            done.push(q);
                            work.push(b);
                        }
                        None => {
                            tracing::debug!(reason = %log, receipts = b.len(), "batch refused; splitting it");
                            let second = b.split_off(b.len() / 2);
                            work.push(second);
                            work.push(b);
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, receipts = b.len(), "settlement deferred");
                    retry.extend(b);
                    // Keep the original order: what is still queued comes after.
                    while let Some(rest) = work.pop() {
                        retry.extend(rest);
                    }
                }
            }
        }
        report.deferred += retry.len();
        let stop = !retry.is_empty();
        pending.finish(&done, retry);
        if stop {
            return report;
        }
    }
}

/// A receipt the chain refused: its outcome is forgotten unless the chain holds a settlement
/// of that request by this head — a receipt settled just before a crash, or by a submission
/// that timed out after its tx landed, comes back as a replay, and that charge can still be
/// challenged: the outcome is then kept as settled (at the recorded height) so the challenge
/// can be answered. When the chain cannot be read, the outcome is kept (pruned later).
async fn forget_or_keep(chain: &Chain, served: &ServedOutcomes, head: &str, id: &str) {
    let q = head_challenge(chain.rpc(), id).await;
    match settled_by(q.as_ref().ok(), head) {
        Keep::Settled(height) => {
            tracing::info!(request = %id, height, "refused receipt was settled by this head before; keeping its outcome");
            served.settled(id, height);
        }
        Keep::Forget => served.dropped(id),
        Keep::Unknown => {
            tracing::warn!(request = %id, "cannot read whether a refused receipt was settled; keeping its outcome");
        }
    }
}

/// What to do with the outcome of a refused receipt.
#[derive(Debug, PartialEq, Eq)]
enum Keep {
    /// This head settled the request at this height: keep the outcome for its challenge.
    Settled(u64),
    /// Never charged by this head: forget it.
    Forget,
    /// The chain could not be read.
    Unknown,
}

fn settled_by(q: Option<&HeadChallengeResponse>, head: &str) -> Keep {
    match q {
        None => Keep::Unknown,
        Some(q) => match &q.settlement {
            Some(s) if s.head.as_str() == head => Keep::Settled(s.height),
            _ => Keep::Forget,
        },
    }
}

/// Blocks an outcome is kept beyond the chain's challenge windows (the head's view of the tip
/// may be a little ahead of the node a challenger's tx lands on).
const KEEP_MARGIN_BLOCKS: u64 = 10;

/// Every `interval`, settles what is pending through the worker's signer, then tells the
/// served-outcome store what settled (kept for the challenge windows) and what was dropped
/// (forgotten), and prunes outcomes past those windows.
pub async fn run(
    pending: Arc<Pending>,
    served: Arc<ServedOutcomes>,
    chain: Chain,
    signer: SignerHandle,
    head: String,
    interval: Duration,
) {
    loop {
        tokio::time::sleep(interval).await;
        let report = settle_pending(&pending, &head, |msg| {
            let signer = signer.clone();
            async move {
                signer
                    .submit(encode_any(&msg, MSG_SETTLE_RECEIPTS))
                    .await
                    .map(|r| r.height)
            }
        })
        .await;
        for (id, height) in &report.settled_at {
            served.settled(id, height.to_owned());
        }
        for id in &report.dropped_ids {
            forget_or_keep(&chain, &served, &head, id).await;
        }
        let view = chain.view();
        let no_args = serde_json::json!({});
        let (params, tip) = tokio::join!(
            view.query::<_, ParamsResponse>(PARAMS_QUERY, &no_args),
            view.tip()
        );
        if let (Ok(p), Ok(tip)) = (params, tip) {
            let keep = p
                .params
                .head_dispute_window
                .saturating_add(p.params.challenge_window)
                .saturating_add(KEEP_MARGIN_BLOCKS);
            let n = served.prune(tip.height, keep);
            if n > 0 {
                tracing::debug!(pruned = n, "served outcomes past their challenge windows");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bls_orchestration::fastpath::msgs::SignedRequest;
    use std::collections::BTreeSet;

    fn receipt(nonce: u64) -> Receipt {
        Receipt {
            request: Some(SignedRequest {
                invoker: "inv".into(),
                nonce,
                ..Default::default()
            }),
            code_hash: vec![7; 32],
            result_hash: vec![nonce as u8; 32],
            signatures: Vec::new(),
        }
    }

    /// The attack on an honest head: a receipt it settled just before a crash (or whose
    /// submission timed out after landing) is refused as a replay on the next round. Were its
    /// outcome forgotten, the invoker could challenge that charge and the head could not
    /// answer: slashed. The chain's settlement record by this head keeps it; another head's
    /// record or none forgets it; an unreadable chain keeps it.
    #[test]
    fn a_replayed_receipt_this_head_settled_keeps_its_outcome() {
        use bls_orchestration::fastpath::head::state::HeadSettlement;
        let me = bls_core::Address::from_bytes(&[1; 20]);
        let other = bls_core::Address::from_bytes(&[2; 20]);
        let record = |head: &bls_core::Address| HeadChallengeResponse {
            settlement: Some(HeadSettlement {
                head: head.clone(),
                invoker: other.clone(),
                function_id: 1,
                result_hash: String::new(),
                fee: 5,
                height: 42,
                refunded: false,
            }),
            ..Default::default()
        };
        assert_eq!(
            settled_by(Some(&record(&me)), me.as_str()),
            Keep::Settled(42)
        );
        assert_eq!(settled_by(Some(&record(&other)), me.as_str()), Keep::Forget);
        assert_eq!(
            settled_by(Some(&HeadChallengeResponse::default()), me.as_str()),
            Keep::Forget
        );
        assert_eq!(settled_by(None, me.as_str()), Keep::Unknown);
    }

    fn nonces(m: &MsgSettleReceipts) -> Vec<u64> {
        m.receipts
            .iter()
            .map(|r| r.request.as_ref().map_or(0, |q| q.nonce))
            .collect()
    }

    /// A chain that refuses any message holding a `bad` nonce, naming its index when
    /// `names_index`, and records what it settled.
    fn chain(
        bad: BTreeSet<u64>,
        names_index: bool,
        settled: Arc<Mutex<Vec<u64>>>,
    ) -> impl FnMut(MsgSettleReceipts) -> std::future::Ready<Result<u64, TxFailure>> {
        move |m| {
            let ns = nonces(&m);
            let r = match ns.iter().position(|n| bad.contains(n)) {
                Some(i) => Err(TxFailure::Rejected {
                    codespace: "orchestration".into(),
                    code: 41,
                    log: if names_index {
                        format!("failed: receipt {i}: code hash wrong")
                    } else {
                        "request ab was already settled (replayed receipt)".into()
                    },
                }),
                None => {
                    settled.lock().unwrap().extend(ns);
                    Ok(9)
                }
            };
            std::future::ready(r)
        }
    }

    #[tokio::test]
    async fn a_rejected_batch_is_narrowed_to_the_bad_receipts() {
        for names_index in [true, false] {
            let p = Pending::in_memory();
            for n in 0..40 {
                p.push(&format!("id{n}"), receipt(n), "inv", 5);
            }
            let settled = Arc::new(Mutex::new(Vec::new()));
            let bad: BTreeSet<u64> = [3, 17, 39].into();
            let report =
                settle_pending(&p, "head", chain(bad.clone(), names_index, settled.clone())).await;
            let mut got = settled.lock().unwrap().clone();
            got.sort();
            let want: Vec<u64> = (0..40).filter(|n| !bad.contains(n)).collect();
            assert_eq!(got, want, "names_index={names_index}");
            assert_eq!(report.settled, 37);
            assert_eq!(report.dropped.len(), 3);
            let mut dropped = report.dropped_ids.clone();
            dropped.sort();
            assert_eq!(
                dropped,
                vec!["id17", "id3", "id39"],
                "names_index={names_index}"
            );
            assert_eq!(report.settled_at.len(), 37);
            assert!(report.settled_at.iter().all(|(_, h)| *h == 9));
            assert_eq!(report.deferred, 0);
            assert!(p.is_empty());
            assert_eq!(p.owed("inv"), 0);
        }
    }

    #[tokio::test]
    async fn a_refusal_of_the_head_or_the_tx_loses_nothing() {
        for (codespace, code, log) in [
            ("sdk", 5, "insufficient funds: 10ubls < 2000ubls"),
            ("sdk", 32, "account sequence mismatch, expected 4, got 3"),
            (
                "orchestration",
                45,
                "bls1head is not an active registered head worker",
            ),
        ] {
            let p = Pending::in_memory();
            for n in 0..6 {
                p.push(&format!("id{n}"), receipt(n), "inv", 5);
            }
            let mut calls = 0;
            let report = settle_pending(&p, "head", |_| {
                calls += 1;
                std::future::ready(Err(TxFailure::Rejected {
                    codespace: codespace.into(),
                    code,
                    log: log.into(),
                }))
            })
            .await;
            assert_eq!(calls, 1, "{log}: no splitting");
            assert_eq!((report.settled, report.deferred), (0, 6), "{log}");
            assert!(report.dropped.is_empty(), "{log}");
            assert_eq!(p.len(), 6);
            assert_eq!(p.owed("inv"), 30);
        }
    }

    #[tokio::test]
    async fn a_receipt_counts_as_pending_until_its_round_ends() {
        let p = Pending::in_memory();
        p.push("id1", receipt(1), "inv", 5);
        p.push("id2", receipt(2), "inv", 5);
        let seen = Arc::new(Mutex::new(Vec::new()));
        let report = settle_pending(&p, "head", |m| {
            // While the round runs, its receipts are still pending.
            seen.lock()
                .unwrap()
                .push((p.contains("id1"), p.contains("id2"), nonces(&m)));
            std::future::ready(if m.receipts.len() == 2 {
                Err(TxFailure::Rejected {
                    codespace: "orchestration".into(),
                    code: 43,
                    log: "receipt 1: replayed".into(),
                })
            } else {
                Ok(3)
            })
        })
        .await;
        assert_eq!(report.settled, 1);
        assert_eq!(
            *seen.lock().unwrap(),
            vec![(true, true, vec![1, 2]), (true, true, vec![1])]
        );
        assert!(!p.contains("id1") && !p.contains("id2"));
    }

    #[tokio::test]
    async fn an_unreachable_chain_loses_nothing() {
        let p = Pending::in_memory();
        for n in 0..5 {
            p.push(&format!("id{n}"), receipt(n), "inv", 5);
        }
        let report = settle_pending(&p, "head", |_| {
            std::future::ready(Err(TxFailure::Unavailable("connection refused".into())))
        })
        .await;
        assert_eq!((report.settled, report.deferred), (0, 5));
        assert_eq!(p.owed("inv"), 25);
        let order: Vec<u64> = p
            .snapshot()
            .iter()
            .map(|q| q.receipt.request.as_ref().map_or(0, |r| r.nonce))
            .collect();
        assert_eq!(order, vec![0, 1, 2, 3, 4]);
    }

    #[tokio::test]
    async fn batches_respect_the_message_limit() {
        let p = Pending::in_memory();
        let n = MAX_RECEIPTS_PER_MSG + 3;
        for i in 0..n {
            p.push(&format!("id{i}"), receipt(i as u64), "inv", 1);
        }
        let mut sizes = Vec::new();
        let report = settle_pending(&p, "head", |m| {
            sizes.push(m.receipts.len());
            std::future::ready(Ok(1))
        })
        .await;
        assert_eq!(sizes, vec![MAX_RECEIPTS_PER_MSG, 3]);
        assert_eq!((report.settled, report.txs), (n, 2));
    }

    #[tokio::test]
    async fn the_journal_survives_a_restart_and_forgets_what_settled() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(JOURNAL_FILE);
        {
            let p = Pending::open(&path).unwrap();
            for n in 0..4 {
                p.push(
                    &format!("id{n}"),
                    receipt(n),
                    if n % 2 == 0 { "a" } else { "b" },
                    10,
                );
            }
        } // dropped without settling: a crash
        let p = Pending::open(&path).unwrap();
        assert_eq!(p.len(), 4);
        assert!(
            p.contains("id3") && !p.contains("id4"),
            "ids survive the restart"
        );
        assert_eq!((p.owed("a"), p.owed("b")), (20, 20));
        assert_eq!(p.snapshot()[2].receipt, receipt(2));
        // Settle two (the chain refuses nonce 1 and 3 as replays); nothing is left.
        let settled = Arc::new(Mutex::new(Vec::new()));
        settle_pending(&p, "head", chain([1, 3].into(), false, settled.clone())).await;
        assert_eq!(*settled.lock().unwrap(), vec![0, 2]);
        p.push("id9", receipt(9), "a", 10);
        drop(p);
        let p = Pending::open(&path).unwrap();
        assert_eq!(p.snapshot().len(), 1);
        assert_eq!(p.snapshot()[0].receipt, receipt(9));
    }

    #[test]
    fn a_torn_journal_line_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(JOURNAL_FILE);
        let good = JournalLine::bytes(&Queued {
            request_id: "id1".into(),
            receipt: receipt(1),
            invoker: "a".into(),
            fee: 3,
        });
        let mut bytes = good.clone();
        bytes.extend_from_slice(&good[..good.len() / 2]); // crash mid-append
        std::fs::write(&path, bytes).unwrap();
        let p = Pending::open(&path).unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(p.owed("a"), 3);
        // The rewrite dropped the torn tail.
        assert_eq!(std::fs::read(&path).unwrap(), good);
    }

    #[test]
    fn named_receipt_reads_only_in_range_indices() {
        assert_eq!(named_receipt("x: receipt 4: bad", 5), Some(4));
        assert_eq!(named_receipt("receipt 5: bad", 5), None);
        assert_eq!(named_receipt("receipt abc: bad", 5), None);
        assert_eq!(named_receipt("the receipt 2 is", 5), None);
        assert_eq!(named_receipt("request 01 was already settled", 5), None);
    }

    /// The backlog bound: once MAX_PENDING_RECEIPTS receipts wait, the queue says so (the
    /// head then refuses new requests), and it frees as soon as one settles.
    #[test]
    fn the_backlog_is_bounded() {
        let p = Pending::in_memory();
        for n in 0..MAX_PENDING_RECEIPTS as u64 {
            assert!(!p.backlog_full(), "at {n}");
            p.push(&format!("{n:064x}"), receipt(n), "inv", 1);
        }
        assert!(p.backlog_full());
        assert_eq!(p.len(), MAX_PENDING_RECEIPTS);
        let round = p.take(1);
        assert_eq!(round.len(), 1);
        assert!(p.backlog_full(), "in a settlement round it still counts");
        p.finish(&round, Vec::new());
        assert!(!p.backlog_full(), "one settled: room for one more");
    }
}
