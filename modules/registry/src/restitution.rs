//! The restitution rule: a worker that charged someone for a service it did not honestly render
//! pays the charge back out of its bond.
//!
//! - This is not a slash: nothing is burnt and `slashed_total` does not move. The coins leave
//!   the `registry_bonds` module account for the harmed account, and the worker's `bond`
//!   shrinks by the same amount, so the invariant "bonds account == Σ bonds + Σ unbonding
//!   entries" holds.
//! - Only the bond pays, never the partial unbonding entries: those belong to the slashing
//!   rule ([`crate::penalty`]), which runs first when a module punishes and pays back.
//! - The keeper takes the context and emits `bls.worker_restitution`
//!   ([`crate::events::worker_restitution`]) and the bank's `coin_spent` / `coin_received` /
//!   `transfer` for the payment itself, so no caller builds a registry event.

use bls_core::{Address, Context};

use crate::error::RegistryError;
use crate::events;
use crate::state::{bonds_account, must_get_worker, save_worker};

/// Pays up to `amount` ubls from `worker`'s bond to `to` (at most the bond), for `reason`.
/// Returns what was paid (0, and no event, when the bond is empty or `amount` is 0).
pub fn pay_from_bond(
    ctx: &mut Context<'_>,
    worker: &Address,
    to: &Address,
    amount: u128,
    reason: &str,
) -> Result<u128, RegistryError> {
    let mut w = must_get_worker(ctx.store, worker)?;
    let paid = amount.min(w.bond);
    if paid == 0 {
        return Ok(0);
    }
    w.bond -= paid;
    save_worker(ctx.store, &w)?;
    bls_bank::keeper::send_ubls(ctx, &bonds_account(), to, paid)?;
    ctx.emit(events::worker_restitution(worker, to, paid, reason));
    Ok(paid)
}
