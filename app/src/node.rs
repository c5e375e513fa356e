//! The `blsd start` process: the owner thread with the app, the ABCI socket server, and the
//! REST gateway + metrics on a small tokio runtime.

use std::sync::Arc;

use anyhow::Context as _;
use tracing_subscriber::EnvFilter;

use crate::abci::{AbciServer, BlsApp, OwnerThread};
use crate::config::{AppConfig, Home};
use crate::metrics::AppMetrics;

/// Sets up `tracing` per app.toml (`RUST_LOG` overrides the level).
pub fn init_tracing(cfg: &AppConfig) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(cfg.log_level.clone()));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second init (tests) is harmless: ignore the error.
    let _ = if cfg.log_format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// Runs the node until SIGINT/SIGTERM (or until an upgrade plan this binary does not know
/// halts it), applying `upgrades` at their plans' heights.
pub fn run(
    home: &Home,
    cfg: &AppConfig,
    upgrades: &'static [crate::upgrades::Upgrade],
) -> anyhow::Result<()> {
    let db = home.db();
    if let Some(dir) = db.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut app = BlsApp::open(&db).with_context(|| format!("open state at {}", db.display()))?;
    app.set_upgrades(crate::upgrades::Upgrades::new(
        upgrades,
        Some(home.0.join("data")),
    ));
    app.check_upgrade_startup()?;
    // A full node never extends votes; creating the secret anyway means a node that later
    // becomes a validator already has one.
    let secret = crate::beacon_secret::load_or_create(&home.beacon_secret())?;
    app.set_beacon_secret(secret);
    let metrics = AppMetrics::new();
    app.set_metrics(metrics.clone());
    app.set_max_concurrent_queries(cfg.max_concurrent_queries);
    app.store().set_pruning(cfg.pruning_policy()?);
    let snapshots =
        crate::statesync::SnapshotStore::open(&home.snapshots(), cfg.snapshot_keep_recent)
            .context("opening the snapshot directory")?;
    app.set_snapshots(snapshots, cfg.snapshot_interval);
    tracing::info!(
        height = app.store().last_height(),
        app_hash = %hex::encode(app.store().app_hash()),
        "state loaded"
    );
    let (_owner, handle) = OwnerThread::spawn(app);

    let server = AbciServer::bind(&cfg.abci_listen)
        .with_context(|| format!("cannot listen for ABCI on {}", cfg.abci_listen))?;
    tracing::info!(addr = %server.local_addr()?, "ABCI server listening");
    let abci = handle.clone();
    std::thread::Builder::new()
        .name("abci-server".into())
        .spawn(move || {
            if let Err(e) = server.serve(abci) {
                tracing::error!(error = %e, "ABCI server stopped");
                std::process::exit(1);
            }
        })?;

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        if !cfg.api_listen.is_empty() {
            let state = Arc::new(crate::rest::RestState {
                abci: handle,
                metrics,
                cometbft_rpc: cfg.cometbft_rpc.clone(),
                http: reqwest::Client::new(),
                api_listen: cfg.api_listen.clone(),
                sign_in: Default::default(),
            });
            let listener = tokio::net::TcpListener::bind(&cfg.api_listen)
                .await
                .with_context(|| format!("cannot listen for the REST API on {}", cfg.api_listen))?;
            tracing::info!(addr = %cfg.api_listen, "REST gateway and /metrics listening");
            let mut router = crate::rest::router(state);
            // Opt-in: without origins, browsers keep other sites from reading the gateway.
            if !cfg.cors_allowed_origins.is_empty() {
                router = router.layer(bls_client::cors::layer(&cfg.cors_allowed_origins)?);
            }
            tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, router).await {
                    tracing::error!(error = %e, "REST server stopped");
                }
            });
        }
        shutdown_signal().await;
        tracing::info!("shutting down");
        anyhow::Ok(())
    })?;
    // Every commit is one atomic redb transaction, so exiting here never leaves half a block.
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
