//! Client side of the registry module: typed queries.

use bls_core::Address;
use bls_registry::queries::{
    ParamsResponse, WorkerRequest, WorkerResponse, WorkersRequest, WorkersResponse,
};

use crate::rpc::{RpcClient, RpcError};

// ABCI query paths of the registry module, for callers that read through their own cache
// (the worker's chain view) rather than the typed functions below.
/// `Worker` query path.
pub const WORKER_QUERY: &str = "/bls.registry.v1.Query/Worker";
/// `Workers` query path.
pub const WORKERS_QUERY: &str = "/bls.registry.v1.Query/Workers";
/// `WorkersByOperator` query path.
pub const WORKERS_BY_OPERATOR_QUERY: &str = "/bls.registry.v1.Query/WorkersByOperator";
/// `Params` query path.
pub const PARAMS_QUERY: &str = "/bls.registry.v1.Query/Params";

/// `Worker` query: the worker run by `operator`, with its liveness counters.
pub async fn worker(rpc: &RpcClient, operator: &Address) -> Result<WorkerResponse, RpcError> {
    rpc.query_json(
        WORKER_QUERY,
        &WorkerRequest {
            id: operator.to_string(),
        },
    )
    .await
}

/// `Workers` query (filtered, paginated).
pub async fn workers(rpc: &RpcClient, req: &WorkersRequest) -> Result<WorkersResponse, RpcError> {
    rpc.query_json(WORKERS_QUERY, req).await
}

/// `Params` query.
pub async fn params(rpc: &RpcClient) -> Result<ParamsResponse, RpcError> {
    rpc.query_json(PARAMS_QUERY, &serde_json::json!({})).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_paths_are_the_modules_prefix_and_method() {
        use bls_registry::queries::QUERY_PREFIX;
        for (path, method) in [
            (WORKER_QUERY, "Worker"),
            (WORKERS_QUERY, "Workers"),
            (WORKERS_BY_OPERATOR_QUERY, "WorkersByOperator"),
            (PARAMS_QUERY, "Params"),
        ] {
            assert_eq!(path, format!("{QUERY_PREFIX}{method}"));
        }
    }
}
