//! The state machine: genesis, CheckTx, FinalizeBlock, Commit and queries over the store.

use std::path::Path;
use std::sync::{Arc, RwLock};

use bls_core::{
    BlockInfo, Context, Event, GasMeter, Misbehavior, Module, ValidatorUpdate, VoteInfo,
};
use tendermint_proto::v0_38::abci::{
    request, response, response_process_proposal::ProposalStatus, Event as AbciEvent,
    EventAttribute, ExecTxResult, RequestCheckTx, RequestFinalizeBlock, RequestInfo,
    RequestInitChain, RequestPrepareProposal, RequestProcessProposal, RequestQuery,
    ResponseCheckTx, ResponseCommit, ResponseFinalizeBlock, ResponseInfo, ResponseInitChain,
    ResponsePrepareProposal, ResponseProcessProposal, ResponseQuery,
};

use super::genesis::{consensus_genesis, AppGenesis};
use super::query::QueryService;
use super::query_gate::QueryGate;
use super::state_sync::{self, StateSync};
use super::vote_extensions;
use crate::metrics::{AppMetrics, TableLabel};
use crate::modules::all_modules;
use crate::statesync::SnapshotStore;
use crate::store::{ChangeSet, Overlay, PreparedCommit, StagedView, Store, StoreError};
use crate::tx::sig_cache::SigCache;
use crate::tx::{TxOutcome, TxPipeline};
use crate::upgrades::Upgrades;

/// Key under which the chain id is kept in state, so CheckTx after a restart knows it.
const CHAIN_ID_KEY: &[u8] = b"app/chain_id";
/// ABCI application protocol version.
pub const APP_VERSION: u64 = 1;
/// Queries that may run at once unless app.toml says otherwise (`max_concurrent_queries`):
/// one per core of a small validator, leaving CometBFT and the consensus thread room.
pub const DEFAULT_MAX_CONCURRENT_QUERIES: usize = 2;

/// Errors that stop the node: the store failed (a disk fault, never input).
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The store failed.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// Genesis could not be applied.
    #[error("genesis: {0}")]
    Genesis(String),
    /// The chain reached an upgrade plan's height and this binary does not register the plan:
    /// the node stops before executing the block (see [`crate::upgrades`]).
    #[error("UPGRADE {name:?} NEEDED at height {height}: halting; start the binary that registers this plan")]
    UpgradeNeeded {
        /// The plan's name.
        name: String,
        /// Its height.
        height: u64,
    },
    /// A migration registered for the plan due at this height failed: the binary is wrong for
    /// this chain.
    #[error("migration of upgrade {name:?} failed: {error}")]
    Migration {
        /// The plan's name.
        name: String,
        /// What it said.
        error: String,
    },
    /// A begin/end-block hook failed: consensus code must not fail, so this is a bug.
    #[error("{hook} of module {module} failed: {error}")]
    Hook {
        /// begin_block / end_block.
        hook: &'static str,
        /// Module name.
        module: &'static str,
        /// What it said.
        error: String,
    },
}

/// The application CometBFT talks to, owned by one thread.
pub struct BlsApp {
    /// Shared with the query threads ([`QueryService`]); only this thread commits.
    store: Arc<Store>,
    modules: Arc<[&'static dyn Module]>,
    /// Writes of the block being executed (genesis writes ride along with the first block).
    block: ChangeSet,
    /// The CheckTx state: ante writes of txs admitted to the mempool since the last Commit.
    check: ChangeSet,
    /// The result of FinalizeBlock, written at Commit.
    prepared: Option<PreparedCommit>,
    /// Block info of the last FinalizeBlock (CheckTx runs "in" the next block).
    last_block: BlockInfo,
    /// Height, time and chain id of the last committed block, for simulate on query threads.
    committed_block: Arc<RwLock<BlockInfo>>,
    /// Bounds the queries running at once (see [`QueryService`]).
    query_gate: Arc<QueryGate>,
    metrics: AppMetrics,
    /// Signatures already verified on this node (CheckTx, rechecks and FinalizeBlock).
    sig_cache: SigCache,
    /// This validator's randomness-beacon secret (`None`: its vote extensions are empty).
    beacon_secret: Option<[u8; 32]>,
    /// State-sync snapshots: taken at Commit, served, restored.
    state_sync: StateSync,
    /// Pruned rows already counted into `metrics.pruned_rows`.
    pruned_rows_reported: u64,
    /// The migrations this binary registers, and where the halt file goes.
    upgrades: Upgrades,
}

impl BlsApp {
    /// Opens (or creates) the app's state under `db_path`.
    pub fn open(db_path: &Path) -> Result<Self, AppError> {
        Ok(Self::with_store(Store::open(db_path)?))
    }

    /// An app over an existing store (tests use an in-memory one).
    pub fn with_store(store: Store) -> Self {
        let mut app = Self {
            store: Arc::new(store),
            modules: all_modules().into(),
            block: ChangeSet::new(),
            check: ChangeSet::new(),
            prepared: None,
            last_block: BlockInfo::default(),
            committed_block: Arc::default(),
            query_gate: Arc::new(QueryGate::new(
                DEFAULT_MAX_CONCURRENT_QUERIES,
                AppMetrics::default(),
            )),
            metrics: AppMetrics::default(),
            sig_cache: SigCache::default(),
            beacon_secret: None,
            state_sync: StateSync::default(),
            pruned_rows_reported: 0,
            upgrades: Upgrades::default(),
        };
        app.last_block.height = app.store.last_height();
        app.last_block.chain_id = app.stored_chain_id().unwrap_or_default();
        app.publish_committed_block();
        app
    }

    /// What simulate on a query thread needs of the last committed block.
    fn publish_committed_block(&self) {
        let b = BlockInfo {
            height: self.store.last_height(),
            time_secs: self.last_block.time_secs,
            time_nanos: self.last_block.time_nanos,
            chain_id: self.last_block.chain_id.clone(),
            ..BlockInfo::default()
        };
        match self.committed_block.write() {
            Ok(mut slot) => *slot = b,
            Err(poisoned) => *poisoned.into_inner() = b,
        }
    }

    /// Lets at most `max` queries run at once (app.toml `max_concurrent_queries`).
    pub fn set_max_concurrent_queries(&mut self, max: usize) {
        self.query_gate = Arc::new(QueryGate::new(max, self.metrics.clone()));
    }

    /// A handle answering queries from committed state on any thread.
    pub fn query_service(&self) -> QueryService {
        QueryService::new(
            self.store.clone(),
            self.modules.clone(),
            self.committed_block.clone(),
            self.query_gate.clone(),
            self.metrics.clone(),
        )
    }

    fn stored_chain_id(&self) -> Option<String> {
        let snap = self.store.snapshot().ok()?;
        use cosmwasm_std::Storage;
        snap.get(CHAIN_ID_KEY)
            .and_then(|v| String::from_utf8(v).ok())
    }

    /// Uses `metrics` (shared with the HTTP server) from now on.
    pub fn set_metrics(&mut self, metrics: AppMetrics) {
        metrics
            .height
            .set(i64::try_from(self.store.last_height()).unwrap_or(i64::MAX));
        self.metrics = metrics;
        let max = self.query_gate.max();
        self.set_max_concurrent_queries(max);
    }

    /// Serves the snapshots in `snapshots` and writes one every `interval` heights (0: none).
    pub fn set_snapshots(&mut self, snapshots: SnapshotStore, interval: u64) {
        if let Some(newest) = snapshots.list().first() {
            self.metrics
                .snapshot_height
                .set(i64::try_from(newest.height).unwrap_or(i64::MAX));
        }
        self.state_sync = StateSync::new(snapshots, interval);
    }

    /// The snapshot directory this node serves (`None`: none), for the snapshot connection.
    pub fn snapshot_service(&self) -> Option<SnapshotStore> {
        self.state_sync.snapshots()
    }

    /// Applies `upgrades` at their plans' heights (and halts at any other plan's height).
    pub fn set_upgrades(&mut self, upgrades: Upgrades) {
        self.upgrades = upgrades;
    }

    /// Refuses to run a binary that cannot apply the plan due at the next height.
    pub fn check_upgrade_startup(&self) -> anyhow::Result<()> {
        let snap = self.store.snapshot()?;
        crate::upgrades::check_startup(&snap, self.store.last_height(), &self.upgrades)
    }

    /// Uses `secret` for this node's vote extensions (see [`crate::beacon_secret`]).
    pub fn set_beacon_secret(&mut self, secret: [u8; 32]) {
        self.beacon_secret = Some(secret);
    }

    /// The store (read access for queries and tests).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The modules, in execution order.
    pub fn modules(&self) -> &[&'static dyn Module] {
        &self.modules
    }

    /// Every module's state as a genesis `app_state` (committed state plus any staged writes,
    /// e.g. right after InitChain), keyed by module name.
    pub fn export_genesis(&self) -> Result<serde_json::Value, AppError> {
        let view = StagedView::new(&self.store, &self.block)?;
        let mut state = serde_json::Map::new();
        for m in self.modules.iter() {
            let section = m
                .export_genesis(&view)
                .map_err(|e| AppError::Genesis(format!("export of module {}: {e}", m.name())))?;
            state.insert(m.name().to_string(), section);
        }
        if let Some(e) = view.take_error() {
            return Err(e.into());
        }
        Ok(serde_json::Value::Object(state))
    }

    /// Dispatches one ABCI request; store failures stop the process (see [`fatal`]).
    pub fn handle(&mut self, req: request::Value) -> response::Value {
        match req {
            request::Value::Echo(r) => {
                response::Value::Echo(tendermint_proto::v0_38::abci::ResponseEcho {
                    message: r.message,
                })
            }
            request::Value::Flush(_) => {
                response::Value::Flush(tendermint_proto::v0_38::abci::ResponseFlush {})
            }
            request::Value::Info(r) => response::Value::Info(self.info(r)),
            request::Value::InitChain(r) => {
                response::Value::InitChain(self.init_chain(r).unwrap_or_else(|e| fatal(e)))
            }
            request::Value::Query(r) => response::Value::Query(self.query(r)),
            request::Value::CheckTx(r) => response::Value::CheckTx(self.check_tx(r)),
            request::Value::Commit(_) => {
                response::Value::Commit(self.commit().unwrap_or_else(|e| fatal(e)))
            }
            request::Value::PrepareProposal(r) => {
                response::Value::PrepareProposal(self.prepare_proposal(r))
            }
            request::Value::ProcessProposal(r) => {
                response::Value::ProcessProposal(self.process_proposal(r))
            }
            request::Value::FinalizeBlock(r) => {
                response::Value::FinalizeBlock(self.finalize_block(r).unwrap_or_else(|e| fatal(e)))
            }
            request::Value::ExtendVote(r) => {
                response::Value::ExtendVote(vote_extensions::extend_vote(
                    self.beacon_secret.as_ref(),
                    &self.last_block.chain_id,
                    &r,
                ))
            }
            request::Value::VerifyVoteExtension(r) => {
                response::Value::VerifyVoteExtension(vote_extensions::verify_vote_extension(&r))
            }
            request::Value::ListSnapshots(_) => response::Value::ListSnapshots(
                state_sync::list_snapshots(self.state_sync.snapshots().as_ref()),
            ),
            request::Value::LoadSnapshotChunk(r) => response::Value::LoadSnapshotChunk(
                state_sync::load_snapshot_chunk(self.state_sync.snapshots().as_ref(), &r),
            ),
            request::Value::OfferSnapshot(r) => {
                response::Value::OfferSnapshot(self.state_sync.offer(&self.store, r))
            }
            request::Value::ApplySnapshotChunk(r) => response::Value::ApplySnapshotChunk(
                self.apply_snapshot_chunk(r).unwrap_or_else(|e| fatal(e)),
            ),
        }
    }

    /// `Info`: the last committed height and app hash, so CometBFT replays what is missing.
    pub fn info(&self, _r: RequestInfo) -> ResponseInfo {
        ResponseInfo {
            data: "blsd".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            app_version: APP_VERSION,
            last_block_height: i64::try_from(self.store.last_height()).unwrap_or(i64::MAX),
            last_block_app_hash: self.store.app_hash().into(),
        }
    }

    /// `InitChain`: applies every module's genesis section; the writes are committed with the
    /// first block, and the returned app hash is the root they produce.
    pub fn init_chain(&mut self, r: RequestInitChain) -> Result<ResponseInitChain, AppError> {
        let genesis = AppGenesis::from_bytes(&r.app_state_bytes)
            .map_err(|e| AppError::Genesis(e.to_string()))?;
        let consensus = consensus_genesis(&r).map_err(|e| AppError::Genesis(e.to_string()))?;
        let block = BlockInfo {
            height: u64::try_from(r.initial_height).unwrap_or(1),
            time_secs: r.time.as_ref().map_or(0, |t| t.seconds),
            time_nanos: r
                .time
                .as_ref()
                .map_or(0, |t| u32::try_from(t.nanos).unwrap_or(0)),
            chain_id: r.chain_id.clone(),
            ..Default::default()
        };
        self.block = ChangeSet::new();
        let changes = {
            let view = StagedView::new(&self.store, &self.block)?;
            let mut overlay = Overlay::new(&view);
            {
                use cosmwasm_std::Storage;
                overlay.set(CHAIN_ID_KEY, r.chain_id.as_bytes());
            }
            let gas = GasMeter::infinite();
            let mut ctx = Context::new(&mut overlay, &block, &gas);
            for m in self.modules.iter() {
                m.init_genesis(&mut ctx, genesis.section(m.name()))
                    .map_err(|e| AppError::Genesis(format!("module {}: {}", m.name(), e)))?;
            }
            // After staking's params are in: the unbonding period must outlast CometBFT's
            // evidence window, and CometBFT's genesis validators keep their keys.
            bls_staking::genesis::init_consensus(&mut ctx, &consensus)
                .map_err(|e| AppError::Genesis(format!("module staking: {e}")))?;
            init_beacon(&mut ctx, &r)?;
            let updates = std::mem::take(&mut ctx.validator_updates);
            drop(ctx);
            if let Some(e) = view.take_error() {
                return Err(e.into());
            }
            (overlay.into_changes(), updates)
        };
        let (changes, genesis_validators) = changes;
        self.block.extend(changes);
        self.last_block = block;
        let app_hash = self.store.preview_app_hash(&self.block)?;
        tracing::info!(chain_id = %r.chain_id, app_hash = %hex::encode(&app_hash), "genesis applied");
        // Empty: CometBFT keeps the validators of its genesis file. A staking genesis that
        // names validators replaces them.
        Ok(ResponseInitChain {
            consensus_params: None,
            validators: genesis_validators
                .iter()
                .map(to_abci_validator_update)
                .collect(),
            app_hash: app_hash.into(),
        })
    }

    fn pipeline(&self) -> TxPipeline<'_> {
        TxPipeline::new(&self.modules).with_sig_cache(&self.sig_cache)
    }

    /// `CheckTx`: ante checks against the check state; admitted txs' ante writes stay there.
    pub fn check_tx(&mut self, r: RequestCheckTx) -> ResponseCheckTx {
        if bls_beacon::pseudo_tx::is_marked(&r.tx) {
            // Only a proposer makes these (from its own last commit); a copy in the mempool
            // could only be a forgery or a replay.
            self.metrics.check_tx_rejected.inc();
            return ResponseCheckTx {
                code: bls_core::AbciCode::code(&pseudo_tx_refused(0)),
                log: "vote-extension pseudo-transactions are made by the block proposer and cannot be submitted".into(),
                codespace: "beacon".into(),
                ..Default::default()
            };
        }
        let mut next = self.last_block.clone();
        next.height = next.height.saturating_add(1);
        let (outcome, changes) = {
            let view = match StagedView::new(&self.store, &self.check) {
                Ok(v) => v,
                Err(e) => return check_error(&e.to_string()),
            };
            let mut overlay = Overlay::new(&view);
            let outcome = self.pipeline().check_tx(&mut overlay, &next, &r.tx);
            if let Some(e) = view.take_error() {
                return check_error(&e.to_string());
            }
            let changes = (outcome.code == 0).then(|| overlay.into_changes());
            (outcome, changes)
        };
        match changes {
            Some(changes) => self.check.extend(changes),
            None => {
                self.metrics.check_tx_rejected.inc();
            }
        }
        to_check_response(outcome)
    }

    /// `PrepareProposal`: the vote-extension pseudo-transaction first when extensions are
    /// enabled for the previous height, then the mempool's order, dropping what does not fit.
    pub fn prepare_proposal(&self, r: RequestPrepareProposal) -> ResponsePrepareProposal {
        let max = usize::try_from(r.max_tx_bytes).unwrap_or(0);
        let height = u64::try_from(r.height).unwrap_or(0);
        let required = match StagedView::new(&self.store, &self.block) {
            Ok(view) => {
                let required = bls_beacon::mix::extensions_required(&view, height);
                view.take_error();
                required.unwrap_or_else(|e| {
                    tracing::error!(error = %e, "reading the beacon config");
                    false
                })
            }
            Err(e) => {
                tracing::error!(error = %e, "opening a state view for PrepareProposal");
                false
            }
        };
        let txs = vote_extensions::proposal_txs(required, r.local_last_commit.as_ref(), r.txs, max);
        ResponsePrepareProposal { txs }
    }

    /// `ProcessProposal`: rejects a block that breaks the vote-extension rules (see
    /// [`vote_extensions::check_block`]); everything else is judged when it executes.
    pub fn process_proposal(&self, r: RequestProcessProposal) -> ResponseProcessProposal {
        let height = u64::try_from(r.height).unwrap_or(0);
        let verdict = StagedView::new(&self.store, &self.block)
            .map_err(|e| e.to_string())
            .and_then(|view| {
                let checked = vote_extensions::check_block(
                    &view,
                    &self.chain_id(),
                    height,
                    &r.txs,
                    r.proposed_last_commit.as_ref(),
                );
                match view.take_error() {
                    Some(e) => Err(e.to_string()),
                    None => checked.map_err(|e| e.to_string()),
                }
            });
        let status = match verdict {
            Ok(_) => ProposalStatus::Accept,
            Err(why) => {
                self.metrics.proposals_rejected.inc();
                tracing::warn!(height, reason = %why, "rejecting proposal");
                ProposalStatus::Reject
            }
        };
        ResponseProcessProposal {
            status: status as i32,
        }
    }

    /// The chain id (stored at genesis; staged writes first, for the first block).
    fn chain_id(&self) -> String {
        self.stored_chain_id_staged()
            .unwrap_or_else(|| self.last_block.chain_id.clone())
    }

    /// `FinalizeBlock`: begin-block hooks, every tx in its own overlay, end-block hooks; the
    /// block's writes are prepared (app hash computed) and written at Commit.
    pub fn finalize_block(
        &mut self,
        r: RequestFinalizeBlock,
    ) -> Result<ResponseFinalizeBlock, AppError> {
        let block = BlockInfo {
            height: u64::try_from(r.height).unwrap_or(0),
            time_secs: r.time.as_ref().map_or(0, |t| t.seconds),
            time_nanos: r
                .time
                .as_ref()
                .map_or(0, |t| u32::try_from(t.nanos).unwrap_or(0)),
            chain_id: self
                .stored_chain_id_staged()
                .unwrap_or_else(|| self.last_block.chain_id.clone()),
            hash: r.hash.to_vec(),
            // Set by the beacon before any begin block (see `beacon_step`).
            randomness: [0; 32],
            proposer: r.proposer_address.to_vec(),
            last_commit: r
                .decided_last_commit
                .as_ref()
                .map(|c| {
                    c.votes
                        .iter()
                        .map(|v| VoteInfo {
                            validator_address: v
                                .validator
                                .as_ref()
                                .map(|val| val.address.to_vec())
                                .unwrap_or_default(),
                            power: v.validator.as_ref().map_or(0, |val| val.power),
                            // BlockIdFlag: 1 absent, 2 commit, 3 nil (signed, voted nil).
                            signed: v.block_id_flag == 2 || v.block_id_flag == 3,
                        })
                        .collect()
                })
                .unwrap_or_default(),
            misbehavior: r
                .misbehavior
                .iter()
                .map(|m| Misbehavior {
                    validator_address: m
                        .validator
                        .as_ref()
                        .map(|val| val.address.to_vec())
                        .unwrap_or_default(),
                    height: u64::try_from(m.height).unwrap_or(0),
                    power: m.validator.as_ref().map_or(0, |val| val.power),
                    // Only a duplicate vote is double signing; a light-client attack or an
                    // unknown type is passed on as not one (slashing ignores it).
                    duplicate_vote: m.r#type
                        == tendermint_proto::v0_38::abci::MisbehaviorType::DuplicateVote as i32,
                })
                .collect(),
        };
        let mut block = block;
        let mut events = Vec::new();
        let mut validator_updates = Vec::new();
        self.upgrade_step(&block, &mut events)?;
        let (randomness, extensions) = self.beacon_step(&r, &block, &mut events)?;
        block.randomness = randomness;
        self.run_hooks(&block, "begin_block", &mut events, &mut validator_updates)?;
        let mut tx_results = Vec::with_capacity(r.txs.len());
        for (index, tx) in r.txs.iter().enumerate() {
            if bls_beacon::pseudo_tx::is_marked(tx) {
                tx_results.push(pseudo_tx_result(index, block.height, &extensions));
                continue;
            }
            let (outcome, changes) = {
                let view = StagedView::new(&self.store, &self.block)?;
                let mut overlay = Overlay::new(&view);
                let outcome = self.pipeline().deliver_tx(&mut overlay, &block, tx);
                if let Some(e) = view.take_error() {
                    return Err(e.into());
                }
                (outcome, overlay.into_changes())
            };
            // Ante writes (fee, sequence) persist even when the messages failed; the pipeline
            // already dropped the failed messages' writes.
            self.block.extend(changes);
            if outcome.code == 0 {
                self.metrics.txs_ok.inc();
            } else {
                self.metrics.txs_failed.inc();
            }
            tx_results.push(to_exec_result(outcome));
        }
        self.run_hooks(&block, "end_block", &mut events, &mut validator_updates)?;
        let prepared = self
            .store
            .prepare(block.height, std::mem::take(&mut self.block))?;
        let app_hash = prepared.app_hash();
        self.prepared = Some(prepared);
        self.last_block = block;
        Ok(ResponseFinalizeBlock {
            events: events.iter().map(to_abci_event).collect(),
            tx_results,
            validator_updates: validator_updates
                .iter()
                .map(to_abci_validator_update)
                .collect(),
            consensus_param_updates: None,
            app_hash: app_hash.into(),
        })
    }

    /// The beacon's part of FinalizeBlock, before any begin block: checks the block's
    /// vote extensions again (a syncing node never ran ProcessProposal on it) and mixes what
    /// verified into the block's randomness, or the block hash where extensions are not
    /// enabled. A decided block whose required extensions do not verify (only a byzantine
    /// third of the power can decide one) mixes nothing. Returns the randomness and the check.
    fn beacon_step(
        &mut self,
        r: &RequestFinalizeBlock,
        block: &BlockInfo,
        events: &mut Vec<Event>,
    ) -> Result<([u8; 32], ExtensionCheck), AppError> {
        let (changes, randomness, checked) = {
            let view = StagedView::new(&self.store, &self.block)?;
            let checked = vote_extensions::check_block(
                &view,
                &block.chain_id,
                block.height,
                &r.txs,
                r.decided_last_commit.as_ref(),
            );
            let mut overlay = Overlay::new(&view);
            let gas = GasMeter::infinite();
            let mut ctx = Context::new(&mut overlay, block, &gas);
            let mixed = match &checked {
                Ok(Some(v)) => bls_beacon::mix::mix_extensions(&mut ctx, v),
                Ok(None) => bls_beacon::mix::mix_block_hash(&mut ctx),
                Err(e) => {
                    tracing::error!(height = block.height, error = %e, "a decided block carries no valid vote extensions; its randomness mixes none");
                    self.metrics.beacon_missing.inc();
                    bls_beacon::mix::mix_missing(&mut ctx)
                }
            };
            let emitted = std::mem::take(&mut ctx.events);
            drop(ctx);
            if let Some(e) = view.take_error() {
                return Err(e.into());
            }
            match mixed {
                Ok(value) => {
                    events.extend(emitted);
                    (Some(overlay.into_changes()), value, checked)
                }
                Err(e) => {
                    // Deterministic on every node (like a failed block hook): the writes are
                    // dropped and the previous randomness stands; logged because it is a bug.
                    tracing::error!(error = %e, "beacon mixing failed; its writes were dropped");
                    let previous = bls_beacon::state::randomness(&view)
                        .map(|p| p.bytes())
                        .unwrap_or_default();
                    (None, previous, checked)
                }
            }
        };
        if let Some(changes) = changes {
            self.block.extend(changes);
        }
        Ok((randomness, checked))
    }

    /// At a plan's height, before anything else of the block: runs the registered migration
    /// and records the plan as applied, or halts (see [`crate::upgrades`]).
    fn upgrade_step(&mut self, block: &BlockInfo, events: &mut Vec<Event>) -> Result<(), AppError> {
        let changes = {
            let view = StagedView::new(&self.store, &self.block)?;
            let plan = match bls_upgrade::state::plan(&view) {
                Ok(Some(p)) if p.height == block.height => p,
                Ok(_) => return Ok(()),
                Err(e) => return Err(AppError::Genesis(format!("reading the upgrade plan: {e}"))),
            };
            let Some(upgrade) = self.upgrades.get(&plan.name) else {
                if let Err(e) = self.upgrades.write_info(&plan) {
                    tracing::error!(error = %e, "cannot write upgrade-info.json");
                }
                return Err(AppError::UpgradeNeeded {
                    name: plan.name,
                    height: plan.height,
                });
            };
            let mut overlay = Overlay::new(&view);
            let gas = GasMeter::infinite();
            let mut ctx = Context::new(&mut overlay, block, &gas);
            (upgrade.migrate)(&mut ctx).map_err(|e| AppError::Migration {
                name: plan.name.clone(),
                error: e.to_string(),
            })?;
            bls_upgrade::state::mark_applied(ctx.store, &plan).map_err(|e| {
                AppError::Migration {
                    name: plan.name.clone(),
                    error: e.to_string(),
                }
            })?;
            ctx.emit(
                Event::new("upgrade_applied")
                    .attr("name", &plan.name)
                    .attr("height", plan.height),
            );
            events.append(&mut ctx.events);
            drop(ctx);
            if let Some(e) = view.take_error() {
                return Err(e.into());
            }
            tracing::info!(name = %plan.name, height = plan.height, "upgrade applied");
            overlay.into_changes()
        };
        self.block.extend(changes);
        Ok(())
    }

    fn stored_chain_id_staged(&self) -> Option<String> {
        let view = StagedView::new(&self.store, &self.block).ok()?;
        use cosmwasm_std::Storage;
        view.get(CHAIN_ID_KEY)
            .and_then(|v| String::from_utf8(v).ok())
    }

    fn run_hooks(
        &mut self,
        block: &BlockInfo,
        hook: &'static str,
        events: &mut Vec<Event>,
        validator_updates: &mut Vec<ValidatorUpdate>,
    ) -> Result<(), AppError> {
        let modules = self.modules.clone();
        for &m in modules.iter() {
            let changes = {
                let view = StagedView::new(&self.store, &self.block)?;
                let mut overlay = Overlay::new(&view);
                let gas = GasMeter::infinite();
                let mut ctx = Context::new(&mut overlay, block, &gas);
                let res = if hook == "begin_block" {
                    m.begin_block(&mut ctx)
                } else {
                    m.end_block(&mut ctx)
                };
                let emitted = std::mem::take(&mut ctx.events);
                let updates = std::mem::take(&mut ctx.validator_updates);
                drop(ctx);
                if let Some(e) = view.take_error() {
                    return Err(e.into());
                }
                match res {
                    Ok(()) => {
                        events.extend(emitted);
                        validator_updates.extend(updates);
                        overlay.into_changes()
                    }
                    Err(e) => {
                        // Deterministic on every node, so skipping the hook's writes keeps
                        // consensus; it is logged loudly because it is a bug.
                        tracing::error!(module = m.name(), hook, error = %e, "block hook failed; its writes were dropped");
                        continue;
                    }
                }
            };
            self.block.extend(changes);
        }
        Ok(())
    }

    /// `ApplySnapshotChunk`; once the state is restored, the app takes up its height and
    /// chain id as after a restart.
    fn apply_snapshot_chunk(
        &mut self,
        r: tendermint_proto::v0_38::abci::RequestApplySnapshotChunk,
    ) -> Result<tendermint_proto::v0_38::abci::ResponseApplySnapshotChunk, AppError> {
        let (response, restored) = self.state_sync.apply(&self.store, &self.metrics, r)?;
        if restored.is_some() {
            self.last_block.height = self.store.last_height();
            self.last_block.chain_id = self.stored_chain_id().unwrap_or_default();
            self.publish_committed_block();
            self.report_store();
        }
        Ok(response)
    }

    /// Height, pruning and table sizes on `/metrics` after a commit.
    fn report_store(&mut self) {
        let m = &self.metrics;
        m.height
            .set(i64::try_from(self.store.last_height()).unwrap_or(i64::MAX));
        m.prune_floor
            .set(i64::try_from(self.store.prune_floor().unwrap_or(0)).unwrap_or(i64::MAX));
        let pruned = self.store.pruned_rows_total();
        m.pruned_rows
            .inc_by(pruned.saturating_sub(self.pruned_rows_reported));
        self.pruned_rows_reported = pruned;
        if let Ok(rows) = self.store.read().and_then(|s| s.table_rows()) {
            for (table, n) in rows {
                m.store_rows
                    .get_or_create(&TableLabel {
                        table: table.to_string(),
                    })
                    .set(i64::try_from(n).unwrap_or(i64::MAX));
            }
        }
    }

    /// `Commit`: writes the prepared block in one transaction (pruning old heights as
    /// app.toml says, a bounded amount), resets the check state, and starts a state-sync
    /// snapshot in the background when one is due.
    pub fn commit(&mut self) -> Result<ResponseCommit, AppError> {
        if let Some(p) = self.prepared.take() {
            let hash = self.store.commit_prepared(p)?;
            let height = self.store.last_height();
            tracing::debug!(height, app_hash = %hex::encode(hash), "committed");
            self.publish_committed_block();
            self.report_store();
            self.state_sync
                .after_commit(&self.store, height, &self.metrics);
        }
        self.metrics
            .sig_cache_entries
            .set(i64::try_from(self.sig_cache.len()).unwrap_or(i64::MAX));
        self.check.clear();
        Ok(ResponseCommit { retain_height: 0 })
    }

    /// `Query`, answered on this thread (the node answers queries on their own threads
    /// through [`BlsApp::query_service`]; this serves in-process callers).
    pub fn query(&self, r: RequestQuery) -> ResponseQuery {
        self.query_service().answer(r)
    }
}

/// Records the vote-extension enable height, which only InitChain tells the app, for the
/// beacon (the genesis validators' keys it verifies extensions with are staking's record,
/// [`bls_staking::genesis::init_consensus`]).
fn init_beacon(ctx: &mut Context<'_>, r: &RequestInitChain) -> Result<(), AppError> {
    let enable = r
        .consensus_params
        .as_ref()
        .and_then(|p| p.abci.as_ref())
        .map_or(0, |a| a.vote_extensions_enable_height);
    let enable = u64::try_from(enable).map_err(|_| {
        AppError::Genesis(format!(
            "consensus_params.abci.vote_extensions_enable_height must not be negative, got {enable}"
        ))
    })?;
    let initial_height = ctx.block.height;
    bls_beacon::mix::set_consensus(ctx, initial_height, enable)
        .map_err(|e| AppError::Genesis(format!("beacon: {e}")))
}

fn fatal(e: AppError) -> ! {
    tracing::error!(error = %e, "fatal application error; stopping so CometBFT can replay after a fix");
    std::process::exit(2)
}

fn check_error(log: &str) -> ResponseCheckTx {
    ResponseCheckTx {
        code: 1,
        log: log.to_string(),
        codespace: "store".into(),
        ..Default::default()
    }
}

/// Converts a module event into an ABCI event (every attribute indexed).
pub fn to_abci_event(e: &Event) -> AbciEvent {
    AbciEvent {
        r#type: e.kind.clone(),
        attributes: e
            .attributes
            .iter()
            .map(|(k, v)| EventAttribute {
                key: k.clone(),
                value: v.clone(),
                index: true,
            })
            .collect(),
    }
}

fn to_abci_validator_update(u: &ValidatorUpdate) -> tendermint_proto::v0_38::abci::ValidatorUpdate {
    tendermint_proto::v0_38::abci::ValidatorUpdate {
        pub_key: Some(tendermint_proto::v0_38::crypto::PublicKey {
            sum: Some(tendermint_proto::v0_38::crypto::public_key::Sum::Ed25519(
                u.ed25519_pubkey.clone(),
            )),
        }),
        power: u.power,
    }
}

/// What checking a block's vote extensions found (`None`: not required at its height).
type ExtensionCheck = Result<Option<bls_beacon::VerifiedCommit>, bls_beacon::BeaconError>;

/// The refusal of a marked transaction where none may be.
fn pseudo_tx_refused(index: usize) -> bls_beacon::BeaconError {
    bls_beacon::BeaconError::UnexpectedPseudoTx {
        index,
        why:
            "vote-extension pseudo-transactions are made by the block proposer, first in its block",
    }
}

/// The result of a marked transaction in a decided block: ok for the block's verified vote
/// extensions, the beacon's error otherwise.
fn pseudo_tx_result(index: usize, height: u64, checked: &ExtensionCheck) -> ExecTxResult {
    use bls_core::AbciCode as _;
    let refused = |e: &bls_beacon::BeaconError| ExecTxResult {
        code: e.code(),
        log: e.to_string(),
        codespace: e.codespace().into(),
        ..Default::default()
    };
    match checked {
        Ok(Some(v)) if index == 0 => ExecTxResult {
            code: 0,
            log: format!(
                "vote extensions of height {} ({} of {} voting power signed)",
                height.saturating_sub(1),
                v.signed_power,
                v.total_power
            ),
            ..Default::default()
        },
        Err(e) if index == 0 => refused(e),
        _ => refused(&pseudo_tx_refused(index)),
    }
}

fn gas_i64(g: u64) -> i64 {
    i64::try_from(g).unwrap_or(i64::MAX)
}

fn to_check_response(o: TxOutcome) -> ResponseCheckTx {
    ResponseCheckTx {
        code: o.code,
        data: o.data.into(),
        log: o.log,
        info: String::new(),
        gas_wanted: gas_i64(o.gas_wanted),
        gas_used: gas_i64(o.gas_used),
        events: o.events.iter().map(to_abci_event).collect(),
        codespace: o.codespace,
    }
}

fn to_exec_result(o: TxOutcome) -> ExecTxResult {
    ExecTxResult {
        code: o.code,
        data: o.data.into(),
        log: o.log,
        info: String::new(),
        gas_wanted: gas_i64(o.gas_wanted),
        gas_used: gas_i64(o.gas_used),
        events: o.events.iter().map(to_abci_event).collect(),
        codespace: o.codespace,
    }
}
