//! `bls-staking`: validators, delegations, unbonding, and CometBFT's validator set.
//!
//! # Design
//! - A validator is identified by its **operator address** (one per operator) and carries an
//!   ed25519 consensus key, a moniker, a commission (bps) and `tokens`, the sum of its
//!   delegations. Bonded coins sit in the `staking_bonded` module account; unbonding coins in
//!   `staking_unbonding` until their entry completes (the first end block at or after both
//!   `creation + unbonding_blocks` and its completion time, see [`evidence_age`]).
//! - Power = tokens / 1_000_000 ubls. End block ranks unjailed validators by power (ties by
//!   operator address), keeps the top `max_validators` and sends CometBFT validator updates
//!   only for what changed (power 0 removes). Staking only touches validators it manages, so
//!   CometBFT's own genesis validators stand when the staking genesis names none.
//! - **Slashing reach** ([`evidence_age`]): `unbonding_blocks` must exceed CometBFT's evidence
//!   `max_age_num_blocks` (InitChain refuses the genesis otherwise), and an unbonding entry
//!   also waits out the evidence `max_age_duration` in block time, so every piece of evidence
//!   CometBFT accepts finds the stake it concerns still slashable.
//! - **One key, one validator** ([`consensus_keys`]): `MsgCreateValidator` refuses a consensus
//!   key any validator CometBFT knows uses — staking's, CometBFT's genesis set (recorded at
//!   InitChain), the last commit's — at height 1 too.
//! - Keeper interface ([`state`], [`slash`]) for slashing and fees: lookups by consensus
//!   address ([`state::consensus_pubkey`] also covers CometBFT's genesis validators),
//!   [`state::jail`] / [`state::unjail`], [`slash::slash`] (burns, pro rata over
//!   delegations and over unbonding entries created at or after the offence),
//!   [`state::bonded_validators`] and [`state::validator_delegations`]; delegator rewards
//!   accounted lazily ([`rewards`]: [`rewards::allocate`] per validator and block,
//!   [`rewards::take`] at withdrawal);
//!   [`consensus_keys::consensus_pubkey`] (the ed25519 key of any validator CometBFT may
//!   count, CometBFT's own genesis validators included) for the app's vote-extension checks.
//! - Messages ([`msgs`]) are hand-written prost structs under `/bls.staking.v1.*`; queries
//!   ([`queries`]) are JSON under `/bls.staking.v1.Query/`.
//! - Deterministic: ordered maps only, heights from the block, integer math.

pub mod consensus_keys;
pub mod error;
pub mod events;
pub mod evidence_age;
pub mod genesis;
pub mod handlers;
pub mod msgs;
pub mod params;
pub mod queries;
pub mod rewards;
pub mod slash;
pub mod state;
pub mod valset;

use bls_core::spec::{BlockHookFn, ExportGenesisFn, InitGenesisFn, ModuleSpec, QueryFn};
use bls_core::{MsgRoute, MsgRouter};

pub use error::StakingError;
pub use params::Params;
pub use state::{Delegation, UnbondingEntry, Validator};

use msgs::*;

/// The staking module (stateless handle; all state lives in the store).
#[derive(Clone, Copy, Debug, Default)]
pub struct StakingModule;

impl ModuleSpec for StakingModule {
    type Error = StakingError;
    type Genesis = genesis::GenesisState;

    const NAME: &'static str = "staking";
    const MODULE_ACCOUNTS: &'static [bls_core::ModuleAccount] =
        &[state::BONDED_POOL, state::UNBONDING_POOL];
    const MSG_TYPE_URLS: &'static [&'static str] = MSG_TYPE_URLS;
    /// Staking's messages: type URL, handler, response type URL, signer field.
    const MSGS: MsgRouter = MsgRouter {
        module: Self::NAME,
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
    const PARAMS: Option<bls_core::governed_params::ParamsAccess> =
        Some(bls_core::governed_params::ParamsAccess::of::<Params>());
    const QUERY_PREFIX: &'static str = queries::QUERY_PREFIX;
    const QUERY: QueryFn<Self::Error> = queries::query;
    const INVALID_GENESIS: fn(serde_json::Error) -> Self::Error =
        |e| StakingError::InvalidGenesis(e.to_string());
    const INIT_GENESIS: InitGenesisFn<Self::Genesis, Self::Error> = genesis::init_genesis;
    const EXPORT_GENESIS: ExportGenesisFn<Self::Genesis, Self::Error> = genesis::export_genesis;
    const EXPORT_CONTEXT: &'static str = "staking genesis";
    const END_BLOCK: Option<BlockHookFn<Self::Error>> = Some(handlers::end_block);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_every_msg_type_url() {
        assert!(StakingModule::MSGS.routes_exactly(StakingModule::MSG_TYPE_URLS));
    }
}
