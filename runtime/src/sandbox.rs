//! [`Runtime`]: one engine, one module cache, one epoch ticker; loads code and runs jobs
//! under their limits.

use std::sync::Arc;
use std::time::Instant;

use wasmtime::{Engine, Linker, Store, Trap, UpdateDeadline};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::pipe::MemoryInputPipe;
use wasmtime_wasi::{FsPerms, I32Exit, WasiCtxBuilder};

use crate::cache::{CacheStats, ModuleCache};
use crate::config::RuntimeConfig;
use crate::determinism::{insecure_seed, FixedWallClock, FrozenMonotonicClock, JobRng};
use crate::engine::{self, EpochTicker};
use crate::error::RuntimeError;
use crate::http::{self, HttpCtx};
use crate::job::{Job, DATA_DIR_GUEST_PATH};
use crate::limits::{JobLimiter, LimitExceeded};
use crate::outcome::{ExitStatus, Outcome, TrapKind};
use crate::output::OutputCapture;
use crate::state::JobState;

/// `argv[0]` of every function (the SDK skips it).
pub const PROGRAM_NAME: &str = "bls-function";

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
    /// Builds the engine, the linker (WASI preview 1 + `bls_http`) and the cache.
    pub fn new(config: RuntimeConfig) -> Result<Runtime, RuntimeError> {
        let engine =
            engine::build_engine(&config).map_err(|e| RuntimeError::Engine(format!("{e:#}")))?;
        let mut linker: Linker<JobState> = Linker::new(&engine);
        wasmtime_wasi::p1::add_to_linker_async(&mut linker, |s: &mut JobState| &mut s.wasi)
            .map_err(|e| RuntimeError::Engine(format!("{e:#}")))?;
        http::add_to_linker(&mut linker, |s: &mut JobState| &mut s.http)
            .map_err(|e| RuntimeError::Engine(format!("{e:#}")))?;
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
    /// the job could not be run (invalid, module not loaded, worker resources).
    pub async fn run(&self, job: &Job) -> Result<Outcome, RuntimeError> {
        job.validate()?;
        let limits = &job.manifest.limits;
        if limits.memory_bytes > self.config.max_memory_bytes {
            return Err(RuntimeError::MemoryAboveWorkerMax {
                wanted: limits.memory_bytes,
                max: self.config.max_memory_bytes,
            });
        }
        let pre = self
            .cache
            .get(&job.code_hash)?
            .ok_or_else(|| RuntimeError::ModuleNotLoaded(hex::encode(job.code_hash)))?;

        // Wait for a pool slot before the clock starts: queueing is not the job's time.
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|_| RuntimeError::Setup("runtime shut down".into()))?;

        let stdout = OutputCapture::new(limits.output_bytes as usize);
        let stderr = OutputCapture::new(limits.output_bytes as usize);
        let wasi = self.wasi_ctx(job, &stdout, &stderr)?;
        let state = JobState {
            wasi,
            limiter: JobLimiter::new(limits.memory_bytes),
            http: HttpCtx::new(job.manifest.http_origins(), self.config.http.clone()),
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limiter);
        store
            .set_fuel(limits.fuel)
            .map_err(|e| RuntimeError::Setup(format!("fuel: {e}")))?;

        let started = Instant::now();
        let deadline = started + limits.timeout();
        // Checked at every epoch tick while wasm runs; host calls are covered by the
        // tokio timeout below.
        store.epoch_deadline_callback(move |_| {
            if Instant::now() >= deadline {
                Err(wasmtime::Error::new(LimitExceeded(TrapKind::Timeout)))
            } else {
                Ok(UpdateDeadline::Yield(1))
            }
        });
        store.set_epoch_deadline(1);

        let entry = job.manifest.entry().to_string();
        let execution = async {
            let instance = pre
                .instantiate_async(&mut store)
                .await
                .map_err(Failure::Instantiate)?;
            if entry != "_start" {
                // Reactor modules initialize their runtime before any export is called.
                if let Ok(init) = instance.get_typed_func::<(), ()>(&mut store, "_initialize") {
                    init.call_async(&mut store, ())
                        .await
                        .map_err(Failure::Call)?;
                }
            }
            let func = instance
                .get_typed_func::<(), ()>(&mut store, &entry)
                .map_err(|e| Failure::Entry(format!("entry {entry:?}: {e}")))?;
            func.call_async(&mut store, ()).await.map_err(Failure::Call)
        };
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
            Err(Failure::Instantiate(e)) => match classify(&e) {
                Some(status) => (status, Some(trap_message(&e))),
                // Not the guest's doing (e.g. pool exhausted): no outcome to report.
                None => return Err(RuntimeError::Setup(format!("instantiate: {e:#}"))),
            },
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
        })
    }

    fn wasi_ctx(
        &self,
        job: &Job,
        stdout: &OutputCapture,
        stderr: &OutputCapture,
    ) -> Result<WasiP1Ctx, RuntimeError> {
        let manifest = &job.manifest;
        let mut args = Vec::with_capacity(1 + manifest.args.len() + job.args.len());
        args.push(PROGRAM_NAME.to_string());
        args.extend(manifest.args.iter().cloned());
        args.extend(job.args.iter().cloned());
        // Secrets win over a same-named plain variable (the chain refuses such manifests;
        // a request's env could still name one).
        let env: Vec<(&str, &str)> = manifest
            .env
            .iter()
            .filter(|(k, _)| !job.secrets.contains(k))
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .chain(job.secrets.iter())
            .collect();

        let mut b = WasiCtxBuilder::new();
        b.stdin(MemoryInputPipe::new(job.input.clone()))
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .args(&args)
            .envs(&env)
            .wall_clock(FixedWallClock(job.block_time.as_duration()))
            .monotonic_clock(FrozenMonotonicClock)
            .secure_random(JobRng::new(b"secure", &job.id))
            .insecure_random(JobRng::new(b"insecure", &job.id))
            .insecure_random_seed(insecure_seed(&job.id))
            // p1 has no socket creation; deny name lookups and sockets anyway.
            .allow_ip_name_lookup(false)
            .allow_tcp(false)
            .allow_udp(false);
        if manifest.permissions.filesystem {
            if let Some(dir) = &job.data_dir {
                b.preopened_dir(dir, DATA_DIR_GUEST_PATH, FsPerms::ReadOnly)
                    .map_err(|e| RuntimeError::Setup(format!("preopen {}: {e}", dir.display())))?;
            }
        }
        Ok(b.build_p1())
    }
}

/// Where a run failed, before classification.
enum Failure {
    Instantiate(wasmtime::Error),
    Entry(String),
    Call(wasmtime::Error),
}

/// One-line reason for a trap (the root cause, without wasmtime's backtrace).
fn trap_message(err: &wasmtime::Error) -> String {
    err.root_cause().to_string()
}

/// Maps an execution error to a deterministic status, if it is one.
fn classify(err: &wasmtime::Error) -> Option<ExitStatus> {
    if let Some(LimitExceeded(kind)) = err.downcast_ref::<LimitExceeded>() {
        return Some(ExitStatus::Trapped(*kind));
    }
    if let Some(exit) = err.downcast_ref::<I32Exit>() {
        return Some(ExitStatus::Exited(exit.0));
    }
    if let Some(trap) = err.downcast_ref::<Trap>() {
        let kind = match trap {
            Trap::OutOfFuel => TrapKind::OutOfFuel,
            Trap::StackOverflow => TrapKind::StackOverflow,
            Trap::Interrupt => TrapKind::Timeout,
            _ => TrapKind::Other,
        };
        return Some(ExitStatus::Trapped(kind));
    }
    None
}
