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
