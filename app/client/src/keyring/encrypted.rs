//! Sealing a secret under a passphrase: scrypt derives a 256-bit key from the passphrase and a
//! random 32-byte salt, AES-256-GCM encrypts the secret under it with a random 96-bit nonce.
//! The caller's associated data (the key's name, address, ...) is authenticated with it, so a
//! file whose public fields were swapped does not open either.
//!
//! The scrypt parameters travel with the ciphertext; on read they are bounded
//! ([`ScryptParams::check`]) so a crafted file cannot make the reader allocate gigabytes or
//! spin for hours.

use aes_gcm::aead::{Aead as _, KeyInit as _, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use rand::RngCore as _;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// The only KDF written and read.
pub const KDF_SCRYPT: &str = "scrypt";
/// The only cipher written and read.
pub const CIPHER_AES_256_GCM: &str = "aes-256-gcm";
/// Bytes of random salt per sealed secret.
pub const SALT_LEN: usize = 32;
/// Bytes of the AES-GCM nonce.
pub const NONCE_LEN: usize = 12;
/// Bytes of the AES-GCM authentication tag at the end of the ciphertext.
pub const TAG_LEN: usize = 16;
const KEY_LEN: usize = 32;

/// Largest scrypt memory a file may ask for (128 · r · 2^log_n bytes): 1 GiB.
const MAX_MEMORY_BYTES: u64 = 1 << 30;
/// Largest scrypt work a file may ask for (p · r · 2^log_n block mixes): 2^24, 64× production.
const MAX_WORK: u64 = 1 << 24;

/// scrypt cost parameters: N = 2^`log_n` iterations, block size `r`, parallelism `p`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScryptParams {
    /// log2 of the CPU/memory cost N.
    pub log_n: u8,
    /// Block size.
    pub r: u32,
    /// Parallelism.
    pub p: u32,
}

impl ScryptParams {
    /// What the keyring writes: N = 2^15, r = 8, p = 1 — 32 MiB and roughly 0.1 s per
    /// derivation on one core (scrypt's "interactive" cost).
    pub const PRODUCTION: ScryptParams = ScryptParams {
        log_n: 15,
        r: 8,
        p: 1,
    };

    /// N = 2^4: derivation in microseconds, **no protection against guessing**. Only for unit
    /// tests of the encrypted backend; reachable through [`super::Keyring::with_kdf_params`],
    /// never through configuration or the environment.
    pub const fn insecure_for_tests() -> ScryptParams {
        ScryptParams {
            log_n: 4,
            r: 8,
            p: 1,
        }
    }

    /// The parameters as scrypt takes them, refused when out of bounds (zero, or more memory
    /// or work than a keyring ever writes by a wide margin).
    pub fn check(&self) -> Result<scrypt::Params, SealError> {
        let bad = |why: &str| SealError::Malformed(format!("scrypt parameters {self}: {why}"));
        if self.log_n == 0 || self.log_n > 24 || self.r == 0 || self.p == 0 {
            return Err(bad("out of range"));
        }
        let n = 1u64 << self.log_n;
        let memory = 128u64.saturating_mul(u64::from(self.r)).saturating_mul(n);
        let work = u64::from(self.p)
            .saturating_mul(u64::from(self.r))
            .saturating_mul(n);
        if memory > MAX_MEMORY_BYTES {
            return Err(bad("would need more than 1 GiB of memory"));
        }
        if work > MAX_WORK {
            return Err(bad("would take too long"));
        }
        scrypt::Params::new(self.log_n, self.r, self.p, KEY_LEN).map_err(|e| bad(&e.to_string()))
    }
}

impl std::fmt::Display for ScryptParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "log_n={},r={},p={}", self.log_n, self.r, self.p)
    }
}

impl std::str::FromStr for ScryptParams {
    type Err = SealError;

    /// Parses the [`Display`](std::fmt::Display) form `log_n=15,r=8,p=1` (exactly that order).
    fn from_str(s: &str) -> Result<Self, SealError> {
        let bad =
            || SealError::Malformed(format!("scrypt parameters {s:?}: expected log_n=N,r=R,p=P"));
        let mut parts = s.split(',');
        let mut field = |name: &str| -> Result<&str, SealError> {
            parts
                .next()
                .and_then(|p| p.strip_prefix(name))
                .and_then(|p| p.strip_prefix('='))
                .ok_or_else(bad)
        };
        let log_n = field("log_n")?.parse().map_err(|_| bad())?;
        let r = field("r")?.parse().map_err(|_| bad())?;
        let p = field("p")?.parse().map_err(|_| bad())?;
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(ScryptParams { log_n, r, p })
    }
}

/// A secret sealed under a passphrase: everything needed to open it but the passphrase.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sealed {
    /// scrypt cost.
    pub params: ScryptParams,
    /// Random salt ([`SALT_LEN`] bytes).
    pub salt: Vec<u8>,
    /// Random AES-GCM nonce ([`NONCE_LEN`] bytes).
    pub nonce: Vec<u8>,
    /// AES-256-GCM ciphertext followed by its [`TAG_LEN`]-byte tag.
    pub ciphertext: Vec<u8>,
}

/// Why a sealed secret does not open.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// The authentication tag does not verify: the passphrase is wrong, or the ciphertext,
    /// salt, parameters or associated data were changed (the two cannot be told apart).
    #[error("authentication failed: wrong passphrase, or the sealed data was altered")]
    Unauthentic,
    /// Lengths or parameters that no sealer writes.
    #[error("{0}")]
    Malformed(String),
}

/// Encrypts `secret` under `passphrase` with fresh random salt and nonce, authenticating `aad`.
pub fn seal(
    secret: &[u8],
    passphrase: &[u8],
    params: ScryptParams,
    aad: &[u8],
) -> Result<Sealed, SealError> {
    let (salt, nonce) = fresh_salt_and_nonce();
    seal_with(secret, passphrase, params, salt, nonce, aad)
}

/// A random salt and nonce from the OS, for [`seal_with`] when the associated data must name
/// them.
pub fn fresh_salt_and_nonce() -> (Vec<u8>, Vec<u8>) {
    let mut salt = vec![0u8; SALT_LEN];
    let mut nonce = vec![0u8; NONCE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    (salt, nonce)
}

/// Encrypts `secret` under `passphrase` with this salt and nonce (each used once: take them
/// from [`fresh_salt_and_nonce`]), authenticating `aad`.
pub fn seal_with(
    secret: &[u8],
    passphrase: &[u8],
    params: ScryptParams,
    salt: Vec<u8>,
    nonce: Vec<u8>,
    aad: &[u8],
) -> Result<Sealed, SealError> {
    if salt.len() != SALT_LEN || nonce.len() != NONCE_LEN {
        return Err(SealError::Malformed(format!(
            "salt and nonce must be {SALT_LEN} and {NONCE_LEN} bytes"
        )));
    }
    let key = derive(passphrase, &salt, params)?;
    let cipher = Aes256Gcm::new_from_slice(key.as_slice())
        .map_err(|e| SealError::Malformed(e.to_string()))?;
    let ciphertext = cipher
        .encrypt(&nonce_of(&nonce)?, Payload { msg: secret, aad })
        .map_err(|_| SealError::Malformed("AES-GCM encryption failed".into()))?;
    Ok(Sealed {
        params,
        salt,
        nonce,
        ciphertext,
    })
}

/// Decrypts `sealed` with `passphrase`; [`SealError::Unauthentic`] when the tag does not verify.
pub fn open(
    sealed: &Sealed,
    passphrase: &[u8],
    aad: &[u8],
) -> Result<Zeroizing<Vec<u8>>, SealError> {
    if sealed.salt.len() != SALT_LEN {
        return Err(SealError::Malformed(format!(
            "salt is {} bytes, expected {SALT_LEN}",
            sealed.salt.len()
        )));
    }
    if sealed.nonce.len() != NONCE_LEN {
        return Err(SealError::Malformed(format!(
            "nonce is {} bytes, expected {NONCE_LEN}",
            sealed.nonce.len()
        )));
    }
    if sealed.ciphertext.len() <= TAG_LEN {
        return Err(SealError::Malformed(format!(
            "ciphertext is {} bytes, too short to hold a secret and its tag",
            sealed.ciphertext.len()
        )));
    }
    let key = derive(passphrase, &sealed.salt, sealed.params)?;
    let cipher = Aes256Gcm::new_from_slice(key.as_slice())
        .map_err(|e| SealError::Malformed(e.to_string()))?;
    cipher
        .decrypt(
            &nonce_of(&sealed.nonce)?,
            Payload {
                msg: &sealed.ciphertext,
                aad,
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| SealError::Unauthentic)
}

fn nonce_of(bytes: &[u8]) -> Result<Nonce<aes_gcm::aead::consts::U12>, SealError> {
    let array: [u8; NONCE_LEN] = bytes
        .try_into()
        .map_err(|_| SealError::Malformed(format!("nonce must be {NONCE_LEN} bytes")))?;
    Ok(array.into())
}

fn derive(
    passphrase: &[u8],
    salt: &[u8],
    params: ScryptParams,
) -> Result<Zeroizing<[u8; KEY_LEN]>, SealError> {
    let scrypt_params = params.check()?;
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    scrypt::scrypt(passphrase, salt, &scrypt_params, key.as_mut_slice())
        .map_err(|e| SealError::Malformed(format!("scrypt: {e}")))?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAST: ScryptParams = ScryptParams::insecure_for_tests();

    #[test]
    fn round_trip_and_fresh_randomness() {
        let a = seal(b"secret", b"pw", FAST, b"ad").unwrap();
        let b = seal(b"secret", b"pw", FAST, b"ad").unwrap();
        assert_ne!(a.salt, b.salt);
        assert_ne!(a.nonce, b.nonce);
        assert_ne!(a.ciphertext, b.ciphertext);
        assert_eq!(open(&a, b"pw", b"ad").unwrap().as_slice(), b"secret");
        assert_eq!(a.ciphertext.len(), b"secret".len() + TAG_LEN);
    }

    #[test]
    fn every_change_is_refused() {
        let s = seal(&[7u8; 32], b"pw", FAST, b"ad").unwrap();
        assert!(matches!(
            open(&s, b"pX", b"ad"),
            Err(SealError::Unauthentic)
        ));
        assert!(matches!(
            open(&s, b"pw", b"aX"),
            Err(SealError::Unauthentic)
        ));
        let mut t = s.clone();
        t.ciphertext[0] ^= 1;
        assert!(matches!(
            open(&t, b"pw", b"ad"),
            Err(SealError::Unauthentic)
        ));
        let mut t = s.clone();
        *t.ciphertext.last_mut().unwrap() ^= 1;
        assert!(matches!(
            open(&t, b"pw", b"ad"),
            Err(SealError::Unauthentic)
        ));
        let mut t = s.clone();
        t.salt[5] ^= 1;
        assert!(matches!(
            open(&t, b"pw", b"ad"),
            Err(SealError::Unauthentic)
        ));
        let mut t = s.clone();
        t.nonce[0] ^= 1;
        assert!(matches!(
            open(&t, b"pw", b"ad"),
            Err(SealError::Unauthentic)
        ));
        let mut t = s.clone();
        t.params.log_n += 1;
        assert!(matches!(
            open(&t, b"pw", b"ad"),
            Err(SealError::Unauthentic)
        ));
        let mut t = s.clone();
        t.salt.pop();
        assert!(matches!(
            open(&t, b"pw", b"ad"),
            Err(SealError::Malformed(_))
        ));
        let mut t = s.clone();
        t.ciphertext.truncate(TAG_LEN);
        assert!(matches!(
            open(&t, b"pw", b"ad"),
            Err(SealError::Malformed(_))
        ));
    }

    #[test]
    fn hostile_parameters_are_refused_before_any_work() {
        let s = seal(&[7u8; 32], b"pw", FAST, b"ad").unwrap();
        for params in [
            ScryptParams {
                log_n: 0,
                r: 8,
                p: 1,
            },
            ScryptParams {
                log_n: 63,
                r: 8,
                p: 1,
            },
            ScryptParams {
                log_n: 255,
                r: 8,
                p: 1,
            },
            ScryptParams {
                log_n: 15,
                r: 0,
                p: 1,
            },
            ScryptParams {
                log_n: 15,
                r: 8,
                p: 0,
            },
            // 4 GiB of memory.
            ScryptParams {
                log_n: 22,
                r: 8,
                p: 1,
            },
            // Within memory, but 2^32 mixes.
            ScryptParams {
                log_n: 15,
                r: 8,
                p: u32::MAX,
            },
        ] {
            let mut t = s.clone();
            t.params = params;
            assert!(
                matches!(open(&t, b"pw", b"ad"), Err(SealError::Malformed(_))),
                "{params}"
            );
        }
        ScryptParams::PRODUCTION.check().unwrap();
    }

    #[test]
    fn params_text_round_trips_and_rejects_junk() {
        let p = ScryptParams::PRODUCTION;
        assert_eq!(p.to_string(), "log_n=15,r=8,p=1");
        assert_eq!(p.to_string().parse::<ScryptParams>().unwrap(), p);
        for bad in [
            "",
            "log_n=15",
            "r=8,log_n=15,p=1",
            "log_n=15,r=8,p=1,x=2",
            "log_n=x,r=8,p=1",
        ] {
            assert!(bad.parse::<ScryptParams>().is_err(), "{bad}");
        }
    }
}
