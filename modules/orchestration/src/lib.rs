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
//!   fit are dropped and their seats refilled; end block does the same repair for
//!   subnetworks with such members without waiting for an invoke.
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
//! - `end_block` drains a deadline queue keyed by (height, job); nothing scans all jobs. It
//!   then repairs up to a fixed number of subnetworks per block, resuming from a cursor
//!   ([`handlers::subnet_repair`]), so a jailed/unbonding/deregistered member is replaced
//!   even for functions nobody invokes on chain (the fast path reads subnetworks from chain).
//! - **Fast path** ([`fastpath`]): prepaid deposits, receipts settled by head workers,
//!   evidence against conflicting worker signatures, and heads answering for what they serve
//!   (signed answers, reports of lies, challenges of charges: [`fastpath::head`]); its end
//!   block resolves due challenges and prunes head records past their windows.
//! - Deterministic: ordered maps only, integer math, block height/time/hash only.

pub mod code;
pub mod dissent;
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

use bls_core::spec::{BlockHookFn, ExportGenesisFn, InitGenesisFn, ModuleSpec, QueryFn};
use bls_core::{MsgRoute, MsgRouter};

pub use error::OrchestrationError;
pub use params::Params;

use fastpath::handlers as fp;
use fastpath::head::{challenge as head_challenge, msgs::*, report as head_report};
use fastpath::msgs::*;
use handlers::{functions, invoke, results};
use msgs::*;

/// Every message type URL orchestration handles (on-chain path, then fast path).
pub const ALL_MSG_TYPE_URLS: &[&str] = &[
    MSG_DEPLOY_FUNCTION,
    MSG_UPDATE_FUNCTION,
    MSG_RETIRE_FUNCTION,
    MSG_INVOKE,
    MSG_COMMIT_RESULT,
    MSG_REVEAL_RESULT,
    MSG_FASTPATH_DEPOSIT,
    MSG_FASTPATH_WITHDRAW,
    MSG_SETTLE_RECEIPTS,
    MSG_SUBMIT_EVIDENCE,
    MSG_SET_PINNED_HEADS,
    MSG_REPORT_HEAD,
    MSG_CHALLENGE_HEAD,
    MSG_ANSWER_CHALLENGE,
];

/// The orchestration module (stateless handle; all state lives in the store).
#[derive(Clone, Copy, Debug, Default)]
pub struct OrchestrationModule;

impl ModuleSpec for OrchestrationModule {
    type Error = OrchestrationError;
    type Genesis = genesis::GenesisState;

    const NAME: &'static str = "orchestration";
    const MSG_TYPE_URLS: &'static [&'static str] = ALL_MSG_TYPE_URLS;
    /// Orchestration's messages, in [`ALL_MSG_TYPE_URLS`] order: type URL, handler, response type
    /// URL, signer field.
    const MSGS: MsgRouter = MsgRouter {
        module: Self::NAME,
        invalid_signer: |field, reason| OrchestrationError::InvalidField { field, reason }.into(),
        routes: &[
            &MsgRoute::of(
                MSG_DEPLOY_FUNCTION,
                functions::deploy_function,
                MSG_DEPLOY_FUNCTION_RESPONSE,
            )
            .signed_by("owner", |m| &m.owner),
            &MsgRoute::of(
                MSG_UPDATE_FUNCTION,
                functions::update_function,
                MSG_UPDATE_FUNCTION_RESPONSE,
            )
            .signed_by("owner", |m| &m.owner),
            &MsgRoute::of(
                MSG_RETIRE_FUNCTION,
                functions::retire_function,
                MSG_RETIRE_FUNCTION_RESPONSE,
            )
            .signed_by("owner", |m| &m.owner),
            &MsgRoute::of(MSG_INVOKE, invoke::invoke, MSG_INVOKE_RESPONSE)
                .signed_by("invoker", |m| &m.invoker),
            &MsgRoute::of(
                MSG_COMMIT_RESULT,
                results::commit_result,
                MSG_COMMIT_RESULT_RESPONSE,
            )
            .signed_by("worker", |m| &m.worker),
            &MsgRoute::of(
                MSG_REVEAL_RESULT,
                results::reveal_result,
                MSG_REVEAL_RESULT_RESPONSE,
            )
            .signed_by("worker", |m| &m.worker),
            &MsgRoute::of(
                MSG_FASTPATH_DEPOSIT,
                fp::deposit,
                MSG_FASTPATH_DEPOSIT_RESPONSE,
            )
            .signed_by("invoker", |m| &m.invoker),
            &MsgRoute::of(
                MSG_FASTPATH_WITHDRAW,
                fp::withdraw,
                MSG_FASTPATH_WITHDRAW_RESPONSE,
            )
            .signed_by("invoker", |m| &m.invoker),
            &MsgRoute::of(
                MSG_SETTLE_RECEIPTS,
                fp::settle_receipts,
                MSG_SETTLE_RECEIPTS_RESPONSE,
            )
            .signed_by("head", |m| &m.head),
            &MsgRoute::of(
                MSG_SUBMIT_EVIDENCE,
                fp::submit_evidence,
                MSG_SUBMIT_EVIDENCE_RESPONSE,
            )
            .signed_by("submitter", |m| &m.submitter),
            &MsgRoute::of(
                MSG_SET_PINNED_HEADS,
                fp::set_pinned_heads,
                MSG_SET_PINNED_HEADS_RESPONSE,
            )
            .signed_by("owner", |m| &m.owner),
            &MsgRoute::of(
                MSG_REPORT_HEAD,
                head_report::report_head,
                MSG_REPORT_HEAD_RESPONSE,
            )
            .signed_by("reporter", |m| &m.reporter),
            &MsgRoute::of(
                MSG_CHALLENGE_HEAD,
                head_challenge::challenge_head,
                MSG_CHALLENGE_HEAD_RESPONSE,
            )
            .signed_by("invoker", |m| &m.invoker),
            &MsgRoute::of(
                MSG_ANSWER_CHALLENGE,
                head_challenge::answer_challenge,
                MSG_ANSWER_CHALLENGE_RESPONSE,
            )
            .signed_by("head", |m| &m.head),
        ],
    };
    const QUERY_PREFIX: &'static str = queries::QUERY_PREFIX;
    const QUERY: QueryFn<Self::Error> = queries::query;
    const INVALID_GENESIS: fn(serde_json::Error) -> Self::Error =
        |e| OrchestrationError::InvalidParams(format!("genesis: {e}"));
    const INIT_GENESIS: InitGenesisFn<Self::Genesis, Self::Error> = genesis::init_genesis;
    const EXPORT_GENESIS: ExportGenesisFn<Self::Genesis, Self::Error> = genesis::export_genesis;
    const EXPORT_CONTEXT: &'static str = "orchestration genesis";
    const END_BLOCK: Option<BlockHookFn<Self::Error>> = Some(handlers::end_block);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_every_msg_type_url() {
        assert!(OrchestrationModule::MSGS.routes_exactly(OrchestrationModule::MSG_TYPE_URLS));
    }
}
