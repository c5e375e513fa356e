//! The bank keeper: the only door other modules and the app have to balances and supply.
//!
//! Every write takes the [`Context`] and emits the SDK's coin events itself
//! ([`crate::events`]), so no coin moves, appears or disappears without `coin_spent` /
//! `coin_received`. The storage maps behind it are private to this crate.

use bls_core::{Address, Coin, Coins, Context, Event};
use cosmwasm_std::Storage;

use crate::error::BankError;
use crate::events;
use crate::state;

/// Moves `coins` from `from` to `to` (creating `to`'s account if new, as the SDK does) and
/// emits `coin_spent`, `coin_received` and `transfer`. An empty set moves nothing and emits
/// nothing. On error nothing is emitted; the caller's overlay is dropped, so nothing written
/// survives either.
pub fn send(
    ctx: &mut Context<'_>,
    from: &Address,
    to: &Address,
    coins: &Coins,
) -> Result<(), BankError> {
    for e in send_with_events(ctx.store, from, to, coins)?.0 {
        ctx.emit(e);
    }
    Ok(())
}

/// Destroys `coins` held by `from` (supply down, burn total up) and emits `coin_spent` and
/// `burn`.
pub fn burn(ctx: &mut Context<'_>, from: &Address, coins: &Coins) -> Result<(), BankError> {
    if coins.is_empty() {
        return Ok(());
    }
    state::burn(ctx.store, from, coins)?;
    for e in events::burned(from, coins) {
        ctx.emit(e);
    }
    Ok(())
}

/// [`send`] of `amount` ubls (nothing, and no event, for zero).
pub fn send_ubls(
    ctx: &mut Context<'_>,
    from: &Address,
    to: &Address,
    amount: u128,
) -> Result<(), BankError> {
    send(ctx, from, to, &Coins::ubls(amount))
}

/// [`burn`] of `amount` ubls (nothing, and no event, for zero).
pub fn burn_ubls(ctx: &mut Context<'_>, from: &Address, amount: u128) -> Result<(), BankError> {
    burn(ctx, from, &Coins::ubls(amount))
}

/// The events of a send that the caller must emit (see [`send_with_events`]).
#[must_use = "the coin events of a send must be emitted"]
#[derive(Debug)]
pub struct CoinEvents(pub Vec<Event>);

/// [`send`] for a caller that holds a store but no [`Context`] (the ante handler pays fees
/// from a gas-metered store): the events come back and must be emitted with the tx's.
pub fn send_with_events(
    store: &mut dyn Storage,
    from: &Address,
    to: &Address,
    coins: &Coins,
) -> Result<CoinEvents, BankError> {
    if coins.is_empty() {
        return Ok(CoinEvents(Vec::new()));
    }
    state::send(store, from, to, coins)?;
    Ok(CoinEvents(events::sent(from, to, coins)))
}

/// The balance of one denom (0 when absent).
pub fn balance(store: &dyn Storage, addr: &Address, denom: &str) -> Result<u128, BankError> {
    state::balance(store, addr, denom)
}

/// All balances of an account, in denom order.
pub fn all_balances(store: &dyn Storage, addr: &Address) -> Result<Coins, BankError> {
    state::all_balances(store, addr)
}

/// Total supply of one denom.
pub fn supply_of(store: &dyn Storage, denom: &str) -> Result<u128, BankError> {
    state::supply_of(store, denom)
}

/// Total burned of one denom since genesis.
pub fn burned_of(store: &dyn Storage, denom: &str) -> Result<u128, BankError> {
    state::burned_of(store, denom)
}

/// Total supply of every denom, in denom order.
pub fn total_supply(store: &dyn Storage) -> Result<Coins, BankError> {
    state::total_supply(store)
}

/// Every non-zero balance, in (address, denom) order. Walks all balances: for invariant
/// checks (the balances sum to the supply; every change has its coin events), never on a
/// block's path.
pub fn every_balance(store: &dyn Storage) -> Result<Vec<(Address, Coin)>, BankError> {
    state::every_balance(store)
}

/// Store keys of the bank's state, for reads proven against the app hash (`/store/key` with
/// `prove=true`): their layout is part of the bank's public interface, as the SDK's key
/// prefixes are. Nothing may write through them.
pub mod store_keys {
    use bls_core::Address;

    use crate::state::{BALANCES, BURNED, SUPPLY};

    /// Key of `addr`'s balance of `denom` (value: the amount as a JSON string).
    pub fn balance(addr: &Address, denom: &str) -> Vec<u8> {
        BALANCES.key((addr.as_str(), denom)).to_vec()
    }

    /// Key of the total supply of `denom` (value: the amount as a JSON string).
    pub fn supply(denom: &str) -> Vec<u8> {
        SUPPLY.key(denom).to_vec()
    }

    /// Key of the total burned of `denom` since genesis (value: the amount as a JSON string).
    pub fn burned(denom: &str) -> Vec<u8> {
        BURNED.key(denom).to_vec()
    }
}
