//! Bank genesis: `{ "balances": [{ "address", "coins": [{ "denom", "amount" }] }],
//! "burned": [{ "denom", "amount" }] }`. Balances are minted, so supply is their sum; each
//! holder gets an account (after auth's genesis, which must run first).

use std::collections::{BTreeMap, BTreeSet};

use bls_auth::ensure_account;
use bls_core::{Address, Coin, Coins};
use cosmwasm_std::{Order, Storage};
use serde::{Deserialize, Serialize};

use crate::error::BankError;
use crate::state::{mint, total_supply, BALANCES, BURNED};

/// The bank section of genesis.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BankGenesis {
    /// Initial balances.
    #[serde(default)]
    pub balances: Vec<GenesisBalance>,
    /// Totals burned before this genesis (an export of a running chain carries them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub burned: Vec<Coin>,
}

/// One address's initial coins.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisBalance {
    /// Holder.
    pub address: Address,
    /// Coins (validated; zero amounts are ignored).
    pub coins: Vec<Coin>,
}

fn validated(coins: &[Coin]) -> Result<Coins, BankError> {
    let mut out = Coins::new();
    for c in coins {
        // Re-validate: serde accepts any denom string.
        let c = Coin::from_parts(&c.denom, &c.amount.to_string())
            .map_err(|e| BankError::InvalidGenesis(e.to_string()))?;
        out.add(&c).map_err(|_| BankError::Overflow)?;
    }
    Ok(out)
}

/// Mints every balance and records burn totals.
pub fn init(store: &mut dyn Storage, g: &BankGenesis) -> Result<(), BankError> {
    let mut seen = BTreeSet::new();
    for b in &g.balances {
        if !seen.insert(b.address.clone()) {
            return Err(BankError::InvalidGenesis(format!(
                "duplicate balance for {}",
                b.address
            )));
        }
        let coins = validated(&b.coins)?;
        ensure_account(store, &b.address)?;
        mint(store, &b.address, &coins)?;
    }
    for c in validated(&g.burned)?.to_vec() {
        BURNED
            .save(store, &c.denom, &c.amount.to_string())
            .map_err(|e| BankError::Store(e.to_string()))?;
    }
    Ok(())
}

/// Creates `coins` in `to` (supply up) before the first block: what [`init`] does for each
/// genesis balance, for callers that assemble a genesis state piece by piece (a module's
/// genesis import, tests). Emits nothing (InitChain has no transaction events); the chain has
/// no inflation, so nothing mints once blocks run.
pub fn fund(store: &mut dyn Storage, to: &Address, coins: &Coins) -> Result<(), BankError> {
    mint(store, to, coins)
}

/// Every non-zero balance (address order) and burn totals.
pub fn export(store: &dyn Storage) -> Result<BankGenesis, BankError> {
    let mut by_addr: BTreeMap<String, Vec<Coin>> = BTreeMap::new();
    for item in BALANCES.range(store, None, None, Order::Ascending) {
        let ((addr, denom), amount) = item.map_err(|e| BankError::Store(e.to_string()))?;
        let amount = amount
            .parse::<u128>()
            .map_err(|e| BankError::Store(format!("balance {addr}/{denom}: {e}")))?;
        by_addr
            .entry(addr)
            .or_default()
            .push(Coin::new(amount, denom));
    }
    let balances = by_addr
        .into_iter()
        .map(|(addr, coins)| {
            Ok(GenesisBalance {
                address: Address::parse(&addr)
                    .map_err(|e| BankError::Store(format!("stored address: {e}")))?,
                coins,
            })
        })
        .collect::<Result<Vec<_>, BankError>>()?;
    let mut burned = Vec::new();
    for item in BURNED.range(store, None, None, Order::Ascending) {
        let (denom, amount) = item.map_err(|e| BankError::Store(e.to_string()))?;
        let amount = amount
            .parse::<u128>()
            .map_err(|e| BankError::Store(format!("burned {denom}: {e}")))?;
        burned.push(Coin::new(amount, denom));
    }
    // Supply is derived at import; an export whose balances do not sum to it is corrupt.
    let mut sum = Coins::new();
    for b in &balances {
        for c in &b.coins {
            sum.add(c).map_err(|_| BankError::Overflow)?;
        }
    }
    if sum != total_supply(store)? {
        return Err(BankError::Store(
            "balances do not sum to the total supply".into(),
        ));
    }
    Ok(BankGenesis { balances, burned })
}
