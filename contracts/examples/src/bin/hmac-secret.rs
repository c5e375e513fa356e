//! `hmac-secret`: prints the hex HMAC-SHA256 of its input under the secret `HMAC_KEY` (a sealed
//! secret: `bls function secrets set ID HMAC_KEY=...`). Without the secret it exits 2 and says
//! so on stderr. It never prints the key.
use sha2::{Digest, Sha256};

const BLOCK: usize = 64;

/// HMAC-SHA256 (RFC 2104).
fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| k.map(|b| b ^ byte);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

fn main() {
    let Ok(key) = std::env::var("HMAC_KEY") else {
        bls_sdk::log("HMAC_KEY is not set: set it with `bls function secrets set ID HMAC_KEY=...`");
        std::process::exit(2);
    };
    let input = bls_sdk::input().unwrap_or_default();
    let mac = hmac_sha256(key.as_bytes(), &input);
    let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
    let _ = bls_sdk::output(hex.as_bytes());
}
