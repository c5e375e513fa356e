//! The result keys a head or worker signature is checked against.

use bls_core::Address;
use cosmwasm_std::Storage;

use crate::error::OrchestrationError;

/// The result keys (33-byte compressed) of `worker` valid for signatures made between
/// heights `from` and `until`; empty when it is not registered. Every head-accountability
/// check looks keys up here and nowhere else, so a key-history keeper can answer it.
///
/// The registry keeps the current key only, so this answers with it whatever the range.
pub fn result_keys(
    store: &dyn Storage,
    worker: &Address,
    _from: u64,
    _until: u64,
) -> Result<Vec<Vec<u8>>, OrchestrationError> {
    let Some(w) = bls_registry::state::get_worker(store, worker)? else {
        return Ok(Vec::new());
    };
    Ok(hex::decode(&w.result_pubkey).map_or_else(|_| Vec::new(), |k| vec![k]))
}
