//! Running one function locally, exactly as a worker would (same runtime, limits,
//! determinism and permission checks), for `bls-worker run` and the `bls` developer CLI.

use std::path::PathBuf;

use crate::config::{HttpConfig, RuntimeConfig};
use crate::error::RuntimeError;
use crate::job::{BlockTime, Callee, Job, Manifest};
use crate::outcome::{ExitStatus, Outcome};
use crate::sandbox::Runtime;

/// One local execution: the code, how to run it and the job context it sees.
#[derive(Debug, Clone, Default)]
pub struct LocalRun {
    /// The WASM module (a WASI preview 1 command).
    pub code: Vec<u8>,
    /// The manifest, as deployed.
    pub manifest: Manifest,
    /// Input given on stdin.
    pub input: Vec<u8>,
    /// Invocation args (after the manifest's args).
    pub args: Vec<String>,
    /// Job id: seeds the function's randomness (a worker uses the job's on-chain seed).
    pub job_id: [u8; 32],
    /// Block time the function's clock reads.
    pub block_time: BlockTime,
    /// Read-only host directory mounted at the data path (needs the filesystem permission).
    pub data_dir: Option<PathBuf>,
    /// Keep compiled modules here between runs.
    pub cache_dir: Option<PathBuf>,
    /// What the function's HTTP may reach beyond the public internet (a worker operator's
    /// `[http]` settings; default: nothing private).
    pub http: HttpConfig,
    /// Functions the run may call with `bls_call` (what the chain would pin at invoke).
    pub callees: Vec<LocalCallee>,
}

/// A function a local run may call: its id, version, code and manifest.
#[derive(Debug, Clone, Default)]
pub struct LocalCallee {
    /// The function id the caller names.
    pub function_id: u64,
    /// The version it runs as (a caller naming another is refused; 0 from the caller means
    /// this one).
    pub version: u64,
    /// Its WASM module.
    pub code: Vec<u8>,
    /// Its manifest.
    pub manifest: Manifest,
}

/// The code's hash and the outcome of a [`LocalRun`].
#[derive(Debug, Clone)]
pub struct LocalOutcome {
    /// sha256 of the code (what the chain stores).
    pub code_hash: [u8; 32],
    /// What the function did.
    pub outcome: Outcome,
}

/// Runs `run` on a fresh single-job runtime inside its own current-thread tokio runtime
/// (call it from synchronous code, not from inside an async context).
pub fn run_local(run: LocalRun) -> Result<LocalOutcome, RuntimeError> {
    let runtime = Runtime::new(RuntimeConfig {
        cache_dir: run.cache_dir,
        max_concurrent_jobs: 1,
        http: run.http,
        ..RuntimeConfig::default()
    })?;
    check_wasm_header(&run.code)?;
    let code_hash = runtime.load(&run.code)?;
    let exports = runtime.exported_functions(&code_hash)?;
    if !exports.iter().any(|e| e == run.manifest.entry()) {
        return Err(RuntimeError::NoEntry {
            entry: run.manifest.entry().to_string(),
            exports: if exports.is_empty() {
                "no functions".into()
            } else {
                exports
                    .iter()
                    .map(|e| format!("`{e}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        });
    }
    let mut callees = Vec::with_capacity(run.callees.len());
    for c in run.callees {
        check_wasm_header(&c.code)?;
        callees.push(Callee {
            function_id: c.function_id,
            version: c.version,
            code_hash: runtime.load(&c.code)?,
            manifest: c.manifest,
        });
    }
    let job = Job {
        id: run.job_id,
        code_hash,
        manifest: run.manifest,
        input: run.input,
        args: run.args,
        block_time: run.block_time,
        data_dir: run.data_dir,
        secrets: Default::default(),
        callees,
    };
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| RuntimeError::Engine(format!("starting tokio: {e}")))?;
    let outcome = tokio.block_on(runtime.run(&job))?;
    Ok(LocalOutcome { code_hash, outcome })
}

/// The first bytes of a WebAssembly core module: `\0asm`, version 1.
const CORE_MODULE_HEADER: [u8; 8] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/// Refuses, in words a developer can act on, a file that is not a WebAssembly core module
/// (wasmtime would only say "bad magic number").
fn check_wasm_header(code: &[u8]) -> Result<(), RuntimeError> {
    const BUILD: &str = "build one with `bls function build` (or `cargo build --release \
                         --target wasm32-wasip1`) and run the .wasm it writes";
    if code.starts_with(&CORE_MODULE_HEADER) {
        return Ok(());
    }
    if code.starts_with(&CORE_MODULE_HEADER[..4]) {
        return Err(RuntimeError::NotWasm(format!(
            "this is a WebAssembly component or a newer binary format (version bytes {}), not \
             a WASI preview 1 core module: {BUILD}",
            hex::encode(code.get(4..8).unwrap_or_default())
        )));
    }
    let head = &code[..code.len().min(8)];
    let text: String = head
        .iter()
        .map(|b| {
            if b.is_ascii_graphic() || *b == b' ' {
                char::from(*b)
            } else {
                '.'
            }
        })
        .collect();
    Err(RuntimeError::NotWasm(if code.is_empty() {
        format!("the file is empty, not a WebAssembly module: {BUILD}")
    } else {
        format!(
            "not a WebAssembly module: it starts with {} (\"{text}\") where a .wasm file starts \
             with 00 61 73 6d (\"\\0asm\"): {BUILD}",
            head.iter()
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(" ")
        )
    }))
}

/// The outcome as one JSON object with stable field names (`bls-worker run --output json`).
pub fn outcome_json(o: &Outcome, code_hash: &[u8; 32]) -> serde_json::Value {
    let (status, exit_code, trap) = match o.status {
        ExitStatus::Exited(code) => ("exited", Some(code), None),
        ExitStatus::Trapped(kind) => ("trapped", None, Some(kind.as_str())),
    };
    serde_json::json!({
        "code_hash": hex::encode(code_hash),
        "status": status,
        "exit_code": exit_code,
        "trap": trap,
        "trap_message": o.trap_message,
        "stdout": String::from_utf8_lossy(&o.stdout),
        "stdout_truncated": o.stdout_truncated,
        "stderr": String::from_utf8_lossy(&o.stderr),
        "stderr_truncated": o.stderr_truncated,
        "fuel_used": o.fuel_used,
        "wall_time_us": u64::try_from(o.wall_time.as_micros()).unwrap_or(u64::MAX),
        "result_hash": hex::encode(o.result_hash()),
        "calls": o.calls,
    })
}

/// The outcome as human-readable text (`bls-worker run`): status, fuel, time, stdout and
/// stderr verbatim, then the result hash.
pub fn write_outcome_text(
    out: &mut impl std::io::Write,
    o: &Outcome,
    code_hash: &[u8; 32],
) -> std::io::Result<()> {
    writeln!(out, "code hash:   {}", hex::encode(code_hash))?;
    match o.status {
        ExitStatus::Exited(code) => writeln!(out, "status:      exited {code}")?,
        ExitStatus::Trapped(kind) => writeln!(out, "status:      trapped: {kind}")?,
    }
    if let Some(msg) = &o.trap_message {
        writeln!(out, "trap:        {}", msg.lines().next().unwrap_or(""))?;
    }
    writeln!(out, "fuel used:   {}", o.fuel_used)?;
    writeln!(out, "wall time:   {:?}", o.wall_time)?;
    for c in &o.calls {
        let how = if c.ok { "ok" } else { "failed" };
        writeln!(out, "called:      function {} ({how})", c.function_id)?;
    }
    for (name, bytes, truncated) in [
        ("stdout", &o.stdout, o.stdout_truncated),
        ("stderr", &o.stderr, o.stderr_truncated),
    ] {
        let note = if truncated { ", truncated" } else { "" };
        writeln!(out, "--- {name} ({} bytes{note}) ---", bytes.len())?;
        out.write_all(bytes)?;
        if !bytes.is_empty() && !bytes.ends_with(b"\n") {
            writeln!(out)?;
        }
    }
    writeln!(out, "result hash: {}", hex::encode(o.result_hash()))
}
