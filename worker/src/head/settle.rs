//! Batches receipts of served requests into `MsgSettleReceipts` transactions.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bls_core::module::encode_any;
use bls_orchestration::fastpath::msgs::{MsgSettleReceipts, Receipt, MSG_SETTLE_RECEIPTS};
use bls_orchestration::fastpath::state::MAX_RECEIPTS_PER_MSG;

use crate::daemon::signer::SignerHandle;

/// Receipts waiting for settlement, and the fees they will charge per invoker (so a
/// deposit is not promised twice before settlement lands).
#[derive(Default)]
pub struct Pending {
    receipts: Mutex<Vec<(Receipt, String, u128)>>,
    owed: Mutex<BTreeMap<String, u128>>,
}

impl Pending {
    /// Queues a receipt charging `fee` to `invoker`.
    pub fn push(&self, r: Receipt, invoker: &str, fee: u128) {
        if let Ok(mut o) = self.owed.lock() {
            let e = o.entry(invoker.to_string()).or_insert(0);
            *e = e.saturating_add(fee);
        }
        if let Ok(mut v) = self.receipts.lock() {
            v.push((r, invoker.to_string(), fee));
        }
    }

    /// Fees queued but not yet settled for `invoker`.
    pub fn owed(&self, invoker: &str) -> u128 {
        self.owed
            .lock()
            .ok()
            .and_then(|o| o.get(invoker).copied())
            .unwrap_or(0)
    }

    fn take(&self) -> Vec<(Receipt, String, u128)> {
        match self.receipts.lock() {
            Ok(mut v) => {
                let n = v.len().min(MAX_RECEIPTS_PER_MSG);
                v.drain(..n).collect()
            }
            Err(_) => Vec::new(),
        }
    }

    /// The batch left the queue (settled, or rejected for good).
    fn release(&self, batch: &[(Receipt, String, u128)]) {
        if let Ok(mut o) = self.owed.lock() {
            for (_, invoker, fee) in batch {
                if let Some(e) = o.get_mut(invoker) {
                    *e = e.saturating_sub(*fee);
                    if *e == 0 {
                        o.remove(invoker);
                    }
                }
            }
        }
    }
}

/// Every `interval`, settles what is pending (one message per batch of at most
/// [`MAX_RECEIPTS_PER_MSG`]). A rejected batch is logged with the chain's reason and
/// dropped (it would fail again unchanged).
pub async fn run(pending: Arc<Pending>, signer: SignerHandle, head: String, interval: Duration) {
    loop {
        tokio::time::sleep(interval).await;
        loop {
            let batch = pending.take();
            if batch.is_empty() {
                break;
            }
            let n = batch.len();
            let msg = MsgSettleReceipts {
                head: head.clone(),
                receipts: batch.iter().map(|(r, _, _)| r.clone()).collect(),
            };
            match signer.submit(encode_any(&msg, MSG_SETTLE_RECEIPTS)).await {
                Ok(r) => tracing::info!(
                    receipts = n,
                    height = r.height,
                    "settled fast-path receipts"
                ),
                Err(e) => tracing::error!(receipts = n, error = %e, "settlement rejected"),
            }
            pending.release(&batch);
        }
    }
}
