//! The function runtime: runs a [`Job`] in a wasmtime sandbox and returns its
//! [`Outcome`].
//!
//! ```no_run
//! # async fn demo(code: &[u8]) -> Result<(), bls_runtime::RuntimeError> {
//! use bls_runtime::{Job, Manifest, Runtime, RuntimeConfig, BlockTime};
//! let runtime = Runtime::new(RuntimeConfig::default())?;
//! let code_hash = runtime.load(code)?;
//! let job = Job {
//!     id: [7; 32],
//!     code_hash,
//!     manifest: Manifest::default(),
//!     input: b"world".to_vec(),
//!     args: vec![],
//!     block_time: BlockTime::default(),
//!     data_dir: None,
//!     secrets: Default::default(),
//!     callees: vec![],
//! };
//! let outcome = runtime.run(&job).await?;
//! println!("{:?} {}", outcome.status, hex::encode(outcome.result_hash()));
//! # Ok(()) }
//! ```
//!
//! [`Runtime::run`] is an `async fn` and must be polled inside a tokio runtime with the
//! time and I/O drivers enabled (host calls such as sleep and HTTP are tokio futures, and
//! the wall-clock limit is a tokio timeout around the whole execution). Guest code yields to the executor every
//! epoch tick, so many jobs can share a multi-threaded runtime; the future is `Send`.
//! A [`Runtime`] is `Send + Sync`: share it behind an `Arc`.
//!
//! [`local::run_local`] runs one function exactly as a worker would, for `bls-worker run` and
//! `bls function run`.
//!
//! This crate is the sandbox only: no chain client, no networking daemon (the worker's
//! daemon, head and p2p layers sit above it).

mod allowlist;
mod cache;
mod compose;
pub mod config;
mod destination;
mod determinism;
pub mod disk_budget;
mod engine;
mod error;
mod frame;
mod http;
mod job;
mod limits;
pub mod local;
mod outcome;
mod output;
mod resolve;
mod sandbox;
mod state;

pub use allowlist::{is_public, Origin, OriginError, OriginHost};
pub use cache::CacheStats;
pub use compose::CallErrorCode;
pub use config::{HttpConfig, HttpSection, RuntimeConfig};
pub use error::RuntimeError;
pub use frame::PROGRAM_NAME;
pub use job::{
    BlockTime, Callee, Job, Limits, Manifest, ManifestError, Permissions, SecretEnv,
    DATA_DIR_GUEST_PATH, MAX_ARGS, MAX_OUTPUT_BYTES, MAX_TIMEOUT_MS,
};
pub use local::{outcome_json, run_local, write_outcome_text, LocalCallee, LocalOutcome, LocalRun};
pub use outcome::{DecodeError, ExitStatus, Outcome, TrapKind};
pub use resolve::{parse_hosts_entry, HostsEntryError, NameResolver, StaticHosts, SystemResolver};
pub use sandbox::Runtime;
pub use state::JobState;
