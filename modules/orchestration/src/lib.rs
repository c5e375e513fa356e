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
//! - **Placement rule** ([`placement`]): every seat is drawn with probability proportional to
//!   bond among the candidates the caps allow — one seat per operator, one per address group
//!   (the /24 or /48 of the worker's registered multiaddrs, `bls_registry::address_group`;
//!   a worker without a routable address is in none),
//!   half the seats (rounded up) per region label; the region cap lifts first, then the
//!   group cap, only when the pool cannot fill a seat otherwise. Caps never prefer anyone,
//!   so labels buy nothing beyond bond.
//! - **Randomness, deferred** ([`handlers::assign`]): every draw uses the block's beacon
//!   randomness (`BlockInfo::randomness`, `bls-beacon`) and happens in begin block, on state
//!   the previous block fixed: the proposer that included an invoke or deploy could not know
//!   it, and no block hash enters it.
//! - **Subnetwork** ([`handlers::subnet`]): per function, `max(subnetwork_size, n)` active
//!   workers whose capabilities fit the manifest. Placed in the begin block after the deploy
//!   and repaired at every assignment: members that left, were jailed (dissent or liveness —
//!   silent workers get jailed by the registry's window) or no longer fit are dropped and
//!   their seats refilled; begin block also repairs a bounded batch of subnetworks with such
//!   members without waiting for an invoke ([`handlers::subnet_repair`]).
//! - **Jobs** have sequential numeric ids. `MsgInvoke` checks that enough eligible workers
//!   exist, escrows `max_fee` in `orchestration_escrow` — at least the job's worst-case fee
//!   ([`pricing`]), so the escrow always covers what the job can cost — and queues the job
//!   (`queued`, event `bls.job_queued`); the next begin block draws its 32-byte `seed` (hex;
//!   the guest's randomness, the worker runtime's `Job::id`) and `n` subnetwork members by
//!   the placement rule (event `bls.job_assigned`; a job that cannot be assigned then fails
//!   with a full refund). The job pins code hash and manifest, and records the invocation
//!   height/time (the guest's clock).
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
//! - **Pricing** ([`pricing`]): fee = base_fee + max(fuel fee, time fee), where the fuel fee
//!   is `min(fuel_used, manifest fuel) × fuel_price / fuel_unit` and the time fee of a
//!   timed-out outcome is `timeout_ms × price_per_second / 1000` (0 otherwise). A timed-out
//!   outcome records no fuel (what a machine burns before a wall-clock deadline is not part
//!   of the agreed outcome), so without the time fee a function could hold `n` workers for
//!   its whole timeout at the price of the base fee. Manifest `fuel` is bounded by
//!   `max_fuel` at deploy/update, which bounds the worst case.
//! - **Settlement** ([`handlers::settle`]), in end block, when every committed worker has
//!   revealed (the reveal window then closes at that height) or at `reveal_deadline`,
//!   whichever is first: the fee ([`pricing::job_fee`], at most the escrow) is split
//!   worker/burn/community by basis points (worker part equal per agreeing worker, late
//!   agreeing reveals included; all rounding remainders to the community pool), the rest
//!   refunded; agreeing reveals count as answers in the liveness window.
//! - **Dissent** ([`dissent`]): every revealed dissent — before or after finality — is
//!   judged by [`dissent::dissent_penalty`] with the pinned manifest, the final outcome and
//!   the dissenter's own outcome (each distinct revealed outcome is kept until settlement):
//!   slash + jail when the difference is the worker's fault; a liveness miss when its own
//!   outcome depends on its machine (a timeout); nothing but no pay when the function may
//!   legitimately differ between honest workers (HTTP) or the majority's outcome is itself
//!   machine-dependent. So a deployer whose origin answers each worker differently, or whose
//!   function runs at the edge of its timeout, cannot choose whom the chain slashes.
//! - **Withholding** ([`withholding`]): a committed worker that has not revealed by
//!   settlement, or by the reveal deadline of a round without quorum, gets the dissent
//!   penalty (slash + jail) plus a liveness miss when the function's dissent is slashed (no
//!   HTTP), otherwise a liveness miss. Reveals are public once commits close, so a worker
//!   that sees it is in the minority must not profit from silence: withholding always costs
//!   at least what dissenting would. An honest operator keeps the worker's data directory
//!   and restarts a crashed worker within the reveal window: the daemon saves each commit
//!   record before committing and reveals saved commits after a restart. Workers that never
//!   commit by the commit deadline get a liveness miss (they saw no reveal).
//! - **Reassignment**: a round without quorum when its reveals end is queued and reassigned
//!   in the next begin block to `n` never-assigned workers (subnetwork first) up to
//!   `max_retries` times, else (or with too few such workers) the job fails with a full
//!   refund. Invariant: escrow balance == Σ unsettled jobs' `escrow`.
//! - Penalties and liveness go through the registry's keepers ([`bls_registry::penalty`],
//!   [`bls_registry::liveness`]), which emit `bls.worker_slashed`, `bls.worker_jailed` and
//!   `bls.worker_missed` themselves.
//! - `end_block` drains a deadline queue keyed by (height, job); nothing scans all jobs.
//!   Finished jobs are deleted `job_retention_blocks` after they finish, from a queue keyed
//!   the same way ([`handlers::job_prune`]).
//!   `begin_block` places queued subnetworks, repairs up to a fixed number of subnetworks per
//!   block, resuming from a cursor ([`handlers::subnet_repair`]), so a jailed/unbonding/
//!   deregistered member is replaced even for functions nobody invokes on chain (the fast
//!   path reads subnetworks from chain), and assigns queued jobs.
//! - **Fast path** ([`fastpath`]): prepaid deposits, receipts settled by head workers,
//!   evidence against conflicting worker signatures, and heads answering for what they serve
//!   (signed answers, reports of lies, challenges of charges: [`fastpath::head`]); its end
//!   block resolves due challenges, prunes head records past their windows and forgets
//!   requests whose window closed.
//! - **Secrets** ([`secrets`]): a function's environment variables sealed (HPKE) to each
//!   subnetwork member, re-sealed by members to new ones, never stored in the clear; a member
//!   whose envelope does not open declines its job slot without penalty.
//! - **Marketplace** ([`market`]): owners list functions with a price per invocation, paid to
//!   them on top of execution fees by every invocation that ends with an agreed result, on
//!   chain and on the fast path; every function's figures (invocations, results, failures,
//!   revenue, latency); listings browsed by tag, owner, price and popularity.
//! - Deterministic: ordered maps only, integer math, block height/time/randomness only.

pub mod code;
pub mod dissent;
pub mod error;
pub mod events;
pub mod fastpath;
pub mod genesis;
pub mod handlers;
pub mod manifest;
pub mod market;
pub mod msgs;
pub mod params;
pub mod placement;
pub mod pricing;
pub mod queries;
pub mod reveal_size;
pub mod secrets;
pub mod source;
pub mod state;
#[cfg(feature = "testing")]
pub mod testing;
pub mod withholding;

use bls_core::spec::{BlockHookFn, ExportGenesisFn, InitGenesisFn, ModuleSpec, QueryFn};
use bls_core::{MsgRoute, MsgRouter};

pub use error::OrchestrationError;
pub use params::Params;

use fastpath::handlers as fp;
use fastpath::head::{challenge as head_challenge, msgs::*, report as head_report};
use fastpath::msgs::*;
use handlers::{decline, functions, invoke, results};
use market::handlers as mk;
use market::msgs::*;
use msgs::*;
use secrets::handlers as sealed;
use secrets::msgs::*;

/// Every message type URL orchestration handles (on-chain path, then fast path).
pub const ALL_MSG_TYPE_URLS: &[&str] = &[
    MSG_DEPLOY_FUNCTION,
    MSG_UPDATE_FUNCTION,
    MSG_RETIRE_FUNCTION,
    MSG_INVOKE,
    MSG_COMMIT_RESULT,
    MSG_REVEAL_RESULT,
    MSG_DECLINE_JOB,
    MSG_FASTPATH_DEPOSIT,
    MSG_FASTPATH_WITHDRAW,
    MSG_SETTLE_RECEIPTS,
    MSG_SUBMIT_EVIDENCE,
    MSG_SET_PINNED_HEADS,
    MSG_REPORT_HEAD,
    MSG_CHALLENGE_HEAD,
    MSG_ANSWER_CHALLENGE,
    MSG_SET_SECRET,
    MSG_UNSET_SECRET,
    MSG_RESEAL_SECRET,
    MSG_REPORT_UNOPENABLE_SECRETS,
    MSG_PUBLISH_LISTING,
    MSG_UPDATE_LISTING,
    MSG_UNLIST_FUNCTION,
];

/// The orchestration module (stateless handle; all state lives in the store).
#[derive(Clone, Copy, Debug, Default)]
pub struct OrchestrationModule;

impl ModuleSpec for OrchestrationModule {
    type Error = OrchestrationError;
    type Genesis = genesis::GenesisState;

    const NAME: &'static str = "orchestration";
    const MODULE_ACCOUNTS: &'static [bls_core::ModuleAccount] = &[
        state::ESCROW_ACCOUNT,
        fastpath::state::FASTPATH_ACCOUNT,
        fastpath::head::state::CHALLENGE_ACCOUNT,
    ];
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
                MSG_DECLINE_JOB,
                decline::decline_job,
                MSG_DECLINE_JOB_RESPONSE,
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
                fastpath::evidence::submit_evidence,
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
            &MsgRoute::of(MSG_SET_SECRET, sealed::set_secret, MSG_SET_SECRET_RESPONSE)
                .signed_by("owner", |m| &m.owner),
            &MsgRoute::of(
                MSG_UNSET_SECRET,
                sealed::unset_secret,
                MSG_UNSET_SECRET_RESPONSE,
            )
            .signed_by("owner", |m| &m.owner),
            &MsgRoute::of(
                MSG_RESEAL_SECRET,
                sealed::reseal_secret,
                MSG_RESEAL_SECRET_RESPONSE,
            )
            .signed_by("sealer", |m| &m.sealer),
            &MsgRoute::of(
                MSG_REPORT_UNOPENABLE_SECRETS,
                sealed::report_unopenable,
                MSG_REPORT_UNOPENABLE_SECRETS_RESPONSE,
            )
            .signed_by("worker", |m| &m.worker),
            &MsgRoute::of(
                MSG_PUBLISH_LISTING,
                mk::publish_listing,
                MSG_PUBLISH_LISTING_RESPONSE,
            )
            .signed_by("owner", |m| &m.owner),
            &MsgRoute::of(
                MSG_UPDATE_LISTING,
                mk::update_listing,
                MSG_UPDATE_LISTING_RESPONSE,
            )
            .signed_by("owner", |m| &m.owner),
            &MsgRoute::of(
                MSG_UNLIST_FUNCTION,
                mk::unlist_function,
                MSG_UNLIST_FUNCTION_RESPONSE,
            )
            .signed_by("owner", |m| &m.owner),
        ],
    };
    const PARAMS: Option<bls_core::governed_params::ParamsAccess> =
        Some(bls_core::governed_params::ParamsAccess::of::<Params>());
    const QUERY_PREFIX: &'static str = queries::QUERY_PREFIX;
    const QUERY: QueryFn<Self::Error> = queries::query;
    const INVALID_GENESIS: fn(serde_json::Error) -> Self::Error =
        |e| OrchestrationError::InvalidParams(format!("genesis: {e}"));
    const INIT_GENESIS: InitGenesisFn<Self::Genesis, Self::Error> = genesis::init_genesis;
    const EXPORT_GENESIS: ExportGenesisFn<Self::Genesis, Self::Error> = genesis::export_genesis;
    const EXPORT_CONTEXT: &'static str = "orchestration genesis";
    const BEGIN_BLOCK: Option<BlockHookFn<Self::Error>> = Some(handlers::begin_block);
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
