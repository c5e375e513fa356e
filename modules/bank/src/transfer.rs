//! A send that also returns the events the Cosmos SDK bank emits for it, so explorers and
//! clients that follow `coin_spent` / `coin_received` / `transfer` see every movement (fees
//! included).

use bls_core::{Address, Coins, Event};
use cosmwasm_std::Storage;

use crate::error::BankError;
use crate::state::send;

/// Moves `coins` from `from` to `to` ([`send`]) and returns the SDK's events for it.
pub fn transfer(
    store: &mut dyn Storage,
    from: &Address,
    to: &Address,
    coins: &Coins,
) -> Result<Vec<Event>, BankError> {
    send(store, from, to, coins)?;
    Ok(transfer_events(from, to, coins))
}

/// `coin_spent`, `coin_received` and `transfer`, as the SDK emits them for one send.
pub fn transfer_events(from: &Address, to: &Address, coins: &Coins) -> Vec<Event> {
    let amount = coins.to_string();
    vec![
        Event::new("coin_spent")
            .attr("spender", from)
            .attr("amount", &amount),
        Event::new("coin_received")
            .attr("receiver", to)
            .attr("amount", &amount),
        Event::new("transfer")
            .attr("recipient", to)
            .attr("sender", from)
            .attr("amount", &amount),
    ]
}
