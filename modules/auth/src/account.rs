//! Accounts: stored as `cosmos.auth.v1beta1.BaseAccount` protobuf under
//! `auth/acc/{address bytes}`, plus a global next-account-number counter.

use bls_core::Address;
use cosmos_sdk_proto::cosmos::auth::v1beta1::BaseAccount;
use cosmos_sdk_proto::Any;
use cosmwasm_std::{Order, Storage};
use prost::Message;

use crate::error::AuthError;
use crate::pubkey::PubKey;

/// Type URL of the account record clients decode.
pub const BASE_ACCOUNT_TYPE_URL: &str = "/cosmos.auth.v1beta1.BaseAccount";

const ACCOUNT_PREFIX: &[u8] = b"auth/acc/";
const NEXT_ACCOUNT_NUMBER_KEY: &[u8] = b"auth/next_account_number";

/// One account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// Its address.
    pub address: Address,
    /// Public key, set by the account's first tx.
    pub pub_key: Option<PubKey>,
    /// Assigned once at creation, never reused.
    pub account_number: u64,
    /// Number of txs this account has signed (replay protection).
    pub sequence: u64,
}

impl Account {
    /// The protobuf record.
    pub fn to_proto(&self) -> BaseAccount {
        BaseAccount {
            address: self.address.to_string(),
            pub_key: self.pub_key.as_ref().map(PubKey::to_any),
            account_number: self.account_number,
            sequence: self.sequence,
        }
    }

    /// The record as an `Any` (what `Query/Account` returns).
    pub fn to_any(&self) -> Any {
        Any {
            type_url: BASE_ACCOUNT_TYPE_URL.to_string(),
            value: self.to_proto().encode_to_vec(),
        }
    }

    /// Parses a protobuf record (stored state, so errors mean corruption).
    pub fn from_proto(p: BaseAccount) -> Result<Self, AuthError> {
        let address =
            Address::parse(&p.address).map_err(|e| AuthError::InvalidAddress(e.to_string()))?;
        let pub_key = match p.pub_key {
            Some(any) => Some(PubKey::from_any(&any)?),
            None => None,
        };
        Ok(Self {
            address,
            pub_key,
            account_number: p.account_number,
            sequence: p.sequence,
        })
    }
}

fn account_key(addr: &Address) -> Vec<u8> {
    let mut k = Vec::with_capacity(ACCOUNT_PREFIX.len() + addr.as_bytes().len());
    k.extend_from_slice(ACCOUNT_PREFIX);
    k.extend_from_slice(addr.as_bytes());
    k
}

/// The account at `addr`, if any.
pub fn get_account(store: &dyn Storage, addr: &Address) -> Result<Option<Account>, AuthError> {
    match store.get(&account_key(addr)) {
        None => Ok(None),
        Some(bytes) => {
            let p = BaseAccount::decode(bytes.as_slice())
                .map_err(|e| AuthError::Store(format!("account {addr}: {e}")))?;
            Account::from_proto(p).map(Some)
        }
    }
}

/// Writes `account` (creating or replacing it). Does not touch the account-number counter.
pub fn set_account(store: &mut dyn Storage, account: &Account) -> Result<(), AuthError> {
    store.set(
        &account_key(&account.address),
        &account.to_proto().encode_to_vec(),
    );
    Ok(())
}

/// The account number the next new account gets.
pub fn next_account_number(store: &dyn Storage) -> Result<u64, AuthError> {
    match store.get(NEXT_ACCOUNT_NUMBER_KEY) {
        None => Ok(0),
        Some(b) => {
            let arr: [u8; 8] = b
                .as_slice()
                .try_into()
                .map_err(|_| AuthError::Store("next account number is not 8 bytes".into()))?;
            Ok(u64::from_be_bytes(arr))
        }
    }
}

/// Sets the account number the next new account gets (genesis).
pub fn set_next_account_number(store: &mut dyn Storage, n: u64) {
    store.set(NEXT_ACCOUNT_NUMBER_KEY, &n.to_be_bytes());
}

/// Takes the next account number and advances the counter.
fn take_account_number(store: &mut dyn Storage) -> Result<u64, AuthError> {
    let n = next_account_number(store)?;
    let next = n.checked_add(1).ok_or(AuthError::AccountNumberOverflow)?;
    set_next_account_number(store, next);
    Ok(n)
}

/// The account at `addr`, created (next account number, sequence 0, no pubkey) if missing.
/// The bank calls this when an address first receives funds, as the Cosmos SDK does.
pub fn ensure_account(store: &mut dyn Storage, addr: &Address) -> Result<Account, AuthError> {
    if let Some(a) = get_account(store, addr)? {
        return Ok(a);
    }
    let account = Account {
        address: addr.clone(),
        pub_key: None,
        account_number: take_account_number(store)?,
        sequence: 0,
    };
    set_account(store, &account)?;
    Ok(account)
}

/// Every account in address-byte order (genesis export).
pub fn all_accounts(store: &dyn Storage) -> Result<Vec<Account>, AuthError> {
    let mut end = ACCOUNT_PREFIX.to_vec();
    // The prefix ends in '/', so bumping its last byte gives the exclusive upper bound.
    if let Some(last) = end.last_mut() {
        *last += 1;
    }
    store
        .range(Some(ACCOUNT_PREFIX), Some(&end), Order::Ascending)
        .map(|(k, v)| {
            let p = BaseAccount::decode(v.as_slice())
                .map_err(|e| AuthError::Store(format!("account key {k:?}: {e}")))?;
            Account::from_proto(p)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::MockStorage;

    #[test]
    fn ensure_assigns_increasing_numbers_once() {
        let mut s = MockStorage::new();
        let a = Address::from_bytes(&[1; 20]);
        let b = Address::from_bytes(&[2; 20]);
        assert_eq!(get_account(&s, &a).unwrap(), None);
        assert_eq!(ensure_account(&mut s, &a).unwrap().account_number, 0);
        assert_eq!(ensure_account(&mut s, &b).unwrap().account_number, 1);
        assert_eq!(ensure_account(&mut s, &a).unwrap().account_number, 0);
        assert_eq!(next_account_number(&s).unwrap(), 2);
        let mut acc = get_account(&s, &b).unwrap().unwrap();
        acc.sequence = 5;
        let sk = k256::ecdsa::SigningKey::from_slice(&[2; 32]).unwrap();
        let point = sk.verifying_key().to_encoded_point(true);
        acc.pub_key = Some(PubKey::EthSecp256k1(point.as_bytes().to_vec()));
        set_account(&mut s, &acc).unwrap();
        assert_eq!(get_account(&s, &b).unwrap().unwrap(), acc);
        let all = all_accounts(&s).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[1], acc);
    }
}
