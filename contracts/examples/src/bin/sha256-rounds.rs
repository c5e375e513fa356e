//! `sha256-rounds N`: CPU-bound. Hashes the input with SHA-256, then hashes the digest
//! again until N rounds are done (N from the first arg, default 1), and prints the
//! final digest in hex. Exit code 2 on a bad N.
use sha2::{Digest, Sha256};

fn main() {
    let rounds: u64 = match bls_sdk::args().first().map(|a| a.parse()) {
        None => 1,
        Some(Ok(n)) => n,
        Some(Err(_)) => {
            bls_sdk::log("usage: sha256-rounds N (N a non-negative integer)");
            std::process::exit(2);
        }
    };
    let input = bls_sdk::input().unwrap_or_default();
    let mut digest: [u8; 32] = Sha256::digest(&input).into();
    for _ in 1..rounds {
        digest = Sha256::digest(digest).into();
    }
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    let _ = bls_sdk::output(format!("{hex}\n").as_bytes());
}
