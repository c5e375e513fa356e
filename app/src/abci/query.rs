//! The query router.
//!
//! | path | data | answer |
//! |---|---|---|
//! | `/store/key` | raw key | the value at the last height; with `prove=true` an ics23 proof (op type `ics23:jmt`) against that height's app hash |
//! | `/cosmos.tx.v1beta1.Service/Simulate` | `SimulateRequest` | `SimulateResponse` over the CheckTx state |
//! | a module's prefix (`/cosmos.bank.v1beta1.Query/`, `/bls.orchestration.v1.Query/`, ...) | per module | per module |
//!
//! Every answer carries the last committed height (never 0 once a block exists: CosmJS rejects
//! height 0). Queries at older heights are refused with a clear error rather than answered
//! from the latest state.

use bls_core::{BlockInfo, ModuleError};
use prost::Message;
use tendermint_proto::v0_38::abci::{RequestQuery, ResponseQuery};
use tendermint_proto::v0_38::crypto::{ProofOp, ProofOps};

use super::app::BlsApp;
use crate::store::{ChangeSet, Overlay, StagedView};

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

/// Answers one query (see the module docs for the paths).
pub fn route(app: &BlsApp, check: &ChangeSet, last: &BlockInfo, r: RequestQuery) -> ResponseQuery {
    let height = app.store().last_height();
    if r.height != 0 && r.height != height_i64(height) {
        return error_response(
            &ModuleError::new(
                "sdk",
                26,
                format!(
                    "invalid height {}: only the latest height {} is kept queryable",
                    r.height, height
                ),
            ),
            height,
        );
    }
    let result = if r.path == STORE_PATH {
        return store_query(app, &r.data, r.prove, height);
    } else if r.path == SIMULATE_PATH {
        simulate(app, check, last, &r.data)
    } else {
        module_query(app, &r.path, &r.data)
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

fn store_query(app: &BlsApp, key: &[u8], prove: bool, height: u64) -> ResponseQuery {
    match app.store().query(key, prove) {
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
        Err(e) => error_response(&ModuleError::storage("store query", e), height),
    }
}

fn simulate(
    app: &BlsApp,
    check: &ChangeSet,
    last: &BlockInfo,
    data: &[u8],
) -> Result<Vec<u8>, ModuleError> {
    let view =
        StagedView::new(app.store(), check).map_err(|e| ModuleError::storage("simulate", e))?;
    // Simulation writes into a throwaway overlay: nothing it does is kept.
    let mut overlay = Overlay::new(&view);
    let mut next = last.clone();
    next.height = next.height.saturating_add(1);
    crate::tx::TxPipeline::new(app.modules()).query_simulate(&mut overlay, &next, data)
}

fn module_query(app: &BlsApp, path: &str, data: &[u8]) -> Result<Vec<u8>, ModuleError> {
    let module = app
        .modules()
        .iter()
        .find(|m| path.starts_with(m.query_prefix()))
        .ok_or_else(|| ModuleError::new("sdk", 6, format!("unknown query path {path:?}")))?;
    let method = &path[module.query_prefix().len()..];
    let snap = app
        .store()
        .snapshot()
        .map_err(|e| ModuleError::storage("query", e))?;
    module.query(&snap, method, data)
}
