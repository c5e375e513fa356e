//! `bls-fees`: gas-fee burn and distribution, rewards, and the invocation fee split.
//!
//! # Design
//! - The tx pipeline pays gas fees into the `fee_collector` module account. End block settles
//!   them: `burn_ratio` bps burned (bank burn: supply down, burned total up), `community_tax`
//!   bps to `community_pool`, the rest to the bonded staking validators by power — commission
//!   (bps) to the operator, the remainder to its delegators pro rata (self-bond included).
//!   Integer floors everywhere; every leftover unit goes to the community pool, so nothing is
//!   created or lost. With no bonded staking validator the rest goes to the community pool.
//! - Rewards accumulate per account in state (coins in the `fee_rewards` module account);
//!   `MsgWithdrawRewards` pays them out.
//! - [`state::invocation_split`] exposes the `worker_share` / `burn_share` /
//!   `community_share` params to orchestration.
//! - Runs after staking in end block, so it pays the set CometBFT gets this block.

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

pub use error::FeesError;
pub use params::Params;
pub use state::{invocation_split, Split};

use msgs::*;

/// The fees module (stateless handle; all state lives in the store).
#[derive(Clone, Copy, Debug, Default)]
pub struct FeesModule;

/// Fees' messages: type URL, handler, response type URL, signer field.
const ROUTER: MsgRouter = MsgRouter {
    module: "fees",
    invalid_signer: |field, reason| FeesError::InvalidField { field, reason }.into(),
    routes: &[&MsgRoute::of(
        MSG_WITHDRAW_REWARDS,
        handlers::withdraw_rewards,
        MSG_WITHDRAW_REWARDS_RESPONSE,
    )
    .signed_by("address", |m| &m.address)],
};

impl Module for FeesModule {
    fn name(&self) -> &'static str {
        "fees"
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
            |e| FeesError::InvalidGenesis(e.to_string()),
            |g| genesis::init_genesis(ctx.store, g),
        )
    }

    fn export_genesis(&self, store: &dyn Storage) -> Result<serde_json::Value, ModuleError> {
        export_genesis_section("fees genesis", genesis::export_genesis(store))
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
