//! The `bls` binary: parse, run, and print errors that say how to fix them.

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let cli = bls_cli::cli::Cli::parse();
    let node = cli.client.node.clone();
    match bls_cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let e = bls_cli::errors::explain(e, &node, None);
            let e = bls_client::chain_error::explain(e, &node, bls_client::chain_error::Tool::Bls);
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
