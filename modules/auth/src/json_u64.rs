//! `u64` fields in genesis JSON: written as strings (as Cosmos SDK genesis files do, because
//! JavaScript numbers lose precision above 2^53) and read from either a string or a number.

use serde::{de, Deserialize, Deserializer, Serializer};

#[derive(Deserialize)]
#[serde(untagged)]
enum StrOrNum {
    Str(String),
    Num(u64),
}

fn from_either<E: de::Error>(v: StrOrNum) -> Result<u64, E> {
    match v {
        StrOrNum::Num(n) => Ok(n),
        StrOrNum::Str(s) => {
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(E::custom(format!("invalid unsigned integer {s:?}")));
            }
            s.parse().map_err(E::custom)
        }
    }
}

pub fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&v.to_string())
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    from_either(StrOrNum::deserialize(d)?)
}

/// The same for `Option<u64>` (absent or null → `None`).
pub mod option {
    use super::*;

    pub fn serialize<S: Serializer>(v: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(n) => s.serialize_str(&n.to_string()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        match Option::<StrOrNum>::deserialize(d)? {
            Some(v) => from_either(v).map(Some),
            None => Ok(None),
        }
    }
}
