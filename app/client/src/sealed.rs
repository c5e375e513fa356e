//! Sealed secrets: values sealed to one worker's X25519 key with HPKE (RFC 9180, base mode,
//! DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305), and the public commitment
//! every member checks what it opened against.
//!
//! # What an envelope binds
//! The HPKE `info` names the chain, the scope (a function's secret `name` at `version`, or one
//! fast-path request's secret, by invoker and nonce) and the recipient worker, so an envelope
//! opens only for the worker, secret and version it was sealed for: moved to another worker,
//! name, function or request it fails to open.
//!
//! # Why a commitment
//! Sealing is not authenticated (anyone can seal to a public key), and whoever seals chooses
//! the value. If two members of a subnetwork could be given different values they would
//! compute different results and the honest one could be slashed as a dissenter. So every
//! sealed value carries a fresh random 32-byte salt, and the chain (or the signed fast-path
//! request) holds `commitment = sha256(domain ‖ scope ‖ name ‖ salt ‖ value)`: a member runs
//! only with a value that matches it and otherwise reports the envelope as unopenable. The salt
//! is only inside envelopes, so the commitment does not let anyone test guesses of the value.

use hkdf::Hkdf;
use hpke::aead::ChaCha20Poly1305;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem as _, OpModeR, OpModeS, Serializable};
use hpke_rand_core::TryRngCore as _;
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use crate::keys::KeyPair;

pub use bls_orchestration::secrets::rules::{
    validate_secret_name, validate_secret_value, MAX_SECRET_VALUE_BYTES,
};

/// Bytes of an encapsulated key (an X25519 public key).
pub const ENC_BYTES: usize = 32;
/// Plaintext overhead: format byte and salt.
const PLAIN_OVERHEAD: usize = 1 + SALT_BYTES;
/// Bytes of the random salt sealed with every value.
pub const SALT_BYTES: usize = 32;
const PLAIN_FORMAT: u8 = 1;
const KEY_DERIVATION_SALT: &[u8] = b"bls/worker/encryption-key/v1";
const INFO_DOMAIN: &[u8] = b"bls/sealed-secret/v1";
const COMMITMENT_DOMAIN: &[u8] = b"bls/secret-commitment/v1";

/// Why sealing or opening failed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    /// The recipient's public key is not a usable X25519 key.
    #[error("the recipient's encryption key is not a usable X25519 key")]
    BadRecipientKey,
    /// The envelope does not open with this worker's key for this scope (wrong recipient,
    /// scope or version, or tampered bytes).
    #[error("the envelope does not open with this worker's key (sealed to another key or scope, or corrupted)")]
    DoesNotOpen,
    /// It opened, but the plaintext is not a sealed value of this format.
    #[error("the envelope's plaintext is malformed")]
    Malformed,
    /// It opened, but the value does not match the public commitment.
    #[error("the opened value does not match its commitment (the sealer gave this worker a different value)")]
    CommitmentMismatch,
    /// The value breaks the rules for secret values.
    #[error("{0}")]
    BadValue(String),
}

/// What an envelope is for: the HPKE `info` (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope<'a> {
    /// Secret `name` of function `function_id`, as set at `version`.
    Function {
        /// Chain id.
        chain_id: &'a str,
        /// Function id.
        function_id: u64,
        /// Secret name.
        name: &'a str,
        /// Version the chain gave the value when it was set.
        version: u64,
    },
    /// Secret `name` of one fast-path request (by its invoker and nonce).
    Request {
        /// Chain id.
        chain_id: &'a str,
        /// Function id.
        function_id: u64,
        /// Invoker address.
        invoker: &'a str,
        /// The request's nonce.
        nonce: u64,
        /// Secret name.
        name: &'a str,
    },
}

fn put(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&u64::try_from(bytes.len()).unwrap_or(u64::MAX).to_be_bytes());
    out.extend_from_slice(bytes);
}

impl Scope<'_> {
    fn name(&self) -> &str {
        match self {
            Scope::Function { name, .. } | Scope::Request { name, .. } => name,
        }
    }

    fn function_id(&self) -> u64 {
        match self {
            Scope::Function { function_id, .. } | Scope::Request { function_id, .. } => {
                *function_id
            }
        }
    }

    fn info(&self, recipient: &str) -> Vec<u8> {
        let mut out = INFO_DOMAIN.to_vec();
        match self {
            Scope::Function {
                chain_id,
                function_id,
                name,
                version,
            } => {
                out.push(0);
                put(&mut out, chain_id.as_bytes());
                out.extend_from_slice(&function_id.to_be_bytes());
                put(&mut out, name.as_bytes());
                out.extend_from_slice(&version.to_be_bytes());
            }
            Scope::Request {
                chain_id,
                function_id,
                invoker,
                nonce,
                name,
            } => {
                out.push(1);
                put(&mut out, chain_id.as_bytes());
                out.extend_from_slice(&function_id.to_be_bytes());
                put(&mut out, invoker.as_bytes());
                out.extend_from_slice(&nonce.to_be_bytes());
                put(&mut out, name.as_bytes());
            }
        }
        put(&mut out, recipient.as_bytes());
        out
    }
}

/// A secret value with the salt its commitment uses. Wiped from memory when dropped.
#[derive(Clone, PartialEq, Eq, Zeroize, zeroize::ZeroizeOnDrop)]
pub struct SaltedValue {
    salt: [u8; SALT_BYTES],
    value: String,
}

impl std::fmt::Debug for SaltedValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SaltedValue(<redacted>)")
    }
}

impl SaltedValue {
    /// `value` with a fresh random salt; refused if it breaks [`validate_secret_value`].
    pub fn new(value: &str) -> Result<SaltedValue, SealError> {
        validate_secret_value(value).map_err(SealError::BadValue)?;
        let mut salt = [0u8; SALT_BYTES];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut salt);
        Ok(SaltedValue {
            salt,
            value: value.to_string(),
        })
    }

    /// The value.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// The public commitment to this value under `scope` (its name and function).
    pub fn commitment(&self, scope: &Scope<'_>) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(COMMITMENT_DOMAIN);
        h.update(scope.function_id().to_be_bytes());
        h.update(
            u64::try_from(scope.name().len())
                .unwrap_or(u64::MAX)
                .to_be_bytes(),
        );
        h.update(scope.name().as_bytes());
        h.update(self.salt);
        h.update(
            u64::try_from(self.value.len())
                .unwrap_or(u64::MAX)
                .to_be_bytes(),
        );
        h.update(self.value.as_bytes());
        h.finalize().into()
    }

    fn to_plaintext(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(PLAIN_OVERHEAD + self.value.len()));
        out.push(PLAIN_FORMAT);
        out.extend_from_slice(&self.salt);
        out.extend_from_slice(self.value.as_bytes());
        out
    }

    fn from_plaintext(plain: &[u8]) -> Result<SaltedValue, SealError> {
        let (&[PLAIN_FORMAT], rest) = plain.split_at_checked(1).ok_or(SealError::Malformed)? else {
            return Err(SealError::Malformed);
        };
        let (salt, value) = rest
            .split_at_checked(SALT_BYTES)
            .ok_or(SealError::Malformed)?;
        let value = std::str::from_utf8(value).map_err(|_| SealError::Malformed)?;
        validate_secret_value(value).map_err(|_| SealError::Malformed)?;
        Ok(SaltedValue {
            salt: salt.try_into().map_err(|_| SealError::Malformed)?,
            value: value.to_string(),
        })
    }
}

/// One value sealed to one worker: HPKE's encapsulated key and the ciphertext.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// Encapsulated key ([`ENC_BYTES`]).
    pub enc: Vec<u8>,
    /// ChaCha20-Poly1305 ciphertext with its tag.
    pub ciphertext: Vec<u8>,
}

/// Seals `value` for `recipient` (a worker address) whose X25519 public key is
/// `recipient_key` (32 bytes).
pub fn seal(
    recipient: &str,
    recipient_key: &[u8],
    scope: &Scope<'_>,
    value: &SaltedValue,
) -> Result<Envelope, SealError> {
    let pk = <X25519HkdfSha256 as hpke::Kem>::PublicKey::from_bytes(recipient_key)
        .map_err(|_| SealError::BadRecipientKey)?;
    let mut rng = hpke_rand_core::OsRng.unwrap_err();
    let (enc, ciphertext) =
        hpke::single_shot_seal::<ChaCha20Poly1305, HkdfSha256, X25519HkdfSha256, _>(
            &OpModeS::Base,
            &pk,
            &scope.info(recipient),
            &value.to_plaintext(),
            &[],
            &mut rng,
        )
        .map_err(|_| SealError::BadRecipientKey)?;
    Ok(Envelope {
        enc: enc.to_bytes().to_vec(),
        ciphertext,
    })
}

/// A worker's X25519 key pair for opening envelopes, derived from its account key (so it is
/// kept, backed up and encrypted at rest with it, and needs no file of its own).
pub struct EncryptionKey {
    secret: <X25519HkdfSha256 as hpke::Kem>::PrivateKey,
    public: [u8; 32],
}

impl std::fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EncryptionKey({})", hex::encode(self.public))
    }
}

impl EncryptionKey {
    /// The key pair of the worker whose account key is `key`: HKDF-SHA256 of the account
    /// secret under a fixed domain, then HPKE's `DeriveKeyPair`.
    pub fn derive(key: &KeyPair) -> EncryptionKey {
        let secret = Zeroizing::new(key.secret_bytes());
        let hk = Hkdf::<Sha256>::new(Some(KEY_DERIVATION_SALT), secret.as_slice());
        let mut ikm = Zeroizing::new([0u8; 32]);
        // 32 bytes is far below HKDF-SHA256's output limit.
        let _ = hk.expand(b"x25519", ikm.as_mut_slice());
        let (secret, public) = X25519HkdfSha256::derive_keypair(ikm.as_slice());
        let mut pk = [0u8; 32];
        pk.copy_from_slice(&public.to_bytes());
        EncryptionKey { secret, public: pk }
    }

    /// The public key to register on chain (32 bytes).
    pub fn public_bytes(&self) -> [u8; 32] {
        self.public
    }

    /// Opens an envelope sealed to this worker (`me`, its address) for `scope` and checks the
    /// value against `commitment`.
    pub fn open(
        &self,
        me: &str,
        scope: &Scope<'_>,
        envelope: &Envelope,
        commitment: &[u8],
    ) -> Result<SaltedValue, SealError> {
        let enc = <X25519HkdfSha256 as hpke::Kem>::EncappedKey::from_bytes(&envelope.enc)
            .map_err(|_| SealError::DoesNotOpen)?;
        let plain = Zeroizing::new(
            hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, X25519HkdfSha256>(
                &OpModeR::Base,
                &self.secret,
                &enc,
                &scope.info(me),
                &envelope.ciphertext,
                &[],
            )
            .map_err(|_| SealError::DoesNotOpen)?,
        );
        let value = SaltedValue::from_plaintext(&plain)?;
        if value.commitment(scope).as_slice() != commitment {
            return Err(SealError::CommitmentMismatch);
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(version: u64) -> Scope<'static> {
        Scope::Function {
            chain_id: "bls-test",
            function_id: 7,
            name: "API_KEY",
            version,
        }
    }

    fn worker() -> (KeyPair, EncryptionKey, String) {
        let (k, _) = KeyPair::generate().unwrap();
        let ek = EncryptionKey::derive(&k);
        let addr = k.address().to_string();
        (k, ek, addr)
    }

    #[test]
    fn seals_and_opens_for_the_recipient_only() {
        let (_, a, a_addr) = worker();
        let (_, b, b_addr) = worker();
        let v = SaltedValue::new("s3cr3t").unwrap();
        let c = v.commitment(&scope(1));
        let env = seal(&a_addr, &a.public_bytes(), &scope(1), &v).unwrap();
        assert_eq!(
            a.open(&a_addr, &scope(1), &env, &c).unwrap().value(),
            "s3cr3t"
        );
        // Another worker's key, or the right key told it is someone else: no.
        assert_eq!(
            b.open(&b_addr, &scope(1), &env, &c),
            Err(SealError::DoesNotOpen)
        );
        assert_eq!(
            a.open(&b_addr, &scope(1), &env, &c),
            Err(SealError::DoesNotOpen)
        );
        // Moved to another version, name or function: no.
        assert_eq!(
            a.open(&a_addr, &scope(2), &env, &c),
            Err(SealError::DoesNotOpen)
        );
        let other = Scope::Function {
            chain_id: "bls-test",
            function_id: 7,
            name: "OTHER",
            version: 1,
        };
        assert_eq!(
            a.open(&a_addr, &other, &env, &c),
            Err(SealError::DoesNotOpen)
        );
        // The ciphertext holds no copy of the value.
        assert!(!env.ciphertext.windows(6).any(|w| w == b"s3cr3t"));
    }

    #[test]
    fn a_tampered_envelope_does_not_open_and_never_panics() {
        let (_, a, addr) = worker();
        let v = SaltedValue::new("value").unwrap();
        let c = v.commitment(&scope(1));
        let env = seal(&addr, &a.public_bytes(), &scope(1), &v).unwrap();
        for i in 0..env.ciphertext.len() {
            let mut bad = env.clone();
            bad.ciphertext[i] ^= 1;
            assert_eq!(
                a.open(&addr, &scope(1), &bad, &c),
                Err(SealError::DoesNotOpen)
            );
        }
        let mut bad = env.clone();
        bad.enc[3] ^= 0x40;
        assert!(a.open(&addr, &scope(1), &bad, &c).is_err());
        for (enc, ct) in [
            (vec![], vec![]),
            (vec![0; 31], vec![1; 5]),
            (vec![0; 32], vec![]),
        ] {
            let e = Envelope {
                enc,
                ciphertext: ct,
            };
            assert!(a.open(&addr, &scope(1), &e, &c).is_err());
        }
    }

    #[test]
    fn a_value_that_differs_from_the_commitment_is_refused() {
        // The lying sealer: a well-formed envelope of another value (or of the same value with
        // another salt) for this worker.
        let (_, a, addr) = worker();
        let honest = SaltedValue::new("right").unwrap();
        let c = honest.commitment(&scope(1));
        let wrong = SaltedValue::new("wrong").unwrap();
        let env = seal(&addr, &a.public_bytes(), &scope(1), &wrong).unwrap();
        assert_eq!(
            a.open(&addr, &scope(1), &env, &c),
            Err(SealError::CommitmentMismatch)
        );
        let resalted = SaltedValue::new("right").unwrap();
        let env = seal(&addr, &a.public_bytes(), &scope(1), &resalted).unwrap();
        assert_eq!(
            a.open(&addr, &scope(1), &env, &c),
            Err(SealError::CommitmentMismatch)
        );
    }

    #[test]
    fn the_key_is_derived_stably_from_the_account_key() {
        let (k, a, _) = worker();
        assert_eq!(EncryptionKey::derive(&k).public_bytes(), a.public_bytes());
        let (_, b, _) = worker();
        assert_ne!(a.public_bytes(), b.public_bytes());
        assert!(!format!("{a:?}").contains(&hex::encode(k.secret_bytes())));
    }

    #[test]
    fn unusable_recipient_keys_are_refused() {
        let v = SaltedValue::new("v").unwrap();
        assert_eq!(
            seal("w", &[0u8; 31], &scope(1), &v),
            Err(SealError::BadRecipientKey)
        );
        // The all-zero point is low order: HPKE refuses the DH output.
        assert_eq!(
            seal("w", &[0u8; 32], &scope(1), &v),
            Err(SealError::BadRecipientKey)
        );
    }

    #[test]
    fn request_scopes_bind_invoker_and_nonce() {
        let (_, a, addr) = worker();
        let s = |nonce| Scope::Request {
            chain_id: "c",
            function_id: 1,
            invoker: "bls1x",
            nonce,
            name: "K",
        };
        let v = SaltedValue::new("v").unwrap();
        let c = v.commitment(&s(1));
        let env = seal(&addr, &a.public_bytes(), &s(1), &v).unwrap();
        assert!(a.open(&addr, &s(1), &env, &c).is_ok());
        assert_eq!(a.open(&addr, &s(2), &env, &c), Err(SealError::DoesNotOpen));
    }
}
