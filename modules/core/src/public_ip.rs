//! Which IP addresses are on the public internet: the one definition the chain (judging
//! manifest origins) and the worker (judging every address a request would connect to) share.
//!
//! An address is public unless it falls in one of the special-purpose ranges below, each
//! named with the RFC that reserves it (after IANA's IPv4 and IPv6 Special-Purpose Address
//! Registries). IPv6 forms that carry an IPv4 address to a v4 host — IPv4-mapped, the NAT64
//! well-known prefix, 6to4 — are judged by the IPv4 address they carry, so
//! `::ffff:127.0.0.1` is loopback. Forms whose final destination cannot be read from the
//! address (Teredo, IPv4-compatible, local-use NAT64) are refused outright, and so is every
//! IPv6 address outside global unicast `2000::/3`.
//!
//! Ranges whose registry entry is marked "globally reachable" (AS112, AMT) are public. The
//! whole of `192.0.0.0/24` and `2001::/23` is refused: their few anycast services are not
//! something a function needs, and a narrower rule would have to track every assignment.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A special-purpose address range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpecialRange {
    /// The prefix, e.g. `127.0.0.0/8`.
    pub prefix: &'static str,
    /// What the range is for, e.g. `loopback`.
    pub name: &'static str,
    /// The document that reserves it, e.g. `RFC 1122`.
    pub rfc: &'static str,
}

impl fmt::Display for SpecialRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} ({})", self.name, self.prefix, self.rfc)
    }
}

/// Why an address is not public: the range it is in, and for an IPv6 form that carries an
/// IPv4 address, that form and the address it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NonPublic {
    /// The range the (carried) address falls in.
    pub range: &'static SpecialRange,
    /// The IPv6 form and the IPv4 address it carries, when the verdict is about that address.
    pub via: Option<(&'static SpecialRange, Ipv4Addr)>,
}

impl fmt::Display for NonPublic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.via {
            Some((form, v4)) => write!(f, "{form} carrying {v4}, which is {}", self.range),
            None => write!(f, "{}", self.range),
        }
    }
}

struct V4Row {
    net: u32,
    len: u32,
    range: SpecialRange,
}

const fn v4(
    net: [u8; 4],
    len: u32,
    prefix: &'static str,
    name: &'static str,
    rfc: &'static str,
) -> V4Row {
    V4Row {
        net: u32::from_be_bytes(net),
        len,
        range: SpecialRange { prefix, name, rfc },
    }
}

/// IPv4 ranges that are not public. Order matters only for the name reported (the first
/// match wins): the broadcast address sits inside `240.0.0.0/4`.
#[rustfmt::skip]
const V4_RANGES: &[V4Row] = &[
    v4([0, 0, 0, 0], 8, "0.0.0.0/8", "\"this network\" (0.0.0.0 reaches this host)", "RFC 1122"),
    v4([10, 0, 0, 0], 8, "10.0.0.0/8", "private network", "RFC 1918"),
    v4([100, 64, 0, 0], 10, "100.64.0.0/10", "shared address space (carrier-grade NAT)", "RFC 6598"),
    v4([127, 0, 0, 0], 8, "127.0.0.0/8", "loopback", "RFC 1122"),
    v4([169, 254, 0, 0], 16, "169.254.0.0/16", "link-local (cloud metadata services live here)", "RFC 3927"),
    v4([172, 16, 0, 0], 12, "172.16.0.0/12", "private network", "RFC 1918"),
    v4([192, 0, 0, 0], 24, "192.0.0.0/24", "IETF protocol assignments", "RFC 6890"),
    v4([192, 0, 2, 0], 24, "192.0.2.0/24", "documentation (TEST-NET-1)", "RFC 5737"),
    v4([192, 88, 99, 0], 24, "192.88.99.0/24", "6to4 relay anycast (deprecated)", "RFC 7526"),
    v4([192, 168, 0, 0], 16, "192.168.0.0/16", "private network", "RFC 1918"),
    v4([198, 18, 0, 0], 15, "198.18.0.0/15", "benchmarking", "RFC 2544"),
    v4([198, 51, 100, 0], 24, "198.51.100.0/24", "documentation (TEST-NET-2)", "RFC 5737"),
    v4([203, 0, 113, 0], 24, "203.0.113.0/24", "documentation (TEST-NET-3)", "RFC 5737"),
    v4([224, 0, 0, 0], 4, "224.0.0.0/4", "multicast", "RFC 5771"),
    v4([255, 255, 255, 255], 32, "255.255.255.255/32", "limited broadcast", "RFC 919"),
    v4([240, 0, 0, 0], 4, "240.0.0.0/4", "reserved", "RFC 1112"),
];

/// What an IPv6 row decides.
#[derive(Clone, Copy)]
enum V6Rule {
    /// Not public.
    Refuse,
    /// Judged by the IPv4 address in bits `shift .. shift + 32` counted from the low end.
    CarriesV4 { shift: u32 },
}

struct V6Row {
    net: u128,
    len: u32,
    range: SpecialRange,
    rule: V6Rule,
}

const fn v6(
    net: u128,
    len: u32,
    prefix: &'static str,
    name: &'static str,
    rfc: &'static str,
    rule: V6Rule,
) -> V6Row {
    V6Row {
        net,
        len,
        range: SpecialRange { prefix, name, rfc },
        rule,
    }
}

const REFUSE: V6Rule = V6Rule::Refuse;

/// IPv6 ranges with a rule; the first match wins (`::` and `::1` sit inside `::/96`).
#[rustfmt::skip]
const V6_RANGES: &[V6Row] = &[
    v6(0, 128, "::/128", "unspecified", "RFC 4291", REFUSE),
    v6(1, 128, "::1/128", "loopback", "RFC 4291", REFUSE),
    v6(0xffff_0000_0000, 96, "::ffff:0:0/96", "IPv4-mapped", "RFC 4291", V6Rule::CarriesV4 { shift: 0 }),
    v6(0, 96, "::/96", "IPv4-compatible (deprecated)", "RFC 4291", REFUSE),
    v6(0x0064_ff9b << 96, 96, "64:ff9b::/96", "NAT64 well-known prefix", "RFC 6052", V6Rule::CarriesV4 { shift: 0 }),
    v6((0x0064_ff9b_0001u128) << 80, 48, "64:ff9b:1::/48", "local-use NAT64", "RFC 8215", REFUSE),
    v6(0x0100 << 112, 64, "100::/64", "discard-only", "RFC 6666", REFUSE),
    v6(0x2001 << 112, 32, "2001::/32", "Teredo", "RFC 4380", REFUSE),
    v6(0x2001 << 112, 23, "2001::/23", "IETF protocol assignments (incl. benchmarking)", "RFC 2928", REFUSE),
    v6(0x2001_0db8 << 96, 32, "2001:db8::/32", "documentation", "RFC 3849", REFUSE),
    v6(0x2002 << 112, 16, "2002::/16", "6to4", "RFC 3056", V6Rule::CarriesV4 { shift: 80 }),
    v6(0x3fff << 112, 20, "3fff::/20", "documentation", "RFC 9637", REFUSE),
    v6(0x5f00 << 112, 16, "5f00::/16", "segment routing (SRv6) SIDs", "RFC 9602", REFUSE),
    v6(0xfc00 << 112, 7, "fc00::/7", "unique local", "RFC 4193", REFUSE),
    v6(0xfe80 << 112, 10, "fe80::/10", "link-local", "RFC 4291", REFUSE),
    v6(0xfec0 << 112, 10, "fec0::/10", "site-local (deprecated)", "RFC 3879", REFUSE),
    v6(0xff00 << 112, 8, "ff00::/8", "multicast", "RFC 4291", REFUSE),
];

/// Everything outside global unicast is reserved by the IETF.
const GLOBAL_UNICAST: V6Row = v6(
    0x2000 << 112,
    3,
    "2000::/3",
    "outside global unicast 2000::/3 (IETF reserved)",
    "RFC 4291",
    REFUSE,
);

fn in_prefix_v4(ip: u32, net: u32, len: u32) -> bool {
    let mask = u32::MAX.checked_shl(32 - len).unwrap_or(0);
    ip & mask == net & mask
}

fn in_prefix_v6(ip: u128, net: u128, len: u32) -> bool {
    let mask = u128::MAX.checked_shl(128 - len).unwrap_or(0);
    ip & mask == net & mask
}

fn non_public_v4(ip: Ipv4Addr) -> Option<&'static SpecialRange> {
    let bits = u32::from(ip);
    V4_RANGES
        .iter()
        .find(|r| in_prefix_v4(bits, r.net, r.len))
        .map(|r| &r.range)
}

fn non_public_v6(ip: Ipv6Addr) -> Option<NonPublic> {
    let bits = u128::from(ip);
    let Some(row) = V6_RANGES.iter().find(|r| in_prefix_v6(bits, r.net, r.len)) else {
        if in_prefix_v6(bits, GLOBAL_UNICAST.net, GLOBAL_UNICAST.len) {
            return None;
        }
        return Some(NonPublic {
            range: &GLOBAL_UNICAST.range,
            via: None,
        });
    };
    match row.rule {
        V6Rule::Refuse => Some(NonPublic {
            range: &row.range,
            via: None,
        }),
        V6Rule::CarriesV4 { shift } => {
            // Truncation keeps exactly the 32 bits the form carries.
            let v4 = Ipv4Addr::from((bits >> shift) as u32);
            non_public_v4(v4).map(|range| NonPublic {
                range,
                via: Some((&row.range, v4)),
            })
        }
    }
}

/// Why `ip` is not a public internet address, or `None` when it is.
pub fn non_public(ip: IpAddr) -> Option<NonPublic> {
    match ip {
        IpAddr::V4(v4) => non_public_v4(v4).map(|range| NonPublic { range, via: None }),
        IpAddr::V6(v6) => non_public_v6(v6),
    }
}

/// True for addresses on the public internet (see the module docs for what is not).
pub fn is_public(ip: IpAddr) -> bool {
    non_public(ip).is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(ip: &str) -> Option<NonPublic> {
        non_public(ip.parse().expect(ip))
    }

    /// Every range refuses its own first and last address, and the reason names the range.
    #[test]
    fn attack_ssrf_every_special_range_is_refused_at_both_ends() {
        for r in V4_RANGES {
            let first = Ipv4Addr::from(r.net);
            let last = Ipv4Addr::from(r.net | u32::MAX.checked_shr(r.len).unwrap_or(0));
            for ip in [first, last] {
                let v = non_public(IpAddr::V4(ip)).unwrap_or_else(|| panic!("{ip} public"));
                assert!(v.range.prefix.contains('/'), "{ip}");
            }
        }
        for r in V6_RANGES {
            if matches!(r.rule, V6Rule::CarriesV4 { .. }) {
                continue;
            }
            let first = Ipv6Addr::from(r.net);
            let last = Ipv6Addr::from(r.net | u128::MAX.checked_shr(r.len).unwrap_or(0));
            for ip in [first, last] {
                assert!(non_public(IpAddr::V6(ip)).is_some(), "{ip} public");
            }
        }
    }

    #[test]
    fn attack_ssrf_private_and_special_addresses_are_not_public() {
        for (ip, range) in [
            ("127.0.0.1", "127.0.0.0/8"),
            ("127.255.255.254", "127.0.0.0/8"),
            ("0.0.0.0", "0.0.0.0/8"),
            ("0.1.2.3", "0.0.0.0/8"),
            ("10.1.2.3", "10.0.0.0/8"),
            ("172.16.0.1", "172.16.0.0/12"),
            ("172.31.255.255", "172.16.0.0/12"),
            ("192.168.1.1", "192.168.0.0/16"),
            ("169.254.169.254", "169.254.0.0/16"),
            ("100.64.0.1", "100.64.0.0/10"),
            ("100.127.255.255", "100.64.0.0/10"),
            ("192.0.0.8", "192.0.0.0/24"),
            ("192.0.2.1", "192.0.2.0/24"),
            ("198.18.0.1", "198.18.0.0/15"),
            ("198.19.255.255", "198.18.0.0/15"),
            ("198.51.100.7", "198.51.100.0/24"),
            ("203.0.113.9", "203.0.113.0/24"),
            ("192.88.99.1", "192.88.99.0/24"),
            ("224.0.0.1", "224.0.0.0/4"),
            ("239.255.255.250", "224.0.0.0/4"),
            ("240.0.0.1", "240.0.0.0/4"),
            ("255.255.255.255", "255.255.255.255/32"),
            ("::", "::/128"),
            ("::1", "::1/128"),
            ("::127.0.0.1", "::/96"),
            ("::8.8.8.8", "::/96"),
            ("fd00::1", "fc00::/7"),
            ("fc00::1", "fc00::/7"),
            ("fe80::1", "fe80::/10"),
            ("febf::1", "fe80::/10"),
            ("fec0::1", "fec0::/10"),
            ("ff02::1", "ff00::/8"),
            ("100::1", "100::/64"),
            ("2001:db8::1", "2001:db8::/32"),
            ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001::/32"),
            ("2001:2::1", "2001::/23"),
            ("2001:1ff::1", "2001::/23"),
            ("3fff::1", "3fff::/20"),
            ("5f00::1", "5f00::/16"),
            ("64:ff9b:1::a00:1", "64:ff9b:1::/48"),
            ("4000::1", "2000::/3"),
            ("1::1", "2000::/3"),
        ] {
            let v = verdict(ip).unwrap_or_else(|| panic!("{ip} judged public"));
            assert!(v.range.prefix == range, "{ip}: {v}");
            assert!(v.via.is_none(), "{ip}");
        }
    }

    #[test]
    fn attack_ssrf_ipv6_forms_are_judged_by_the_ipv4_they_carry() {
        for (ip, carried, range) in [
            ("::ffff:127.0.0.1", "127.0.0.1", "127.0.0.0/8"),
            ("::ffff:7f00:1", "127.0.0.1", "127.0.0.0/8"),
            (
                "::ffff:169.254.169.254",
                "169.254.169.254",
                "169.254.0.0/16",
            ),
            ("::ffff:10.0.0.1", "10.0.0.1", "10.0.0.0/8"),
            ("::ffff:0.0.0.0", "0.0.0.0", "0.0.0.0/8"),
            ("64:ff9b::10.0.0.1", "10.0.0.1", "10.0.0.0/8"),
            ("64:ff9b::7f00:1", "127.0.0.1", "127.0.0.0/8"),
            ("2002:7f00:1::1", "127.0.0.1", "127.0.0.0/8"),
            ("2002:a9fe:a9fe::", "169.254.169.254", "169.254.0.0/16"),
            ("2002:c0a8:0101:1::1", "192.168.1.1", "192.168.0.0/16"),
        ] {
            let v = verdict(ip).unwrap_or_else(|| panic!("{ip} judged public"));
            assert_eq!(v.range.prefix, range, "{ip}: {v}");
            let (_, v4) = v.via.unwrap_or_else(|| panic!("{ip}: no carried address"));
            assert_eq!(v4.to_string(), carried, "{ip}");
            assert!(v.to_string().contains(carried), "{v}");
        }
        // The same forms carrying a public address are public.
        for ip in [
            "::ffff:93.184.215.14",
            "64:ff9b::5db8:d70e",
            "2002:5db8:d70e::1",
        ] {
            assert!(verdict(ip).is_none(), "{ip}");
        }
    }

    #[test]
    fn public_addresses_are_public() {
        for ip in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.215.14",
            "100.63.255.255",
            "100.128.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "192.0.1.255",
            "192.167.255.255",
            "192.169.0.0",
            "198.17.255.255",
            "198.20.0.0",
            "223.255.255.255",
            "2606:4700::1111",
            "2001:4860:4860::8888",
            "2a00:1450:4001::1",
            "2001:200::1",
        ] {
            assert!(verdict(ip).is_none(), "{ip}: {:?}", verdict(ip));
        }
    }

    #[test]
    fn reason_names_range_and_rfc() {
        let v = verdict("169.254.169.254").unwrap();
        assert_eq!(
            v.to_string(),
            "link-local (cloud metadata services live here) 169.254.0.0/16 (RFC 3927)"
        );
        let v = verdict("::ffff:127.0.0.1").unwrap();
        assert_eq!(
            v.to_string(),
            "IPv4-mapped ::ffff:0:0/96 (RFC 4291) carrying 127.0.0.1, which is loopback 127.0.0.0/8 (RFC 1122)"
        );
    }
}
