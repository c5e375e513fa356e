//! Serde helpers: `u128` amounts as decimal strings (JSON numbers cannot carry u128 safely).

/// `#[serde(with = "bls_registry::amount::u128_str")]` for a `u128` field.
pub mod u128_str {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the amount as a decimal string.
    pub fn serialize<S: Serializer>(v: &u128, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    /// Reads a decimal string (digits only).
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
        let s = String::deserialize(d)?;
        bls_core::coins::parse_amount(&s).map_err(serde::de::Error::custom)
    }
}
