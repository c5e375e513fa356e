//! The deployed manifest: how to run a function (entry, args, env, [`Limits`],
//! [`Permissions`]). One definition for the chain, which validates it at deploy and invoke,
//! and the worker, which runs by it — so the chain never accepts a manifest a worker refuses.
//!
//! The chain stores the manifest as JSON; every field has a default so `{}` is a valid
//! manifest (run `_start` with default limits and no permissions). Unknown fields are
//! rejected so a typo never silently drops a limit or a permission.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use crate::composition::MAX_DECLARED_CALLS;
use crate::origin::{Origin, OriginError};
pub use crate::outcome::MAX_OUTPUT_BYTES;

/// Hard ceiling on a job's wall-clock timeout: 15 minutes.
pub const MAX_TIMEOUT_MS: u64 = 15 * 60 * 1000;
/// One WebAssembly page; the smallest memory limit that can run anything.
pub const WASM_PAGE_BYTES: u64 = 64 * 1024;
/// Most bytes a manifest may allow one function's linear memory (4 GiB, wasm32's limit).
pub const MAX_MEMORY_BYTES: u64 = 4 << 30;
/// Most args (manifest + invocation) a job may pass.
pub const MAX_ARGS: usize = 64;
/// Most env vars a manifest may set.
pub const MAX_ENV: usize = 64;
/// Longest single arg, env key or env value.
pub const MAX_STRING_BYTES: usize = 4096;
/// Most origins in the HTTP allowlist.
pub const MAX_HTTP_ORIGINS: usize = 16;
/// Longest entry-point name.
pub const MAX_ENTRY_BYTES: usize = 128;

/// The deployed description of how to run a function.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Manifest {
    /// Exported function to call; `_start` (a WASI command's main) when empty.
    pub entry: String,
    /// Arguments passed before the invocation's own args.
    pub args: Vec<String>,
    /// Environment variables (the guest sees these and nothing else), in key order.
    pub env: BTreeMap<String, String>,
    /// Resource limits.
    pub limits: Limits,
    /// Capabilities beyond pure computation; all denied by default.
    pub permissions: Permissions,
    /// Functions (ids) this one may call with `bls_call`, at most
    /// [`MAX_DECLARED_CALLS`], no repeats. Each must be listed in the marketplace when the
    /// function is invoked; a callee runs with its own manifest, never with more permission
    /// than its caller. Omitted from the JSON when empty.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub calls: Vec<u64>,
}

/// Resource limits of one execution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Wall-clock timeout in milliseconds (1 ..= 15 min). Holds across host calls.
    pub timeout_ms: u64,
    /// Maximum linear memory in bytes (≥ one 64 KiB page).
    pub memory_bytes: u64,
    /// Fuel budget (≈ wasm instructions); deterministic, used for billing.
    pub fuel: u64,
    /// Cap for each of stdout and stderr, in bytes.
    pub output_bytes: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            timeout_ms: 10_000,
            memory_bytes: 64 << 20,
            fuel: 10_000_000_000,
            output_bytes: 64 << 10,
        }
    }
}

impl Limits {
    /// The timeout as a [`Duration`].
    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }
}

/// Capabilities a function may use. Default: none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Permissions {
    /// Origins (`scheme://host[:port]`) the function may call over HTTP. Matched exactly on
    /// scheme, host and port. Every origin must be public: an IP literal in a private,
    /// loopback, link-local or other special-purpose range, or a local-only name
    /// (`localhost`, `*.local`, `*.internal`, single-label, …), is refused
    /// ([`Origin::check_public`]). A worker resolves a name itself and refuses the request
    /// unless every address it resolves to is public.
    pub http: Vec<String>,
    /// Read-only access to the worker-provided data directory at `/data`.
    pub filesystem: bool,
}

/// Why a manifest (or a job's args) is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    /// The JSON does not parse into a manifest.
    #[error("manifest JSON: {0}")]
    Json(String),
    /// The entry name is too long or has characters no export name would use.
    #[error("entry must be 1..={MAX_ENTRY_BYTES} printable ASCII bytes")]
    BadEntry,
    /// `timeout_ms` is zero or above 15 minutes.
    #[error("timeout_ms must be 1..={MAX_TIMEOUT_MS}, got {0}")]
    BadTimeout(u64),
    /// `memory_bytes` is below one page or above 4 GiB.
    #[error("memory_bytes must be {WASM_PAGE_BYTES}..={MAX_MEMORY_BYTES}, got {0}")]
    BadMemory(u64),
    /// `fuel` is zero.
    #[error("fuel must be at least 1")]
    BadFuel,
    /// `output_bytes` is above the ceiling.
    #[error("output_bytes must be at most {MAX_OUTPUT_BYTES}, got {0}")]
    BadOutput(u32),
    /// Too many args.
    #[error("at most {MAX_ARGS} args (manifest + invocation), got {0}")]
    TooManyArgs(usize),
    /// Too many env vars.
    #[error("at most {MAX_ENV} env vars, got {0}")]
    TooManyEnv(usize),
    /// An arg is too long or contains NUL.
    #[error("arg {0} is longer than {MAX_STRING_BYTES} bytes or contains NUL")]
    BadArg(usize),
    /// An env key is empty, has `=`/NUL, or a key/value is too long.
    #[error(
        "env var {0:?} has an empty key, '=' or NUL in the key, NUL in the value, or is too long"
    )]
    BadEnv(String),
    /// A request tried to set an env var the deployed manifest already sets.
    #[error(
        "env var {0:?} is set by the function's manifest and cannot be overridden by a request"
    )]
    EnvOverride(String),
    /// Too many HTTP origins.
    #[error("at most {MAX_HTTP_ORIGINS} http origins, got {0}")]
    TooManyOrigins(usize),
    /// `calls` names too many functions, function 0, or one function twice.
    #[error(
        "calls must name at most {MAX_DECLARED_CALLS} distinct function ids (no 0), got {0:?}"
    )]
    BadCalls(Vec<u64>),
    /// The block time's nanoseconds are not below one second.
    #[error("block_time.nanos must be < 1e9, got {0}")]
    BadBlockTime(u32),
    /// An HTTP allowlist entry is not a plain origin.
    #[error("http origin {entry:?}: {reason}")]
    BadOrigin {
        /// The offending entry.
        entry: String,
        /// Why it was rejected.
        reason: OriginError,
    },
}

impl Manifest {
    /// Parses and validates a manifest from its JSON form.
    pub fn from_json(bytes: &[u8]) -> Result<Self, ManifestError> {
        let manifest: Manifest =
            serde_json::from_slice(bytes).map_err(|e| ManifestError::Json(e.to_string()))?;
        manifest.validate()?;
        Ok(manifest)
    }

    /// Canonical JSON form (field order fixed by the struct, env sorted by key).
    pub fn to_json(&self) -> Vec<u8> {
        // Serializing plain structs, strings, integers and BTreeMaps cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// The entry point to call (`_start` when unset).
    pub fn entry(&self) -> &str {
        if self.entry.is_empty() {
            "_start"
        } else {
            &self.entry
        }
    }

    /// This manifest with a request's extra environment variables (the fast path's
    /// `config.env_vars`). Names the manifest sets are refused: the deployer's environment
    /// is not the invoker's to change. The result obeys every manifest bound.
    pub fn with_request_env(&self, env: &BTreeMap<String, String>) -> Result<Self, ManifestError> {
        let mut m = self.clone();
        for (k, v) in env {
            if m.env.contains_key(k) {
                return Err(ManifestError::EnvOverride(k.chars().take(64).collect()));
            }
            m.env.insert(k.clone(), v.clone());
        }
        m.validate()?;
        Ok(m)
    }

    /// Checks every field against the protocol's bounds.
    pub fn validate(&self) -> Result<(), ManifestError> {
        if self.entry.len() > MAX_ENTRY_BYTES || !self.entry.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ManifestError::BadEntry);
        }
        let l = &self.limits;
        if l.timeout_ms == 0 || l.timeout_ms > MAX_TIMEOUT_MS {
            return Err(ManifestError::BadTimeout(l.timeout_ms));
        }
        if l.memory_bytes < WASM_PAGE_BYTES || l.memory_bytes > MAX_MEMORY_BYTES {
            return Err(ManifestError::BadMemory(l.memory_bytes));
        }
        if l.fuel == 0 {
            return Err(ManifestError::BadFuel);
        }
        if l.output_bytes > MAX_OUTPUT_BYTES {
            return Err(ManifestError::BadOutput(l.output_bytes));
        }
        validate_args(&self.args, 0)?;
        if self.env.len() > MAX_ENV {
            return Err(ManifestError::TooManyEnv(self.env.len()));
        }
        for (k, v) in &self.env {
            let bad_key = k.is_empty() || k.contains(['=', '\0']) || k.len() > MAX_STRING_BYTES;
            let bad_value = v.contains('\0') || v.len() > MAX_STRING_BYTES;
            if bad_key || bad_value {
                return Err(ManifestError::BadEnv(k.chars().take(64).collect()));
            }
        }
        if self.permissions.http.len() > MAX_HTTP_ORIGINS {
            return Err(ManifestError::TooManyOrigins(self.permissions.http.len()));
        }
        for entry in &self.permissions.http {
            Origin::parse(entry).map_err(|reason| ManifestError::BadOrigin {
                entry: entry.chars().take(256).collect(),
                reason,
            })?;
        }
        let mut seen = std::collections::BTreeSet::new();
        if self.calls.len() > MAX_DECLARED_CALLS
            || self.calls.iter().any(|id| *id == 0 || !seen.insert(*id))
        {
            return Err(ManifestError::BadCalls(
                self.calls
                    .iter()
                    .take(MAX_DECLARED_CALLS + 1)
                    .copied()
                    .collect(),
            ));
        }
        Ok(())
    }

    /// The parsed HTTP allowlist (call after [`Manifest::validate`]; invalid entries are skipped).
    pub fn http_origins(&self) -> Vec<Origin> {
        self.permissions
            .http
            .iter()
            .filter_map(|e| Origin::parse(e).ok())
            .collect()
    }
}

/// Validates args starting at position `offset` (manifest args come first).
pub fn validate_args(args: &[String], offset: usize) -> Result<(), ManifestError> {
    let total = offset.saturating_add(args.len());
    if total > MAX_ARGS {
        return Err(ManifestError::TooManyArgs(total));
    }
    for (i, a) in args.iter().enumerate() {
        if a.len() > MAX_STRING_BYTES || a.contains('\0') {
            return Err(ManifestError::BadArg(offset.saturating_add(i)));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_json_is_default_manifest() {
        let m = Manifest::from_json(b"{}").unwrap();
        assert_eq!(m, Manifest::default());
        assert_eq!(m.entry(), "_start");
        assert!(m.permissions.http.is_empty() && !m.permissions.filesystem);
    }

    #[test]
    fn json_round_trips_and_rejects_unknown_fields() {
        let mut m = Manifest {
            args: vec!["a".into()],
            ..Manifest::default()
        };
        m.env.insert("K".into(), "V".into());
        m.permissions.http = vec!["https://api.example.com".into()];
        let json = m.to_json();
        assert_eq!(Manifest::from_json(&json).unwrap(), m);
        assert!(Manifest::from_json(br#"{"limits":{"timeout":5}}"#).is_err());
        assert!(Manifest::from_json(br#"{"permisions":{}}"#).is_err());
    }

    #[test]
    fn limits_are_bounded() {
        let mut m = Manifest::default();
        m.limits.timeout_ms = MAX_TIMEOUT_MS + 1;
        assert_eq!(
            m.validate(),
            Err(ManifestError::BadTimeout(MAX_TIMEOUT_MS + 1))
        );
        m.limits.timeout_ms = MAX_TIMEOUT_MS;
        assert!(m.validate().is_ok());
        m.limits.memory_bytes = 1000;
        assert!(matches!(m.validate(), Err(ManifestError::BadMemory(1000))));
        m.limits.memory_bytes = WASM_PAGE_BYTES;
        m.limits.fuel = 0;
        assert_eq!(m.validate(), Err(ManifestError::BadFuel));
        m.limits.fuel = 1;
        m.limits.output_bytes = MAX_OUTPUT_BYTES + 1;
        assert!(m.validate().is_err());
    }

    #[test]
    fn request_env_adds_but_never_overrides() {
        let mut m = Manifest::default();
        m.env.insert("MODE".into(), "prod".into());
        let add: BTreeMap<String, String> = [("USER".to_string(), "ada".to_string())].into();
        let merged = m.with_request_env(&add).unwrap();
        assert_eq!(merged.env.get("USER").map(String::as_str), Some("ada"));
        assert_eq!(merged.env.get("MODE").map(String::as_str), Some("prod"));
        let clash: BTreeMap<String, String> = [("MODE".to_string(), "dev".to_string())].into();
        assert!(matches!(
            m.with_request_env(&clash),
            Err(ManifestError::EnvOverride(k)) if k == "MODE"
        ));
        let bad: BTreeMap<String, String> = [("A=B".to_string(), "x".to_string())].into();
        assert!(matches!(
            m.with_request_env(&bad),
            Err(ManifestError::BadEnv(_))
        ));
        let many: BTreeMap<String, String> = (0..MAX_ENV)
            .map(|i| (format!("K{i}"), String::new()))
            .collect();
        assert!(matches!(
            m.with_request_env(&many),
            Err(ManifestError::TooManyEnv(n)) if n == MAX_ENV + 1
        ));
    }

    #[test]
    fn bad_env_args_origins_rejected() {
        let mut m = Manifest::default();
        m.env.insert("A=B".into(), "x".into());
        assert!(matches!(m.validate(), Err(ManifestError::BadEnv(_))));
        let m = Manifest {
            args: vec!["a\0b".into()],
            ..Manifest::default()
        };
        assert_eq!(m.validate(), Err(ManifestError::BadArg(0)));
        let mut m = Manifest::default();
        m.permissions.http = vec!["https://api.example.com/path".into()];
        assert!(matches!(m.validate(), Err(ManifestError::BadOrigin { .. })));
        m.permissions.http = vec![
            "https://api.example.com".into(),
            "http://[::ffff:169.254.169.254]".into(),
        ];
        let e = m.validate().unwrap_err().to_string();
        assert!(
            e.contains("http origin \"http://[::ffff:169.254.169.254]\"")
                && e.contains("169.254.169.254")
                && e.contains("not a public address"),
            "{e}"
        );
        let m = Manifest {
            entry: "bad name".into(),
            ..Manifest::default()
        };
        assert_eq!(m.validate(), Err(ManifestError::BadEntry));
    }

    #[test]
    fn calls_are_bounded_distinct_and_absent_from_json_when_empty() {
        assert!(!String::from_utf8(Manifest::default().to_json())
            .unwrap()
            .contains("calls"));
        let ok = Manifest {
            calls: vec![2, 3],
            ..Manifest::default()
        };
        assert_eq!(Manifest::from_json(&ok.to_json()).unwrap(), ok);
        for bad in [
            vec![0],
            vec![2, 2],
            (1..=MAX_DECLARED_CALLS as u64 + 1).collect::<Vec<_>>(),
        ] {
            let m = Manifest {
                calls: bad,
                ..Manifest::default()
            };
            assert!(
                matches!(m.validate(), Err(ManifestError::BadCalls(_))),
                "{m:?}"
            );
        }
    }
}
