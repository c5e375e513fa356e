//! Per-job resource limits enforced inside the store, and the marker errors that let
//! the runtime tell a limit hit from any other trap.

use wasmtime::ResourceLimiter;

use crate::outcome::TrapKind;

/// Raised (as a wasmtime error) when a job crosses one of its limits. The runtime
/// downcasts to this to report the right [`TrapKind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("job limit exceeded: {0}")]
pub struct LimitExceeded(pub TrapKind);

/// Most table elements a guest may have (Rust guests use a few hundred).
const MAX_TABLE_ELEMENTS: usize = 100_000;

/// Caps linear memory and table growth for one job.
///
/// Growing past the limit traps immediately with [`LimitExceeded`]`(OutOfMemory)` rather
/// than returning -1 from `memory.grow`: the outcome is then the same on every worker
/// and cannot be mistaken for another trap the guest hits while handling the failure.
#[derive(Debug, Clone)]
pub struct JobLimiter {
    memory_bytes: usize,
}

impl JobLimiter {
    /// A limiter allowing `memory_bytes` of linear memory.
    pub fn new(memory_bytes: u64) -> Self {
        Self {
            memory_bytes: usize::try_from(memory_bytes).unwrap_or(usize::MAX),
        }
    }

    /// The linear memory this limiter allows, in bytes.
    pub fn memory_bytes(&self) -> u64 {
        u64::try_from(self.memory_bytes).unwrap_or(u64::MAX)
    }
}

impl ResourceLimiter for JobLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory_bytes {
            return Err(wasmtime::Error::new(LimitExceeded(TrapKind::OutOfMemory)));
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > MAX_TABLE_ELEMENTS {
            return Err(wasmtime::Error::new(LimitExceeded(TrapKind::OutOfMemory)));
        }
        Ok(true)
    }
}
