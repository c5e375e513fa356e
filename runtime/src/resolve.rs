//! Name resolution for guests' HTTP requests: the resolver the worker asks once per request
//! (the answer is then vetted and pinned, see `destination.rs`), and the operator's fixed
//! answers (`[http] resolve` in the worker config, like curl's `--resolve`).

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use futures::future::BoxFuture;

/// Resolves a host name to addresses. The runtime calls it once per request and connects
/// only to addresses from that one answer.
pub trait NameResolver: Send + Sync {
    /// Every address `host` resolves to (`port` is the request's, for resolvers that care).
    fn lookup<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> BoxFuture<'a, std::io::Result<Vec<IpAddr>>>;
}

/// The operating system's resolver (`getaddrinfo` through tokio).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemResolver;

impl NameResolver for SystemResolver {
    fn lookup<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> BoxFuture<'a, std::io::Result<Vec<IpAddr>>> {
        Box::pin(async move {
            Ok(tokio::net::lookup_host((host, port))
                .await?
                .map(|a| a.ip())
                .collect())
        })
    }
}

/// Why a `name=IP[,IP…]` entry is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostsEntryError {
    /// No `=`.
    #[error("{0:?}: expected name=IP[,IP...]")]
    Syntax(String),
    /// The name is not a DNS name (after the URL parser's normalization).
    #[error("{0:?}: not a DNS name")]
    BadName(String),
    /// An address does not parse.
    #[error("{entry:?}: {addr:?} is not an IP address")]
    BadAddress {
        /// The entry.
        entry: String,
        /// The part that is not an address.
        addr: String,
    },
}

/// Fixed answers for some names (normalized: lowercase, IDNA, no trailing dot); every other
/// name goes to the fallback resolver. The answers pass the same public-address check as
/// DNS answers: pinning a name to a private address does not by itself allow it.
#[derive(Clone)]
pub struct StaticHosts {
    hosts: BTreeMap<String, Vec<IpAddr>>,
    fallback: Arc<dyn NameResolver>,
}

impl fmt::Debug for StaticHosts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticHosts")
            .field("hosts", &self.hosts)
            .finish_non_exhaustive()
    }
}

/// Lowercase, IDNA-mapped, without one trailing dot: the form a URL's host takes.
fn normalize_name(name: &str) -> Option<String> {
    match url::Host::parse(name).ok()? {
        url::Host::Domain(d) => Some(d.strip_suffix('.').unwrap_or(&d).to_string()),
        _ => None,
    }
}

/// Parses one `name=IP[,IP...]` entry.
pub fn parse_hosts_entry(entry: &str) -> Result<(String, Vec<IpAddr>), HostsEntryError> {
    let (name, addrs) = entry
        .split_once('=')
        .ok_or_else(|| HostsEntryError::Syntax(entry.to_string()))?;
    let name =
        normalize_name(name.trim()).ok_or_else(|| HostsEntryError::BadName(entry.to_string()))?;
    let addrs = addrs
        .split(',')
        .map(|a| {
            let a = a.trim();
            let bare = a
                .strip_prefix('[')
                .and_then(|a| a.strip_suffix(']'))
                .unwrap_or(a);
            bare.parse::<IpAddr>()
                .map_err(|_| HostsEntryError::BadAddress {
                    entry: entry.to_string(),
                    addr: a.to_string(),
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((name, addrs))
}

impl StaticHosts {
    /// `entries` (`name=IP[,IP...]`) in front of `fallback`. A name listed twice gets the
    /// addresses of both entries.
    pub fn new(
        entries: &[String],
        fallback: Arc<dyn NameResolver>,
    ) -> Result<Self, HostsEntryError> {
        let mut hosts: BTreeMap<String, Vec<IpAddr>> = BTreeMap::new();
        for e in entries {
            let (name, addrs) = parse_hosts_entry(e)?;
            hosts.entry(name).or_default().extend(addrs);
        }
        Ok(StaticHosts { hosts, fallback })
    }
}

impl NameResolver for StaticHosts {
    fn lookup<'a>(
        &'a self,
        host: &'a str,
        port: u16,
    ) -> BoxFuture<'a, std::io::Result<Vec<IpAddr>>> {
        let key = host.strip_suffix('.').unwrap_or(host);
        match self.hosts.get(key) {
            Some(addrs) => Box::pin(std::future::ready(Ok(addrs.clone()))),
            None => self.fallback.lookup(host, port),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_parse_and_bad_ones_are_refused() {
        assert_eq!(
            parse_hosts_entry("API.Example.com.=127.0.0.1, [::1]").unwrap(),
            (
                "api.example.com".to_string(),
                vec!["127.0.0.1".parse().unwrap(), "::1".parse().unwrap()]
            )
        );
        assert!(matches!(
            parse_hosts_entry("api.example.com"),
            Err(HostsEntryError::Syntax(_))
        ));
        assert!(matches!(
            parse_hosts_entry("=1.2.3.4"),
            Err(HostsEntryError::BadName(_))
        ));
        assert!(matches!(
            parse_hosts_entry("1.2.3.4=1.2.3.4"),
            Err(HostsEntryError::BadName(_))
        ));
        assert!(matches!(
            parse_hosts_entry("a.example.com=localhost"),
            Err(HostsEntryError::BadAddress { .. })
        ));
        assert!(matches!(
            parse_hosts_entry("a.example.com="),
            Err(HostsEntryError::BadAddress { .. })
        ));
    }

    #[tokio::test]
    async fn listed_names_answer_from_the_table_others_fall_back() {
        struct Never;
        impl NameResolver for Never {
            fn lookup<'a>(
                &'a self,
                _: &'a str,
                _: u16,
            ) -> BoxFuture<'a, std::io::Result<Vec<IpAddr>>> {
                Box::pin(std::future::ready(Err(std::io::Error::other("fallback"))))
            }
        }
        let hosts = StaticHosts::new(&["a.example.com=10.0.0.1".into()], Arc::new(Never)).unwrap();
        let got = hosts.lookup("a.example.com.", 80).await.unwrap();
        assert_eq!(got, vec!["10.0.0.1".parse::<IpAddr>().unwrap()]);
        assert!(hosts.lookup("b.example.com", 80).await.is_err());
    }
}
