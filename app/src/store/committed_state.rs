//! `CommittedState`: one consistent read of the last commit (a redb read transaction and the
//! `meta` row it sees). Query threads answer from it while the consensus thread commits.

use jmt::{KeyHash, Sha256Jmt};
use redb::{ReadTransaction, ReadableTable};
use sha2::Sha256;

use super::committed::CommittedView;
use super::db::{CommitMeta, QueryResult, Store, EMPTY_TREE_ROOT};
use super::error::StoreError;
use super::historical::HistoricalView;
use super::tables::{JmtReader, BYTES_TABLES, HEIGHTS, KV, KV_HISTORY};

/// The state of one commit, read consistently: every view, value and proof taken from it
/// belongs to [`CommittedState::height`], even if the store commits newer heights meanwhile
/// (redb keeps a read transaction's pages until it ends).
pub struct CommittedState<'s> {
    store: &'s Store,
    txn: ReadTransaction,
    meta: CommitMeta,
}

impl<'s> CommittedState<'s> {
    pub(crate) fn new(store: &'s Store, txn: ReadTransaction, meta: CommitMeta) -> Self {
        CommittedState { store, txn, meta }
    }

    /// The height of this state (0 when nothing is committed).
    pub fn height(&self) -> u64 {
        self.meta.height
    }

    /// The app hash of this state (empty when nothing is committed).
    pub fn app_hash(&self) -> &[u8] {
        &self.meta.app_hash
    }

    /// First height whose whole state module queries can read ([`CommittedState::view_at`]).
    pub fn history_from(&self) -> Option<u64> {
        self.meta.readable_history_from()
    }

    /// `Err(HeightPruned)` when pruning has forgotten `height`.
    fn check_not_pruned(&self, height: u64) -> Result<(), StoreError> {
        match self.meta.prune_floor {
            Some(first) if height < first => Err(StoreError::HeightPruned {
                height,
                first,
                last: self.meta.height,
            }),
            _ => Ok(()),
        }
    }

    /// Read-only `Storage` over this state.
    pub fn view(&self) -> Result<CommittedView<'s>, StoreError> {
        let kv = self
            .txn
            .open_table(KV)
            .map_err(StoreError::table("snapshot", "kv"))?;
        Ok(CommittedView::new(self.store, kv, self.meta.height))
    }

    /// The lowest committed height whose tree is held (0 when nothing is committed).
    pub fn first_height(&self) -> Result<u64, StoreError> {
        const CONTEXT: &str = "first height";
        let heights = self
            .txn
            .open_table(HEIGHTS)
            .map_err(StoreError::table(CONTEXT, "heights"))?;
        let first = heights
            .first()
            .map_err(StoreError::storage(CONTEXT))?
            .map_or(0, |(h, _)| h.value());
        Ok(first.max(self.meta.prune_floor.unwrap_or(0)))
    }

    /// Rows in each table of the store (what pruning keeps flat; `/metrics` reports them as
    /// `blsd_store_rows{table}`). Counting is O(1) per table.
    pub fn table_rows(&self) -> Result<Vec<(&'static str, u64)>, StoreError> {
        use redb::ReadableTableMetadata as _;
        const CONTEXT: &str = "counting rows";
        let mut out = Vec::new();
        for (name, def) in BYTES_TABLES {
            let t = self
                .txn
                .open_table(def)
                .map_err(StoreError::table(CONTEXT, name))?;
            out.push((name, t.len().map_err(StoreError::storage(CONTEXT))?));
        }
        let history = self
            .txn
            .open_table(KV_HISTORY)
            .map_err(StoreError::table(CONTEXT, "kv_history"))?;
        out.push((
            "kv_history",
            history.len().map_err(StoreError::storage(CONTEXT))?,
        ));
        let heights = self
            .txn
            .open_table(HEIGHTS)
            .map_err(StoreError::table(CONTEXT, "heights"))?;
        out.push((
            "heights",
            heights.len().map_err(StoreError::storage(CONTEXT))?,
        ));
        Ok(out)
    }

    /// The jmt version and app hash committed at `height`.
    fn height_row(
        &self,
        height: u64,
        context: &'static str,
    ) -> Result<(u64, [u8; 32]), StoreError> {
        let last = self.meta.height;
        if height > last {
            return Err(StoreError::FutureHeight { height, last });
        }
        self.check_not_pruned(height)?;
        let heights = self
            .txn
            .open_table(HEIGHTS)
            .map_err(StoreError::table(context, "heights"))?;
        let row = heights
            .get(height)
            .map_err(StoreError::storage(context))?
            .map(|r| r.value().to_vec());
        let Some(row) = row else {
            let first = heights
                .first()
                .map_err(StoreError::storage(context))?
                .map_or(0, |(h, _)| h.value());
            return Err(StoreError::HeightNotStored {
                height,
                first,
                last,
            });
        };
        let (version, hash) = row
            .split_first_chunk::<8>()
            .ok_or_else(|| StoreError::Corrupt(format!("height row {height} is too short")))?;
        let hash: [u8; 32] = hash
            .try_into()
            .map_err(|_| StoreError::Corrupt(format!("height row {height} has a bad app hash")))?;
        Ok((u64::from_be_bytes(*version), hash))
    }

    /// The app hash committed at `height`.
    pub fn app_hash_at(&self, height: u64) -> Result<Vec<u8>, StoreError> {
        Ok(self.height_row(height, "app hash at height")?.1.to_vec())
    }

    /// Read-only `Storage` over the state committed at `height` (≤ this state's height).
    /// Errors: [`StoreError::FutureHeight`] above it, [`StoreError::HeightNotStored`] below
    /// [`CommittedState::history_from`] (or 0).
    pub fn view_at(&self, height: u64) -> Result<HistoricalView<'s>, StoreError> {
        const CONTEXT: &str = "snapshot at height";
        let last = self.meta.height;
        if height > last {
            return Err(StoreError::FutureHeight { height, last });
        }
        self.check_not_pruned(height)?;
        let first = self.history_from().unwrap_or(0);
        if height == 0 || height < first {
            return Err(StoreError::HeightNotStored {
                height,
                first,
                last,
            });
        }
        let (version, _) = self.height_row(height, CONTEXT)?;
        let history = self
            .txn
            .open_table(KV_HISTORY)
            .map_err(StoreError::table(CONTEXT, "kv_history"))?;
        Ok(HistoricalView::new(self.store, history, height, version))
    }

    /// The value at `key` at `height` (0 = this state's height) and, with `prove`, an ics23
    /// proof against that height's app hash. Errors: [`StoreError::FutureHeight`],
    /// [`StoreError::HeightNotStored`].
    pub fn query_at(
        &self,
        key: &[u8],
        prove: bool,
        height: u64,
    ) -> Result<QueryResult, StoreError> {
        const CONTEXT: &str = "query at height";
        if height == 0 || height == self.meta.height {
            return self.query(key, prove);
        }
        let (version, app_hash) = self.height_row(height, CONTEXT)?;
        self.tree_read(key, prove, height, version, &app_hash, CONTEXT)
    }

    /// The value at `key` in this state; with `prove`, an ics23 proof of it (or of its
    /// absence) against [`CommittedState::app_hash`]. Before the first commit: no value, no
    /// proof.
    pub fn query(&self, key: &[u8], prove: bool) -> Result<QueryResult, StoreError> {
        const CONTEXT: &str = "query";
        let height = self.meta.height;
        let Some(version) = self.meta.version else {
            return Ok(QueryResult {
                height: 0,
                value: None,
                proof: None,
            });
        };
        if !prove {
            let kv = self
                .txn
                .open_table(KV)
                .map_err(StoreError::table(CONTEXT, "kv"))?;
            let value = kv
                .get(key)
                .map_err(StoreError::storage(CONTEXT))?
                .map(|v| v.value().to_vec());
            return Ok(QueryResult {
                height,
                value,
                proof: None,
            });
        }
        self.tree_read(key, prove, height, version, &self.meta.app_hash, CONTEXT)
    }

    /// A read of the tree at `version` (the state of `height`, whose root is `app_hash`).
    fn tree_read(
        &self,
        key: &[u8],
        prove: bool,
        height: u64,
        version: u64,
        app_hash: &[u8],
        context: &'static str,
    ) -> Result<QueryResult, StoreError> {
        let reader = JmtReader::new(&self.txn, context)?;
        let tree = Sha256Jmt::new(&reader);
        if !prove {
            let value = tree
                .get(KeyHash::with::<Sha256>(key), version)
                .map_err(StoreError::tree(context))?;
            return Ok(QueryResult {
                height,
                value,
                proof: None,
            });
        }
        if app_hash == EMPTY_TREE_ROOT {
            // ics23 cannot express absence in an empty tree (no neighbour to point at); the
            // root itself, a well-known constant, shows there is nothing.
            return Ok(QueryResult {
                height,
                value: None,
                proof: None,
            });
        }
        let (value, proof) = tree
            .get_with_ics23_proof(key.to_vec(), version)
            .map_err(StoreError::tree(context))?;
        Ok(QueryResult {
            height,
            value,
            proof: Some(proof),
        })
    }
}
