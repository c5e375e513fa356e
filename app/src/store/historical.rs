//! `HistoricalView`: a read-only `Storage` over the state committed at a past height, read
//! from the `kv_history` table (every write of every key, tagged with its jmt version).

use std::ops::Bound;

use cosmwasm_std::{Order, Record, Storage};
use redb::ReadOnlyTable;

use super::db::Store;
use super::error::{FaultCell, StoreError};
use super::tables::decode_value;
use bls_core::overlay::is_empty_range;

type HistoryRows = ReadOnlyTable<(&'static [u8], u64), &'static [u8]>;

/// Keys absent at the view's height one range may pass over before it stops with
/// [`StoreError::HistoryScanLimit`] (keys created later or deleted earlier still have rows).
pub const MAX_ABSENT_KEYS_SCANNED: u64 = 10_000;

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
        Box::new(AtVersion {
            view: self,
            lo: start.map_or(Bound::Unbounded, |s| Bound::Included((s.to_vec(), 0))),
            hi: end.map_or(Bound::Unbounded, |e| Bound::Excluded((e.to_vec(), 0))),
            order,
            done: false,
            absent: 0,
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

/// A bound over `kv_history` rows, owned so the iterator can move it.
type RowBound = Bound<(Vec<u8>, u64)>;

fn borrowed(b: &RowBound) -> Bound<(&[u8], u64)> {
    match b {
        Bound::Included((k, v)) => Bound::Included((k.as_slice(), *v)),
        Bound::Excluded((k, v)) => Bound::Excluded((k.as_slice(), *v)),
        Bound::Unbounded => Bound::Unbounded,
    }
}

/// The keys of `[lo, hi)` in `order`, each with its value at the view's version (keys absent
/// at that version are skipped). Each step seeks: the next key is the first row past every
/// version of the previous one, so a key written at many heights costs no more than one
/// written once. A failed read ends the iteration (and is recorded).
struct AtVersion<'a> {
    view: &'a HistoricalView<'a>,
    lo: RowBound,
    hi: RowBound,
    order: Order,
    done: bool,
    /// Keys passed over because they did not exist at the height.
    absent: u64,
}

impl AtVersion<'_> {
    /// The next key in `order` within the bounds, moving the bound past it.
    fn next_key(&mut self) -> Option<Vec<u8>> {
        let mut rows = match self
            .view
            .history
            .range((borrowed(&self.lo), borrowed(&self.hi)))
        {
            Ok(rows) => rows,
            Err(err) => {
                self.view.read_failed("historical range", err);
                return None;
            }
        };
        let row = match self.order {
            Order::Ascending => rows.next(),
            Order::Descending => rows.next_back(),
        }?;
        let key = match row {
            Ok((k, _)) => k.value().0.to_vec(),
            Err(err) => {
                self.view.read_failed("historical range row", err);
                return None;
            }
        };
        // Versions count commits, so no row has version u64::MAX; (key, 0) is the key's first.
        match self.order {
            Order::Ascending => self.lo = Bound::Excluded((key.clone(), u64::MAX)),
            Order::Descending => self.hi = Bound::Excluded((key.clone(), 0)),
        }
        Some(key)
    }
}

impl Iterator for AtVersion<'_> {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        while !self.done {
            let Some(key) = self.next_key() else {
                self.done = true;
                break;
            };
            let before = self.view.fault.is_set();
            let value = self.view.get(&key);
            if !before && self.view.fault.is_set() {
                self.done = true;
                break;
            }
            if let Some(value) = value {
                return Some((key, value));
            }
            self.absent += 1;
            if self.absent > MAX_ABSENT_KEYS_SCANNED {
                // Not a storage fault: the store is fine, the query is too broad.
                self.view.fault.record(StoreError::HistoryScanLimit {
                    height: self.view.height,
                    limit: MAX_ABSENT_KEYS_SCANNED,
                });
                self.done = true;
            }
        }
        None
    }
}
