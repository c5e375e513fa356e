//! `MsgInvoke`: validate, escrow `max_fee` (at least the job's worst-case fee, so the escrow
//! covers whatever the job ends up costing: [`crate::pricing`]), assign `n` workers of the
//! subnetwork.

use bls_core::{Context, Event};
use cosmwasm_std::Binary;

use crate::error::{invalid, OrchestrationError};
use crate::events;
use crate::handlers::subnet::ensure_subnetwork;
use crate::handlers::{join, parse_addr, parse_ubls, transfer};
use crate::manifest::{self, Manifest};
use crate::msgs::{MsgInvoke, MsgInvokeResponse};
use crate::placement;
use crate::pricing;
use crate::state::{
    self, escrow_account, Assignment, FunctionStatus, Job, JobStatus, DEADLINES, JOBS,
    JOBS_BY_FUNCTION, JOB_SEQ, WORKER_JOBS,
};

/// Creates a job, escrows its fee and assigns it.
pub fn invoke(
    ctx: &mut Context<'_>,
    msg: &MsgInvoke,
) -> Result<MsgInvokeResponse, OrchestrationError> {
    let p = state::params(ctx.store)?;
    let invoker = parse_addr("invoker", &msg.invoker)?;
    let f = state::must_get_function(ctx.store, msg.function_id)?;
    if f.status == FunctionStatus::Retired {
        return Err(OrchestrationError::FunctionRetired(f.id));
    }
    let m = Manifest::from_json(f.manifest_json.as_bytes())?;
    let input_len = u64::try_from(msg.input.len()).unwrap_or(u64::MAX);
    if input_len > p.max_input_bytes {
        return Err(invalid(
            "input",
            format!(
                "{input_len} bytes exceeds the {} byte cap",
                p.max_input_bytes
            ),
        ));
    }
    manifest::validate_args(&msg.args, m.args.len())?;
    let max_fee = parse_ubls("max_fee", msg.max_fee.as_ref())?;
    let required = pricing::worst_case_fee(&p, &m.limits);
    if max_fee < required {
        return Err(OrchestrationError::FeeTooLow {
            function: f.id,
            max_fee: format!("{max_fee}{}", bls_core::DENOM),
            required: format!("{required}{}", bls_core::DENOM),
        });
    }

    let members = ensure_subnetwork(ctx, &f, &m, &p)?;
    let id = state::next_id(ctx.store, &JOB_SEQ)?;
    let seed = placement::seed(
        "bls/job",
        &[
            ctx.block.chain_id.as_bytes(),
            &ctx.block.hash,
            &id.to_be_bytes(),
        ],
    );
    let n = usize::try_from(f.replication).unwrap_or(usize::MAX);
    let workers = placement::select(&members, &[], n, &seed);
    if workers.len() < n {
        return Err(OrchestrationError::NotEnoughWorkers {
            need: f.replication,
            have: u32::try_from(members.len()).unwrap_or(u32::MAX),
        });
    }
    transfer(ctx.store, &invoker, &escrow_account(), max_fee)?;

    let commit_deadline = ctx.block.height.saturating_add(p.commit_window);
    let job = Job {
        id,
        function_id: f.id,
        function_version: f.version,
        code_hash: f.code_hash.clone(),
        manifest_json: f.manifest_json.clone(),
        invoker,
        input: Binary::from(msg.input.clone()),
        args: msg.args.clone(),
        max_fee,
        escrow: max_fee,
        seed: hex::encode(seed),
        height: ctx.block.height,
        time_secs: ctx.block.time_secs,
        time_nanos: ctx.block.time_nanos,
        status: JobStatus::Committing,
        round: 0,
        round_height: ctx.block.height,
        replication: f.replication,
        quorum: f.quorum,
        output_bytes: m.limits.output_bytes,
        assignments: workers
            .iter()
            .map(|w| Assignment {
                worker: w.clone(),
                commitment: None,
                result_hash: None,
            })
            .collect(),
        previously_assigned: workers.clone(),
        commit_deadline,
        reveal_deadline: 0,
        failure: String::new(),
        result_hash: None,
        finalized_height: 0,
        settling: false,
    };
    JOBS.save(ctx.store, id, &job)?;
    JOBS_BY_FUNCTION.save(ctx.store, (f.id, id), &())?;
    for w in &workers {
        WORKER_JOBS.save(ctx.store, (w.as_str(), id), &())?;
    }
    DEADLINES.save(ctx.store, (commit_deadline, id), &())?;
    ctx.emit(assigned_event(&job));
    Ok(MsgInvokeResponse {
        job_id: id,
        workers: workers.iter().map(ToString::to_string).collect(),
    })
}

/// The `bls.job_assigned` event of the job's current round.
pub fn assigned_event(job: &Job) -> Event {
    let workers: Vec<_> = job.assignments.iter().map(|a| a.worker.clone()).collect();
    Event::new(events::JOB_ASSIGNED)
        .attr("job_id", job.id)
        .attr("function_id", job.function_id)
        .attr("code_hash", &job.code_hash)
        .attr("workers", join(&workers))
        .attr("round", job.round)
        .attr("seed", &job.seed)
        .attr("height", job.height)
        .attr("time_secs", job.time_secs)
        .attr("time_nanos", job.time_nanos)
        .attr("commit_deadline", job.commit_deadline)
}
