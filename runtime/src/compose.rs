//! The `bls_call` host extension: a function calls another function inside the same job, on
//! the same worker. ABI (mirrored by `bls_sdk::call`):
//!
//! - `call(function_id: i64, version: i64, input_ptr: i32, input_len: i32,
//!   output_len_out: i32) -> i32`: runs the callee with the input as its stdin; returns 0 and
//!   writes the length of its stdout at `output_len_out`, or returns a [`CallErrorCode`];
//! - `output(buf_ptr: i32, buf_len: i32) -> i32`: copies the last call's output into the
//!   buffer; its length, or minus a code (`BadBuffer` when the buffer is too small);
//! - `last_error(buf_ptr: i32, buf_len: i32) -> i32`: the last refusal's message, truncated to
//!   the buffer; the bytes written.
//!
//! The rules, each with a test that tries to break it (`runtime/tests/compose.rs`):
//! - **What may be called**: only a function the calling frame's manifest declares in
//!   `calls`, and only as the chain pinned it for this job ([`crate::Job::callees`]: code,
//!   version, manifest). `version` 0 means the pinned one; another number must equal it.
//! - **Budgets are the job's**: a callee burns the job's fuel (what it used is gone from its
//!   caller), runs under the job's deadline, and may use at most its own memory limit and
//!   what its callers leave of theirs. A callee that runs out of fuel or time, or overflows
//!   its stack, ends the whole job with that trap; any other failure of the callee (its own
//!   memory limit, a trap, a non-zero exit, an output flood) is an error its caller can
//!   handle, in fixed words (never the engine's text, which the guest could print).
//! - **Permissions never widen**: the callee's HTTP allowlist is its own intersected with its
//!   caller's; `/data` only when both may read it; no secrets; its own env and args; the
//!   job's HTTP request budget is shared.
//! - **Bounded**: at most [`MAX_CALL_DEPTH`] frames below the invoked function (a cycle ends
//!   there with a clear error) and [`MAX_CALLS_PER_JOB`] calls per job.
//! - **Deterministic**: the callee's randomness is seeded from the job seed and the call's
//!   index; every call is recorded (function, exit 0 or not) in the outcome's call log, which
//!   the quorum agrees on and the chain pays callee owners from.

use bls_core::composition::{Call, MAX_CALLS_PER_JOB, MAX_CALL_DEPTH, MAX_CALL_INPUT_BYTES};
use sha2::{Digest, Sha256};
use wasmtime::{Caller, Extern, Linker, Memory};

use crate::allowlist::Origin;
use crate::error::RuntimeError;
use crate::frame::{
    classify, execute, new_store, wasi_ctx, worker_side, Failure, FrameSetupFailed, WasiParts,
};
use crate::http::HttpCtx;
use crate::job::SecretEnv;
use crate::limits::{JobLimiter, LimitExceeded};
use crate::outcome::{ExitStatus, TrapKind};
use crate::output::OutputCapture;
use crate::state::{CallCtx, JobState};

/// Name of the import module guests link against.
pub const MODULE: &str = "bls_call";

/// Most bytes of a failed callee's stderr quoted in the error its caller reads.
const STDERR_QUOTE_BYTES: usize = 256;

/// Why a call was refused or failed (mirrors `bls_sdk::call::ErrorKind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum CallErrorCode {
    /// The calling function's manifest does not declare this function in `calls`.
    NotDeclared = 1,
    /// The chain did not pin this function for the job (off chain: fast path, local run).
    Unavailable = 2,
    /// The guest asked for a version other than the pinned one.
    VersionMoved = 3,
    /// The call would nest deeper than [`MAX_CALL_DEPTH`].
    DepthLimit = 4,
    /// The job already made [`MAX_CALLS_PER_JOB`] calls.
    CallBudget = 5,
    /// The callee ran and failed: a trap, its memory limit, a non-zero exit, an output flood.
    Failed = 6,
    /// A guest pointer or length out of bounds, or an output buffer too small.
    BadBuffer = 7,
    /// The input is larger than [`MAX_CALL_INPUT_BYTES`].
    InputTooLarge = 8,
}

/// A refused or failed call: the code for the guest and the message for `last_error`.
struct Refusal {
    code: CallErrorCode,
    message: String,
}

fn refuse(code: CallErrorCode, message: impl Into<String>) -> Refusal {
    Refusal {
        code,
        message: message.into(),
    }
}

fn guest_memory(caller: &mut Caller<'_, JobState>) -> Option<Memory> {
    match caller.get_export("memory") {
        Some(Extern::Memory(m)) => Some(m),
        _ => None,
    }
}

/// Guest pointers are u32 addresses carried in i32.
fn at(ptr: i32) -> usize {
    ptr as u32 as usize
}

/// Registers `bls_call.call`, `bls_call.output` and `bls_call.last_error`.
pub(crate) fn add_to_linker(linker: &mut Linker<JobState>) -> wasmtime::Result<()> {
    linker.func_wrap_async(
        MODULE,
        "call",
        |mut caller: Caller<'_, JobState>,
         (function_id, version, input_ptr, input_len, output_len_out): (
            i64,
            i64,
            i32,
            i32,
            i32,
        )| {
            Box::new(async move {
                let ran = call(
                    &mut caller,
                    function_id as u64,
                    version as u64,
                    (at(input_ptr), at(input_len)),
                    at(output_len_out),
                )
                .await?;
                match ran {
                    Ok(output) => {
                        let len = u32::try_from(output.len()).unwrap_or(u32::MAX);
                        let ctx = &mut caller.data_mut().calls;
                        ctx.last_output = output;
                        ctx.last_error.clear();
                        let Some(mem) = guest_memory(&mut caller) else {
                            return Ok(CallErrorCode::BadBuffer as i32);
                        };
                        Ok(
                            match mem.write(&mut caller, at(output_len_out), &len.to_le_bytes()) {
                                Ok(()) => 0,
                                Err(_) => CallErrorCode::BadBuffer as i32,
                            },
                        )
                    }
                    Err(r) => {
                        let ctx = &mut caller.data_mut().calls;
                        ctx.last_output.clear();
                        ctx.last_error = r.message;
                        Ok(r.code as i32)
                    }
                }
            })
        },
    )?;

    linker.func_wrap(
        MODULE,
        "output",
        |mut caller: Caller<'_, JobState>, buf_ptr: i32, buf_len: i32| -> i32 {
            let bad = -(CallErrorCode::BadBuffer as i32);
            let Some(mem) = guest_memory(&mut caller) else {
                return bad;
            };
            let output = std::mem::take(&mut caller.data_mut().calls.last_output);
            let result = if output.len() > at(buf_len) {
                bad
            } else {
                match mem.write(&mut caller, at(buf_ptr), &output) {
                    Ok(()) => i32::try_from(output.len()).unwrap_or(bad),
                    Err(_) => bad,
                }
            };
            caller.data_mut().calls.last_output = output;
            result
        },
    )?;

    linker.func_wrap(
        MODULE,
        "last_error",
        |mut caller: Caller<'_, JobState>, buf_ptr: i32, buf_len: i32| -> i32 {
            let Some(mem) = guest_memory(&mut caller) else {
                return 0;
            };
            let message = caller.data().calls.last_error.clone().into_bytes();
            let n = message.len().min(at(buf_len));
            let Some(prefix) = message.get(..n) else {
                return 0;
            };
            match mem.write(&mut caller, at(buf_ptr), prefix) {
                Ok(()) => i32::try_from(n).unwrap_or(0),
                Err(_) => 0,
            }
        },
    )?;
    Ok(())
}

/// Runs one call from the frame `caller`. `Ok(Err)` is an error the caller handles; `Err`
/// traps the caller (the job's fuel or time is spent, or the worker could not set up the
/// callee).
async fn call(
    caller: &mut Caller<'_, JobState>,
    function_id: u64,
    version: u64,
    (input_at, input_len): (usize, usize),
    output_len_at: usize,
) -> wasmtime::Result<Result<Vec<u8>, Refusal>> {
    let ctx = &caller.data().calls;
    if !ctx.declared.contains(&function_id) {
        return Ok(Err(refuse(
            CallErrorCode::NotDeclared,
            format!(
                "function {function_id} is not in this function's manifest `calls` {:?}",
                ctx.declared
            ),
        )));
    }
    let shared = ctx.shared.clone();
    let Some((callee, pre)) = shared
        .callees
        .iter()
        .find(|(c, _)| c.function_id == function_id)
    else {
        return Ok(Err(refuse(
            CallErrorCode::Unavailable,
            format!(
                "function {function_id} is not available to this job: calls run in on-chain jobs, \
                 for which the chain pins every callee at invoke (not on the fast path, not in a \
                 local run without it)"
            ),
        )));
    };
    if version != 0 && version != callee.version {
        return Ok(Err(refuse(
            CallErrorCode::VersionMoved,
            format!(
                "function {function_id} runs version {} in this job, not version {version}",
                callee.version
            ),
        )));
    }
    if ctx.depth >= MAX_CALL_DEPTH {
        let path: Vec<String> = ctx
            .path
            .iter()
            .chain(std::iter::once(&function_id))
            .map(u64::to_string)
            .collect();
        return Ok(Err(refuse(
            CallErrorCode::DepthLimit,
            format!(
                "call depth limit {MAX_CALL_DEPTH} reached: the call to function {function_id} \
                 (path {}) is refused",
                path.join(" → ")
            ),
        )));
    }
    if input_len > MAX_CALL_INPUT_BYTES as usize {
        return Ok(Err(refuse(
            CallErrorCode::InputTooLarge,
            format!("input of {input_len} bytes is above the {MAX_CALL_INPUT_BYTES}-byte limit of a call"),
        )));
    }
    // Everything a refusal can rest on is checked before the host copies or runs anything:
    // the job's call budget, then the guest's buffers (memory never shrinks, so buffers in
    // bounds now are in bounds after the call).
    if shared.log().len() >= MAX_CALLS_PER_JOB as usize {
        return Ok(Err(refuse(
            CallErrorCode::CallBudget,
            format!("this job already made {MAX_CALLS_PER_JOB} calls, the most a job may make"),
        )));
    }
    let Some(mem) = guest_memory(caller) else {
        return Ok(Err(refuse(CallErrorCode::BadBuffer, "no memory export")));
    };
    let size = mem.data_size(&*caller);
    let within = |at: usize, len: usize| at.checked_add(len).is_some_and(|end| end <= size);
    if !within(input_at, input_len) {
        return Ok(Err(refuse(CallErrorCode::BadBuffer, "input out of bounds")));
    }
    if !within(output_len_at, 4) {
        return Ok(Err(refuse(
            CallErrorCode::BadBuffer,
            "output length pointer out of bounds",
        )));
    }
    let mut input = vec![0u8; input_len];
    if mem.read(&*caller, input_at, &mut input).is_err() {
        return Ok(Err(refuse(CallErrorCode::BadBuffer, "input out of bounds")));
    }
    let index = {
        let mut log = shared.log();
        log.push(Call {
            function_id,
            ok: false,
        });
        log.len() - 1
    };

    // The callee's budgets: the job's fuel and deadline, and the memory its callers leave.
    let caller_memory = u64::try_from(mem.data_size(&*caller)).unwrap_or(u64::MAX);
    let memory_left = caller
        .data()
        .limiter
        .memory_bytes()
        .saturating_sub(caller_memory);
    let memory = callee.manifest.limits.memory_bytes.min(memory_left);
    let fuel = caller.get_fuel()?;
    // Its permissions: its own, never more than its caller's.
    let ctx = &caller.data().calls;
    let origins: Vec<Origin> = callee
        .manifest
        .http_origins()
        .into_iter()
        .filter(|o| ctx.http.contains(o))
        .collect();
    let filesystem = ctx.filesystem && callee.manifest.permissions.filesystem;
    let mut path = ctx.path.clone();
    path.push(function_id);
    let frame = CallCtx {
        shared: shared.clone(),
        depth: ctx.depth + 1,
        path,
        declared: callee.manifest.calls.clone(),
        http: origins.clone(),
        filesystem,
        last_output: Vec::new(),
        last_error: String::new(),
    };
    let mut http = HttpCtx::new(origins, shared.http.clone());
    http.set_requests_made(caller.data().http.requests_made());

    let output_cap = callee.manifest.limits.output_bytes as usize;
    let stdout = OutputCapture::new(output_cap);
    let stderr = OutputCapture::new(output_cap);
    let setup = |e: RuntimeError| wasmtime::Error::new(FrameSetupFailed(e.to_string()));
    let wasi = wasi_ctx(
        &WasiParts {
            manifest: &callee.manifest,
            extra_args: &[],
            secrets: &SecretEnv::default(),
            input,
            rng_id: call_seed(&shared.job_id, index),
            block_time: shared.block_time,
            data_dir: shared.data_dir.as_deref().filter(|_| filesystem),
        },
        &stdout,
        &stderr,
    )
    .map_err(setup)?;
    let state = JobState {
        wasi,
        limiter: JobLimiter::new(memory),
        http,
        calls: frame,
    };
    let mut store = new_store(&shared.engine, state, fuel, shared.deadline).map_err(setup)?;
    let result = execute(&mut store, pre, callee.manifest.entry()).await;
    // Whatever the callee burnt is gone from the job's budget.
    caller.set_fuel(store.get_fuel().unwrap_or(0))?;
    let requests = store.data().http.requests_made();
    caller.data_mut().http.set_requests_made(requests);

    let status = match result {
        Ok(()) => ExitStatus::Exited(0),
        // Fixed words, not wasmtime's: the guest may print them into the outcome.
        Err(Failure::Entry(_)) => {
            return Ok(Err(refuse(
                CallErrorCode::Failed,
                format!(
                    "function {function_id} exports no entry {:?} of type () -> ()",
                    callee.manifest.entry()
                ),
            )))
        }
        // The worker's own failure (its pool, a deeper callee's setup): no outcome here.
        Err(Failure::Instantiate(e) | Failure::Call(e)) if worker_side(&e).is_some() => {
            let why = worker_side(&e).unwrap_or_default();
            return Err(wasmtime::Error::new(FrameSetupFailed(why)));
        }
        Err(Failure::Instantiate(e) | Failure::Call(e)) => {
            classify(&e).unwrap_or(ExitStatus::Trapped(TrapKind::Other))
        }
    };
    let why = match status {
        ExitStatus::Exited(0) => {
            if let Some(c) = shared.log().get_mut(index) {
                c.ok = true;
            }
            return Ok(Ok(stdout.take().0));
        }
        // The job's own budgets are spent, or the stack overflowed (its depth is the
        // machine's, not the protocol's, and must not become an answer the caller can
        // print): the whole job ends with that trap.
        ExitStatus::Trapped(
            kind @ (TrapKind::OutOfFuel | TrapKind::Timeout | TrapKind::StackOverflow),
        ) => {
            return Err(wasmtime::Error::new(LimitExceeded(kind)));
        }
        ExitStatus::Trapped(TrapKind::OutOfMemory) => format!(
            "ran out of memory (its limit here: {memory} bytes, its own limit or what its callers left)"
        ),
        ExitStatus::Trapped(kind) => format!("trapped: {kind}"),
        ExitStatus::Exited(code) => format!("exited with code {code}"),
    };
    let (err, _) = stderr.take();
    let quoted = String::from_utf8_lossy(&err[..err.len().min(STDERR_QUOTE_BYTES)]).into_owned();
    let quoted = quoted.trim_end();
    Ok(Err(refuse(
        CallErrorCode::Failed,
        if quoted.is_empty() {
            format!("function {function_id} {why}")
        } else {
            format!("function {function_id} {why}; its stderr: {quoted}")
        },
    )))
}

/// The seed of the `index`th call's randomness: the job's seed and the call's place, so every
/// worker hands each callee the same bytes and no two calls share a stream.
fn call_seed(job_id: &[u8; 32], index: usize) -> [u8; 32] {
    Sha256::new()
        .chain_update(b"bls-call/v1/")
        .chain_update(job_id)
        .chain_update(u64::try_from(index).unwrap_or(u64::MAX).to_le_bytes())
        .finalize()
        .into()
}
