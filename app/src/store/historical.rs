//! `HistoricalView`: a read-only `Storage` over the state committed at a past height, read
//! from the `kv_history` table (every write of every key, tagged with its jmt version).

use std::ops::Bound;

use cosmwasm_std::{Order, Record, Storage};
use redb::ReadOnlyTable;

use super::db::Store;
use super::error::{FaultCell, StoreError};
use super::overlay::is_empty_range;
use super::tables::decode_value;

type HistoryRows = ReadOnlyTable<(&'static [u8], u64), &'static [u8]>;

/// One row of a `kv_history` range.
type RowResult<'r> = Result<
    (
        redb::AccessGuard<'r, (&'static [u8], u64)>,
        redb::AccessGuard<'r, &'static [u8]>,
    ),
    redb::StorageError,
>;

/// Read-only `Storage` over the state committed at one height. A key's value is its newest
/// `kv_history` row at or below the height's jmt version (a delete row means absent), so `get`
/// and `range` see exactly that height's state, in key order.
///
/// Read errors behave as in [`super::CommittedView`]: `None`/end of iteration, recorded in the
/// view ([`HistoricalView::take_error`]) and poisoning the store. Writes are refused
/// ([`StoreError::ReadOnlyWrite`], recorded in the view only).
pub struct HistoricalView<'s> {
    store: &'s Store,
    history: HistoryRows,
    height: u64,
    version: u64,
    fault: FaultCell,
}

impl<'s> HistoricalView<'s> {
    pub(crate) fn new(store: &'s Store, history: HistoryRows, height: u64, version: u64) -> Self {
        HistoricalView {
            store,
            history,
            height,
            version,
            fault: FaultCell::default(),
        }
    }

    /// Height of the state this view reads.
    pub fn height(&self) -> u64 {
        self.height
    }

    /// The first error seen by this view since the last call, if any (see
    /// [`super::CommittedView::take_error`]).
    pub fn take_error(&self) -> Option<StoreError> {
        self.fault.take()
    }

    fn failed(&self, err: StoreError) {
        self.store.poison(&err);
        self.fault.record(err);
    }

    fn read_failed(&self, context: &'static str, err: redb::StorageError) {
        self.failed(StoreError::Storage {
            context,
            source: err,
        });
    }

    /// Decodes a tagged row value; a bad tag is recorded as corruption and reads as absent.
    fn decode(&self, row: &[u8]) -> Option<Vec<u8>> {
        match decode_value(row) {
            Ok(v) => v,
            Err(err) => {
                self.failed(err);
                None
            }
        }
    }
}

impl Storage for HistoricalView<'_> {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        let lo: (&[u8], u64) = (key, 0);
        let hi: (&[u8], u64) = (key, self.version);
        let mut rows = match self.history.range(lo..=hi) {
            Ok(rows) => rows,
            Err(err) => {
                self.read_failed("historical get", err);
                return None;
            }
        };
        // Newest write at or below the version: the last row of this key's slice.
        match rows.next_back()? {
            Ok((_, v)) => self.decode(v.value()),
            Err(err) => {
                self.read_failed("historical get", err);
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
        // Every version of a key sorts together and after `(key, 0)`: `[start, end)` over keys
        // is `[(start, 0), (end, 0))` over rows.
        let lo: Bound<(&[u8], u64)> = start.map_or(Bound::Unbounded, |s| Bound::Included((s, 0)));
        let hi: Bound<(&[u8], u64)> = end.map_or(Bound::Unbounded, |e| Bound::Excluded((e, 0)));
        let rows = match self.history.range((lo, hi)) {
            Ok(rows) => rows,
            Err(err) => {
                self.read_failed("historical range", err);
                return Box::new(std::iter::empty());
            }
        };
        let rows: Box<dyn Iterator<Item = RowResult<'static>>> = match order {
            Order::Ascending => Box::new(rows),
            Order::Descending => Box::new(rows.rev()),
        };
        Box::new(AtVersion {
            view: self,
            rows,
            pending: None,
            failed: false,
        })
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

/// One decoded `kv_history` row: key, version, tagged value.
type Row = (Vec<u8>, u64, Vec<u8>);

/// Collapses `kv_history` rows (in either key order) to one record per key: the key's newest
/// row at or below `view.version`, skipped when that row is a delete or when the key had no
/// write yet. A failed row ends the iteration (and is recorded).
struct AtVersion<'a> {
    view: &'a HistoricalView<'a>,
    rows: Box<dyn Iterator<Item = RowResult<'static>>>,
    /// The first row of the next key, read while finishing the previous one.
    pending: Option<Row>,
    /// A row failed to read: the iteration is over (a partial key is not yielded).
    failed: bool,
}

impl AtVersion<'_> {
    fn pull(&mut self) -> Option<Row> {
        if let Some(row) = self.pending.take() {
            return Some(row);
        }
        if self.failed {
            return None;
        }
        match self.rows.next()? {
            Ok((k, v)) => {
                let (key, version) = k.value();
                Some((key.to_vec(), version, v.value().to_vec()))
            }
            Err(err) => {
                self.failed = true;
                self.view.read_failed("historical range row", err);
                None
            }
        }
    }
}

impl Iterator for AtVersion<'_> {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        let max = self.view.version;
        loop {
            let (key, version, row) = self.pull()?;
            // Rows of one key come in version order (ascending or descending with `order`):
            // keep the newest at or below `max` either way.
            let mut best: Option<(u64, Vec<u8>)> = None;
            let mut consider = |version: u64, row: Vec<u8>| {
                if version <= max && best.as_ref().is_none_or(|(b, _)| version > *b) {
                    best = Some((version, row));
                }
            };
            consider(version, row);
            while let Some((next_key, version, row)) = self.pull() {
                if next_key != key {
                    self.pending = Some((next_key, version, row));
                    break;
                }
                consider(version, row);
            }
            if self.failed {
                return None;
            }
            if let Some((_, row)) = best {
                if let Some(value) = self.view.decode(&row) {
                    return Some((key, value));
                }
            }
        }
    }
}
