//! Calling another function from inside a function, through the worker's `bls_call` host
//! extension: `bls_sdk::call::call(7, b"input")` runs function 7 on that input, inside the same
//! job on the same worker, and returns its output (its stdout).
//!
//! The callee must be declared in this function's manifest (`calls = [7]` in `bls.toml`) and
//! listed in the marketplace when the job is invoked: the chain then pins it for the job (its
//! code, version, manifest and price) and pays its owner its price for every call that exits
//! 0. The callee runs with its own manifest, never with more permission than its caller, and
//! spends the calling job's fuel, time and memory. Calls nest at most 4 deep and a job makes
//! at most 16; they run only in on-chain jobs (not on the fast path).
//!
//! # ABI (module `bls_call`)
//!
//! - `call(function_id: i64, version: i64, input_ptr, input_len, output_len_out) -> i32`:
//!   0 and the output's length (u32) written at `output_len_out`, or an [`ErrorKind`] code.
//!   `version` 0 means the version the chain pinned; another must equal it.
//! - `output(buf_ptr, buf_len) -> i32`: copies the last call's output; its length, or a
//!   negated code (the buffer must hold it all).
//! - `last_error(buf_ptr, buf_len) -> i32`: the last failure's message (truncated); bytes.

/// Why a call failed, as returned by the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// This function's manifest does not declare the callee in `calls`.
    NotDeclared,
    /// The job has no pinned copy of the callee (fast path, or a local run without it).
    Unavailable,
    /// The asked version is not the one the chain pinned for this job.
    VersionMoved,
    /// The call would nest deeper than the limit (4).
    DepthLimit,
    /// The job already made the most calls a job may make (16).
    CallBudget,
    /// The callee ran and failed (a trap, its memory limit, a non-zero exit, too much output).
    Failed,
    /// A buffer out of bounds or too small.
    BadBuffer,
    /// The input is larger than 1 MiB.
    InputTooLarge,
    /// A code this SDK does not know.
    Unknown(i32),
}

impl ErrorKind {
    // Only the wasm32 host calls return codes.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    fn from_code(code: i32) -> Self {
        match code {
            1 => Self::NotDeclared,
            2 => Self::Unavailable,
            3 => Self::VersionMoved,
            4 => Self::DepthLimit,
            5 => Self::CallBudget,
            6 => Self::Failed,
            7 => Self::BadBuffer,
            8 => Self::InputTooLarge,
            other => Self::Unknown(other),
        }
    }

    /// Short stable name, e.g. `depth-limit`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::NotDeclared => "not-declared",
            Self::Unavailable => "unavailable",
            Self::VersionMoved => "version-moved",
            Self::DepthLimit => "depth-limit",
            Self::CallBudget => "call-budget",
            Self::Failed => "failed",
            Self::BadBuffer => "bad-buffer",
            Self::InputTooLarge => "input-too-large",
            Self::Unknown(_) => "unknown",
        }
    }
}

/// A failed call: the kind and the host's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// What went wrong.
    pub kind: ErrorKind,
    /// The host's explanation.
    pub message: String,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind.as_str(), self.message)
    }
}

impl std::error::Error for Error {}

#[cfg(target_arch = "wasm32")]
#[link(wasm_import_module = "bls_call")]
extern "C" {
    #[link_name = "call"]
    fn host_call(
        function_id: u64,
        version: u64,
        input_ptr: *const u8,
        input_len: usize,
        output_len_out: *mut u32,
    ) -> i32;
    #[link_name = "output"]
    fn host_output(buf_ptr: *mut u8, buf_len: usize) -> i32;
    #[link_name = "last_error"]
    fn host_last_error(buf_ptr: *mut u8, buf_len: usize) -> i32;
}

/// Runs function `function_id` (the version the chain pinned for this job) on `input` and
/// returns its output.
pub fn call(function_id: u64, input: &[u8]) -> Result<Vec<u8>, Error> {
    call_version(function_id, 0, input)
}

/// Like [`call`], but refuses unless the pinned version is `version` (0: any).
#[cfg(target_arch = "wasm32")]
pub fn call_version(function_id: u64, version: u64, input: &[u8]) -> Result<Vec<u8>, Error> {
    let mut len: u32 = 0;
    // SAFETY: the pointers are to a live slice and a live local of the stated sizes.
    let rc = unsafe { host_call(function_id, version, input.as_ptr(), input.len(), &mut len) };
    if rc != 0 {
        return Err(last_error(ErrorKind::from_code(rc)));
    }
    let mut out = vec![0u8; len as usize];
    // SAFETY: `out` is a live buffer of `out.len()` bytes.
    let n = unsafe { host_output(out.as_mut_ptr(), out.len()) };
    if n < 0 {
        return Err(last_error(ErrorKind::from_code(-n)));
    }
    out.truncate(n as usize);
    Ok(out)
}

/// Off wasm there is no host extension: every call fails.
#[cfg(not(target_arch = "wasm32"))]
pub fn call_version(_function_id: u64, _version: u64, _input: &[u8]) -> Result<Vec<u8>, Error> {
    Err(Error {
        kind: ErrorKind::Unavailable,
        message: "bls_call is only available inside a bls worker".into(),
    })
}

#[cfg(target_arch = "wasm32")]
fn last_error(kind: ErrorKind) -> Error {
    let mut buf = vec![0u8; 1024];
    // SAFETY: `buf` is a live buffer of `buf.len()` bytes.
    let n = unsafe { host_last_error(buf.as_mut_ptr(), buf.len()) };
    buf.truncate(n.max(0) as usize);
    Error {
        kind,
        message: String::from_utf8_lossy(&buf).into_owned(),
    }
}
