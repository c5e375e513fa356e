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
    /// Create a worker home: a new key and a commented config.toml; prints the address
    /// to fund.
    Init(cli::init::InitArgs),
    /// Run the worker daemon: follow the chain, execute assigned jobs, commit and reveal
    /// results.
    Start(cli::start::StartArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => {
            cli::init_tracing(false, "warn");
            cli::run::main(args)
        }
        Command::Init(args) => {
            cli::init_tracing(false, "warn");
            cli::init::main(args)
        }
        // Configures logging itself, from its config file.
        Command::Start(args) => cli::start::main(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(1)
        }
    }
}
