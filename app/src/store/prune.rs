//! Pruning: forgetting the state of old heights (app.toml `pruning`), inside the commit's own
//! write transaction so a crash can never leave half a prune behind.
//!
//! What a height's state occupies once newer heights exist:
//! - its `heights` row (height → jmt version, app hash);
//! - jmt nodes that a later version replaced (`jmt_stale` says since which version);
//! - `jmt_values` and `kv_history` rows a later write of the same key superseded
//!   (`kv_writes` says which keys each version wrote).
//!
//! Pruning to a floor height `f` (jmt version `v`) keeps everything heights `f..` need and
//! deletes the rest: nodes stale since a version ≤ `v`; for each key written at `w ≤ v`, its
//! rows older than `w` (the row at `w` is what `f` reads), and the row at `w` itself when it
//! is a delete (absence needs no row). Work per commit is bounded ([`ROWS_PER_COMMIT`]): a
//! backlog (pruning turned on for a long chain) is worked off over the next commits, while
//! the floor itself moves at once, so queries below it are refused from the first commit.

use jmt::KeyHash;
use redb::{ReadableTable, Table, WriteTransaction};
use sha2::Sha256;

use super::error::StoreError;
use super::tables::{
    decode_u64, value_row_key, HEIGHTS, JMT_NODES, JMT_PREIMAGES, JMT_STALE, JMT_VALUES, KV,
    KV_HISTORY, KV_WRITES, META, META_PRUNE_FLOOR,
};

/// Rows one commit may delete. At ~1 µs a row this adds a few milliseconds to a Commit at
/// most, and outpaces any block's writes (a block of 21 MiB writes far fewer keys).
pub const ROWS_PER_COMMIT: u64 = 20_000;

/// Which past heights the store keeps (app.toml `pruning`, in Cosmos SDK terms).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PruningPolicy {
    /// Keep every height (an archive node).
    #[default]
    KeepAll,
    /// Every `interval` heights, forget the heights older than the last `keep_recent`.
    KeepRecent {
        /// Heights kept below the last one.
        keep_recent: u64,
        /// How often (in heights) the floor moves up; at least 1.
        interval: u64,
    },
}

impl PruningPolicy {
    /// The floor this policy wants after committing `height` (`None`: leave it where it is).
    fn floor_after(self, height: u64) -> Option<u64> {
        match self {
            PruningPolicy::KeepAll => None,
            PruningPolicy::KeepRecent {
                keep_recent,
                interval,
            } => height
                .is_multiple_of(interval.max(1))
                .then(|| height.saturating_sub(keep_recent)),
        }
    }
}

/// What one commit's pruning did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct PruneOutcome {
    /// The lowest readable height after this commit (`None`: nothing was ever pruned).
    pub(crate) floor: Option<u64>,
    /// Rows deleted.
    pub(crate) rows: u64,
}

/// Moves the floor as `policy` says after committing `height`, then deletes up to
/// [`ROWS_PER_COMMIT`] rows below it. Runs inside the commit's transaction (which has already
/// written `height`'s rows).
pub(crate) fn after_commit(
    txn: &WriteTransaction,
    policy: PruningPolicy,
    height: u64,
) -> Result<PruneOutcome, StoreError> {
    const CONTEXT: &str = "pruning";
    let mut meta = txn
        .open_table(META)
        .map_err(StoreError::table(CONTEXT, "meta"))?;
    let mut floor = match meta
        .get(META_PRUNE_FLOOR)
        .map_err(StoreError::storage(CONTEXT))?
    {
        Some(b) => Some(decode_u64(META_PRUNE_FLOOR, b.value())?),
        None => None,
    };
    let mut heights = txn
        .open_table(HEIGHTS)
        .map_err(StoreError::table(CONTEXT, "heights"))?;
    if let Some(wanted) = policy.floor_after(height) {
        // Never above the last height, never below what is stored (a restored store starts at
        // its snapshot height).
        let first = heights
            .first()
            .map_err(StoreError::storage(CONTEXT))?
            .map_or(height, |(h, _)| h.value());
        let wanted = wanted.clamp(first, height);
        if floor.is_none_or(|f| wanted > f) {
            meta.insert(META_PRUNE_FLOOR, wanted.to_be_bytes().as_slice())
                .map_err(StoreError::storage(CONTEXT))?;
            floor = Some(wanted);
        }
    }
    drop(meta);
    let Some(floor_height) = floor else {
        return Ok(PruneOutcome::default());
    };
    let floor_version = match heights
        .get(floor_height)
        .map_err(StoreError::storage(CONTEXT))?
    {
        Some(row) => {
            let bytes = row.value();
            decode_u64("height row version", bytes.get(..8).unwrap_or_default())?
        }
        None => {
            return Err(StoreError::Corrupt(format!(
                "prune floor {floor_height} has no height row"
            )))
        }
    };

    let mut budget = ROWS_PER_COMMIT;
    let mut rows = 0u64;
    rows += prune_heights(&mut heights, floor_height, &mut budget)?;
    drop(heights);
    rows += prune_stale_nodes(txn, floor_version, &mut budget)?;
    rows += prune_superseded_writes(txn, floor_version, &mut budget)?;
    Ok(PruneOutcome {
        floor: Some(floor_height),
        rows,
    })
}

/// Deletes `heights` rows below the floor.
fn prune_heights(
    heights: &mut Table<u64, &[u8]>,
    floor: u64,
    budget: &mut u64,
) -> Result<u64, StoreError> {
    let mut rows = 0;
    while *budget > 0 {
        let first = heights
            .first()
            .map_err(StoreError::storage("pruning heights"))?
            .map(|(h, _)| h.value());
        match first {
            Some(h) if h < floor => {
                heights
                    .remove(h)
                    .map_err(StoreError::storage("pruning heights"))?;
                *budget -= 1;
                rows += 1;
            }
            _ => break,
        }
    }
    Ok(rows)
}

/// Deletes jmt nodes stale since a version at or below `floor_version` (no tree from the
/// floor on points at them) with their `jmt_stale` rows.
fn prune_stale_nodes(
    txn: &WriteTransaction,
    floor_version: u64,
    budget: &mut u64,
) -> Result<u64, StoreError> {
    const CONTEXT: &str = "pruning jmt nodes";
    let mut stale = txn
        .open_table(JMT_STALE)
        .map_err(StoreError::table(CONTEXT, "jmt_stale"))?;
    let mut nodes = txn
        .open_table(JMT_NODES)
        .map_err(StoreError::table(CONTEXT, "jmt_nodes"))?;
    let end = floor_version.saturating_add(1).to_be_bytes();
    let batch: Vec<Vec<u8>> = stale
        .range::<&[u8]>(..end.as_slice())
        .map_err(StoreError::storage(CONTEXT))?
        .take(usize::try_from(*budget / 2).unwrap_or(usize::MAX))
        .map(|row| row.map(|(k, _)| k.value().to_vec()))
        .collect::<Result<_, _>>()
        .map_err(StoreError::storage(CONTEXT))?;
    let mut rows = 0;
    for key in batch {
        // Row: stale-since version (8) ‖ borsh(NodeKey), the same encoding `jmt_nodes` uses.
        let node_key = key.get(8..).unwrap_or_default();
        if nodes
            .remove(node_key)
            .map_err(StoreError::storage(CONTEXT))?
            .is_some()
        {
            rows += 1;
        }
        stale
            .remove(key.as_slice())
            .map_err(StoreError::storage(CONTEXT))?;
        rows += 1;
        *budget = budget.saturating_sub(2);
    }
    Ok(rows)
}

/// For each key written at a version `w ≤ floor_version`: deletes its `kv_history` and
/// `jmt_values` rows older than `w`, and the rows at `w` when `w` deleted the key (with the
/// key's preimage when nothing newer mentions the key); then the `kv_writes` row.
fn prune_superseded_writes(
    txn: &WriteTransaction,
    floor_version: u64,
    budget: &mut u64,
) -> Result<u64, StoreError> {
    const CONTEXT: &str = "pruning superseded writes";
    let mut writes = txn
        .open_table(KV_WRITES)
        .map_err(StoreError::table(CONTEXT, "kv_writes"))?;
    let mut history = txn
        .open_table(KV_HISTORY)
        .map_err(StoreError::table(CONTEXT, "kv_history"))?;
    let mut values = txn
        .open_table(JMT_VALUES)
        .map_err(StoreError::table(CONTEXT, "jmt_values"))?;
    let mut preimages = txn
        .open_table(JMT_PREIMAGES)
        .map_err(StoreError::table(CONTEXT, "jmt_preimages"))?;
    let kv = txn
        .open_table(KV)
        .map_err(StoreError::table(CONTEXT, "kv"))?;
    let end = floor_version.saturating_add(1).to_be_bytes();
    let mut rows = 0u64;
    while *budget > 0 {
        let next = writes
            .range::<&[u8]>(..end.as_slice())
            .map_err(StoreError::storage(CONTEXT))?
            .next()
            .transpose()
            .map_err(StoreError::storage(CONTEXT))?
            .map(|(k, _)| k.value().to_vec());
        let Some(row) = next else { break };
        let (version, key) = row
            .split_first_chunk::<8>()
            .ok_or_else(|| StoreError::Corrupt("kv_writes row is too short".into()))?;
        let version = u64::from_be_bytes(*version);
        let key_hash = KeyHash::with::<Sha256>(key);
        let before = rows;

        // kv_history: (key, v) for v < version.
        let older: Vec<u64> = history
            .range((key, 0u64)..(key, version))
            .map_err(StoreError::storage(CONTEXT))?
            .map(|r| r.map(|(k, _)| k.value().1))
            .collect::<Result<_, _>>()
            .map_err(StoreError::storage(CONTEXT))?;
        for v in &older {
            history
                .remove((key, *v))
                .map_err(StoreError::storage(CONTEXT))?;
        }
        rows += older.len() as u64;

        // jmt_values: key hash ‖ v for v < version.
        let lo = value_row_key(key_hash, 0);
        let hi = value_row_key(key_hash, version);
        let older_values: Vec<Vec<u8>> = values
            .range::<&[u8]>(lo.as_slice()..hi.as_slice())
            .map_err(StoreError::storage(CONTEXT))?
            .map(|r| r.map(|(k, _)| k.value().to_vec()))
            .collect::<Result<_, _>>()
            .map_err(StoreError::storage(CONTEXT))?;
        for k in &older_values {
            values
                .remove(k.as_slice())
                .map_err(StoreError::storage(CONTEXT))?;
        }
        rows += older_values.len() as u64;

        // A delete at `version` leaves nothing the floor needs: drop its rows too.
        let deleted_here = history
            .get((key, version))
            .map_err(StoreError::storage(CONTEXT))?
            .is_some_and(|v| v.value() == [0u8].as_slice());
        if deleted_here {
            history
                .remove((key, version))
                .map_err(StoreError::storage(CONTEXT))?;
            values
                .remove(hi.as_slice())
                .map_err(StoreError::storage(CONTEXT))?;
            rows += 2;
            let mentioned_later = history
                .range((key, version.saturating_add(1))..=(key, u64::MAX))
                .map_err(StoreError::storage(CONTEXT))?
                .next()
                .is_some();
            let present = kv.get(key).map_err(StoreError::storage(CONTEXT))?.is_some();
            if !mentioned_later && !present {
                preimages
                    .remove(key_hash.0.as_slice())
                    .map_err(StoreError::storage(CONTEXT))?;
                rows += 1;
            }
        }

        writes
            .remove(row.as_slice())
            .map_err(StoreError::storage(CONTEXT))?;
        rows += 1;
        *budget = budget.saturating_sub(rows - before);
    }
    Ok(rows)
}
