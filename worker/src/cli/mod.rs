//! Subcommand implementations of the `bls-worker` binary.

pub mod run;
pub mod units;
