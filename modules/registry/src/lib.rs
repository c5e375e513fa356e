//! `bls-registry`: workers and head workers of the compute network.
//!
//! # Design
//! - A worker is identified by its **operator address** (one worker per operator). It carries
//!   a result-signing secp256k1 key, a libp2p peer id and multiaddrs (whose first routable
//!   address gives its placement group, [`address_group`]), a region label (placement caps
//!   it) and a network label (informational), capabilities, a role
//!   (`worker` | `head`) and a **bond** in `ubls` held by the `registry_bonds` module account.
//! - Status: `active` → (`jailed` ⇄ `active` via `MsgUnjailWorker` after `jailed_until`) →
//!   `unbonding` (`MsgDeregisterWorker`). End block pays unbonded bonds back from a queue keyed
//!   by completion height and deletes the record, so the operator may register again.
//! - Bond changes while registered: `MsgBondWorker` adds bond (the same path as
//!   `MsgUpdateWorker.add_bond`); `MsgUnbondWorker` moves part of the bond into an unbonding
//!   entry on the worker record (at most [`state::MAX_UNBONDING_ENTRIES`]), queued in the same
//!   unbonding queue as deregistration and returned in end block after `unbonding_blocks`.
//!   The remaining bond must stay at or above the role's minimum. Entries stay in the bonds
//!   account until then, so [`penalty::slash`] cuts by the same fraction as the bond
//!   every entry that began unbonding at or after the infraction height (the Cosmos rule;
//!   entries of unknown start, from before start heights were recorded, count as later).
//!   A jailed worker may unbond (as it may deregister): the minimum still binds, and the
//!   amount stays slashable for the whole unbonding period.
//! - **Result keys are versioned** ([`result_keys`]): a rotation (`MsgUpdateWorker`) retires
//!   the current key at that height and keeps it, reserved, for `unbonding_blocks`; a signature
//!   is checked against every key that was current while the signed request was alive
//!   ([`result_keys::keys_valid_between`]), so rotating a key never voids what it signed.
//! - Keepers for other modules, each taking the context and emitting its own events:
//!   [`penalty`] — [`penalty::punish`] (slash + jail for a proven infraction),
//!   [`penalty::slash`] (burns a fraction of the stake, accounted in `slashed_total`;
//!   `bls.worker_slashed`), [`penalty::jail`] (`bls.worker_jailed`); [`liveness`] —
//!   [`liveness::record_answer`] / [`liveness::record_miss`] (sliding window of the last
//!   `signed_jobs_window` assignments; fewer than `min_answered_per_window` answers in a full
//!   window jails for `jail_blocks`; `bls.worker_missed`); [`restitution`] —
//!   [`restitution::pay_from_bond`] (pays an account a worker harmed out of its bond; not a
//!   slash: nothing is burnt; `bls.worker_restitution`). Reads: [`state::get_worker`],
//!   [`state::active_workers`] (id order). The storage maps are private to this crate.
//! - [`address_group`]: the /24 (IPv4) or /48 (IPv6) of a worker's first routable registered
//!   multiaddr, which placement caps at one seat per subnetwork (`unknown` when it has none).
//! - Messages ([`msgs`]) are hand-written prost structs under `/bls.registry.v1.*`; queries
//!   ([`queries`]) are JSON under `/bls.registry.v1.Query/`.
//! - Deterministic: ordered maps only, heights from the block, no floats.

pub mod address_group;
pub mod error;
pub mod events;
pub mod genesis;
pub mod handlers;
pub mod liveness;
pub mod msgs;
pub mod params;
pub mod penalty;
pub mod queries;
pub mod restitution;
pub mod result_keys;
pub mod state;

use bls_core::spec::{BlockHookFn, ExportGenesisFn, InitGenesisFn, ModuleSpec, QueryFn};
use bls_core::{MsgRoute, MsgRouter};

pub use error::RegistryError;
pub use params::Params;
pub use state::{Role, Worker, WorkerStatus};

use msgs::*;

/// The registry module (stateless handle; all state lives in the store).
#[derive(Clone, Copy, Debug, Default)]
pub struct RegistryModule;

impl ModuleSpec for RegistryModule {
    type Error = RegistryError;
    type Genesis = genesis::GenesisState;

    const NAME: &'static str = "registry";
    const MODULE_ACCOUNTS: &'static [bls_core::ModuleAccount] = &[state::BONDS_ACCOUNT];
    const MSG_TYPE_URLS: &'static [&'static str] = MSG_TYPE_URLS;
    /// Registry's messages: type URL, handler, response type URL, signer field (always the
    /// operator).
    const MSGS: MsgRouter = MsgRouter {
        module: Self::NAME,
        invalid_signer: |field, reason| RegistryError::InvalidField { field, reason }.into(),
        routes: &[
            &MsgRoute::of(
                MSG_REGISTER_WORKER,
                handlers::register_worker,
                MSG_REGISTER_WORKER_RESPONSE,
            )
            .signed_by("operator", |m| &m.operator),
            &MsgRoute::of(
                MSG_UPDATE_WORKER,
                handlers::update_worker,
                MSG_UPDATE_WORKER_RESPONSE,
            )
            .signed_by("operator", |m| &m.operator),
            &MsgRoute::of(
                MSG_DEREGISTER_WORKER,
                handlers::deregister_worker,
                MSG_DEREGISTER_WORKER_RESPONSE,
            )
            .signed_by("operator", |m| &m.operator),
            &MsgRoute::of(
                MSG_UNJAIL_WORKER,
                handlers::unjail_worker,
                MSG_UNJAIL_WORKER_RESPONSE,
            )
            .signed_by("operator", |m| &m.operator),
            &MsgRoute::of(
                MSG_BOND_WORKER,
                handlers::bond_worker,
                MSG_BOND_WORKER_RESPONSE,
            )
            .signed_by("operator", |m| &m.operator),
            &MsgRoute::of(
                MSG_UNBOND_WORKER,
                handlers::unbond_worker,
                MSG_UNBOND_WORKER_RESPONSE,
            )
            .signed_by("operator", |m| &m.operator),
        ],
    };
    const PARAMS: Option<bls_core::governed_params::ParamsAccess> =
        Some(bls_core::governed_params::ParamsAccess::of::<Params>());
    const QUERY_PREFIX: &'static str = queries::QUERY_PREFIX;
    const QUERY: QueryFn<Self::Error> = queries::query;
    const INVALID_GENESIS: fn(serde_json::Error) -> Self::Error =
        |e| RegistryError::InvalidParams(format!("genesis: {e}"));
    const INIT_GENESIS: InitGenesisFn<Self::Genesis, Self::Error> = genesis::init_genesis;
    const EXPORT_GENESIS: ExportGenesisFn<Self::Genesis, Self::Error> = genesis::export_genesis;
    const EXPORT_CONTEXT: &'static str = "registry genesis";
    const END_BLOCK: Option<BlockHookFn<Self::Error>> = Some(handlers::end_block);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_every_msg_type_url() {
        assert!(RegistryModule::MSGS.routes_exactly(RegistryModule::MSG_TYPE_URLS));
    }
}
