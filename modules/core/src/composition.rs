//! Composition: one function calling another inside the same job (`bls_call`). The
//! protocol's bounds and the call record live here, shared by the chain (which pins callees
//! at invoke, escrows their prices and pays them at settlement) and the worker runtime
//! (which runs them and records each call in the outcome).
//!
//! A function declares the functions it may call in its manifest (`calls`, function ids).
//! At invoke the chain follows those declarations through every callee's own manifest and
//! pins each function reached (code, manifest, price) in the job; a worker runs only those.
//! Every nested call shares the calling job's fuel, deadline and memory budget.

use serde::{Deserialize, Serialize};

/// Most functions one manifest may declare in `calls`.
pub const MAX_DECLARED_CALLS: usize = 8;
/// Most distinct functions one job may reach through calls (the pinned closure).
pub const MAX_CALLEES_PER_JOB: usize = 16;
/// Deepest nesting: the invoked function is depth 0; a call made at depth
/// `MAX_CALL_DEPTH` is refused (so at most `MAX_CALL_DEPTH` frames run below the root).
pub const MAX_CALL_DEPTH: u32 = 4;
/// Most calls one job may make, counted over every frame (a loop of calls ends here).
pub const MAX_CALLS_PER_JOB: u32 = 16;
/// Largest input one call may hand its callee (the callee's stdin).
pub const MAX_CALL_INPUT_BYTES: u32 = 1 << 20;

/// Why the fast path refuses a function whose manifest declares `calls` (heads, workers and
/// clients say the same): the chain pins and pays callees only for on-chain jobs.
pub const FAST_PATH_REFUSAL: &str = "it calls other functions (manifest `calls`), and a \
     composed function runs only in on-chain jobs, for which the chain pins its callees and \
     pays their owners: invoke it on chain";

/// One call a job made, in the order calls started (depth first). Part of the canonical
/// outcome, so the quorum agrees on it and the chain pays from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Call {
    /// The function called.
    pub function_id: u64,
    /// True when the callee ran to exit code 0 (only such calls pay its owner's price).
    pub ok: bool,
}
