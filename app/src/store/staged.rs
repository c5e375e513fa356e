//! `StagedView`: read-only `Storage` over committed state plus a caller-owned `ChangeSet`.

use cosmwasm_std::{Order, Record, Storage};

use super::committed::CommittedView;
use super::db::Store;
use super::error::{FaultCell, StoreError};
use bls_core::changeset::ChangeSet;
use bls_core::overlay::{merged_get, merged_range};

/// Committed state with a block's (or the CheckTx state's) staged writes applied, read-only.
/// The app owns the `ChangeSet` across calls and builds this view on demand; txs write into an
/// `Overlay::new(&staged_view)` and, on success, `staged.extend(overlay.into_changes())` after
/// the view is dropped. Writes through this view are recorded as [`StoreError::ReadOnlyWrite`].
pub struct StagedView<'a> {
    committed: CommittedView<'a>,
    staged: &'a ChangeSet,
    fault: FaultCell,
}

impl<'a> StagedView<'a> {
    /// A view of `store`'s committed state with `staged` applied on top.
    pub fn new(store: &'a Store, staged: &'a ChangeSet) -> Result<Self, StoreError> {
        Ok(StagedView {
            committed: store.snapshot()?,
            staged,
            fault: FaultCell::default(),
        })
    }

    /// The first error seen through this view (read failure below, or a write attempt).
    pub fn take_error(&self) -> Option<StoreError> {
        self.fault.take().or_else(|| self.committed.take_error())
    }
}

impl Storage for StagedView<'_> {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        merged_get(&self.committed, self.staged, key)
    }

    fn range<'b>(
        &'b self,
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
    ) -> Box<dyn Iterator<Item = Record> + 'b> {
        merged_range(&self.committed, self.staged, start, end, order)
    }

    fn set(&mut self, key: &[u8], _value: &[u8]) {
        self.fault.record(StoreError::ReadOnlyWrite {
            key_hex: hex::encode(key),
        });
    }

    fn remove(&mut self, key: &[u8]) {
        self.fault.record(StoreError::ReadOnlyWrite {
            key_hex: hex::encode(key),
        });
    }
}
