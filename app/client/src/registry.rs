//! Client side of the registry module: typed queries.

use bls_core::Address;
use bls_registry::queries::{
    ParamsResponse, WorkerRequest, WorkerResponse, WorkersRequest, WorkersResponse, QUERY_PREFIX,
};

use crate::rpc::{RpcClient, RpcError};

fn path(method: &str) -> String {
    format!("{QUERY_PREFIX}{method}")
}

/// `Worker` query: the worker run by `operator`, with its liveness counters.
pub async fn worker(rpc: &RpcClient, operator: &Address) -> Result<WorkerResponse, RpcError> {
    rpc.query_json(
        &path("Worker"),
        &WorkerRequest {
            id: operator.to_string(),
        },
    )
    .await
}

/// `Workers` query (filtered, paginated).
pub async fn workers(rpc: &RpcClient, req: &WorkersRequest) -> Result<WorkersResponse, RpcError> {
    rpc.query_json(&path("Workers"), req).await
}

/// `Params` query.
pub async fn params(rpc: &RpcClient) -> Result<ParamsResponse, RpcError> {
    rpc.query_json(&path("Params"), &serde_json::json!({}))
        .await
}
