//! Account addresses: 20 bytes, shown as bech32 with the `bls` prefix (Cosmos SDK style).

use std::fmt;

use bech32::{Bech32, Hrp};
use ripemd::Ripemd160;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Human-readable part of every account address.
pub const ACCOUNT_HRP: &str = "bls";

/// Errors from parsing an address.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AddressError {
    /// Not valid bech32 at all.
    #[error("invalid bech32 address {0:?}: {1}")]
    Bech32(String, String),
    /// Valid bech32 but another chain's prefix.
    #[error("address {addr:?} has prefix {found:?}, expected {expected:?}")]
    WrongPrefix {
        /// The address as given.
        addr: String,
        /// Its prefix.
        found: String,
        /// The prefix we accept.
        expected: String,
    },
    /// Decoded to the wrong number of bytes.
    #[error("address {0:?} must be 20 or 32 bytes, got {1}")]
    WrongLength(String, usize),
}

/// A bech32 account address (`bls1...`), validated on construction.
///
/// Ordered and hashed by its canonical string so it can key `cw-storage-plus` maps directly.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Address {
    text: String,
    bytes: Vec<u8>,
}

impl Address {
    /// Parses and validates a `bls1...` address.
    pub fn parse(s: &str) -> Result<Self, AddressError> {
        let (hrp, bytes) =
            bech32::decode(s).map_err(|e| AddressError::Bech32(s.to_string(), e.to_string()))?;
        if hrp.as_str() != ACCOUNT_HRP {
            return Err(AddressError::WrongPrefix {
                addr: s.to_string(),
                found: hrp.to_string(),
                expected: ACCOUNT_HRP.to_string(),
            });
        }
        if bytes.len() != 20 && bytes.len() != 32 {
            return Err(AddressError::WrongLength(s.to_string(), bytes.len()));
        }
        Ok(Self::from_bytes(&bytes))
    }

    /// Builds the address for raw bytes (20 for accounts, 32 for module accounts).
    pub fn from_bytes(bytes: &[u8]) -> Self {
        // Infallible: the HRP is a constant valid prefix and 20/32-byte payloads fit bech32 limits.
        let hrp = Hrp::parse_unchecked(ACCOUNT_HRP);
        let text = bech32::encode::<Bech32>(hrp, bytes).unwrap_or_default();
        Self {
            text,
            bytes: bytes.to_vec(),
        }
    }

    /// The Cosmos address of a compressed secp256k1 public key: ripemd160(sha256(pubkey)).
    pub fn from_secp256k1_pubkey(compressed: &[u8]) -> Self {
        let sha = Sha256::digest(compressed);
        let rip = Ripemd160::digest(sha);
        Self::from_bytes(&rip)
    }

    /// A module account's address: the first 20 bytes of sha256("module:" ‖ name).
    pub fn module(name: &str) -> Self {
        let mut h = Sha256::new();
        h.update(b"module:");
        h.update(name.as_bytes());
        Self::from_bytes(&h.finalize()[..20])
    }

    /// The bech32 text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The raw address bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The same bytes as a Cosmos validator operator address (`blsvaloper1...`), the form
    /// Keplr and explorers show a validator by. A validator's id on this chain is its
    /// operator's account address; this is only its other spelling.
    pub fn to_valoper(&self) -> String {
        let hrp = Hrp::parse_unchecked(VALOPER_HRP);
        bech32::encode::<Bech32>(hrp, &self.bytes).unwrap_or_default()
    }

    /// Parses an account address or its `blsvaloper1...` spelling.
    pub fn parse_account_or_valoper(s: &str) -> Result<Self, AddressError> {
        if !s.starts_with(VALOPER_HRP) {
            return Self::parse(s);
        }
        let (hrp, bytes) =
            bech32::decode(s).map_err(|e| AddressError::Bech32(s.to_string(), e.to_string()))?;
        if hrp.as_str() != VALOPER_HRP {
            return Err(AddressError::WrongPrefix {
                addr: s.to_string(),
                found: hrp.to_string(),
                expected: VALOPER_HRP.to_string(),
            });
        }
        if bytes.len() != 20 {
            return Err(AddressError::WrongLength(s.to_string(), bytes.len()));
        }
        Ok(Self::from_bytes(&bytes))
    }
}

/// The bech32 prefix of validator operator addresses (Keplr's `bech32PrefixValAddr`).
pub const VALOPER_HRP: &str = "blsvaloper";

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Address({})", self.text)
    }
}

impl TryFrom<String> for Address {
    type Error = AddressError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Address> for String {
    fn from(a: Address) -> String {
        a.text
    }
}

impl std::str::FromStr for Address {
    type Err = AddressError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valoper_is_the_same_bytes_and_only_accounts_parse_plainly() {
        let a = Address::from_bytes(&[7u8; 20]);
        let v = a.to_valoper();
        assert!(v.starts_with("blsvaloper1"), "{v}");
        assert_eq!(Address::parse_account_or_valoper(&v).unwrap(), a);
        assert_eq!(Address::parse_account_or_valoper(a.as_str()).unwrap(), a);
        assert!(
            Address::parse(&v).is_err(),
            "a valoper is not an account address"
        );
        let module = Address::module("x").to_valoper();
        assert!(Address::parse_account_or_valoper(&module).is_ok());
        let long = bech32::encode::<Bech32>(Hrp::parse(VALOPER_HRP).unwrap(), &[7u8; 32]).unwrap();
        assert!(Address::parse_account_or_valoper(&long).is_err());
    }

    #[test]
    fn roundtrip_and_prefix() {
        let a = Address::from_bytes(&[7u8; 20]);
        assert!(a.as_str().starts_with("bls1"));
        assert_eq!(Address::parse(a.as_str()).unwrap(), a);
        let cosmos = bech32::encode::<Bech32>(Hrp::parse("cosmos").unwrap(), &[7u8; 20]).unwrap();
        assert!(matches!(
            Address::parse(&cosmos),
            Err(AddressError::WrongPrefix { .. })
        ));
        assert!(matches!(
            Address::parse("bls1notvalid"),
            Err(AddressError::Bech32(..))
        ));
        let short = bech32::encode::<Bech32>(Hrp::parse("bls").unwrap(), &[1u8; 5]).unwrap();
        assert!(matches!(
            Address::parse(&short),
            Err(AddressError::WrongLength(_, 5))
        ));
    }

    #[test]
    fn module_addresses_differ() {
        assert_ne!(Address::module("pool"), Address::module("escrow"));
        assert_eq!(Address::module("escrow").as_bytes().len(), 20);
    }
}
