//! `bls-worker`: the worker binary.

mod cli;

use clap::{Parser, Subcommand};

/// bls worker: executes bls functions in a wasmtime sandbox.
#[derive(Debug, Parser)]
#[command(name = "bls-worker", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Subcommands. Each one's logic lives in its own module under `cli/`.
#[derive(Debug, Subcommand)]
enum Command {
    /// Run one function locally, exactly as a worker would, and print its outcome and
    /// result hash.
    Run(cli::run::RunArgs),
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("BLS_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => cli::run::main(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(1)
        }
    }
}
