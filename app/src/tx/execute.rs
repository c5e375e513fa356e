//! Running a tx's messages: each through its module, in one overlay, all or nothing.

use std::panic::{catch_unwind, AssertUnwindSafe};

use bls_core::storage::GasStorage;
use bls_core::{Address, BlockInfo, Context, Event, GasMeter, Module, ModuleError};
use cosmos_sdk_proto::Any;
use cosmwasm_std::Storage;

use super::decode::DecodedTx;
use super::error::TxError;

/// Responses and events of all messages, in order.
pub struct Executed {
    /// One response per message.
    pub responses: Vec<Any>,
    /// `message` events and the modules' events, each tagged with `msg_index`.
    pub events: Vec<Event>,
}

/// Runs every message against `store` (the caller's msg overlay) through a gas-metered view.
/// Stops at the first failure or when gas runs out; the caller then drops the overlay.
pub fn execute_messages(
    store: &mut dyn Storage,
    meter: &GasMeter,
    block: &BlockInfo,
    tx: &DecodedTx,
    handlers: &[&dyn Module],
    signer: &Address,
) -> Result<Executed, TxError> {
    let mut gs = GasStorage::new(store, meter);
    let mut out = Executed {
        responses: Vec::with_capacity(handlers.len()),
        events: Vec::new(),
    };
    for (index, (msg, module)) in tx.body.messages.iter().zip(handlers).enumerate() {
        let mut ctx = Context::new(&mut gs, block, meter);
        // A panicking handler is a bug, but it must fail this tx rather than halt the node;
        // the overlay holding its partial writes is dropped by the caller.
        let result = catch_unwind(AssertUnwindSafe(|| module.deliver(&mut ctx, msg)))
            .unwrap_or_else(|_| {
                Err(ModuleError::new(
                    "sdk",
                    1,
                    format!("internal error: handler of {} panicked", msg.type_url),
                ))
            });
        let module_events = std::mem::take(&mut ctx.events);
        drop(ctx);
        // Out of gas takes precedence, as in the SDK where the crossing charge aborts at once.
        meter.check()?;
        let response = result.map_err(|inner| TxError::Message { index, inner })?;
        out.events.push(
            Event::new("message")
                .attr("action", &msg.type_url)
                .attr("sender", signer)
                .attr("module", module.name())
                .attr("msg_index", index),
        );
        out.events.extend(
            module_events
                .into_iter()
                .map(|e| e.attr("msg_index", index)),
        );
        out.responses.push(response);
    }
    Ok(out)
}
