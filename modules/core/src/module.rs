//! The interface every chain module implements; the app's router holds them as `&dyn Module`.

use cosmos_sdk_proto::Any;
use cosmwasm_std::Storage;

use crate::address::Address;
use crate::context::Context;
use crate::error::{AbciCode, ModuleError};
use crate::module_account::ModuleAccount;

/// A chain module: its messages, queries, genesis and block hooks.
///
/// Message and standard Cosmos query payloads are protobuf. Queries of `bls.*` modules take and
/// return JSON (path `/bls.<module>.v1.Query/<Method>`), which the CLI, worker and dashboard read;
/// the app also answers them in protobuf by converting through this JSON with the schema in
/// proto/ (`bls_proto::query`), so a module's JSON must be the proto3 JSON of its rpc's messages.
///
/// The chain's modules declare themselves as a [`crate::spec::ModuleSpec`] (their parts as a
/// table, messages as a [`crate::route::MsgRouter`]), for which this trait is implemented.
pub trait Module: Send + Sync {
    /// Short name, also the genesis `app_state` key (e.g. `bank`).
    fn name(&self) -> &'static str;

    /// Message type URLs this module handles (e.g. `/cosmos.bank.v1beta1.MsgSend`).
    fn msg_type_urls(&self) -> &'static [&'static str];

    /// The address that must have signed `msg` (decodes it; errors on malformed bytes).
    fn msg_signer(&self, msg: &Any) -> Result<Address, ModuleError>;

    /// Executes `msg` and returns its response as an `Any` (goes into `TxMsgData`).
    fn deliver(&self, ctx: &mut Context<'_>, msg: &Any) -> Result<Any, ModuleError>;

    /// The module accounts whose balances this module owns; the app collects every module's
    /// into one [`crate::module_account::ModuleAccounts`] (default: none).
    fn module_accounts(&self) -> &'static [ModuleAccount] {
        &[]
    }

    /// Query path prefix this module answers, e.g. `/cosmos.bank.v1beta1.Query/`.
    fn query_prefix(&self) -> &'static str;

    /// Answers `method` (the path after the prefix) over committed state.
    fn query(&self, store: &dyn Storage, method: &str, data: &[u8])
        -> Result<Vec<u8>, ModuleError>;

    /// Writes the module's genesis section (`Value::Null` when absent).
    fn init_genesis(
        &self,
        ctx: &mut Context<'_>,
        genesis: &serde_json::Value,
    ) -> Result<(), ModuleError>;

    /// Reads back the module's state as a genesis section.
    fn export_genesis(&self, store: &dyn Storage) -> Result<serde_json::Value, ModuleError>;

    /// The module's params as a JSON object, if governance may change them (default: none).
    fn params(&self, _store: &dyn Storage) -> Result<Option<serde_json::Value>, ModuleError> {
        Ok(None)
    }

    /// Replaces the module's params with `value` (the whole object), through the module's own
    /// parsing and checks. Default: the module has no params governance may change.
    fn set_params(
        &self,
        _store: &mut dyn Storage,
        _value: &serde_json::Value,
    ) -> Result<(), ModuleError> {
        Err(crate::governed_params::invalid_params(format!(
            "module {} has no params governance may change",
            self.name()
        )))
    }

    /// Runs at the start of every block (after the block info is known, before txs).
    fn begin_block(&self, _ctx: &mut Context<'_>) -> Result<(), ModuleError> {
        Ok(())
    }

    /// Runs at the end of every block, after all txs.
    fn end_block(&self, _ctx: &mut Context<'_>) -> Result<(), ModuleError> {
        Ok(())
    }
}

/// Decodes a protobuf message from an `Any`, checking its type URL.
pub fn decode_any<M: prost::Message + Default>(
    any: &Any,
    type_url: &str,
) -> Result<M, ModuleError> {
    if any.type_url != type_url {
        return Err(ModuleError::new(
            "sdk",
            12,
            format!("expected message {type_url}, got {}", any.type_url),
        ));
    }
    M::decode(any.value.as_slice())
        .map_err(|e| ModuleError::new("sdk", 2, format!("decode {type_url}: {e}")))
}

/// Encodes a protobuf message into an `Any` with `type_url`.
pub fn encode_any<M: prost::Message>(msg: &M, type_url: &str) -> Any {
    Any {
        type_url: type_url.to_string(),
        value: msg.encode_to_vec(),
    }
}

/// The error for a message type URL routed to a module that does not handle it (the router
/// only routes a module's own URLs, so reaching this is a routing bug, reported not panicked).
pub fn unknown_msg(module: &str, type_url: &str) -> ModuleError {
    ModuleError::new(
        "sdk",
        6,
        format!("{module} does not handle message {type_url}"),
    )
}

/// Parses a module's genesis section; an absent section (`null`) means the defaults.
pub fn parse_genesis<G: serde::de::DeserializeOwned + Default>(
    section: &serde_json::Value,
) -> Result<G, serde_json::Error> {
    if section.is_null() {
        Ok(G::default())
    } else {
        G::deserialize(section)
    }
}

/// `Module::init_genesis` for a module whose genesis section is `G`: parses the section
/// (`invalid` turns a parse failure into the module's typed error) and writes it with `init`.
pub fn init_genesis_section<G, E>(
    section: &serde_json::Value,
    invalid: impl FnOnce(serde_json::Error) -> E,
    init: impl FnOnce(&G) -> Result<(), E>,
) -> Result<(), ModuleError>
where
    G: serde::de::DeserializeOwned + Default,
    E: AbciCode,
{
    let g = parse_genesis(section).map_err(invalid)?;
    Ok(init(&g)?)
}

/// `Module::export_genesis` for a module that read its state back as `exported`: the section
/// as JSON (a serialization failure is a `store` error whose log starts with `context`).
pub fn export_genesis_section<G, E>(
    context: &str,
    exported: Result<G, E>,
) -> Result<serde_json::Value, ModuleError>
where
    G: serde::Serialize,
    E: AbciCode,
{
    serde_json::to_value(exported?).map_err(|e| ModuleError::storage(context, e))
}
