//! The validator's randomness-beacon secret: 32 random bytes in `<home>/data/beacon_secret`,
//! created with mode 0600 the first time `blsd start` runs, from which the node derives its
//! vote-extension reveals (`bls_beacon::extension`).
//!
//! Losing the file costs one height of contribution (the next reveal does not match the
//! commitment made with the old secret); a leaked file lets others predict this validator's
//! future reveals, which removes its contribution but not the others'. Each validator node
//! keeps its own: copying it between validators only merges their contributions.

use std::io::Write as _;
use std::path::Path;

use rand::RngCore as _;

/// Why the secret cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum BeaconSecretError {
    /// Reading or creating the file failed.
    #[error("beacon secret {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file does not hold exactly 32 bytes.
    #[error(
        "beacon secret {path} holds {len} bytes, expected 32 (move it away to create a new one)"
    )]
    Length {
        /// The file.
        path: String,
        /// What it holds.
        len: usize,
    },
    /// Group or others may read the file.
    #[error("beacon secret {path} is readable by group or others (mode {mode:o}); run `chmod 600 {path}`")]
    Permissions {
        /// The file.
        path: String,
        /// Its mode bits.
        mode: u32,
    },
}

/// Loads the secret at `path`, creating it (32 bytes from the OS's random source, mode 0600)
/// when the file does not exist.
pub fn load_or_create(path: &Path) -> Result<[u8; 32], BeaconSecretError> {
    let shown = path.display().to_string();
    let io = |source| BeaconSecretError::Io {
        path: shown.clone(),
        source,
    };
    match std::fs::read(path) {
        Ok(bytes) => {
            check_mode(path, &shown)?;
            <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| BeaconSecretError::Length {
                path: shown.clone(),
                len: bytes.len(),
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(io)?;
            }
            let mut secret = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut secret);
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt as _;
                opts.mode(0o600);
            }
            let mut f = opts.open(path).map_err(io)?;
            f.write_all(&secret).map_err(io)?;
            f.sync_all().map_err(io)?;
            Ok(secret)
        }
        Err(e) => Err(io(e)),
    }
}

#[cfg(unix)]
fn check_mode(path: &Path, shown: &str) -> Result<(), BeaconSecretError> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(path)
        .map_err(|source| BeaconSecretError::Io {
            path: shown.to_string(),
            source,
        })?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(BeaconSecretError::Permissions {
            path: shown.to_string(),
            mode: mode & 0o777,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_mode(_path: &Path, _shown: &str) -> Result<(), BeaconSecretError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_once_private_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("data/beacon_secret");
        let a = load_or_create(&p).unwrap();
        assert_eq!(load_or_create(&p).unwrap(), a);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
            assert!(matches!(
                load_or_create(&p),
                Err(BeaconSecretError::Permissions { .. })
            ));
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        std::fs::write(&p, [1u8; 31]).unwrap();
        assert!(matches!(
            load_or_create(&p),
            Err(BeaconSecretError::Length { len: 31, .. })
        ));
    }
}
