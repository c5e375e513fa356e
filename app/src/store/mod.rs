//! Chain state store: ordered KV in redb + a Jellyfish Merkle Tree (jmt) for the app hash and
//! ics23 proofs, with `cosmwasm_std::Storage` overlays for blocks and txs.
//!
//! # API
//!
//! - [`Store::open`] (creates if missing; also [`Store::open_in_memory`],
//!   [`Store::open_with_backend`], [`Store::open_with_builder`]), [`Store::last_height`] (0 when empty),
//!   [`Store::app_hash`] (empty before the first commit, as CometBFT expects from `Info`).
//! - [`Store::read`] → [`CommittedState`]: one consistent read of the last commit (height,
//!   app hash, views, proven reads), safe on any thread while the consensus thread commits.
//! - [`Store::snapshot`] → `Result<CommittedView>`: read-only `Storage` over committed state.
//! - [`StagedView::new`]`(&store, &changes)` → read-only `Storage` over committed state plus a
//!   `ChangeSet` the app owns (the block's writes, or the CheckTx state).
//! - [`Overlay::new`]`(&parent)`: writable `Storage` buffering writes over any `Storage`;
//!   [`Overlay::into_changes`] / [`Overlay::apply`]. Drop it to discard (failed tx).
//! - [`Store::preview_app_hash`]`(&changes)`: root after `changes` without writing (InitChain).
//! - [`Store::prepare`]`(height, changes)` → [`PreparedCommit`] (its `app_hash()` is what
//!   FinalizeBlock returns) then [`Store::commit_prepared`] at Commit; or [`Store::commit`]
//!   for both at once. One redb write transaction: KV diff + jmt nodes/values + preimages +
//!   stale-node index + meta row + height row; any error leaves the previous state.
//! - [`Store::snapshot_at`]`(height)` → [`HistoricalView`]: read-only `Storage` over the state
//!   committed at a past height (from [`Store::history_from`] on), for module queries.
//! - [`Store::query_at`]`(key, prove, height)`: [`Store::query`] at any committed height, the
//!   proof against [`Store::app_hash_at`]`(height)`.
//! - [`Store::query`]`(key, prove)` → [`QueryResult`] { height, value, proof }; verify with
//!   [`verify_proof`] against the app hash. An empty tree (root [`EMPTY_TREE_ROOT`]) answers
//!   absence with no proof: ics23 cannot express it.
//!
//! # Intended app flow
//!
//! ```text
//! InitChain:     block = ChangeSet::new(); { let v = StagedView::new(&store, &block)?;
//!                let mut o = Overlay::new(&v); genesis(&mut o); ch = o.into_changes(); }
//!                block.extend(ch); return store.preview_app_hash(&block)
//! FinalizeBlock: per tx { let v = StagedView::new(&store, &block)?; let mut tx = Overlay::new(&v);
//!                run(&mut tx); if let Some(e) = v.take_error() { halt(e) }
//!                if ok { ch = tx.into_changes() } } block.extend(ch);
//!                prepared = store.prepare(height, take(&mut block))?; return prepared.app_hash()
//! Commit:        store.commit_prepared(prepared)?; check_state.clear()
//! CheckTx:       same as a tx, over StagedView::new(&store, &check_state)
//! Query:         (any thread) let s = store.read()?; s.query_at(key, prove, h) or modules
//!                over s.view()? / s.view_at(h)?
//! ```
//!
//! # Choices
//!
//! - **Empty values are deletes.** `Storage::set(k, b"")` removes `k`: jmt and the KV table
//!   cannot tell an empty value from absence in a way clients would agree on.
//! - **Read errors.** `Storage` methods cannot fail. A redb read error (a corrupt or failing
//!   disk, never input) makes the read return `None` / end the iteration, is logged, is
//!   recorded in the view (`take_error()`), and poisons the store: [`Store::health`] then
//!   fails and `commit`/`prepare` refuse, so a block computed from a failed read can never be
//!   committed even if the caller forgets to check. The app should check `take_error()` after
//!   each tx and halt.
//! - **Read-only views.** `CommittedView`/`StagedView` implement `set`/`remove` (the trait
//!   demands it) by writing nothing and recording [`StoreError::ReadOnlyWrite`] in the view
//!   only (it is a caller bug, not a disk fault; it must not poison consensus state from a
//!   query).
//! - **jmt versions** count commits (0, 1, ...), not heights: jmt needs the previous version's
//!   root, and CometBFT's first height is `initial_height`. The `heights` table maps
//!   height → (version, app hash). Keys are hashed with sha256 (`Sha256Jmt`).
//! - **Heights:** the first commit may be any height ≥ 1; after that each commit must be the
//!   next height.
//! - **Past heights.** The tree answers `/store/key` (with proofs) at every committed height
//!   from the prune floor on ([`PruningPolicy`], app.toml `pruning`; by default heights are
//!   kept for weeks); below it reads fail with [`StoreError::HeightPruned`]. Module queries iterate, which the hashed tree cannot do in key order,
//!   so each commit also appends its writes to `kv_history` ((key, version) → value); a view
//!   at a height reads each key's newest row at or below that height's version. History
//!   starts at the first commit, or, for a database that predates it, at the height it had
//!   when reopened (its KV is copied in once).

mod committed;
mod committed_state;
mod db;
mod error;
mod historical;
mod proof;
mod prune;
mod staged;
mod tables;

pub use bls_core::changeset::ChangeSet;
pub use bls_core::overlay::Overlay;
pub use committed::CommittedView;
pub use committed_state::CommittedState;
pub use db::{PinnedCommit, PreparedCommit, QueryResult, Store, EMPTY_TREE_ROOT};
pub use error::StoreError;
pub use historical::{HistoricalView, MAX_ABSENT_KEYS_SCANNED};
pub use proof::{proof_spec, verify_proof};
pub use prune::{PruningPolicy, ROWS_PER_COMMIT};
pub use staged::StagedView;
