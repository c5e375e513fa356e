//! What a handler sees: the store, the block it runs in, the gas meter, and an event sink.

use cosmwasm_std::Storage;
use serde::{Deserialize, Serialize};

use crate::events::Event;
use crate::gas::GasMeter;

/// Block data available to handlers. Deterministic: it comes from the block header, never from
/// the local clock.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockInfo {
    /// Height of the block being executed.
    pub height: u64,
    /// Block time, seconds since the Unix epoch.
    pub time_secs: i64,
    /// Block time, nanoseconds part.
    pub time_nanos: u32,
    /// Chain id.
    pub chain_id: String,
    /// Hash of the block being executed (a deterministic seed for placement and assignment).
    pub hash: Vec<u8>,
    /// Consensus address of the proposer.
    pub proposer: Vec<u8>,
}

/// The execution context of one message (or of begin/end-block logic).
pub struct Context<'a> {
    /// State, gas-metered by the caller when running a tx.
    pub store: &'a mut dyn Storage,
    /// The block being executed.
    pub block: &'a BlockInfo,
    /// Gas meter of the tx (infinite outside txs).
    pub gas: &'a GasMeter,
    /// Events emitted so far, in order.
    pub events: Vec<Event>,
}

impl<'a> Context<'a> {
    /// A context over `store` for `block`.
    pub fn new(store: &'a mut dyn Storage, block: &'a BlockInfo, gas: &'a GasMeter) -> Self {
        Self {
            store,
            block,
            gas,
            events: Vec::new(),
        }
    }

    /// Records an event.
    pub fn emit(&mut self, e: Event) {
        self.events.push(e);
    }
}
