//! Client side of the orchestration module: typed queries, code compression, waiting for a
//! job to become final and checking its result against the job record.

use std::io::Write as _;
use std::time::Duration;

use bls_core::outcome::{ExitStatus, Outcome};
use bls_orchestration::queries::{
    FunctionResponse, FunctionsRequest, FunctionsResponse, IdRequest, JobResponse, JobsRequest,
    JobsResponse, ParamsResponse, ResultRequest, ResultResponse,
};
use bls_orchestration::state::{Job, JobResult, JobStatus};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::rpc::{RpcClient, RpcError};

/// How often [`wait_for_job`] polls the job.
pub const JOB_POLL_INTERVAL: Duration = Duration::from_millis(300);

/// Errors waiting for or checking a job.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// A query failed.
    #[error(transparent)]
    Rpc(#[from] RpcError),
    /// The job was still open at the deadline.
    #[error("job {job_id} is still {status} after {waited:?}: check later with `blsd query orchestration job {job_id}`")]
    Timeout {
        /// Job id.
        job_id: u64,
        /// Its last seen status.
        status: String,
        /// How long we waited.
        waited: Duration,
    },
    /// The stored result does not match the job record.
    #[error("result of job {job_id} does not verify: {reason}")]
    Unverified {
        /// Job id.
        job_id: u64,
        /// What did not match.
        reason: String,
    },
}

// ABCI query paths of the orchestration module, for callers that read through their own
// cache (the worker's chain view) rather than the typed functions below.
/// `Function` query path.
pub const FUNCTION_QUERY: &str = "/bls.orchestration.v1.Query/Function";
/// `Functions` query path.
pub const FUNCTIONS_QUERY: &str = "/bls.orchestration.v1.Query/Functions";
/// `Code` query path.
pub const CODE_QUERY: &str = "/bls.orchestration.v1.Query/Code";
/// `Job` query path.
pub const JOB_QUERY: &str = "/bls.orchestration.v1.Query/Job";
/// `Jobs` query path.
pub const JOBS_QUERY: &str = "/bls.orchestration.v1.Query/Jobs";
/// `JobsForWorker` query path.
pub const JOBS_FOR_WORKER_QUERY: &str = "/bls.orchestration.v1.Query/JobsForWorker";
/// `Result` query path.
pub const RESULT_QUERY: &str = "/bls.orchestration.v1.Query/Result";
/// `Params` query path.
pub const PARAMS_QUERY: &str = "/bls.orchestration.v1.Query/Params";
/// `PinnedHeads` query path (a function's pinned head workers).
pub const PINNED_HEADS_QUERY: &str = "/bls.orchestration.v1.Query/PinnedHeads";
/// `OpenHeadChallenges` query path (challenges a head has yet to answer).
pub const OPEN_HEAD_CHALLENGES_QUERY: &str = "/bls.orchestration.v1.Query/OpenHeadChallenges";

/// `Function` query.
pub async fn function(rpc: &RpcClient, id: u64) -> Result<FunctionResponse, RpcError> {
    rpc.query_json(FUNCTION_QUERY, &IdRequest { id }).await
}

/// `Functions` query.
pub async fn functions(
    rpc: &RpcClient,
    req: &FunctionsRequest,
) -> Result<FunctionsResponse, RpcError> {
    rpc.query_json(FUNCTIONS_QUERY, req).await
}

/// `Job` query.
pub async fn job(rpc: &RpcClient, id: u64) -> Result<Job, RpcError> {
    let r: JobResponse = rpc.query_json(JOB_QUERY, &IdRequest { id }).await?;
    Ok(r.job)
}

/// `Jobs` query.
pub async fn jobs(rpc: &RpcClient, req: &JobsRequest) -> Result<JobsResponse, RpcError> {
    rpc.query_json(JOBS_QUERY, req).await
}

/// `Result` query (fails for a job without a finalized result).
pub async fn result(rpc: &RpcClient, job_id: u64) -> Result<JobResult, RpcError> {
    let r: ResultResponse = rpc
        .query_json(RESULT_QUERY, &ResultRequest { job_id })
        .await?;
    Ok(r.result)
}

/// A job's result and the job record it is checked against, both read at one committed
/// height: a late agreeing reveal (after the quorum finalized the job, within the reveal
/// window) adds its worker to both in the same block, so two reads at different heights
/// could disagree about who revealed. A client already pinned to a height reads at that one.
pub async fn result_with_job(rpc: &RpcClient, job_id: u64) -> Result<(JobResult, Job), RpcError> {
    if rpc.is_pinned() {
        return Ok((result(rpc, job_id).await?, job(rpc, job_id).await?));
    }
    // CometBFT may report a block as its latest a moment before the app answers queries at
    // it ("height in the future"): read again, briefly, rather than fail.
    let mut tries = 0;
    loop {
        let height = rpc.status().await?.latest_block_height;
        let at = rpc.clone().at_height(height)?;
        let read =
            async { Ok::<_, RpcError>((result(&at, job_id).await?, job(&at, job_id).await?)) };
        match read.await {
            Err(e)
                if tries < 20
                    && e.abci_log()
                        .is_some_and(|l| l.contains("height in the future")) =>
            {
                tries += 1;
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            other => return other,
        }
    }
}

/// `Params` query.
pub async fn params(rpc: &RpcClient) -> Result<ParamsResponse, RpcError> {
    rpc.query_json(PARAMS_QUERY, &serde_json::json!({})).await
}

/// The smallest `max_fee` `MsgInvoke` accepts for `function_id` under the chain's current
/// params: the most a job can cost by the chain's own rule
/// ([`bls_orchestration::pricing::worst_case_fee`] over the function's manifest limits) plus
/// a listed function's price plus the reserve for the prices of the functions it may call
/// (unused reserve is refunded at settlement).
pub async fn worst_case_fee(rpc: &RpcClient, function_id: u64) -> Result<u128, RpcError> {
    let p = params(rpc).await?.params;
    let f = function(rpc, function_id).await?;
    let manifest: bls_core::manifest::Manifest = serde_json::from_str(&f.function.manifest_json)
        .map_err(|e| RpcError::Decode {
            path: FUNCTION_QUERY.to_string(),
            detail: format!("manifest of function {function_id}: {e}"),
        })?;
    // A listed function's price and its calls' reserve are escrowed on top.
    Ok(
        bls_orchestration::pricing::worst_case_fee(&p, &manifest.limits)
            .saturating_add(f.royalty.parse().unwrap_or(0))
            .saturating_add(f.call_reserve.parse().unwrap_or(0)),
    )
}

/// Polls the job until it is finalized or failed, or `timeout` passes.
pub async fn wait_for_job(
    rpc: &RpcClient,
    job_id: u64,
    timeout: Duration,
) -> Result<Job, JobError> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let j = job(rpc, job_id).await?;
        if !j.status.is_open() {
            return Ok(j);
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(JobError::Timeout {
                job_id,
                status: j.status.as_str().to_string(),
                waited: timeout,
            });
        }
        tokio::time::sleep(JOB_POLL_INTERVAL).await;
    }
}

/// Polls the job until it leaves `queued` — the begin block after its invoke (or after a
/// failed round) assigned its workers, or failed it — or `timeout` passes.
pub async fn wait_assigned(
    rpc: &RpcClient,
    job_id: u64,
    timeout: Duration,
) -> Result<Job, JobError> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let j = job(rpc, job_id).await?;
        if j.status != JobStatus::Queued {
            return Ok(j);
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(JobError::Timeout {
                job_id,
                status: j.status.as_str().to_string(),
                waited: timeout,
            });
        }
        tokio::time::sleep(JOB_POLL_INTERVAL).await;
    }
}

/// A finalized result, checked against its job record, in stable JSON field names.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct VerifiedResult {
    /// Job id (a string in JSON, like uint64 in Cosmos JSON).
    #[serde(serialize_with = "u64_as_string")]
    pub job_id: u64,
    /// Function id (a string in JSON).
    #[serde(serialize_with = "u64_as_string")]
    pub function_id: u64,
    /// Always `finalized`.
    pub status: String,
    /// Guest exit code, when it exited.
    pub exit_code: Option<i32>,
    /// Trap kind (`timeout`, `out_of_fuel`, ...), when it trapped.
    pub trap: Option<String>,
    /// Stdout as text (lossy UTF-8).
    pub stdout: String,
    /// True when stdout was cut at the output cap.
    pub stdout_truncated: bool,
    /// Stderr as text (lossy UTF-8).
    pub stderr: String,
    /// True when stderr was cut.
    pub stderr_truncated: bool,
    /// Hex sha256 of the canonical outcome (recomputed here).
    pub result_hash: String,
    /// Workers whose reveals agreed.
    pub workers: Vec<String>,
    /// Quorum the job needed.
    pub quorum: u32,
    /// Workers assigned.
    pub replication: u32,
    /// Fee charged (ubls).
    pub fee: String,
    /// Fuel used.
    pub fuel_used: u64,
    /// Finalization height.
    pub height: u64,
}

/// Serializes a `u64` id as a decimal string (proto3 JSON style).
pub fn u64_as_string<S: serde::Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

/// Checks a stored result against its job: the outcome hashes to `result_hash`, decodes
/// strictly, at least `quorum` distinct agreeing workers, each assigned to the job and each
/// having revealed that same hash. (It trusts the node's answers; no Merkle proof is checked.)
pub fn verify_result(job: &Job, r: &JobResult) -> Result<VerifiedResult, JobError> {
    let bad = |reason: String| JobError::Unverified {
        job_id: job.id,
        reason,
    };
    if r.job_id != job.id {
        return Err(bad(format!("result is for job {}", r.job_id)));
    }
    let bytes = r.outcome.as_slice();
    let hash = hex::encode(Sha256::digest(bytes));
    if !hash.eq_ignore_ascii_case(&r.result_hash) {
        return Err(bad(format!(
            "outcome hashes to {hash}, record says {}",
            r.result_hash
        )));
    }
    let outcome = Outcome::decode(bytes).map_err(|e| bad(format!("outcome: {e}")))?;
    let mut agreeing: Vec<String> = Vec::new();
    for w in &r.workers {
        if agreeing.iter().any(|a| a == w.as_str()) {
            return Err(bad(format!("worker {w} listed twice")));
        }
        let revealed = job
            .assignment(w)
            .and_then(|a| a.result_hash.as_deref())
            .ok_or_else(|| bad(format!("worker {w} has no reveal in the job record")))?;
        if !revealed.eq_ignore_ascii_case(&hash) {
            return Err(bad(format!("worker {w} revealed {revealed}, not {hash}")));
        }
        agreeing.push(w.to_string());
    }
    let quorum = usize::try_from(job.quorum).unwrap_or(usize::MAX);
    if agreeing.len() < quorum {
        return Err(bad(format!(
            "{} agreeing workers, quorum is {}",
            agreeing.len(),
            job.quorum
        )));
    }
    let (exit_code, trap) = match outcome.status {
        ExitStatus::Exited(c) => (Some(c), None),
        ExitStatus::Trapped(k) => (None, Some(k.as_str().to_string())),
    };
    Ok(VerifiedResult {
        job_id: job.id,
        function_id: r.function_id,
        status: JobStatus::Finalized.as_str().to_string(),
        exit_code,
        trap,
        stdout: String::from_utf8_lossy(&outcome.stdout).into_owned(),
        stdout_truncated: outcome.stdout_truncated,
        stderr: String::from_utf8_lossy(&outcome.stderr).into_owned(),
        stderr_truncated: outcome.stderr_truncated,
        result_hash: hash,
        workers: agreeing,
        quorum: job.quorum,
        replication: job.replication,
        fee: bls_core::Coin::ubls(r.fee).to_string(),
        fuel_used: r.fuel_used,
        height: r.height,
    })
}

/// Gzips WASM for `MsgDeployFunction`, calling `progress(done, total)` as input is consumed.
pub fn gzip_wasm(wasm: &[u8], mut progress: impl FnMut(usize, usize)) -> std::io::Result<Vec<u8>> {
    const CHUNK: usize = 256 * 1024;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let mut done = 0usize;
    for chunk in wasm.chunks(CHUNK) {
        enc.write_all(chunk)?;
        done = done.saturating_add(chunk.len());
        progress(done, wasm.len());
    }
    enc.finish()
}

/// Hex sha256 of raw WASM (what the chain stores as the code hash).
pub fn code_hash(wasm: &[u8]) -> [u8; 32] {
    Sha256::digest(wasm).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use bls_core::Address;
    use std::io::Read as _;

    #[test]
    fn query_paths_are_the_modules_prefix_and_method() {
        use bls_orchestration::queries::QUERY_PREFIX;
        for (path, method) in [
            (FUNCTION_QUERY, "Function"),
            (FUNCTIONS_QUERY, "Functions"),
            (CODE_QUERY, "Code"),
            (JOB_QUERY, "Job"),
            (JOBS_QUERY, "Jobs"),
            (JOBS_FOR_WORKER_QUERY, "JobsForWorker"),
            (RESULT_QUERY, "Result"),
            (PARAMS_QUERY, "Params"),
            (PINNED_HEADS_QUERY, "PinnedHeads"),
            (OPEN_HEAD_CHALLENGES_QUERY, "OpenHeadChallenges"),
            (crate::fastpath::DEPOSIT_QUERY, "FastPathDeposit"),
            (crate::head::HEAD_CHALLENGE_QUERY, "HeadChallenge"),
        ] {
            assert_eq!(path, format!("{QUERY_PREFIX}{method}"));
        }
    }

    fn outcome_bytes() -> Vec<u8> {
        Outcome {
            status: ExitStatus::Exited(0),
            stdout: b"hello".to_vec(),
            stdout_truncated: false,
            stderr: Vec::new(),
            stderr_truncated: false,
            fuel_used: 42,
            wall_time: Duration::ZERO,
            trap_message: None,
            calls: Vec::new(),
        }
        .canonical_bytes()
    }

    fn fixture() -> (Job, JobResult) {
        let bytes = outcome_bytes();
        let hash = hex::encode(Sha256::digest(&bytes));
        let w: Vec<Address> = (1u8..=3).map(|i| Address::from_bytes(&[i; 20])).collect();
        let job: Job = serde_json::from_value(serde_json::json!({
            "id": 9, "function_id": 2, "function_version": 1, "code_hash": "00",
            "manifest_json": "{}", "invoker": w[0], "input": "", "args": [],
            "max_fee": "100", "escrow": "0", "seed": "00", "height": 5, "time_secs": 0,
            "time_nanos": 0, "status": "finalized", "round": 0, "round_height": 5,
            "replication": 3, "quorum": 2, "output_bytes": 1024,
            "assignments": [
                {"worker": w[0], "commitment": "aa", "result_hash": hash},
                {"worker": w[1], "commitment": "bb", "result_hash": hash},
                {"worker": w[2], "commitment": null, "result_hash": null}
            ],
            "previously_assigned": [], "commit_deadline": 10, "reveal_deadline": 20
        }))
        .unwrap();
        let result = JobResult {
            job_id: 9,
            function_id: 2,
            result_hash: hash,
            outcome: bytes.into(),
            workers: vec![w[0].clone(), w[1].clone()],
            fee: 60,
            fuel_used: 42,
            height: 7,
        };
        (job, result)
    }

    #[test]
    fn a_consistent_result_verifies() {
        let (job, r) = fixture();
        let v = verify_result(&job, &r).unwrap();
        assert_eq!(v.stdout, "hello");
        assert_eq!(v.exit_code, Some(0));
        assert_eq!(v.workers.len(), 2);
        assert_eq!(v.fee, "60ubls");
    }

    #[test]
    fn inconsistent_results_are_rejected() {
        let (job, r) = fixture();
        let mut tampered = r.clone();
        let mut bytes = tampered.outcome.to_vec();
        if let Some(last) = bytes.last_mut() {
            *last ^= 1;
        }
        tampered.outcome = bytes.into();
        assert!(matches!(
            verify_result(&job, &tampered),
            Err(JobError::Unverified { .. })
        ));

        let mut short = r.clone();
        short.workers.truncate(1);
        assert!(verify_result(&job, &short).is_err(), "below quorum");

        let mut dup = r.clone();
        dup.workers[1] = dup.workers[0].clone();
        assert!(verify_result(&job, &dup).is_err(), "duplicate worker");

        let mut silent = r.clone();
        silent.workers[1] = job.assignments[2].worker.clone();
        assert!(
            verify_result(&job, &silent).is_err(),
            "worker without reveal"
        );

        let mut stranger = r;
        stranger.workers[1] = Address::from_bytes(&[77; 20]);
        assert!(verify_result(&job, &stranger).is_err(), "unassigned worker");
    }

    #[test]
    fn gzip_round_trips_and_reports_progress() {
        let wasm: Vec<u8> = (0..600_000u32).map(|i| (i % 251) as u8).collect();
        let mut calls = Vec::new();
        let gz = gzip_wasm(&wasm, |d, t| calls.push((d, t))).unwrap();
        assert_eq!(&gz[..2], &[0x1f, 0x8b]);
        assert_eq!(calls.last(), Some(&(wasm.len(), wasm.len())));
        assert!(calls.len() >= 3);
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(gz.as_slice())
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, wasm);
    }
}
