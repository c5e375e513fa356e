//! redb table layout, row encodings, and jmt's `TreeReader` over a redb read transaction.
//!
//! Tables:
//! - `kv`: raw key -> value at the last committed height (ordered iteration, plain reads).
//! - `jmt_nodes`: borsh(NodeKey) -> borsh(Node).
//! - `jmt_values`: key_hash (32) ‖ version (u64 BE) -> 0 (deleted) | 1 ‖ value.
//! - `jmt_preimages`: key_hash (32) -> raw key (ics23 non-existence proofs name neighbours by key).
//! - `jmt_stale`: stale_since_version (u64 BE) ‖ borsh(NodeKey) -> empty (kept for pruning).
//! - `meta`: "height" -> u64 BE, "version" -> u64 BE, "app_hash" -> 32 bytes,
//!   "history_from" -> u64 BE, "prune_floor" -> u64 BE (heights below it are pruned).
//! - `heights`: height (u64 BE) -> jmt version (u64 BE) ‖ app hash.
//! - `kv_history`: (raw key, jmt version) -> 0 (deleted) | 1 ‖ value: every write of every
//!   key, tagged with the version that made it, so a past height's state can be read and
//!   iterated in key order (module queries at a height). Written since `meta.history_from`.
//! - `kv_writes`: jmt version (u64 BE) ‖ raw key -> empty: which keys each commit wrote, so
//!   pruning finds the `jmt_values` and `kv_history` rows a newer write superseded without a
//!   scan (see [`super::prune`]).

use anyhow::Context;
use jmt::storage::{HasPreimage, LeafNode, Node, NodeKey, TreeReader};
use jmt::{KeyHash, OwnedValue, Version};
use redb::{ReadOnlyTable, ReadTransaction, ReadableTable, TableDefinition};

use super::error::StoreError;

pub(crate) type BytesTable = TableDefinition<'static, &'static [u8], &'static [u8]>;

pub(crate) const KV: BytesTable = TableDefinition::new("kv");
pub(crate) const JMT_NODES: BytesTable = TableDefinition::new("jmt_nodes");
pub(crate) const JMT_VALUES: BytesTable = TableDefinition::new("jmt_values");
pub(crate) const JMT_PREIMAGES: BytesTable = TableDefinition::new("jmt_preimages");
pub(crate) const JMT_STALE: BytesTable = TableDefinition::new("jmt_stale");
pub(crate) const META: TableDefinition<'static, &'static str, &'static [u8]> =
    TableDefinition::new("meta");
pub(crate) const HEIGHTS: TableDefinition<'static, u64, &'static [u8]> =
    TableDefinition::new("heights");

/// Rows of `kv_history`: (raw key, jmt version) -> tagged value (see [`encode_value`]).
pub(crate) type HistoryTable = TableDefinition<'static, (&'static [u8], u64), &'static [u8]>;
pub(crate) const KV_HISTORY: HistoryTable = TableDefinition::new("kv_history");

/// Rows of `kv_writes` (see the module docs).
pub(crate) const KV_WRITES: BytesTable = TableDefinition::new("kv_writes");

/// Every byte-keyed table with its name: the store creates them all at open and reports
/// their sizes.
pub(crate) const BYTES_TABLES: [(&str, BytesTable); 6] = [
    ("kv", KV),
    ("jmt_nodes", JMT_NODES),
    ("jmt_values", JMT_VALUES),
    ("jmt_preimages", JMT_PREIMAGES),
    ("jmt_stale", JMT_STALE),
    ("kv_writes", KV_WRITES),
];

pub(crate) const META_HEIGHT: &str = "height";
/// Lowest height still readable once pruning has run (absent: nothing pruned).
pub(crate) const META_PRUNE_FLOOR: &str = "prune_floor";
/// First height whose complete state `kv_history` holds (absent until the first commit).
pub(crate) const META_HISTORY_FROM: &str = "history_from";
pub(crate) const META_VERSION: &str = "version";
pub(crate) const META_APP_HASH: &str = "app_hash";

/// `jmt_values` row key: key hash then big-endian version, so a key's versions sort together.
pub(crate) fn value_row_key(key_hash: KeyHash, version: Version) -> [u8; 40] {
    let mut out = [0u8; 40];
    out[..32].copy_from_slice(&key_hash.0);
    out[32..].copy_from_slice(&version.to_be_bytes());
    out
}

/// `jmt_values` row value: a tag byte distinguishes a delete from a value.
pub(crate) fn encode_value(value: Option<&[u8]>) -> Vec<u8> {
    match value {
        None => vec![0],
        Some(v) => {
            let mut out = Vec::with_capacity(v.len().saturating_add(1));
            out.push(1);
            out.extend_from_slice(v);
            out
        }
    }
}

pub(crate) fn decode_value(row: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
    match row.split_first() {
        Some((0, [])) => Ok(None),
        Some((1, rest)) => Ok(Some(rest.to_vec())),
        _ => Err(StoreError::Corrupt("jmt value row has a bad tag".into())),
    }
}

/// Decodes a big-endian u64 meta field.
pub(crate) fn decode_u64(field: &str, bytes: &[u8]) -> Result<u64, StoreError> {
    let arr: [u8; 8] = bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt(format!("meta {field} is not 8 bytes")))?;
    Ok(u64::from_be_bytes(arr))
}

/// jmt's reader over one redb read transaction (a consistent snapshot).
pub(crate) struct JmtReader {
    nodes: ReadOnlyTable<&'static [u8], &'static [u8]>,
    values: ReadOnlyTable<&'static [u8], &'static [u8]>,
    preimages: ReadOnlyTable<&'static [u8], &'static [u8]>,
}

impl JmtReader {
    pub(crate) fn new(txn: &ReadTransaction, context: &'static str) -> Result<Self, StoreError> {
        Ok(JmtReader {
            nodes: txn
                .open_table(JMT_NODES)
                .map_err(StoreError::table(context, "jmt_nodes"))?,
            values: txn
                .open_table(JMT_VALUES)
                .map_err(StoreError::table(context, "jmt_values"))?,
            preimages: txn
                .open_table(JMT_PREIMAGES)
                .map_err(StoreError::table(context, "jmt_preimages"))?,
        })
    }
}

impl TreeReader for JmtReader {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        let key = borsh::to_vec(node_key).context("encoding node key")?;
        match self.nodes.get(key.as_slice())? {
            None => Ok(None),
            Some(row) => Ok(Some(
                borsh::from_slice(row.value()).context("decoding jmt node")?,
            )),
        }
    }

    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        let lo = value_row_key(key_hash, 0);
        let hi = value_row_key(key_hash, max_version);
        // Newest version <= max_version: the last row of this key's slice.
        let mut rows = self.values.range::<&[u8]>(lo.as_slice()..=hi.as_slice())?;
        match rows.next_back() {
            None => Ok(None),
            Some(row) => {
                let (_, value) = row?;
                Ok(decode_value(value.value())?)
            }
        }
    }

    /// Used only by jmt's state-sync restore, which this chain does not run; a full scan is
    /// acceptable there. Returns the leaf with the greatest key hash.
    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        let mut best: Option<(NodeKey, LeafNode)> = None;
        for row in self.nodes.iter()? {
            let (key, node) = row?;
            if let Node::Leaf(leaf) = borsh::from_slice::<Node>(node.value())? {
                let better = best
                    .as_ref()
                    .is_none_or(|(_, b)| leaf.key_hash().0 > b.key_hash().0);
                if better {
                    best = Some((borsh::from_slice(key.value())?, leaf));
                }
            }
        }
        Ok(best)
    }
}

impl HasPreimage for JmtReader {
    fn preimage(&self, key_hash: KeyHash) -> anyhow::Result<Option<Vec<u8>>> {
        Ok(self
            .preimages
            .get(key_hash.0.as_slice())?
            .map(|row| row.value().to_vec()))
    }
}
