//! `bls-worker start`: runs the worker daemon (see `bls_worker::daemon`).

use std::path::PathBuf;

use anyhow::Context as _;
use bls_client::KeyringBackend;
use bls_worker::config::Config;
use bls_worker::daemon::fault::Fault;
use bls_worker::daemon::StartOptions;
use clap::{Args, ValueEnum};

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Arguments of `bls-worker start`.
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  BLS_KEYRING_PASSPHRASE_FILE=/run/secrets/worker-pw \\\n    bls-worker start --home ~/.bls-worker --register\n\n\
    The worker key's passphrase is read without a prompt: --keyring-passphrase-file, [keyring]\n\
    passphrase_file, or $BLS_KEYRING_PASSPHRASE.\n\n\
    Logs go to stderr (filter with BLS_LOG, e.g. BLS_LOG=bls_worker=debug); metrics are served at\n\
    http://<metrics.listen>/metrics. SIGINT/SIGTERM stop it gracefully: no new jobs are taken and\n\
    already committed results are revealed (up to worker.shutdown_grace_secs)."
)]
pub struct StartArgs {
    /// Worker home directory (made by `bls-worker init`).
    #[arg(long, env = "BLS_WORKER_HOME")]
    pub home: PathBuf,
    /// Backend of the worker key (overrides `[keyring] backend`): `file` (encrypted) or `test`
    /// (UNENCRYPTED, devnets and CI only).
    #[arg(long, value_enum, env = "BLS_KEYRING_BACKEND")]
    pub keyring_backend: Option<KeyringBackend>,
    /// File whose first line is the worker key's passphrase (overrides `[keyring]
    /// passphrase_file`). Without either: $BLS_KEYRING_PASSPHRASE. Never prompted.
    #[arg(long, env = "BLS_KEYRING_PASSPHRASE_FILE", value_name = "FILE")]
    pub keyring_passphrase_file: Option<PathBuf>,
    /// Register this worker with the configured bond first (skipped when already registered).
    #[arg(long)]
    pub register: bool,
    /// Log format (overrides `log.format` in the config).
    #[arg(long, value_enum)]
    pub log_format: Option<LogFormat>,
    /// TEST ONLY: misbehave deliberately (wrong-result, silent, crash-after-commit; heads:
    /// head-lie, head-silent). A faulty worker or head is slashed; never use this on a real
    /// network.
    #[arg(long, value_enum, hide = true)]
    pub fault: Option<Fault>,
    /// Prometheus /metrics listen address (overrides `metrics.listen` in the config), e.g.
    /// `127.0.0.1:9465`; port 0 picks a free port (logged); "" disables metrics. A second
    /// worker on one machine needs its own.
    #[arg(long, value_name = "ADDR")]
    pub metrics_listen: Option<String>,
    /// libp2p listen multiaddr, e.g. `/ip4/0.0.0.0/tcp/4001`: serves work orders and code
    /// blobs to registered peers and is published on chain at registration.
    #[arg(long)]
    pub p2p_listen: Option<String>,
    /// Serve the head worker HTTP API (fast path) at this address, e.g. `127.0.0.1:8080`
    /// (needs `--p2p-listen`).
    #[arg(long)]
    pub head_listen: Option<std::net::SocketAddr>,
    /// Head API: sustained requests per second per account.
    #[arg(long, default_value_t = 50)]
    pub head_rate: u32,
    /// Head API: burst per account.
    #[arg(long, default_value_t = 100)]
    pub head_burst: u32,
    /// Head API: largest request body in bytes.
    #[arg(long, default_value_t = 256 * 1024)]
    pub head_max_body: usize,
    /// Head: milliseconds between settlement batches.
    #[arg(long, default_value_t = 1000)]
    pub settle_interval_ms: u64,
    /// Head API: web origins whose pages may call it from a browser (CORS), comma-separated,
    /// e.g. `https://app.example.org`; `*` (the default) allows any page: every request is
    /// signed by its invoker and the API uses no cookies, so no page gains anything another
    /// could not. "" allows no origin (no Access-Control-Allow-Origin header: browsers refuse
    /// cross-origin calls).
    #[arg(long, default_value = "*", value_name = "ORIGINS")]
    pub head_cors_origins: String,
}

/// Runs the subcommand.
pub fn main(args: StartArgs) -> anyhow::Result<std::process::ExitCode> {
    let mut config = Config::load(&args.home)?;
    if let Some(b) = args.keyring_backend {
        config.keyring.backend = b;
    }
    if let Some(f) = &args.keyring_passphrase_file {
        // Relative to where the command runs, as a user typing it expects.
        config.keyring.passphrase_file = std::path::absolute(f)
            .with_context(|| format!("--keyring-passphrase-file {}", f.display()))?;
    }
    if let Some(listen) = &args.metrics_listen {
        if !listen.is_empty() {
            listen
                .parse::<std::net::SocketAddr>()
                .with_context(|| format!("--metrics-listen {listen:?}: expected IP:PORT"))?;
        }
        config.metrics.listen = listen.clone();
    }
    let json = match args.log_format {
        Some(f) => f == LogFormat::Json,
        None => config.log.format == "json",
    };
    super::init_tracing(json, &config.log.level);
    if let Some(f) = args.fault {
        tracing::warn!(fault = ?f, "TEST-ONLY fault injection enabled");
    }
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting tokio")?;
    tokio.block_on(bls_worker::daemon::run(
        &args.home,
        config,
        StartOptions {
            register: args.register,
            fault: args.fault,
            p2p_listen: args.p2p_listen.clone(),
            head: args.head_listen.map(|listen| bls_worker::head::HeadConfig {
                listen,
                max_body_bytes: args.head_max_body,
                cors_origins: args
                    .head_cors_origins
                    .split(',')
                    .map(str::trim)
                    .filter(|o| !o.is_empty())
                    .map(str::to_string)
                    .collect(),
                rate_per_sec: args.head_rate,
                burst: args.head_burst,
                settle_interval: std::time::Duration::from_millis(args.settle_interval_ms),
                receipts_journal: Some(
                    args.home
                        .join("data")
                        .join(bls_worker::head::settle::JOURNAL_FILE),
                ),
                served_dir: Some(
                    args.home
                        .join("data")
                        .join(bls_worker::head::served::SERVED_DIR),
                ),
            }),
        },
    ))?;
    Ok(std::process::ExitCode::SUCCESS)
}
