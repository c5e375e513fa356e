//! Where a guest's HTTP request may connect, decided once per request and then enforced.
//!
//! The allowlist match (`allowlist.rs`) says which origin a request is for; this file
//! decides which addresses it may reach:
//! 1. The host the HTTP stack will connect to (the URL re-parsed as an `http::Uri`, as
//!    reqwest does) must be the allowed origin's: the same address, or the same name up to
//!    ASCII case, and the same port. No parser differential can point it elsewhere.
//! 2. A name is resolved once, by the runtime's [`NameResolver`]. Every answer must be a
//!    public address ([`bls_core::public_ip`]) or a destination the worker operator listed
//!    in `allow_private`; a single other answer denies the request (an attacker controlling
//!    the DNS answers must not win by putting a private address anywhere in the list).
//! 3. The connection goes to the vetted addresses only: the HTTP client's resolver is
//!    [`Pinned`], which answers the vetted name with the vetted addresses and refuses every
//!    other name, so nothing is ever resolved a second time (no DNS-rebinding window).
//!
//! The `Host` header and TLS SNI still carry the origin's name: only the lookup is replaced.

use std::net::{IpAddr, SocketAddr};

use bls_core::public_ip::non_public;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::Url;

use crate::allowlist::{Origin, OriginHost};
use crate::config::HttpConfig;

/// Why a request may not go out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The destination is not allowed (the guest gets `Denied`).
    Denied(String),
    /// The name could not be resolved (the guest gets `Network`).
    Unresolved(String),
}

fn strip_brackets(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

/// Checks that the host and port the HTTP stack will use are the allowed origin's.
fn check_same_host(allowed: &Origin, url: &Url) -> Result<(), Refusal> {
    let uri: http::Uri = url
        .as_str()
        .parse()
        .map_err(|e| Refusal::Denied(format!("the URL does not re-parse for sending: {e}")))?;
    let host = uri.host().map(strip_brackets).unwrap_or("");
    let port = uri.port_u16().or_else(|| match uri.scheme_str() {
        Some("https") => Some(443),
        Some("http") => Some(80),
        _ => None,
    });
    let same_host = match &allowed.host {
        OriginHost::Ip(ip) => host.parse::<IpAddr>().ok() == Some(*ip),
        OriginHost::Domain(name) => host.eq_ignore_ascii_case(name),
    };
    if !same_host || port != Some(allowed.port) {
        return Err(Refusal::Denied(format!(
            "the request would connect to {host}:{} but the allowlist matched {allowed}",
            port.map(|p| p.to_string()).unwrap_or_default()
        )));
    }
    Ok(())
}

/// True when the operator's `allow_private` lists `ip:port` (IPv4-mapped IPv6 compares equal
/// to its IPv4 address).
fn operator_allows(config: &HttpConfig, ip: IpAddr, port: u16) -> bool {
    config
        .allow_private
        .iter()
        .any(|a| a.port() == port && a.ip().to_canonical() == ip.to_canonical())
}

/// Decides where a request for `url`, which matched the allowlist entry `allowed`, may
/// connect (see the module docs); the answer is the resolver the HTTP client must use.
pub(crate) async fn vet(
    config: &HttpConfig,
    allowed: &Origin,
    url: &Url,
) -> Result<Pinned, Refusal> {
    check_same_host(allowed, url)?;
    let port = allowed.port;
    let (name, addrs) = match &allowed.host {
        OriginHost::Ip(ip) => (None, vec![*ip]),
        OriginHost::Domain(domain) => {
            let lookup = config.resolver.lookup(domain, port);
            let addrs = tokio::time::timeout(config.request_timeout, lookup)
                .await
                .map_err(|_| Refusal::Unresolved(format!("resolve {domain}: timed out")))?
                .map_err(|e| Refusal::Unresolved(format!("resolve {domain}: {e}")))?;
            if addrs.is_empty() {
                return Err(Refusal::Unresolved(format!(
                    "resolve {domain}: no addresses"
                )));
            }
            (Some(domain.clone()), addrs)
        }
    };
    for ip in &addrs {
        let Some(reason) = non_public(*ip) else {
            continue;
        };
        if operator_allows(config, *ip, port) {
            continue;
        }
        let subject = match &name {
            Some(domain) => format!("{domain} resolves to {ip}, which"),
            None => ip.to_string(),
        };
        return Err(Refusal::Denied(format!(
            "{subject} is not a public address ({reason}); only the worker operator can allow a \
             private destination ([http] allow_private)"
        )));
    }
    Ok(Pinned { name, addrs })
}

/// The HTTP client's resolver for one request: the vetted name answers with the vetted
/// addresses, anything else is an error (an IP-literal request has no name to resolve).
#[derive(Debug, Clone)]
pub(crate) struct Pinned {
    name: Option<String>,
    addrs: Vec<IpAddr>,
}

impl Resolve for Pinned {
    fn resolve(&self, name: Name) -> Resolving {
        let result: Result<Addrs, Box<dyn std::error::Error + Send + Sync>> = match &self.name {
            Some(vetted) if vetted.eq_ignore_ascii_case(name.as_str()) => {
                // Port 0: the client puts the URL's port in.
                let addrs: Addrs = Box::new(
                    self.addrs
                        .clone()
                        .into_iter()
                        .map(|ip| SocketAddr::new(ip, 0)),
                );
                Ok(addrs)
            }
            _ => Err(format!("{} was not vetted for this request", name.as_str()).into()),
        };
        Box::pin(std::future::ready(result))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::allowlist::request_origin;

    fn check(entry: &str, url: &str) -> Result<(), Refusal> {
        let allowed = Origin::parse(entry).unwrap();
        let (url, _) = request_origin(url).unwrap();
        check_same_host(&allowed, &url)
    }

    #[test]
    fn the_sending_host_is_the_allowed_one() {
        assert_eq!(
            check("https://api.example.com", "https://API.example.com/x"),
            Ok(())
        );
        assert_eq!(
            check(
                "http://[2606:4700::1111]:8080",
                "http://[2606:4700:0::1111]:8080/"
            ),
            Ok(())
        );
        assert_eq!(
            check(
                "https://[::ffff:5db8:d70e]",
                "https://[::ffff:93.184.215.14]/"
            ),
            Ok(())
        );
        assert_eq!(check("http://93.184.215.14", "http://1572394766/"), Ok(()));
        assert!(matches!(
            check("https://api.example.com", "https://api.example.org/"),
            Err(Refusal::Denied(_))
        ));
        assert!(matches!(
            check("https://api.example.com", "https://api.example.com:444/"),
            Err(Refusal::Denied(_))
        ));
    }

    #[tokio::test]
    async fn pinned_resolver_answers_only_the_vetted_name() {
        let p = Pinned {
            name: Some("api.example.com".into()),
            addrs: vec!["93.184.215.14".parse().unwrap()],
        };
        let ok: Vec<SocketAddr> = p
            .resolve("api.example.com".parse().unwrap())
            .await
            .unwrap()
            .collect();
        assert_eq!(ok, vec!["93.184.215.14:0".parse::<SocketAddr>().unwrap()]);
        assert!(p
            .resolve("evil.example.com".parse().unwrap())
            .await
            .is_err());
        let literal = Pinned {
            name: None,
            addrs: vec![],
        };
        assert!(literal
            .resolve("api.example.com".parse().unwrap())
            .await
            .is_err());
    }
}
