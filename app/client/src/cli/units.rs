//! Parsers for CLI values: durations (`500ms`, `10s`, `2m`), byte sizes (`65536`, `64KiB`,
//! `64MiB`, `1GiB`) and `bls1...` addresses.

use std::time::Duration;

use anyhow::Context as _;
use bls_core::Address;

/// Parses `<n>ms`, `<n>s`, `<n>m` or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (digits, unit_ms): (&str, u64) = if let Some(d) = t.strip_suffix("ms") {
        (d, 1)
    } else if let Some(d) = t.strip_suffix('s') {
        (d, 1000)
    } else if let Some(d) = t.strip_suffix('m') {
        (d, 60_000)
    } else {
        (t, 1000)
    };
    let n: u64 = digits
        .trim()
        .parse()
        .map_err(|_| format!("bad duration {text:?} (use e.g. 500ms, 10s, 2m)"))?;
    n.checked_mul(unit_ms)
        .map(Duration::from_millis)
        .ok_or_else(|| format!("duration {text:?} is too large"))
}

/// Parses a byte size: a bare number, or a number with `K`/`KiB`, `M`/`MiB`, `G`/`GiB`
/// (all binary multiples).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let multiplier: u64 = match unit.trim() {
        "" | "B" => 1,
        "K" | "KiB" | "k" => 1 << 10,
        "M" | "MiB" => 1 << 20,
        "G" | "GiB" => 1 << 30,
        _ => {
            return Err(format!(
                "bad size {text:?} (use e.g. 65536, 64KiB, 64MiB, 1GiB)"
            ))
        }
    };
    let n: u64 = digits.parse().map_err(|_| format!("bad size {text:?}"))?;
    n.checked_mul(multiplier)
        .ok_or_else(|| format!("size {text:?} is too large"))
}

/// Parses a `bls1...` address argument.
pub(crate) fn parse_address(s: &str) -> anyhow::Result<Address> {
    Address::parse(s).with_context(|| "expected a bls1... address")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert!(parse_duration("ten").is_err());
        assert!(parse_duration("18446744073709551615m").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("65536"), Ok(65536));
        assert_eq!(parse_size("64KiB"), Ok(64 << 10));
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert!(parse_size("1TB").is_err());
        assert!(parse_size("MiB").is_err());
    }
}
