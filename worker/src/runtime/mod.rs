//! The function runtime: runs a [`Job`] in a wasmtime sandbox and returns its
//! [`Outcome`].
//!
//! ```no_run
//! # async fn demo(code: &[u8]) -> Result<(), bls_worker::runtime::RuntimeError> {
//! use bls_worker::runtime::{Job, Manifest, Runtime, RuntimeConfig, BlockTime};
//! let runtime = Runtime::new(RuntimeConfig::default())?;
//! let code_hash = runtime.load(code)?;
//! let job = Job {
//!     id: [7; 32],
//!     code_hash,
//!     manifest: Manifest::default(),
//!     input: b"world".to_vec(),
//!     args: vec![],
//!     block_time: BlockTime::default(),
//!     data_dir: None,
//! };
//! let outcome = runtime.run(&job).await?;
//! println!("{:?} {}", outcome.status, hex::encode(outcome.result_hash()));
//! # Ok(()) }
//! ```
//!
//! [`Runtime::run`] is an `async fn` and must be polled inside a tokio runtime with the
//! time and I/O drivers enabled (host calls such as sleep and HTTP are tokio futures, and
//! the wall-clock limit is a tokio timeout around the whole execution). Guest code yields to the executor every
//! epoch tick, so many jobs can share a multi-threaded runtime; the future is `Send`.
//! A [`Runtime`] is `Send + Sync`: share it behind an `Arc`.

mod allowlist;
mod cache;
mod destination;
mod determinism;
mod engine;
mod http;
mod job;
mod limits;
mod outcome;
mod output;
mod resolve;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::{Engine, Linker, Store, Trap, UpdateDeadline};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::pipe::MemoryInputPipe;
use wasmtime_wasi::{FsPerms, I32Exit, WasiCtxBuilder};

pub use allowlist::{is_public, Origin, OriginError, OriginHost};
pub use cache::CacheStats;
pub use http::HttpConfig;
pub use job::{
    BlockTime, Job, Limits, Manifest, ManifestError, Permissions, DATA_DIR_GUEST_PATH, MAX_ARGS,
    MAX_OUTPUT_BYTES, MAX_TIMEOUT_MS,
};
pub use outcome::{DecodeError, ExitStatus, Outcome, TrapKind};
pub use resolve::{parse_hosts_entry, HostsEntryError, NameResolver, StaticHosts, SystemResolver};

use cache::ModuleCache;
use determinism::{insecure_seed, FixedWallClock, FrozenMonotonicClock, JobRng};
use engine::EpochTicker;
use http::HttpCtx;
use limits::{JobLimiter, LimitExceeded};
use output::OutputCapture;

/// `argv[0]` of every function (the SDK skips it).
pub const PROGRAM_NAME: &str = "bls-function";

/// Operator settings of a runtime. Defaults suit a small (2-core) machine.
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// Directory for compiled artifacts; `None` keeps the cache in memory only.
    pub cache_dir: Option<PathBuf>,
    /// Jobs that may run at once (pool slots for instances, memories and stacks).
    pub max_concurrent_jobs: u32,
    /// Largest linear memory any job may get; manifests asking for more are refused.
    pub max_memory_bytes: u64,
    /// Bytes of each memory slot kept resident between jobs (≥ 2 MiB for Rust guests).
    pub memory_keep_resident: usize,
    /// Maximum wasm stack size in bytes.
    pub max_wasm_stack: usize,
    /// Epoch tick: the granularity of wall-clock deadlines and of guest yields.
    pub epoch_tick: Duration,
    /// Modules kept instantiated-ready in memory.
    pub module_cache_capacity: usize,
    /// Limits of the `bls_http` extension.
    pub http: HttpConfig,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self {
            cache_dir: None,
            max_concurrent_jobs: 16,
            max_memory_bytes: 1 << 30,
            memory_keep_resident: 2 << 20,
            max_wasm_stack: 512 << 10,
            epoch_tick: Duration::from_millis(10),
            module_cache_capacity: 256,
            http: HttpConfig::default(),
        }
    }
}

/// Why a job could not be run at all (as opposed to an [`Outcome`], which is a result
/// even when the guest trapped). A worker should not commit a result for these.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// The wasmtime engine could not be configured.
    #[error("engine: {0}")]
    Engine(String),
    /// The module cache directory is unusable.
    #[error("module cache: {0}")]
    Cache(String),
    /// The code does not hash to the expected value.
    #[error("code hash mismatch: expected {expected}, got {actual}")]
    HashMismatch {
        /// Hash the caller expected (hex).
        expected: String,
        /// Hash of the bytes given (hex).
        actual: String,
    },
    /// The WASM does not compile.
    #[error("compile: {0}")]
    Compile(String),
    /// The module imports something the sandbox does not provide.
    #[error("link: {0}")]
    Link(String),
    /// No module with this hash was loaded (call [`Runtime::load`] first).
    #[error("module {0} not loaded")]
    ModuleNotLoaded(String),
    /// The manifest or args are invalid.
    #[error("invalid job: {0}")]
    InvalidJob(#[from] ManifestError),
    /// The manifest asks for more memory than this worker is configured to give.
    #[error("job wants {wanted} bytes of memory; this worker allows at most {max}")]
    MemoryAboveWorkerMax {
        /// Requested by the manifest.
        wanted: u64,
        /// [`RuntimeConfig::max_memory_bytes`].
        max: u64,
    },
    /// The worker could not set up or instantiate the job (resources, I/O).
    #[error("setup: {0}")]
    Setup(String),
}

/// Per-store host state of one job.
pub struct JobState {
    wasi: WasiP1Ctx,
    limiter: JobLimiter,
    http: HttpCtx,
}

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
            config.cache_dir.as_deref(),
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

    /// True when a job with this code hash can run without supplying the code.
    pub fn has_module(&self, code_hash: &[u8; 32]) -> bool {
        self.cache.contains(code_hash)
    }

    /// Module cache counters (compiles, disk hits, memory hits).
    pub fn cache_stats(&self) -> CacheStats {
        self.cache.stats()
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
        let env: Vec<(&String, &String)> = manifest.env.iter().collect();

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
