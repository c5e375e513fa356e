//! Host names that can only mean this machine or a private network, which a manifest may
//! not list as an HTTP origin.
//!
//! The chain cannot resolve DNS (answers differ between validators and over time), so it
//! judges names by their text alone: it refuses the special-use and private-use names below
//! and single-label names (resolved through a worker's search domains or hosts file, never
//! through the public DNS). Every other name is left to the worker, which resolves it and
//! refuses the request unless every answer is a public address
//! ([`crate::public_ip::is_public`]).

use std::fmt;

/// A reserved name suffix: the name itself and every name under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalSuffix {
    /// The suffix without leading dot, e.g. `localhost`, `home.arpa`.
    pub suffix: &'static str,
    /// What names under it mean.
    pub meaning: &'static str,
    /// The document that reserves it.
    pub source: &'static str,
}

const fn row(suffix: &'static str, meaning: &'static str, source: &'static str) -> LocalSuffix {
    LocalSuffix {
        suffix,
        meaning,
        source,
    }
}

/// Suffixes that never name a host on the public internet; the first match is reported.
#[rustfmt::skip]
const LOCAL_SUFFIXES: &[LocalSuffix] = &[
    row("localhost", "this machine", "RFC 6761"),
    row("localdomain", "this machine's hosts-file domain", "hosts(5) convention"),
    row("local", "multicast DNS on the local link", "RFC 6762"),
    row("home.arpa", "a residential network", "RFC 8375"),
    row("arpa", "DNS infrastructure, no hosts", "RFC 3172"),
    row("internal", "a private network", "ICANN private-use TLD (2024)"),
    row("lan", "a private network", "RFC 6762 appendix G"),
    row("home", "a private network", "RFC 6762 appendix G"),
    row("corp", "a private network", "RFC 6762 appendix G"),
    row("intranet", "a private network", "RFC 6762 appendix G"),
    row("private", "a private network", "RFC 6762 appendix G"),
    row("test", "testing; resolved only by local configuration", "RFC 6761"),
    row("invalid", "a name that must never resolve", "RFC 6761"),
    row("example", "documentation; resolved only by local configuration", "RFC 6761"),
    row("onion", "Tor onion services, not DNS", "RFC 7686"),
    row("alt", "non-DNS name spaces", "RFC 9476"),
];

/// Why a host name is not a public one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalName {
    /// The name is, or is under, a reserved suffix.
    Reserved(&'static LocalSuffix),
    /// The name has one label (`intranet-api`, `metadata`): resolved through search domains
    /// or the hosts file of whoever resolves it.
    SingleLabel,
}

impl fmt::Display for LocalName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LocalName::Reserved(s) => write!(
                f,
                "names under .{} mean {} ({})",
                s.suffix, s.meaning, s.source
            ),
            LocalName::SingleLabel => write!(
                f,
                "a single-label name is resolved through the resolver's search domains or hosts \
                 file, not the public DNS (ICANN SAC053)"
            ),
        }
    }
}

/// Why the DNS name `host` cannot be a public host, or `None` when only resolving it can
/// tell. `host` is compared as given; pass the URL parser's normalized (lowercase, IDNA)
/// form. One trailing dot (the fully qualified spelling) is ignored.
pub fn local_name(host: &str) -> Option<LocalName> {
    let name = host.strip_suffix('.').unwrap_or(host);
    if let Some(s) = LOCAL_SUFFIXES.iter().find(|s| {
        name == s.suffix
            || name
                .strip_suffix(s.suffix)
                .is_some_and(|head| head.ends_with('.'))
    }) {
        return Some(LocalName::Reserved(s));
    }
    if !name.contains('.') {
        return Some(LocalName::SingleLabel);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attack_ssrf_local_names_are_refused() {
        for (host, suffix) in [
            ("localhost", Some("localhost")),
            ("localhost.", Some("localhost")),
            ("api.localhost", Some("localhost")),
            ("localhost.localdomain", Some("localdomain")),
            ("printer.local", Some("local")),
            ("router.home.arpa", Some("home.arpa")),
            ("1.0.0.127.in-addr.arpa", Some("arpa")),
            ("metadata.google.internal", Some("internal")),
            ("nas.lan", Some("lan")),
            ("db.corp", Some("corp")),
            ("x.test", Some("test")),
            ("x.invalid", Some("invalid")),
            ("api.example", Some("example")),
            ("abc.onion", Some("onion")),
            ("metadata", None),
            ("intranet-api", None),
            ("kubernetes", None),
        ] {
            let v = local_name(host).unwrap_or_else(|| panic!("{host} accepted"));
            match (v, suffix) {
                (LocalName::Reserved(s), Some(want)) => assert_eq!(s.suffix, want, "{host}"),
                (LocalName::SingleLabel, None) => {}
                (v, want) => panic!("{host}: {v:?}, wanted {want:?}"),
            }
        }
    }

    #[test]
    fn public_looking_names_are_left_to_the_worker() {
        for host in [
            "example.com",
            "api.example.com",
            "example.com.",
            "notlocalhost.com",
            "localhost.example.com",
            "mylocal.net",
            "internal.example.org",
            "xn--bcher-kva.com",
        ] {
            assert_eq!(local_name(host), None, "{host}");
        }
    }
}
