//! Subcommand implementations of the `bls-worker` binary.

pub mod init;
pub mod run;
pub mod start;
