//! secp256k1 account keys: BIP39 mnemonics, BIP32 derivation at `m/44'/118'/0'/0/0`
//! (Cosmos coin type 118), Cosmos addresses and SIGN_MODE_DIRECT signatures.

use std::fmt;

use bip39::Mnemonic;
use bls_core::Address;
use cosmrs::bip32::{DerivationPath, XPrv};
use k256::ecdsa::signature::Signer as _;
use k256::ecdsa::{Signature, SigningKey, VerifyingKey};
use rand::RngCore;

/// The HD path every `bls` account key is derived at (Cosmos coin type 118, first account).
pub const DEFAULT_HD_PATH: &str = "m/44'/118'/0'/0/0";

/// Protobuf type URL of a secp256k1 public key inside `SignerInfo`.
pub const SECP256K1_PUBKEY_TYPE_URL: &str = "/cosmos.crypto.secp256k1.PubKey";

/// Number of words in a freshly generated mnemonic.
pub const MNEMONIC_WORDS: usize = 24;

/// Errors from building a key.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The phrase is not a valid BIP39 English mnemonic.
    #[error("invalid mnemonic: {0} (expected 12 or 24 English BIP39 words separated by spaces)")]
    InvalidMnemonic(String),
    /// The HD path does not parse.
    #[error("invalid HD path {path:?}: {reason} (expected e.g. {DEFAULT_HD_PATH})")]
    InvalidHdPath {
        /// The path as given.
        path: String,
        /// Why it was rejected.
        reason: String,
    },
    /// Derivation failed (astronomically unlikely: an invalid child key).
    #[error("key derivation failed: {0}")]
    Derivation(String),
    /// Raw secret bytes that are not a valid secp256k1 scalar.
    #[error("invalid secp256k1 private key: {0}")]
    InvalidSecret(String),
}

/// A secp256k1 signing key with its derived public key and `bls1...` address.
///
/// `Debug` never prints the secret.
#[derive(Clone)]
pub struct KeyPair {
    signing: SigningKey,
    public: [u8; 33],
    address: Address,
}

impl KeyPair {
    /// Generates a new random 24-word mnemonic and the key at [`DEFAULT_HD_PATH`].
    pub fn generate() -> Result<(Self, Mnemonic), KeyError> {
        let mut entropy = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut entropy);
        let mnemonic = Mnemonic::from_entropy(&entropy)
            .map_err(|e| KeyError::InvalidMnemonic(e.to_string()))?;
        let key = Self::from_parsed_mnemonic(&mnemonic, DEFAULT_HD_PATH)?;
        Ok((key, mnemonic))
    }

    /// Derives the key at [`DEFAULT_HD_PATH`] from a mnemonic (no BIP39 passphrase).
    pub fn from_mnemonic(phrase: &str) -> Result<Self, KeyError> {
        Self::from_mnemonic_with_path(phrase, DEFAULT_HD_PATH)
    }

    /// Derives the key at `hd_path` from a mnemonic (no BIP39 passphrase).
    pub fn from_mnemonic_with_path(phrase: &str, hd_path: &str) -> Result<Self, KeyError> {
        // Collapse whitespace so pasted phrases with newlines or double spaces still parse.
        let normalized = phrase.split_whitespace().collect::<Vec<_>>().join(" ");
        let mnemonic = Mnemonic::parse_normalized(&normalized)
            .map_err(|e| KeyError::InvalidMnemonic(e.to_string()))?;
        Self::from_parsed_mnemonic(&mnemonic, hd_path)
    }

    fn from_parsed_mnemonic(mnemonic: &Mnemonic, hd_path: &str) -> Result<Self, KeyError> {
        let path: DerivationPath =
            hd_path
                .parse()
                .map_err(|e: cosmrs::bip32::Error| KeyError::InvalidHdPath {
                    path: hd_path.to_string(),
                    reason: e.to_string(),
                })?;
        let seed = mnemonic.to_seed("");
        let xprv =
            XPrv::derive_from_path(seed, &path).map_err(|e| KeyError::Derivation(e.to_string()))?;
        Ok(Self::from_signing_key(xprv.private_key().clone()))
    }

    /// Builds a key from its 32 raw secret bytes.
    pub fn from_secret_bytes(secret: &[u8]) -> Result<Self, KeyError> {
        let signing =
            SigningKey::from_slice(secret).map_err(|e| KeyError::InvalidSecret(e.to_string()))?;
        Ok(Self::from_signing_key(signing))
    }

    /// Wraps a k256 signing key.
    pub fn from_signing_key(signing: SigningKey) -> Self {
        let point = signing.verifying_key().to_encoded_point(true);
        let mut public = [0u8; 33];
        // A compressed SEC1 point is always 33 bytes.
        public.copy_from_slice(point.as_bytes());
        let address = Address::from_secp256k1_pubkey(&public);
        Self {
            signing,
            public,
            address,
        }
    }

    /// The account address (`bls1...`).
    pub fn address(&self) -> &Address {
        &self.address
    }

    /// The 33-byte compressed SEC1 public key.
    pub fn public_key_bytes(&self) -> [u8; 33] {
        self.public
    }

    /// The k256 verifying key.
    pub fn verifying_key(&self) -> VerifyingKey {
        *self.signing.verifying_key()
    }

    /// The 32 raw secret bytes (what the keyring stores).
    pub fn secret_bytes(&self) -> [u8; 32] {
        self.signing.to_bytes().into()
    }

    /// The public key as the protobuf `Any` that goes into `SignerInfo.public_key`.
    pub fn public_key_any(&self) -> cosmos_sdk_proto::Any {
        use prost::Message as _;
        let pk = cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey {
            key: self.public.to_vec(),
        };
        cosmos_sdk_proto::Any {
            type_url: SECP256K1_PUBKEY_TYPE_URL.to_string(),
            value: pk.encode_to_vec(),
        }
    }

    /// Signs `msg` (SHA-256 then ECDSA, low-S, 64-byte `r‖s`) as the Cosmos SDK expects.
    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        let sig: Signature = self.signing.sign(msg);
        // k256 already emits low-S signatures; normalizing again is a cheap guarantee.
        let sig = sig.normalize_s().unwrap_or(sig);
        sig.to_bytes().into()
    }
}

impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPair")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k256::ecdsa::signature::Verifier as _;

    const ABANDON: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

    #[test]
    fn known_vector_matches_cosmos_address() {
        let key = KeyPair::from_mnemonic(ABANDON).unwrap();
        let (hrp, bytes) = bech32::decode("cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4").unwrap();
        assert_eq!(hrp.as_str(), "cosmos");
        assert_eq!(key.address().as_bytes(), bytes.as_slice());
        assert_eq!(key.address(), &Address::from_bytes(&bytes));
        assert!(key.address().as_str().starts_with("bls1"));
    }

    #[test]
    fn whitespace_in_mnemonic_is_tolerated() {
        let messy = format!("  {}\n", ABANDON.replace(' ', "  "));
        assert_eq!(
            KeyPair::from_mnemonic(&messy).unwrap().address(),
            KeyPair::from_mnemonic(ABANDON).unwrap().address()
        );
    }

    #[test]
    fn generated_mnemonic_rederives_same_key() {
        let (key, mnemonic) = KeyPair::generate().unwrap();
        assert_eq!(mnemonic.word_count(), MNEMONIC_WORDS);
        let again = KeyPair::from_mnemonic(&mnemonic.to_string()).unwrap();
        assert_eq!(again.address(), key.address());
        assert_eq!(again.secret_bytes(), key.secret_bytes());
        let from_secret = KeyPair::from_secret_bytes(&key.secret_bytes()).unwrap();
        assert_eq!(from_secret.public_key_bytes(), key.public_key_bytes());
    }

    #[test]
    fn bad_inputs_are_typed_errors() {
        assert!(matches!(
            KeyPair::from_mnemonic("abandon abandon"),
            Err(KeyError::InvalidMnemonic(_))
        ));
        assert!(matches!(
            KeyPair::from_mnemonic_with_path(ABANDON, "m/x"),
            Err(KeyError::InvalidHdPath { .. })
        ));
        assert!(matches!(
            KeyPair::from_secret_bytes(&[0u8; 32]),
            Err(KeyError::InvalidSecret(_))
        ));
        assert!(matches!(
            KeyPair::from_secret_bytes(&[1u8; 5]),
            Err(KeyError::InvalidSecret(_))
        ));
    }

    #[test]
    fn signature_verifies_and_is_low_s() {
        let key = KeyPair::from_mnemonic(ABANDON).unwrap();
        let sig_bytes = key.sign(b"hello");
        let sig = Signature::from_slice(&sig_bytes).unwrap();
        assert!(sig.normalize_s().is_none(), "signature must be low-S");
        key.verifying_key().verify(b"hello", &sig).unwrap();
        assert!(key.verifying_key().verify(b"other", &sig).is_err());
    }
}
