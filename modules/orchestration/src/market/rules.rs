//! What a listing may hold. Every field is bounded so a listing cannot bloat state or the
//! queries that return it.

use crate::error::{invalid, OrchestrationError};

/// Most ubls per invocation (one million BLS): above it a price is a typo or an attack on
/// invokers' `max_fee` arithmetic, not a price.
pub const MAX_PRICE: u128 = 1_000_000_000_000;
/// Longest name, bytes.
pub const MAX_NAME: usize = 64;
/// Longest description, bytes.
pub const MAX_DESCRIPTION: usize = 2048;
/// Most tags.
pub const MAX_TAGS: usize = 8;
/// Longest tag, bytes.
pub const MAX_TAG: usize = 32;
/// Longest license (an SPDX expression), bytes.
pub const MAX_LICENSE: usize = 64;
/// Longest source link, bytes.
pub const MAX_SOURCE_URL: usize = 256;
/// Longest terms, bytes.
pub const MAX_TERMS: usize = 2048;

fn bounded(field: &'static str, s: &str, max: usize) -> Result<(), OrchestrationError> {
    if s.len() > max {
        return Err(invalid(field, format!("{} bytes; at most {max}", s.len())));
    }
    if s.chars().any(|c| c.is_control() && c != '\n') {
        return Err(invalid(field, "control characters are not allowed"));
    }
    Ok(())
}

/// Checks a listing's fields (the price separately: [`check_price`]).
pub fn check_fields(
    name: &str,
    description: &str,
    tags: &[String],
    license: &str,
    source_url: &str,
    terms: &str,
) -> Result<(), OrchestrationError> {
    if name.trim().is_empty() {
        return Err(invalid("name", "required"));
    }
    bounded("name", name, MAX_NAME)?;
    if name.contains('\n') {
        return Err(invalid("name", "one line"));
    }
    bounded("description", description, MAX_DESCRIPTION)?;
    if tags.len() > MAX_TAGS {
        return Err(invalid(
            "tags",
            format!("{}; at most {MAX_TAGS}", tags.len()),
        ));
    }
    for (i, t) in tags.iter().enumerate() {
        if t.is_empty()
            || t.len() > MAX_TAG
            || !t
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(invalid(
                "tags",
                format!("{t:?}: 1..={MAX_TAG} of a-z, 0-9 and '-'"),
            ));
        }
        if tags[..i].contains(t) {
            return Err(invalid("tags", format!("{t:?} twice")));
        }
    }
    bounded("license", license, MAX_LICENSE)?;
    bounded("source_url", source_url, MAX_SOURCE_URL)?;
    if !source_url.is_empty()
        && !["https://", "http://", "ipfs://", "git+https://"]
            .iter()
            .any(|p| source_url.starts_with(p))
    {
        return Err(invalid(
            "source_url",
            "must start with https://, http://, ipfs:// or git+https://",
        ));
    }
    bounded("terms", terms, MAX_TERMS)
}

/// Blocks between two price changes of a listing: a fast-path request's window plus its
/// settlement window, so every request that can still settle was signed under the current
/// price or the one before it ([`super::royalty::fastpath_price`]).
pub fn price_change_cooldown(p: &crate::params::Params) -> u64 {
    p.fastpath_request_ttl
        .saturating_add(p.fastpath_settle_window)
}

/// Checks a price per invocation: positive (unlist instead of pricing at 0) and at most
/// [`MAX_PRICE`].
pub fn check_price(price: u128) -> Result<(), OrchestrationError> {
    if price == 0 {
        return Err(invalid(
            "price",
            "must be positive (a free function needs no listing price: unlist it or leave it unlisted)",
        ));
    }
    if price > MAX_PRICE {
        return Err(invalid(
            "price",
            format!("{price}ubls is more than the {MAX_PRICE}ubls a listing may ask"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_and_fields_are_bounded() {
        assert!(check_price(0).is_err());
        assert!(check_price(MAX_PRICE + 1).is_err());
        check_price(1).unwrap();
        check_price(MAX_PRICE).unwrap();
        check_fields("hello", "", &[], "MIT", "", "").unwrap();
        assert!(check_fields(" ", "", &[], "", "", "").is_err());
        assert!(check_fields("a\nb", "", &[], "", "", "").is_err());
        assert!(check_fields("a", "\u{7}", &[], "", "", "").is_err());
        assert!(check_fields("a", "", &["UPPER".into()], "", "", "").is_err());
        assert!(check_fields("a", "", &["x".into(), "x".into()], "", "", "").is_err());
        let nine: Vec<String> = (0..9).map(|i| format!("t{i}")).collect();
        assert!(check_fields("a", "", &nine, "", "", "").is_err());
        assert!(check_fields("a", "", &[], "", "javascript:alert(1)", "").is_err());
        assert!(check_fields("a", &"x".repeat(MAX_DESCRIPTION + 1), &[], "", "", "").is_err());
    }
}
