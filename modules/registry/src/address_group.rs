//! A worker's address group: the network prefix of the address it registered, which
//! placement caps at one seat per subnetwork (`bls-orchestration`'s placement rule).
//!
//! Region and network labels are free text; a prefix at least comes from the multiaddrs the
//! worker registered (and serves p2p on). The group is the IPv4 /24 or IPv6 /48 of the first
//! multiaddr whose address is publicly routable. IPv6 forms that carry an IPv4 address
//! (IPv4-mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) count as that IPv4
//! address, so one /24 cannot appear as many groups. A worker without a routable IP
//! multiaddr (DNS names, loopback, private or reserved addresses, none at all) is
//! [`AddressGroup::Unknown`], which placement does not cap: it is not one group (lumping every
//! such worker together would let one hidden-address sybil take the seat of every honest
//! worker behind NAT or a DNS name). The cost: an operator can escape the address cap by
//! hiding its addresses — it is then held by the operator cap, the region cap and its bond
//! only, as before addresses were counted. Listing more addresses never helps: only the first
//! routable one counts.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// The prefix a worker is grouped by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AddressGroup {
    /// An IPv4 /24 (its first three octets).
    V4([u8; 3]),
    /// An IPv6 /48 (its first six bytes).
    V6([u8; 6]),
    /// No publicly routable IP multiaddr (not a group: placement does not cap it).
    Unknown,
}

impl fmt::Display for AddressGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AddressGroup::V4([a, b, c]) => write!(f, "{a}.{b}.{c}.0/24"),
            AddressGroup::V6(p) => {
                let mut seg = [0u8; 16];
                seg[..6].copy_from_slice(p);
                write!(f, "{}/48", Ipv6Addr::from(seg))
            }
            AddressGroup::Unknown => f.write_str("unknown"),
        }
    }
}

/// The group of a worker that registered `multiaddrs` (in registration order).
pub fn group_of(multiaddrs: &[String]) -> AddressGroup {
    multiaddrs
        .iter()
        .find_map(|m| group_of_multiaddr(m))
        .unwrap_or(AddressGroup::Unknown)
}

/// The group of one multiaddr (`/ip4/<addr>/...` or `/ip6/<addr>/...`), if routable.
fn group_of_multiaddr(m: &str) -> Option<AddressGroup> {
    let mut parts = m.strip_prefix('/')?.split('/');
    match (parts.next()?, parts.next()?) {
        ("ip4", a) => v4_group(a.parse().ok()?),
        ("ip6", a) => v6_group(a.parse().ok()?),
        _ => None,
    }
}

fn v4_group(ip: Ipv4Addr) -> Option<AddressGroup> {
    if !v4_routable(ip) {
        return None;
    }
    let [a, b, c, _] = ip.octets();
    Some(AddressGroup::V4([a, b, c]))
}

fn v6_group(ip: Ipv6Addr) -> Option<AddressGroup> {
    let o = ip.octets();
    if let Some(v4) = embedded_v4(&ip) {
        return v4_group(v4);
    }
    // Global unicast is 2000::/3; within it, documentation (2001:db8::/32), Teredo
    // (2001::/32, whose client address is obfuscated) and ORCHID/benchmarking ranges under
    // 2001::/23 are not a host's own routable prefix.
    let global = o[0] & 0xe0 == 0x20;
    let special = o[0] == 0x20 && o[1] == 0x01 && o[2] < 0x02;
    let documentation = o[..4] == [0x20, 0x01, 0x0d, 0xb8];
    if !global || special || documentation {
        return None;
    }
    let mut p = [0u8; 6];
    p.copy_from_slice(&o[..6]);
    Some(AddressGroup::V6(p))
}

/// The IPv4 address an IPv6 form carries: IPv4-mapped, NAT64 well-known prefix, 6to4.
fn embedded_v4(ip: &Ipv6Addr) -> Option<Ipv4Addr> {
    let o = ip.octets();
    let tail = Ipv4Addr::new(o[12], o[13], o[14], o[15]);
    if o[..10] == [0; 10] && o[10] == 0xff && o[11] == 0xff {
        return Some(tail);
    }
    if o[..12] == [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0] {
        return Some(tail);
    }
    if o[0] == 0x20 && o[1] == 0x02 {
        return Some(Ipv4Addr::new(o[2], o[3], o[4], o[5]));
    }
    None
}

/// Publicly routable IPv4: not 0/8, private (10/8, 172.16/12, 192.168/16), shared (100.64/10),
/// loopback, link-local, IETF protocol assignments (192.0.0/24), documentation, 6to4 relay
/// anycast (192.88.99/24), benchmarking (198.18/15), multicast, reserved (240/4), broadcast.
fn v4_routable(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(a == 0
        || a == 10
        || (a == 100 && (64..128).contains(&b))
        || a == 127
        || (a == 169 && b == 254)
        || (a == 172 && (16..32).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 192 && b == 0 && c == 2)
        || (a == 192 && b == 88 && c == 99)
        || (a == 192 && b == 168)
        || (a == 198 && (18..20).contains(&b))
        || (a == 198 && b == 51 && c == 100)
        || (a == 203 && b == 0 && c == 113)
        || a >= 224)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(addrs: &[&str]) -> String {
        group_of(&addrs.iter().map(|s| s.to_string()).collect::<Vec<_>>()).to_string()
    }

    #[test]
    fn first_routable_address_decides() {
        assert_eq!(g(&["/ip4/45.1.2.3/tcp/4001"]), "45.1.2.0/24");
        assert_eq!(
            g(&[
                "/ip4/127.0.0.1/tcp/1",
                "/ip4/10.0.0.1/tcp/1",
                "/ip4/45.1.2.3/udp/1/quic-v1"
            ]),
            "45.1.2.0/24"
        );
        assert_eq!(
            g(&["/ip4/45.1.2.3/tcp/1", "/ip4/46.1.2.3/tcp/1"]),
            "45.1.2.0/24"
        );
        assert_eq!(g(&["/ip6/2a01:4f8:1:2::1/tcp/1"]), "2a01:4f8:1::/48");
    }

    #[test]
    fn ipv4_in_ipv6_clothing_is_the_same_group() {
        let v4 = g(&["/ip4/45.1.2.3/tcp/1"]);
        assert_eq!(g(&["/ip6/::ffff:45.1.2.9/tcp/1"]), v4);
        assert_eq!(g(&["/ip6/64:ff9b::2d01:209/tcp/1"]), v4);
        assert_eq!(g(&["/ip6/2002:2d01:0207::1/tcp/1"]), v4);
    }

    #[test]
    fn unroutable_or_unnamed_is_unknown() {
        for a in [
            "/ip4/127.0.0.1/tcp/1",
            "/ip4/10.1.2.3/tcp/1",
            "/ip4/172.20.0.1/tcp/1",
            "/ip4/192.168.1.1/tcp/1",
            "/ip4/100.64.0.1/tcp/1",
            "/ip4/169.254.1.1/tcp/1",
            "/ip4/203.0.113.7/tcp/1",
            "/ip4/0.1.2.3/tcp/1",
            "/ip4/224.0.0.1/tcp/1",
            "/ip4/255.255.255.255/tcp/1",
            "/ip6/::1/tcp/1",
            "/ip6/fe80::1/tcp/1",
            "/ip6/fd00::1/tcp/1",
            "/ip6/2001:db8::1/tcp/1",
            "/ip6/2001:0:1::1/tcp/1",
            "/ip6/::ffff:10.0.0.1/tcp/1",
            "/dns4/example.com/tcp/1",
            "/ip4/not-an-ip/tcp/1",
            "garbage",
        ] {
            assert_eq!(g(&[a]), "unknown", "{a}");
        }
        assert_eq!(g(&[]), "unknown");
    }
}
