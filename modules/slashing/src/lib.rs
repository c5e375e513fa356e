//! `bls-slashing`: validator accountability.
//!
//! # Design
//! - **Double sign** (CometBFT duplicate-vote misbehavior in FinalizeBlock): slash
//!   `slash_fraction_double_sign` bps of the validator's tokens (pro rata over delegations, and
//!   of unbonding entries created at or after the offence height), burn it, jail and tombstone
//!   (never unjailed, never slashed twice).
//! - **Downtime**: a sliding window of the last `signed_blocks_window` votes per validator
//!   (keyed by consensus address, bitmap of missed slots) over the decided last commit; more
//!   than `window − min_signed_per_window` misses in a full window slashes
//!   `slash_fraction_downtime`, jails for `downtime_jail_blocks` and resets the window.
//! - Both run in begin block, before staking's end block recomputes the active set, so a
//!   jailed validator leaves CometBFT's set (power 0) in the same block; `MsgUnjail` brings it
//!   back once the jail is over (and its self-bond still meets `min_self_bond`).
//! - Only validators managed by staking are tracked; CometBFT's own genesis validators are
//!   ignored. Worker slashing lives in the registry.

pub mod error;
pub mod events;
pub mod genesis;
pub mod handlers;
pub mod msgs;
pub mod params;
pub mod queries;
pub mod state;

use bls_core::module::{export_genesis_section, init_genesis_section};
use bls_core::{Address, Context, Module, ModuleError, MsgRoute, MsgRouter};
use cosmos_sdk_proto::Any;
use cosmwasm_std::Storage;

pub use error::SlashingError;
pub use params::Params;
pub use state::SigningInfo;

use msgs::*;

/// The slashing module (stateless handle; all state lives in the store).
#[derive(Clone, Copy, Debug, Default)]
pub struct SlashingModule;

/// Slashing's messages: type URL, handler, response type URL, signer field.
const ROUTER: MsgRouter = MsgRouter {
    module: "slashing",
    invalid_signer: |field, reason| SlashingError::InvalidField { field, reason }.into(),
    routes: &[
        &MsgRoute::of(MSG_UNJAIL, handlers::unjail, MSG_UNJAIL_RESPONSE)
            .signed_by("operator", |m| &m.operator),
    ],
};

impl Module for SlashingModule {
    fn name(&self) -> &'static str {
        "slashing"
    }

    fn msg_type_urls(&self) -> &'static [&'static str] {
        MSG_TYPE_URLS
    }

    fn msg_signer(&self, msg: &Any) -> Result<Address, ModuleError> {
        ROUTER.signer(msg)
    }

    fn deliver(&self, ctx: &mut Context<'_>, msg: &Any) -> Result<Any, ModuleError> {
        ROUTER.deliver(ctx, msg)
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
        init_genesis_section(
            genesis,
            |e| SlashingError::InvalidGenesis(e.to_string()),
            |g| genesis::init_genesis(ctx.store, g),
        )
    }

    fn export_genesis(&self, store: &dyn Storage) -> Result<serde_json::Value, ModuleError> {
        export_genesis_section("slashing genesis", genesis::export_genesis(store))
    }

    fn begin_block(&self, ctx: &mut Context<'_>) -> Result<(), ModuleError> {
        Ok(handlers::begin_block(ctx)?)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn routes_every_msg_type_url() {
        assert!(super::ROUTER.routes_exactly(super::msgs::MSG_TYPE_URLS));
    }
}
