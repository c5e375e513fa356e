//! The host state one frame's wasmtime store carries: WASI, limits, HTTP, and what it may
//! call ([`CallCtx`], with the [`CallShared`] state of the whole job; the behaviour is
//! `compose.rs`'s).

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use bls_core::composition::Call;
use wasmtime::{Engine, InstancePre};
use wasmtime_wasi::p1::WasiP1Ctx;

use crate::allowlist::Origin;
use crate::config::HttpConfig;
use crate::http::HttpCtx;
use crate::job::{BlockTime, Callee, Job, Manifest};
use crate::limits::JobLimiter;

/// Per-store host state of one frame.
pub struct JobState {
    pub(crate) wasi: WasiP1Ctx,
    pub(crate) limiter: JobLimiter,
    pub(crate) http: HttpCtx,
    pub(crate) calls: CallCtx,
}

/// What every frame of one job shares.
pub(crate) struct CallShared {
    pub(crate) engine: Engine,
    pub(crate) callees: Vec<(Callee, InstancePre<JobState>)>,
    log: Mutex<Vec<Call>>,
    pub(crate) deadline: Instant,
    pub(crate) job_id: [u8; 32],
    pub(crate) block_time: BlockTime,
    pub(crate) data_dir: Option<PathBuf>,
    pub(crate) http: HttpConfig,
}

impl CallShared {
    /// The shared state of `job`, whose pinned callees are compiled as `callees`.
    pub(crate) fn new(
        engine: Engine,
        callees: Vec<(Callee, InstancePre<JobState>)>,
        job: &Job,
        http: HttpConfig,
        deadline: Instant,
    ) -> CallShared {
        CallShared {
            engine,
            callees,
            log: Mutex::new(Vec::new()),
            deadline,
            job_id: job.id,
            block_time: job.block_time,
            data_dir: job.data_dir.clone(),
            http,
        }
    }

    /// The job's call log, locked.
    pub(crate) fn log(&self) -> MutexGuard<'_, Vec<Call>> {
        // Poisoned only if a holder panicked; the records are still whole.
        self.log.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// One frame's view of composition: what it may call and with what permissions.
pub(crate) struct CallCtx {
    pub(crate) shared: Arc<CallShared>,
    /// 0 for the invoked function, +1 per call.
    pub(crate) depth: u32,
    /// Functions called from the invoked one down to this frame.
    pub(crate) path: Vec<u64>,
    /// What this frame's manifest declares in `calls`.
    pub(crate) declared: Vec<u64>,
    /// This frame's effective HTTP allowlist.
    pub(crate) http: Vec<Origin>,
    /// Whether this frame may read `/data`.
    pub(crate) filesystem: bool,
    /// The last call's output, until the guest copies it.
    pub(crate) last_output: Vec<u8>,
    /// The last refusal's message.
    pub(crate) last_error: String,
}

impl CallCtx {
    /// The invoked function's frame.
    pub(crate) fn root(shared: CallShared, manifest: &Manifest) -> CallCtx {
        CallCtx {
            shared: Arc::new(shared),
            depth: 0,
            path: Vec::new(),
            declared: manifest.calls.clone(),
            http: manifest.http_origins(),
            filesystem: manifest.permissions.filesystem,
            last_output: Vec::new(),
            last_error: String::new(),
        }
    }

    /// Every call the job made so far, in the order they started.
    pub(crate) fn log(&self) -> Vec<Call> {
        self.shared.log().clone()
    }
}
