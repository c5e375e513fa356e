//! `Store`: the redb database, the Jellyfish Merkle Tree over it, commit and proven queries.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};

use jmt::storage::TreeUpdateBatch;
use jmt::{KeyHash, Sha256Jmt};
use redb::{Database, ReadableDatabase, ReadableTable};
use sha2::Sha256;

use super::committed::CommittedView;
use super::committed_state::CommittedState;
use super::error::StoreError;
use super::historical::HistoricalView;
use super::prune::{self, PruningPolicy};
use super::tables::{
    decode_u64, encode_value, value_row_key, JmtReader, BYTES_TABLES, HEIGHTS, JMT_NODES,
    JMT_PREIMAGES, JMT_STALE, JMT_VALUES, KV, KV_HISTORY, KV_WRITES, META, META_APP_HASH,
    META_HEIGHT, META_HISTORY_FROM, META_PRUNE_FLOOR, META_VERSION,
};
use bls_core::changeset::ChangeSet;

/// Root hash of an empty jmt (jmt's `SPARSE_MERKLE_PLACEHOLDER_HASH`, private in jmt).
pub const EMPTY_TREE_ROOT: [u8; 32] = *b"SPARSE_MERKLE_PLACEHOLDER_HASH__";

/// The chain's state store: owns the redb database. It is shared (`Arc<Store>`) between the
/// consensus thread, which alone prepares and commits, and query threads, which read through
/// [`Store::read`].
pub struct Store {
    db: Database,
    /// The last commit, as the consensus thread knows it (query threads read the `meta` row
    /// of their own read transaction instead, so a commit landing meanwhile cannot mix two
    /// heights into one answer).
    meta: RwLock<CommitMeta>,
    /// Set by a failed read through a view; once set, `commit` refuses (sticky: a disk that
    /// failed a read is not trusted again without a restart).
    fault: Mutex<Option<String>>,
    /// Which past heights to keep (app.toml `pruning`); applied at each commit.
    pruning: Mutex<PruningPolicy>,
    /// Rows pruning has deleted since the store was opened (for `/metrics`).
    pruned_rows: AtomicU64,
}

/// What the `meta` table says about the last commit.
#[derive(Clone, Debug, Default)]
pub(crate) struct CommitMeta {
    /// Last committed height; 0 when nothing is committed.
    pub(crate) height: u64,
    /// jmt version of the last commit; `None` before the first commit. Versions count commits
    /// (0, 1, 2, ...) rather than heights, because jmt needs the root of `version - 1` to exist
    /// and the first CometBFT height is `initial_height`, not 0.
    pub(crate) version: Option<u64>,
    /// App hash of the last commit (empty before the first).
    pub(crate) app_hash: Vec<u8>,
    /// First height whose whole state `kv_history` holds (`None` before the first commit).
    /// Module queries can read any height from here to `height`.
    pub(crate) history_from: Option<u64>,
    /// Lowest height still readable once pruning has run (`None`: nothing pruned).
    pub(crate) prune_floor: Option<u64>,
}

impl CommitMeta {
    /// First height whose whole state module queries can read: where history starts, or the
    /// prune floor if pruning has forgotten more.
    pub(crate) fn readable_history_from(&self) -> Option<u64> {
        match (self.history_from, self.prune_floor) {
            (Some(h), Some(f)) => Some(h.max(f)),
            (h, _) => h,
        }
    }
}

/// One commit's state held open by its own read transaction ([`Store::pin`]).
pub struct PinnedCommit {
    txn: redb::ReadTransaction,
    meta: CommitMeta,
}

impl PinnedCommit {
    /// The height pinned.
    pub fn height(&self) -> u64 {
        self.meta.height
    }

    /// Reads the pinned commit through `store` (the store it was pinned from).
    pub fn attach(self, store: &Store) -> CommittedState<'_> {
        CommittedState::new(store, self.txn, self.meta)
    }
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
        for (name, def) in BYTES_TABLES {
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
        let mut meta = read_meta(&read)?;
        drop(read);
        if let (Some(version), None) = (meta.version, meta.history_from) {
            // A database from before `kv_history` existed: its history starts now.
            meta.history_from = Some(backfill_history(&db, meta.height, version)?);
        }
        Ok(Store {
            db,
            meta: RwLock::new(meta),
            fault: Mutex::new(None),
            pruning: Mutex::new(PruningPolicy::default()),
            pruned_rows: AtomicU64::new(0),
        })
    }

    /// Last committed height; 0 when nothing is committed.
    pub fn last_height(&self) -> u64 {
        self.meta().height
    }

    /// The consensus thread's record of the last commit.
    fn meta(&self) -> CommitMeta {
        match self.meta.read() {
            Ok(m) => m.clone(),
            // Only `commit_prepared` writes it, with nothing that can panic inside.
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Merkle root at the last committed height; empty when nothing is committed (what
    /// CometBFT expects from `Info` before InitChain).
    pub fn app_hash(&self) -> Vec<u8> {
        self.meta().app_hash
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
        self.read()?.view()
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
        let meta = self.meta();
        let follows = if meta.version.is_none() {
            height > meta.height
        } else {
            meta.height.checked_add(1) == Some(height)
        };
        if !follows {
            return Err(StoreError::HeightMismatch {
                last: meta.height,
                got: height,
            });
        }
        let (version, app_hash, batch) = self.compute_tree(&changes)?;
        Ok(PreparedCommit {
            height,
            version,
            base_version: meta.version,
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
        let version = match self.meta().version {
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
    pub fn commit(&self, height: u64, changes: ChangeSet) -> Result<Vec<u8>, StoreError> {
        let prepared = self.prepare(height, changes)?;
        self.commit_prepared(prepared)
    }

    /// Writes a prepared commit: KV diff, tree nodes and values, key preimages, stale-node
    /// index, the meta row and the height row, all in one redb write transaction. On any error
    /// nothing is written and the store keeps its previous state.
    pub fn commit_prepared(&self, prepared: PreparedCommit) -> Result<Vec<u8>, StoreError> {
        self.health()?;
        let before = self.meta();
        if prepared.base_version != before.version {
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
            let mut writes = txn
                .open_table(KV_WRITES)
                .map_err(StoreError::table(CONTEXT, "kv_writes"))?;
            let version_prefix = prepared.version.to_be_bytes();
            for (key, value) in prepared.changes.iter() {
                history
                    .insert((key, prepared.version), encode_value(value).as_slice())
                    .map_err(StoreError::storage("commit kv history"))?;
                let write_row = [version_prefix.as_slice(), key].concat();
                writes
                    .insert(write_row.as_slice(), [].as_slice())
                    .map_err(StoreError::storage("commit kv writes"))?;
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
            if before.history_from.is_none() {
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
        let pruned = prune::after_commit(&txn, self.pruning(), height)?;
        txn.commit()
            .map_err(|source| StoreError::Commit { height, source })?;
        self.pruned_rows.fetch_add(pruned.rows, Ordering::Relaxed);

        let after = CommitMeta {
            height,
            version: Some(prepared.version),
            app_hash: prepared.app_hash.to_vec(),
            history_from: before.history_from.or(Some(height)),
            prune_floor: pruned.floor,
        };
        match self.meta.write() {
            Ok(mut m) => *m = after,
            Err(poisoned) => *poisoned.into_inner() = after,
        }
        Ok(prepared.app_hash.to_vec())
    }

    /// Keeps the past heights `policy` says from the next commit on (app.toml `pruning`).
    pub fn set_pruning(&self, policy: PruningPolicy) {
        match self.pruning.lock() {
            Ok(mut p) => *p = policy,
            Err(poisoned) => *poisoned.into_inner() = policy,
        }
    }

    /// The pruning policy in force.
    pub fn pruning(&self) -> PruningPolicy {
        match self.pruning.lock() {
            Ok(p) => *p,
            Err(poisoned) => *poisoned.into_inner(),
        }
    }

    /// The lowest height pruning has left readable (`None`: nothing pruned yet).
    pub fn prune_floor(&self) -> Option<u64> {
        self.meta().prune_floor
    }

    /// Rows pruning has deleted since this store was opened.
    pub fn pruned_rows_total(&self) -> u64 {
        self.pruned_rows.load(Ordering::Relaxed)
    }

    /// First height whose whole state module queries can read through
    /// [`Store::snapshot_at`] (`None` before the first commit). A database created before the
    /// history table existed starts its history at the height it had when first reopened.
    pub fn history_from(&self) -> Option<u64> {
        self.meta().readable_history_from()
    }

    /// One consistent read of the last committed state: everything read through it (views,
    /// proofs, heights) belongs to the same commit, whatever commits happen meanwhile. Queries
    /// use it from their own threads while the consensus thread goes on committing.
    pub fn read(&self) -> Result<CommittedState<'_>, StoreError> {
        const CONTEXT: &str = "reading committed state";
        let txn = self
            .db
            .begin_read()
            .map_err(StoreError::transaction(CONTEXT))?;
        let meta = read_meta(&txn)?;
        Ok(CommittedState::new(self, txn, meta))
    }

    /// Like [`Store::read`], but owning its read transaction, so another thread can take it
    /// and read this commit later ([`PinnedCommit::attach`]) however many commits land
    /// meanwhile (snapshots are written that way, off the consensus thread).
    pub fn pin(&self) -> Result<PinnedCommit, StoreError> {
        let txn = self
            .db
            .begin_read()
            .map_err(StoreError::transaction("pinning committed state"))?;
        let meta = read_meta(&txn)?;
        Ok(PinnedCommit { txn, meta })
    }

    /// The lowest committed height whose tree this store holds (0 when nothing is committed):
    /// [`Store::query_at`] answers from here to [`Store::last_height`].
    pub fn first_height(&self) -> Result<u64, StoreError> {
        self.read()?.first_height()
    }

    /// The app hash committed at `height` (what CometBFT's block `height + 1` header carries).
    pub fn app_hash_at(&self, height: u64) -> Result<Vec<u8>, StoreError> {
        self.read()?.app_hash_at(height)
    }

    /// Read-only `Storage` over the state committed at `height` (module queries at a past
    /// height). Errors: [`StoreError::FutureHeight`] above the last height,
    /// [`StoreError::HeightNotStored`] below [`Store::history_from`] (or 0).
    pub fn snapshot_at(&self, height: u64) -> Result<HistoricalView<'_>, StoreError> {
        self.read()?.view_at(height)
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
        self.read()?.query_at(key, prove, height)
    }

    /// Value at `key` in the last committed state; with `prove`, an ics23 proof of it (or of
    /// its absence) against [`Store::app_hash`]. Before the first commit: no value, no proof.
    pub fn query(&self, key: &[u8], prove: bool) -> Result<QueryResult, StoreError> {
        self.read()?.query(key, prove)
    }
}

/// The `meta` row as `txn` sees it; checks that its fields agree.
pub(crate) fn read_meta(txn: &redb::ReadTransaction) -> Result<CommitMeta, StoreError> {
    const CONTEXT: &str = "loading meta";
    let meta = txn
        .open_table(META)
        .map_err(StoreError::table(CONTEXT, "meta"))?;
    let field = |name: &'static str| -> Result<Option<Vec<u8>>, StoreError> {
        Ok(meta
            .get(name)
            .map_err(StoreError::storage(CONTEXT))?
            .map(|v| v.value().to_vec()))
    };
    let height = match field(META_HEIGHT)? {
        Some(b) => decode_u64(META_HEIGHT, &b)?,
        None => 0,
    };
    let version = match field(META_VERSION)? {
        Some(b) => Some(decode_u64(META_VERSION, &b)?),
        None => None,
    };
    let app_hash = field(META_APP_HASH)?.unwrap_or_default();
    let history_from = match field(META_HISTORY_FROM)? {
        Some(b) => Some(decode_u64(META_HISTORY_FROM, &b)?),
        None => None,
    };
    let prune_floor = match field(META_PRUNE_FLOOR)? {
        Some(b) => Some(decode_u64(META_PRUNE_FLOOR, &b)?),
        None => None,
    };
    if version.is_some() != (height > 0) || app_hash.len() != 32 && height > 0 {
        return Err(StoreError::Corrupt(
            "meta height, version and app hash disagree".into(),
        ));
    }
    Ok(CommitMeta {
        height,
        version,
        app_hash,
        history_from,
        prune_floor,
    })
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
