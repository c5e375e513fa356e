//! `blsd`: the bls chain node and its command-line client. See `blsd --help`.

use clap::Parser;

fn main() {
    let cli = bls_app::cli::Cli::parse();
    if let Err(e) = cli.run() {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
