//! `blsd query registry ...`, `blsd query orchestration ...` and `blsd query beacon ...`:
//! module JSON answers, as aligned `key: value` text (lists as aligned tables) for people and
//! as the module's JSON with `--output json`.

use anyhow::bail;
use clap::{Args, Subcommand};
use serde::Serialize;

use bls_orchestration::queries::{FunctionsResponse, JobsResponse};
use bls_registry::queries::WorkersResponse;

use super::context::{record_text, table, ClientContext};
use super::tx_orchestration::verified_text;
use super::units::parse_address;
use crate::{orchestration as orch, registry};

/// One record as aligned `key: value` lines.
fn pretty<T: Serialize>(v: &T) -> String {
    record_text(v)
}

/// The `(more: ...)` line of a page with a next page.
fn more(next: Option<String>, cmd: &str, ctx: &ClientContext) -> String {
    next.map(|n| {
        format!(
            "\n(more: `blsd query {cmd} --start-after {n}{}`)",
            ctx.node_flags()
        )
    })
    .unwrap_or_default()
}

/// `blsd query orchestration jobs` as a table.
pub fn jobs_text(r: &JobsResponse, ctx: &ClientContext) -> String {
    if r.jobs.is_empty() {
        return "no jobs".into();
    }
    let rows: Vec<Vec<String>> = r
        .jobs
        .iter()
        .map(|j| {
            let committed = j
                .assignments
                .iter()
                .filter(|a| a.commitment.is_some())
                .count();
            let revealed = j
                .assignments
                .iter()
                .filter(|a| a.result_hash.is_some())
                .count();
            vec![
                j.id.to_string(),
                j.function_id.to_string(),
                j.status.as_str().to_string(),
                j.round.to_string(),
                format!("{committed}/{revealed}/{}", j.replication),
                j.height.to_string(),
                format!("{}ubls", j.max_fee),
                if j.failure.is_empty() {
                    "-".into()
                } else {
                    j.failure.clone()
                },
            ]
        })
        .collect();
    table(
        &[
            "ID",
            "FUNCTION",
            "STATUS",
            "ROUND",
            "COMMITTED/REVEALED/N",
            "HEIGHT",
            "MAX_FEE",
            "FAILURE",
        ],
        &rows,
    ) + &more(r.next.map(|n| n.to_string()), "orchestration jobs", ctx)
}

/// `blsd query orchestration functions` as a table.
pub fn functions_text(r: &FunctionsResponse, ctx: &ClientContext) -> String {
    if r.functions.is_empty() {
        return "no functions".into();
    }
    let rows: Vec<Vec<String>> = r
        .functions
        .iter()
        .map(|f| {
            vec![
                f.id.to_string(),
                serde_json::to_value(f.status)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                format!("{}/{}", f.quorum, f.replication),
                f.version.to_string(),
                f.code_hash.clone(),
                f.owner.to_string(),
            ]
        })
        .collect();
    table(
        &["ID", "STATUS", "QUORUM", "VERSION", "CODE_HASH", "OWNER"],
        &rows,
    ) + &more(
        r.next.map(|n| n.to_string()),
        "orchestration functions",
        ctx,
    )
}

/// `blsd query registry workers` as a table.
pub fn workers_text(r: &WorkersResponse, ctx: &ClientContext) -> String {
    if r.workers.is_empty() {
        return "no workers".into();
    }
    let rows: Vec<Vec<String>> = r
        .workers
        .iter()
        .map(|w| {
            vec![
                w.operator.to_string(),
                w.role.as_str().to_string(),
                w.status.as_str().to_string(),
                w.region.clone(),
                format!("{}ubls", w.bond),
                w.multiaddrs.first().cloned().unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    table(
        &["OPERATOR", "ROLE", "STATUS", "REGION", "BOND", "MULTIADDR"],
        &rows,
    ) + &more(r.next.clone(), "registry workers", ctx)
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
                ctx.emit(&registry::workers(&rpc, &req).await?, |r| {
                    workers_text(r, ctx)
                })
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
                ctx.emit(&orch::functions(&rpc, &req).await?, |r| {
                    functions_text(r, ctx)
                })
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
                ctx.emit(&orch::jobs(&rpc, &req).await?, |r| jobs_text(r, ctx))
            }
            OrchestrationQuerySub::Result { job_id, raw } => {
                let (result, job) = match orch::result_with_job(&rpc, job_id).await {
                    Ok(both) => both,
                    Err(e) => {
                        // Say why there is no result when the job exists but is not final.
                        if let Ok(job) = orch::job(&rpc, job_id).await {
                            if job.status.is_open() {
                                bail!("job {job_id} is still {}: no result yet (follow it with `blsd query orchestration job {job_id}{}`)", job.status.as_str(), ctx.node_flags());
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

#[cfg(test)]
mod tests {
    use super::*;

    fn addr() -> String {
        crate::keys::KeyPair::from_secret_bytes(&[7; 32])
            .unwrap()
            .address()
            .to_string()
    }

    /// A job as the module answers it (every field), with `id`, `status` and commits.
    fn job(id: u64, status: &str, committed: usize, failure: &str) -> serde_json::Value {
        let assignments: Vec<serde_json::Value> = (0..3)
            .map(|i| {
                serde_json::json!({
                    "worker": addr(),
                    "commitment": (i < committed).then_some("ab"),
                    "result_hash": null,
                })
            })
            .collect();
        serde_json::json!({
            "id": id, "function_id": 2, "function_version": 1, "code_hash": "cd",
            "manifest_json": "{}", "invoker": addr(), "input": "QWRh", "args": [],
            "max_fee": "1000000", "escrow": "0", "seed": "", "height": 40 + id,
            "time_secs": 0, "time_nanos": 0, "status": status, "round": 0,
            "round_height": 41, "replication": 3, "quorum": 2, "output_bytes": 1024,
            "assignments": assignments, "previously_assigned": [], "commit_deadline": 50,
            "reveal_deadline": 0, "failure": failure, "result_hash": null,
            "finalized_height": 0, "settling": false,
        })
    }

    #[test]
    fn jobs_print_as_an_aligned_table_and_json_stays_json() {
        let page: JobsResponse = serde_json::from_value(serde_json::json!({
            "jobs": [job(7, "committing", 1, ""), job(12, "failed", 0, "not enough workers")],
            "next": 12,
        }))
        .unwrap();
        let ctx = ClientContext::new("http://127.0.0.1:36657", "/k");
        let text = jobs_text(&page, &ctx);
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[0].starts_with("ID  FUNCTION  STATUS      ROUND"),
            "{text}"
        );
        let status_at = lines[0].find("STATUS").unwrap();
        assert_eq!(&lines[1][status_at..status_at + 10], "committing", "{text}");
        assert_eq!(&lines[2][status_at..status_at + 6], "failed", "{text}");
        assert!(lines[1].contains("1/0/3"), "{text}");
        assert!(lines[2].ends_with("not enough workers"), "{text}");
        assert_eq!(
            lines[3],
            "(more: `blsd query orchestration jobs --start-after 12 --node http://127.0.0.1:36657`)"
        );
        assert!(!text.contains('{'), "{text}");
    }

    #[test]
    fn one_job_prints_as_aligned_key_value_lines() {
        let j: bls_orchestration::state::Job =
            serde_json::from_value(job(7, "committing", 1, "")).unwrap();
        let text = pretty(&j);
        assert!(
            !text.contains('{') || text.contains("manifest_json"),
            "{text}"
        );
        let line = |k: &str| {
            text.lines()
                .find(|l| l.starts_with(&format!("{k}:")))
                .unwrap_or_else(|| panic!("no {k} in {text}"))
                .to_string()
        };
        // Keys are padded to one width, so values start in one column.
        let col = |l: String| l.len() - l[l.find(':').unwrap() + 1..].trim_start().len();
        assert_eq!(col(line("id")), col(line("function_version")), "{text}");
        assert!(line("status").ends_with(" committing"), "{text}");
        assert!(line("failure").ends_with(" -"), "{text}");
        // The assignments are listed as items, one key per line.
        assert!(text.contains("assignments:\n  - worker:"), "{text}");
    }
}
