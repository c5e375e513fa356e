//! HTTP allowlist: exact scheme/host/port origins and the private-address rule.
//!
//! String prefixes are never compared: `https://api.x.com` must not admit
//! `https://api.x.com.evil.net` or `https://api.x.com@evil.net`. URLs are parsed and
//! scheme, host and port compared as values.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub use bls_core::origin::{find_allowed, request_origin, Origin, OriginError, OriginHost};

/// True for addresses on the public internet. Loopback, private, link-local, CGNAT,
/// multicast, documentation, benchmarking, reserved and unspecified ranges are not.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || o[0] == 0
        || (o[0] == 100 && (o[1] & 0xc0) == 64) // 100.64.0.0/10 carrier-grade NAT
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // 192.0.0.0/24 IETF protocol assignments
        || (o[0] == 198 && (o[1] & 0xfe) == 18) // 198.18.0.0/15 benchmarking
        || o[0] >= 240) // 240.0.0.0/4 reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // fc00::/7 unique local
        || (s[0] & 0xffc0) == 0xfe80 // fe80::/10 link-local
        || (s[0] & 0xffc0) == 0xfec0 // fec0::/10 site-local (deprecated)
        || (s[0] == 0x2001 && s[1] == 0x0db8) // 2001:db8::/32 documentation
        || (s[0] == 0x0064 && s[1] == 0xff9b) // 64:ff9b::/96 NAT64 can reach private v4
        || (s[0] == 0 && s[1] == 0 && s[2] == 0 && s[3] == 0 && s[4] == 0 && s[5] == 0))
    // ::/96 v4-compatible
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allow(entries: &[&str]) -> Vec<Origin> {
        entries.iter().map(|e| Origin::parse(e).unwrap()).collect()
    }

    fn allowed(list: &[Origin], url: &str) -> bool {
        match request_origin(url) {
            Ok((_, o)) => find_allowed(list, &o).is_some(),
            Err(_) => false,
        }
    }

    #[test]
    fn exact_match_only() {
        let list = allow(&["https://api.example.com", "http://127.0.0.1:8080"]);
        assert!(allowed(&list, "https://api.example.com/v1?q=1"));
        assert!(allowed(&list, "https://API.example.com:443/"));
        assert!(allowed(&list, "http://127.0.0.1:8080/x"));
        assert!(!allowed(&list, "https://api.example.com.evil.net/"));
        assert!(!allowed(&list, "https://api.example.com@evil.net/"));
        assert!(!allowed(&list, "https://evil.net/?https://api.example.com"));
        assert!(!allowed(&list, "http://api.example.com/"));
        assert!(!allowed(&list, "https://api.example.com:8443/"));
        assert!(!allowed(&list, "http://127.0.0.1:8081/"));
        assert!(!allowed(&list, "http://localhost:8080/"));
        assert!(!allowed(&list, "file:///etc/passwd"));
    }

    #[test]
    fn origin_entries_are_plain() {
        assert!(Origin::parse("https://a.example/").is_ok());
        assert_eq!(
            Origin::parse("https://a.example/p"),
            Err(OriginError::NotAnOrigin)
        );
        assert_eq!(Origin::parse("ftp://a.example"), Err(OriginError::Scheme));
        assert_eq!(
            Origin::parse("https://u:p@a.example"),
            Err(OriginError::UserInfo)
        );
        assert!(Origin::parse("not a url").is_err());
        assert!(Origin::parse("http://[::1]:80").unwrap().is_ip_literal());
    }

    #[test]
    fn private_ranges() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "64:ff9b::a00:1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["1.1.1.1", "93.184.216.34", "2606:4700::1111"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }
}
