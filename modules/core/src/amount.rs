//! Amounts in base units: `u128` as decimal strings in JSON (JSON numbers cannot carry u128
//! safely), and the two roundings-down every module's shares use.

/// `#[serde(with = "bls_core::amount::u128_str")]` for a `u128` field.
pub mod u128_str {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the amount as a decimal string.
    pub fn serialize<S: Serializer>(v: &u128, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    /// Reads a decimal string (digits only).
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
        let s = String::deserialize(d)?;
        crate::coins::parse_amount(&s).map_err(serde::de::Error::custom)
    }
}

/// `floor(amount × numerator / denominator)` without intermediate overflow (256-bit product);
/// `None` when the denominator is zero or the result does not fit in u128.
pub fn mul_div(amount: u128, numerator: u128, denominator: u128) -> Option<u128> {
    cosmwasm_std::Uint128::new(amount)
        .checked_multiply_ratio(numerator, denominator)
        .ok()
        .map(|v| v.u128())
}

/// `floor(amount × bps / 10000)`; `bps` above 10000 is treated as 10000.
pub fn mul_bps(amount: u128, bps: u32) -> u128 {
    // bps ≤ 10000 so the ratio is ≤ 1 and the result always fits.
    mul_div(amount, u128::from(bps.min(10_000)), 10_000).unwrap_or(amount)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mul_div_is_exact_and_safe() {
        assert_eq!(mul_div(10, 1, 3), Some(3));
        assert_eq!(mul_div(u128::MAX, u128::MAX, u128::MAX), Some(u128::MAX));
        assert_eq!(mul_div(1, 1, 0), None);
        assert_eq!(mul_div(u128::MAX, 2, 1), None);
        assert_eq!(mul_bps(1_000_001, 500), 50_000);
        assert_eq!(mul_bps(7, 20_000), 7);
    }
}
