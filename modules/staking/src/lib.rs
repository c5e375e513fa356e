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

use bls_core::module::{decode_any, encode_any};
use bls_core::{Address, Context, Module, ModuleError};
use cosmos_sdk_proto::Any;
use cosmwasm_std::Storage;

pub use error::StakingError;
pub use params::Params;
pub use state::{Delegation, UnbondingEntry, Validator};

use msgs::*;

/// The staking module (stateless handle; all state lives in the store).
#[derive(Clone, Copy, Debug, Default)]
pub struct StakingModule;

fn signer_of(field: &'static str, addr: &str) -> Result<Address, ModuleError> {
    Address::parse(addr).map_err(|e| {
        ModuleError::from(StakingError::InvalidField {
            field,
            reason: e.to_string(),
        })
    })
}

impl Module for StakingModule {
    fn name(&self) -> &'static str {
        "staking"
    }

    fn msg_type_urls(&self) -> &'static [&'static str] {
        MSG_TYPE_URLS
    }

    fn msg_signer(&self, msg: &Any) -> Result<Address, ModuleError> {
        match msg.type_url.as_str() {
            MSG_CREATE_VALIDATOR => signer_of(
                "operator",
                &decode_any::<MsgCreateValidator>(msg, MSG_CREATE_VALIDATOR)?.operator,
            ),
            MSG_EDIT_VALIDATOR => signer_of(
                "operator",
                &decode_any::<MsgEditValidator>(msg, MSG_EDIT_VALIDATOR)?.operator,
            ),
            MSG_DELEGATE => signer_of(
                "delegator",
                &decode_any::<MsgDelegate>(msg, MSG_DELEGATE)?.delegator,
            ),
            MSG_UNDELEGATE => signer_of(
                "delegator",
                &decode_any::<MsgUndelegate>(msg, MSG_UNDELEGATE)?.delegator,
            ),
            other => Err(bls_core::module::unknown_msg("staking", other)),
        }
    }

    fn deliver(&self, ctx: &mut Context<'_>, msg: &Any) -> Result<Any, ModuleError> {
        match msg.type_url.as_str() {
            MSG_CREATE_VALIDATOR => {
                let m = decode_any::<MsgCreateValidator>(msg, MSG_CREATE_VALIDATOR)?;
                let r = handlers::create_validator(ctx, &m)?;
                Ok(encode_any(&r, MSG_CREATE_VALIDATOR_RESPONSE))
            }
            MSG_EDIT_VALIDATOR => {
                let m = decode_any::<MsgEditValidator>(msg, MSG_EDIT_VALIDATOR)?;
                let r = handlers::edit_validator(ctx, &m)?;
                Ok(encode_any(&r, MSG_EDIT_VALIDATOR_RESPONSE))
            }
            MSG_DELEGATE => {
                let m = decode_any::<MsgDelegate>(msg, MSG_DELEGATE)?;
                let r = handlers::delegate(ctx, &m)?;
                Ok(encode_any(&r, MSG_DELEGATE_RESPONSE))
            }
            MSG_UNDELEGATE => {
                let m = decode_any::<MsgUndelegate>(msg, MSG_UNDELEGATE)?;
                let r = handlers::undelegate(ctx, &m)?;
                Ok(encode_any(&r, MSG_UNDELEGATE_RESPONSE))
            }
            other => Err(bls_core::module::unknown_msg("staking", other)),
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
        let g: genesis::GenesisState = bls_core::module::parse_genesis(genesis)
            .map_err(|e| ModuleError::from(StakingError::InvalidGenesis(e.to_string())))?;
        Ok(genesis::init_genesis(ctx, &g)?)
    }

    fn export_genesis(&self, store: &dyn Storage) -> Result<serde_json::Value, ModuleError> {
        let g = genesis::export_genesis(store)?;
        serde_json::to_value(g).map_err(|e| ModuleError::storage("staking genesis", e))
    }

    fn end_block(&self, ctx: &mut Context<'_>) -> Result<(), ModuleError> {
        Ok(handlers::end_block(ctx)?)
    }
}
