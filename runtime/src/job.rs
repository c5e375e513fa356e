//! What to run: [`Job`] (code hash, manifest, input, job id, block time). The deployed
//! [`Manifest`] is `bls_core::manifest`'s, the one the chain validates deploys with.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use bls_core::manifest::{
    validate_args, Limits, Manifest, ManifestError, Permissions, MAX_ARGS, MAX_OUTPUT_BYTES,
    MAX_TIMEOUT_MS,
};

/// One execution request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// Job id (e.g. the invocation id). Seeds the guest's randomness, so every worker
    /// running this job hands the guest the same random bytes.
    pub id: [u8; 32],
    /// sha256 of the code. The module must have been loaded with [`crate::Runtime::load`]
    /// (which checks the hash) or be in the runtime's on-disk cache.
    pub code_hash: [u8; 32],
    /// The deployed manifest.
    pub manifest: Manifest,
    /// Invocation input, given to the guest as stdin.
    pub input: Vec<u8>,
    /// Invocation args, appended after the manifest's args.
    pub args: Vec<String>,
    /// Block time the job was ordered at; the guest's wall clock reads this value.
    pub block_time: BlockTime,
    /// Host directory preopened read-only at [`DATA_DIR_GUEST_PATH`] — only when the
    /// manifest grants [`Permissions::filesystem`]. Chosen by the worker operator, never
    /// by the manifest.
    pub data_dir: Option<PathBuf>,
    /// Opened secrets, given to the guest as environment variables next to the manifest's.
    pub secrets: SecretEnv,
    /// The functions this job may reach through `bls_call`, as the chain pinned them at
    /// invoke (the closure of the manifests' `calls`). Empty for a job that calls nothing and
    /// for every job off chain (fast path, local runs): a call then fails with a clear error.
    /// Every module here must be loaded like the job's own.
    pub callees: Vec<Callee>,
}

/// A function a job may call, pinned by the chain at invoke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callee {
    /// Its function id (what the guest names in `bls_call`).
    pub function_id: u64,
    /// Its version at invoke (a guest naming another version is refused).
    pub version: u64,
    /// sha256 of its code (loaded like the job's own).
    pub code_hash: [u8; 32],
    /// Its manifest: entry, args, env, limits and permissions (narrowed by its caller's).
    pub manifest: Manifest,
}

/// Secret environment variables (a function's opened sealed secrets, or a request's): the
/// guest sees them like the manifest's `env`. Never printed (`Debug` shows names only) and
/// wiped from this struct's memory when dropped. Where a name is also in the manifest's or
/// the request's env, the secret wins.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretEnv(Vec<(String, zeroize::Zeroizing<String>)>);

impl SecretEnv {
    /// Adds (or replaces) `name`.
    pub fn insert(&mut self, name: &str, value: zeroize::Zeroizing<String>) {
        self.0.retain(|(n, _)| n != name);
        self.0.push((name.to_string(), value));
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `name` is one of them.
    pub fn contains(&self, name: &str) -> bool {
        self.0.iter().any(|(n, _)| n == name)
    }

    /// The names and values, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }
}

impl std::fmt::Debug for SecretEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(n, _)| format!("{n}=<redacted>")))
            .finish()
    }
}

/// Where a granted read-only directory appears inside the guest.
pub const DATA_DIR_GUEST_PATH: &str = "/data";

/// A point in time as seconds + nanoseconds since the Unix epoch (the block's time).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockTime {
    /// Whole seconds since 1970-01-01T00:00:00Z.
    pub seconds: u64,
    /// Sub-second nanoseconds (< 1e9).
    pub nanos: u32,
}

impl BlockTime {
    /// The time as a duration since the Unix epoch.
    pub fn as_duration(&self) -> Duration {
        Duration::new(self.seconds, self.nanos)
    }
}

impl Job {
    /// Checks the manifest and the invocation args.
    pub fn validate(&self) -> Result<(), ManifestError> {
        self.manifest.validate()?;
        validate_args(&self.args, self.manifest.args.len())?;
        if self.block_time.nanos >= 1_000_000_000 {
            return Err(ManifestError::BadBlockTime(self.block_time.nanos));
        }
        for c in &self.callees {
            c.manifest.validate()?;
        }
        Ok(())
    }
}
