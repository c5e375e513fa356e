//! `bls-worker run`: runs one function locally with the same runtime, limits,
//! determinism and permission checks a worker uses, then prints the outcome and its
//! result hash.
//!
//! Defaults make runs reproducible: job id = 32 zero bytes, block time = 0 (the Unix
//! epoch), no permissions. The command exits 0 whenever the function ran to an outcome
//! (including traps and non-zero guest exits); 1 when it could not run it at all.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use bls_client::cli::units::{parse_duration, parse_size};
use bls_runtime::{
    outcome_json, run_local, write_outcome_text, BlockTime, HttpSection, LocalOutcome, LocalRun,
    Manifest,
};
use clap::{Args, ValueEnum};

/// Output format of `run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable summary.
    Text,
    /// One JSON object.
    Json,
}

/// Arguments of `bls-worker run`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    bls-worker run hello.wasm --stdin Ada\n  \
    bls-worker run sha256-rounds.wasm --stdin abc --arg 1000 --fuel 100000000 --output json\n  \
    bls-worker run http-get.wasm --arg https://api.example.com/v1 --allow-http https://api.example.com\n  \
    # against a mock of that API on this machine, as a worker operator would allow it:\n  \
    bls-worker run http-get.wasm --arg http://api.example.com:8080/v1 \\\n    \
    --allow-http http://api.example.com:8080 --resolve api.example.com=127.0.0.1 \\\n    \
    --allow-private-http 127.0.0.1:8080")]
pub struct RunArgs {
    /// The function's WASM file (a WASI preview 1 command).
    pub file: PathBuf,
    /// Input given to the function on stdin.
    #[arg(long, conflicts_with = "input")]
    pub stdin: Option<String>,
    /// Read the function's input (stdin) from this file.
    #[arg(long, value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// Manifest JSON file (entry, args, env, limits, permissions); flags below add to
    /// or override it.
    #[arg(long, value_name = "FILE")]
    pub manifest: Option<PathBuf>,
    /// Invocation argument (repeatable), passed after the manifest's args.
    #[arg(long = "arg", value_name = "ARG", allow_hyphen_values = true)]
    pub args: Vec<String>,
    /// Environment variable KEY=VALUE for the function (repeatable).
    #[arg(long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// Allow outbound HTTP to this exact origin, e.g. https://api.example.com (repeatable).
    /// Like a manifest's, it must be public: no private IP, no localhost.
    #[arg(long = "allow-http", value_name = "ORIGIN")]
    pub allow_http: Vec<String>,
    /// Answer this name with these addresses instead of DNS, NAME=IP[,IP...] (repeatable;
    /// a worker's `[http] resolve`). The answers are still checked.
    #[arg(long = "resolve", value_name = "NAME=IP")]
    pub resolve: Vec<String>,
    /// Let the function reach this private IP:PORT (repeatable; a worker's
    /// `[http] allow_private`, which only the worker operator can set).
    #[arg(long = "allow-private-http", value_name = "IP:PORT")]
    pub allow_private_http: Vec<String>,
    /// Grant read-only access to this host directory, mounted at /data.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Exported function to call (default `_start`).
    #[arg(long)]
    pub entry: Option<String>,
    /// Wall-clock timeout, e.g. 500ms, 10s, 2m (max 15m).
    #[arg(long, value_parser = parse_duration)]
    pub timeout: Option<std::time::Duration>,
    /// Linear memory limit, e.g. 64MiB.
    #[arg(long, value_parser = parse_size)]
    pub memory: Option<u64>,
    /// Fuel budget (≈ wasm instructions).
    #[arg(long)]
    pub fuel: Option<u64>,
    /// Cap on each of stdout and stderr, e.g. 64KiB (max 1MiB).
    #[arg(long = "max-output", value_parser = parse_size)]
    pub max_output: Option<u64>,
    /// Job id as 64 hex chars; seeds the function's randomness.
    #[arg(long, value_name = "HEX")]
    pub job_id: Option<String>,
    /// Block time (Unix seconds) the function's clock reads.
    #[arg(long, default_value_t = 0)]
    pub block_time: u64,
    /// Keep compiled modules in this directory between runs.
    #[arg(long, value_name = "DIR", env = "BLS_WORKER_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub output: Format,
}

/// Runs the subcommand.
pub fn main(args: RunArgs) -> anyhow::Result<ExitCode> {
    let code =
        std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let input = match (&args.stdin, &args.input) {
        (Some(text), _) => text.clone().into_bytes(),
        (None, Some(path)) => {
            std::fs::read(path).with_context(|| format!("reading {}", path.display()))?
        }
        (None, None) => Vec::new(),
    };
    let manifest = build_manifest(&args)?;
    let http = HttpSection {
        allow_private: args.allow_private_http.clone(),
        resolve: args.resolve.clone(),
    }
    .runtime_config()
    .map_err(|e| anyhow::anyhow!("--allow-private-http / --resolve: {e}"))?;
    let job_id = match &args.job_id {
        None => [0u8; 32],
        Some(h) => hex::decode(h)
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .context("--job-id must be 64 hex characters")?,
    };

    let LocalOutcome { code_hash, outcome } = run_local(LocalRun {
        code,
        manifest,
        input,
        args: args.args.clone(),
        job_id,
        block_time: BlockTime {
            seconds: args.block_time,
            nanos: 0,
        },
        data_dir: args.dir.clone(),
        cache_dir: args.cache_dir.clone(),
        http,
        callees: Vec::new(),
    })?;

    let mut out = std::io::stdout().lock();
    match args.output {
        Format::Json => {
            serde_json::to_writer(&mut out, &outcome_json(&outcome, &code_hash))?;
            writeln!(out)?;
        }
        Format::Text => write_outcome_text(&mut out, &outcome, &code_hash)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn build_manifest(args: &RunArgs) -> anyhow::Result<Manifest> {
    let mut m = match &args.manifest {
        Some(path) => {
            let bytes =
                std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            Manifest::from_json(&bytes).with_context(|| format!("manifest {}", path.display()))?
        }
        None => Manifest::default(),
    };
    if let Some(entry) = &args.entry {
        m.entry = entry.clone();
    }
    for kv in &args.env {
        let Some((k, v)) = kv.split_once('=') else {
            bail!("--env wants KEY=VALUE, got {kv:?}");
        };
        m.env.insert(k.to_string(), v.to_string());
    }
    m.permissions.http.extend(args.allow_http.iter().cloned());
    if args.dir.is_some() {
        m.permissions.filesystem = true;
    }
    if let Some(t) = args.timeout {
        m.limits.timeout_ms = u64::try_from(t.as_millis()).unwrap_or(u64::MAX);
    }
    if let Some(mem) = args.memory {
        m.limits.memory_bytes = mem;
    }
    if let Some(fuel) = args.fuel {
        m.limits.fuel = fuel;
    }
    if let Some(cap) = args.max_output {
        m.limits.output_bytes = u32::try_from(cap).unwrap_or(u32::MAX);
    }
    m.validate()?;
    Ok(m)
}
