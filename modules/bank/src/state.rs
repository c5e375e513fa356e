//! Bank state: the storage maps and the raw balance arithmetic behind [`crate::keeper`].
//!
//! Keys: `bank/balances/{address}/{denom}` → amount, `bank/supply/{denom}` → amount, and
//! `bank/burned/{denom}` → total burned (so the burn is accounted, not just a missing sum).

use bls_core::{Address, Coin, Coins};
use cosmwasm_std::{Order, Storage};
use cw_storage_plus::{Bound, Map};

use crate::error::BankError;

/// Balance per (address, denom). Amounts are decimal strings of u128 (cw-storage-plus values are
/// JSON, and JSON numbers cannot carry u128 safely).
pub(crate) const BALANCES: Map<(&str, &str), String> = Map::new("bank/balances");
/// Total supply per denom.
pub(crate) const SUPPLY: Map<&str, String> = Map::new("bank/supply");
/// Total ever burned per denom.
pub(crate) const BURNED: Map<&str, String> = Map::new("bank/burned");

fn store_err(e: cosmwasm_std::StdError) -> BankError {
    BankError::Store(e.to_string())
}

fn load_amount(store: &dyn Storage, m: &Map<&str, String>, denom: &str) -> Result<u128, BankError> {
    Ok(m.may_load(store, denom)
        .map_err(store_err)?
        .map(|s| s.parse::<u128>().unwrap_or(0))
        .unwrap_or(0))
}

fn save_amount(
    store: &mut dyn Storage,
    m: &Map<&str, String>,
    denom: &str,
    amount: u128,
) -> Result<(), BankError> {
    if amount == 0 {
        m.remove(store, denom);
        Ok(())
    } else {
        m.save(store, denom, &amount.to_string()).map_err(store_err)
    }
}

/// The balance of one denom (0 when absent).
pub fn balance(store: &dyn Storage, addr: &Address, denom: &str) -> Result<u128, BankError> {
    Ok(BALANCES
        .may_load(store, (addr.as_str(), denom))
        .map_err(store_err)?
        .map(|s| s.parse::<u128>().unwrap_or(0))
        .unwrap_or(0))
}

/// All balances of an account, in denom order.
pub fn all_balances(store: &dyn Storage, addr: &Address) -> Result<Coins, BankError> {
    let mut out = Coins::new();
    for item in BALANCES
        .prefix(addr.as_str())
        .range(store, None, None, Order::Ascending)
    {
        let (denom, amount) = item.map_err(store_err)?;
        let amount = amount.parse::<u128>().unwrap_or(0);
        out.add(&Coin::new(amount, denom))
            .map_err(|_| BankError::Overflow)?;
    }
    Ok(out)
}

fn set_balance(
    store: &mut dyn Storage,
    addr: &Address,
    denom: &str,
    amount: u128,
) -> Result<(), BankError> {
    if amount == 0 {
        BALANCES.remove(store, (addr.as_str(), denom));
        Ok(())
    } else {
        BALANCES
            .save(store, (addr.as_str(), denom), &amount.to_string())
            .map_err(store_err)
    }
}

fn debit(store: &mut dyn Storage, addr: &Address, coin: &Coin) -> Result<(), BankError> {
    let have = balance(store, addr, &coin.denom)?;
    let left = have
        .checked_sub(coin.amount)
        .ok_or_else(|| BankError::InsufficientFunds {
            address: addr.to_string(),
            source: bls_core::coins::CoinError::Insufficient {
                have: Coin::new(have, coin.denom.clone()).to_string(),
                need: coin.to_string(),
            },
        })?;
    set_balance(store, addr, &coin.denom, left)
}

fn credit(store: &mut dyn Storage, addr: &Address, coin: &Coin) -> Result<(), BankError> {
    let have = balance(store, addr, &coin.denom)?;
    let sum = have.checked_add(coin.amount).ok_or(BankError::Overflow)?;
    set_balance(store, addr, &coin.denom, sum)
}

/// Moves `coins` from `from` to `to`, creating the recipient's account if new (as the Cosmos SDK
/// does, so an exported genesis re-imports to the same state). All or nothing only within the
/// caller's overlay: callers run inside a tx overlay that is dropped on error.
pub(crate) fn send(
    store: &mut dyn Storage,
    from: &Address,
    to: &Address,
    coins: &Coins,
) -> Result<(), BankError> {
    for c in coins.to_vec() {
        debit(store, from, &c)?;
        credit(store, to, &c)?;
    }
    bls_auth::ensure_account(store, to).map_err(BankError::from)?;
    Ok(())
}

/// Creates `coins` in `to` (genesis only: the chain has no inflation).
pub(crate) fn mint(store: &mut dyn Storage, to: &Address, coins: &Coins) -> Result<(), BankError> {
    for c in coins.to_vec() {
        credit(store, to, &c)?;
        let s = load_amount(store, &SUPPLY, &c.denom)?;
        let s = s.checked_add(c.amount).ok_or(BankError::Overflow)?;
        save_amount(store, &SUPPLY, &c.denom, s)?;
    }
    Ok(())
}

/// Destroys `coins` held by `from`: supply goes down and the burn total goes up.
pub(crate) fn burn(
    store: &mut dyn Storage,
    from: &Address,
    coins: &Coins,
) -> Result<(), BankError> {
    for c in coins.to_vec() {
        debit(store, from, &c)?;
        let s = load_amount(store, &SUPPLY, &c.denom)?;
        save_amount(store, &SUPPLY, &c.denom, s.saturating_sub(c.amount))?;
        let b = load_amount(store, &BURNED, &c.denom)?;
        let b = b.checked_add(c.amount).ok_or(BankError::Overflow)?;
        save_amount(store, &BURNED, &c.denom, b)?;
    }
    Ok(())
}

/// Total supply of one denom.
pub fn supply_of(store: &dyn Storage, denom: &str) -> Result<u128, BankError> {
    load_amount(store, &SUPPLY, denom)
}

/// Total burned of one denom since genesis.
pub fn burned_of(store: &dyn Storage, denom: &str) -> Result<u128, BankError> {
    load_amount(store, &BURNED, denom)
}

/// Every stored balance, in (address, denom) order.
pub(crate) fn every_balance(store: &dyn Storage) -> Result<Vec<(Address, Coin)>, BankError> {
    let mut out = Vec::new();
    for item in BALANCES.range(store, None, None, Order::Ascending) {
        let ((addr, denom), amount) = item.map_err(store_err)?;
        let addr = Address::parse(&addr)
            .map_err(|e| BankError::Store(format!("stored balance holder {addr}: {e}")))?;
        let amount = amount
            .parse::<u128>()
            .map_err(|e| BankError::Store(format!("stored balance of {addr}: {e}")))?;
        out.push((addr, Coin::new(amount, denom)));
    }
    Ok(out)
}

/// Total supply of all denoms, in denom order, optionally starting after `start_after`.
pub fn total_supply(store: &dyn Storage) -> Result<Coins, BankError> {
    let mut out = Coins::new();
    for item in SUPPLY.range(store, None::<Bound<&str>>, None, Order::Ascending) {
        let (denom, amount) = item.map_err(store_err)?;
        out.add(&Coin::new(amount.parse::<u128>().unwrap_or(0), denom))
            .map_err(|_| BankError::Overflow)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::MockStorage as MemoryStorage;

    fn addr(n: u8) -> Address {
        Address::from_bytes(&[n; 20])
    }

    #[test]
    fn mint_send_burn_conserve_supply() {
        let mut s = MemoryStorage::new();
        let (a, b) = (addr(1), addr(2));
        mint(&mut s, &a, &Coins::parse("1000ubls").unwrap()).unwrap();
        send(&mut s, &a, &b, &Coins::parse("300ubls").unwrap()).unwrap();
        assert_eq!(balance(&s, &a, "ubls").unwrap(), 700);
        assert_eq!(balance(&s, &b, "ubls").unwrap(), 300);
        let err = send(&mut s, &b, &a, &Coins::parse("301ubls").unwrap()).unwrap_err();
        assert!(matches!(err, BankError::InsufficientFunds { .. }));
        burn(&mut s, &a, &Coins::parse("200ubls").unwrap()).unwrap();
        assert_eq!(supply_of(&s, "ubls").unwrap(), 800);
        assert_eq!(burned_of(&s, "ubls").unwrap(), 200);
        assert_eq!(
            balance(&s, &a, "ubls").unwrap() + balance(&s, &b, "ubls").unwrap(),
            supply_of(&s, "ubls").unwrap()
        );
        assert_eq!(all_balances(&s, &a).unwrap().to_string(), "500ubls");
    }
}
