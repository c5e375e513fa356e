//! JSON queries under `/bls.orchestration.v1.Query/`: `Function`, `Functions`, `Code`, `Job`,
//! `Jobs`, `Result`, `JobsForWorker`, `Params` (fast path: [`crate::fastpath::queries`];
//! secrets: [`crate::secrets::queries`]; marketplace: [`crate::market::queries`]). Lists take `start_after` (an id) and `limit`
//! (≤ 100) and return `next` when more may follow; a filtered page scans at most
//! [`MAX_SCAN`] entries so a query stays cheap.

use bls_core::Address;
use cosmwasm_std::{Binary, Order, Storage};
use cw_storage_plus::Bound;
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::error::OrchestrationError;
use crate::params::Params;
use crate::state::{
    self, CodeInfo, Function, Job, JobResult, JobStatus, Subnetwork, CODES, FUNCTIONS,
    FUNCTIONS_BY_OWNER, JOBS, JOBS_BY_FUNCTION, SUBNETS, WORKER_JOBS,
};

/// Query path prefix.
pub const QUERY_PREFIX: &str = "/bls.orchestration.v1.Query/";
/// Largest page.
pub const MAX_LIMIT: u32 = 100;
/// Page size when `limit` is absent.
pub const DEFAULT_LIMIT: u32 = 50;
/// Most entries a filtered page looks at.
pub const MAX_SCAN: usize = 5_000;

/// Request by numeric id (`Function`, `Job`, `Result`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdRequest {
    /// The id (`function_id` / `job_id` accepted as aliases).
    #[serde(alias = "function_id", alias = "job_id")]
    pub id: u64,
}

/// `Function` response.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FunctionResponse {
    /// The function.
    pub function: Function,
    /// Its subnetwork (absent before placement or after retirement).
    pub subnetwork: Option<Subnetwork>,
    /// What each invocation pays its owner now (its listing price; "0" when not listed),
    /// ubls, on top of execution fees.
    #[serde(default)]
    pub royalty: String,
    /// What a job escrows now for the prices of the functions it may call
    /// ([`crate::market::composition::call_reserve`]; "0" when it calls none), ubls, on top
    /// of `royalty` and the worst-case fee. Unused reserve is refunded at settlement.
    #[serde(default)]
    pub call_reserve: String,
}

/// `Functions` request.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FunctionsRequest {
    /// Only this owner.
    pub owner: Option<String>,
    /// Start after this function id.
    pub start_after: Option<u64>,
    /// Page size.
    pub limit: Option<u32>,
}

/// A page of functions.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FunctionsResponse {
    /// Functions in id order.
    pub functions: Vec<Function>,
    /// Next `start_after`, if more may follow.
    pub next: Option<u64>,
}

/// `Code` request.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    /// Hex sha256 of the raw WASM (`code_hash` accepted as an alias).
    #[serde(alias = "code_hash")]
    pub hash: String,
}

/// `Code` response: the bytes as deployed (see `info.compression`), base64 in JSON.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CodeResponse {
    /// Metadata.
    pub info: CodeInfo,
    /// Stored bytes (gzip or raw WASM).
    pub code: Binary,
}

/// `Job` response.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct JobResponse {
    /// The job.
    pub job: Job,
}

/// `Jobs` request.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobsRequest {
    /// Only this status (`committing`, `revealing`, `finalized`, `failed`).
    pub status: Option<String>,
    /// Only this function.
    pub function_id: Option<u64>,
    /// Start after this job id.
    pub start_after: Option<u64>,
    /// Page size.
    pub limit: Option<u32>,
}

/// A page of jobs.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct JobsResponse {
    /// Jobs in id order.
    pub jobs: Vec<Job>,
    /// Next `start_after`, if more may follow.
    pub next: Option<u64>,
}

/// `Result` request.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultRequest {
    /// Job id (`id` accepted as an alias).
    #[serde(alias = "id")]
    pub job_id: u64,
}

/// `Result` response.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ResultResponse {
    /// The finalized result (outcome bytes base64). While the job is settling, `workers`
    /// lists the agreeing workers so far; settlement may add late agreeing revealers.
    pub result: JobResult,
}

/// `JobsForWorker` request.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobsForWorkerRequest {
    /// Worker id.
    pub worker: String,
    /// Start after this job id.
    pub start_after: Option<u64>,
    /// Page size.
    pub limit: Option<u32>,
}

/// What an assigned worker should do next for a job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NextAction {
    /// Execute and commit.
    Commit,
    /// Committed; wait for commits to close.
    WaitForReveals,
    /// Reveal the committed outcome (also after finality, until settlement: a late agreeing
    /// reveal is paid, a missing one is a liveness miss).
    Reveal,
    /// Nothing left for this worker.
    Done,
}

/// One open job of a worker.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WorkerJob {
    /// The job.
    pub job: Job,
    /// What the worker should do.
    pub next_action: NextAction,
}

/// `JobsForWorker` response.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct JobsForWorkerResponse {
    /// Unsettled jobs assigned to the worker in their current round, in id order.
    pub jobs: Vec<WorkerJob>,
    /// Next `start_after`, if more may follow.
    pub next: Option<u64>,
}

/// `Params` response.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ParamsResponse {
    /// Current params.
    pub params: Params,
}

pub(crate) fn parse_req<T: DeserializeOwned + Default>(
    data: &[u8],
) -> Result<T, OrchestrationError> {
    if data.is_empty() {
        return Ok(T::default());
    }
    serde_json::from_slice(data).map_err(|e| OrchestrationError::InvalidQuery(e.to_string()))
}

pub(crate) fn to_json<T: Serialize>(v: &T) -> Result<Vec<u8>, OrchestrationError> {
    serde_json::to_vec(v).map_err(|e| OrchestrationError::Store(e.to_string()))
}

pub(crate) fn limit(l: Option<u32>) -> usize {
    usize::try_from(l.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT)).unwrap_or(100)
}

/// Answers one query method.
pub fn query(
    store: &dyn Storage,
    method: &str,
    data: &[u8],
) -> Result<Vec<u8>, OrchestrationError> {
    match method {
        "Function" => {
            let req: IdRequest = parse_req(data)?;
            to_json(&FunctionResponse {
                function: state::must_get_function(store, req.id)?,
                subnetwork: SUBNETS.may_load(store, req.id)?,
                royalty: crate::market::royalty::price_of(store, req.id)?
                    .map_or(0, |(_, p)| p)
                    .to_string(),
                call_reserve: crate::market::composition::call_reserve_of(store, req.id)?
                    .to_string(),
            })
        }
        "Functions" => to_json(&functions(store, &parse_req(data)?)?),
        "Code" => {
            let req: CodeRequest = parse_req(data)?;
            let hash = state::parse_hash(&req.hash).ok_or_else(|| {
                OrchestrationError::InvalidQuery("hash must be 64 hex characters".into())
            })?;
            let hex_hash = hex::encode(hash);
            let info = CODES
                .may_load(store, &hex_hash)?
                .ok_or_else(|| OrchestrationError::CodeNotFound(hex_hash.clone()))?;
            let code = state::load_code_blob(store, &hash)
                .ok_or(OrchestrationError::CodeNotFound(hex_hash))?;
            to_json(&CodeResponse {
                info,
                code: Binary::from(code),
            })
        }
        "Job" => {
            let req: IdRequest = parse_req(data)?;
            to_json(&JobResponse {
                job: state::must_get_job(store, req.id)?,
            })
        }
        "Jobs" => to_json(&jobs(store, &parse_req(data)?)?),
        "Result" => {
            let req: ResultRequest = parse_req(data)?;
            let missing =
                || OrchestrationError::InvalidQuery(format!("job {} has no result", req.job_id));
            let job = match JOBS.may_load(store, req.job_id)? {
                Some(job) => job,
                None => match state::missing_job(store, req.job_id)? {
                    pruned @ OrchestrationError::JobPruned(_) => return Err(pruned),
                    _ => return Err(missing()),
                },
            };
            let result = crate::handlers::settle::result_of(store, &job, &state::params(store)?)?
                .ok_or_else(missing)?;
            to_json(&ResultResponse { result })
        }
        "JobsForWorker" => to_json(&jobs_for_worker(store, &parse_req(data)?)?),
        "Params" => to_json(&ParamsResponse {
            params: state::params(store)?,
        }),
        other => crate::fastpath::queries::query(store, other, data)
            .or_else(|| crate::secrets::queries::query(store, other, data))
            .or_else(|| crate::market::queries::query(store, other, data))
            .unwrap_or_else(|| {
                Err(OrchestrationError::InvalidQuery(format!(
                    "unknown query method {other:?}"
                )))
            }),
    }
}

fn functions(
    store: &dyn Storage,
    req: &FunctionsRequest,
) -> Result<FunctionsResponse, OrchestrationError> {
    let limit = limit(req.limit);
    let start = req.start_after.map(Bound::exclusive);
    let ids: Vec<u64> = match &req.owner {
        Some(owner) => {
            let owner = Address::parse(owner)
                .map_err(|e| OrchestrationError::InvalidQuery(e.to_string()))?;
            FUNCTIONS_BY_OWNER
                .prefix(owner.as_str())
                .keys(store, start, None, Order::Ascending)
                .take(limit.saturating_add(1))
                .collect::<Result<_, _>>()?
        }
        None => FUNCTIONS
            .keys(store, start, None, Order::Ascending)
            .take(limit.saturating_add(1))
            .collect::<Result<_, _>>()?,
    };
    let more = ids.len() > limit;
    let mut out = Vec::new();
    for id in ids.into_iter().take(limit) {
        out.push(state::must_get_function(store, id)?);
    }
    let next = if more { out.last().map(|f| f.id) } else { None };
    Ok(FunctionsResponse {
        functions: out,
        next,
    })
}

fn jobs(store: &dyn Storage, req: &JobsRequest) -> Result<JobsResponse, OrchestrationError> {
    let limit = limit(req.limit);
    let status = match &req.status {
        Some(s) => Some(
            JobStatus::parse(s)
                .ok_or_else(|| OrchestrationError::InvalidQuery(format!("unknown status {s:?}")))?,
        ),
        None => None,
    };
    let start = req.start_after.map(Bound::exclusive);
    let ids: Box<dyn Iterator<Item = Result<u64, cosmwasm_std::StdError>>> = match req.function_id {
        Some(f) => Box::new(
            JOBS_BY_FUNCTION
                .prefix(f)
                .keys(store, start, None, Order::Ascending),
        ),
        None => Box::new(JOBS.keys(store, start, None, Order::Ascending)),
    };
    let mut out = Vec::new();
    let mut next = None;
    for (scanned, id) in ids.enumerate() {
        let id = id?;
        if scanned >= MAX_SCAN {
            next = Some(id.saturating_sub(1));
            break;
        }
        let job = state::must_get_job(store, id)?;
        if status.is_some_and(|s| s != job.status) {
            continue;
        }
        if out.len() == limit {
            next = out.last().map(|j: &Job| j.id);
            break;
        }
        out.push(job);
    }
    Ok(JobsResponse { jobs: out, next })
}

fn jobs_for_worker(
    store: &dyn Storage,
    req: &JobsForWorkerRequest,
) -> Result<JobsForWorkerResponse, OrchestrationError> {
    let worker =
        Address::parse(&req.worker).map_err(|e| OrchestrationError::InvalidQuery(e.to_string()))?;
    let limit = limit(req.limit);
    let ids: Vec<u64> = WORKER_JOBS
        .prefix(worker.as_str())
        .keys(
            store,
            req.start_after.map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(limit.saturating_add(1))
        .collect::<Result<_, _>>()?;
    let more = ids.len() > limit;
    let mut out = Vec::new();
    for id in ids.into_iter().take(limit) {
        let job = state::must_get_job(store, id)?;
        let next_action = match (job.status, job.assignment(&worker)) {
            (JobStatus::Committing, Some(a)) if a.commitment.is_none() => NextAction::Commit,
            (JobStatus::Committing, Some(_)) => NextAction::WaitForReveals,
            (_, Some(a))
                if job.accepts_reveals() && a.commitment.is_some() && a.result_hash.is_none() =>
            {
                NextAction::Reveal
            }
            _ => NextAction::Done,
        };
        out.push(WorkerJob { job, next_action });
    }
    let next = if more {
        out.last().map(|j| j.job.id)
    } else {
        None
    };
    Ok(JobsForWorkerResponse { jobs: out, next })
}
