//! `Overlay`: buffered writes over a parent `Storage`, plus the merge logic the app's store
//! views share. Modules use it through [`crate::Context::branch`] (all-or-nothing work inside a
//! block hook); the app uses it for txs and block staging.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::iter::Peekable;
use std::ops::Bound;

use cosmwasm_std::{Order, Record, Storage};

use crate::changeset::ChangeSet;

/// Writes buffered over a parent `Storage`. Reads see the parent with the buffered writes
/// applied; nothing reaches the parent. Dropping the overlay discards its writes (a failed
/// tx); [`Overlay::into_changes`] hands them to the caller to apply one level down.
pub struct Overlay<'p> {
    parent: &'p dyn Storage,
    changes: ChangeSet,
}

impl<'p> Overlay<'p> {
    /// An empty overlay over `parent`.
    pub fn new(parent: &'p dyn Storage) -> Self {
        Overlay {
            parent,
            changes: ChangeSet::new(),
        }
    }

    /// The buffered writes, to be applied to the level below (e.g. the block's `ChangeSet`).
    pub fn into_changes(self) -> ChangeSet {
        self.changes
    }

    /// The buffered writes so far.
    pub fn changes(&self) -> &ChangeSet {
        &self.changes
    }

    /// Applies `changes` on top of this overlay's writes (e.g. a nested overlay's writes).
    pub fn apply(&mut self, changes: ChangeSet) {
        self.changes.extend(changes);
    }
}

impl Storage for Overlay<'_> {
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        merged_get(self.parent, &self.changes, key)
    }

    fn range<'a>(
        &'a self,
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
    ) -> Box<dyn Iterator<Item = Record> + 'a> {
        merged_range(self.parent, &self.changes, start, end, order)
    }

    /// An empty value is a delete (see the module docs).
    fn set(&mut self, key: &[u8], value: &[u8]) {
        self.changes.set(key.to_vec(), value.to_vec());
    }

    fn remove(&mut self, key: &[u8]) {
        self.changes.remove(key.to_vec());
    }
}

/// True when `[start, end)` is empty (cosmwasm: start >= end describes an empty range).
pub fn is_empty_range(start: Option<&[u8]>, end: Option<&[u8]>) -> bool {
    matches!((start, end), (Some(s), Some(e)) if s >= e)
}

/// `get` through `changes` onto `parent`.
pub fn merged_get(parent: &dyn Storage, changes: &ChangeSet, key: &[u8]) -> Option<Vec<u8>> {
    match changes.get(key) {
        Some(value) => value.map(<[u8]>::to_vec),
        None => parent.get(key),
    }
}

/// `range` through `changes` onto `parent`, lazily merging both ordered streams.
pub fn merged_range<'a>(
    parent: &'a dyn Storage,
    changes: &'a ChangeSet,
    start: Option<&[u8]>,
    end: Option<&[u8]>,
    order: Order,
) -> Box<dyn Iterator<Item = Record> + 'a> {
    if is_empty_range(start, end) {
        return Box::new(std::iter::empty());
    }
    let parent_iter = parent.range(start, end, order);
    let bounds = (
        start.map_or(Bound::Unbounded, Bound::Included),
        end.map_or(Bound::Unbounded, Bound::Excluded),
    );
    // `BTreeMap::range` panics on inverted bounds; ruled out by `is_empty_range` above.
    let map: &'a BTreeMap<Vec<u8>, Option<Vec<u8>>> = changes.map();
    let changes_range = map.range::<[u8], _>(bounds);
    match order {
        Order::Ascending => Box::new(MergeIter::new(parent_iter, changes_range, order)),
        Order::Descending => Box::new(MergeIter::new(parent_iter, changes_range.rev(), order)),
    }
}

/// Merges a parent record stream with a change stream, both in `order`. On equal keys the
/// change wins; a `None` change hides the key.
struct MergeIter<'a, P, C>
where
    P: Iterator<Item = Record>,
    C: Iterator<Item = (&'a Vec<u8>, &'a Option<Vec<u8>>)>,
{
    parent: Peekable<P>,
    changes: Peekable<C>,
    order: Order,
}

impl<'a, P, C> MergeIter<'a, P, C>
where
    P: Iterator<Item = Record>,
    C: Iterator<Item = (&'a Vec<u8>, &'a Option<Vec<u8>>)>,
{
    fn new(parent: P, changes: C, order: Order) -> Self {
        MergeIter {
            parent: parent.peekable(),
            changes: changes.peekable(),
            order,
        }
    }
}

impl<'a, P, C> Iterator for MergeIter<'a, P, C>
where
    P: Iterator<Item = Record>,
    C: Iterator<Item = (&'a Vec<u8>, &'a Option<Vec<u8>>)>,
{
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        loop {
            // Which stream yields next: its key comes first in `order`.
            let take_change = match (self.parent.peek(), self.changes.peek()) {
                (None, None) => return None,
                (Some(_), None) => false,
                (None, Some(_)) => true,
                (Some((pk, _)), Some((ck, _))) => {
                    let cmp = match self.order {
                        Order::Ascending => ck.as_slice().cmp(pk.as_slice()),
                        Order::Descending => pk.as_slice().cmp(ck.as_slice()),
                    };
                    match cmp {
                        Ordering::Less => true,
                        Ordering::Greater => false,
                        Ordering::Equal => {
                            // The change shadows the parent's entry for the same key.
                            self.parent.next();
                            true
                        }
                    }
                }
            };
            if !take_change {
                return self.parent.next();
            }
            match self.changes.next() {
                Some((key, Some(value))) => return Some((key.clone(), value.clone())),
                // Deleted in the change set: skip and keep merging.
                Some((_, None)) => continue,
                None => return None,
            }
        }
    }
}
