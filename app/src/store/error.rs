//! Store errors and the fault cell that carries read errors out of `cosmwasm_std::Storage`.

use std::cell::RefCell;

/// Errors of the chain state store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The redb database file could not be opened or created.
    #[error("opening store at {path}: {source}")]
    Open {
        /// Path of the database file.
        path: String,
        /// Underlying redb error.
        #[source]
        source: redb::DatabaseError,
    },
    /// A redb transaction could not be started.
    #[error("{context}: beginning transaction: {source}")]
    Transaction {
        /// What the store was doing.
        context: &'static str,
        /// Underlying redb error.
        #[source]
        source: Box<redb::TransactionError>,
    },
    /// A redb table could not be opened.
    #[error("{context}: opening table {table}: {source}")]
    Table {
        /// What the store was doing.
        context: &'static str,
        /// Table name.
        table: &'static str,
        /// Underlying redb error.
        #[source]
        source: redb::TableError,
    },
    /// A redb read or write failed.
    #[error("{context}: storage: {source}")]
    Storage {
        /// What the store was doing.
        context: &'static str,
        /// Underlying redb error.
        #[source]
        source: redb::StorageError,
    },
    /// The write transaction could not be committed (nothing was written).
    #[error("committing height {height}: {source}")]
    Commit {
        /// Height being committed.
        height: u64,
        /// Underlying redb error.
        #[source]
        source: redb::CommitError,
    },
    /// The Jellyfish Merkle Tree failed (missing node, corrupt encoding, ...).
    #[error("{context}: merkle tree: {message}")]
    Tree {
        /// What the store was doing.
        context: &'static str,
        /// jmt's error, rendered (jmt returns `anyhow::Error`).
        message: String,
    },
    /// A stored row could not be decoded: the database is corrupt or from another version.
    #[error("corrupt store: {0}")]
    Corrupt(String),
    /// Commit was asked for a height that does not follow the last committed one.
    #[error("commit height {got} does not follow last committed height {last}")]
    HeightMismatch {
        /// Last committed height (0 when empty).
        last: u64,
        /// Height passed to commit.
        got: u64,
    },
    /// A prepared commit was computed against a state that is no longer the committed one.
    #[error("prepared commit for height {height} is stale: it was computed on another base")]
    StalePrepared {
        /// Height of the prepared commit.
        height: u64,
    },
    /// A read through a `Storage` view failed earlier; the store refuses to commit until the
    /// process restarts, because the block was computed from a read that returned nothing.
    #[error("store faulted by an earlier read error: {0}")]
    Faulted(String),
    /// A read at a height above the last committed one.
    #[error("height {height} is in the future: the last committed height is {last}")]
    FutureHeight {
        /// Height asked for.
        height: u64,
        /// Last committed height.
        last: u64,
    },
    /// A read at a height whose state this store does not hold (before its first commit, or
    /// before its history starts for reads that iterate).
    #[error("state at height {height} is not stored here (readable heights: {first}..={last})")]
    HeightNotStored {
        /// Height asked for.
        height: u64,
        /// First readable height (0 when none).
        first: u64,
        /// Last committed height.
        last: u64,
    },
    /// A read at a height pruning has forgotten (app.toml `pruning`).
    #[error(
        "height {height} is pruned on this node (it keeps heights {first}..={last}; an archive \
         node, pruning = \"nothing\" in app.toml, keeps them all)"
    )]
    HeightPruned {
        /// Height asked for.
        height: u64,
        /// Lowest height still kept.
        first: u64,
        /// Last committed height.
        last: u64,
    },
    /// Something wrote through a read-only `Storage` view (a bug in the caller).
    #[error("write to read-only view at key {key_hex}")]
    ReadOnlyWrite {
        /// Hex of the key written.
        key_hex: String,
    },
    /// A range read at a past height passed over too many keys that did not exist at that
    /// height (queries run on the node's one app thread, so their work is bounded).
    #[error(
        "range at height {height} skipped more than {limit} keys absent at that height; \
         narrow the query or read a later height"
    )]
    HistoryScanLimit {
        /// The height read.
        height: u64,
        /// Absent keys one range may pass over.
        limit: u64,
    },
}

impl StoreError {
    pub(crate) fn storage(context: &'static str) -> impl FnOnce(redb::StorageError) -> Self {
        move |source| StoreError::Storage { context, source }
    }

    pub(crate) fn transaction(
        context: &'static str,
    ) -> impl FnOnce(redb::TransactionError) -> Self {
        move |source| StoreError::Transaction {
            context,
            source: Box::new(source),
        }
    }

    pub(crate) fn table(
        context: &'static str,
        table: &'static str,
    ) -> impl FnOnce(redb::TableError) -> Self {
        move |source| StoreError::Table {
            context,
            table,
            source,
        }
    }

    pub(crate) fn tree(context: &'static str) -> impl FnOnce(anyhow::Error) -> Self {
        move |err| StoreError::Tree {
            context,
            message: format!("{err:#}"),
        }
    }
}

/// First error seen by a `Storage` view. `Storage` methods cannot return errors, so views
/// record the first one here and the caller must check `take_error()` after using the view.
#[derive(Debug, Default)]
pub(crate) struct FaultCell(RefCell<Option<StoreError>>);

impl FaultCell {
    /// Records `err` unless an earlier error is already recorded (the first one is the cause).
    pub(crate) fn record(&self, err: StoreError) {
        tracing::error!(error = %err, "store view fault");
        let mut slot = self.0.borrow_mut();
        if slot.is_none() {
            *slot = Some(err);
        }
    }

    /// True when an error is recorded.
    pub(crate) fn is_set(&self) -> bool {
        self.0.borrow().is_some()
    }

    /// Takes the recorded error, leaving the cell empty.
    pub(crate) fn take(&self) -> Option<StoreError> {
        self.0.borrow_mut().take()
    }
}
