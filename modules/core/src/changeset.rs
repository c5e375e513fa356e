//! `ChangeSet`: an ordered set of pending writes (`None` = delete).

use std::collections::BTreeMap;

/// Pending writes, ordered by key. `None` is a delete. Empty values are normalized to deletes
/// on insertion (see the module docs), so a `ChangeSet` never holds `Some(vec![])`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChangeSet(BTreeMap<Vec<u8>, Option<Vec<u8>>>);

impl ChangeSet {
    /// An empty change set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a write; an empty `value` is recorded as a delete.
    pub fn set(&mut self, key: Vec<u8>, value: Vec<u8>) {
        let value = if value.is_empty() { None } else { Some(value) };
        self.0.insert(key, value);
    }

    /// Records a delete.
    pub fn remove(&mut self, key: Vec<u8>) {
        self.0.insert(key, None);
    }

    /// `None`: untouched by this set; `Some(None)`: deleted; `Some(Some(v))`: written.
    pub fn get(&self, key: &[u8]) -> Option<Option<&[u8]>> {
        self.0.get(key).map(|v| v.as_deref())
    }

    /// Applies `later` on top of `self`: for a key in both, `later` wins.
    pub fn extend(&mut self, later: ChangeSet) {
        self.0.extend(later.0);
    }

    /// Number of touched keys.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when no key is touched.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Drops every pending write (e.g. resetting the CheckTx state at Commit).
    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// Writes these changes into `store` (a delete removes the key).
    pub fn apply_to(&self, store: &mut dyn cosmwasm_std::Storage) {
        for (key, value) in self.iter() {
            match value {
                Some(v) => store.set(key, v),
                None => store.remove(key),
            }
        }
    }

    /// Touched keys in ascending order with their new value (`None` = delete).
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&[u8], Option<&[u8]>)> {
        self.0.iter().map(|(k, v)| (k.as_slice(), v.as_deref()))
    }

    pub(crate) fn map(&self) -> &BTreeMap<Vec<u8>, Option<Vec<u8>>> {
        &self.0
    }

    /// The underlying ordered map.
    pub fn into_inner(self) -> BTreeMap<Vec<u8>, Option<Vec<u8>>> {
        self.0
    }
}

impl From<BTreeMap<Vec<u8>, Option<Vec<u8>>>> for ChangeSet {
    /// Builds a change set, normalizing empty values to deletes.
    fn from(map: BTreeMap<Vec<u8>, Option<Vec<u8>>>) -> Self {
        ChangeSet(
            map.into_iter()
                .map(|(k, v)| (k, v.filter(|v| !v.is_empty())))
                .collect(),
        )
    }
}

impl IntoIterator for ChangeSet {
    type Item = (Vec<u8>, Option<Vec<u8>>);
    type IntoIter = std::collections::btree_map::IntoIter<Vec<u8>, Option<Vec<u8>>>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}
