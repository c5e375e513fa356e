//! Who signed a fast-path result, judged by the keys that were valid for the request.
//!
//! Settlement and evidence both need this: a worker's signature over [`result_digest`]
//! counts when it verifies under one of the worker's result keys that was current while the
//! request was alive (`[expiry - ttl, expiry]`, [`super::request::key_window`]), so a key
//! rotated away after signing still answers for what it signed
//! ([`bls_registry::result_keys`]).

use bls_core::Address;
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
}

/// Checks `signature` by `worker` over (request id, code hash, `result_hash`) against every
/// result key of the worker valid for `req`.
pub fn verify_worker_signature(
    store: &dyn Storage,
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
