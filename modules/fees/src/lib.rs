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

use bls_core::spec::{BlockHookFn, ExportGenesisFn, InitGenesisFn, ModuleSpec, QueryFn};
use bls_core::{MsgRoute, MsgRouter};

pub use error::FeesError;
pub use params::Params;
pub use state::{invocation_split, Split};

use msgs::*;

/// The fees module (stateless handle; all state lives in the store).
#[derive(Clone, Copy, Debug, Default)]
pub struct FeesModule;

impl ModuleSpec for FeesModule {
    type Error = FeesError;
    type Genesis = genesis::GenesisState;

    const NAME: &'static str = "fees";
    const MODULE_ACCOUNTS: &'static [bls_core::ModuleAccount] = &[
        state::FEE_COLLECTOR,
        state::COMMUNITY_POOL,
        state::REWARDS_POOL,
    ];
    const MSG_TYPE_URLS: &'static [&'static str] = MSG_TYPE_URLS;
    /// Fees' messages: type URL, handler, response type URL, signer field.
    const MSGS: MsgRouter = MsgRouter {
        module: Self::NAME,
        invalid_signer: |field, reason| FeesError::InvalidField { field, reason }.into(),
        routes: &[&MsgRoute::of(
            MSG_WITHDRAW_REWARDS,
            handlers::withdraw_rewards,
            MSG_WITHDRAW_REWARDS_RESPONSE,
        )
        .signed_by("address", |m| &m.address)],
    };
    const PARAMS: Option<bls_core::governed_params::ParamsAccess> =
        Some(bls_core::governed_params::ParamsAccess::of::<Params>());
    const QUERY_PREFIX: &'static str = queries::QUERY_PREFIX;
    const QUERY: QueryFn<Self::Error> = queries::query;
    const INVALID_GENESIS: fn(serde_json::Error) -> Self::Error =
        |e| FeesError::InvalidGenesis(e.to_string());
    const INIT_GENESIS: InitGenesisFn<Self::Genesis, Self::Error> =
        |ctx, g| genesis::init_genesis(ctx.store, g);
    const EXPORT_GENESIS: ExportGenesisFn<Self::Genesis, Self::Error> = genesis::export_genesis;
    const EXPORT_CONTEXT: &'static str = "fees genesis";
    const END_BLOCK: Option<BlockHookFn<Self::Error>> = Some(handlers::end_block);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_every_msg_type_url() {
        assert!(FeesModule::MSGS.routes_exactly(FeesModule::MSG_TYPE_URLS));
    }
}
