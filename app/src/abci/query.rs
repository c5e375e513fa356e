//! The query router, served off the consensus thread ([`QueryService`]).
//!
//! Every answer reads one consistent committed state ([`crate::store::Store::read`]): the
//! consensus thread keeps executing and committing blocks while queries run on CometBFT's
//! query connection, the REST gateway and the dashboard.
//!
//! | path | data | answer |
//! |---|---|---|
//! | `/store/key` | raw key | the value at the height; with `prove=true` an ics23 proof (op type `ics23:jmt`) against that height's app hash |
//! | `/cosmos.tx.v1beta1.Service/Simulate` | `SimulateRequest` | `SimulateResponse` over the last committed state (latest height only), gas capped at auth's `max_gas_per_tx` |
//! | a module's prefix (`/cosmos.bank.v1beta1.Query/`, `/bls.orchestration.v1.Query/`, ...) | per module | per module, over that height's state |
//!
//! `bls.*` module queries are served only for the rpcs of proto/ (`bls_proto`): a method the
//! schema does not declare is an unknown path (code 6), whatever the module would answer. Each
//! is answered in JSON or protobuf by its request data ([`bls_proto::query::Encoding`]): data
//! whose first byte is `{` is the module's JSON request and gets its JSON answer; anything else,
//! empty data included, is the rpc's protobuf request message and gets its protobuf response
//! message (converted through the module's JSON; a request that does not decode is code 18).
//!
//! `RequestQuery.height`: 0 means the last committed height; a past height is answered from
//! the state committed at it (nothing is pruned: `/store/key` at every committed height,
//! module queries from [`crate::store::Store::history_from`] on). Every answer carries the
//! height it was answered at (never 0 once a block exists: CosmJS rejects height 0).
//! Refusals, with the latest height in the answer: a negative or future height is code 26
//! (`ErrInvalidHeight`), a height whose state is not stored is code 38 (`ErrNotFound`),
//! simulate at a past height is code 26.

use std::sync::{Arc, RwLock};

use bls_core::{BlockInfo, Module, ModuleError};
use bls_proto::query::{CodecError, Encoding, QueryRpc};
use prost::Message;
use tendermint_proto::v0_38::abci::{RequestQuery, ResponseQuery};
use tendermint_proto::v0_38::crypto::{ProofOp, ProofOps};

pub use super::query_gate::QueryGate;
use crate::metrics::AppMetrics;
use crate::store::{CommittedState, Overlay, Store, StoreError};

/// Path of raw store queries.
pub const STORE_PATH: &str = "/store/key";
/// Path of the Cosmos simulate service.
pub const SIMULATE_PATH: &str = "/cosmos.tx.v1beta1.Service/Simulate";
/// Proof op type of our ics23 proofs.
pub const PROOF_OP_TYPE: &str = "ics23:jmt";

fn height_i64(h: u64) -> i64 {
    i64::try_from(h).unwrap_or(i64::MAX)
}

fn error_response(e: &ModuleError, height: u64) -> ResponseQuery {
    ResponseQuery {
        code: e.code.max(1),
        log: e.log.clone(),
        codespace: e.codespace.clone(),
        height: height_i64(height),
        ..Default::default()
    }
}

/// Cosmos SDK `ErrInvalidHeight`.
const CODE_INVALID_HEIGHT: u32 = 26;
/// Cosmos SDK `ErrNotFound` (state at a height that is not stored).
const CODE_NOT_FOUND: u32 = 38;
/// Cosmos SDK `ErrUnknownRequest` (a query path nobody answers).
const CODE_UNKNOWN_REQUEST: u32 = 6;
/// Cosmos SDK `ErrInvalidRequest` (request data that does not decode).
const CODE_INVALID_REQUEST: u32 = 18;
/// Cosmos SDK `ErrInternal` (an answer that does not fit the schema: a bug on our side).
const CODE_INTERNAL: u32 = 1;

/// The height a query asks for: 0 is the last committed height; negative or future heights
/// are refused.
fn requested_height(asked: i64, latest: u64) -> Result<u64, ModuleError> {
    let Ok(h) = u64::try_from(asked) else {
        return Err(ModuleError::new(
            "sdk",
            CODE_INVALID_HEIGHT,
            format!("invalid height {asked}: must be 0 (latest) or a positive height"),
        ));
    };
    if h == 0 {
        return Ok(latest);
    }
    if h > latest {
        return Err(ModuleError::new(
            "sdk",
            CODE_INVALID_HEIGHT,
            format!(
                "cannot query with height in the future: {h} is above the latest height {latest}"
            ),
        ));
    }
    Ok(h)
}

/// A store error of a read at `height` as the query answer's error.
fn height_error(context: &'static str, height: u64, e: StoreError) -> ModuleError {
    match e {
        StoreError::FutureHeight { .. } => {
            ModuleError::new("sdk", CODE_INVALID_HEIGHT, e.to_string())
        }
        StoreError::HeightNotStored { .. } | StoreError::HeightPruned { .. } => ModuleError::new(
            "sdk",
            CODE_NOT_FOUND,
            format!("failed to load state at height {height}: {e}"),
        ),
        other => ModuleError::storage(context, other),
    }
}

/// Answers queries from committed state on the caller's thread: CometBFT's query connection,
/// the REST gateway and the dashboard call it directly, never through the consensus thread,
/// so no query (a heavy simulate included) can hold up FinalizeBlock or Commit. At most
/// `max_concurrent` queries run at once; the rest wait their turn ([`QueryGate`]).
#[derive(Clone)]
pub struct QueryService {
    store: Arc<Store>,
    modules: Arc<[&'static dyn Module]>,
    /// Chain id and time of the last committed block: simulate runs "in" the next block.
    last_block: Arc<RwLock<BlockInfo>>,
    gate: Arc<QueryGate>,
    metrics: AppMetrics,
}

impl QueryService {
    pub(crate) fn new(
        store: Arc<Store>,
        modules: Arc<[&'static dyn Module]>,
        last_block: Arc<RwLock<BlockInfo>>,
        gate: Arc<QueryGate>,
        metrics: AppMetrics,
    ) -> Self {
        QueryService {
            store,
            modules,
            last_block,
            gate,
            metrics,
        }
    }

    /// Answers one query (see the module docs for the paths and heights).
    pub fn answer(&self, r: RequestQuery) -> ResponseQuery {
        let _turn = self.gate.enter();
        self.metrics.queries.inc();
        let state = match self.store.read() {
            Ok(s) => s,
            Err(e) => {
                let e = ModuleError::storage("query", e);
                return error_response(&e, self.store.last_height());
            }
        };
        self.route(&state, r)
    }

    fn route(&self, state: &CommittedState<'_>, r: RequestQuery) -> ResponseQuery {
        let latest = state.height();
        let height = match requested_height(r.height, latest) {
            Ok(h) => h,
            Err(e) => return error_response(&e, latest),
        };
        let result = if r.path == STORE_PATH {
            return store_query(state, &r.data, r.prove, height, latest);
        } else if r.path == SIMULATE_PATH {
            if height != latest {
                Err(ModuleError::new(
                    "sdk",
                    CODE_INVALID_HEIGHT,
                    format!(
                        "simulate runs on the latest state only: ask height 0 or {latest}, not {height}"
                    ),
                ))
            } else {
                self.simulate(state, &r.data)
            }
        } else if height == latest {
            module_query(&self.modules, state, &r.path, &r.data)
        } else {
            module_query_at(&self.modules, state, &r.path, &r.data, height)
        };
        match result {
            Ok(value) => ResponseQuery {
                code: 0,
                key: r.data.clone(),
                value: value.into(),
                height: height_i64(height),
                ..Default::default()
            },
            Err(e) => error_response(&e, height),
        }
    }

    /// Runs the tx over the committed state in a throwaway overlay, as if in the next block.
    /// Txs still in the mempool are not seen (their sequence is: see the ante's simulate rule).
    fn simulate(&self, state: &CommittedState<'_>, data: &[u8]) -> Result<Vec<u8>, ModuleError> {
        let view = state
            .view()
            .map_err(|e| ModuleError::storage("simulate", e))?;
        let mut overlay = Overlay::new(&view);
        let mut next = match self.last_block.read() {
            Ok(b) => b.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        next.height = state.height().saturating_add(1);
        let answer =
            crate::tx::TxPipeline::new(&self.modules).query_simulate(&mut overlay, &next, data);
        if let Some(e) = view.take_error() {
            return Err(ModuleError::storage("simulate", e));
        }
        answer
    }
}

fn store_query(
    state: &CommittedState<'_>,
    key: &[u8],
    prove: bool,
    height: u64,
    latest: u64,
) -> ResponseQuery {
    match state.query_at(key, prove, height) {
        Ok(q) => ResponseQuery {
            code: 0,
            key: key.to_vec().into(),
            value: q.value.unwrap_or_default().into(),
            proof_ops: q.proof.map(|p| ProofOps {
                ops: vec![ProofOp {
                    r#type: PROOF_OP_TYPE.into(),
                    key: key.to_vec(),
                    data: p.encode_to_vec(),
                }],
            }),
            height: height_i64(q.height),
            ..Default::default()
        },
        Err(e) => error_response(&height_error("store query", height, e), latest),
    }
}

/// The module answering `path`, the method part of the path, and for a `bls.*` path its rpc in
/// proto/ (refused when the schema has none).
fn find_module<'a>(
    modules: &'a [&'static dyn Module],
    path: &'a str,
) -> Result<(&'a dyn bls_core::Module, &'a str, Option<QueryRpc>), ModuleError> {
    let unknown = |detail: String| ModuleError::new("sdk", CODE_UNKNOWN_REQUEST, detail);
    let module = modules
        .iter()
        .find(|m| path.starts_with(m.query_prefix()))
        .ok_or_else(|| unknown(format!("unknown query path {path:?}")))?;
    let method = path.get(module.query_prefix().len()..).unwrap_or_default();
    let rpc = QueryRpc::for_path(path)
        .transpose()
        .map_err(|e| unknown(e.to_string()))?;
    Ok((*module, method, rpc))
}

fn codec_error(e: CodecError) -> ModuleError {
    let code = match e {
        CodecError::UnknownMethod(_) => CODE_UNKNOWN_REQUEST,
        CodecError::InvalidRequest { .. } => CODE_INVALID_REQUEST,
        CodecError::InvalidResponse { .. } => CODE_INTERNAL,
    };
    ModuleError::new("sdk", code, e.to_string())
}

/// Asks `module`, in the encoding the request picks: a protobuf request is handed to the
/// module as JSON and its JSON answer returned as the rpc's response message.
fn ask(
    module: &dyn bls_core::Module,
    rpc: Option<&QueryRpc>,
    store: &dyn cosmwasm_std::Storage,
    method: &str,
    data: &[u8],
) -> Result<Vec<u8>, ModuleError> {
    match rpc {
        Some(rpc) if Encoding::of(data) == Encoding::Protobuf => {
            let json = rpc.request_to_json(data).map_err(codec_error)?;
            let answer = module.query(store, method, &json)?;
            rpc.response_to_protobuf(&answer).map_err(codec_error)
        }
        _ => module.query(store, method, data),
    }
}

fn module_query(
    modules: &[&'static dyn Module],
    state: &CommittedState<'_>,
    path: &str,
    data: &[u8],
) -> Result<Vec<u8>, ModuleError> {
    let (module, method, rpc) = find_module(modules, path)?;
    let view = state.view().map_err(|e| ModuleError::storage("query", e))?;
    let answer = ask(module, rpc.as_ref(), &view, method, data);
    // A failed disk read answers from missing data: report it rather than the answer.
    if let Some(e) = view.take_error() {
        return Err(ModuleError::storage("query", e));
    }
    answer
}

/// A module query over the state committed at a past `height`.
fn module_query_at(
    modules: &[&'static dyn Module],
    state: &CommittedState<'_>,
    path: &str,
    data: &[u8],
    height: u64,
) -> Result<Vec<u8>, ModuleError> {
    let (module, method, rpc) = find_module(modules, path)?;
    let view = state
        .view_at(height)
        .map_err(|e| height_error("query at height", height, e))?;
    let answer = ask(module, rpc.as_ref(), &view, method, data);
    // A failed disk read answers from missing data: report it rather than the answer.
    if let Some(e) = view.take_error() {
        return Err(ModuleError::storage("query at height", e));
    }
    answer
}
