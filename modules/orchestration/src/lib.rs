//! `bls-orchestration`: deployments, invocations, assignment, commit–reveal, quorum,
//! settlement and reassignment.
//!
//! # Design
//! - **Functions** have sequential numeric ids (`1, 2, ...`; simple, dense keys, short CLI
//!   arguments). Code is inline (gzip or raw WASM, capped compressed by `max_code_bytes` and
//!   decompressed by `max_wasm_bytes` with a bounded read) or a sha256 hash plus source URIs.
//!   Inline code must validate with `wasmparser` under the worker's feature set and export
//!   the manifest's entry function; it is stored once per hash ([`code`], query `Code`).
//!   The code hash is sha256 of the raw WASM (what the worker runtime checks). Manifests use
//!   the worker runtime's JSON format and bounds ([`manifest`]).
//! - **Subnetwork** ([`placement`], [`handlers::subnet`]): per function, `max(subnetwork_size,
//!   n)` active workers whose capabilities fit the manifest, chosen diversity-first (new
//!   region > new network > new operator) and bond-weighted, seeded by the block hash. Placed
//!   at deploy and repaired on every invoke/reassignment: members that left, were jailed
//!   (dissent or liveness — silent workers get jailed by the registry's window) or no longer
//!   fit are dropped and their seats refilled.
//! - **Jobs** have sequential numeric ids. `MsgInvoke` escrows `max_fee` (≥ `base_fee`) in
//!   `orchestration_escrow` and assigns `n` subnetwork members (same diversity rule, seeded
//!   by the job seed). The job pins code hash and manifest, and records the invocation
//!   height/time (the guest's clock) and a 32-byte `seed` (hex; the guest's randomness, the
//!   worker runtime's `Job::id`). Event `bls.job_assigned`.
//! - **Commit–reveal** ([`handlers::results`]): commitment = sha256(result_hash ‖ salt ‖
//!   worker address bytes) ([`msgs::commitment`]); result_hash = sha256(canonical outcome
//!   bytes). Commits close when all `n` committed or at `commit_window`; reveals are accepted
//!   only afterwards (so no answer is visible while a commit can still be made) until
//!   `reveal_window`. Closing at `n` rather than at `m` keeps the ability to outvote and
//!   slash a dissenter.
//! - **Finality** ([`handlers::results`]): at the first `m` identical reveals the job is
//!   `finalized` and its result queryable at once. The reveal tx does nothing else, so its
//!   gas does not depend on whether it completes the quorum. Reveals stay open until
//!   settlement ([`state::Job::settling`]).
//! - **Settlement** ([`handlers::settle`]), in end block, when every committed worker has
//!   revealed (the reveal window then closes at that height) or at `reveal_deadline`,
//!   whichever is first: fee = min(base_fee + fuel_used × fuel_price / fuel_unit, escrow),
//!   split worker/burn/community by basis points (worker part equal per agreeing worker,
//!   late agreeing reveals included; all rounding remainders to the community pool), the
//!   rest refunded; dissenting reveals — before or after finality — are slashed and jailed;
//!   agreeing reveals count as answers in the liveness window. Silent workers (no commit by
//!   the commit deadline, or committed but no reveal by settlement) get a liveness miss. A
//!   round without quorum when its reveals end is reassigned to `n` never-assigned workers
//!   (subnetwork first) up to `max_retries` times, else the job fails with a full refund.
//!   Invariant: escrow balance == Σ unsettled jobs' `escrow`.
//! - `end_block` drains a deadline queue keyed by (height, job); nothing scans all jobs.
//! - Deterministic: ordered maps only, integer math, block height/time/hash only.

pub mod code;
pub mod error;
pub mod events;
pub mod fastpath;
pub mod genesis;
pub mod handlers;
pub mod manifest;
pub mod msgs;
pub mod params;
pub mod placement;
pub mod queries;
pub mod state;

use bls_core::module::{decode_any, encode_any};
use bls_core::{Address, Context, Module, ModuleError};
use cosmos_sdk_proto::Any;
use cosmwasm_std::Storage;

pub use error::OrchestrationError;
pub use params::Params;

use msgs::*;

/// Every message type URL orchestration handles (on-chain path, then fast path).
pub const ALL_MSG_TYPE_URLS: &[&str] = &[
    MSG_DEPLOY_FUNCTION,
    MSG_UPDATE_FUNCTION,
    MSG_RETIRE_FUNCTION,
    MSG_INVOKE,
    MSG_COMMIT_RESULT,
    MSG_REVEAL_RESULT,
    fastpath::msgs::MSG_FASTPATH_DEPOSIT,
    fastpath::msgs::MSG_FASTPATH_WITHDRAW,
    fastpath::msgs::MSG_SETTLE_RECEIPTS,
    fastpath::msgs::MSG_SUBMIT_EVIDENCE,
    fastpath::msgs::MSG_SET_PINNED_HEADS,
];

fn fastpath_signer(msg: &Any, url: &str) -> Result<Address, ModuleError> {
    use fastpath::msgs::*;
    match url {
        MSG_FASTPATH_DEPOSIT => signer_of(
            "invoker",
            &decode_any::<MsgFastPathDeposit>(msg, url)?.invoker,
        ),
        MSG_FASTPATH_WITHDRAW => signer_of(
            "invoker",
            &decode_any::<MsgFastPathWithdraw>(msg, url)?.invoker,
        ),
        MSG_SETTLE_RECEIPTS => signer_of("head", &decode_any::<MsgSettleReceipts>(msg, url)?.head),
        MSG_SUBMIT_EVIDENCE => signer_of(
            "submitter",
            &decode_any::<MsgSubmitEvidence>(msg, url)?.submitter,
        ),
        MSG_SET_PINNED_HEADS => {
            signer_of("owner", &decode_any::<MsgSetPinnedHeads>(msg, url)?.owner)
        }
        other => Err(bls_core::module::unknown_msg("orchestration", other)),
    }
}

fn fastpath_deliver(ctx: &mut Context<'_>, msg: &Any, url: &str) -> Result<Any, ModuleError> {
    use fastpath::handlers as h;
    use fastpath::msgs::*;
    match url {
        MSG_FASTPATH_DEPOSIT => {
            let r = h::deposit(ctx, &decode_any(msg, url)?)?;
            Ok(encode_any(&r, MSG_FASTPATH_DEPOSIT_RESPONSE))
        }
        MSG_FASTPATH_WITHDRAW => {
            let r = h::withdraw(ctx, &decode_any(msg, url)?)?;
            Ok(encode_any(&r, MSG_FASTPATH_WITHDRAW_RESPONSE))
        }
        MSG_SETTLE_RECEIPTS => {
            let r = h::settle_receipts(ctx, &decode_any(msg, url)?)?;
            Ok(encode_any(&r, MSG_SETTLE_RECEIPTS_RESPONSE))
        }
        MSG_SUBMIT_EVIDENCE => {
            let r = h::submit_evidence(ctx, &decode_any(msg, url)?)?;
            Ok(encode_any(&r, MSG_SUBMIT_EVIDENCE_RESPONSE))
        }
        MSG_SET_PINNED_HEADS => {
            let r = h::set_pinned_heads(ctx, &decode_any(msg, url)?)?;
            Ok(encode_any(&r, MSG_SET_PINNED_HEADS_RESPONSE))
        }
        other => Err(bls_core::module::unknown_msg("orchestration", other)),
    }
}

/// The orchestration module (stateless handle; all state lives in the store).
#[derive(Clone, Copy, Debug, Default)]
pub struct OrchestrationModule;

fn signer_of(field: &'static str, addr: &str) -> Result<Address, ModuleError> {
    Address::parse(addr).map_err(|e| {
        ModuleError::from(OrchestrationError::InvalidField {
            field,
            reason: e.to_string(),
        })
    })
}

impl Module for OrchestrationModule {
    fn name(&self) -> &'static str {
        "orchestration"
    }

    fn msg_type_urls(&self) -> &'static [&'static str] {
        ALL_MSG_TYPE_URLS
    }

    fn msg_signer(&self, msg: &Any) -> Result<Address, ModuleError> {
        match msg.type_url.as_str() {
            MSG_DEPLOY_FUNCTION => signer_of(
                "owner",
                &decode_any::<MsgDeployFunction>(msg, MSG_DEPLOY_FUNCTION)?.owner,
            ),
            MSG_UPDATE_FUNCTION => signer_of(
                "owner",
                &decode_any::<MsgUpdateFunction>(msg, MSG_UPDATE_FUNCTION)?.owner,
            ),
            MSG_RETIRE_FUNCTION => signer_of(
                "owner",
                &decode_any::<MsgRetireFunction>(msg, MSG_RETIRE_FUNCTION)?.owner,
            ),
            MSG_INVOKE => signer_of(
                "invoker",
                &decode_any::<MsgInvoke>(msg, MSG_INVOKE)?.invoker,
            ),
            MSG_COMMIT_RESULT => signer_of(
                "worker",
                &decode_any::<MsgCommitResult>(msg, MSG_COMMIT_RESULT)?.worker,
            ),
            MSG_REVEAL_RESULT => signer_of(
                "worker",
                &decode_any::<MsgRevealResult>(msg, MSG_REVEAL_RESULT)?.worker,
            ),
            other => fastpath_signer(msg, other),
        }
    }

    fn deliver(&self, ctx: &mut Context<'_>, msg: &Any) -> Result<Any, ModuleError> {
        use handlers::{functions, invoke, results};
        match msg.type_url.as_str() {
            MSG_DEPLOY_FUNCTION => {
                let m = decode_any::<MsgDeployFunction>(msg, MSG_DEPLOY_FUNCTION)?;
                let r = functions::deploy_function(ctx, &m)?;
                Ok(encode_any(&r, MSG_DEPLOY_FUNCTION_RESPONSE))
            }
            MSG_UPDATE_FUNCTION => {
                let m = decode_any::<MsgUpdateFunction>(msg, MSG_UPDATE_FUNCTION)?;
                let r = functions::update_function(ctx, &m)?;
                Ok(encode_any(&r, MSG_UPDATE_FUNCTION_RESPONSE))
            }
            MSG_RETIRE_FUNCTION => {
                let m = decode_any::<MsgRetireFunction>(msg, MSG_RETIRE_FUNCTION)?;
                let r = functions::retire_function(ctx, &m)?;
                Ok(encode_any(&r, MSG_RETIRE_FUNCTION_RESPONSE))
            }
            MSG_INVOKE => {
                let m = decode_any::<MsgInvoke>(msg, MSG_INVOKE)?;
                let r = invoke::invoke(ctx, &m)?;
                Ok(encode_any(&r, MSG_INVOKE_RESPONSE))
            }
            MSG_COMMIT_RESULT => {
                let m = decode_any::<MsgCommitResult>(msg, MSG_COMMIT_RESULT)?;
                let r = results::commit_result(ctx, &m)?;
                Ok(encode_any(&r, MSG_COMMIT_RESULT_RESPONSE))
            }
            MSG_REVEAL_RESULT => {
                let m = decode_any::<MsgRevealResult>(msg, MSG_REVEAL_RESULT)?;
                let r = results::reveal_result(ctx, &m)?;
                Ok(encode_any(&r, MSG_REVEAL_RESULT_RESPONSE))
            }
            other => fastpath_deliver(ctx, msg, other),
        }
    }

    fn query_prefix(&self) -> &'static str {
        queries::QUERY_PREFIX
    }

    fn query(
        &self,
        store: &dyn Storage,
        method: &str,
        data: &[u8],
    ) -> Result<Vec<u8>, ModuleError> {
        Ok(queries::query(store, method, data)?)
    }

    fn init_genesis(
        &self,
        ctx: &mut Context<'_>,
        genesis: &serde_json::Value,
    ) -> Result<(), ModuleError> {
        let g: genesis::GenesisState = bls_core::module::parse_genesis(genesis).map_err(|e| {
            ModuleError::from(OrchestrationError::InvalidParams(format!("genesis: {e}")))
        })?;
        Ok(genesis::init_genesis(ctx, &g)?)
    }

    fn export_genesis(&self, store: &dyn Storage) -> Result<serde_json::Value, ModuleError> {
        let g = genesis::export_genesis(store)?;
        serde_json::to_value(g).map_err(|e| ModuleError::storage("orchestration genesis", e))
    }

    fn end_block(&self, ctx: &mut Context<'_>) -> Result<(), ModuleError> {
        Ok(handlers::settle::end_block(ctx)?)
    }
}
