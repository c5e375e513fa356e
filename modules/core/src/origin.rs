//! HTTP origins (`scheme://host:port`) as manifests list them and the worker matches them.
//!
//! String prefixes are never compared: `https://api.x.com` must not admit
//! `https://api.x.com.evil.net` or `https://api.x.com@evil.net`. URLs are parsed and
//! scheme, host and port compared as values. The chain validates manifest origins with the
//! same parser the worker uses, so a deployed manifest is never one a worker would refuse.
//!
//! An origin must name the public internet ([`Origin::check_public`]): an IP literal in any
//! spelling the URL parser accepts (`2130706433`, `0x7f.1`, `127.1`, `[::ffff:127.0.0.1]`,
//! percent-encoded, with a trailing dot) is judged after normalization by
//! [`crate::public_ip`], and a name by [`crate::public_name`]. There is no on-chain
//! exception: reaching a private service is the worker operator's decision (its own
//! config), never a deployer's.

use std::net::IpAddr;

use url::Url;

use crate::public_ip::{self, NonPublic};
use crate::public_name::{self, LocalName};

/// Host part of an origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OriginHost {
    /// A DNS name (lowercase, IDNA-normalized by the URL parser).
    Domain(String),
    /// An IP literal (IPv4 in any spelling the URL parser accepts, or bracketed IPv6).
    Ip(IpAddr),
}

/// One allowed `scheme://host:port`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// `http` or `https`.
    pub scheme: String,
    /// Host name or address.
    pub host: OriginHost,
    /// Port (the scheme's default when the entry has none).
    pub port: u16,
}

/// Why a string is not an acceptable origin (or request URL).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OriginError {
    /// Not a URL.
    #[error("not a URL: {0}")]
    Parse(String),
    /// Only http and https are supported.
    #[error("scheme must be http or https")]
    Scheme,
    /// No host.
    #[error("missing host")]
    NoHost,
    /// `user:pass@` is not allowed.
    #[error("userinfo is not allowed")]
    UserInfo,
    /// An origin has no path, query or fragment.
    #[error("an origin has no path, query or fragment")]
    NotAnOrigin,
    /// The host is an IP literal outside the public internet.
    #[error("{ip} is not a public address: {reason}")]
    NonPublicAddress {
        /// The address, as the URL parser normalized it.
        ip: IpAddr,
        /// The range it falls in.
        reason: NonPublic,
    },
    /// The host is a name that can only mean this machine or a private network.
    #[error("{name:?} is not a public host name: {reason}")]
    LocalName {
        /// The name, as the URL parser normalized it.
        name: String,
        /// Why.
        reason: LocalName,
    },
}

fn host_of(url: &Url) -> Result<OriginHost, OriginError> {
    // The URL parser has already normalized the host (lowercase, IDNA, IPv4 forms such
    // as `0x7f.1`); IPv6 literals come back bracketed.
    let host = url.host_str().ok_or(OriginError::NoHost)?;
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    match bare.parse::<IpAddr>() {
        Ok(ip) => Ok(OriginHost::Ip(ip)),
        Err(_) if host.is_empty() => Err(OriginError::NoHost),
        Err(_) => Ok(OriginHost::Domain(host.to_string())),
    }
}

/// Parses a URL and extracts its origin, rejecting non-http(s) schemes and userinfo.
pub fn request_origin(raw: &str) -> Result<(Url, Origin), OriginError> {
    let url = Url::parse(raw).map_err(|e| OriginError::Parse(e.to_string()))?;
    let scheme = url.scheme();
    if scheme != "http" && scheme != "https" {
        return Err(OriginError::Scheme);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(OriginError::UserInfo);
    }
    let host = host_of(&url)?;
    let port = url.port_or_known_default().ok_or(OriginError::NoHost)?;
    let origin = Origin {
        scheme: scheme.to_string(),
        host,
        port,
    };
    Ok((url, origin))
}

impl Origin {
    /// Parses an allowlist entry: `scheme://host[:port]` with at most a trailing `/`, whose
    /// host must be public ([`Origin::check_public`]).
    pub fn parse(entry: &str) -> Result<Origin, OriginError> {
        let (url, origin) = request_origin(entry)?;
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err(OriginError::NotAnOrigin);
        }
        origin.check_public()?;
        Ok(origin)
    }

    /// Refuses a host that cannot be on the public internet: an IP literal in a
    /// special-purpose range, or a local-only name. A name that passes may still resolve to
    /// a private address; the worker checks every answer before it connects.
    pub fn check_public(&self) -> Result<(), OriginError> {
        match &self.host {
            OriginHost::Ip(ip) => match public_ip::non_public(*ip) {
                Some(reason) => Err(OriginError::NonPublicAddress { ip: *ip, reason }),
                None => Ok(()),
            },
            OriginHost::Domain(name) => match public_name::local_name(name) {
                Some(reason) => Err(OriginError::LocalName {
                    name: name.chars().take(253).collect(),
                    reason,
                }),
                None => Ok(()),
            },
        }
    }

    /// The host as it appears in a URL (IPv6 bracketed).
    pub fn host_text(&self) -> String {
        match &self.host {
            OriginHost::Domain(d) => d.clone(),
            OriginHost::Ip(IpAddr::V6(ip)) => format!("[{ip}]"),
            OriginHost::Ip(ip) => ip.to_string(),
        }
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}://{}:{}", self.scheme, self.host_text(), self.port)
    }
}

/// Finds the allowlist entry that exactly matches `origin`.
pub fn find_allowed<'a>(allowlist: &'a [Origin], origin: &Origin) -> Option<&'a Origin> {
    allowlist.iter().find(|o| *o == origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every spelling of a non-public address or local name the URL parser accepts is
    /// refused as an allowlist entry, with an error naming why.
    #[test]
    fn attack_ssrf_non_public_origins_in_every_spelling_are_refused() {
        for (entry, normalized) in [
            ("http://169.254.169.254", "169.254.169.254"),
            ("http://169.254.169.254/", "169.254.169.254"),
            ("http://127.0.0.1:26657", "127.0.0.1"),
            ("http://127.0.0.1:9464", "127.0.0.1"),
            ("http://2130706433", "127.0.0.1"),
            ("http://017700000001", "127.0.0.1"),
            ("http://0x7f000001", "127.0.0.1"),
            ("http://0x7f.1", "127.0.0.1"),
            ("http://0x7F.0.0.1", "127.0.0.1"),
            ("http://0177.0.0.1", "127.0.0.1"),
            ("http://127.1", "127.0.0.1"),
            ("http://127.0.1", "127.0.0.1"),
            ("http://127.0.0.1.", "127.0.0.1"),
            ("http://%31%32%37.0.0.1", "127.0.0.1"),
            ("http://%31%32%37%2e%30%2e%30%2e%31", "127.0.0.1"),
            ("http://0", "0.0.0.0"),
            ("http://0.0.0.0:26657", "0.0.0.0"),
            ("http://2852039166", "169.254.169.254"),
            ("http://0xa9.0xfe.0xa9.0xfe", "169.254.169.254"),
            ("http://10.0.0.1", "10.0.0.1"),
            ("http://172.16.5.4", "172.16.5.4"),
            ("http://192.168.0.1:8080", "192.168.0.1"),
            ("http://100.64.0.1", "100.64.0.1"),
            ("http://224.0.0.1", "224.0.0.1"),
            ("http://255.255.255.255", "255.255.255.255"),
            ("http://192.0.2.1", "192.0.2.1"),
            ("http://[::1]", "::1"),
            ("http://[::]:80", "::"),
            ("http://[0:0:0:0:0:0:0:1]", "::1"),
            ("http://[::ffff:127.0.0.1]", "::ffff:127.0.0.1"),
            ("http://[::ffff:7f00:1]:26657", "::ffff:127.0.0.1"),
            ("https://[::ffff:a9fe:a9fe]", "::ffff:169.254.169.254"),
            ("http://[::127.0.0.1]", "::7f00:1"),
            ("http://[64:ff9b::a9fe:a9fe]", "64:ff9b::a9fe:a9fe"),
            ("http://[2002:7f00:1::]", "2002:7f00:1::"),
            ("http://[fe80::1]", "fe80::1"),
            ("http://[fd00:ec2::254]", "fd00:ec2::254"),
            ("http://[ff02::1]", "ff02::1"),
            ("http://[2001:db8::1]", "2001:db8::1"),
        ] {
            match Origin::parse(entry) {
                Err(OriginError::NonPublicAddress { ip, reason }) => {
                    assert_eq!(ip.to_string(), normalized, "{entry}");
                    let msg = OriginError::NonPublicAddress { ip, reason }.to_string();
                    assert!(
                        msg.contains("not a public address") && msg.contains("RFC"),
                        "{msg}"
                    );
                }
                other => panic!("{entry}: {other:?}"),
            }
        }
        for (entry, normalized) in [
            ("http://localhost", "localhost"),
            ("http://LOCALHOST:8080", "localhost"),
            ("http://localhost.", "localhost."),
            ("http://loc%61lhost", "localhost"),
            ("http://ｌｏｃａｌｈｏｓｔ", "localhost"),
            ("http://api.localhost:26657", "api.localhost"),
            ("http://printer.local", "printer.local"),
            (
                "http://metadata.google.internal",
                "metadata.google.internal",
            ),
            ("http://metadata", "metadata"),
            ("https://router.home.arpa", "router.home.arpa"),
            ("http://localhost.localdomain", "localhost.localdomain"),
            ("http://nas.lan", "nas.lan"),
        ] {
            match Origin::parse(entry) {
                Err(OriginError::LocalName { name, reason }) => {
                    assert_eq!(name, normalized, "{entry}");
                    let msg = OriginError::LocalName { name, reason }.to_string();
                    assert!(msg.contains("not a public host name"), "{msg}");
                }
                other => panic!("{entry}: {other:?}"),
            }
        }
    }

    #[test]
    fn public_origins_are_accepted() {
        for (entry, text) in [
            ("https://93.184.215.14", "https://93.184.215.14:443"),
            ("https://example.com", "https://example.com:443"),
            (
                "https://API.Example.com:8443/",
                "https://api.example.com:8443",
            ),
            ("http://[2606:4700::1111]", "http://[2606:4700::1111]:80"),
            (
                "https://[::ffff:5db8:d70e]",
                "https://[::ffff:93.184.215.14]:443",
            ),
            ("http://1.1.1.1:8080", "http://1.1.1.1:8080"),
        ] {
            let o = Origin::parse(entry).unwrap_or_else(|e| panic!("{entry}: {e}"));
            assert_eq!(o.to_string(), text);
        }
    }

    #[test]
    fn request_urls_parse_without_the_public_check() {
        // A request URL names whatever the guest asks for; the allowlist decides.
        let (_, o) = request_origin("http://127.0.0.1:8080/x").unwrap();
        assert_eq!(o.host, OriginHost::Ip("127.0.0.1".parse().unwrap()));
        assert!(o.check_public().is_err());
    }
}
