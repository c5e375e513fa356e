//! The Cosmos SDK bank's coin events, so explorers and clients that follow `coin_spent` /
//! `coin_received` / `transfer` / `burn` see every movement (fees, bonds, escrow, rewards and
//! burns included). Only [`crate::keeper`] builds them: a caller cannot move coins without them.

use bls_core::{Address, Coins, Event};

/// Event type of coins leaving an account.
pub const COIN_SPENT: &str = "coin_spent";
/// Event type of coins arriving in an account.
pub const COIN_RECEIVED: &str = "coin_received";
/// Event type of a send (sender, recipient, amount).
pub const TRANSFER: &str = "transfer";
/// Event type of coins destroyed (supply down).
pub const BURN: &str = "burn";

fn coin_spent(spender: &Address, amount: &str) -> Event {
    Event::new(COIN_SPENT)
        .attr("spender", spender)
        .attr("amount", amount)
}

fn coin_received(receiver: &Address, amount: &str) -> Event {
    Event::new(COIN_RECEIVED)
        .attr("receiver", receiver)
        .attr("amount", amount)
}

/// `coin_spent`, `coin_received` and `transfer`, as the SDK emits them for one send.
pub fn sent(from: &Address, to: &Address, coins: &Coins) -> Vec<Event> {
    let amount = coins.to_string();
    vec![
        coin_spent(from, &amount),
        coin_received(to, &amount),
        Event::new(TRANSFER)
            .attr("recipient", to)
            .attr("sender", from)
            .attr("amount", &amount),
    ]
}

/// `coin_spent` and `burn`, as the SDK emits them for a burn.
pub fn burned(from: &Address, coins: &Coins) -> Vec<Event> {
    let amount = coins.to_string();
    vec![
        coin_spent(from, &amount),
        Event::new(BURN)
            .attr("burner", from)
            .attr("amount", &amount),
    ]
}
