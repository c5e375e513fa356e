//! Gas and fee arithmetic in integers: decimal gas prices (`0.025ubls`), gas adjustment
//! (`1.5`), `fee = ceil(gas × price)`. No floats, so the numbers are exact and reproducible.

use std::fmt;
use std::str::FromStr;

use bls_core::coins::validate_denom;
use bls_core::{Coin, DENOM};

/// Default gas price.
pub const DEFAULT_GAS_PRICE: &str = "0.025ubls";
/// Default multiplier applied to simulated gas.
pub const DEFAULT_GAS_ADJUSTMENT: &str = "1.5";

/// At most this many fractional digits (as the Cosmos SDK's `LegacyDec`).
const MAX_DECIMALS: u32 = 18;

/// Errors from parsing or computing fees.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FeeError {
    /// A decimal like `1.5` that does not parse.
    #[error("invalid decimal {0:?}: expected e.g. 1.5 (at most 18 fractional digits, no sign)")]
    InvalidDecimal(String),
    /// A gas price like `0.025ubls` that does not parse.
    #[error("invalid gas price {0:?}: expected an amount and a denom, e.g. {DEFAULT_GAS_PRICE}")]
    InvalidGasPrice(String),
    /// A `--gas` value that is neither `auto` nor an integer.
    #[error("invalid gas {0:?}: expected `auto` or a positive integer")]
    InvalidGas(String),
    /// The result does not fit.
    #[error("fee arithmetic overflow")]
    Overflow,
}

/// A non-negative decimal: `mantissa / 10^decimals`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decimal {
    mantissa: u128,
    decimals: u32,
}

impl Decimal {
    /// [`DEFAULT_GAS_ADJUSTMENT`] as a value.
    pub const DEFAULT_GAS_ADJUSTMENT: Decimal = Decimal {
        mantissa: 15,
        decimals: 1,
    };

    /// `mantissa / 10^decimals`.
    pub fn new(mantissa: u128, decimals: u32) -> Result<Self, FeeError> {
        if decimals > MAX_DECIMALS {
            return Err(FeeError::Overflow);
        }
        Ok(Self { mantissa, decimals })
    }

    /// `ceil(n × self)`.
    pub fn mul_ceil(&self, n: u128) -> Result<u128, FeeError> {
        let num = n.checked_mul(self.mantissa).ok_or(FeeError::Overflow)?;
        let den = 10u128.pow(self.decimals);
        Ok(num.div_ceil(den))
    }

    /// True when zero.
    pub fn is_zero(&self) -> bool {
        self.mantissa == 0
    }
}

impl FromStr for Decimal {
    type Err = FeeError;
    fn from_str(s: &str) -> Result<Self, FeeError> {
        let bad = || FeeError::InvalidDecimal(s.to_string());
        let (int, frac) = match s.split_once('.') {
            Some((i, f)) => (i, f),
            None => (s, ""),
        };
        let digits_ok = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty()
            || !digits_ok(int)
            || !digits_ok(frac)
            || (s.contains('.') && frac.is_empty())
        {
            return Err(bad());
        }
        let decimals = u32::try_from(frac.len()).map_err(|_| bad())?;
        if decimals > MAX_DECIMALS {
            return Err(bad());
        }
        let joined = format!("{int}{frac}");
        let mantissa: u128 = joined.parse().map_err(|_| bad())?;
        Ok(Self { mantissa, decimals })
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let den = 10u128.pow(self.decimals);
        let int = self.mantissa / den;
        let frac = self.mantissa % den;
        if self.decimals == 0 || frac == 0 {
            write!(f, "{int}")
        } else {
            let width = self.decimals as usize;
            let frac = format!("{frac:0width$}");
            write!(f, "{int}.{}", frac.trim_end_matches('0'))
        }
    }
}

/// A price per unit of gas, e.g. `0.025ubls`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GasPrice {
    /// Amount per gas unit.
    pub amount: Decimal,
    /// Fee denom.
    pub denom: String,
}

impl GasPrice {
    /// The fee for `gas` units: `ceil(gas × price)`.
    pub fn fee_for(&self, gas: u64) -> Result<Coin, FeeError> {
        Ok(Coin::new(
            self.amount.mul_ceil(u128::from(gas))?,
            self.denom.clone(),
        ))
    }
}

impl Default for GasPrice {
    fn default() -> Self {
        Self {
            amount: Decimal {
                mantissa: 25,
                decimals: 3,
            },
            denom: DENOM.to_string(),
        }
    }
}

impl FromStr for GasPrice {
    type Err = FeeError;
    fn from_str(s: &str) -> Result<Self, FeeError> {
        let bad = || FeeError::InvalidGasPrice(s.to_string());
        let split = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        let (amount, denom) = s.split_at(split);
        let amount: Decimal = amount.parse().map_err(|_| bad())?;
        validate_denom(denom).map_err(|_| bad())?;
        Ok(Self {
            amount,
            denom: denom.to_string(),
        })
    }
}

impl fmt::Display for GasPrice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.amount, self.denom)
    }
}

/// How much gas a tx asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum GasSetting {
    /// Simulate, then multiply by the gas adjustment.
    #[default]
    Auto,
    /// A fixed gas limit.
    Fixed(u64),
}

impl FromStr for GasSetting {
    type Err = FeeError;
    fn from_str(s: &str) -> Result<Self, FeeError> {
        if s == "auto" {
            return Ok(Self::Auto);
        }
        match s.parse::<u64>() {
            Ok(n) if n > 0 => Ok(Self::Fixed(n)),
            _ => Err(FeeError::InvalidGas(s.to_string())),
        }
    }
}

impl fmt::Display for GasSetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GasSetting::Auto => f.write_str("auto"),
            GasSetting::Fixed(n) => write!(f, "{n}"),
        }
    }
}

/// `ceil(simulated × adjustment)`, at least `simulated`, as a gas limit.
pub fn adjusted_gas(simulated: u64, adjustment: &Decimal) -> Result<u64, FeeError> {
    let g = adjustment.mul_ceil(u128::from(simulated))?;
    let g = u64::try_from(g).map_err(|_| FeeError::Overflow)?;
    Ok(g.max(simulated))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_parse_and_round_up() {
        let d: Decimal = "1.5".parse().unwrap();
        assert_eq!(d.mul_ceil(100).unwrap(), 150);
        assert_eq!(d.mul_ceil(3).unwrap(), 5); // 4.5 -> 5
        assert_eq!(d.to_string(), "1.5");
        let p: Decimal = "0.025".parse().unwrap();
        assert_eq!(p.mul_ceil(200_000).unwrap(), 5_000);
        assert_eq!(p.mul_ceil(1).unwrap(), 1); // 0.025 -> 1
        assert_eq!(p.mul_ceil(0).unwrap(), 0);
        assert_eq!("2".parse::<Decimal>().unwrap().mul_ceil(7).unwrap(), 14);
        for bad in [
            "",
            ".5",
            "5.",
            "-1",
            "1e3",
            "1.2.3",
            "0.0000000000000000001",
            " 1",
        ] {
            assert!(bad.parse::<Decimal>().is_err(), "{bad:?}");
        }
        assert_eq!(
            "1000000000000000000"
                .parse::<Decimal>()
                .unwrap()
                .mul_ceil(u128::MAX),
            Err(FeeError::Overflow)
        );
    }

    #[test]
    fn gas_prices() {
        let p: GasPrice = DEFAULT_GAS_PRICE.parse().unwrap();
        assert_eq!(p, GasPrice::default());
        assert_eq!(p.to_string(), "0.025ubls");
        assert_eq!(p.fee_for(100_001).unwrap(), Coin::ubls(2_501));
        for bad in ["ubls", "0.025", "0.025u", "1.x5ubls", "-1ubls"] {
            assert!(bad.parse::<GasPrice>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn gas_settings_and_adjustment() {
        assert_eq!("auto".parse::<GasSetting>().unwrap(), GasSetting::Auto);
        assert_eq!(
            "200000".parse::<GasSetting>().unwrap(),
            GasSetting::Fixed(200_000)
        );
        assert!("0".parse::<GasSetting>().is_err());
        assert!("lots".parse::<GasSetting>().is_err());
        let adj: Decimal = DEFAULT_GAS_ADJUSTMENT.parse().unwrap();
        assert_eq!(adj, Decimal::DEFAULT_GAS_ADJUSTMENT);
        assert_eq!(adjusted_gas(70_001, &adj).unwrap(), 105_002);
        let low: Decimal = "0.5".parse().unwrap();
        assert_eq!(adjusted_gas(100, &low).unwrap(), 100);
        assert_eq!(adjusted_gas(u64::MAX, &adj), Err(FeeError::Overflow));
    }
}
