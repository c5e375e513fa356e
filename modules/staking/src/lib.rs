//! `bls-staking`: validators, delegations, unbonding, and CometBFT's validator set.
//!
//! # Design
//! - A validator is identified by its **operator address** (one per operator) and carries an
//!   ed25519 consensus key, a moniker, a commission (bps) and `tokens`, the sum of its
//!   delegations. Bonded coins sit in the `staking_bonded` module account; unbonding coins in
//!   `staking_unbonding` until their entry completes (end block at exactly
//!   `creation + unbonding_blocks`).
//! - Power = tokens / 1_000_000 ubls. End block ranks unjailed validators by power (ties by
//!   operator address), keeps the top `max_validators` and sends CometBFT validator updates
//!   only for what changed (power 0 removes). Staking only touches validators it manages, so
//!   CometBFT's own genesis validators stand when the staking genesis names none.
//! - Keeper interface ([`state`], [`slash`]) for slashing and fees: lookups by consensus
//!   address, [`state::jail`] / [`state::unjail`], [`slash::slash`] (burns, pro rata over
//!   delegations and over unbonding entries created at or after the offence),
//!   [`state::bonded_validators`] and [`state::validator_delegations`].
//! - Messages ([`msgs`]) are hand-written prost structs under `/bls.staking.v1.*`; queries
//!   ([`queries`]) are JSON under `/bls.staking.v1.Query/`.
//! - Deterministic: ordered maps only, heights from the block, integer math.

pub mod amount;
pub mod error;
pub mod events;
pub mod genesis;
pub mod handlers;
pub mod msgs;
pub mod params;
pub mod queries;
pub mod slash;
pub mod state;
pub mod valset;

use bls_core::module::{export_genesis_section, init_genesis_section};
use bls_core::{Address, Context, Module, ModuleError, MsgRoute, MsgRouter};
use cosmos_sdk_proto::Any;
use cosmwasm_std::Storage;

pub use error::StakingError;
pub use params::Params;
pub use state::{Delegation, UnbondingEntry, Validator};

use msgs::*;

/// The staking module (stateless handle; all state lives in the store).
#[derive(Clone, Copy, Debug, Default)]
pub struct StakingModule;

/// Staking's messages: type URL, handler, response type URL, signer field.
const ROUTER: MsgRouter = MsgRouter {
    module: "staking",
    invalid_signer: |field, reason| StakingError::InvalidField { field, reason }.into(),
    routes: &[
        &MsgRoute::of(
            MSG_CREATE_VALIDATOR,
            handlers::create_validator,
            MSG_CREATE_VALIDATOR_RESPONSE,
        )
        .signed_by("operator", |m| &m.operator),
        &MsgRoute::of(
            MSG_EDIT_VALIDATOR,
            handlers::edit_validator,
            MSG_EDIT_VALIDATOR_RESPONSE,
        )
        .signed_by("operator", |m| &m.operator),
        &MsgRoute::of(MSG_DELEGATE, handlers::delegate, MSG_DELEGATE_RESPONSE)
            .signed_by("delegator", |m| &m.delegator),
        &MsgRoute::of(
            MSG_UNDELEGATE,
            handlers::undelegate,
            MSG_UNDELEGATE_RESPONSE,
        )
        .signed_by("delegator", |m| &m.delegator),
    ],
};

impl Module for StakingModule {
    fn name(&self) -> &'static str {
        "staking"
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
            |e| StakingError::InvalidGenesis(e.to_string()),
            |g| genesis::init_genesis(ctx, g),
        )
    }

    fn export_genesis(&self, store: &dyn Storage) -> Result<serde_json::Value, ModuleError> {
        export_genesis_section("staking genesis", genesis::export_genesis(store))
    }

    fn end_block(&self, ctx: &mut Context<'_>) -> Result<(), ModuleError> {
        Ok(handlers::end_block(ctx)?)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn routes_every_msg_type_url() {
        assert!(super::ROUTER.routes_exactly(super::msgs::MSG_TYPE_URLS));
    }
}
