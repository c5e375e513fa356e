//! [`Runtime`]: one engine, one module cache, one epoch ticker; loads code and runs jobs
//! under their limits.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use wasmtime::{Engine, InstancePre, Linker, Store, Trap, UpdateDeadline};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::pipe::MemoryInputPipe;
use wasmtime_wasi::{FsPerms, I32Exit, WasiCtxBuilder};

use crate::cache::{CacheStats, ModuleCache};
use crate::compose::{self, CallCtx, CallSetupFailed};
use crate::config::RuntimeConfig;
use crate::determinism::{insecure_seed, FixedWallClock, FrozenMonotonicClock, JobRng};
use crate::engine::{self, EpochTicker};
use crate::error::RuntimeError;
use crate::http::{self, HttpCtx};
use crate::job::{BlockTime, Job, Manifest, SecretEnv, DATA_DIR_GUEST_PATH};
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
            compose::CallShared::new(
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
            Err(Failure::Instantiate(e)) => match classify(&e) {
                Some(status) => (status, Some(trap_message(&e))),
                // Not the guest's doing (e.g. pool exhausted): no outcome to report.
                None => return Err(RuntimeError::Setup(format!("instantiate: {e:#}"))),
            },
            Err(Failure::Call(e)) => {
                if let Some(CallSetupFailed(why)) = e.downcast_ref::<CallSetupFailed>() {
                    // A callee could not be set up on this worker: not the guest's doing.
                    return Err(RuntimeError::Setup(why.clone()));
                }
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

/// What one frame's WASI context is built from (the invoked function, or a callee).
pub(crate) struct WasiParts<'a> {
    /// The frame's manifest: its args and env.
    pub manifest: &'a Manifest,
    /// Args after the manifest's (the invocation's; none for a callee).
    pub extra_args: &'a [String],
    /// Secret env (the invoked function's; none for a callee).
    pub secrets: &'a SecretEnv,
    /// stdin.
    pub input: Vec<u8>,
    /// Seeds the frame's randomness.
    pub rng_id: [u8; 32],
    /// The guest's wall clock.
    pub block_time: BlockTime,
    /// The directory preopened read-only at `/data`, when the frame may read it.
    pub data_dir: Option<&'a Path>,
}

/// A frame's WASI context: stdin, capped stdout/stderr, args, env, a clock fixed at the block
/// time, randomness seeded from `rng_id`, no sockets, `/data` when granted.
pub(crate) fn wasi_ctx(
    parts: &WasiParts<'_>,
    stdout: &OutputCapture,
    stderr: &OutputCapture,
) -> Result<WasiP1Ctx, RuntimeError> {
    let manifest = parts.manifest;
    let mut args = Vec::with_capacity(1 + manifest.args.len() + parts.extra_args.len());
    args.push(PROGRAM_NAME.to_string());
    args.extend(manifest.args.iter().cloned());
    args.extend(parts.extra_args.iter().cloned());
    // Secrets win over a same-named plain variable (the chain refuses such manifests;
    // a request's env could still name one).
    let env: Vec<(&str, &str)> = manifest
        .env
        .iter()
        .filter(|(k, _)| !parts.secrets.contains(k))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .chain(parts.secrets.iter())
        .collect();

    let mut b = WasiCtxBuilder::new();
    b.stdin(MemoryInputPipe::new(parts.input.clone()))
        .stdout(stdout.clone())
        .stderr(stderr.clone())
        .args(&args)
        .envs(&env)
        .wall_clock(FixedWallClock(parts.block_time.as_duration()))
        .monotonic_clock(FrozenMonotonicClock)
        .secure_random(JobRng::new(b"secure", &parts.rng_id))
        .insecure_random(JobRng::new(b"insecure", &parts.rng_id))
        .insecure_random_seed(insecure_seed(&parts.rng_id))
        // p1 has no socket creation; deny name lookups and sockets anyway.
        .allow_ip_name_lookup(false)
        .allow_tcp(false)
        .allow_udp(false);
    if let Some(dir) = parts.data_dir {
        b.preopened_dir(dir, DATA_DIR_GUEST_PATH, FsPerms::ReadOnly)
            .map_err(|e| RuntimeError::Setup(format!("preopen {}: {e}", dir.display())))?;
    }
    Ok(b.build_p1())
}

/// A store for one frame: its limiter, `fuel`, and the job's wall-clock `deadline` checked at
/// every epoch tick while wasm runs (host calls are covered by the tokio timeout around the
/// whole job).
pub(crate) fn new_store(
    engine: &Engine,
    state: JobState,
    fuel: u64,
    deadline: Instant,
) -> Result<Store<JobState>, RuntimeError> {
    let mut store = Store::new(engine, state);
    store.limiter(|s| &mut s.limiter);
    store
        .set_fuel(fuel)
        .map_err(|e| RuntimeError::Setup(format!("fuel: {e}")))?;
    store.epoch_deadline_callback(move |_| {
        if Instant::now() >= deadline {
            Err(wasmtime::Error::new(LimitExceeded(TrapKind::Timeout)))
        } else {
            Ok(UpdateDeadline::Yield(1))
        }
    });
    store.set_epoch_deadline(1);
    Ok(store)
}

/// Instantiates `pre` in `store` and calls `entry` (after `_initialize` for a reactor).
pub(crate) async fn execute(
    store: &mut Store<JobState>,
    pre: &InstancePre<JobState>,
    entry: &str,
) -> Result<(), Failure> {
    let instance = pre
        .instantiate_async(&mut *store)
        .await
        .map_err(Failure::Instantiate)?;
    if entry != "_start" {
        // Reactor modules initialize their runtime before any export is called.
        if let Ok(init) = instance.get_typed_func::<(), ()>(&mut *store, "_initialize") {
            init.call_async(&mut *store, ())
                .await
                .map_err(Failure::Call)?;
        }
    }
    let func = instance
        .get_typed_func::<(), ()>(&mut *store, entry)
        .map_err(|e| Failure::Entry(format!("entry {entry:?}: {e}")))?;
    func.call_async(&mut *store, ())
        .await
        .map_err(Failure::Call)
}

/// Where a run failed, before classification.
pub(crate) enum Failure {
    Instantiate(wasmtime::Error),
    Entry(String),
    Call(wasmtime::Error),
}

/// One-line reason for a trap (the root cause, without wasmtime's backtrace).
pub(crate) fn trap_message(err: &wasmtime::Error) -> String {
    err.root_cause().to_string()
}

/// Maps an execution error to a deterministic status, if it is one.
pub(crate) fn classify(err: &wasmtime::Error) -> Option<ExitStatus> {
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
