//! Why a job could not be run at all.

use crate::job::ManifestError;

/// Why a job could not be run at all (as opposed to an [`crate::Outcome`], which is a result
/// even when the guest trapped). A worker should not commit a result for these.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// The wasmtime engine could not be configured.
    #[error("engine: {0}")]
    Engine(String),
    /// The module cache directory is unusable.
    #[error("module cache: {0}")]
    Cache(String),
    /// The code does not hash to the expected value.
    #[error("code hash mismatch: expected {expected}, got {actual}")]
    HashMismatch {
        /// Hash the caller expected (hex).
        expected: String,
        /// Hash of the bytes given (hex).
        actual: String,
    },
    /// The file is not a WebAssembly core module at all (a local run names what it is).
    #[error("{0}")]
    NotWasm(String),
    /// The module exports no function named as the entry (a local run refuses it before
    /// running; a worker records the trap as the job's outcome instead).
    #[error(
        "the module exports no function `{entry}` (it exports {exports}): a WASI command \
         exports `_start` — build a binary crate (src/main.rs) for wasm32-wasip1, or name the \
         function to call as the manifest's entry (`--entry`)"
    )]
    NoEntry {
        /// The entry asked for.
        entry: String,
        /// The functions it does export, for the message.
        exports: String,
    },
    /// The WASM does not compile.
    #[error("compile: {0}")]
    Compile(String),
    /// The module imports something the sandbox does not provide.
    #[error("link: {0}")]
    Link(String),
    /// No module with this hash was loaded (call [`crate::Runtime::load`] first).
    #[error("module {0} not loaded")]
    ModuleNotLoaded(String),
    /// The manifest or args are invalid.
    #[error("invalid job: {0}")]
    InvalidJob(#[from] ManifestError),
    /// The manifest asks for more memory than this worker is configured to give.
    #[error("job wants {wanted} bytes of memory; this worker allows at most {max}")]
    MemoryAboveWorkerMax {
        /// Requested by the manifest.
        wanted: u64,
        /// [`crate::RuntimeConfig::max_memory_bytes`].
        max: u64,
    },
    /// The worker could not set up or instantiate the job (resources, I/O).
    #[error("setup: {0}")]
    Setup(String),
}
