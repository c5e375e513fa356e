//! The chain queries the daemon makes (JSON ABCI queries of the registry and orchestration
//! modules), typed with the modules' own request/response structs. The job path reads the
//! chain directly; the fast path reads through a shared short-lived cache ([`ChainView`]).

use std::sync::Arc;

use bls_client::orchestration::{CODE_QUERY, FUNCTION_QUERY, JOBS_FOR_WORKER_QUERY};
use bls_client::registry::{WORKERS_BY_OPERATOR_QUERY, WORKER_QUERY};
use bls_client::{RpcClient, RpcError};
use bls_orchestration::queries::{
    CodeRequest, CodeResponse, FunctionResponse, IdRequest, JobsForWorkerRequest,
    JobsForWorkerResponse, WorkerJob,
};
use bls_orchestration::state::Job;
use bls_registry::queries::{
    WorkerRequest, WorkerResponse, WorkersByOperatorRequest, WorkersResponse,
};
use bls_registry::Worker;

use super::chain_view::{ChainView, DEFAULT_TTL};

/// Typed queries over one RPC client. Clones share one [`ChainView`] cache.
#[derive(Clone, Debug)]
pub struct Chain {
    rpc: RpcClient,
    view: Arc<ChainView>,
}

impl Chain {
    /// Wraps `rpc`, with a fast-path cache trusting reads for [`DEFAULT_TTL`].
    pub fn new(rpc: RpcClient) -> Chain {
        let view = Arc::new(ChainView::new(rpc.clone(), DEFAULT_TTL));
        Chain { rpc, view }
    }

    /// The RPC client.
    pub fn rpc(&self) -> &RpcClient {
        &self.rpc
    }

    /// The fast path's cached reads (valid for at most the view's TTL).
    pub fn view(&self) -> &ChainView {
        &self.view
    }

    /// A function and its subnetwork, from the fast-path cache (at most one TTL old).
    pub async fn function(&self, id: u64) -> Result<FunctionResponse, RpcError> {
        self.view.query(FUNCTION_QUERY, &IdRequest { id }).await
    }

    /// A registered worker by id, from the fast-path cache (at most one TTL old).
    pub async fn worker(&self, id: &str) -> Result<Worker, RpcError> {
        let r: WorkerResponse = self
            .view
            .query(WORKER_QUERY, &WorkerRequest { id: id.to_string() })
            .await?;
        Ok(r.worker)
    }

    /// A job by id.
    pub async fn job(&self, id: u64) -> Result<Job, RpcError> {
        bls_client::orchestration::job(&self.rpc, id).await
    }

    /// Stored code (as deployed: gzip or raw) by hex hash.
    pub async fn code(&self, hash_hex: &str) -> Result<CodeResponse, RpcError> {
        self.rpc
            .query_json(
                CODE_QUERY,
                &CodeRequest {
                    hash: hash_hex.to_string(),
                },
            )
            .await
    }

    /// Every open job assigned to `worker` in its current round (follows pagination).
    pub async fn jobs_for_worker(&self, worker: &str) -> Result<Vec<WorkerJob>, RpcError> {
        let mut out = Vec::new();
        let mut start_after = None;
        loop {
            let req = JobsForWorkerRequest {
                worker: worker.to_string(),
                start_after,
                limit: Some(100),
            };
            let page: JobsForWorkerResponse =
                self.rpc.query_json(JOBS_FOR_WORKER_QUERY, &req).await?;
            out.extend(page.jobs);
            match page.next {
                // Stop on no progress so a misbehaving node cannot loop us.
                Some(n) if Some(n) != start_after => start_after = Some(n),
                _ => return Ok(out),
            }
        }
    }

    /// [`Chain::worker_of`] through the view's cache (at most one TTL old), for the checks
    /// made on every fast-path request: a status change takes effect there within the TTL.
    pub async fn worker_of_cached(&self, operator: &str) -> Result<Option<Worker>, RpcError> {
        let r: WorkersResponse = self
            .view
            .query(
                WORKERS_BY_OPERATOR_QUERY,
                &WorkersByOperatorRequest {
                    operator: operator.to_string(),
                },
            )
            .await?;
        Ok(r.workers.into_iter().next())
    }

    /// The worker run by `operator`, if registered.
    pub async fn worker_of(&self, operator: &str) -> Result<Option<Worker>, RpcError> {
        let r: WorkersResponse = self
            .rpc
            .query_json(
                WORKERS_BY_OPERATOR_QUERY,
                &WorkersByOperatorRequest {
                    operator: operator.to_string(),
                },
            )
            .await?;
        Ok(r.workers.into_iter().next())
    }
}
