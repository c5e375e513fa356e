//! One frame of a job: the WASI context, the store with its limits, the call into the entry
//! point, and how a failure is classified. The invoked function is a frame
//! ([`crate::Runtime::run`]); so is every function it calls ([`crate::compose`]).

use std::path::Path;
use std::time::Instant;

use wasmtime::{Engine, InstancePre, Store, Trap, UpdateDeadline};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::pipe::MemoryInputPipe;
use wasmtime_wasi::{FsPerms, I32Exit, WasiCtxBuilder};

use crate::determinism::{insecure_seed, FixedWallClock, FrozenMonotonicClock, JobRng};
use crate::error::RuntimeError;
use crate::job::{BlockTime, Manifest, SecretEnv, DATA_DIR_GUEST_PATH};
use crate::limits::LimitExceeded;
use crate::outcome::{ExitStatus, TrapKind};
use crate::output::OutputCapture;
use crate::state::JobState;

/// `argv[0]` of every function (the SDK skips it).
pub const PROGRAM_NAME: &str = "bls-function";

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

/// A frame could not be set up on this worker (the pool exhausted, I/O): not the guest's
/// doing, so the job has no outcome on this worker ([`RuntimeError::Setup`]).
#[derive(Debug, thiserror::Error)]
#[error("setting up a frame: {0}")]
pub struct FrameSetupFailed(pub String);

/// Why `err` is this worker's failure rather than the guest's — its instance pool exhausted, or
/// a callee's frame not set up — if it is: then no outcome may be reported. Everything else a
/// guest can cause, so it is the guest's outcome.
pub(crate) fn worker_side(err: &wasmtime::Error) -> Option<String> {
    if let Some(FrameSetupFailed(why)) = err.downcast_ref::<FrameSetupFailed>() {
        return Some(why.clone());
    }
    err.downcast_ref::<wasmtime::PoolConcurrencyLimitError>()
        .map(|e| e.to_string())
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
