//! The chain queries the daemon makes (JSON ABCI queries of the registry and orchestration
//! modules), typed with the modules' own request/response structs.

use bls_client::{RpcClient, RpcError};
use bls_orchestration::queries::{
    CodeRequest, CodeResponse, IdRequest, JobResponse, JobsForWorkerRequest, JobsForWorkerResponse,
    WorkerJob,
};
use bls_orchestration::state::Job;
use bls_registry::queries::{WorkersByOperatorRequest, WorkersResponse};
use bls_registry::Worker;

const JOB: &str = "/bls.orchestration.v1.Query/Job";
const CODE: &str = "/bls.orchestration.v1.Query/Code";
const JOBS_FOR_WORKER: &str = "/bls.orchestration.v1.Query/JobsForWorker";
const WORKERS_BY_OPERATOR: &str = "/bls.registry.v1.Query/WorkersByOperator";

/// Typed queries over one RPC client.
#[derive(Clone, Debug)]
pub struct Chain {
    rpc: RpcClient,
}

impl Chain {
    /// Wraps `rpc`.
    pub fn new(rpc: RpcClient) -> Chain {
        Chain { rpc }
    }

    /// The RPC client.
    pub fn rpc(&self) -> &RpcClient {
        &self.rpc
    }

    /// A job by id.
    pub async fn job(&self, id: u64) -> Result<Job, RpcError> {
        let r: JobResponse = self.rpc.query_json(JOB, &IdRequest { id }).await?;
        Ok(r.job)
    }

    /// Stored code (as deployed: gzip or raw) by hex hash.
    pub async fn code(&self, hash_hex: &str) -> Result<CodeResponse, RpcError> {
        self.rpc
            .query_json(
                CODE,
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
            let page: JobsForWorkerResponse = self.rpc.query_json(JOBS_FOR_WORKER, &req).await?;
            out.extend(page.jobs);
            match page.next {
                // Stop on no progress so a misbehaving node cannot loop us.
                Some(n) if Some(n) != start_after => start_after = Some(n),
                _ => return Ok(out),
            }
        }
    }

    /// The worker run by `operator`, if registered.
    pub async fn worker_of(&self, operator: &str) -> Result<Option<Worker>, RpcError> {
        let r: WorkersResponse = self
            .rpc
            .query_json(
                WORKERS_BY_OPERATOR,
                &WorkersByOperatorRequest {
                    operator: operator.to_string(),
                },
            )
            .await?;
        Ok(r.workers.into_iter().next())
    }
}
