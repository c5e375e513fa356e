//! The public keys an account may have, each with its type URL, its address rule and the way it
//! signs a tx:
//!
//! | key | type URL | address | signs |
//! |---|---|---|---|
//! | Cosmos secp256k1 (Keplr, Ledger, CosmJS, `blsd keys`) | `/cosmos.crypto.secp256k1.PubKey` | ripemd160(sha256(key)) | the `SignDoc` (direct) or the amino-JSON `StdSignDoc`, sha256, 64-byte `r‖s` |
//! | Ethereum secp256k1 (MetaMask, coin type 60) | `/cosmos.evm.crypto.v1.ethsecp256k1.PubKey` | last 20 bytes of keccak256(uncompressed key) — the Ethereum address | EIP-712 typed data built from the `StdSignDoc`, 65-byte `r‖s‖v` |
//! | Aptos ed25519 (Martian, Petra) | `/bls.crypto.v1.AptosPubKey` | first 20 bytes of sha3-256(key ‖ 0x00) — the Aptos address | the Aptos `signMessage` envelope around the `StdSignDoc`, 64 bytes |
//!
//! Every key is stored as `{bytes key = 1}` inside its `Any` (the Cosmos SDK's layout).

use bls_core::Address;
use cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey as KeyBytes;
use cosmos_sdk_proto::Any;
use k256::ecdsa::VerifyingKey;
use prost::Message;
use sha3::{Digest, Keccak256, Sha3_256};

use crate::error::AuthError;

/// Type URL of a Cosmos secp256k1 public key.
pub const SECP256K1_PUBKEY_TYPE_URL: &str = "/cosmos.crypto.secp256k1.PubKey";
/// Type URL of an Ethereum secp256k1 public key (cosmos/evm's, which CosmJS encodes for an
/// `eth_secp256k1` account).
pub const ETH_SECP256K1_PUBKEY_TYPE_URL: &str = "/cosmos.evm.crypto.v1.ethsecp256k1.PubKey";
/// Type URL of an Aptos ed25519 public key.
pub const APTOS_PUBKEY_TYPE_URL: &str = "/bls.crypto.v1.AptosPubKey";
/// Length of a compressed secp256k1 public key.
pub const COMPRESSED_PUBKEY_LEN: usize = 33;
/// Length of an ed25519 public key.
pub const ED25519_PUBKEY_LEN: usize = 32;

/// An account's public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PubKey {
    /// Cosmos secp256k1, compressed.
    Secp256k1(Vec<u8>),
    /// Ethereum secp256k1, compressed.
    EthSecp256k1(Vec<u8>),
    /// Aptos ed25519.
    AptosEd25519(Vec<u8>),
}

impl PubKey {
    /// The key's type URL.
    pub fn type_url(&self) -> &'static str {
        match self {
            PubKey::Secp256k1(_) => SECP256K1_PUBKEY_TYPE_URL,
            PubKey::EthSecp256k1(_) => ETH_SECP256K1_PUBKEY_TYPE_URL,
            PubKey::AptosEd25519(_) => APTOS_PUBKEY_TYPE_URL,
        }
    }

    /// The raw key bytes (compressed point or ed25519 key).
    pub fn bytes(&self) -> &[u8] {
        match self {
            PubKey::Secp256k1(k) | PubKey::EthSecp256k1(k) | PubKey::AptosEd25519(k) => k,
        }
    }

    /// The key as the `Any` txs and account records carry.
    pub fn to_any(&self) -> Any {
        Any {
            type_url: self.type_url().to_string(),
            value: KeyBytes {
                key: self.bytes().to_vec(),
            }
            .encode_to_vec(),
        }
    }

    /// Decodes a key `Any`, checking its type, length and that it is a valid key.
    pub fn from_any(any: &Any) -> Result<PubKey, AuthError> {
        let raw = KeyBytes::decode(any.value.as_slice())
            .map_err(|e| AuthError::InvalidPubKey(format!("decode {}: {e}", any.type_url)))?
            .key;
        PubKey::from_parts(&any.type_url, raw)
    }

    /// A key from its type URL and raw bytes, checked.
    pub fn from_parts(type_url: &str, raw: Vec<u8>) -> Result<PubKey, AuthError> {
        let key = match type_url {
            SECP256K1_PUBKEY_TYPE_URL => PubKey::Secp256k1(raw),
            ETH_SECP256K1_PUBKEY_TYPE_URL => PubKey::EthSecp256k1(raw),
            APTOS_PUBKEY_TYPE_URL => PubKey::AptosEd25519(raw),
            other => {
                return Err(AuthError::InvalidPubKey(format!(
                    "unsupported key type {other:?}; supported: {SECP256K1_PUBKEY_TYPE_URL}, \
                     {ETH_SECP256K1_PUBKEY_TYPE_URL}, {APTOS_PUBKEY_TYPE_URL}"
                )))
            }
        };
        key.check()?;
        Ok(key)
    }

    fn check(&self) -> Result<(), AuthError> {
        match self {
            PubKey::Secp256k1(k) | PubKey::EthSecp256k1(k) => {
                if k.len() != COMPRESSED_PUBKEY_LEN {
                    return Err(AuthError::InvalidPubKey(format!(
                        "secp256k1 key must be {COMPRESSED_PUBKEY_LEN} bytes (compressed), got {}",
                        k.len()
                    )));
                }
                VerifyingKey::from_sec1_bytes(k)
                    .map_err(|_| AuthError::InvalidPubKey("not a secp256k1 point".into()))?;
            }
            PubKey::AptosEd25519(k) => {
                let bytes: [u8; ED25519_PUBKEY_LEN] = k.as_slice().try_into().map_err(|_| {
                    AuthError::InvalidPubKey(format!(
                        "ed25519 key must be {ED25519_PUBKEY_LEN} bytes, got {}",
                        k.len()
                    ))
                })?;
                ed25519_consensus::VerificationKey::try_from(bytes)
                    .map_err(|_| AuthError::InvalidPubKey("not an ed25519 point".into()))?;
            }
        }
        Ok(())
    }

    /// The address this key controls.
    pub fn address(&self) -> Address {
        match self {
            PubKey::Secp256k1(k) => Address::from_secp256k1_pubkey(k),
            PubKey::EthSecp256k1(k) => eth_address(k),
            PubKey::AptosEd25519(k) => Address::from_bytes(&aptos_address(k)[..20]),
        }
    }

    /// Checks that this key controls `addr`.
    pub fn check_address(&self, addr: &Address) -> Result<(), AuthError> {
        if self.address() != *addr {
            return Err(AuthError::InvalidPubKey(format!(
                "pubkey does not match signer address {addr}"
            )));
        }
        Ok(())
    }
}

/// The Aptos account address of an ed25519 key that was never rotated: sha3-256(key ‖ 0x00),
/// 0 being Aptos's single-key ed25519 scheme.
pub fn aptos_address(key: &[u8]) -> [u8; 32] {
    let mut h = Sha3_256::new();
    h.update(key);
    h.update([0u8]);
    h.finalize().into()
}

/// The Ethereum address of a compressed secp256k1 key: the last 20 bytes of keccak256 of the
/// uncompressed point without its `04` prefix. The caller has checked the point.
fn eth_address(compressed: &[u8]) -> Address {
    let Ok(vk) = VerifyingKey::from_sec1_bytes(compressed) else {
        return Address::from_bytes(&[0; 20]);
    };
    let point = vk.to_encoded_point(false);
    let hash = Keccak256::digest(&point.as_bytes()[1..]);
    Address::from_bytes(&hash[12..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ethereum_address_is_the_one_ethereum_derives() {
        // Private key 0x…01 controls Ethereum address 0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf.
        let mut sk = [0u8; 32];
        sk[31] = 1;
        let sk = k256::ecdsa::SigningKey::from_slice(&sk).unwrap();
        let compressed = sk
            .verifying_key()
            .to_encoded_point(true)
            .as_bytes()
            .to_vec();
        let key = PubKey::EthSecp256k1(compressed.clone());
        let expected: Vec<u8> = (0..20)
            .map(|i| {
                u8::from_str_radix(
                    &"7e5f4552091a69125d5dfcb7b8c2659029395bdf"[2 * i..2 * i + 2],
                    16,
                )
                .unwrap()
            })
            .collect();
        assert_eq!(key.address().as_bytes(), expected.as_slice());
        // The same point as a Cosmos key controls another address.
        assert_ne!(PubKey::Secp256k1(compressed).address(), key.address());
    }

    #[test]
    fn keys_round_trip_and_bad_keys_are_refused() {
        let sk = k256::ecdsa::SigningKey::from_slice(&[7u8; 32]).unwrap();
        let compressed = sk
            .verifying_key()
            .to_encoded_point(true)
            .as_bytes()
            .to_vec();
        let ed = ed25519_consensus::SigningKey::from([9u8; 32]);
        for key in [
            PubKey::Secp256k1(compressed.clone()),
            PubKey::EthSecp256k1(compressed.clone()),
            PubKey::AptosEd25519(ed.verification_key().to_bytes().to_vec()),
        ] {
            assert_eq!(PubKey::from_any(&key.to_any()).unwrap(), key);
            key.check_address(&key.address()).unwrap();
            assert!(key.check_address(&Address::from_bytes(&[0; 20])).is_err());
        }
        let bad = [
            (SECP256K1_PUBKEY_TYPE_URL, vec![2; 32]),
            (SECP256K1_PUBKEY_TYPE_URL, vec![9; 33]),
            (ETH_SECP256K1_PUBKEY_TYPE_URL, vec![4; 65]),
            (APTOS_PUBKEY_TYPE_URL, vec![1; 33]),
            ("/cosmos.crypto.ed25519.PubKey", vec![1; 32]),
        ];
        for (url, raw) in bad {
            assert!(
                matches!(
                    PubKey::from_parts(url, raw.clone()),
                    Err(AuthError::InvalidPubKey(_))
                ),
                "{url} {raw:?}"
            );
        }
    }
}
