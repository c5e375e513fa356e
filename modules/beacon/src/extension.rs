//! A validator's vote extension: the reveal of its value for this height and the commitment
//! to its value for the next one.
//!
//! Each validator keeps a 32-byte secret on its node and derives its value for height `h` as
//! `s_h = HMAC-SHA256(secret, domain ‖ chain_id ‖ h)`. Its extension at height `h` is
//! `(s_h, commit(s_{h+1}))`: every value is bound one height before anyone sees it, so a
//! validator can withhold its contribution but never pick it after seeing the others'.
//! Deriving values from one secret lets a restarted node produce the same values again.
//!
//! Wire layout (65 bytes): version `0x01` ‖ reveal (32) ‖ commitment (32). An empty extension
//! means "withheld" (a node without its secret still votes).

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::error::BeaconError;

/// Version byte of the current layout.
pub const EXTENSION_VERSION: u8 = 1;
/// Length of a v1 extension.
pub const EXTENSION_LEN: usize = 65;

const VALUE_DOMAIN: &[u8] = b"bls/beacon/v1/value";
const COMMIT_DOMAIN: &[u8] = b"bls/beacon/v1/commit";

/// The reveal for this height and the commitment for the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VoteExtension {
    /// `s_h`.
    pub reveal: [u8; 32],
    /// `commit(s_{h+1})`.
    pub commitment: [u8; 32],
}

impl VoteExtension {
    /// The validator's extension for `height`.
    pub fn for_height(secret: &[u8; 32], chain_id: &str, height: u64) -> VoteExtension {
        VoteExtension {
            reveal: value(secret, chain_id, height),
            commitment: commitment(&value(secret, chain_id, height.saturating_add(1))),
        }
    }

    /// The wire bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(EXTENSION_LEN);
        out.push(EXTENSION_VERSION);
        out.extend_from_slice(&self.reveal);
        out.extend_from_slice(&self.commitment);
        out
    }

    /// Parses wire bytes: `Ok(None)` for an empty (withheld) extension, an error for anything
    /// that is not exactly the v1 layout.
    pub fn decode(bytes: &[u8]) -> Result<Option<VoteExtension>, BeaconError> {
        if bytes.is_empty() {
            return Ok(None);
        }
        if bytes.len() != EXTENSION_LEN {
            return Err(BeaconError::MalformedExtension(format!(
                "{} bytes, expected 0 or {EXTENSION_LEN}",
                bytes.len()
            )));
        }
        let (version, rest) = bytes.split_at(1);
        if version != [EXTENSION_VERSION] {
            return Err(BeaconError::MalformedExtension(format!(
                "version {}, expected {EXTENSION_VERSION}",
                version.first().copied().unwrap_or_default()
            )));
        }
        let (reveal, commitment) = rest.split_at(32);
        Ok(Some(VoteExtension {
            reveal: reveal.try_into().unwrap_or([0; 32]),
            commitment: commitment.try_into().unwrap_or([0; 32]),
        }))
    }
}

/// `s_h = HMAC-SHA256(secret, domain ‖ len(chain_id) ‖ chain_id ‖ h)`.
pub fn value(secret: &[u8; 32], chain_id: &str, height: u64) -> [u8; 32] {
    // HMAC accepts keys of any length; a 32-byte key cannot fail.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return [0; 32];
    };
    mac.update(VALUE_DOMAIN);
    mac.update(
        &u64::try_from(chain_id.len())
            .unwrap_or(u64::MAX)
            .to_be_bytes(),
    );
    mac.update(chain_id.as_bytes());
    mac.update(&height.to_be_bytes());
    mac.finalize().into_bytes().into()
}

/// The commitment to a value: `sha256(domain ‖ value)`.
pub fn commitment(value: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(COMMIT_DOMAIN);
    h.update(value);
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_commits_to_the_next_value() {
        let secret = [9u8; 32];
        let e = VoteExtension::for_height(&secret, "c", 7);
        assert_eq!(VoteExtension::decode(&e.encode()), Ok(Some(e)));
        let next = VoteExtension::for_height(&secret, "c", 8);
        assert_eq!(commitment(&next.reveal), e.commitment);
        assert_ne!(value(&secret, "c", 7), value(&secret, "d", 7));
        assert_ne!(value(&secret, "c", 7), value(&[8; 32], "c", 7));
    }

    #[test]
    fn shape_is_strict() {
        assert_eq!(VoteExtension::decode(&[]), Ok(None));
        assert!(VoteExtension::decode(&[1; 64]).is_err());
        assert!(VoteExtension::decode(&[1; 66]).is_err());
        let mut v2 = [0u8; EXTENSION_LEN];
        v2[0] = 2;
        assert!(VoteExtension::decode(&v2).is_err());
    }
}
