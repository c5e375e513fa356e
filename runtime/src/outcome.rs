//! The canonical execution outcome. It is defined once, in `bls_core::outcome`, because
//! the chain decodes exactly what workers encode; the runtime re-exports it so its public
//! paths (`bls_worker::runtime::Outcome`, ...) keep working.

pub use bls_core::outcome::{DecodeError, ExitStatus, Outcome, TrapKind};
