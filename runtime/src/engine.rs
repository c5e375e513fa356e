//! The one wasmtime [`Engine`] of a runtime: deterministic compilation settings, fuel,
//! epoch interruption and a pooling allocator sized for small machines; plus the
//! background thread that advances the epoch.

use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

use wasmtime::{
    Config, Enabled, Engine, InstanceAllocationStrategy, OptLevel, PoolingAllocationConfig,
    WasmBacktraceDetails,
};

use crate::config::RuntimeConfig;

/// Builds the engine. Every setting that could make two workers disagree is pinned here
/// rather than left to defaults or environment variables.
pub fn build_engine(cfg: &RuntimeConfig) -> wasmtime::Result<Engine> {
    let mut config = Config::new();
    config
        // Determinism: identical NaN bits and relaxed-SIMD results on every CPU. No
        // shared-memory threads: wasmtime's `threads` feature is not compiled in, so the
        // proposal is rejected at validation; shared-everything threads are off too.
        .cranelift_nan_canonicalization(true)
        .relaxed_simd_deterministic(true)
        .wasm_shared_everything_threads(false)
        .cranelift_opt_level(OptLevel::Speed)
        // Limits: fuel for deterministic budgets, epochs for wall-clock deadlines.
        .consume_fuel(true)
        .epoch_interruption(true)
        .max_wasm_stack(cfg.max_wasm_stack)
        .async_stack_size(cfg.max_wasm_stack.saturating_add(1 << 20))
        // Not read from WASMTIME_BACKTRACE_DETAILS: nothing ambient.
        .wasm_backtrace_details(WasmBacktraceDetails::Disable)
        .parallel_compilation(true);

    // Each running job may hold one instance per frame: itself and up to MAX_CALL_DEPTH
    // nested callees (`bls_call`), so a full pool never refuses a call a job is allowed.
    let frames = cfg
        .max_concurrent_jobs
        .saturating_mul(1 + bls_core::composition::MAX_CALL_DEPTH);
    let mut pool = PoolingAllocationConfig::default();
    pool.total_core_instances(frames)
        .total_memories(frames)
        .total_tables(frames)
        .total_stacks(frames)
        .max_memory_size(usize::try_from(cfg.max_memory_bytes).unwrap_or(usize::MAX))
        // Without keeping a few MiB resident, every instantiation re-faults the Rust
        // guest's stack and heap pages; on 2 cores that made two threads slower than one.
        .linear_memory_keep_resident(cfg.memory_keep_resident)
        .table_keep_resident(64 << 10)
        .async_stack_keep_resident(64 << 10)
        .pagemap_scan(Enabled::Auto);
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    Engine::new(&config)
}

/// Advances the engine's epoch every `tick` until dropped.
pub struct EpochTicker {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl EpochTicker {
    /// Starts the ticker thread.
    pub fn start(engine: Engine, tick: Duration) -> std::io::Result<Self> {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("bls-epoch".into())
            .spawn(move || {
                // Ends when the sender is dropped (Disconnected) with the runtime.
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(tick) {
                    engine.increment_epoch();
                }
            })?;
        Ok(Self {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
