//! The host state one job's wasmtime store carries.

use wasmtime_wasi::p1::WasiP1Ctx;

use crate::compose::CallCtx;
use crate::http::HttpCtx;
use crate::limits::JobLimiter;

/// Per-store host state of one job.
pub struct JobState {
    pub(crate) wasi: WasiP1Ctx,
    pub(crate) limiter: JobLimiter,
    pub(crate) http: HttpCtx,
    pub(crate) calls: CallCtx,
}
