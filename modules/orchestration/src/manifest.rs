//! The deployed manifest, validated on chain with the same format and bounds as the worker
//! runtime (`bls_worker::runtime::job::Manifest`): unknown fields rejected, every field
//! defaulted, `{}` valid. Kept in sync by hand; the chain is never looser than the worker.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::OrchestrationError;

/// Hard ceiling on a job's timeout: 15 minutes.
pub const MAX_TIMEOUT_MS: u64 = 15 * 60 * 1000;
/// One WebAssembly page.
pub const WASM_PAGE_BYTES: u64 = 64 * 1024;
/// Most linear memory a manifest may allow (4 GiB).
pub const MAX_MEMORY_BYTES: u64 = 4 << 30;
/// Most args (manifest + invocation).
pub const MAX_ARGS: usize = 64;
/// Most env vars.
pub const MAX_ENV: usize = 64;
/// Longest arg, env key or env value.
pub const MAX_STRING_BYTES: usize = 4096;
/// Most HTTP origins.
pub const MAX_HTTP_ORIGINS: usize = 16;
/// Longest entry name.
pub const MAX_ENTRY_BYTES: usize = 128;

/// How to run a function.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Manifest {
    /// Exported function to call; `_start` when empty.
    pub entry: String,
    /// Args before the invocation's args.
    pub args: Vec<String>,
    /// Environment variables.
    pub env: BTreeMap<String, String>,
    /// Resource limits.
    pub limits: Limits,
    /// Capabilities, all denied by default.
    pub permissions: Permissions,
}

/// Resource limits of one execution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Wall-clock timeout, ms (1..=900000).
    pub timeout_ms: u64,
    /// Linear memory cap, bytes.
    pub memory_bytes: u64,
    /// Fuel budget.
    pub fuel: u64,
    /// Cap of each of stdout and stderr, bytes (≤ `MAX_OUTPUT_BYTES`).
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

/// Capabilities beyond computation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Permissions {
    /// Exact origins (`scheme://host[:port]`) the function may call.
    pub http: Vec<String>,
    /// Read-only access to the worker's data directory.
    pub filesystem: bool,
}

fn bad(s: impl Into<String>) -> OrchestrationError {
    OrchestrationError::InvalidManifest(s.into())
}

impl Manifest {
    /// Parses and validates manifest JSON.
    pub fn from_json(json: &str) -> Result<Self, OrchestrationError> {
        let m: Manifest = serde_json::from_str(json).map_err(|e| bad(e.to_string()))?;
        m.validate()?;
        Ok(m)
    }

    /// The entry point (`_start` when unset).
    pub fn entry(&self) -> &str {
        if self.entry.is_empty() {
            "_start"
        } else {
            &self.entry
        }
    }

    /// Checks every field against the protocol's bounds.
    pub fn validate(&self) -> Result<(), OrchestrationError> {
        if self.entry.len() > MAX_ENTRY_BYTES || !self.entry.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(bad(format!(
                "entry must be 1..={MAX_ENTRY_BYTES} printable ASCII bytes"
            )));
        }
        let l = &self.limits;
        if l.timeout_ms == 0 || l.timeout_ms > MAX_TIMEOUT_MS {
            return Err(bad(format!(
                "timeout_ms must be 1..={MAX_TIMEOUT_MS}, got {}",
                l.timeout_ms
            )));
        }
        if l.memory_bytes < WASM_PAGE_BYTES || l.memory_bytes > MAX_MEMORY_BYTES {
            return Err(bad(format!(
                "memory_bytes must be {WASM_PAGE_BYTES}..={MAX_MEMORY_BYTES}, got {}",
                l.memory_bytes
            )));
        }
        if l.fuel == 0 {
            return Err(bad("fuel must be at least 1"));
        }
        if l.output_bytes > bls_core::outcome::MAX_OUTPUT_BYTES {
            return Err(bad(format!(
                "output_bytes must be at most {}, got {}",
                bls_core::outcome::MAX_OUTPUT_BYTES,
                l.output_bytes
            )));
        }
        validate_args(&self.args, 0)?;
        if self.env.len() > MAX_ENV {
            return Err(bad(format!("at most {MAX_ENV} env vars")));
        }
        for (k, v) in &self.env {
            let bad_key = k.is_empty() || k.contains(['=', '\0']) || k.len() > MAX_STRING_BYTES;
            let bad_value = v.contains('\0') || v.len() > MAX_STRING_BYTES;
            if bad_key || bad_value {
                return Err(bad(format!(
                    "env var {:?} is empty, has '=' or NUL, or is too long",
                    k.chars().take(64).collect::<String>()
                )));
            }
        }
        if self.permissions.http.len() > MAX_HTTP_ORIGINS {
            return Err(bad(format!("at most {MAX_HTTP_ORIGINS} http origins")));
        }
        for o in &self.permissions.http {
            validate_origin(o)?;
        }
        Ok(())
    }
}

/// Checks args at positions starting at `offset` (manifest args come first).
pub fn validate_args(args: &[String], offset: usize) -> Result<(), OrchestrationError> {
    let total = offset.saturating_add(args.len());
    if total > MAX_ARGS {
        return Err(bad(format!(
            "at most {MAX_ARGS} args (manifest + invocation), got {total}"
        )));
    }
    for (i, a) in args.iter().enumerate() {
        if a.len() > MAX_STRING_BYTES || a.contains('\0') {
            return Err(bad(format!(
                "arg {} is longer than {MAX_STRING_BYTES} bytes or contains NUL",
                offset.saturating_add(i)
            )));
        }
    }
    Ok(())
}

/// An origin is `http(s)://host[:port]` with an optional trailing `/`, nothing else.
fn validate_origin(entry: &str) -> Result<(), OrchestrationError> {
    let shown: String = entry.chars().take(128).collect();
    let err = |why: &str| bad(format!("http origin {shown:?}: {why}"));
    let rest = entry
        .strip_prefix("https://")
        .or_else(|| entry.strip_prefix("http://"))
        .ok_or_else(|| err("scheme must be http or https"))?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty() || rest.len() > 260 {
        return Err(err("missing or overlong host"));
    }
    let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
        let (inside, after) = v6.split_once(']').ok_or_else(|| err("unclosed ["))?;
        if inside.is_empty()
            || !inside
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return Err(err("bad IPv6 literal"));
        }
        (inside, after.strip_prefix(':'))
    } else {
        match rest.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        }
    };
    if host.is_empty()
        || !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':'))
    {
        return Err(err(
            "host must be a DNS name or IP literal, with no path, query or userinfo",
        ));
    }
    if let Some(p) = port {
        let ok = !p.is_empty()
            && p.len() <= 5
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u32>().is_ok_and(|n| (1..=65535).contains(&n));
        if !ok {
            return Err(err("port must be 1..=65535"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_bounds() {
        let m = Manifest::from_json("{}").unwrap();
        assert_eq!(m.entry(), "_start");
        assert!(Manifest::from_json(r#"{"limits":{"timeout_ms":900001}}"#).is_err());
        assert!(Manifest::from_json(r#"{"limits":{"timeout_ms":900000}}"#).is_ok());
        assert!(Manifest::from_json(r#"{"limits":{"output_bytes":1048577}}"#).is_err());
        assert!(Manifest::from_json(r#"{"permisions":{}}"#).is_err());
        assert!(Manifest::from_json(r#"{"entry":"bad name"}"#).is_err());
        assert!(Manifest::from_json("not json").is_err());
    }

    #[test]
    fn origins() {
        for ok in [
            "https://api.example.com",
            "http://127.0.0.1:8080",
            "https://[::1]:443/",
        ] {
            assert!(validate_origin(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ftp://x.com",
            "https://x.com/path",
            "https://user@x.com",
            "https://x.com:0",
            "https://x.com:99999",
            "https://",
            "https://x.com?q",
        ] {
            assert!(validate_origin(bad).is_err(), "{bad}");
        }
    }
}
