//! secp256k1 public keys (`/cosmos.crypto.secp256k1.PubKey`) and signature verification.

use bls_core::Address;
use cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey;
use cosmos_sdk_proto::Any;
use k256::ecdsa::signature::Verifier;
use k256::ecdsa::{Signature, VerifyingKey};
use prost::Message;

use crate::error::AuthError;

/// Type URL of a secp256k1 public key.
pub const SECP256K1_PUBKEY_TYPE_URL: &str = "/cosmos.crypto.secp256k1.PubKey";
/// Length of a compressed secp256k1 public key.
pub const COMPRESSED_PUBKEY_LEN: usize = 33;

/// Wraps a compressed key as the `Any` clients expect.
pub fn encode_pubkey_any(compressed: &[u8]) -> Any {
    Any {
        type_url: SECP256K1_PUBKEY_TYPE_URL.to_string(),
        value: PubKey {
            key: compressed.to_vec(),
        }
        .encode_to_vec(),
    }
}

/// Extracts a compressed secp256k1 key from an `Any`, checking its type and that it is a
/// valid curve point.
pub fn decode_pubkey_any(any: &Any) -> Result<Vec<u8>, AuthError> {
    if any.type_url != SECP256K1_PUBKEY_TYPE_URL {
        return Err(AuthError::InvalidPubKey(format!(
            "unsupported key type {:?}, only {SECP256K1_PUBKEY_TYPE_URL}",
            any.type_url
        )));
    }
    let pk = PubKey::decode(any.value.as_slice())
        .map_err(|e| AuthError::InvalidPubKey(format!("decode: {e}")))?;
    if pk.key.len() != COMPRESSED_PUBKEY_LEN {
        return Err(AuthError::InvalidPubKey(format!(
            "secp256k1 key must be {COMPRESSED_PUBKEY_LEN} bytes (compressed), got {}",
            pk.key.len()
        )));
    }
    VerifyingKey::from_sec1_bytes(&pk.key)
        .map_err(|_| AuthError::InvalidPubKey("not a secp256k1 point".into()))?;
    Ok(pk.key)
}

/// Checks that `compressed` is the key of `addr` (ripemd160(sha256(key))).
pub fn check_pubkey_matches(compressed: &[u8], addr: &Address) -> Result<(), AuthError> {
    if Address::from_secp256k1_pubkey(compressed) != *addr {
        return Err(AuthError::InvalidPubKey(format!(
            "pubkey does not match signer address {addr}"
        )));
    }
    Ok(())
}

/// Verifies a 64-byte `r ‖ s` secp256k1 ECDSA signature over sha256(`msg`). High-S signatures
/// are rejected (they are a malleable second encoding of a valid one).
pub fn verify_secp256k1(compressed: &[u8], msg: &[u8], sig: &[u8]) -> Result<(), AuthError> {
    let vk = VerifyingKey::from_sec1_bytes(compressed)
        .map_err(|_| AuthError::InvalidPubKey("not a secp256k1 point".into()))?;
    if sig.len() != 64 {
        return Err(AuthError::Unauthorized(format!(
            "signature must be 64 bytes, got {}",
            sig.len()
        )));
    }
    let sig = Signature::from_slice(sig)
        .map_err(|_| AuthError::Unauthorized("malformed signature".into()))?;
    if sig.normalize_s().is_some() {
        return Err(AuthError::Unauthorized(
            "signature has a high S value (non-canonical)".into(),
        ));
    }
    vk.verify(msg, &sig)
        .map_err(|_| AuthError::Unauthorized("signature verification failed".into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use k256::ecdsa::signature::Signer;
    use k256::ecdsa::SigningKey;

    #[test]
    fn verifies_low_s_rejects_high_s_and_tampering() {
        let sk = SigningKey::from_slice(&[7u8; 32]).unwrap();
        let pk = sk
            .verifying_key()
            .to_encoded_point(true)
            .as_bytes()
            .to_vec();
        let sig: Signature = sk.sign(b"hello");
        let sig = sig.normalize_s().unwrap_or(sig);
        verify_secp256k1(&pk, b"hello", &sig.to_bytes()).unwrap();
        assert!(verify_secp256k1(&pk, b"hellO", &sig.to_bytes()).is_err());
        // Same signature with s → n − s: mathematically valid, rejected as malleable.
        let (r, s) = sig.split_scalars();
        let high = Signature::from_scalars(r, -*s).unwrap();
        assert!(matches!(
            verify_secp256k1(&pk, b"hello", &high.to_bytes()),
            Err(AuthError::Unauthorized(m)) if m.contains("high S")
        ));
        assert!(verify_secp256k1(&pk, b"hello", &[0u8; 63]).is_err());
        assert!(verify_secp256k1(&pk, b"hello", &[0u8; 64]).is_err());
        let any = encode_pubkey_any(&pk);
        assert_eq!(decode_pubkey_any(&any).unwrap(), pk);
        check_pubkey_matches(&pk, &Address::from_secp256k1_pubkey(&pk)).unwrap();
        assert!(check_pubkey_matches(&pk, &Address::from_bytes(&[0; 20])).is_err());
    }
}
