//! Operator settings of a runtime: [`RuntimeConfig`] (pool, memory, cache), [`HttpConfig`]
//! (the `bls_http` extension's limits and private destinations) and [`HttpSection`], the
//! `[http]` table of `bls-worker`'s `config.toml` (also built from `bls function run`'s
//! flags) that yields an [`HttpConfig`].

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::allowlist::is_public;
use crate::resolve::{NameResolver, StaticHosts, SystemResolver};

/// Operator settings of a runtime. Defaults suit a small (2-core) machine.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// Directory for compiled artifacts; `None` keeps the cache in memory only.
    pub cache_dir: Option<PathBuf>,
    /// Bytes of compiled artifacts kept in `cache_dir` (least recently used removed first).
    pub disk_cache_max_bytes: u64,
    /// Jobs that may run at once (pool slots for instances, memories and stacks).
    pub max_concurrent_jobs: u32,
    /// Largest linear memory any job may get; manifests asking for more are refused.
    pub max_memory_bytes: u64,
    /// Bytes of each memory slot kept resident between jobs (≥ 2 MiB for Rust guests).
    pub memory_keep_resident: usize,
    /// Maximum wasm stack size in bytes.
    pub max_wasm_stack: usize,
    /// Epoch tick: the granularity of wall-clock deadlines and of guest yields.
    pub epoch_tick: Duration,
    /// Modules kept instantiated-ready in memory.
    pub module_cache_capacity: usize,
    /// Bytes of compiled code those modules may hold in memory (deployed code is outside
    /// input: a count alone would let large modules take the memory).
    pub module_cache_bytes: usize,
    /// Limits of the `bls_http` extension.
    pub http: HttpConfig,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self {
            cache_dir: None,
            disk_cache_max_bytes: 4 << 30,
            max_concurrent_jobs: 16,
            max_memory_bytes: 1 << 30,
            memory_keep_resident: 2 << 20,
            max_wasm_stack: 512 << 10,
            epoch_tick: Duration::from_millis(10),
            module_cache_capacity: 256,
            module_cache_bytes: 512 << 20,
            http: HttpConfig::default(),
        }
    }
}

/// Operator-side settings of the HTTP extension.
#[derive(Clone)]
pub struct HttpConfig {
    /// Largest response body handed to a guest.
    pub max_response_bytes: usize,
    /// Largest encoded request (method, URL, headers and body) a guest may send.
    pub max_request_bytes: usize,
    /// Most requests one job may make.
    pub max_requests_per_job: u32,
    /// Timeout of one request, name resolution included (the job's own deadline still
    /// applies on top).
    pub request_timeout: Duration,
    /// Private destinations (address and port) guests may reach although they are not
    /// public: the worker operator's explicit opt-in (`[http] allow_private`), for a service
    /// the operator means to offer. Empty by default; manifests can never grant this.
    pub allow_private: Vec<SocketAddr>,
    /// Resolves request host names, once per request.
    pub resolver: Arc<dyn NameResolver>,
    /// False when the operator does not offer outbound HTTP (`[worker] http_allowed =
    /// false`): every request is denied, whatever the manifest allows.
    pub enabled: bool,
}

impl fmt::Debug for HttpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpConfig")
            .field("max_response_bytes", &self.max_response_bytes)
            .field("max_request_bytes", &self.max_request_bytes)
            .field("max_requests_per_job", &self.max_requests_per_job)
            .field("request_timeout", &self.request_timeout)
            .field("allow_private", &self.allow_private)
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            max_response_bytes: 1 << 20,
            max_request_bytes: (1 << 20) + (64 << 10),
            max_requests_per_job: 16,
            request_timeout: Duration::from_secs(30),
            allow_private: Vec::new(),
            resolver: Arc::new(SystemResolver),
            enabled: true,
        }
    }
}

/// `[http]`: what functions' outbound HTTP may reach beyond the public internet.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpSection {
    /// Private destinations `IP:PORT` (`[IPv6]:PORT`) functions on this worker may reach,
    /// e.g. a service the operator runs for them. Empty (the default): every address a
    /// request resolves to must be public. Manifests can never grant this.
    pub allow_private: Vec<String>,
    /// Fixed answers `name=IP[,IP...]` used instead of DNS for these names (like curl's
    /// `--resolve`). The answers are checked like DNS answers: a private one is refused
    /// unless `allow_private` lists it.
    pub resolve: Vec<String>,
}

impl HttpSection {
    /// The `allow_private` entries, parsed.
    pub fn allow_private(&self) -> Result<Vec<SocketAddr>, String> {
        self.allow_private
            .iter()
            .map(|e| {
                let addr: SocketAddr = e
                    .parse()
                    .map_err(|_| format!("{e:?} is not IP:PORT (IPv6 as [IP]:PORT)"))?;
                if addr.port() == 0 {
                    return Err(format!("{e:?}: port must not be 0"));
                }
                if is_public(addr.ip()) {
                    return Err(format!(
                        "{e:?} is a public address; list only private destinations"
                    ));
                }
                Ok(addr)
            })
            .collect()
    }

    /// The runtime's HTTP settings for this section (defaults for everything else).
    pub fn runtime_config(&self) -> Result<HttpConfig, String> {
        let allow_private = self.allow_private()?;
        let resolver: Arc<dyn NameResolver> = if self.resolve.is_empty() {
            Arc::new(SystemResolver)
        } else {
            Arc::new(
                StaticHosts::new(&self.resolve, Arc::new(SystemResolver))
                    .map_err(|e| e.to_string())?,
            )
        };
        Ok(HttpConfig {
            allow_private,
            resolver,
            ..HttpConfig::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_section_admits_only_private_destinations_with_a_port() {
        let s = |allow: &[&str]| HttpSection {
            allow_private: allow.iter().map(|a| a.to_string()).collect(),
            resolve: Vec::new(),
        };
        let ok = s(&["127.0.0.1:8080", "[fd00::1]:443"])
            .allow_private()
            .unwrap();
        assert_eq!(ok.len(), 2);
        assert!(
            s(&["8.8.8.8:53"]).allow_private().is_err(),
            "public address"
        );
        assert!(s(&["127.0.0.1:0"]).allow_private().is_err(), "port 0");
        assert!(s(&["127.0.0.1"]).allow_private().is_err(), "no port");
        assert!(HttpSection::default()
            .runtime_config()
            .unwrap()
            .allow_private
            .is_empty());
    }

    #[test]
    fn http_section_resolve_entries_are_checked() {
        let s = |entry: &str| HttpSection {
            allow_private: Vec::new(),
            resolve: vec![entry.to_string()],
        };
        assert!(s("api.example.com=127.0.0.1").runtime_config().is_ok());
        assert!(s("no-equals-sign").runtime_config().is_err());
        assert!(s("api.example.com=not-an-ip").runtime_config().is_err());
    }
}
