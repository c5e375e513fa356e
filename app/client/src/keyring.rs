//! A file keyring: one JSON file per key in a directory (default `~/.bls/keyring`).
//!
//! **The private key is stored unencrypted** (hex, file mode 0600, directory 0700), like the
//! Cosmos SDK `test` keyring backend. That is good enough for devnets and test machines; do not
//! keep keys holding real value in it. The mnemonic is never stored: `add` shows it once.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use bls_core::Address;
use serde::{Deserialize, Serialize};

use crate::keys::{KeyError, KeyPair, DEFAULT_HD_PATH};

/// Value of [`KeyRecord::backend`]: says in every file that the key is not encrypted.
pub const BACKEND_UNENCRYPTED: &str = "file-unencrypted";

const KEY_FILE_EXT: &str = "json";
const MAX_NAME_LEN: usize = 64;

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
    /// Key derivation failed (e.g. a bad mnemonic on import).
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// What a key file holds (JSON). Field names are stable.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct KeyRecord {
    /// The key's name (also the file stem).
    pub name: String,
    /// Its `bls1...` address.
    pub address: String,
    /// Base64 compressed secp256k1 public key.
    pub pubkey: String,
    /// Always [`BACKEND_UNENCRYPTED`].
    pub backend: String,
    /// The HD path the key was derived at.
    pub hd_path: String,
    /// Hex of the 32 private key bytes, **unencrypted**.
    pub private_key_hex: String,
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
}

/// A directory of key files.
#[derive(Clone, Debug)]
pub struct Keyring {
    dir: PathBuf,
}

impl Keyring {
    /// Opens (without creating) the keyring in `dir`; the directory is created on first `add`.
    pub fn open(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The default directory: `$HOME/.bls/keyring` (or `./.bls/keyring` without `$HOME`).
    pub fn default_dir() -> PathBuf {
        std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("."))
            .join(".bls")
            .join("keyring")
    }

    /// The keyring directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Generates a new key under `name`; returns it and the 24-word mnemonic (shown once).
    pub fn add(&self, name: &str) -> Result<(KeyInfo, String), KeyringError> {
        validate_name(name)?;
        self.ensure_absent(name)?;
        let (key, mnemonic) = KeyPair::generate()?;
        let info = self.store(name, &key)?;
        Ok((info, mnemonic.to_string()))
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

    /// All keys, sorted by name. A missing directory is an empty keyring.
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
            out.push(self.read_record(stem)?.info());
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// The public part of key `name`.
    pub fn show(&self, name: &str) -> Result<KeyInfo, KeyringError> {
        validate_name(name)?;
        Ok(self.read_record(name)?.info())
    }

    /// The signing key `name`, checked against the address recorded with it.
    pub fn get(&self, name: &str) -> Result<KeyPair, KeyringError> {
        validate_name(name)?;
        let record = self.read_record(name)?;
        let path = self.path_of(name);
        let secret = hex::decode(&record.private_key_hex).map_err(|e| KeyringError::Corrupt {
            path: path.clone(),
            reason: format!("private_key_hex: {e}"),
        })?;
        let key = KeyPair::from_secret_bytes(&secret).map_err(|e| KeyringError::Corrupt {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        if key.address().as_str() != record.address {
            return Err(KeyringError::Corrupt {
                path,
                reason: format!(
                    "address {} does not match the private key (which gives {})",
                    record.address,
                    key.address()
                ),
            });
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

    /// Deletes key `name`.
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
        let record = KeyRecord {
            name: name.to_string(),
            address: key.address().to_string(),
            pubkey: base64::engine::general_purpose::STANDARD.encode(key.public_key_bytes()),
            backend: BACKEND_UNENCRYPTED.to_string(),
            hd_path: DEFAULT_HD_PATH.to_string(),
            private_key_hex: hex::encode(key.secret_bytes()),
        };
        let json = serde_json::to_vec_pretty(&record).map_err(|e| KeyringError::Corrupt {
            path: self.path_of(name),
            reason: e.to_string(),
        })?;
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
            Ok(()) => Ok(record.info()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                Err(KeyringError::AlreadyExists {
                    name: name.to_string(),
                    dir: self.dir.clone(),
                })
            }
            Err(e) => Err(self.io(&final_path, e)),
        }
    }

    fn read_record(&self, name: &str) -> Result<KeyRecord, KeyringError> {
        let path = self.path_of(name);
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(self.not_found(name)),
            Err(e) => return Err(self.io(&path, e)),
        };
        let record: KeyRecord =
            serde_json::from_slice(&bytes).map_err(|e| KeyringError::Corrupt {
                path: path.clone(),
                reason: e.to_string(),
            })?;
        if record.name != name {
            return Err(KeyringError::Corrupt {
                path,
                reason: format!("file holds key {:?}", record.name),
            });
        }
        Ok(record)
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
    fn info(&self) -> KeyInfo {
        KeyInfo {
            name: self.name.clone(),
            address: self.address.clone(),
            pubkey: self.pubkey.clone(),
        }
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

    #[test]
    fn add_show_import_same_address() {
        let dir = tempfile::tempdir().unwrap();
        let kr = Keyring::open(dir.path().join("keyring"));
        let (info, mnemonic) = kr.add("alice").unwrap();
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

    #[test]
    fn known_vector_import() {
        let dir = tempfile::tempdir().unwrap();
        let kr = Keyring::open(dir.path());
        let info = kr.import_mnemonic("v", ABANDON).unwrap();
        let (_, bytes) = bech32::decode("cosmos19rl4cm2hmr8afy4kldpxz3fka4jguq0auqdal4").unwrap();
        assert_eq!(info.address, Address::from_bytes(&bytes).as_str());
    }

    #[cfg(unix)]
    #[test]
    fn files_are_private() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let kr = Keyring::open(dir.path().join("kr"));
        kr.add("k").unwrap();
        let mode = fs::metadata(dir.path().join("kr/k.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let dmode = fs::metadata(dir.path().join("kr"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(dmode & 0o777, 0o700);
        // No temp files left behind.
        let names: Vec<_> = fs::read_dir(dir.path().join("kr"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, vec!["k.json"]);
    }

    #[test]
    fn delete_and_errors() {
        let dir = tempfile::tempdir().unwrap();
        let kr = Keyring::open(dir.path());
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
    }

    #[test]
    fn tampered_file_is_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let kr = Keyring::open(dir.path());
        kr.add("a").unwrap();
        let other = KeyPair::from_mnemonic(ABANDON).unwrap();
        let path = dir.path().join("a.json");
        let mut record: KeyRecord = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        record.private_key_hex = hex::encode(other.secret_bytes());
        fs::write(&path, serde_json::to_vec(&record).unwrap()).unwrap();
        assert!(matches!(kr.get("a"), Err(KeyringError::Corrupt { .. })));
        fs::write(&path, b"{not json").unwrap();
        assert!(matches!(kr.show("a"), Err(KeyringError::Corrupt { .. })));
    }
}
