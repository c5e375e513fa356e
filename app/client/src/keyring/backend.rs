//! Keyring backends: `file` (encrypted at rest, the default) and `test` (unencrypted, for
//! devnets and CI), and the name each one writes into its key files.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Environment variable that selects the backend (`file` or `test`) for `blsd`, `bls` and
/// `bls-worker`.
pub const BACKEND_ENV: &str = "BLS_KEYRING_BACKEND";

/// The `backend` field of a key file written by the `file` backend.
pub const BACKEND_FILE: &str = "file";
/// The `backend` field of a key file written by the `test` backend.
pub const BACKEND_TEST: &str = "test";
/// The `backend` field of key files written before keys were encrypted. Same layout as
/// [`BACKEND_TEST`] files (private key in hex), so the `test` backend reads them.
pub const BACKEND_LEGACY_UNENCRYPTED: &str = "file-unencrypted";

/// How a keyring keeps private keys on disk.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum KeyringBackend {
    /// Encrypted: AES-256-GCM under a key derived from a passphrase with scrypt.
    #[default]
    File,
    /// Unencrypted (private key in hex, file mode 0600): devnets and CI only.
    Test,
}

impl KeyringBackend {
    /// The name used on the command line, in config files and in key files.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyringBackend::File => BACKEND_FILE,
            KeyringBackend::Test => BACKEND_TEST,
        }
    }

    /// The backend that wrote a key file whose `backend` field is `field`.
    pub fn of_key_file(field: &str) -> Option<Self> {
        match field {
            BACKEND_FILE => Some(KeyringBackend::File),
            BACKEND_TEST | BACKEND_LEGACY_UNENCRYPTED => Some(KeyringBackend::Test),
            _ => None,
        }
    }
}

impl fmt::Display for KeyringBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A backend name that is neither `file` nor `test`.
#[derive(Debug, thiserror::Error)]
#[error("unknown keyring backend {0:?}: expected \"file\" (encrypted) or \"test\" (unencrypted, devnets and CI only)")]
pub struct UnknownBackend(pub String);

impl FromStr for KeyringBackend {
    type Err = UnknownBackend;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            BACKEND_FILE => Ok(KeyringBackend::File),
            BACKEND_TEST => Ok(KeyringBackend::Test),
            other => Err(UnknownBackend(other.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_legacy_files_read_as_test() {
        for b in [KeyringBackend::File, KeyringBackend::Test] {
            assert_eq!(b.as_str().parse::<KeyringBackend>().unwrap(), b);
            assert_eq!(KeyringBackend::of_key_file(b.as_str()), Some(b));
        }
        assert_eq!(
            KeyringBackend::of_key_file(BACKEND_LEGACY_UNENCRYPTED),
            Some(KeyringBackend::Test)
        );
        assert_eq!(KeyringBackend::of_key_file("os"), None);
        // The legacy name is not a backend one can choose.
        assert!(BACKEND_LEGACY_UNENCRYPTED
            .parse::<KeyringBackend>()
            .is_err());
        assert_eq!(KeyringBackend::default(), KeyringBackend::File);
    }
}
