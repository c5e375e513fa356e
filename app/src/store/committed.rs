//! `CommittedView`: a read-only `Storage` over the last committed state (one redb snapshot).

use cosmwasm_std::{Order, Record, Storage};
use redb::ReadOnlyTable;

use super::db::Store;
use super::error::{FaultCell, StoreError};
use bls_core::overlay::is_empty_range;

/// One row of a redb `&[u8] -> &[u8]` range.
type RowResult<'r> = Result<
    (
        redb::AccessGuard<'r, &'static [u8]>,
        redb::AccessGuard<'r, &'static [u8]>,
    ),
    redb::StorageError,
>;

/// Read-only `Storage` over the state committed when the view was taken. It holds a redb read
/// transaction, so it stays consistent even while the caller stages new writes elsewhere.
///
/// Reads that fail (I/O, corruption) yield `None`/end the iteration, record the error in the
/// view (see [`CommittedView::take_error`]) and poison the store so it refuses to commit.
/// `set`/`remove` write nothing: they record [`StoreError::ReadOnlyWrite`] in the view. Callers
/// must check `take_error()` after using the view.
pub struct CommittedView<'s> {
    store: &'s Store,
    kv: ReadOnlyTable<&'static [u8], &'static [u8]>,
    height: u64,
    fault: FaultCell,
}

impl<'s> CommittedView<'s> {
    pub(crate) fn new(
        store: &'s Store,
        kv: ReadOnlyTable<&'static [u8], &'static [u8]>,
        height: u64,
    ) -> Self {
        CommittedView {
            store,
            kv,
            height,
            fault: FaultCell::default(),
        }
    }

    /// Height of the state this view reads (the store's last height when it was taken).
    pub fn height(&self) -> u64 {
        self.height
    }

    /// The first error seen by this view since the last call, if any. A read error means the
    /// caller's computation used missing data: abort it (and halt for consensus paths).
    pub fn take_error(&self) -> Option<StoreError> {
        self.fault.take()
    }

    fn read_failed(&self, context: &'static str, err: redb::StorageError) {
        let err = StoreError::Storage {
            context,
            source: err,
        };
        self.store.poison(&err);
        self.fault.record(err);
    }
}

impl Storage for CommittedView<'_> {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        match self.kv.get(key) {
            Ok(row) => row.map(|v| v.value().to_vec()),
            Err(err) => {
                self.read_failed("committed get", err);
                None
            }
        }
    }

    fn range<'a>(
        &'a self,
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
    ) -> Box<dyn Iterator<Item = Record> + 'a> {
        if is_empty_range(start, end) {
            return Box::new(std::iter::empty());
        }
        let bounds = (
            start.map_or(std::ops::Bound::Unbounded, std::ops::Bound::Included),
            end.map_or(std::ops::Bound::Unbounded, std::ops::Bound::Excluded),
        );
        let rows = match self.kv.range::<&[u8]>(bounds) {
            Ok(rows) => rows,
            Err(err) => {
                self.read_failed("committed range", err);
                return Box::new(std::iter::empty());
            }
        };
        // A failed row ends the iteration (and is recorded) rather than skipping silently.
        let to_record = move |row: RowResult<'_>| match row {
            Ok((k, v)) => Some((k.value().to_vec(), v.value().to_vec())),
            Err(err) => {
                self.read_failed("committed range row", err);
                None
            }
        };
        match order {
            Order::Ascending => Box::new(rows.map_while(to_record)),
            Order::Descending => Box::new(rows.rev().map_while(to_record)),
        }
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
