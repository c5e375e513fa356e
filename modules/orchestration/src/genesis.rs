//! Orchestration genesis: params, sequences, code (bytes base64), functions, subnetworks,
//! jobs (open ones with their revealed outcomes), results and the fast-path state
//! ([`crate::fastpath::genesis`]); exported the same way, in key order.
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
use crate::state::{
    self, escrow_account, CodeInfo, Function, Job, JobResult, Subnetwork, CODES, DEADLINES, FN_SEQ,
    FUNCTIONS, FUNCTIONS_BY_OWNER, JOBS, JOBS_BY_FUNCTION, JOB_SEQ, PARAMS, RESULTS,
    REVEAL_OUTCOMES, SUBNETS, WORKER_JOBS,
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
}

fn bad(s: impl Into<String>) -> OrchestrationError {
    OrchestrationError::InvalidParams(format!("genesis: {}", s.into()))
}

/// Writes the genesis state.
pub fn init_genesis(ctx: &mut Context<'_>, g: &GenesisState) -> Result<(), OrchestrationError> {
    g.params.validate()?;
    // Registry genesis runs first. A head must stay slashable for as long as a challenge or
    // report about what it settled can be accepted: it could otherwise deregister right after
    // settling and take its bond before the challenge deadline.
    let unbonding = bls_registry::state::params(ctx.store)?.unbonding_blocks;
    let reach = g
        .params
        .head_dispute_window
        .saturating_add(g.params.challenge_window);
    if reach >= unbonding {
        return Err(bad(format!(
            "head_dispute_window + challenge_window ({reach}) must be below the registry's \
             unbonding_blocks ({unbonding}): a head could unbond before a challenge of its \
             charges resolves"
        )));
    }
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
    let mut open_escrow: u128 = 0;
    for j in &g.jobs {
        if j.id == 0 || j.id > g.job_seq {
            return Err(bad(format!("job id {} outside 1..=job_seq", j.id)));
        }
        JOBS.save(ctx.store, j.id, j)?;
        JOBS_BY_FUNCTION.save(ctx.store, (j.function_id, j.id), &())?;
        if let Some(d) = j.current_deadline() {
            DEADLINES.save(ctx.store, (d, j.id), &())?;
            for a in &j.assignments {
                WORKER_JOBS.save(ctx.store, (a.worker.as_str(), j.id), &())?;
            }
        }
        open_escrow = open_escrow.saturating_add(j.escrow);
    }
    for r in &g.reveals {
        REVEAL_OUTCOMES.save(ctx.store, (r.job_id, &r.result_hash), &r.outcome)?;
    }
    for r in &g.results {
        RESULTS.save(ctx.store, r.job_id, r)?;
    }
    let held = bls_bank::state::balance(ctx.store, &escrow_account(), bls_core::DENOM)?;
    // `<` rather than `!=`: anyone may send coins to a module address; extra is harmless.
    if held < open_escrow {
        return Err(bad(format!(
            "orchestration_escrow holds {held}ubls but open jobs escrow {open_escrow}ubls"
        )));
    }
    // After functions: pinned heads must name one.
    fastpath_genesis::init(ctx, &g.fastpath)
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
    Ok(g)
}
