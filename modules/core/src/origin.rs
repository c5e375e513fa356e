//! HTTP origins (`scheme://host:port`) as manifests list them and the worker matches them.
//!
//! String prefixes are never compared: `https://api.x.com` must not admit
//! `https://api.x.com.evil.net` or `https://api.x.com@evil.net`. URLs are parsed and
//! scheme, host and port compared as values. The chain validates manifest origins with the
//! same parser the worker uses, so a deployed manifest is never one a worker would refuse.

use std::net::IpAddr;

use url::Url;

/// Host part of an origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OriginHost {
    /// A DNS name (lowercase, IDNA-normalized by the URL parser).
    Domain(String),
    /// An IP literal. Listing one is an explicit grant, even for private addresses.
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
    /// Parses an allowlist entry: `scheme://host[:port]` with at most a trailing `/`.
    pub fn parse(entry: &str) -> Result<Origin, OriginError> {
        let (url, origin) = request_origin(entry)?;
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return Err(OriginError::NotAnOrigin);
        }
        Ok(origin)
    }

    /// True when this origin is an IP literal (an explicit grant for that address).
    pub fn is_ip_literal(&self) -> bool {
        matches!(self.host, OriginHost::Ip(_))
    }
}

/// Finds the allowlist entry that exactly matches `origin`.
pub fn find_allowed<'a>(allowlist: &'a [Origin], origin: &Origin) -> Option<&'a Origin> {
    allowlist.iter().find(|o| *o == origin)
}
