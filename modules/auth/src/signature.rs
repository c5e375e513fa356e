//! Signature verification for each kind of key ([`crate::pubkey::PubKey`]): Cosmos secp256k1
//! (sha256, `r‖s`), Ethereum secp256k1 (a 32-byte digest such as an EIP-712 hash, `r‖s‖v`) and
//! Aptos ed25519 (the `signMessage` envelope). Every check refuses a second encoding of a valid
//! signature (high S, another `v`): a relayer cannot change a tx's hash by re-encoding its
//! signature (the ante refuses other encodings of the rest of the tx in amino mode).

use k256::ecdsa::signature::Verifier;
use k256::ecdsa::{RecoveryId, Signature, VerifyingKey};

use crate::error::AuthError;

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

/// The key that made a 65-byte `r ‖ s ‖ v` Ethereum signature (what MetaMask and ethers.js
/// return; `v` is 27 or 28) over a 32-byte `digest`. High S and any other `v` are refused: they
/// are second encodings of a valid signature.
pub fn recover_eth_secp256k1(digest: &[u8; 32], sig: &[u8]) -> Result<VerifyingKey, AuthError> {
    let (rs, v) = match sig {
        [rs @ .., v] if rs.len() == 64 => (rs, *v),
        _ => {
            return Err(AuthError::Unauthorized(format!(
                "an Ethereum signature is 65 bytes (r, s, v), got {}",
                sig.len()
            )))
        }
    };
    let recovery = match v {
        27 | 28 => RecoveryId::from_byte(v - 27),
        _ => None,
    }
    .ok_or_else(|| AuthError::Unauthorized(format!("signature v must be 27 or 28, got {v}")))?;
    let sig = Signature::from_slice(rs)
        .map_err(|_| AuthError::Unauthorized("malformed signature".into()))?;
    if sig.normalize_s().is_some() {
        return Err(AuthError::Unauthorized(
            "signature has a high S value (non-canonical)".into(),
        ));
    }
    VerifyingKey::recover_from_prehash(digest, &sig, recovery)
        .map_err(|_| AuthError::Unauthorized("signature verification failed".into()))
}

/// Verifies an Ethereum signature ([`recover_eth_secp256k1`]) by the compressed key over
/// `digest`: `v` must recover the key itself.
pub fn verify_eth_secp256k1(
    compressed: &[u8],
    digest: &[u8; 32],
    sig: &[u8],
) -> Result<(), AuthError> {
    let vk = VerifyingKey::from_sec1_bytes(compressed)
        .map_err(|_| AuthError::InvalidPubKey("not a secp256k1 point".into()))?;
    if recover_eth_secp256k1(digest, sig)? != vk {
        return Err(AuthError::Unauthorized(
            "signature verification failed".into(),
        ));
    }
    Ok(())
}

/// The text an Aptos wallet signs for `signMessage({message, nonce})` with no address,
/// application or chain id requested (AIP-62's `fullMessage`).
pub fn aptos_full_message(message: &str, nonce: &str) -> String {
    format!("APTOS\nmessage: {message}\nnonce: {nonce}")
}

/// Verifies a 64-byte ed25519 signature by an Aptos key over `msg` (ZIP-215 rules, the same
/// on every validator; S must be canonical).
pub fn verify_aptos_ed25519(key: &[u8], msg: &[u8], sig: &[u8]) -> Result<(), AuthError> {
    let key: [u8; 32] = key
        .try_into()
        .map_err(|_| AuthError::InvalidPubKey("ed25519 key must be 32 bytes".into()))?;
    let vk = ed25519_consensus::VerificationKey::try_from(key)
        .map_err(|_| AuthError::InvalidPubKey("not an ed25519 point".into()))?;
    let sig: [u8; 64] = sig.try_into().map_err(|_| {
        AuthError::Unauthorized(format!(
            "an ed25519 signature is 64 bytes, got {}",
            sig.len()
        ))
    })?;
    vk.verify(&ed25519_consensus::Signature::from(sig), msg)
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
    }

    #[test]
    fn ethereum_signatures_need_the_right_v_and_low_s() {
        use sha3::{Digest, Keccak256};
        let sk = SigningKey::from_slice(&[5u8; 32]).unwrap();
        let pk = sk
            .verifying_key()
            .to_encoded_point(true)
            .as_bytes()
            .to_vec();
        let digest: [u8; 32] = Keccak256::digest(b"typed data").into();
        let (sig, rec) = sk.sign_prehash_recoverable(&digest).unwrap();
        let (sig, rec) = match sig.normalize_s() {
            Some(low) => (low, RecoveryId::from_byte(rec.to_byte() ^ 1).unwrap()),
            None => (sig, rec),
        };
        let mut good = sig.to_bytes().to_vec();
        good.push(27 + rec.to_byte());
        verify_eth_secp256k1(&pk, &digest, &good).unwrap();
        // The other v recovers another key; v as 0/1 is a second encoding: both refused.
        let mut flipped = good.clone();
        flipped[64] ^= 1;
        assert!(verify_eth_secp256k1(&pk, &digest, &flipped).is_err());
        let mut raw_v = good.clone();
        raw_v[64] -= 27;
        assert!(verify_eth_secp256k1(&pk, &digest, &raw_v).is_err());
        assert!(verify_eth_secp256k1(&pk, &digest, &good[..64]).is_err());
        let other: [u8; 32] = Keccak256::digest(b"other").into();
        assert!(verify_eth_secp256k1(&pk, &other, &good).is_err());
        let (r, s) = sig.split_scalars();
        let mut high = Signature::from_scalars(r, -*s).unwrap().to_bytes().to_vec();
        high.push(27 + (rec.to_byte() ^ 1));
        assert!(matches!(
            verify_eth_secp256k1(&pk, &digest, &high),
            Err(AuthError::Unauthorized(m)) if m.contains("high S")
        ));
    }

    #[test]
    fn aptos_signatures_cover_the_envelope() {
        let sk = ed25519_consensus::SigningKey::from([3u8; 32]);
        let pk = sk.verification_key().to_bytes();
        let full = aptos_full_message("{\"a\":1}", "7");
        assert_eq!(full, "APTOS\nmessage: {\"a\":1}\nnonce: 7");
        let sig = sk.sign(full.as_bytes()).to_bytes();
        verify_aptos_ed25519(&pk, full.as_bytes(), &sig).unwrap();
        assert!(verify_aptos_ed25519(&pk, b"{\"a\":1}", &sig).is_err());
        assert!(verify_aptos_ed25519(&pk, full.as_bytes(), &sig[..63]).is_err());
    }
}
