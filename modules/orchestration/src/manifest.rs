//! The deployed manifest. It is defined once, in `bls_core::manifest`, with the worker
//! runtime's own bounds and origin parser, so the chain never accepts a manifest a worker
//! would refuse; this module re-exports it and maps its errors into the module's.

pub use bls_core::manifest::*;

use crate::error::OrchestrationError;

impl From<ManifestError> for OrchestrationError {
    fn from(e: ManifestError) -> Self {
        OrchestrationError::InvalidManifest(e.to_string())
    }
}
