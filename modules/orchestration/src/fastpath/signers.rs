//! Who signed a fast-path result, judged by the keys that were valid for the request.
//!
//! Settlement and evidence both need this: a worker's signature over [`result_digest`]
//! counts when it verifies under one of the worker's result keys that was current while the
//! request was alive (`[expiry - ttl, expiry]`, [`super::request::key_window`]), so a key
//! rotated away after signing still answers for what it signed
//! ([`bls_registry::result_keys`]).
//!
//! Only keys count, never the worker's status: a key's range already ends when the worker
//! rotates it away or deregisters ([`bls_registry::result_keys`]), so a worker that left
//! signs nothing that counts for requests that start later, while what it signed before
//! stays provable (equivocation evidence must land after it left).
//!
//! Gas: every verification is charged `sig_verify_secp256k1` through the tx's gas meter
//! *before* it runs, once per key tried, so the tx's gas limit bounds the CPU a message can
//! spend on signatures (up to `MAX_EVIDENCE_RESULTS` or `MAX_RECEIPTS_PER_MSG` × quorum
//! signatures, each against up to `MAX_RESULT_KEYS` keys).

use bls_core::{Address, GasMeter};
use cosmwasm_std::Storage;

use super::msgs::result_digest;
use super::request::{key_window, VerifiedRequest};
use crate::params::Params;

/// Why a worker signature does not count.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignerError {
    /// No registered worker has this id (or it left).
    #[error("not registered")]
    NotRegistered,
    /// No key of the worker valid for the request verifies it.
    #[error("does not verify with any result key the worker held while the request was alive")]
    NoValidKey,
    /// Storage failure.
    #[error("store: {0}")]
    Store(String),
    /// The tx's gas ran out before the verification.
    #[error("{0}")]
    OutOfGas(String),
}

/// Checks `signature` by `worker` over (request id, code hash, `result_hash`) against every
/// result key of the worker valid for `req`, charging `gas` one signature verification per
/// key before verifying.
pub fn verify_worker_signature(
    store: &dyn Storage,
    gas: &GasMeter,
    params: &Params,
    req: &VerifiedRequest,
    worker: &Address,
    result_hash: &[u8; 32],
    signature: &[u8],
) -> Result<(), SignerError> {
    if bls_registry::state::get_worker(store, worker)
        .map_err(|e| SignerError::Store(e.to_string()))?
        .is_none()
    {
        return Err(SignerError::NotRegistered);
    }
    let (lo, hi) = key_window(req.terms.expiry_height, params.fastpath_request_ttl);
    let keys = bls_registry::result_keys::keys_valid_between(store, worker, lo, hi)
        .map_err(|e| SignerError::Store(e.to_string()))?;
    let per_key = gas.config().sig_verify_secp256k1;
    let tries = u64::try_from(keys.len().max(1)).unwrap_or(u64::MAX);
    gas.charge(per_key.saturating_mul(tries), "fast-path worker signatures")
        .map_err(|e| SignerError::OutOfGas(e.to_string()))?;
    let digest = result_digest(&req.id, &req.terms.code_hash, result_hash);
    if keys
        .iter()
        .any(|k| bls_auth::signature::verify_secp256k1(k, &digest, signature).is_ok())
    {
        Ok(())
    } else {
        Err(SignerError::NoValidKey)
    }
}
