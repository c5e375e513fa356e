//! Orchestration genesis: params, sequences, code (bytes base64), functions, subnetworks,
//! jobs (open ones with their revealed outcomes), results and the fast-path state
//! ([`crate::fastpath::genesis`]); exported the same way, in key order. The begin-block
//! queues are not exported: importing re-queues `queued` jobs and active functions without a
//! subnetwork.
//!
//! Escrow and deposits are not minted here: the bank genesis must fund `orchestration_escrow`
//! with at least the open jobs' escrow and `orchestration_fastpath` with at least the
//! fast-path deposits (bank genesis runs first).

use bls_core::Context;
use cosmwasm_std::{Binary, Order, Storage};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::code;
use crate::error::OrchestrationError;
use crate::fastpath::genesis::{self as fastpath_genesis, FastPathGenesis};
use crate::params::Params;
use crate::secrets::genesis::SecretsGenesis;
use crate::state::{
    self, escrow_account, CodeInfo, Function, FunctionStatus, Job, JobResult, JobStatus,
    Subnetwork, ASSIGN_QUEUE, CODES, DEADLINES, FN_SEQ, FUNCTIONS, FUNCTIONS_BY_OWNER, JOBS,
    JOBS_BY_FUNCTION, JOB_SEQ, PARAMS, PLACE_QUEUE, RESULTS, REVEAL_OUTCOMES, SUBNETS, WORKER_JOBS,
};

/// Stored code with its bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenesisCode {
    /// Metadata.
    pub info: CodeInfo,
    /// Stored bytes.
    pub code: Binary,
}

/// A subnetwork entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenesisSubnet {
    /// Function id.
    pub function_id: u64,
    /// The subnetwork.
    pub subnetwork: Subnetwork,
}

/// A revealed outcome of an open job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenesisReveal {
    /// Job id.
    pub job_id: u64,
    /// Hex result hash.
    pub result_hash: String,
    /// Outcome bytes.
    pub outcome: Binary,
}

/// The orchestration `app_state` section.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GenesisState {
    /// Params.
    pub params: Params,
    /// Last function id issued.
    pub function_seq: u64,
    /// Last job id issued.
    pub job_seq: u64,
    /// Code blobs.
    pub codes: Vec<GenesisCode>,
    /// Functions.
    pub functions: Vec<Function>,
    /// Subnetworks.
    pub subnets: Vec<GenesisSubnet>,
    /// Jobs.
    pub jobs: Vec<Job>,
    /// Revealed outcomes of open jobs.
    pub reveals: Vec<GenesisReveal>,
    /// Results.
    pub results: Vec<JobResult>,
    /// Fast-path state (absent in genesis files older than it: empty).
    pub fastpath: FastPathGenesis,
    /// Sealed secrets (absent in genesis files older than them: empty).
    pub secrets: SecretsGenesis,
    /// The marketplace (absent in genesis files older than it: empty).
    pub market: crate::market::genesis::MarketGenesis,
}

fn bad(s: impl Into<String>) -> OrchestrationError {
    OrchestrationError::InvalidParams(format!("genesis: {}", s.into()))
}

/// The registry's `unbonding_blocks` (registry genesis runs first) must cover the longest
/// any fast-path proof can land after the act it punishes ([`Params::evidence_reach`]):
/// - worker evidence: a worker signs a result for a request expiring at most
///   `fastpath_request_ttl` blocks ahead, and evidence about it lands until
///   `fastpath_settle_window` blocks after that expiry;
/// - a report of a head's signed answer: the head signs at a height inside the request's
///   window (`expiry - ttl ..= expiry`) and the report lands until `head_dispute_window`
///   blocks after it, judged with the keys of the request's window;
/// - an unanswered challenge of a head's charge: opened until `head_dispute_window` blocks
///   after the settlement, punished in the end block of its deadline `challenge_window`
///   blocks later (after the registry's end block of that height, hence the extra block).
///
/// A shorter unbonding would let a worker or head sign a false result (or charge for an
/// answer it never gave), deregister, and take its bond out before the proof lands. The same
/// bound keeps retired result keys reserved, and checkable, long enough (the registry keeps
/// them for `unbonding_blocks`), so rotating a key neither lets a signer escape nor lets a
/// colluder frame a head.
pub(crate) fn check_unbonding_covers_fastpath(
    store: &dyn cosmwasm_std::Storage,
    p: &Params,
) -> Result<(), OrchestrationError> {
    let unbonding = bls_registry::state::params(store)?.unbonding_blocks;
    if let Some(r) = p.reaches().into_iter().find(|r| unbonding < r.blocks) {
        return Err(OrchestrationError::InvalidParams(format!(
            "registry unbonding_blocks ({unbonding}) must be at least the reach of {r}: \
             otherwise a worker or head can unbond before the proof about its last fast-path \
             act lands; raise registry.params.unbonding_blocks or lower those windows"
        )));
    }
    Ok(())
}

/// Writes the genesis state.
pub fn init_genesis(ctx: &mut Context<'_>, g: &GenesisState) -> Result<(), OrchestrationError> {
    g.params.validate()?;
    check_unbonding_covers_fastpath(ctx.store, &g.params)?;
    PARAMS.save(ctx.store, &g.params)?;
    FN_SEQ.save(ctx.store, &g.function_seq)?;
    JOB_SEQ.save(ctx.store, &g.job_seq)?;
    for c in &g.codes {
        let (_, raw) = code::decompress(
            c.code.as_slice(),
            u64::MAX,
            c.info.wasm_size.max(g.params.max_wasm_bytes),
        )?;
        let hash: [u8; 32] = Sha256::digest(&raw).into();
        if hex::encode(hash) != c.info.hash {
            return Err(bad(format!(
                "code {} does not hash to its key",
                c.info.hash
            )));
        }
        CODES.save(ctx.store, &c.info.hash, &c.info)?;
        state::save_code_blob(ctx.store, &hash, c.code.as_slice());
    }
    for f in &g.functions {
        if f.id == 0 || f.id > g.function_seq {
            return Err(bad(format!(
                "function id {} outside 1..=function_seq",
                f.id
            )));
        }
        FUNCTIONS.save(ctx.store, f.id, f)?;
        FUNCTIONS_BY_OWNER.save(ctx.store, (f.owner.as_str(), f.id), &())?;
    }
    for s in &g.subnets {
        SUBNETS.save(ctx.store, s.function_id, &s.subnetwork)?;
    }
    for f in &g.functions {
        // Deployed in the exported chain's last block, not yet placed: the first begin block
        // places it.
        if f.status == FunctionStatus::Active && !SUBNETS.has(ctx.store, f.id) {
            PLACE_QUEUE.save(ctx.store, f.id, &())?;
        }
    }
    let mut open_escrow: u128 = 0;
    for j in &g.jobs {
        if j.id == 0 || j.id > g.job_seq {
            return Err(bad(format!("job id {} outside 1..=job_seq", j.id)));
        }
        JOBS.save(ctx.store, j.id, j)?;
        JOBS_BY_FUNCTION.save(ctx.store, (j.function_id, j.id), &())?;
        if j.status == JobStatus::Queued {
            // Queued in the exported chain's last block: the first begin block assigns it.
            ASSIGN_QUEUE.save(ctx.store, j.id, &())?;
        }
        if let Some(d) = j.current_deadline() {
            DEADLINES.save(ctx.store, (d, j.id), &())?;
            for a in &j.assignments {
                WORKER_JOBS.save(ctx.store, (a.worker.as_str(), j.id), &())?;
            }
        }
        if !j.is_unsettled() && j.status != JobStatus::Queued {
            // Finished in the exported chain: kept `job_retention_blocks` from this genesis
            // (an export does not carry when each job finished).
            crate::handlers::job_prune::schedule(ctx, j.id)?;
        }
        open_escrow = open_escrow.saturating_add(j.escrow);
    }
    for r in &g.reveals {
        REVEAL_OUTCOMES.save(ctx.store, (r.job_id, &r.result_hash), &r.outcome)?;
    }
    for r in &g.results {
        RESULTS.save(ctx.store, r.job_id, r)?;
    }
    let held = bls_bank::keeper::balance(ctx.store, &escrow_account(), bls_core::DENOM)?;
    // `<` rather than `!=`: extra coins are harmless, missing ones would make settlements fail.
    if held < open_escrow {
        return Err(bad(format!(
            "{} holds {held}ubls but open jobs escrow {open_escrow}ubls",
            crate::state::ESCROW_ACCOUNT.name()
        )));
    }
    // After functions: pinned heads and secrets must name one.
    fastpath_genesis::init(ctx, &g.fastpath)?;
    crate::secrets::genesis::init(ctx, &g.secrets)?;
    crate::market::genesis::init(ctx, &g.market)
}

/// Reads the state back as genesis.
pub fn export_genesis(store: &dyn Storage) -> Result<GenesisState, OrchestrationError> {
    let mut g = GenesisState {
        params: state::params(store)?,
        function_seq: FN_SEQ.may_load(store)?.unwrap_or(0),
        job_seq: JOB_SEQ.may_load(store)?.unwrap_or(0),
        ..GenesisState::default()
    };
    for item in CODES.range(store, None, None, Order::Ascending) {
        let (_, info) = item?;
        let hash = state::parse_hash(&info.hash)
            .ok_or_else(|| OrchestrationError::Store("bad code hash key".into()))?;
        let code = state::load_code_blob(store, &hash)
            .ok_or_else(|| OrchestrationError::CodeNotFound(info.hash.clone()))?;
        g.codes.push(GenesisCode {
            info,
            code: Binary::from(code),
        });
    }
    for item in FUNCTIONS.range(store, None, None, Order::Ascending) {
        g.functions.push(item?.1);
    }
    for item in SUBNETS.range(store, None, None, Order::Ascending) {
        let (function_id, subnetwork) = item?;
        g.subnets.push(GenesisSubnet {
            function_id,
            subnetwork,
        });
    }
    for item in JOBS.range(store, None, None, Order::Ascending) {
        g.jobs.push(item?.1);
    }
    for item in REVEAL_OUTCOMES.range(store, None, None, Order::Ascending) {
        let ((job_id, result_hash), outcome) = item?;
        g.reveals.push(GenesisReveal {
            job_id,
            result_hash,
            outcome,
        });
    }
    for item in RESULTS.range(store, None, None, Order::Ascending) {
        g.results.push(item?.1);
    }
    g.fastpath = fastpath_genesis::export(store)?;
    g.secrets = crate::secrets::genesis::export(store)?;
    g.market = crate::market::genesis::export(store)?;
    Ok(g)
}
