//! `bls-registry`: workers and head workers of the compute network.
//!
//! # Design
//! - A worker is identified by its **operator address** (one worker per operator). It carries
//!   a result-signing secp256k1 key, a libp2p peer id and multiaddrs, a region and a network
//!   (ASN or /24 subnet) used by placement to spread replicas, capabilities, a role
//!   (`worker` | `head`) and a **bond** in `ubls` held by the `registry_bonds` module account.
//! - Status: `active` → (`jailed` ⇄ `active` via `MsgUnjailWorker` after `jailed_until`) →
//!   `unbonding` (`MsgDeregisterWorker`). End block pays unbonded bonds back from a queue keyed
//!   by completion height and deletes the record, so the operator may register again.
//! - Bond changes while registered: `MsgBondWorker` adds bond (the same path as
//!   `MsgUpdateWorker.add_bond`); `MsgUnbondWorker` moves part of the bond into an unbonding
//!   entry on the worker record (at most [`state::MAX_UNBONDING_ENTRIES`]), queued in the same
//!   unbonding queue as deregistration and returned in end block after `unbonding_blocks`.
//!   The remaining bond must stay at or above the role's minimum. Entries stay in the bonds
//!   account until then, so [`state::slash_worker`] cuts them by the same fraction as the bond.
//!   A jailed worker may unbond (as it may deregister): the minimum still binds, and the
//!   amount stays slashable for the whole unbonding period.
//! - Keeper interface for orchestration ([`state`]): [`state::slash_worker`] (burns a fraction
//!   of the bond, accounted in `slashed_total`), [`state::jail_worker`],
//!   [`state::record_answer`] / [`state::record_miss`] (sliding window of the last
//!   `signed_jobs_window` assignments; fewer than `min_answered_per_window` answers in a full
//!   window jails for `jail_blocks`), [`state::active_workers`] (id order).
//! - Messages ([`msgs`]) are hand-written prost structs under `/bls.registry.v1.*`; queries
//!   ([`queries`]) are JSON under `/bls.registry.v1.Query/`.
//! - Deterministic: ordered maps only, heights from the block, no floats.

pub mod amount;
pub mod error;
pub mod events;
pub mod genesis;
pub mod handlers;
pub mod msgs;
pub mod params;
pub mod queries;
pub mod state;

use bls_core::module::{decode_any, encode_any};
use bls_core::{Address, Context, Module, ModuleError};
use cosmos_sdk_proto::Any;
use cosmwasm_std::Storage;

pub use error::RegistryError;
pub use params::Params;
pub use state::{Role, Worker, WorkerStatus};

use msgs::*;

/// The registry module (stateless handle; all state lives in the store).
#[derive(Clone, Copy, Debug, Default)]
pub struct RegistryModule;

fn signer_of(addr: &str) -> Result<Address, ModuleError> {
    Address::parse(addr).map_err(|e| {
        ModuleError::from(RegistryError::InvalidField {
            field: "operator",
            reason: e.to_string(),
        })
    })
}

impl Module for RegistryModule {
    fn name(&self) -> &'static str {
        "registry"
    }

    fn msg_type_urls(&self) -> &'static [&'static str] {
        MSG_TYPE_URLS
    }

    fn msg_signer(&self, msg: &Any) -> Result<Address, ModuleError> {
        let operator = match msg.type_url.as_str() {
            MSG_REGISTER_WORKER => {
                decode_any::<MsgRegisterWorker>(msg, MSG_REGISTER_WORKER)?.operator
            }
            MSG_UPDATE_WORKER => decode_any::<MsgUpdateWorker>(msg, MSG_UPDATE_WORKER)?.operator,
            MSG_DEREGISTER_WORKER => {
                decode_any::<MsgDeregisterWorker>(msg, MSG_DEREGISTER_WORKER)?.operator
            }
            MSG_UNJAIL_WORKER => decode_any::<MsgUnjailWorker>(msg, MSG_UNJAIL_WORKER)?.operator,
            MSG_BOND_WORKER => decode_any::<MsgBondWorker>(msg, MSG_BOND_WORKER)?.operator,
            MSG_UNBOND_WORKER => decode_any::<MsgUnbondWorker>(msg, MSG_UNBOND_WORKER)?.operator,
            other => return Err(bls_core::module::unknown_msg("registry", other)),
        };
        signer_of(&operator)
    }

    fn deliver(&self, ctx: &mut Context<'_>, msg: &Any) -> Result<Any, ModuleError> {
        match msg.type_url.as_str() {
            MSG_REGISTER_WORKER => {
                let m = decode_any::<MsgRegisterWorker>(msg, MSG_REGISTER_WORKER)?;
                let r = handlers::register_worker(ctx, &m)?;
                Ok(encode_any(&r, MSG_REGISTER_WORKER_RESPONSE))
            }
            MSG_UPDATE_WORKER => {
                let m = decode_any::<MsgUpdateWorker>(msg, MSG_UPDATE_WORKER)?;
                let r = handlers::update_worker(ctx, &m)?;
                Ok(encode_any(&r, MSG_UPDATE_WORKER_RESPONSE))
            }
            MSG_DEREGISTER_WORKER => {
                let m = decode_any::<MsgDeregisterWorker>(msg, MSG_DEREGISTER_WORKER)?;
                let r = handlers::deregister_worker(ctx, &m)?;
                Ok(encode_any(&r, MSG_DEREGISTER_WORKER_RESPONSE))
            }
            MSG_UNJAIL_WORKER => {
                let m = decode_any::<MsgUnjailWorker>(msg, MSG_UNJAIL_WORKER)?;
                let r = handlers::unjail_worker(ctx, &m)?;
                Ok(encode_any(&r, MSG_UNJAIL_WORKER_RESPONSE))
            }
            MSG_BOND_WORKER => {
                let m = decode_any::<MsgBondWorker>(msg, MSG_BOND_WORKER)?;
                let r = handlers::bond_worker(ctx, &m)?;
                Ok(encode_any(&r, MSG_BOND_WORKER_RESPONSE))
            }
            MSG_UNBOND_WORKER => {
                let m = decode_any::<MsgUnbondWorker>(msg, MSG_UNBOND_WORKER)?;
                let r = handlers::unbond_worker(ctx, &m)?;
                Ok(encode_any(&r, MSG_UNBOND_WORKER_RESPONSE))
            }
            other => Err(bls_core::module::unknown_msg("registry", other)),
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
            ModuleError::from(RegistryError::InvalidParams(format!("genesis: {e}")))
        })?;
        Ok(genesis::init_genesis(ctx, &g)?)
    }

    fn export_genesis(&self, store: &dyn Storage) -> Result<serde_json::Value, ModuleError> {
        let g = genesis::export_genesis(store)?;
        serde_json::to_value(g).map_err(|e| ModuleError::storage("registry genesis", e))
    }

    fn end_block(&self, ctx: &mut Context<'_>) -> Result<(), ModuleError> {
        Ok(handlers::process_unbonding(ctx)?)
    }
}
