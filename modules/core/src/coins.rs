//! Coins: a denom and a `u128` amount; [`Coins`] is a sorted, zero-free multiset.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The staking and fee denom (display `BLS`, 6 decimals).
pub const DENOM: &str = "ubls";

/// Errors from coin arithmetic and parsing.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CoinError {
    /// An amount string that is not a non-negative integer.
    #[error("invalid amount {0:?}")]
    InvalidAmount(String),
    /// A denom that does not match `[a-zA-Z][a-zA-Z0-9/:._-]{2,127}`.
    #[error("invalid denom {0:?}")]
    InvalidDenom(String),
    /// A coins string like `100ubls,5foo` that does not parse.
    #[error("invalid coins {0:?}: expected e.g. 1000ubls")]
    InvalidCoins(String),
    /// A coin of another denom where only the chain's own is accepted.
    #[error("denom must be {denom}, got {0:?}", denom = DENOM)]
    WrongDenom(String),
    /// Sum overflowed u128.
    #[error("coin amount overflow")]
    Overflow,
    /// Subtraction below zero.
    #[error("insufficient funds: have {have}, need {need}")]
    Insufficient {
        /// What there is.
        have: String,
        /// What was asked for.
        need: String,
    },
}

/// One amount of one denom.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Coin {
    /// Denomination, e.g. `ubls`.
    pub denom: String,
    /// Amount in base units.
    #[serde(with = "crate::amount::u128_str")]
    pub amount: u128,
}

impl Coin {
    /// A coin of `amount` `denom`.
    pub fn new(amount: u128, denom: impl Into<String>) -> Self {
        Self {
            denom: denom.into(),
            amount,
        }
    }

    /// An amount of `ubls`.
    pub fn ubls(amount: u128) -> Self {
        Self::new(amount, DENOM)
    }

    /// Parses a protobuf-style coin (denom + decimal string amount), validating both.
    pub fn from_parts(denom: &str, amount: &str) -> Result<Self, CoinError> {
        validate_denom(denom)?;
        let amount = parse_amount(amount)?;
        Ok(Self::new(amount, denom))
    }

    /// Converts to the Cosmos SDK protobuf coin.
    pub fn to_proto(&self) -> cosmos_sdk_proto::cosmos::base::v1beta1::Coin {
        cosmos_sdk_proto::cosmos::base::v1beta1::Coin {
            denom: self.denom.clone(),
            amount: self.amount.to_string(),
        }
    }
}

impl fmt::Display for Coin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.amount, self.denom)
    }
}

/// Parses a decimal integer amount; rejects signs, spaces, empty strings and overflow.
pub fn parse_amount(s: &str) -> Result<u128, CoinError> {
    if s.is_empty() || s.len() > 39 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CoinError::InvalidAmount(s.to_string()));
    }
    s.parse::<u128>()
        .map_err(|_| CoinError::InvalidAmount(s.to_string()))
}

/// The amount of a wire coin (`denom`, decimal `amount`) that must be in the chain's denom: what
/// every message field priced in ubls (bonds, fees, deposits) accepts.
pub fn ubls_amount(denom: &str, amount: &str) -> Result<u128, CoinError> {
    if denom != DENOM {
        return Err(CoinError::WrongDenom(denom.to_string()));
    }
    parse_amount(amount)
}

/// Checks a denom against the Cosmos SDK pattern `[a-zA-Z][a-zA-Z0-9/:._-]{2,127}`.
pub fn validate_denom(d: &str) -> Result<(), CoinError> {
    let ok = d.len() >= 3
        && d.len() <= 128
        && d.as_bytes()[0].is_ascii_alphabetic()
        && d.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b':' | b'.' | b'_' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(CoinError::InvalidDenom(d.to_string()))
    }
}

/// A set of coins with distinct denoms, sorted by denom, never holding a zero amount.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coins(BTreeMap<String, u128>);

impl Coins {
    /// No coins.
    pub fn new() -> Self {
        Self::default()
    }

    /// `amount` of the chain's denom (empty for zero): what every module pays in.
    pub fn ubls(amount: u128) -> Self {
        let mut out = Self::new();
        if amount > 0 {
            out.0.insert(crate::DENOM.to_string(), amount);
        }
        out
    }

    /// Builds from a list, summing duplicates and dropping zeros.
    pub fn from_coins(coins: impl IntoIterator<Item = Coin>) -> Result<Self, CoinError> {
        let mut out = Self::new();
        for c in coins {
            out.add(&c)?;
        }
        Ok(out)
    }

    /// Parses protobuf coins, validating denoms and amounts.
    pub fn from_proto(
        coins: &[cosmos_sdk_proto::cosmos::base::v1beta1::Coin],
    ) -> Result<Self, CoinError> {
        let mut out = Self::new();
        for c in coins {
            out.add(&Coin::from_parts(&c.denom, &c.amount)?)?;
        }
        Ok(out)
    }

    /// Parses `1000ubls,5uatom` (the CLI and genesis format).
    pub fn parse(s: &str) -> Result<Self, CoinError> {
        let mut out = Self::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let split = part
                .find(|c: char| !c.is_ascii_digit())
                .ok_or_else(|| CoinError::InvalidCoins(s.to_string()))?;
            let (amount, denom) = part.split_at(split);
            out.add(&Coin::from_parts(denom, amount)?)?;
        }
        Ok(out)
    }

    /// Adds a coin (zero amounts are ignored).
    pub fn add(&mut self, c: &Coin) -> Result<(), CoinError> {
        if c.amount == 0 {
            return Ok(());
        }
        let e = self.0.entry(c.denom.clone()).or_insert(0);
        *e = e.checked_add(c.amount).ok_or(CoinError::Overflow)?;
        Ok(())
    }

    /// Subtracts a coin, failing if there is not enough.
    pub fn sub(&mut self, c: &Coin) -> Result<(), CoinError> {
        if c.amount == 0 {
            return Ok(());
        }
        let have = self.amount_of(&c.denom);
        let left = have
            .checked_sub(c.amount)
            .ok_or_else(|| CoinError::Insufficient {
                have: Coin::new(have, c.denom.clone()).to_string(),
                need: c.to_string(),
            })?;
        if left == 0 {
            self.0.remove(&c.denom);
        } else {
            self.0.insert(c.denom.clone(), left);
        }
        Ok(())
    }

    /// The amount of one denom (0 if absent).
    pub fn amount_of(&self, denom: &str) -> u128 {
        self.0.get(denom).copied().unwrap_or(0)
    }

    /// True when there are no coins.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The coins in denom order.
    pub fn to_vec(&self) -> Vec<Coin> {
        self.0
            .iter()
            .map(|(d, a)| Coin::new(*a, d.clone()))
            .collect()
    }

    /// Converts to protobuf coins in denom order.
    pub fn to_proto(&self) -> Vec<cosmos_sdk_proto::cosmos::base::v1beta1::Coin> {
        self.to_vec().iter().map(Coin::to_proto).collect()
    }
}

impl fmt::Display for Coins {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.to_vec().iter().map(ToString::to_string).collect();
        f.write_str(&parts.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ubls_amount_takes_only_the_chain_denom_and_a_plain_integer() {
        assert_eq!(ubls_amount("ubls", "42"), Ok(42));
        assert_eq!(
            ubls_amount("uatom", "42"),
            Err(CoinError::WrongDenom("uatom".into()))
        );
        assert!(ubls_amount("ubls", "-1").is_err());
        assert!(ubls_amount("ubls", "1e3").is_err());
        assert!(ubls_amount("UBLS", "1").is_err());
        assert_eq!(
            Coins::ubls(0),
            Coins::new(),
            "zero is the empty set, never a zero coin"
        );
        assert_eq!(Coins::ubls(7).amount_of(DENOM), 7);
    }

    #[test]
    fn parse_and_display() {
        let c = Coins::parse("100ubls,5uatom,1ubls").unwrap();
        assert_eq!(c.amount_of("ubls"), 101);
        assert_eq!(c.to_string(), "5uatom,101ubls");
        assert!(Coins::parse("ubls").is_err());
        assert!(Coins::parse("-5ubls").is_err());
        assert!(Coins::parse("5u").is_err());
        assert!(parse_amount("+5").is_err());
        assert!(parse_amount("").is_err());
        assert!(parse_amount("999999999999999999999999999999999999999999").is_err());
    }

    #[test]
    fn sub_insufficient_and_zero_removal() {
        let mut c = Coins::parse("10ubls").unwrap();
        assert!(matches!(
            c.sub(&Coin::ubls(11)),
            Err(CoinError::Insufficient { .. })
        ));
        c.sub(&Coin::ubls(10)).unwrap();
        assert!(c.is_empty());
        let mut max = Coins::new();
        max.add(&Coin::ubls(u128::MAX)).unwrap();
        assert_eq!(max.add(&Coin::ubls(1)), Err(CoinError::Overflow));
    }
}
