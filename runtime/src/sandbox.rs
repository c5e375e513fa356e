//! [`Runtime`]: one engine, one module cache, one epoch ticker; loads code and runs jobs
//! under their limits.

use std::sync::Arc;
use std::time::Instant;

use wasmtime::{Engine, InstancePre, Linker};

use crate::cache::{CacheStats, ModuleCache};
use crate::compose;
use crate::config::RuntimeConfig;
use crate::engine::{self, EpochTicker};
use crate::error::RuntimeError;
use crate::frame::{
    classify, execute, new_store, trap_message, wasi_ctx, worker_side, Failure, WasiParts,
};
use crate::http::{self, HttpCtx};
use crate::job::Job;
use crate::limits::{JobLimiter, LimitExceeded};
use crate::outcome::{ExitStatus, Outcome, TrapKind};
use crate::output::OutputCapture;
use crate::state::{CallCtx, CallShared, JobState};

/// A sandbox for running jobs: one engine, one module cache, one epoch ticker.
pub struct Runtime {
    engine: Engine,
    cache: ModuleCache,
    config: RuntimeConfig,
    slots: Arc<tokio::sync::Semaphore>,
    // Dropped last-ish: stops the epoch thread when the runtime goes away.
    _ticker: EpochTicker,
}

impl Runtime {
    /// Builds the engine, the linker (WASI preview 1 + `bls_http` + `bls_call`) and the cache.
    pub fn new(config: RuntimeConfig) -> Result<Runtime, RuntimeError> {
        let engine =
            engine::build_engine(&config).map_err(|e| RuntimeError::Engine(format!("{e:#}")))?;
        let mut linker: Linker<JobState> = Linker::new(&engine);
        wasmtime_wasi::p1::add_to_linker_async(&mut linker, |s: &mut JobState| &mut s.wasi)
            .map_err(|e| RuntimeError::Engine(format!("{e:#}")))?;
        http::add_to_linker(&mut linker, |s: &mut JobState| &mut s.http)
            .map_err(|e| RuntimeError::Engine(format!("{e:#}")))?;
        compose::add_to_linker(&mut linker).map_err(|e| RuntimeError::Engine(format!("{e:#}")))?;
        let cache = ModuleCache::new(
            engine.clone(),
            linker,
            config.module_cache_capacity,
            config.module_cache_bytes,
            config.cache_dir.as_deref(),
            config.disk_cache_max_bytes,
        )?;
        let ticker = EpochTicker::start(engine.clone(), config.epoch_tick)
            .map_err(|e| RuntimeError::Engine(format!("epoch thread: {e}")))?;
        let slots = Arc::new(tokio::sync::Semaphore::new(
            config.max_concurrent_jobs as usize,
        ));
        Ok(Runtime {
            engine,
            cache,
            config,
            slots,
            _ticker: ticker,
        })
    }

    /// Compiles (or fetches from cache) `code` and returns its sha256, the key jobs use.
    pub fn load(&self, code: &[u8]) -> Result<[u8; 32], RuntimeError> {
        self.cache.load(code, None)
    }

    /// Like [`Runtime::load`], but refuses code whose sha256 is not `expected` (the hash
    /// the chain recorded for the deployment).
    pub fn load_expected(&self, expected: &[u8; 32], code: &[u8]) -> Result<(), RuntimeError> {
        self.cache.load(code, Some(expected)).map(|_| ())
    }

    /// The names of the functions the loaded module `code_hash` exports, in module order.
    pub fn exported_functions(&self, code_hash: &[u8; 32]) -> Result<Vec<String>, RuntimeError> {
        let pre = self
            .cache
            .get(code_hash)?
            .ok_or_else(|| RuntimeError::ModuleNotLoaded(hex::encode(code_hash)))?;
        Ok(pre
            .module()
            .exports()
            .filter(|e| matches!(e.ty(), wasmtime::ExternType::Func(_)))
            .map(|e| e.name().to_string())
            .collect())
    }

    /// True when a job with this code hash can run without supplying the code.
    pub fn has_module(&self, code_hash: &[u8; 32]) -> bool {
        self.cache.contains(code_hash)
    }

    /// Module cache counters (compiles, disk hits, memory hits).
    pub fn cache_stats(&self) -> CacheStats {
        self.cache.stats()
    }

    /// Modules in the memory cache and the bytes of their compiled code (bounded by
    /// `module_cache_capacity` and `module_cache_bytes`).
    pub fn module_cache_usage(&self) -> (usize, usize) {
        self.cache.memory_usage()
    }

    /// The engine (e.g. for benchmarks comparing against raw wasmtime).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Runs one job to an [`Outcome`]. Traps and limit hits are outcomes; `Err` means
    /// the job could not be run (invalid, a module — its own or a callee's — not loaded,
    /// worker resources).
    pub async fn run(&self, job: &Job) -> Result<Outcome, RuntimeError> {
        job.validate()?;
        let limits = &job.manifest.limits;
        if limits.memory_bytes > self.config.max_memory_bytes {
            return Err(RuntimeError::MemoryAboveWorkerMax {
                wanted: limits.memory_bytes,
                max: self.config.max_memory_bytes,
            });
        }
        let pre = self.instance_pre(&job.code_hash)?;
        let callees = job
            .callees
            .iter()
            .map(|c| Ok((c.clone(), self.instance_pre(&c.code_hash)?)))
            .collect::<Result<Vec<_>, RuntimeError>>()?;

        // Wait for a pool slot before the clock starts: queueing is not the job's time.
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|_| RuntimeError::Setup("runtime shut down".into()))?;

        let started = Instant::now();
        let deadline = started + limits.timeout();
        let calls = CallCtx::root(
            CallShared::new(
                self.engine.clone(),
                callees,
                job,
                self.config.http.clone(),
                deadline,
            ),
            &job.manifest,
        );
        let stdout = OutputCapture::new(limits.output_bytes as usize);
        let stderr = OutputCapture::new(limits.output_bytes as usize);
        let fs_dir = job
            .data_dir
            .as_deref()
            .filter(|_| job.manifest.permissions.filesystem);
        let wasi = wasi_ctx(
            &WasiParts {
                manifest: &job.manifest,
                extra_args: &job.args,
                secrets: &job.secrets,
                input: job.input.clone(),
                rng_id: job.id,
                block_time: job.block_time,
                data_dir: fs_dir,
            },
            &stdout,
            &stderr,
        )?;
        let state = JobState {
            wasi,
            limiter: JobLimiter::new(limits.memory_bytes),
            http: HttpCtx::new(job.manifest.http_origins(), self.config.http.clone()),
            calls,
        };
        let mut store = new_store(&self.engine, state, limits.fuel, deadline)?;

        let entry = job.manifest.entry().to_string();
        let execution = execute(&mut store, &pre, &entry);
        let result = match tokio::time::timeout_at(deadline.into(), execution).await {
            Ok(r) => r,
            Err(_elapsed) => Err(Failure::Call(wasmtime::Error::new(LimitExceeded(
                TrapKind::Timeout,
            )))),
        };
        let wall_time = started.elapsed();

        let (status, trap_message) = match result {
            Ok(()) => (ExitStatus::Exited(0), None),
            Err(Failure::Entry(msg)) => (ExitStatus::Trapped(TrapKind::Other), Some(msg)),
            // Not the guest's doing (the pool exhausted, a callee not set up): no outcome.
            Err(Failure::Instantiate(e) | Failure::Call(e)) if worker_side(&e).is_some() => {
                let why = worker_side(&e).unwrap_or_default();
                return Err(RuntimeError::Setup(format!("instantiate: {why}")));
            }
            Err(Failure::Instantiate(e)) => {
                // Anything else at instantiation (its start function, its memory) is the guest's.
                let status = classify(&e).unwrap_or(ExitStatus::Trapped(TrapKind::Other));
                (status, Some(trap_message(&e)))
            }
            Err(Failure::Call(e)) => {
                let status = classify(&e).unwrap_or(ExitStatus::Trapped(TrapKind::Other));
                let message = match status {
                    ExitStatus::Exited(_) => None,
                    ExitStatus::Trapped(_) => Some(trap_message(&e)),
                };
                (status, message)
            }
        };
        let remaining = store.get_fuel().unwrap_or(0);
        let calls = store.data().calls.log();
        let (stdout, stdout_truncated) = stdout.take();
        let (stderr, stderr_truncated) = stderr.take();
        Ok(Outcome {
            status,
            stdout,
            stdout_truncated,
            stderr,
            stderr_truncated,
            fuel_used: limits.fuel.saturating_sub(remaining),
            wall_time,
            trap_message,
            calls,
        })
    }

    /// The compiled module `code_hash`, ready to instantiate.
    fn instance_pre(&self, code_hash: &[u8; 32]) -> Result<InstancePre<JobState>, RuntimeError> {
        self.cache
            .get(code_hash)?
            .ok_or_else(|| RuntimeError::ModuleNotLoaded(hex::encode(code_hash)))
    }
}
