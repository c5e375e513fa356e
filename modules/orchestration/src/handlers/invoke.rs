//! `MsgInvoke`: validate, pin the functions it may call, escrow `max_fee` (at least the job's
//! worst-case fee plus a listed function's price plus the reserve for its calls' prices, so
//! the escrow covers whatever the job ends up costing: [`crate::pricing`], [`crate::market`]),
//! queue the job for assignment in the next block's begin block
//! ([`crate::handlers::assign`]).

use bls_core::{Context, Event};
use cosmwasm_std::Binary;

use crate::error::{invalid, OrchestrationError};
use crate::events;
use crate::handlers::assign::queue_job;
use crate::handlers::subnet::eligible;
use crate::handlers::{join, parse_addr, parse_ubls};
use crate::manifest::{self, Manifest};
use crate::msgs::{MsgInvoke, MsgInvokeResponse};
use crate::pricing;
use crate::state::{
    self, escrow_account, FunctionStatus, Job, JobStatus, JOBS, JOBS_BY_FUNCTION, JOB_SEQ,
};
use bls_bank::keeper as bank;

/// Creates a job, escrows its fee and queues it; the response names no workers (the
/// `bls.job_assigned` event of the next block does).
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
    if msg.version != 0 && msg.version != f.version {
        return Err(OrchestrationError::VersionMoved {
            function: f.id,
            pinned: msg.version,
            current: f.version,
        });
    }
    let max_fee = parse_ubls("max_fee", msg.max_fee.as_ref())?;
    // A listed function's price is escrowed on top of the worst-case fee, fixed now.
    let royalty = crate::market::royalty::price_of(ctx.store, f.id)?.map_or(0, |(_, p)| p);
    // So are the functions it may call, their prices, and the most its calls can pay.
    let callees = crate::market::composition::pin_callees(ctx.store, f.id, &m)?;
    let call_reserve = crate::market::composition::call_reserve(&callees);
    let required = pricing::worst_case_fee(&p, &m.limits)
        .saturating_add(royalty)
        .saturating_add(call_reserve);
    if max_fee < required {
        return Err(OrchestrationError::FeeTooLow {
            function: f.id,
            max_fee: format!("{max_fee}{}", bls_core::DENOM),
            required: format!("{required}{}", bls_core::DENOM),
        });
    }

    // Refuse now what cannot be assigned (nothing escrowed); the draw itself waits for the
    // next block's randomness.
    let eligible = eligible(ctx.store, f.id, &m)?.len();
    if eligible < usize::try_from(f.replication).unwrap_or(usize::MAX) {
        return Err(OrchestrationError::NotEnoughWorkers {
            need: f.replication,
            have: u32::try_from(eligible).unwrap_or(u32::MAX),
        });
    }
    if crate::secrets::state::has_secrets(ctx.store, f.id) {
        let members = crate::secrets::state::members(ctx.store, f.id)?;
        let mut holding = 0u32;
        for w in &members {
            let active = bls_registry::state::get_worker(ctx.store, w)?
                .is_some_and(|r| r.status == bls_registry::state::WorkerStatus::Active);
            if active && crate::secrets::state::holds_secrets(ctx.store, f.id, w)? {
                holding = holding.saturating_add(1);
            }
        }
        if holding < f.replication {
            return Err(OrchestrationError::NotEnoughSealed {
                function: f.id,
                need: f.replication,
                have: holding,
            });
        }
    }
    let id = state::next_id(ctx.store, &JOB_SEQ)?;
    bank::send_ubls(ctx, &invoker, &escrow_account(), max_fee)?;

    let job = Job {
        id,
        function_id: f.id,
        function_version: f.version,
        code_hash: f.code_hash.clone(),
        source_uris: f.fetch_sources().to_vec(),
        code_size: if f.code_on_chain { 0 } else { f.code_size },
        manifest_json: f.manifest_json.clone(),
        invoker,
        input: Binary::from(msg.input.clone()),
        args: msg.args.clone(),
        max_fee,
        escrow: max_fee,
        royalty,
        seed: String::new(),
        height: ctx.block.height,
        time_secs: ctx.block.time_secs,
        time_nanos: ctx.block.time_nanos,
        status: JobStatus::Queued,
        round: 0,
        round_height: 0,
        replication: f.replication,
        quorum: f.quorum,
        output_bytes: m.limits.output_bytes,
        assignments: Vec::new(),
        previously_assigned: Vec::new(),
        commit_deadline: 0,
        reveal_deadline: 0,
        commit_until_ms: 0,
        failure: String::new(),
        result_hash: None,
        finalized_height: 0,
        settling: false,
        secrets_version: 0,
        callees,
        call_reserve,
    };
    JOBS.save(ctx.store, id, &job)?;
    JOBS_BY_FUNCTION.save(ctx.store, (f.id, id), &())?;
    crate::market::royalty::record_invocation(ctx.store, f.id)?;
    queue_job(ctx, &job)?;
    Ok(MsgInvokeResponse {
        job_id: id,
        workers: Vec::new(),
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
