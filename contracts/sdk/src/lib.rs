//! Guest SDK for bls functions (target `wasm32-wasip1`).
//!
//! A bls function is a WASI command: the worker gives it
//! - its **input** on stdin (the invocation's input bytes),
//! - its **args** (the manifest's args, then the invocation's args; `argv[0]` is
//!   always [`PROGRAM_NAME`] and is not returned by [`args`]),
//! - its **env** (only the manifest's env; nothing from the worker's host),
//! - a clock fixed at the job's block time and randomness seeded from the job id,
//!
//! and records its **output** from stdout (and diagnostics from stderr), capped by the
//! manifest. Outbound HTTP goes through the `bls_http` host extension ([`http`]) and is
//! allowed only to origins listed in the manifest. Another listed function is called through
//! the `bls_call` host extension ([`call`]), when the manifest declares it in `calls`.
//! Connectors on top of the HTTP extension (so the allowlist and limits apply): [`ipfs`] (cat
//! and add through a kubo RPC API or a gateway), [`cosmos`] (ABCI queries and bank balances
//! through a CometBFT RPC endpoint) and [`ethereum`] (block number, balances, calls and logs
//! through a JSON-RPC endpoint: Ethereum, BNB Chain and the like) and [`s3`] (list, get and
//! put objects, signed with AWS Signature Version 4 inside the guest).

use std::io::{Read, Write};

pub mod call;
mod connector;
pub mod cosmos;
pub mod ethereum;
pub mod http;
pub mod ipfs;
pub mod s3;

pub use connector::Error as ConnectorError;
/// The JSON crate the connectors speak (`bls_sdk::json::json!`, `bls_sdk::json::Value`).
pub use serde_json as json;

/// `argv[0]` as set by the worker for every function.
pub const PROGRAM_NAME: &str = "bls-function";

/// Reads the whole invocation input (stdin).
pub fn input() -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    std::io::stdin().read_to_end(&mut buf)?;
    Ok(buf)
}

/// Reads the whole invocation input as UTF-8 (invalid sequences replaced).
pub fn input_string() -> std::io::Result<String> {
    Ok(String::from_utf8_lossy(&input()?).into_owned())
}

/// Writes bytes to the function's output (stdout) and flushes.
pub fn output(bytes: &[u8]) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()
}

/// Writes a diagnostic line to stderr (also recorded, also capped).
pub fn log(line: &str) {
    let mut err = std::io::stderr().lock();
    // Best effort: a failed diagnostic must not change the function's result.
    let _ = writeln!(err, "{line}");
}

/// The function's arguments, without `argv[0]`.
pub fn args() -> Vec<String> {
    std::env::args().skip(1).collect()
}

/// One environment variable from the manifest's env.
pub fn env(key: &str) -> Option<String> {
    std::env::var(key).ok()
}

/// All environment variables, in the order the worker passed them (sorted by key).
pub fn env_vars() -> Vec<(String, String)> {
    std::env::vars().collect()
}
