//! The worker's `config.toml`: where the chain is, who the worker says it is, how much it
//! runs at once, where it keeps code and how it reports.
//!
//! `bls-worker init` writes [`Config::to_toml`] (every field, commented); `bls-worker start`
//! reads it with [`Config::load`]. Unknown keys are rejected so a typo never silently
//! falls back to a default. Relative paths are resolved against the worker's home.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use bls_client::KeyringBackend;
use bls_runtime::{parse_hosts_entry, HttpSection};
use serde::{Deserialize, Serialize};

/// File name of the config inside the home directory.
pub const CONFIG_FILE: &str = "config.toml";
/// Name of the worker's key in its keyring (`<home>/keyring`).
pub const KEY_NAME: &str = "worker";

/// Why the config could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Reading or writing the file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The TOML does not parse into a config.
    #[error("{path}: {reason}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        reason: String,
    },
    /// A value is out of range.
    #[error("{path}: {field}: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The offending key.
        field: &'static str,
        /// Why.
        reason: String,
    },
}

/// The whole config file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// How to reach the chain.
    pub chain: ChainConfig,
    /// What this worker registers as.
    pub worker: WorkerConfig,
    /// Execution settings.
    pub runtime: RuntimeSection,
    /// Metrics endpoint.
    pub metrics: MetricsConfig,
    /// Logging.
    pub log: LogConfig,
    /// Functions' outbound HTTP (optional section; defaults allow nothing private).
    #[serde(default)]
    pub http: HttpSection,
    /// Fast-path answer store limits (optional section).
    #[serde(default)]
    pub fastpath: FastPathSection,
    /// How the worker key is stored (optional section; default: encrypted).
    #[serde(default)]
    pub keyring: KeyringSection,
    /// `[ipfs]`: where function code deployed through IPFS is fetched.
    #[serde(default)]
    pub ipfs: IpfsSection,
}

/// `[keyring]`: how the worker key (`<home>/keyring/worker.json`) is kept and opened.
/// `bls-worker start` never prompts: an encrypted key's passphrase comes from
/// `passphrase_file` or `$BLS_KEYRING_PASSPHRASE`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KeyringSection {
    /// `file`: encrypted under a passphrase (scrypt + AES-256-GCM); `test`: UNENCRYPTED,
    /// devnets and CI only.
    pub backend: KeyringBackend,
    /// File whose first line is the passphrase (relative to the home); empty: the
    /// `BLS_KEYRING_PASSPHRASE` environment variable.
    pub passphrase_file: PathBuf,
}

/// `[chain]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainConfig {
    /// CometBFT RPC URL (HTTP), e.g. `http://127.0.0.1:26657`.
    pub rpc_url: String,
    /// CometBFT websocket URL; empty derives `ws://<rpc host:port>/websocket`.
    pub websocket_url: String,
    /// Chain id; empty reads it from the node's status at start.
    pub chain_id: String,
    /// Price per unit of gas, e.g. `0.025ubls`.
    pub gas_price: String,
    /// Simulated gas is multiplied by this (decimal) to get the gas limit.
    pub gas_adjustment: String,
    /// Most messages the signer puts into one transaction.
    pub max_msgs_per_tx: usize,
    /// Largest transaction the chain takes: the smaller of the auth param `max_tx_bytes` and
    /// the nodes' CometBFT `mempool.max_tx_bytes`. A job whose reveal would not fit is not
    /// committed (a commit that cannot be revealed is slashed as withholding).
    #[serde(default = "default_max_tx_bytes")]
    pub max_tx_bytes: u64,
}

/// CometBFT's default `mempool.max_tx_bytes` (below the chain's default auth param, 2 MiB).
pub const DEFAULT_MAX_TX_BYTES: u64 = 1 << 20;

fn default_max_tx_bytes() -> u64 {
    DEFAULT_MAX_TX_BYTES
}

/// `[fastpath]`: bounds of the store of signed fast-path answers
/// ([`crate::daemon::answers`]). Every answer is kept until its request expires, so these
/// bound what heads can make this worker hold; a work order that would exceed one is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FastPathSection {
    /// Most answers held at once.
    pub answers_max: usize,
    /// Most bytes of answers held at once, in MiB.
    pub answers_max_mb: u64,
    /// Most bytes of answers to one head's work orders held at once, in MiB (one head cannot
    /// fill the store for the others).
    pub answers_head_quota_mb: u64,
}

impl Default for FastPathSection {
    fn default() -> Self {
        FastPathSection {
            answers_max: 100_000,
            answers_max_mb: 1024,
            answers_head_quota_mb: 256,
        }
    }
}

impl FastPathSection {
    /// The answer store limits these settings give.
    pub fn limits(&self) -> crate::daemon::answers::AnswerLimits {
        crate::daemon::answers::AnswerLimits {
            max_answers: self.answers_max,
            max_bytes: self.answers_max_mb.saturating_mul(1 << 20),
            head_quota_bytes: self.answers_head_quota_mb.saturating_mul(1 << 20),
        }
    }
}

/// `[ipfs]`: the IPFS node (kubo RPC API) this worker fetches code deployed through IPFS
/// from. Bytes from it are used only when their sha256 is the chain's code hash; when it lacks
/// the content, registered peers that have it are asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IpfsSection {
    /// RPC API URL; "" = no IPFS node (code on IPFS then comes from peers only).
    pub api_url: String,
    /// Seconds one fetch from the node may take.
    pub timeout_secs: u64,
}

impl Default for IpfsSection {
    fn default() -> Self {
        IpfsSection {
            api_url: bls_client::ipfs::DEFAULT_IPFS_API.into(),
            timeout_secs: 60,
        }
    }
}

impl IpfsSection {
    /// The client of the configured node (`None` when `api_url` is empty).
    pub fn client(&self) -> Result<Option<bls_client::ipfs::IpfsClient>, String> {
        if self.api_url.is_empty() {
            return Ok(None);
        }
        bls_client::ipfs::IpfsClient::new(
            &self.api_url,
            std::time::Duration::from_secs(self.timeout_secs.max(1)),
        )
        .map(Some)
        .map_err(|e| e.to_string())
    }
}

/// `[worker]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerConfig {
    /// `worker` or `head`.
    pub role: String,
    /// Region label, e.g. `eu-west`: placement gives one region at most half of a
    /// subnetwork's seats (a label never earns a seat).
    pub region: String,
    /// Network label: ASN (`AS13335`) or /24 subnet, for queries and the dashboard; placement
    /// groups workers by the /24 of their registered multiaddrs instead.
    pub network: String,
    /// Bond posted by `start --register`, e.g. `1000000ubls`.
    pub bond: String,
    /// Largest linear memory one job may get, in MiB (advertised and enforced).
    pub memory_mb: u64,
    /// Longest job timeout accepted, in milliseconds (advertised).
    pub max_timeout_ms: u64,
    /// Whether functions may make outbound HTTP requests on this worker (advertised, so
    /// placement only puts HTTP functions here when true; enforced by the runtime).
    pub http_allowed: bool,
    /// Jobs executing at once; further assignments wait (the follower pauses).
    pub max_concurrent_jobs: u32,
    /// Seconds a graceful shutdown waits for committed jobs to be revealed.
    pub shutdown_grace_secs: u64,
}

/// `[runtime]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuntimeSection {
    /// Directory of verified code blobs and compiled modules (relative to home).
    pub code_cache_dir: PathBuf,
    /// MiB of code blobs, and separately of compiled modules, kept there (least recently used
    /// removed first).
    #[serde(default = "default_code_cache_max_mb")]
    pub code_cache_max_mb: u64,
    /// Host directory offered read-only at `/data` to functions with filesystem
    /// permission; empty for none.
    pub data_dir: PathBuf,
}

fn default_code_cache_max_mb() -> u64 {
    4096
}

/// `[metrics]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    /// Address serving Prometheus `/metrics`; empty disables it.
    pub listen: String,
}

/// `[log]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// `text` or `json`.
    pub format: String,
    /// Filter when `BLS_LOG` is unset, e.g. `info` or `bls_worker=debug,info`.
    pub level: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            chain: ChainConfig {
                rpc_url: "http://127.0.0.1:26657".into(),
                websocket_url: String::new(),
                chain_id: String::new(),
                gas_price: "0.025ubls".into(),
                gas_adjustment: "1.5".into(),
                max_msgs_per_tx: 16,
                max_tx_bytes: DEFAULT_MAX_TX_BYTES,
            },
            worker: WorkerConfig {
                role: "worker".into(),
                region: "local".into(),
                network: "AS0".into(),
                bond: "100000000ubls".into(),
                memory_mb: 256,
                max_timeout_ms: 60_000,
                http_allowed: false,
                max_concurrent_jobs: 4,
                shutdown_grace_secs: 20,
            },
            runtime: RuntimeSection {
                code_cache_dir: PathBuf::from("code"),
                code_cache_max_mb: default_code_cache_max_mb(),
                data_dir: PathBuf::new(),
            },
            metrics: MetricsConfig {
                listen: "127.0.0.1:9464".into(),
            },
            log: LogConfig {
                format: "text".into(),
                level: "info".into(),
            },
            http: HttpSection::default(),
            fastpath: FastPathSection::default(),
            keyring: KeyringSection::default(),
            ipfs: IpfsSection::default(),
        }
    }
}

impl Config {
    /// Reads and validates `<home>/config.toml`.
    pub fn load(home: &Path) -> Result<Config, ConfigError> {
        let path = home.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Io {
            path: path.clone(),
            source,
        })?;
        Self::load_str(&text, &path)
    }

    /// Parses and validates `text`, the contents of `path`.
    pub fn load_str(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        config.validate(path)?;
        Ok(config)
    }

    /// Checks values a typo could break.
    pub fn validate(&self, path: &Path) -> Result<(), ConfigError> {
        let invalid = |field, reason: String| ConfigError::Invalid {
            path: path.to_path_buf(),
            field,
            reason,
        };
        if !matches!(self.worker.role.as_str(), "worker" | "head") {
            return Err(invalid(
                "worker.role",
                format!("{:?} is not `worker` or `head`", self.worker.role),
            ));
        }
        if self.worker.max_concurrent_jobs == 0 {
            return Err(invalid("worker.max_concurrent_jobs", "must be ≥ 1".into()));
        }
        if self.worker.memory_mb == 0 {
            return Err(invalid("worker.memory_mb", "must be ≥ 1".into()));
        }
        self.ipfs.client().map_err(|e| invalid("ipfs.api_url", e))?;
        if self.ipfs.timeout_secs == 0 {
            return Err(invalid("ipfs.timeout_secs", "must be ≥ 1".into()));
        }
        if self.chain.max_msgs_per_tx == 0 {
            return Err(invalid("chain.max_msgs_per_tx", "must be ≥ 1".into()));
        }
        if self.chain.max_tx_bytes < 4096 {
            return Err(invalid("chain.max_tx_bytes", "must be ≥ 4096".into()));
        }
        let fp = &self.fastpath;
        if fp.answers_max == 0 || fp.answers_max_mb == 0 || fp.answers_head_quota_mb == 0 {
            return Err(invalid(
                "fastpath",
                "answers_max, answers_max_mb and answers_head_quota_mb must be ≥ 1".into(),
            ));
        }
        if !matches!(self.log.format.as_str(), "text" | "json") {
            return Err(invalid(
                "log.format",
                format!("{:?} is not `text` or `json`", self.log.format),
            ));
        }
        if !self.metrics.listen.is_empty() {
            self.metrics
                .listen
                .parse::<SocketAddr>()
                .map_err(|e| invalid("metrics.listen", e.to_string()))?;
        }
        self.http
            .allow_private()
            .map_err(|e| invalid("http.allow_private", e))?;
        for e in &self.http.resolve {
            parse_hosts_entry(e).map_err(|e| invalid("http.resolve", e.to_string()))?;
        }
        Ok(())
    }

    /// The websocket URL: the configured one, or `ws(s)://<rpc authority>/websocket`.
    pub fn websocket_url(&self) -> String {
        if !self.chain.websocket_url.is_empty() {
            return self.chain.websocket_url.clone();
        }
        let rpc = self.chain.rpc_url.trim_end_matches('/');
        let ws = if let Some(rest) = rpc.strip_prefix("https://") {
            format!("wss://{rest}")
        } else if let Some(rest) = rpc.strip_prefix("http://") {
            format!("ws://{rest}")
        } else {
            rpc.to_string()
        };
        format!("{ws}/websocket")
    }

    /// The metrics address, or `None` when disabled.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.listen.parse().ok()
    }

    /// `path` resolved against `home` when relative.
    pub fn resolve(home: &Path, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            home.join(path)
        }
    }

    /// The config as a commented TOML document (what `init` writes).
    pub fn to_toml(&self) -> String {
        let q = |s: &str| toml::Value::String(s.to_string()).to_string();
        let p = |p: &Path| q(&p.to_string_lossy());
        let list = |items: &[String]| {
            toml::Value::Array(items.iter().cloned().map(toml::Value::String).collect()).to_string()
        };
        let c = &self.chain;
        let w = &self.worker;
        format!(
            r#"# bls-worker configuration. Relative paths are relative to this file's directory.

[chain]
# CometBFT RPC of a node of the chain (HTTP).
rpc_url = {rpc_url}
# CometBFT websocket; empty = ws://<rpc_url host:port>/websocket.
websocket_url = {websocket_url}
# Chain id; empty = read from the node's status at start.
chain_id = {chain_id}
# Fee per unit of gas for the worker's transactions (commits, reveals, registration).
gas_price = {gas_price}
# Simulated gas × this = gas limit.
gas_adjustment = {gas_adjustment}
# Most messages batched into one transaction when several are queued.
max_msgs_per_tx = {max_msgs_per_tx}
# Largest tx the chain takes: min(auth param max_tx_bytes, the nodes' mempool.max_tx_bytes).
# A job whose reveal would not fit is not committed (an unrevealable commit is slashed).
max_tx_bytes = {max_tx_bytes}

[worker]
# `worker` or `head`.
role = {role}
# Region label; placement gives one region at most half of a function's subnetwork.
region = {region}
# Network label: ASN (e.g. "AS13335") or /24 subnet (informational; placement groups workers
# by the /24 of their registered multiaddrs).
network = {network}
# Bond posted by `bls-worker start --register` (slashed on wrong results).
bond = {bond}
# Capabilities advertised on chain: memory per job (MiB), longest timeout (ms), outbound HTTP.
memory_mb = {memory_mb}
max_timeout_ms = {max_timeout_ms}
http_allowed = {http_allowed}
# Jobs executing at once; more assignments wait (the follower pauses: backpressure).
max_concurrent_jobs = {max_concurrent_jobs}
# On SIGINT/SIGTERM, wait at most this many seconds to reveal already-committed jobs.
shutdown_grace_secs = {shutdown_grace_secs}

[runtime]
# Verified code blobs (<sha256>.wasm) and compiled modules.
code_cache_dir = {code_cache_dir}
# MiB of code blobs, and separately of compiled modules, kept there; the least recently used
# are removed first (a removed one is fetched or compiled again when next needed).
code_cache_max_mb = {code_cache_max_mb}
# Directory offered read-only at /data to functions with filesystem permission; "" = none.
data_dir = {data_dir}

[metrics]
# Prometheus /metrics listen address; "" disables it.
listen = {listen}

[log]
# "text" or "json".
format = {format}
# Log filter when BLS_LOG is unset.
level = {level}

[keyring]
# How the worker key (keyring/worker.json) is stored: "file" encrypts it under a passphrase
# (scrypt + AES-256-GCM); "test" stores it UNENCRYPTED (devnets and CI only). The
# --keyring-backend option or BLS_KEYRING_BACKEND overrides this.
backend = {keyring_backend}
# File whose first line is the key's passphrase; "" = the BLS_KEYRING_PASSPHRASE environment
# variable. `start` never prompts. --keyring-passphrase-file overrides this.
passphrase_file = {passphrase_file}

[http]
# Functions' outbound HTTP reaches public addresses only: every address a request's host
# resolves to must be public, or the request is denied. Private destinations this worker
# offers to functions, as "IP:PORT" ("[IPv6]:PORT"); [] = none (a manifest cannot grant one).
allow_private = {allow_private}
# Fixed answers instead of DNS, as "name=IP[,IP...]" (like curl --resolve); still checked.
resolve = {resolve}

[ipfs]
# The IPFS node (kubo RPC API) code deployed through IPFS is fetched from; "" = none (then only
# from peers). Fetched bytes run only if their sha256 is the chain's code hash.
api_url = {ipfs_api_url}
# Seconds one fetch may take.
timeout_secs = {ipfs_timeout_secs}

[fastpath]
# Signed fast-path answers are kept until their requests expire; these bound them. Work
# orders that would exceed a bound are refused (metric bls_worker_work_refusals_total).
answers_max = {answers_max}
answers_max_mb = {answers_max_mb}
# Per head: one head cannot fill the store for the others.
answers_head_quota_mb = {answers_head_quota_mb}
"#,
            rpc_url = q(&c.rpc_url),
            websocket_url = q(&c.websocket_url),
            chain_id = q(&c.chain_id),
            gas_price = q(&c.gas_price),
            gas_adjustment = q(&c.gas_adjustment),
            max_msgs_per_tx = c.max_msgs_per_tx,
            max_tx_bytes = c.max_tx_bytes,
            role = q(&w.role),
            region = q(&w.region),
            network = q(&w.network),
            bond = q(&w.bond),
            memory_mb = w.memory_mb,
            max_timeout_ms = w.max_timeout_ms,
            http_allowed = w.http_allowed,
            max_concurrent_jobs = w.max_concurrent_jobs,
            shutdown_grace_secs = w.shutdown_grace_secs,
            code_cache_dir = p(&self.runtime.code_cache_dir),
            code_cache_max_mb = self.runtime.code_cache_max_mb,
            data_dir = p(&self.runtime.data_dir),
            listen = q(&self.metrics.listen),
            format = q(&self.log.format),
            level = q(&self.log.level),
            keyring_backend = q(self.keyring.backend.as_str()),
            ipfs_api_url = q(&self.ipfs.api_url),
            ipfs_timeout_secs = self.ipfs.timeout_secs,
            passphrase_file = p(&self.keyring.passphrase_file),
            allow_private = list(&self.http.allow_private),
            resolve = list(&self.http.resolve),
            answers_max = self.fastpath.answers_max,
            answers_max_mb = self.fastpath.answers_max_mb,
            answers_head_quota_mb = self.fastpath.answers_head_quota_mb,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_config_reads_back_identically() {
        let mut c = Config::default();
        c.worker.region = "eu \"west\"".into();
        c.chain.chain_id = "bls-1".into();
        c.runtime.data_dir = PathBuf::from("/srv/data");
        c.http.allow_private = vec!["127.0.0.1:8080".into(), "[fd00::1]:443".into()];
        c.http.resolve = vec!["api.example.com=127.0.0.1".into()];
        c.keyring.backend = KeyringBackend::Test;
        c.keyring.passphrase_file = PathBuf::from("secrets/pw");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(CONFIG_FILE), c.to_toml()).unwrap();
        assert_eq!(Config::load(dir.path()).unwrap(), c);
    }

    #[test]
    fn unknown_keys_and_bad_values_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CONFIG_FILE);
        let text = Config::default().to_toml();
        std::fs::write(
            &path,
            text.replace("max_concurrent_jobs", "max_concurent_jobs"),
        )
        .unwrap();
        assert!(matches!(
            Config::load(dir.path()),
            Err(ConfigError::Parse { .. })
        ));
        std::fs::write(&path, text.replace("role = \"worker\"", "role = \"boss\"")).unwrap();
        assert!(matches!(
            Config::load(dir.path()),
            Err(ConfigError::Invalid {
                field: "worker.role",
                ..
            })
        ));
    }

    #[test]
    fn http_section_is_optional_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CONFIG_FILE);
        let text = Config::default().to_toml();
        let cut = text.find("[http]").unwrap();
        std::fs::write(&path, &text[..cut]).unwrap();
        let c = Config::load(dir.path()).unwrap();
        assert_eq!(c.http, HttpSection::default());
        assert!(c.http.runtime_config().unwrap().allow_private.is_empty());
        for (field, line) in [
            ("allow_private", "allow_private = [\"127.0.0.1\"]"),
            ("allow_private", "allow_private = [\"127.0.0.1:0\"]"),
            ("allow_private", "allow_private = [\"93.184.215.14:80\"]"),
            ("resolve", "resolve = [\"api.example.com\"]"),
            ("resolve", "resolve = [\"api.example.com=nowhere\"]"),
        ] {
            let bad = text.replace(&format!("{field} = []"), line);
            std::fs::write(&path, bad).unwrap();
            match Config::load(dir.path()) {
                Err(ConfigError::Invalid { field: f, .. }) => {
                    assert_eq!(f, format!("http.{field}"), "{line}")
                }
                other => panic!("{line}: {other:?}"),
            }
        }
    }

    #[test]
    fn keyring_section_defaults_to_encrypted_and_rejects_unknown_backends() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CONFIG_FILE);
        let text = Config::default().to_toml();
        assert!(text.contains("[keyring]\n"), "{text}");
        assert_eq!(
            Config::load_str(&text, &path).unwrap().keyring.backend,
            KeyringBackend::File
        );
        // A config written before the section existed still loads, encrypted by default.
        let start = text.find("[keyring]").unwrap();
        let end = text.find("[http]").unwrap();
        let without = format!("{}{}", &text[..start], &text[end..]);
        std::fs::write(&path, without).unwrap();
        assert_eq!(
            Config::load(dir.path()).unwrap().keyring,
            KeyringSection::default()
        );
        std::fs::write(
            &path,
            text.replace("backend = \"file\"", "backend = \"os\""),
        )
        .unwrap();
        assert!(matches!(
            Config::load(dir.path()),
            Err(ConfigError::Parse { .. })
        ));
    }

    #[test]
    fn websocket_url_derives_from_rpc() {
        let mut c = Config::default();
        c.chain.rpc_url = "http://127.0.0.1:1234/".into();
        assert_eq!(c.websocket_url(), "ws://127.0.0.1:1234/websocket");
        c.chain.rpc_url = "https://rpc.example.com".into();
        assert_eq!(c.websocket_url(), "wss://rpc.example.com/websocket");
        c.chain.websocket_url = "ws://x:1/websocket".into();
        assert_eq!(c.websocket_url(), "ws://x:1/websocket");
    }
}
