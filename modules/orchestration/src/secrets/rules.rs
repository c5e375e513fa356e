//! The bounds of secrets, shared by the chain (which checks what it stores) and clients (which
//! check before sealing).

/// Most secrets one function may hold.
pub const MAX_SECRETS_PER_FUNCTION: usize = 16;
/// Longest secret value (bytes of UTF-8).
pub const MAX_SECRET_VALUE_BYTES: usize = 4096;
/// Longest secret name.
pub const MAX_SECRET_NAME_BYTES: usize = 64;
/// Bytes of an HPKE encapsulated key (X25519).
pub const ENC_BYTES: usize = 32;
/// Largest envelope ciphertext: format byte, 32-byte salt, the value, 16-byte AEAD tag.
pub const MAX_CIPHERTEXT_BYTES: usize = 1 + 32 + MAX_SECRET_VALUE_BYTES + 16;
/// Smallest envelope ciphertext (an empty value).
pub const MIN_CIPHERTEXT_BYTES: usize = 1 + 32 + 16;
/// Blocks each member waits per place in the reseal order before it reseals itself: the first
/// holder in the order reseals at once, the next after this many blocks, and so on (see
/// `PendingReseals`).
pub const RESEAL_STAGGER_BLOCKS: u64 = 5;
/// Longest reason in an unopenable-secrets report.
pub const MAX_REASON_BYTES: usize = 256;

/// A secret's name is an environment variable name: `[A-Za-z_][A-Za-z0-9_]*`, at most
/// [`MAX_SECRET_NAME_BYTES`] bytes.
pub fn validate_secret_name(name: &str) -> Result<(), String> {
    let mut bytes = name.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_');
    if !first_ok
        || name.len() > MAX_SECRET_NAME_BYTES
        || !bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return Err(format!(
            "secret name {:?} must be 1-{MAX_SECRET_NAME_BYTES} characters of A-Z a-z 0-9 _, not starting with a digit",
            name.chars().take(64).collect::<String>()
        ));
    }
    Ok(())
}

/// A secret's value becomes an environment variable's: UTF-8 (a `&str`), no NUL byte, at most
/// [`MAX_SECRET_VALUE_BYTES`] bytes.
pub fn validate_secret_value(value: &str) -> Result<(), String> {
    if value.len() > MAX_SECRET_VALUE_BYTES {
        return Err(format!(
            "a secret value is at most {MAX_SECRET_VALUE_BYTES} bytes (this one is {})",
            value.len()
        ));
    }
    if value.contains('\0') {
        return Err("a secret value may not contain a NUL byte".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_environment_variable_names() {
        for ok in ["A", "_X", "API_KEY", "k9", &"N".repeat(64)] {
            assert!(validate_secret_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "9A", "A-B", "A B", "A=B", "Ä", &"N".repeat(65), "A\0"] {
            assert!(validate_secret_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn values_are_bounded_and_nul_free() {
        assert!(validate_secret_value("").is_ok());
        assert!(validate_secret_value(&"v".repeat(MAX_SECRET_VALUE_BYTES)).is_ok());
        assert!(validate_secret_value(&"v".repeat(MAX_SECRET_VALUE_BYTES + 1)).is_err());
        assert!(validate_secret_value("a\0b").is_err());
    }
}
