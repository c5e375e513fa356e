//! `bls-gov`: on-chain governance with Cosmos semantics.
//!
//! # Design
//! - **Messages** are the Cosmos SDK's `cosmos.gov.v1beta1` `MsgSubmitProposal`, `MsgDeposit`
//!   and `MsgVote` ([`msgs`]), so Keplr and CosmJS vote and deposit unchanged. Contents
//!   ([`content`]) are text, parameter change (any module's params, through that module's own
//!   checks, tried at submission on a copy of the state), software upgrade and cancel.
//! - **Periods** run on block time: a proposal gathers deposits until `min_deposit` (then its
//!   vote opens) or until `max_deposit_period_secs` (then it is dropped and refunded); the vote
//!   lasts `voting_period_secs`. Deposits sit in the `gov_deposits` module account.
//! - **Tally** ([`tally`]): stake-weighted over the bonded set, delegators inheriting their
//!   validator's vote unless they vote; quorum, threshold and veto in basis points. A veto burns
//!   the deposits; every other outcome refunds them.
//! - **Passing** ([`lifecycle`]) runs the content on a branch in gov's end block (the last
//!   module's), so a change is in force from the next block and a failure applies nothing.
//!   A software upgrade schedules a `bls-upgrade` plan.
//! - Gov reaches other modules' params through [`bls_core::Module::params`] /
//!   [`bls_core::Module::set_params`] over the app's module list, which it is given as a
//!   function (the list includes gov itself).
//! - Deterministic: ordered maps, block time, integer math.

pub mod content;
pub mod error;
pub mod events;
pub mod genesis;
pub mod handlers;
pub mod lifecycle;
pub mod msgs;
pub mod params;
pub mod queries;
pub mod state;
pub mod tally;

use bls_core::governed_params::ParamsAccess;
use bls_core::module::{
    decode_any, encode_any, export_genesis_section, init_genesis_section, unknown_msg,
};
use bls_core::{Address, Context, Module, ModuleAccount, ModuleError};
use cosmos_sdk_proto::Any;
use cosmwasm_std::Storage;

pub use error::GovError;
pub use params::Params;

use msgs::*;

/// The app's modules, gov included (a function, so a `static` gov can name a list that holds
/// it).
pub type ModuleList = fn() -> Vec<&'static dyn Module>;

/// The gov module.
#[derive(Clone, Copy)]
pub struct GovModule {
    modules: ModuleList,
}

impl GovModule {
    /// Module name, also the genesis `app_state` key.
    pub const NAME: &'static str = "gov";
    const PARAMS: ParamsAccess = ParamsAccess::of::<Params>();

    /// Gov over the chain's modules as `modules` lists them.
    pub const fn new(modules: ModuleList) -> Self {
        Self { modules }
    }
}

fn signer(field: &'static str, s: &str) -> Result<Address, ModuleError> {
    Address::parse(s).map_err(|e| {
        GovError::InvalidField {
            field,
            reason: e.to_string(),
        }
        .into()
    })
}

impl Module for GovModule {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn msg_type_urls(&self) -> &'static [&'static str] {
        MSG_TYPE_URLS
    }

    fn msg_signer(&self, msg: &Any) -> Result<Address, ModuleError> {
        match msg.type_url.as_str() {
            MSG_SUBMIT_PROPOSAL => {
                let m: MsgSubmitProposal = decode_any(msg, MSG_SUBMIT_PROPOSAL)?;
                signer("proposer", &m.proposer)
            }
            MSG_DEPOSIT => {
                let m: MsgDeposit = decode_any(msg, MSG_DEPOSIT)?;
                signer("depositor", &m.depositor)
            }
            MSG_VOTE => {
                let m: MsgVote = decode_any(msg, MSG_VOTE)?;
                signer("voter", &m.voter)
            }
            other => Err(unknown_msg(Self::NAME, other)),
        }
    }

    fn deliver(&self, ctx: &mut Context<'_>, msg: &Any) -> Result<Any, ModuleError> {
        match msg.type_url.as_str() {
            MSG_SUBMIT_PROPOSAL => {
                let m: MsgSubmitProposal = decode_any(msg, MSG_SUBMIT_PROPOSAL)?;
                let r = handlers::submit(ctx, &m, &(self.modules)())?;
                Ok(encode_any(&r, MSG_SUBMIT_PROPOSAL_RESPONSE))
            }
            MSG_DEPOSIT => {
                let m: MsgDeposit = decode_any(msg, MSG_DEPOSIT)?;
                let r = handlers::deposit(ctx, &m)?;
                Ok(encode_any(&r, MSG_DEPOSIT_RESPONSE))
            }
            MSG_VOTE => {
                let m: MsgVote = decode_any(msg, MSG_VOTE)?;
                let r = handlers::vote(ctx, &m)?;
                Ok(encode_any(&r, MSG_VOTE_RESPONSE))
            }
            other => Err(unknown_msg(Self::NAME, other)),
        }
    }

    fn module_accounts(&self) -> &'static [ModuleAccount] {
        &[state::DEPOSITS_ACCOUNT]
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
        if method == "ModuleParams" {
            return Ok(queries::module_params(store, data, &(self.modules)())?);
        }
        Ok(queries::query(store, method, data)?)
    }

    fn init_genesis(
        &self,
        ctx: &mut Context<'_>,
        genesis: &serde_json::Value,
    ) -> Result<(), ModuleError> {
        init_genesis_section(
            genesis,
            |e| GovError::InvalidGenesis(e.to_string()),
            |g| genesis::init_genesis(ctx, g),
        )
    }

    fn export_genesis(&self, store: &dyn Storage) -> Result<serde_json::Value, ModuleError> {
        export_genesis_section("gov genesis", genesis::export_genesis(store))
    }

    fn params(&self, store: &dyn Storage) -> Result<Option<serde_json::Value>, ModuleError> {
        (Self::PARAMS.get)(store).map(Some)
    }

    fn set_params(
        &self,
        store: &mut dyn Storage,
        value: &serde_json::Value,
    ) -> Result<(), ModuleError> {
        (Self::PARAMS.set)(store, value)
    }

    fn end_block(&self, ctx: &mut Context<'_>) -> Result<(), ModuleError> {
        Ok(lifecycle::end_block(ctx, &(self.modules)())?)
    }
}
