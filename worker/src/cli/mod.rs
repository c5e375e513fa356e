//! Subcommand implementations of the `bls-worker` binary.

pub mod init;
pub mod run;
pub mod start;

/// Installs the global log subscriber (stderr). `BLS_LOG` overrides `default_filter`.
pub fn init_tracing(json: bool, default_filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("BLS_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    // No color codes when logging to a file or a pipe.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}
