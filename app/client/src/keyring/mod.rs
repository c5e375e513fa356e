//! The keyring: one JSON file per key (`<name>.json`, mode 0600) in a directory (mode 0700).
//! `blsd`, `bls` and `bls-worker` share this code, and `blsd` and `bls` share the default
//! directory `<BLSD_HOME or ~/.blsd>/keyring` ([`Keyring::default_dir`]).
//!
//! Two backends ([`KeyringBackend`]):
//!
//! - **`file`** (the default): the private key is encrypted at rest. scrypt (N = 2^15, r = 8,
//!   p = 1 — [`ScryptParams::PRODUCTION`] — and a random 32-byte salt per file) turns the
//!   passphrase into an AES-256-GCM key; the 32 private key bytes are sealed under a random
//!   96-bit nonce, with the file's name, address, public key, HD path and backend as
//!   associated data. The passphrase comes from `--keyring-passphrase-file`, else
//!   `BLS_KEYRING_PASSPHRASE`, else a no-echo prompt on a terminal ([`PassphraseSource`]).
//! - **`test`**: the private key in hex, unencrypted — devnets and CI only, like the Cosmos
//!   SDK's `--keyring-backend test`. Files written before encryption existed (`backend:
//!   "file-unencrypted"`) have this layout and are read by this backend.
//!
//! Each file says which backend wrote it, and a key is only opened by that backend: the other
//! one refuses with [`KeyringError::BackendMismatch`], which says what to pass. The mnemonic
//! is never stored (`add` returns it once). The address and public key are in clear, so
//! `list`, `show` and `delete` need no passphrase.
//!
//! An encrypted file:
//!
//! ```json
//! { "name": "alice", "address": "bls1...", "pubkey": "<base64>", "backend": "file",
//!   "hd_path": "m/44'/118'/0'/0/0",
//!   "crypto": { "cipher": "aes-256-gcm", "ciphertext": "<hex: 32 bytes + 16-byte tag>",
//!               "nonce": "<hex, 12 bytes>", "kdf": "scrypt",
//!               "kdfparams": { "log_n": 15, "r": 8, "p": 1 }, "salt": "<hex, 32 bytes>" } }
//! ```
//!
//! A `test` file has `"backend": "test"` and `"private_key_hex"` instead of `crypto`. Keys move
//! between backends (or machines) as armored exports ([`armor`]).

pub mod armor;
pub mod backend;
pub mod encrypted;
pub mod passphrase;

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use bls_core::Address;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

pub use armor::ArmorError;
pub use backend::{KeyringBackend, BACKEND_ENV};
pub use encrypted::ScryptParams;
pub use passphrase::{PassphraseError, PassphraseSource, PASSPHRASE_ENV};

use crate::keys::{KeyError, KeyPair, DEFAULT_HD_PATH};
use encrypted::{SealError, Sealed, CIPHER_AES_256_GCM, KDF_SCRYPT};

/// Environment variable naming `blsd`'s home, whose `keyring/` is the default keyring.
pub const HOME_ENV: &str = "BLSD_HOME";

const KEY_FILE_EXT: &str = "json";
const MAX_NAME_LEN: usize = 64;
/// Largest key file read: a real one is under 1 KiB.
const MAX_KEY_FILE_BYTES: u64 = 64 * 1024;
const AAD_PREFIX: &str = "bls-keyring-v1\n";

/// Errors from the keyring.
#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    /// No key file for this name.
    #[error("no key named {name:?} in {dir}: create one with `blsd keys add {name}` or list them with `blsd keys list`")]
    NotFound {
        /// The name asked for.
        name: String,
        /// The keyring directory.
        dir: PathBuf,
    },
    /// A key with this name already exists.
    #[error("a key named {name:?} already exists in {dir}: pick another name or remove it with `blsd keys delete {name}`")]
    AlreadyExists {
        /// The name.
        name: String,
        /// The keyring directory.
        dir: PathBuf,
    },
    /// Names become file names, so they are restricted.
    #[error("invalid key name {0:?}: use 1-64 characters from A-Z a-z 0-9 _ - . (not starting with '.')")]
    InvalidName(String),
    /// A filesystem operation failed.
    #[error("keyring I/O error at {path}: {source}")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A key file that does not parse or does not match itself.
    #[error("corrupt key file {path}: {reason}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The passphrase does not open the key (the AES-GCM tag does not verify).
    #[error("wrong passphrase for key {name:?}: it does not decrypt {path} (if the passphrase is right, the file was altered)")]
    WrongPassphrase {
        /// The key.
        name: String,
        /// Its file.
        path: PathBuf,
    },
    /// The key was written by the other backend.
    #[error("{}", mismatch_text(name, *written_by, *used))]
    BackendMismatch {
        /// The key.
        name: String,
        /// The backend that wrote its file.
        written_by: KeyringBackend,
        /// The backend this command uses.
        used: KeyringBackend,
    },
    /// No passphrase could be had.
    #[error(transparent)]
    Passphrase(#[from] PassphraseError),
    /// An armored key was not imported.
    #[error(transparent)]
    Armor(#[from] ArmorError),
    /// Key derivation failed (e.g. a bad mnemonic on import).
    #[error(transparent)]
    Key(#[from] KeyError),
}

fn mismatch_text(name: &str, written_by: KeyringBackend, used: KeyringBackend) -> String {
    match (written_by, used) {
        (KeyringBackend::File, _) => format!(
            "key {name:?} is encrypted (written by the `file` keyring backend) but this command \
             uses the unencrypted `{used}` backend: run it with --keyring-backend file (unset \
             {BACKEND_ENV}) and the key's passphrase ({PASSPHRASE_ENV}, \
             --keyring-passphrase-file, or the prompt)"
        ),
        (KeyringBackend::Test, _) => format!(
            "key {name:?} is stored UNENCRYPTED (written by the `test` keyring backend, for \
             devnets and CI) but this command uses the encrypted `{used}` backend: run it with \
             --keyring-backend test (or {BACKEND_ENV}=test), or move the key into the encrypted \
             keyring: `keys export {name} --keyring-backend test > {name}.key`, `keys delete \
             {name} --keyring-backend test --yes`, `keys import {name} {name}.key`"
        ),
    }
}

/// What a key file holds (JSON). Field names are stable.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyRecord {
    name: String,
    address: String,
    /// Base64 compressed secp256k1 public key.
    pubkey: String,
    /// Which backend wrote the file (`file`, `test`, or the legacy `file-unencrypted`).
    backend: String,
    hd_path: String,
    /// `test` backend only: the 32 private key bytes in hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    private_key_hex: Option<String>,
    /// `file` backend only: the sealed private key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    crypto: Option<CryptoRecord>,
}

impl Drop for KeyRecord {
    fn drop(&mut self) {
        // A `test` record holds the private key in hex: wipe it with the record.
        if let Some(h) = &mut self.private_key_hex {
            zeroize::Zeroize::zeroize(h);
        }
    }
}

/// The `crypto` object of an encrypted key file.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CryptoRecord {
    cipher: String,
    /// Hex: AES-256-GCM ciphertext of the private key and its tag.
    ciphertext: String,
    /// Hex.
    nonce: String,
    kdf: String,
    kdfparams: ScryptParams,
    /// Hex.
    salt: String,
}

/// The public part of a key, for listing and showing.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct KeyInfo {
    /// The key's name.
    pub name: String,
    /// Its `bls1...` address.
    pub address: String,
    /// Base64 compressed secp256k1 public key.
    pub pubkey: String,
    /// The backend that wrote it: `file` (encrypted) or `test` (unencrypted).
    pub backend: KeyringBackend,
}

/// A directory of key files, read and written with one backend.
#[derive(Clone, Debug)]
pub struct Keyring {
    dir: PathBuf,
    backend: KeyringBackend,
    passphrase: PassphraseSource,
    kdf: ScryptParams,
}

impl Keyring {
    /// The keyring in `dir` (created on first write) with `backend`; `passphrase` serves the
    /// `file` backend.
    pub fn new(
        dir: impl Into<PathBuf>,
        backend: KeyringBackend,
        passphrase: PassphraseSource,
    ) -> Self {
        Self {
            dir: dir.into(),
            backend,
            passphrase,
            kdf: ScryptParams::PRODUCTION,
        }
    }

    /// An encrypted (`file` backend) keyring in `dir`.
    pub fn file(dir: impl Into<PathBuf>, passphrase: PassphraseSource) -> Self {
        Self::new(dir, KeyringBackend::File, passphrase)
    }

    /// An unencrypted (`test` backend) keyring in `dir`: devnets and tests only.
    pub fn test(dir: impl Into<PathBuf>) -> Self {
        Self::new(
            dir,
            KeyringBackend::Test,
            PassphraseSource::keyring(None).non_interactive(),
        )
    }

    /// The same keyring writing new keys and exports with other scrypt parameters (reading
    /// uses each file's own). For unit tests, with [`ScryptParams::insecure_for_tests`].
    pub fn with_kdf_params(mut self, params: ScryptParams) -> Self {
        self.kdf = params;
        self
    }

    /// `blsd`'s default home: `$BLSD_HOME`, else `$HOME/.blsd` (or `./.blsd` without `$HOME`).
    pub fn default_home() -> PathBuf {
        match std::env::var_os(HOME_ENV) {
            Some(h) if !h.is_empty() => PathBuf::from(h),
            _ => std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("."))
                .join(".blsd"),
        }
    }

    /// The default directory, shared by `blsd` and `bls`: `<default home>/keyring`.
    pub fn default_dir() -> PathBuf {
        Self::default_home().join("keyring")
    }

    /// The keyring directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The backend new keys are written with and keys are read with.
    pub fn backend(&self) -> KeyringBackend {
        self.backend
    }

    /// Generates a new key under `name`; returns it and the 24-word mnemonic (shown once).
    pub fn add(&self, name: &str) -> Result<(KeyInfo, Zeroizing<String>), KeyringError> {
        validate_name(name)?;
        self.ensure_absent(name)?;
        let (key, mnemonic) = KeyPair::generate()?;
        let info = self.store(name, &key)?;
        Ok((info, Zeroizing::new(mnemonic.to_string())))
    }

    /// Stores the key derived from `mnemonic` (at [`DEFAULT_HD_PATH`]) under `name`.
    pub fn import_mnemonic(&self, name: &str, mnemonic: &str) -> Result<KeyInfo, KeyringError> {
        validate_name(name)?;
        self.ensure_absent(name)?;
        let key = KeyPair::from_mnemonic(mnemonic)?;
        self.store(name, &key)
    }

    /// Stores an existing key under `name`.
    pub fn import_key(&self, name: &str, key: &KeyPair) -> Result<KeyInfo, KeyringError> {
        validate_name(name)?;
        self.ensure_absent(name)?;
        self.store(name, key)
    }

    /// Stores the key of the armored block `armored` (see [`armor`]) under `name`, opening it
    /// with the export passphrase from `export`.
    pub fn import_armored(
        &self,
        name: &str,
        armored: &str,
        export: &PassphraseSource,
    ) -> Result<KeyInfo, KeyringError> {
        validate_name(name)?;
        self.ensure_absent(name)?;
        let pass = export.existing("the armored key")?;
        let key = armor::import(armored, &pass)?;
        self.store(name, &key)
    }

    /// Key `name` as an armored block sealed under a new export passphrase from `export`.
    pub fn export_armored(
        &self,
        name: &str,
        export: &PassphraseSource,
    ) -> Result<String, KeyringError> {
        let key = self.get(name)?;
        let pass = export.new_passphrase(&format!("the export of key {name:?}"))?;
        Ok(armor::export(&key, &pass, self.kdf)?)
    }

    /// All keys, whichever backend wrote them, sorted by name. A missing directory is an
    /// empty keyring.
    pub fn list(&self) -> Result<Vec<KeyInfo>, KeyringError> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(self.io(&self.dir, e)),
        };
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| self.io(&self.dir, e))?;
            let path = entry.path();
            if path.extension().and_then(|e| e.to_str()) != Some(KEY_FILE_EXT) {
                continue;
            }
            let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
                continue;
            };
            if validate_name(stem).is_err() {
                continue;
            }
            out.push(self.read_record(stem)?.1);
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// The public part of key `name` (no passphrase needed).
    pub fn show(&self, name: &str) -> Result<KeyInfo, KeyringError> {
        validate_name(name)?;
        Ok(self.read_record(name)?.1)
    }

    /// The signing key `name`, checked against the address recorded with it. The `file`
    /// backend asks its [`PassphraseSource`].
    pub fn get(&self, name: &str) -> Result<KeyPair, KeyringError> {
        validate_name(name)?;
        let (record, info) = self.read_record(name)?;
        let path = self.path_of(name);
        if info.backend != self.backend {
            return Err(KeyringError::BackendMismatch {
                name: name.to_string(),
                written_by: info.backend,
                used: self.backend,
            });
        }
        let corrupt = |reason: String| KeyringError::Corrupt {
            path: path.clone(),
            reason,
        };
        let secret: Zeroizing<Vec<u8>> =
            match (info.backend, &record.private_key_hex, &record.crypto) {
                (KeyringBackend::Test, Some(hex_key), None) => Zeroizing::new(
                    hex::decode(hex_key).map_err(|e| corrupt(format!("private_key_hex: {e}")))?,
                ),
                (KeyringBackend::File, None, Some(crypto)) => {
                    let sealed = crypto.sealed().map_err(corrupt)?;
                    let pass = self.passphrase.existing(&format!("key {name:?}"))?;
                    encrypted::open(&sealed, pass.as_bytes(), record.aad().as_bytes()).map_err(
                        |e| match e {
                            SealError::Unauthentic => KeyringError::WrongPassphrase {
                                name: name.to_string(),
                                path: path.clone(),
                            },
                            SealError::Malformed(m) => corrupt(m),
                        },
                    )?
                }
                (KeyringBackend::Test, _, _) => {
                    return Err(corrupt(
                        "an unencrypted key file needs private_key_hex and no crypto".into(),
                    ))
                }
                (KeyringBackend::File, _, _) => {
                    return Err(corrupt(
                        "an encrypted key file needs crypto and no private_key_hex".into(),
                    ))
                }
            };
        let key = KeyPair::from_secret_bytes(&secret).map_err(|e| corrupt(e.to_string()))?;
        if key.address().as_str() != record.address {
            return Err(corrupt(format!(
                "address {} does not match the private key (which gives {})",
                record.address,
                key.address()
            )));
        }
        Ok(key)
    }

    /// Finds a key by name, or by address when `name_or_address` is a `bls1...` address.
    pub fn get_by_name_or_address(&self, name_or_address: &str) -> Result<KeyPair, KeyringError> {
        if let Ok(addr) = Address::parse(name_or_address) {
            for info in self.list()? {
                if info.address == addr.as_str() {
                    return self.get(&info.name);
                }
            }
            return Err(KeyringError::NotFound {
                name: name_or_address.to_string(),
                dir: self.dir.clone(),
            });
        }
        self.get(name_or_address)
    }

    /// Deletes key `name` (no passphrase needed).
    pub fn delete(&self, name: &str) -> Result<(), KeyringError> {
        validate_name(name)?;
        let path = self.path_of(name);
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(self.not_found(name)),
            Err(e) => Err(self.io(&path, e)),
        }
    }

    fn store(&self, name: &str, key: &KeyPair) -> Result<KeyInfo, KeyringError> {
        use base64::Engine as _;
        let mut record = KeyRecord {
            name: name.to_string(),
            address: key.address().to_string(),
            pubkey: base64::engine::general_purpose::STANDARD.encode(key.public_key_bytes()),
            backend: self.backend.as_str().to_string(),
            hd_path: DEFAULT_HD_PATH.to_string(),
            private_key_hex: None,
            crypto: None,
        };
        let secret = Zeroizing::new(key.secret_bytes());
        match self.backend {
            KeyringBackend::Test => {
                record.private_key_hex = Some(hex::encode(secret.as_slice()));
            }
            KeyringBackend::File => {
                let pass = self.passphrase.new_passphrase(&format!("key {name:?}"))?;
                let sealed = encrypted::seal(
                    secret.as_slice(),
                    pass.as_bytes(),
                    self.kdf,
                    record.aad().as_bytes(),
                )
                .map_err(|e| KeyringError::Corrupt {
                    path: self.path_of(name),
                    reason: e.to_string(),
                })?;
                record.crypto = Some(CryptoRecord::of(&sealed));
            }
        }
        let json = Zeroizing::new(serde_json::to_vec_pretty(&record).map_err(|e| {
            KeyringError::Corrupt {
                path: self.path_of(name),
                reason: e.to_string(),
            }
        })?);
        self.create_dir()?;
        let final_path = self.path_of(name);
        // Write a private temp file, then hard-link it into place: the link fails if the name
        // was taken meanwhile, so an existing key is never overwritten or half-written.
        let tmp_path = self.dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let write = (|| -> std::io::Result<()> {
            let mut f = open_private(&tmp_path)?;
            f.write_all(&json)?;
            f.sync_all()?;
            fs::hard_link(&tmp_path, &final_path)
        })();
        let _ = fs::remove_file(&tmp_path);
        match write {
            Ok(()) => Ok(record.info(self.backend)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                Err(KeyringError::AlreadyExists {
                    name: name.to_string(),
                    dir: self.dir.clone(),
                })
            }
            Err(e) => Err(self.io(&final_path, e)),
        }
    }

    /// The record of `name` and its public part (which names the backend that wrote it).
    fn read_record(&self, name: &str) -> Result<(KeyRecord, KeyInfo), KeyringError> {
        let path = self.path_of(name);
        let file = match fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(self.not_found(name)),
            Err(e) => return Err(self.io(&path, e)),
        };
        let mut bytes = Zeroizing::new(Vec::new());
        std::io::Read::read_to_end(
            &mut std::io::Read::take(file, MAX_KEY_FILE_BYTES + 1),
            &mut bytes,
        )
        .map_err(|e| self.io(&path, e))?;
        let corrupt = |reason: String| KeyringError::Corrupt {
            path: path.clone(),
            reason,
        };
        if bytes.len() as u64 > MAX_KEY_FILE_BYTES {
            return Err(corrupt(format!("larger than {MAX_KEY_FILE_BYTES} bytes")));
        }
        let record: KeyRecord =
            serde_json::from_slice(&bytes).map_err(|e| corrupt(e.to_string()))?;
        if record.name != name {
            return Err(corrupt(format!("file holds key {:?}", record.name)));
        }
        let backend = KeyringBackend::of_key_file(&record.backend).ok_or_else(|| {
            corrupt(format!(
                "unknown backend {:?} (expected \"file\" or \"test\")",
                record.backend
            ))
        })?;
        let info = record.info(backend);
        Ok((record, info))
    }

    fn ensure_absent(&self, name: &str) -> Result<(), KeyringError> {
        if self.path_of(name).exists() {
            return Err(KeyringError::AlreadyExists {
                name: name.to_string(),
                dir: self.dir.clone(),
            });
        }
        Ok(())
    }

    fn create_dir(&self) -> Result<(), KeyringError> {
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt as _;
            builder.mode(0o700);
        }
        builder.create(&self.dir).map_err(|e| self.io(&self.dir, e))
    }

    fn path_of(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.{KEY_FILE_EXT}"))
    }

    fn not_found(&self, name: &str) -> KeyringError {
        KeyringError::NotFound {
            name: name.to_string(),
            dir: self.dir.clone(),
        }
    }

    fn io(&self, path: &Path, source: std::io::Error) -> KeyringError {
        KeyringError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

impl KeyRecord {
    fn info(&self, backend: KeyringBackend) -> KeyInfo {
        KeyInfo {
            name: self.name.clone(),
            address: self.address.clone(),
            pubkey: self.pubkey.clone(),
            backend,
        }
    }

    /// The associated data sealed with the key: its public fields, so a file whose address or
    /// public key was swapped does not decrypt.
    fn aad(&self) -> String {
        format!(
            "{AAD_PREFIX}name: {}\naddress: {}\npubkey: {}\nhd_path: {}\nbackend: {}\n",
            self.name, self.address, self.pubkey, self.hd_path, self.backend
        )
    }
}

impl CryptoRecord {
    fn of(sealed: &Sealed) -> Self {
        CryptoRecord {
            cipher: CIPHER_AES_256_GCM.to_string(),
            ciphertext: hex::encode(&sealed.ciphertext),
            nonce: hex::encode(&sealed.nonce),
            kdf: KDF_SCRYPT.to_string(),
            kdfparams: sealed.params,
            salt: hex::encode(&sealed.salt),
        }
    }

    fn sealed(&self) -> Result<Sealed, String> {
        if self.cipher != CIPHER_AES_256_GCM {
            return Err(format!(
                "cipher {:?} is not {CIPHER_AES_256_GCM}",
                self.cipher
            ));
        }
        if self.kdf != KDF_SCRYPT {
            return Err(format!("kdf {:?} is not {KDF_SCRYPT}", self.kdf));
        }
        let bytes = |field: &str, v: &str| hex::decode(v).map_err(|e| format!("{field}: {e}"));
        Ok(Sealed {
            params: self.kdfparams,
            salt: bytes("salt", &self.salt)?,
            nonce: bytes("nonce", &self.nonce)?,
            ciphertext: bytes("ciphertext", &self.ciphertext)?,
        })
    }
}

fn open_private(path: &Path) -> std::io::Result<fs::File> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    opts.open(path)
}

/// Key names become file names: allow only a safe character set.
fn validate_name(name: &str) -> Result<(), KeyringError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(KeyringError::InvalidName(name.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ABANDON: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
    const PW: &str = "correct horse battery";

    /// An encrypted keyring with the cheap KDF and passphrase `pass`.
    fn file_kr(dir: &Path, pass: &str) -> Keyring {
        Keyring::file(dir, PassphraseSource::given(pass))
            .with_kdf_params(ScryptParams::insecure_for_tests())
    }

    fn edit_json(path: &Path, f: impl FnOnce(&mut serde_json::Value)) {
        let mut v: serde_json::Value = serde_json::from_slice(&fs::read(path).unwrap()).unwrap();
        f(&mut v);
        fs::write(path, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    }

    #[test]
    fn add_show_import_same_address_with_both_backends() {
        let dir = tempfile::tempdir().unwrap();
        for kr in [
            Keyring::test(dir.path().join("t")),
            file_kr(&dir.path().join("f"), PW),
        ] {
            let (info, mnemonic) = kr.add("alice").unwrap();
            assert_eq!(info.backend, kr.backend());
            assert_eq!(mnemonic.split_whitespace().count(), 24);
            assert_eq!(kr.show("alice").unwrap(), info);
            let imported = kr.import_mnemonic("alice2", &mnemonic).unwrap();
            assert_eq!(imported.address, info.address);
            assert_eq!(imported.pubkey, info.pubkey);
            assert_eq!(kr.get("alice").unwrap().address().as_str(), info.address);
            let by_addr = kr.get_by_name_or_address(&info.address).unwrap();
            assert_eq!(by_addr.address().as_str(), info.address);
            let names: Vec<_> = kr.list().unwrap().into_iter().map(|k| k.name).collect();
            assert_eq!(names, vec!["alice", "alice2"]);
        }
    }

    #[test]
    fn known_vector_import() {
        let dir = tempfile::tempdir().unwrap();
        let kr = Keyring::test(dir.path());
        let info = kr.import_mnemonic("v", ABANDON).unwrap();
        let (_, bytes) = bech32::decode("cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4").unwrap();
        assert_eq!(info.address, Address::from_bytes(&bytes).as_str());
    }

    #[test]
    fn the_default_backend_is_file_with_production_scrypt() {
        let dir = tempfile::tempdir().unwrap();
        let kr = Keyring::new(
            dir.path(),
            KeyringBackend::default(),
            PassphraseSource::given(PW),
        );
        kr.import_mnemonic("v", ABANDON).unwrap();
        let v: serde_json::Value =
            serde_json::from_slice(&fs::read(dir.path().join("v.json")).unwrap()).unwrap();
        assert_eq!(v["backend"], "file");
        assert_eq!(v["crypto"]["kdf"], "scrypt");
        assert_eq!(v["crypto"]["cipher"], "aes-256-gcm");
        assert_eq!(
            v["crypto"]["kdfparams"],
            serde_json::json!({"log_n": 15, "r": 8, "p": 1})
        );
        assert_eq!(v["crypto"]["salt"].as_str().unwrap().len(), 64);
        assert!(v.get("private_key_hex").is_none());
        assert_eq!(kr.get("v").unwrap().address().as_str(), v["address"]);
    }

    #[test]
    fn an_encrypted_key_file_holds_no_key_material_in_clear() {
        use base64::Engine as _;
        let dir = tempfile::tempdir().unwrap();
        let kr = file_kr(dir.path(), PW);
        let (info, mnemonic) = kr.add("alice").unwrap();
        let key = kr.get("alice").unwrap();
        let secret = key.secret_bytes();
        let bytes = fs::read(dir.path().join("alice.json")).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.contains(&info.address), "the address is in clear");
        let needles = [
            hex::encode(secret),
            hex::encode_upper(secret),
            base64::engine::general_purpose::STANDARD.encode(secret),
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret),
            mnemonic.to_string(),
        ];
        for n in &needles {
            assert!(!text.contains(n.as_str()), "found {n} in the key file");
        }
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret),
            "raw private key bytes in the file"
        );
        // No mnemonic word as a token of its own. Hex and base64 runs are single tokens, so
        // a word inside one is chance, not a leak; the file's own vocabulary is left out.
        let own: &[&str] = &[
            "name",
            "alice",
            "address",
            "pubkey",
            "backend",
            "file",
            "hd_path",
            "m",
            "44",
            "118",
            "0",
            "crypto",
            "cipher",
            "aes",
            "256",
            "gcm",
            "ciphertext",
            "nonce",
            "kdf",
            "scrypt",
            "kdfparams",
            "log_n",
            "15",
            "r",
            "8",
            "p",
            "1",
            "4",
            "salt",
        ];
        let tokens: std::collections::BTreeSet<&str> = text
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|t| !t.is_empty() && !own.contains(t))
            .collect();
        for word in mnemonic.split_whitespace() {
            assert!(
                !tokens.contains(word),
                "mnemonic word {word:?} in the key file"
            );
        }
        // The same scan passes only because of the encryption: a `test` file fails it.
        let t = Keyring::test(dir.path().join("t"));
        t.import_key("alice", &key).unwrap();
        let clear = fs::read_to_string(dir.path().join("t/alice.json")).unwrap();
        assert!(clear.contains(&hex::encode(secret)));
    }

    #[test]
    fn a_wrong_passphrase_is_refused_with_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        file_kr(dir.path(), PW).add("alice").unwrap();
        let e = file_kr(dir.path(), "not the passphrase")
            .get("alice")
            .unwrap_err();
        assert!(matches!(e, KeyringError::WrongPassphrase { .. }), "{e}");
        assert!(
            e.to_string()
                .starts_with("wrong passphrase for key \"alice\""),
            "{e}"
        );
        // Listing and showing need no passphrase.
        let wrong = file_kr(dir.path(), "not the passphrase");
        assert_eq!(wrong.list().unwrap().len(), 1);
        assert_eq!(wrong.show("alice").unwrap().backend, KeyringBackend::File);
    }

    #[test]
    fn tampered_encrypted_files_are_refused_not_panicked_on() {
        let dir = tempfile::tempdir().unwrap();
        let kr = file_kr(dir.path(), PW);
        kr.add("a").unwrap();
        let path = dir.path().join("a.json");
        let good = fs::read(&path).unwrap();
        let other = KeyPair::from_secret_bytes(&[9u8; 32]).unwrap();
        let flip_hex = |v: &mut serde_json::Value| {
            let s = v.as_str().unwrap();
            let mut c: Vec<char> = s.chars().collect();
            c[2] = if c[2] == '0' { '1' } else { '0' };
            *v = c.into_iter().collect::<String>().into();
        };
        type Edit = Box<dyn Fn(&mut serde_json::Value)>;
        // What the AES-GCM tag catches: indistinguishable from a wrong passphrase.
        let unauthentic: Vec<(&str, Edit)> = vec![
            (
                "ciphertext",
                Box::new(move |v| flip_hex(&mut v["crypto"]["ciphertext"])),
            ),
            (
                "salt",
                Box::new(move |v| flip_hex(&mut v["crypto"]["salt"])),
            ),
            (
                "nonce",
                Box::new(move |v| flip_hex(&mut v["crypto"]["nonce"])),
            ),
            (
                "log_n",
                Box::new(|v| v["crypto"]["kdfparams"]["log_n"] = 5.into()),
            ),
            ("r", Box::new(|v| v["crypto"]["kdfparams"]["r"] = 4.into())),
            (
                "address",
                Box::new(move |v| v["address"] = other.address().to_string().into()),
            ),
            (
                "hd_path",
                Box::new(|v| v["hd_path"] = "m/44'/60'/0'/0/0".into()),
            ),
        ];
        // What never gets as far as the cipher.
        let corrupt: Vec<(&str, Edit)> = vec![
            (
                "hostile log_n",
                Box::new(|v| v["crypto"]["kdfparams"]["log_n"] = 40.into()),
            ),
            (
                "zero p",
                Box::new(|v| v["crypto"]["kdfparams"]["p"] = 0.into()),
            ),
            (
                "log_n not a byte",
                Box::new(|v| v["crypto"]["kdfparams"]["log_n"] = 300.into()),
            ),
            (
                "cipher",
                Box::new(|v| v["crypto"]["cipher"] = "aes-128-cbc".into()),
            ),
            ("kdf", Box::new(|v| v["crypto"]["kdf"] = "pbkdf2".into())),
            (
                "short salt",
                Box::new(|v| v["crypto"]["salt"] = "00".into()),
            ),
            (
                "not hex",
                Box::new(|v| v["crypto"]["ciphertext"] = "zz".into()),
            ),
            (
                "empty ciphertext",
                Box::new(|v| v["crypto"]["ciphertext"] = "".into()),
            ),
            (
                "no crypto",
                Box::new(|v| {
                    v.as_object_mut().unwrap().remove("crypto");
                }),
            ),
            (
                "clear key added",
                Box::new(|v| v["private_key_hex"] = hex::encode([9u8; 32]).into()),
            ),
            ("unknown backend", Box::new(|v| v["backend"] = "os".into())),
            ("unknown field", Box::new(|v| v["extra"] = 1.into())),
        ];
        for (what, edit) in &unauthentic {
            fs::write(&path, &good).unwrap();
            edit_json(&path, edit);
            let e = kr.get("a").unwrap_err();
            assert!(
                matches!(e, KeyringError::WrongPassphrase { .. }),
                "{what}: {e}"
            );
        }
        for (what, edit) in &corrupt {
            fs::write(&path, &good).unwrap();
            edit_json(&path, edit);
            let e = kr.get("a").unwrap_err();
            assert!(matches!(e, KeyringError::Corrupt { .. }), "{what}: {e}");
        }
        fs::write(&path, b"{not json").unwrap();
        assert!(matches!(kr.show("a"), Err(KeyringError::Corrupt { .. })));
        fs::write(&path, vec![b' '; MAX_KEY_FILE_BYTES as usize + 1]).unwrap();
        assert!(matches!(kr.show("a"), Err(KeyringError::Corrupt { .. })));
        fs::write(&path, &good).unwrap();
        kr.get("a").unwrap();
    }

    #[test]
    fn a_key_is_only_opened_by_the_backend_that_wrote_it() {
        let dir = tempfile::tempdir().unwrap();
        let enc = file_kr(dir.path(), PW);
        let clear = Keyring::test(dir.path());
        enc.add("secret").unwrap();
        clear.add("devkey").unwrap();
        let e = clear.get("secret").unwrap_err();
        assert!(
            matches!(
                e,
                KeyringError::BackendMismatch {
                    written_by: KeyringBackend::File,
                    used: KeyringBackend::Test,
                    ..
                }
            ),
            "{e}"
        );
        let text = e.to_string();
        assert!(
            text.contains("is encrypted") && text.contains("--keyring-backend file"),
            "{text}"
        );
        let e = enc.get("devkey").unwrap_err();
        let text = e.to_string();
        assert!(matches!(e, KeyringError::BackendMismatch { .. }), "{text}");
        assert!(
            text.contains("UNENCRYPTED") && text.contains("--keyring-backend test"),
            "{text}"
        );
        assert!(
            text.contains("keys export devkey --keyring-backend test"),
            "{text}"
        );
        // Both are listed, each with its backend.
        let listed: Vec<(String, KeyringBackend)> = clear
            .list()
            .unwrap()
            .into_iter()
            .map(|k| (k.name, k.backend))
            .collect();
        assert_eq!(
            listed,
            vec![
                ("devkey".to_string(), KeyringBackend::Test),
                ("secret".to_string(), KeyringBackend::File)
            ]
        );
    }

    #[test]
    fn legacy_unencrypted_files_are_read_by_the_test_backend_only() {
        let dir = tempfile::tempdir().unwrap();
        let key = KeyPair::from_mnemonic(ABANDON).unwrap();
        let legacy = serde_json::json!({
            "name": "old",
            "address": key.address().to_string(),
            "pubkey": "AAAA",
            "backend": "file-unencrypted",
            "hd_path": DEFAULT_HD_PATH,
            "private_key_hex": hex::encode(key.secret_bytes()),
        });
        fs::write(dir.path().join("old.json"), legacy.to_string()).unwrap();
        let got = Keyring::test(dir.path()).get("old").unwrap();
        assert_eq!(got.address(), key.address());
        let e = file_kr(dir.path(), PW).get("old").unwrap_err();
        assert!(matches!(e, KeyringError::BackendMismatch { .. }), "{e}");
    }

    #[test]
    fn export_import_round_trip_moves_a_key_between_backends() {
        let dir = tempfile::tempdir().unwrap();
        let clear = Keyring::test(dir.path().join("dev"))
            .with_kdf_params(ScryptParams::insecure_for_tests());
        let info = clear.import_mnemonic("alice", ABANDON).unwrap();
        let armored = clear
            .export_armored("alice", &PassphraseSource::given("export passphrase"))
            .unwrap();
        assert!(armored.starts_with(armor::ARMOR_BEGIN), "{armored}");
        let enc = file_kr(&dir.path().join("prod"), PW);
        let imported = enc
            .import_armored(
                "alice",
                &armored,
                &PassphraseSource::given("export passphrase"),
            )
            .unwrap();
        assert_eq!(imported.address, info.address);
        assert_eq!(imported.backend, KeyringBackend::File);
        assert_eq!(enc.get("alice").unwrap().address().as_str(), info.address);
        // And back out of the encrypted keyring.
        let again = enc
            .export_armored("alice", &PassphraseSource::given("another export pw"))
            .unwrap();
        let back = Keyring::test(dir.path().join("dev2"))
            .import_armored(
                "alice",
                &again,
                &PassphraseSource::given("another export pw"),
            )
            .unwrap();
        assert_eq!(back.address, info.address);

        // A wrong export passphrase and a tampered block are refused, and nothing is written.
        let e = enc
            .import_armored("bob", &armored, &PassphraseSource::given("guess guess"))
            .unwrap_err();
        assert!(
            matches!(e, KeyringError::Armor(ArmorError::Unauthentic)),
            "{e}"
        );
        assert!(e.to_string().contains("wrong export passphrase"), "{e}");
        let body_line = armored.lines().rev().nth(1).unwrap();
        let flipped: String = body_line
            .chars()
            .enumerate()
            .map(|(i, c)| {
                if i == 3 {
                    if c == 'A' {
                        'B'
                    } else {
                        'A'
                    }
                } else {
                    c
                }
            })
            .collect();
        let tampered = armored.replace(body_line, &flipped);
        let e = enc
            .import_armored(
                "bob",
                &tampered,
                &PassphraseSource::given("export passphrase"),
            )
            .unwrap_err();
        assert!(matches!(e, KeyringError::Armor(_)), "{e}");
        assert!(matches!(
            enc.show("bob"),
            Err(KeyringError::NotFound { .. })
        ));
        // A too-short export passphrase is refused before anything is exported.
        assert!(matches!(
            enc.export_armored("alice", &PassphraseSource::given("short")),
            Err(KeyringError::Passphrase(PassphraseError::Weak { .. }))
        ));
    }

    #[cfg(unix)]
    #[test]
    fn files_are_private() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        for (sub, kr) in [
            ("t", Keyring::test(dir.path().join("t"))),
            ("f", file_kr(&dir.path().join("f"), PW)),
        ] {
            kr.add("k").unwrap();
            let d = dir.path().join(sub);
            let mode = fs::metadata(d.join("k.json")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            let dmode = fs::metadata(&d).unwrap().permissions().mode();
            assert_eq!(dmode & 0o777, 0o700);
            // No temp files left behind.
            let names: Vec<_> = fs::read_dir(&d)
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect();
            assert_eq!(names, vec!["k.json"]);
        }
    }

    #[test]
    fn delete_and_errors() {
        let dir = tempfile::tempdir().unwrap();
        let kr = Keyring::test(dir.path());
        assert!(kr.list().unwrap().is_empty());
        kr.add("bob").unwrap();
        assert!(matches!(
            kr.add("bob"),
            Err(KeyringError::AlreadyExists { .. })
        ));
        assert!(matches!(
            kr.import_mnemonic("bob", ABANDON),
            Err(KeyringError::AlreadyExists { .. })
        ));
        kr.delete("bob").unwrap();
        let err = kr.show("bob").unwrap_err();
        assert!(matches!(err, KeyringError::NotFound { .. }));
        assert!(err.to_string().contains("blsd keys add bob"), "{err}");
        assert!(matches!(
            kr.delete("bob"),
            Err(KeyringError::NotFound { .. })
        ));
        for bad in ["", "../x", ".hidden", "a/b", &"x".repeat(65)] {
            assert!(
                matches!(kr.add(bad), Err(KeyringError::InvalidName(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            kr.import_mnemonic("m", "not a mnemonic"),
            Err(KeyringError::Key(KeyError::InvalidMnemonic(_)))
        ));
        // A weak new passphrase writes nothing.
        let weak = file_kr(dir.path(), "short");
        assert!(matches!(
            weak.add("w"),
            Err(KeyringError::Passphrase(PassphraseError::Weak { .. }))
        ));
        assert!(matches!(weak.show("w"), Err(KeyringError::NotFound { .. })));
    }

    #[test]
    fn tampered_test_file_is_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let kr = Keyring::test(dir.path());
        kr.add("a").unwrap();
        let other = KeyPair::from_mnemonic(ABANDON).unwrap();
        let path = dir.path().join("a.json");
        edit_json(&path, |v| {
            v["private_key_hex"] = hex::encode(other.secret_bytes()).into()
        });
        assert!(matches!(kr.get("a"), Err(KeyringError::Corrupt { .. })));
        fs::write(&path, b"{not json").unwrap();
        assert!(matches!(kr.show("a"), Err(KeyringError::Corrupt { .. })));
    }

    #[test]
    fn the_default_dir_follows_blsd_home() {
        // Only checks what the environment allows without changing it (tests run in threads).
        match std::env::var_os(HOME_ENV) {
            Some(h) if !h.is_empty() => {
                assert_eq!(Keyring::default_dir(), PathBuf::from(h).join("keyring"))
            }
            _ => assert!(Keyring::default_dir().ends_with(".blsd/keyring")),
        }
    }
}
