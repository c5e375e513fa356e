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

use bls_core::spec::{BlockHookFn, ExportGenesisFn, InitGenesisFn, ModuleSpec, QueryFn};
use bls_core::{MsgRoute, MsgRouter};

pub use error::SlashingError;
pub use params::Params;
pub use state::SigningInfo;

use msgs::*;

/// The slashing module (stateless handle; all state lives in the store).
#[derive(Clone, Copy, Debug, Default)]
pub struct SlashingModule;

impl ModuleSpec for SlashingModule {
    type Error = SlashingError;
    type Genesis = genesis::GenesisState;

    const NAME: &'static str = "slashing";
    const MSG_TYPE_URLS: &'static [&'static str] = MSG_TYPE_URLS;
    /// Slashing's messages: type URL, handler, response type URL, signer field.
    const MSGS: MsgRouter = MsgRouter {
        module: Self::NAME,
        invalid_signer: |field, reason| SlashingError::InvalidField { field, reason }.into(),
        routes: &[
            &MsgRoute::of(MSG_UNJAIL, handlers::unjail, MSG_UNJAIL_RESPONSE)
                .signed_by("operator", |m| &m.operator),
        ],
    };
    const PARAMS: Option<bls_core::governed_params::ParamsAccess> =
        Some(bls_core::governed_params::ParamsAccess::of::<Params>());
    const QUERY_PREFIX: &'static str = queries::QUERY_PREFIX;
    const QUERY: QueryFn<Self::Error> = queries::query;
    const INVALID_GENESIS: fn(serde_json::Error) -> Self::Error =
        |e| SlashingError::InvalidGenesis(e.to_string());
    const INIT_GENESIS: InitGenesisFn<Self::Genesis, Self::Error> =
        |ctx, g| genesis::init_genesis(ctx.store, g);
    const EXPORT_GENESIS: ExportGenesisFn<Self::Genesis, Self::Error> = genesis::export_genesis;
    const EXPORT_CONTEXT: &'static str = "slashing genesis";
    const BEGIN_BLOCK: Option<BlockHookFn<Self::Error>> = Some(handlers::begin_block);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_every_msg_type_url() {
        assert!(SlashingModule::MSGS.routes_exactly(SlashingModule::MSG_TYPE_URLS));
    }
}
