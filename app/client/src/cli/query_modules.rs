//! `blsd query registry ...`, `blsd query orchestration ...` and `blsd query beacon ...`:
//! module JSON answers, printed as JSON in both output modes (they are structured records).

use anyhow::bail;
use clap::{Args, Subcommand};
use serde::Serialize;

use super::context::ClientContext;
use super::tx_orchestration::verified_text;
use super::units::parse_address;
use crate::{orchestration as orch, registry};

fn pretty<T: Serialize>(v: &T) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// Worker registry queries.
#[derive(Args, Clone, Debug)]
pub struct RegistryQueryCmd {
    /// The registry subcommand.
    #[command(subcommand)]
    pub cmd: RegistryQuerySub,
}

/// `blsd query registry` subcommands.
#[derive(Subcommand, Clone, Debug)]
pub enum RegistryQuerySub {
    /// One worker (by operator address) with its liveness counters.
    Worker {
        /// Operator `bls1...` address (the worker id).
        address: String,
    },
    /// Workers, filtered and paginated.
    Workers {
        /// Only this region.
        #[arg(long)]
        region: Option<String>,
        /// Only this status: active, jailed, unbonding.
        #[arg(long)]
        status: Option<String>,
        /// Only this role: worker, head.
        #[arg(long)]
        role: Option<String>,
        /// Start after this worker id.
        #[arg(long)]
        start_after: Option<String>,
        /// Page size (at most 100).
        #[arg(long)]
        limit: Option<u32>,
    },
    /// Registry parameters.
    Params,
}

impl RegistryQueryCmd {
    /// Runs the command.
    pub async fn run(self, ctx: &ClientContext) -> anyhow::Result<()> {
        let rpc = ctx.rpc()?;
        match self.cmd {
            RegistryQuerySub::Worker { address } => {
                let addr = parse_address(&address)?;
                ctx.emit(&registry::worker(&rpc, &addr).await?, pretty)
            }
            RegistryQuerySub::Workers {
                region,
                status,
                role,
                start_after,
                limit,
            } => {
                let req = bls_registry::queries::WorkersRequest {
                    region,
                    status,
                    role,
                    start_after,
                    limit,
                };
                ctx.emit(&registry::workers(&rpc, &req).await?, pretty)
            }
            RegistryQuerySub::Params => ctx.emit(&registry::params(&rpc).await?, pretty),
        }
    }
}

/// Function and job queries.
#[derive(Args, Clone, Debug)]
pub struct OrchestrationQueryCmd {
    /// The orchestration subcommand.
    #[command(subcommand)]
    pub cmd: OrchestrationQuerySub,
}

/// `blsd query orchestration` subcommands.
#[derive(Subcommand, Clone, Debug)]
pub enum OrchestrationQuerySub {
    /// One function and its subnetwork.
    Function {
        /// Function id.
        id: u64,
    },
    /// Functions, paginated.
    Functions {
        /// Only this owner.
        #[arg(long)]
        owner: Option<String>,
        /// Start after this function id.
        #[arg(long)]
        start_after: Option<u64>,
        /// Page size (at most 100).
        #[arg(long)]
        limit: Option<u32>,
    },
    /// One job.
    Job {
        /// Job id.
        id: u64,
    },
    /// Jobs, filtered and paginated.
    Jobs {
        /// Only this status: committing, revealing, finalized, failed.
        #[arg(long)]
        status: Option<String>,
        /// Only this function.
        #[arg(long)]
        function_id: Option<u64>,
        /// Start after this job id.
        #[arg(long)]
        start_after: Option<u64>,
        /// Page size (at most 100).
        #[arg(long)]
        limit: Option<u32>,
    },
    /// The verified result of a finalized job (stdout as text, agreeing workers).
    Result {
        /// Job id.
        job_id: u64,
        /// Print the stored record as is instead of checking and decoding it.
        #[arg(long)]
        raw: bool,
    },
    /// Orchestration parameters.
    Params,
}

impl OrchestrationQueryCmd {
    /// Runs the command.
    pub async fn run(self, ctx: &ClientContext) -> anyhow::Result<()> {
        let rpc = ctx.rpc()?;
        match self.cmd {
            OrchestrationQuerySub::Function { id } => {
                ctx.emit(&orch::function(&rpc, id).await?, pretty)
            }
            OrchestrationQuerySub::Functions {
                owner,
                start_after,
                limit,
            } => {
                let req = bls_orchestration::queries::FunctionsRequest {
                    owner,
                    start_after,
                    limit,
                };
                ctx.emit(&orch::functions(&rpc, &req).await?, pretty)
            }
            OrchestrationQuerySub::Job { id } => ctx.emit(&orch::job(&rpc, id).await?, pretty),
            OrchestrationQuerySub::Jobs {
                status,
                function_id,
                start_after,
                limit,
            } => {
                let req = bls_orchestration::queries::JobsRequest {
                    status,
                    function_id,
                    start_after,
                    limit,
                };
                ctx.emit(&orch::jobs(&rpc, &req).await?, pretty)
            }
            OrchestrationQuerySub::Result { job_id, raw } => {
                let (result, job) = match orch::result_with_job(&rpc, job_id).await {
                    Ok(both) => both,
                    Err(e) => {
                        // Say why there is no result when the job exists but is not final.
                        if let Ok(job) = orch::job(&rpc, job_id).await {
                            if job.status.is_open() {
                                bail!("job {job_id} is still {}: no result yet (wait with `blsd query orchestration job {job_id}`)", job.status.as_str());
                            }
                            if !job.failure.is_empty() {
                                bail!("job {job_id} failed: {}", job.failure);
                            }
                        }
                        return Err(e.into());
                    }
                };
                if raw {
                    return ctx.emit(&result, pretty);
                }
                ctx.emit(&orch::verify_result(&job, &result)?, verified_text)
            }
            OrchestrationQuerySub::Params => ctx.emit(&orch::params(&rpc).await?, pretty),
        }
    }
}

/// Randomness beacon queries.
#[derive(Args, Clone, Debug)]
pub struct BeaconQueryCmd {
    /// The beacon subcommand.
    #[command(subcommand)]
    pub cmd: BeaconQuerySub,
}

/// `blsd query beacon` subcommands.
#[derive(Subcommand, Clone, Debug)]
pub enum BeaconQuerySub {
    /// The randomness of the block at the queried height (`--height`, default latest): its
    /// value, its source (`vote_extensions`, `block_hash`, `missing`, `genesis`), how many
    /// validators' reveals went into it and with how much voting power.
    Randomness,
}

impl BeaconQueryCmd {
    /// Runs the command.
    pub async fn run(self, ctx: &ClientContext) -> anyhow::Result<()> {
        let rpc = ctx.rpc()?;
        match self.cmd {
            BeaconQuerySub::Randomness => {
                let r: bls_beacon::queries::RandomnessResponse = rpc
                    .query_json(
                        &format!("{}Randomness", bls_beacon::queries::QUERY_PREFIX),
                        &serde_json::json!({}),
                    )
                    .await?;
                ctx.emit(&r, pretty)
            }
        }
    }
}
