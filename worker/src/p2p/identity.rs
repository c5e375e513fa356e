//! The libp2p identity of a worker: its secp256k1 worker key, so the peer id libp2p
//! authenticates (noise) is exactly the one registered on chain.

use bls_client::KeyPair;
use libp2p::identity;

/// Why the key cannot be used as a libp2p identity.
#[derive(Debug, thiserror::Error)]
#[error("worker key as libp2p identity: {0}")]
pub struct IdentityError(String);

/// The libp2p keypair of the worker key.
pub fn keypair(key: &KeyPair) -> Result<identity::Keypair, IdentityError> {
    let mut secret = key.secret_bytes();
    let sk = identity::secp256k1::SecretKey::try_from_bytes(&mut secret)
        .map_err(|e| IdentityError(e.to_string()))?;
    Ok(identity::secp256k1::Keypair::from(sk).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libp2p_peer_id_equals_the_registered_one() {
        let (key, _) = KeyPair::generate().unwrap();
        let kp = keypair(&key).unwrap();
        assert_eq!(
            kp.public().to_peer_id().to_string(),
            crate::daemon::peer_id::peer_id(&key.public_key_bytes())
        );
    }
}
