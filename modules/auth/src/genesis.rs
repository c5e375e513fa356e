//! Auth genesis: `{ "params": {...}, "accounts": [{ "address", "account_number"?,
//! "sequence"?, "pub_key"?, "pub_key_type"? }] }`. Accounts without a number get the next free one,
//! in order.

use std::collections::BTreeSet;

use base64::Engine;
use bls_core::Address;
use cosmwasm_std::Storage;
use serde::{Deserialize, Serialize};

use crate::account::{
    all_accounts, get_account, next_account_number, set_account, set_next_account_number, Account,
};
use crate::error::AuthError;
use crate::json_u64;
use crate::params::{self, Params};
use crate::pubkey::{PubKey, SECP256K1_PUBKEY_TYPE_URL};

/// The auth section of genesis.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthGenesis {
    /// Params (defaults when absent).
    #[serde(default)]
    pub params: Params,
    /// Accounts to create.
    #[serde(default)]
    pub accounts: Vec<GenesisAccount>,
}

/// One genesis account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisAccount {
    /// Bech32 address.
    pub address: Address,
    /// Explicit account number (export writes it; must be unique).
    #[serde(
        default,
        with = "json_u64::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub account_number: Option<u64>,
    /// Sequence (0 when absent).
    #[serde(
        default,
        with = "json_u64::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub sequence: Option<u64>,
    /// Public key bytes, base64 (a compressed secp256k1 point, or an ed25519 key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pub_key: Option<String>,
    /// The key's type URL (`pubkey::PubKey`); absent means `/cosmos.crypto.secp256k1.PubKey`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pub_key_type: Option<String>,
}

/// Writes params and accounts. Must run before any module that creates accounts (bank), so
/// explicit account numbers cannot collide with ones handed out earlier.
pub fn init(store: &mut dyn Storage, g: &AuthGenesis) -> Result<(), AuthError> {
    params::save(store, &g.params)?;
    let mut used = BTreeSet::new();
    let first_free = next_account_number(store)?;
    let mut next = first_free;
    for ga in &g.accounts {
        if get_account(store, &ga.address)?.is_some() {
            return Err(AuthError::InvalidGenesis(format!(
                "duplicate account {}",
                ga.address
            )));
        }
        // `next` always exceeds every number used so far, so implicit numbers never collide;
        // explicit ones must be unused and not below the counter genesis started from.
        let number = match ga.account_number {
            Some(n) => {
                if n < first_free || !used.insert(n) {
                    return Err(AuthError::InvalidGenesis(format!(
                        "account number {n} of {} is already taken",
                        ga.address
                    )));
                }
                n
            }
            None => {
                used.insert(next);
                next
            }
        };
        next = next.max(
            number
                .checked_add(1)
                .ok_or(AuthError::AccountNumberOverflow)?,
        );
        let pub_key = match &ga.pub_key {
            None => None,
            Some(b64) => {
                let raw = base64::engine::general_purpose::STANDARD
                    .decode(b64)
                    .map_err(|e| AuthError::InvalidGenesis(format!("pub_key base64: {e}")))?;
                let type_url = ga
                    .pub_key_type
                    .as_deref()
                    .unwrap_or(SECP256K1_PUBKEY_TYPE_URL);
                let key = PubKey::from_parts(type_url, raw)?;
                key.check_address(&ga.address)?;
                Some(key)
            }
        };
        set_account(
            store,
            &Account {
                address: ga.address.clone(),
                pub_key,
                account_number: number,
                sequence: ga.sequence.unwrap_or(0),
            },
        )?;
    }
    set_next_account_number(store, next);
    Ok(())
}

/// Reads params and every account back (account numbers and sequences explicit).
pub fn export(store: &dyn Storage) -> Result<AuthGenesis, AuthError> {
    let accounts = all_accounts(store)?
        .into_iter()
        .map(|a| GenesisAccount {
            address: a.address,
            account_number: Some(a.account_number),
            sequence: Some(a.sequence),
            pub_key: a
                .pub_key
                .as_ref()
                .map(|k| base64::engine::general_purpose::STANDARD.encode(k.bytes())),
            pub_key_type: a
                .pub_key
                .as_ref()
                .filter(|k| !matches!(k, PubKey::Secp256k1(_)))
                .map(|k| k.type_url().to_string()),
        })
        .collect();
    Ok(AuthGenesis {
        params: params::load(store)?,
        accounts,
    })
}
