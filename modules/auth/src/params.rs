//! Auth params: the limits and prices the tx pipeline enforces, set in genesis.
//!
//! The Cosmos SDK's auth params plus ours: `min_gas_price` (a consensus rule here, not a
//! node-local setting, so every validator agrees on which txs pay enough), `max_tx_bytes` and
//! `max_gas_per_tx`.

use cosmwasm_std::Storage;
use cw_storage_plus::Item;
use serde::{Deserialize, Serialize};

use crate::error::AuthError;
use crate::json_u64;

/// Params as stored and as written in genesis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Longest memo accepted, in characters.
    #[serde(with = "json_u64")]
    pub max_memo_characters: u64,
    /// Most signatures per tx (the pipeline currently accepts exactly one).
    #[serde(with = "json_u64")]
    pub tx_sig_limit: u64,
    /// Gas per byte of the raw tx.
    #[serde(with = "json_u64")]
    pub tx_size_cost_per_byte: u64,
    /// Gas per secp256k1 signature verification.
    #[serde(with = "json_u64")]
    pub sig_verify_cost_secp256k1: u64,
    /// Minimum fee per unit of gas in `ubls`, a decimal string such as `"0.025"`.
    pub min_gas_price: String,
    /// Largest raw tx accepted, in bytes.
    #[serde(with = "json_u64")]
    pub max_tx_bytes: u64,
    /// Largest gas limit a tx may declare.
    #[serde(with = "json_u64")]
    pub max_gas_per_tx: u64,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            max_memo_characters: 256,
            tx_sig_limit: 7,
            tx_size_cost_per_byte: 10,
            sig_verify_cost_secp256k1: 1000,
            min_gas_price: "0.025".to_string(),
            max_tx_bytes: 2 * 1024 * 1024,
            max_gas_per_tx: 100_000_000,
        }
    }
}

impl Params {
    /// Checks every field; returns the parsed gas price.
    pub fn validate(&self) -> Result<GasPrice, AuthError> {
        if self.tx_sig_limit == 0 {
            return Err(AuthError::InvalidParams(
                "tx_sig_limit must be positive".into(),
            ));
        }
        if self.max_tx_bytes == 0 {
            return Err(AuthError::InvalidParams(
                "max_tx_bytes must be positive".into(),
            ));
        }
        if self.max_gas_per_tx == 0 {
            return Err(AuthError::InvalidParams(
                "max_gas_per_tx must be positive".into(),
            ));
        }
        GasPrice::parse(&self.min_gas_price)
    }

    /// The parsed `min_gas_price`.
    pub fn gas_price(&self) -> Result<GasPrice, AuthError> {
        GasPrice::parse(&self.min_gas_price)
    }
}

const PARAMS: Item<Params> = Item::new("auth/params");

/// The stored params, or the defaults before genesis wrote any.
pub fn load(store: &dyn Storage) -> Result<Params, AuthError> {
    Ok(PARAMS
        .may_load(store)
        .map_err(|e| AuthError::Store(e.to_string()))?
        .unwrap_or_default())
}

/// Validates and stores `params`.
pub fn save(store: &mut dyn Storage, params: &Params) -> Result<(), AuthError> {
    params.validate()?;
    PARAMS
        .save(store, params)
        .map_err(|e| AuthError::Store(e.to_string()))
}

/// Decimal places of [`GasPrice`]'s fixed-point representation (as Cosmos `sdk.Dec`).
pub const GAS_PRICE_DECIMALS: u32 = 18;
const ONE: u128 = 1_000_000_000_000_000_000;

/// A non-negative decimal price per gas unit, held as an integer count of 10^-18 `ubls`.
/// Fee math is integer-only so every validator computes the same minimum fee.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct GasPrice {
    atto: u128,
}

impl GasPrice {
    /// Zero: no fee required.
    pub const ZERO: GasPrice = GasPrice { atto: 0 };

    /// Parses `"0.025"`, `"1"`, `"0"`: digits, optionally a point and 1–18 more digits.
    /// Rejects signs, exponents, spaces, more than 18 decimals and more than 18 integer digits.
    pub fn parse(s: &str) -> Result<Self, AuthError> {
        let bad = || AuthError::InvalidParams(format!("invalid min_gas_price {s:?}"));
        let (int, frac) = match s.split_once('.') {
            Some((i, f)) => (i, f),
            None => (s, ""),
        };
        let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty()
            || int.len() > 18
            || !digits(int)
            || !digits(frac)
            || frac.len() > GAS_PRICE_DECIMALS as usize
            || (s.contains('.') && frac.is_empty())
        {
            return Err(bad());
        }
        let int_v: u128 = int.parse().map_err(|_| bad())?;
        let frac_v: u128 = if frac.is_empty() {
            0
        } else {
            let pad = GAS_PRICE_DECIMALS - u32::try_from(frac.len()).map_err(|_| bad())?;
            frac.parse::<u128>()
                .map_err(|_| bad())?
                .checked_mul(10u128.pow(pad))
                .ok_or_else(bad)?
        };
        let atto = int_v
            .checked_mul(ONE)
            .and_then(|v| v.checked_add(frac_v))
            .ok_or_else(bad)?;
        Ok(Self { atto })
    }

    /// The price in 10^-18 `ubls` per gas.
    pub fn atto(&self) -> u128 {
        self.atto
    }

    /// The minimum fee for `gas`: ceil(gas × price), or `None` on overflow.
    pub fn fee_for(&self, gas: u64) -> Option<u128> {
        let gas = u128::from(gas);
        // Split the price so neither product can overflow: gas < 2^64 and frac < 10^18.
        let whole = gas.checked_mul(self.atto / ONE)?;
        let frac = gas * (self.atto % ONE);
        let frac_ceil = frac.div_ceil(ONE);
        whole.checked_add(frac_ceil)
    }
}

impl bls_core::governed_params::GovernedParams for Params {
    type Error = AuthError;

    fn load(store: &dyn Storage) -> Result<Self, AuthError> {
        load(store)
    }

    fn check(&self, _store: &dyn Storage) -> Result<(), AuthError> {
        self.validate().map(|_| ())
    }

    fn store(&self, store: &mut dyn Storage) -> Result<(), AuthError> {
        save(store, self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rounds_up() {
        let p = GasPrice::parse("0.025").unwrap();
        assert_eq!(p.atto(), 25_000_000_000_000_000);
        assert_eq!(p.fee_for(200_000), Some(5_000));
        assert_eq!(p.fee_for(1), Some(1));
        assert_eq!(p.fee_for(40), Some(1));
        assert_eq!(p.fee_for(41), Some(2));
        assert_eq!(p.fee_for(0), Some(0));
        assert_eq!(GasPrice::parse("0").unwrap().fee_for(u64::MAX), Some(0));
        assert_eq!(GasPrice::parse("2").unwrap().fee_for(3), Some(6));
        let tiny = GasPrice::parse("0.000000000000000001").unwrap();
        assert_eq!(tiny.fee_for(u64::MAX), Some(19));
        let big = GasPrice::parse("999999999999999999.999999999999999999").unwrap();
        assert!(big.fee_for(u64::MAX).is_some());
    }

    #[test]
    fn rejects_malformed() {
        for s in [
            "",
            ".5",
            "5.",
            "-1",
            "+1",
            "1e3",
            " 1",
            "0.0000000000000000001",
            "1.2.3",
            "abc",
            "1234567890123456789",
        ] {
            assert!(GasPrice::parse(s).is_err(), "{s:?} should be rejected");
        }
    }

    #[test]
    fn params_json_accepts_strings_and_numbers() {
        let p: Params = serde_json::from_str(
            r#"{"max_memo_characters":"256","tx_sig_limit":7,"tx_size_cost_per_byte":"10",
            "sig_verify_cost_secp256k1":1000,"min_gas_price":"0.025","max_tx_bytes":"1024",
            "max_gas_per_tx":5000000}"#,
        )
        .unwrap();
        assert_eq!(p.max_tx_bytes, 1024);
        let back: Params = serde_json::from_value(serde_json::to_value(&p).unwrap()).unwrap();
        assert_eq!(back, p);
    }
}
