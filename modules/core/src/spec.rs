//! [`ModuleSpec`]: a module declared as a table of its parts (name, messages, queries, genesis,
//! block hooks). `bls_core` implements [`Module`] for every `ModuleSpec`, so a module that
//! follows the usual shape writes no `Module` methods of its own.

use cosmos_sdk_proto::Any;
use cosmwasm_std::Storage;

use crate::address::Address;
use crate::context::Context;
use crate::error::{AbciCode, ModuleError};
use crate::governed_params::{invalid_params, ParamsAccess};
use crate::module::{export_genesis_section, init_genesis_section, Module};
use crate::module_account::ModuleAccount;
use crate::route::MsgRouter;

/// Answers a query `method` (the path after the module's prefix) over committed state.
pub type QueryFn<E> = fn(store: &dyn Storage, method: &str, data: &[u8]) -> Result<Vec<u8>, E>;

/// Writes a parsed genesis section.
pub type InitGenesisFn<G, E> = fn(&mut Context<'_>, &G) -> Result<(), E>;

/// Reads the module's state back as a genesis section.
pub type ExportGenesisFn<G, E> = fn(&dyn Storage) -> Result<G, E>;

/// A begin- or end-block hook.
pub type BlockHookFn<E> = fn(&mut Context<'_>) -> Result<(), E>;

/// A module as data: each item says which function or table answers the matching [`Module`]
/// method. Typed errors (`Self::Error`) map to [`ModuleError`] with their own code and
/// codespace, exactly as `?` would in a hand-written `Module` impl.
pub trait ModuleSpec: Send + Sync {
    /// The module's typed error.
    type Error: AbciCode;
    /// The module's genesis section (`Default` when absent).
    type Genesis: serde::Serialize + serde::de::DeserializeOwned + Default;

    /// [`Module::name`].
    const NAME: &'static str;
    /// [`Module::msg_type_urls`]: the URLs [`ModuleSpec::MSGS`] routes (default: none).
    const MSG_TYPE_URLS: &'static [&'static str] = &[];
    /// The message table behind [`ModuleSpec::msg_signer`] and [`ModuleSpec::deliver`]
    /// (default: no routes, every message is unknown).
    const MSGS: MsgRouter = MsgRouter::empty(Self::NAME);
    /// [`Module::module_accounts`]: the accounts whose balances this module owns (default:
    /// none).
    const MODULE_ACCOUNTS: &'static [ModuleAccount] = &[];
    /// [`Module::query_prefix`].
    const QUERY_PREFIX: &'static str;
    /// [`Module::query`].
    const QUERY: QueryFn<Self::Error>;
    /// The typed error for a genesis section that does not parse.
    const INVALID_GENESIS: fn(serde_json::Error) -> Self::Error;
    /// [`Module::init_genesis`], after parsing.
    const INIT_GENESIS: InitGenesisFn<Self::Genesis, Self::Error>;
    /// [`Module::export_genesis`], before serializing.
    const EXPORT_GENESIS: ExportGenesisFn<Self::Genesis, Self::Error>;
    /// Starts the log of a `store` error when the exported section does not serialize.
    const EXPORT_CONTEXT: &'static str;
    /// [`Module::params`] / [`Module::set_params`]: the module's params governance may change
    /// (default: none).
    const PARAMS: Option<ParamsAccess> = None;
    /// [`Module::begin_block`], if the module has one.
    const BEGIN_BLOCK: Option<BlockHookFn<Self::Error>> = None;
    /// [`Module::end_block`], if the module has one.
    const END_BLOCK: Option<BlockHookFn<Self::Error>> = None;

    /// [`Module::msg_signer`]: from [`ModuleSpec::MSGS`] unless the module validates its
    /// messages some other way.
    fn msg_signer(msg: &Any) -> Result<Address, ModuleError> {
        Self::MSGS.signer(msg)
    }

    /// [`Module::deliver`]: from [`ModuleSpec::MSGS`] unless the module executes its messages
    /// some other way.
    fn deliver(ctx: &mut Context<'_>, msg: &Any) -> Result<Any, ModuleError> {
        Self::MSGS.deliver(ctx, msg)
    }
}

/// Runs an optional block hook.
fn run_hook<E: AbciCode>(
    hook: Option<BlockHookFn<E>>,
    ctx: &mut Context<'_>,
) -> Result<(), ModuleError> {
    match hook {
        Some(hook) => Ok(hook(ctx)?),
        None => Ok(()),
    }
}

impl<T: ModuleSpec> Module for T {
    fn name(&self) -> &'static str {
        T::NAME
    }

    fn msg_type_urls(&self) -> &'static [&'static str] {
        T::MSG_TYPE_URLS
    }

    fn msg_signer(&self, msg: &Any) -> Result<Address, ModuleError> {
        <T as ModuleSpec>::msg_signer(msg)
    }

    fn deliver(&self, ctx: &mut Context<'_>, msg: &Any) -> Result<Any, ModuleError> {
        <T as ModuleSpec>::deliver(ctx, msg)
    }

    fn module_accounts(&self) -> &'static [ModuleAccount] {
        T::MODULE_ACCOUNTS
    }

    fn query_prefix(&self) -> &'static str {
        T::QUERY_PREFIX
    }

    fn query(
        &self,
        store: &dyn Storage,
        method: &str,
        data: &[u8],
    ) -> Result<Vec<u8>, ModuleError> {
        Ok((T::QUERY)(store, method, data)?)
    }

    fn init_genesis(
        &self,
        ctx: &mut Context<'_>,
        genesis: &serde_json::Value,
    ) -> Result<(), ModuleError> {
        init_genesis_section(genesis, T::INVALID_GENESIS, |g| (T::INIT_GENESIS)(ctx, g))
    }

    fn export_genesis(&self, store: &dyn Storage) -> Result<serde_json::Value, ModuleError> {
        export_genesis_section(T::EXPORT_CONTEXT, (T::EXPORT_GENESIS)(store))
    }

    fn params(&self, store: &dyn Storage) -> Result<Option<serde_json::Value>, ModuleError> {
        T::PARAMS.map(|p| (p.get)(store)).transpose()
    }

    fn set_params(
        &self,
        store: &mut dyn Storage,
        value: &serde_json::Value,
    ) -> Result<(), ModuleError> {
        match T::PARAMS {
            Some(p) => (p.set)(store, value),
            None => Err(invalid_params(format!(
                "module {} has no params governance may change",
                T::NAME
            ))),
        }
    }

    fn begin_block(&self, ctx: &mut Context<'_>) -> Result<(), ModuleError> {
        run_hook(T::BEGIN_BLOCK, ctx)
    }

    fn end_block(&self, ctx: &mut Context<'_>) -> Result<(), ModuleError> {
        run_hook(T::END_BLOCK, ctx)
    }
}
