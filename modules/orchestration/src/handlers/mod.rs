//! Message handlers and block logic.
//!
//! - [`functions`]: deploy / update / retire;
//! - [`subnet`]: eligibility, subnetwork placement and repair, fresh-worker picks;
//! - [`invoke`]: escrow and first assignment;
//! - [`results`]: commit and reveal;
//! - [`settle`]: finalization (fees, slashing, liveness), reassignment, failure, deadlines;
//! - [`subnet_repair`]: end-block re-placement of subnetworks with ineligible members.

pub mod functions;
pub mod invoke;
pub mod results;
pub mod settle;
pub mod subnet;
pub mod subnet_repair;

use bls_core::{Address, Coin, Coins};

use crate::error::{invalid, OrchestrationError};
use crate::msgs::ProtoCoin;

/// Orchestration's end block: drain the deadline queue (settlement may jail workers),
/// resolve due head challenges (may jail heads), then repair a bounded batch of subnetworks.
pub fn end_block(ctx: &mut bls_core::Context<'_>) -> Result<(), OrchestrationError> {
    settle::end_block(ctx)?;
    crate::fastpath::head::challenge::end_block(ctx).map_err(|e| match e {
        crate::fastpath::head::HeadError::Orchestration(o) => o,
        other => OrchestrationError::Store(other.to_string()),
    })?;
    subnet_repair::end_block(ctx)
}

/// Parses a bech32 address field.
pub(crate) fn parse_addr(field: &'static str, s: &str) -> Result<Address, OrchestrationError> {
    Address::parse(s).map_err(|e| invalid(field, e.to_string()))
}

/// Parses a `ubls` coin field.
pub(crate) fn parse_ubls(
    field: &'static str,
    c: Option<&ProtoCoin>,
) -> Result<u128, OrchestrationError> {
    let c = c.ok_or_else(|| invalid(field, "required"))?;
    if c.denom != bls_core::DENOM {
        return Err(invalid(field, format!("denom must be {}", bls_core::DENOM)));
    }
    bls_core::coins::parse_amount(&c.amount).map_err(|e| invalid(field, e.to_string()))
}

/// `amount` ubls as a coin set (empty for zero).
pub(crate) fn ubls(amount: u128) -> Result<Coins, OrchestrationError> {
    Coins::from_coins([Coin::ubls(amount)]).map_err(|e| OrchestrationError::Bank(e.to_string()))
}

/// Moves `amount` ubls (no-op for zero).
pub(crate) fn transfer(
    store: &mut dyn cosmwasm_std::Storage,
    from: &Address,
    to: &Address,
    amount: u128,
) -> Result<(), OrchestrationError> {
    if amount == 0 {
        return Ok(());
    }
    Ok(bls_bank::state::send(store, from, to, &ubls(amount)?)?)
}

/// Comma-separated addresses for event attributes.
pub(crate) fn join(addrs: &[Address]) -> String {
    addrs
        .iter()
        .map(Address::as_str)
        .collect::<Vec<_>>()
        .join(",")
}
