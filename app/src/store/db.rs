//! `Store`: the redb database, the Jellyfish Merkle Tree over it, commit and proven queries.

use std::path::Path;
use std::sync::Mutex;

use jmt::storage::TreeUpdateBatch;
use jmt::{KeyHash, Sha256Jmt};
use redb::{Database, ReadableDatabase, ReadableTable};
use sha2::Sha256;

use super::committed::CommittedView;
use super::error::StoreError;
use super::historical::HistoricalView;
use super::tables::{
    decode_u64, encode_value, value_row_key, JmtReader, HEIGHTS, JMT_NODES, JMT_PREIMAGES,
    JMT_STALE, JMT_VALUES, KV, KV_HISTORY, META, META_APP_HASH, META_HEIGHT, META_HISTORY_FROM,
    META_VERSION,
};
use bls_core::changeset::ChangeSet;

/// Root hash of an empty jmt (jmt's `SPARSE_MERKLE_PLACEHOLDER_HASH`, private in jmt).
pub const EMPTY_TREE_ROOT: [u8; 32] = *b"SPARSE_MERKLE_PLACEHOLDER_HASH__";

/// The chain's state store: owns the redb database.
pub struct Store {
    db: Database,
    last_height: u64,
    /// jmt version of the last commit; `None` before the first commit. Versions count commits
    /// (0, 1, 2, ...) rather than heights, because jmt needs the root of `version - 1` to exist
    /// and the first CometBFT height is `initial_height`, not 0.
    last_version: Option<u64>,
    app_hash: Vec<u8>,
    /// First height whose whole state `kv_history` holds (`None` before the first commit).
    /// Module queries can read any height from here to `last_height`.
    history_from: Option<u64>,
    /// Set by a failed read through a view; once set, `commit` refuses (sticky: a disk that
    /// failed a read is not trusted again without a restart).
    fault: Mutex<Option<String>>,
}

/// Answer of [`Store::query`].
#[derive(Clone, Debug, PartialEq)]
pub struct QueryResult {
    /// Height of the state answered (the last committed height; 0 when empty).
    pub height: u64,
    /// Value at `key`, `None` when absent.
    pub value: Option<Vec<u8>>,
    /// ics23 existence (value present) or non-existence proof against the app hash at
    /// `height`; `None` when not asked for, when nothing is committed yet, or when the tree is
    /// empty (its root is [`EMPTY_TREE_ROOT`]; ics23 has no proof of absence there).
    pub proof: Option<ics23::CommitmentProof>,
}

/// A block's writes with the tree update computed, ready to be written by
/// [`Store::commit_prepared`]. Lets FinalizeBlock return the app hash and Commit persist it
/// without recomputing the tree.
pub struct PreparedCommit {
    height: u64,
    version: u64,
    base_version: Option<u64>,
    changes: ChangeSet,
    app_hash: [u8; 32],
    batch: TreeUpdateBatch,
}

impl PreparedCommit {
    /// The app hash the store will have after this commit.
    pub fn app_hash(&self) -> Vec<u8> {
        self.app_hash.to_vec()
    }

    /// The height this commit is for.
    pub fn height(&self) -> u64 {
        self.height
    }

    /// The block's writes (to serve reads of the pending state before Commit).
    pub fn changes(&self) -> &ChangeSet {
        &self.changes
    }
}

impl Store {
    /// Opens the database at `path`, creating it (and its tables) when missing.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let db = Database::create(path).map_err(|source| StoreError::Open {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_database(db)
    }

    /// A store kept in memory only (tests, simulations).
    pub fn open_in_memory() -> Result<Store, StoreError> {
        Self::open_with_backend(redb::backends::InMemoryBackend::new())
    }

    /// A store over a custom redb storage backend (fault injection in tests, other media).
    pub fn open_with_backend(backend: impl redb::StorageBackend) -> Result<Store, StoreError> {
        Self::open_with_builder(&redb::Builder::new(), backend)
    }

    /// Like [`Store::open_with_backend`] with redb settings (e.g. `set_cache_size`).
    pub fn open_with_builder(
        builder: &redb::Builder,
        backend: impl redb::StorageBackend,
    ) -> Result<Store, StoreError> {
        let db = builder
            .create_with_backend(backend)
            .map_err(|source| StoreError::Open {
                path: "<custom backend>".into(),
                source,
            })?;
        Self::from_database(db)
    }

    fn from_database(db: Database) -> Result<Store, StoreError> {
        // Create every table up front so read transactions can always open them.
        let txn = db
            .begin_write()
            .map_err(StoreError::transaction("creating tables"))?;
        for (name, def) in [
            ("kv", KV),
            ("jmt_nodes", JMT_NODES),
            ("jmt_values", JMT_VALUES),
            ("jmt_preimages", JMT_PREIMAGES),
            ("jmt_stale", JMT_STALE),
        ] {
            txn.open_table(def)
                .map_err(StoreError::table("creating tables", name))?;
        }
        txn.open_table(META)
            .map_err(StoreError::table("creating tables", "meta"))?;
        txn.open_table(HEIGHTS)
            .map_err(StoreError::table("creating tables", "heights"))?;
        txn.open_table(KV_HISTORY)
            .map_err(StoreError::table("creating tables", "kv_history"))?;
        txn.commit()
            .map_err(|source| StoreError::Commit { height: 0, source })?;

        let read = db
            .begin_read()
            .map_err(StoreError::transaction("loading meta"))?;
        let meta = read
            .open_table(META)
            .map_err(StoreError::table("loading meta", "meta"))?;
        let field = |name: &'static str| -> Result<Option<Vec<u8>>, StoreError> {
            Ok(meta
                .get(name)
                .map_err(StoreError::storage("loading meta"))?
                .map(|v| v.value().to_vec()))
        };
        let last_height = match field(META_HEIGHT)? {
            Some(b) => decode_u64(META_HEIGHT, &b)?,
            None => 0,
        };
        let last_version = match field(META_VERSION)? {
            Some(b) => Some(decode_u64(META_VERSION, &b)?),
            None => None,
        };
        let app_hash = field(META_APP_HASH)?.unwrap_or_default();
        let history_from = match field(META_HISTORY_FROM)? {
            Some(b) => Some(decode_u64(META_HISTORY_FROM, &b)?),
            None => None,
        };
        if last_version.is_some() != (last_height > 0) || app_hash.len() != 32 && last_height > 0 {
            return Err(StoreError::Corrupt(
                "meta height, version and app hash disagree".into(),
            ));
        }
        drop(meta);
        drop(read);
        let history_from = match (last_version, history_from) {
            // A database from before `kv_history` existed: its history starts now.
            (Some(version), None) => Some(backfill_history(&db, last_height, version)?),
            (_, h) => h,
        };
        Ok(Store {
            db,
            last_height,
            last_version,
            app_hash,
            history_from,
            fault: Mutex::new(None),
        })
    }

    /// Last committed height; 0 when nothing is committed.
    pub fn last_height(&self) -> u64 {
        self.last_height
    }

    /// Merkle root at the last committed height; empty when nothing is committed (what
    /// CometBFT expects from `Info` before InitChain).
    pub fn app_hash(&self) -> Vec<u8> {
        self.app_hash.clone()
    }

    /// `Err(Faulted)` once a read through a view has failed.
    pub fn health(&self) -> Result<(), StoreError> {
        match self.fault.lock() {
            Ok(slot) => match slot.as_ref() {
                Some(msg) => Err(StoreError::Faulted(msg.clone())),
                None => Ok(()),
            },
            // A panic while holding the lock: treat the store as faulted too.
            Err(_) => Err(StoreError::Faulted("fault lock poisoned".into())),
        }
    }

    pub(crate) fn poison(&self, err: &StoreError) {
        if let Ok(mut slot) = self.fault.lock() {
            if slot.is_none() {
                *slot = Some(err.to_string());
            }
        }
    }

    /// Read-only `Storage` over the last committed state.
    pub fn snapshot(&self) -> Result<CommittedView<'_>, StoreError> {
        let txn = self
            .db
            .begin_read()
            .map_err(StoreError::transaction("snapshot"))?;
        let kv = txn
            .open_table(KV)
            .map_err(StoreError::table("snapshot", "kv"))?;
        Ok(CommittedView::new(self, kv))
    }

    /// The app hash committed state + `changes` would have, without writing anything
    /// (InitChain returns this for the genesis writes).
    pub fn preview_app_hash(&self, changes: &ChangeSet) -> Result<Vec<u8>, StoreError> {
        self.health()?;
        let (_, root, _) = self.compute_tree(changes)?;
        Ok(root.to_vec())
    }

    /// Computes the tree update for `changes` at `height`; write it with
    /// [`Store::commit_prepared`].
    pub fn prepare(&self, height: u64, changes: ChangeSet) -> Result<PreparedCommit, StoreError> {
        self.health()?;
        let follows = if self.last_version.is_none() {
            height > self.last_height
        } else {
            self.last_height.checked_add(1) == Some(height)
        };
        if !follows {
            return Err(StoreError::HeightMismatch {
                last: self.last_height,
                got: height,
            });
        }
        let (version, app_hash, batch) = self.compute_tree(&changes)?;
        Ok(PreparedCommit {
            height,
            version,
            base_version: self.last_version,
            changes,
            app_hash,
            batch,
        })
    }

    fn compute_tree(
        &self,
        changes: &ChangeSet,
    ) -> Result<(u64, [u8; 32], TreeUpdateBatch), StoreError> {
        const CONTEXT: &str = "computing tree update";
        let version = match self.last_version {
            None => 0,
            Some(v) => v.checked_add(1).ok_or_else(|| StoreError::Tree {
                context: CONTEXT,
                message: "version overflow".into(),
            })?,
        };
        let txn = self
            .db
            .begin_read()
            .map_err(StoreError::transaction(CONTEXT))?;
        let reader = JmtReader::new(&txn, CONTEXT)?;
        let tree = Sha256Jmt::new(&reader);
        let value_set = changes
            .iter()
            .map(|(k, v)| (KeyHash::with::<Sha256>(k), v.map(<[u8]>::to_vec)));
        let (root, batch) = tree
            .put_value_set(value_set, version)
            .map_err(StoreError::tree(CONTEXT))?;
        Ok((version, root.0, batch))
    }

    /// Writes `changes` as `height` in one redb transaction and returns the new app hash.
    pub fn commit(&mut self, height: u64, changes: ChangeSet) -> Result<Vec<u8>, StoreError> {
        let prepared = self.prepare(height, changes)?;
        self.commit_prepared(prepared)
    }

    /// Writes a prepared commit: KV diff, tree nodes and values, key preimages, stale-node
    /// index, the meta row and the height row, all in one redb write transaction. On any error
    /// nothing is written and the store keeps its previous state.
    pub fn commit_prepared(&mut self, prepared: PreparedCommit) -> Result<Vec<u8>, StoreError> {
        self.health()?;
        if prepared.base_version != self.last_version {
            return Err(StoreError::StalePrepared {
                height: prepared.height,
            });
        }
        const CONTEXT: &str = "commit";
        let height = prepared.height;
        let txn = self
            .db
            .begin_write()
            .map_err(StoreError::transaction(CONTEXT))?;
        {
            let mut kv = txn
                .open_table(KV)
                .map_err(StoreError::table(CONTEXT, "kv"))?;
            let mut preimages = txn
                .open_table(JMT_PREIMAGES)
                .map_err(StoreError::table(CONTEXT, "jmt_preimages"))?;
            let mut history = txn
                .open_table(KV_HISTORY)
                .map_err(StoreError::table(CONTEXT, "kv_history"))?;
            for (key, value) in prepared.changes.iter() {
                history
                    .insert((key, prepared.version), encode_value(value).as_slice())
                    .map_err(StoreError::storage("commit kv history"))?;
                match value {
                    Some(value) => {
                        kv.insert(key, value)
                            .map_err(StoreError::storage("commit kv insert"))?;
                        let key_hash = KeyHash::with::<Sha256>(key);
                        preimages
                            .insert(key_hash.0.as_slice(), key)
                            .map_err(StoreError::storage("commit preimage"))?;
                    }
                    None => {
                        kv.remove(key)
                            .map_err(StoreError::storage("commit kv remove"))?;
                    }
                }
            }

            let mut nodes = txn
                .open_table(JMT_NODES)
                .map_err(StoreError::table(CONTEXT, "jmt_nodes"))?;
            for (node_key, node) in prepared.batch.node_batch.nodes() {
                let k = borsh::to_vec(node_key)
                    .map_err(|e| StoreError::Corrupt(format!("encoding node key: {e}")))?;
                let v = borsh::to_vec(node)
                    .map_err(|e| StoreError::Corrupt(format!("encoding node: {e}")))?;
                nodes
                    .insert(k.as_slice(), v.as_slice())
                    .map_err(StoreError::storage("commit jmt node"))?;
            }

            let mut values = txn
                .open_table(JMT_VALUES)
                .map_err(StoreError::table(CONTEXT, "jmt_values"))?;
            for ((version, key_hash), value) in prepared.batch.node_batch.values() {
                let k = value_row_key(*key_hash, *version);
                let v = encode_value(value.as_deref());
                values
                    .insert(k.as_slice(), v.as_slice())
                    .map_err(StoreError::storage("commit jmt value"))?;
            }

            let mut stale = txn
                .open_table(JMT_STALE)
                .map_err(StoreError::table(CONTEXT, "jmt_stale"))?;
            for index in &prepared.batch.stale_node_index_batch {
                let mut k = index.stale_since_version.to_be_bytes().to_vec();
                borsh::to_writer(&mut k, &index.node_key)
                    .map_err(|e| StoreError::Corrupt(format!("encoding stale index: {e}")))?;
                stale
                    .insert(k.as_slice(), [].as_slice())
                    .map_err(StoreError::storage("commit stale index"))?;
            }

            let mut meta = txn
                .open_table(META)
                .map_err(StoreError::table(CONTEXT, "meta"))?;
            meta.insert(META_HEIGHT, height.to_be_bytes().as_slice())
                .map_err(StoreError::storage("commit meta"))?;
            meta.insert(META_VERSION, prepared.version.to_be_bytes().as_slice())
                .map_err(StoreError::storage("commit meta"))?;
            meta.insert(META_APP_HASH, prepared.app_hash.as_slice())
                .map_err(StoreError::storage("commit meta"))?;
            if self.history_from.is_none() {
                // The first commit writes every key it holds: history is complete from here.
                meta.insert(META_HISTORY_FROM, height.to_be_bytes().as_slice())
                    .map_err(StoreError::storage("commit meta"))?;
            }

            let mut heights = txn
                .open_table(HEIGHTS)
                .map_err(StoreError::table(CONTEXT, "heights"))?;
            let mut row = prepared.version.to_be_bytes().to_vec();
            row.extend_from_slice(&prepared.app_hash);
            heights
                .insert(height, row.as_slice())
                .map_err(StoreError::storage("commit height row"))?;
        }
        txn.commit()
            .map_err(|source| StoreError::Commit { height, source })?;

        self.last_height = height;
        self.last_version = Some(prepared.version);
        self.app_hash = prepared.app_hash.to_vec();
        self.history_from.get_or_insert(height);
        Ok(self.app_hash.clone())
    }

    /// First height whose whole state module queries can read through
    /// [`Store::snapshot_at`] (`None` before the first commit). A database created before the
    /// history table existed starts its history at the height it had when first reopened.
    pub fn history_from(&self) -> Option<u64> {
        self.history_from
    }

    /// The lowest committed height whose tree this store holds (0 when nothing is committed):
    /// [`Store::query_at`] answers from here to [`Store::last_height`].
    pub fn first_height(&self) -> Result<u64, StoreError> {
        const CONTEXT: &str = "first height";
        let txn = self
            .db
            .begin_read()
            .map_err(StoreError::transaction(CONTEXT))?;
        let heights = txn
            .open_table(HEIGHTS)
            .map_err(StoreError::table(CONTEXT, "heights"))?;
        let first = heights
            .first()
            .map_err(StoreError::storage(CONTEXT))?
            .map_or(0, |(h, _)| h.value());
        Ok(first)
    }

    /// The jmt version and app hash committed at `height`, within `txn`.
    fn height_row(
        &self,
        txn: &redb::ReadTransaction,
        height: u64,
        context: &'static str,
    ) -> Result<(u64, [u8; 32]), StoreError> {
        if height > self.last_height {
            return Err(StoreError::FutureHeight {
                height,
                last: self.last_height,
            });
        }
        let heights = txn
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
                last: self.last_height,
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

    /// The app hash committed at `height` (what CometBFT's block `height + 1` header carries).
    pub fn app_hash_at(&self, height: u64) -> Result<Vec<u8>, StoreError> {
        let txn = self
            .db
            .begin_read()
            .map_err(StoreError::transaction("app hash at height"))?;
        Ok(self
            .height_row(&txn, height, "app hash at height")?
            .1
            .to_vec())
    }

    /// Read-only `Storage` over the state committed at `height` (module queries at a past
    /// height). Errors: [`StoreError::FutureHeight`] above the last height,
    /// [`StoreError::HeightNotStored`] below [`Store::history_from`] (or 0).
    pub fn snapshot_at(&self, height: u64) -> Result<HistoricalView<'_>, StoreError> {
        const CONTEXT: &str = "snapshot at height";
        if height > self.last_height {
            return Err(StoreError::FutureHeight {
                height,
                last: self.last_height,
            });
        }
        let first = self.history_from.unwrap_or(0);
        if height == 0 || height < first {
            return Err(StoreError::HeightNotStored {
                height,
                first,
                last: self.last_height,
            });
        }
        let txn = self
            .db
            .begin_read()
            .map_err(StoreError::transaction(CONTEXT))?;
        let (version, _) = self.height_row(&txn, height, CONTEXT)?;
        let history = txn
            .open_table(KV_HISTORY)
            .map_err(StoreError::table(CONTEXT, "kv_history"))?;
        Ok(HistoricalView::new(self, history, height, version))
    }

    /// Like [`Store::query`] at `height` (0 = the last height): the value at `key` in the state
    /// committed at `height` and, with `prove`, an ics23 proof against that height's app hash
    /// ([`Store::app_hash_at`]). Every committed height is answerable (the tree keeps every
    /// version); errors: [`StoreError::FutureHeight`], [`StoreError::HeightNotStored`].
    pub fn query_at(
        &self,
        key: &[u8],
        prove: bool,
        height: u64,
    ) -> Result<QueryResult, StoreError> {
        const CONTEXT: &str = "query at height";
        if height == 0 || height == self.last_height {
            return self.query(key, prove);
        }
        let txn = self
            .db
            .begin_read()
            .map_err(StoreError::transaction(CONTEXT))?;
        let (version, app_hash) = self.height_row(&txn, height, CONTEXT)?;
        let reader = JmtReader::new(&txn, CONTEXT)?;
        let tree = Sha256Jmt::new(&reader);
        if !prove {
            let value = tree
                .get(KeyHash::with::<Sha256>(key), version)
                .map_err(StoreError::tree(CONTEXT))?;
            return Ok(QueryResult {
                height,
                value,
                proof: None,
            });
        }
        if app_hash == EMPTY_TREE_ROOT {
            // As in `query`: nothing to prove absence against in an empty tree.
            return Ok(QueryResult {
                height,
                value: None,
                proof: None,
            });
        }
        let (value, proof) = tree
            .get_with_ics23_proof(key.to_vec(), version)
            .map_err(StoreError::tree(CONTEXT))?;
        Ok(QueryResult {
            height,
            value,
            proof: Some(proof),
        })
    }

    /// Value at `key` in the last committed state; with `prove`, an ics23 proof of it (or of
    /// its absence) against [`Store::app_hash`]. Before the first commit: no value, no proof.
    pub fn query(&self, key: &[u8], prove: bool) -> Result<QueryResult, StoreError> {
        const CONTEXT: &str = "query";
        let txn = self
            .db
            .begin_read()
            .map_err(StoreError::transaction(CONTEXT))?;
        let Some(version) = self.last_version else {
            return Ok(QueryResult {
                height: 0,
                value: None,
                proof: None,
            });
        };
        if !prove {
            let kv = txn
                .open_table(KV)
                .map_err(StoreError::table(CONTEXT, "kv"))?;
            let value = kv
                .get(key)
                .map_err(StoreError::storage(CONTEXT))?
                .map(|v| v.value().to_vec());
            return Ok(QueryResult {
                height: self.last_height,
                value,
                proof: None,
            });
        }
        if self.app_hash == EMPTY_TREE_ROOT {
            // ics23 cannot express absence in an empty tree (no neighbour to point at); the
            // root itself, a well-known constant, shows there is nothing.
            return Ok(QueryResult {
                height: self.last_height,
                value: None,
                proof: None,
            });
        }
        let reader = JmtReader::new(&txn, CONTEXT)?;
        let tree = Sha256Jmt::new(&reader);
        let (value, proof) = tree
            .get_with_ics23_proof(key.to_vec(), version)
            .map_err(StoreError::tree(CONTEXT))?;
        Ok(QueryResult {
            height: self.last_height,
            value,
            proof: Some(proof),
        })
    }
}

/// Copies the current KV state into `kv_history` at `version` and records `height` as the
/// start of the history: a database written before the history table existed can answer
/// module queries from its current height on (older heights keep only the tree: proven
/// `/store/key` reads).
fn backfill_history(db: &Database, height: u64, version: u64) -> Result<u64, StoreError> {
    const CONTEXT: &str = "backfilling kv history";
    let txn = db.begin_write().map_err(StoreError::transaction(CONTEXT))?;
    {
        let kv = txn
            .open_table(KV)
            .map_err(StoreError::table(CONTEXT, "kv"))?;
        let mut history = txn
            .open_table(KV_HISTORY)
            .map_err(StoreError::table(CONTEXT, "kv_history"))?;
        for row in kv.iter().map_err(StoreError::storage(CONTEXT))? {
            let (k, v) = row.map_err(StoreError::storage(CONTEXT))?;
            history
                .insert(
                    (k.value(), version),
                    encode_value(Some(v.value())).as_slice(),
                )
                .map_err(StoreError::storage(CONTEXT))?;
        }
        let mut meta = txn
            .open_table(META)
            .map_err(StoreError::table(CONTEXT, "meta"))?;
        meta.insert(META_HISTORY_FROM, height.to_be_bytes().as_slice())
            .map_err(StoreError::storage(CONTEXT))?;
    }
    txn.commit()
        .map_err(|source| StoreError::Commit { height, source })?;
    tracing::info!(height, "kv history started (database predates it)");
    Ok(height)
}
