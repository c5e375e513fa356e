//! The canonical execution outcome. It is defined once, in `bls_core::outcome`, because
//! the chain decodes exactly what workers encode; the runtime re-exports it so its public
//! paths (`bls_worker::runtime::Outcome`, ...) keep working.

pub use bls_core::outcome::{DecodeError, ExitStatus, Outcome, TrapKind, MAX_OUTPUT_BYTES};

// The runtime's output cap and the protocol's decode cap must be the same number, or a
// worker could produce an outcome the chain refuses.
const _: () = assert!(MAX_OUTPUT_BYTES == super::job::MAX_OUTPUT_BYTES);
