//! Verification of the store's ics23 proofs (for tests and light clients of this chain).

use ics23::{CommitmentProof, HostFunctionsManager};

/// The ics23 proof spec of the store's Jellyfish Merkle Tree.
pub fn proof_spec() -> ics23::ProofSpec {
    jmt::ics23_spec()
}

/// True when `proof` shows `key` = `value` (`Some`) or `key` absent (`None`) under `app_hash`.
pub fn verify_proof(
    app_hash: &[u8],
    key: &[u8],
    value: Option<&[u8]>,
    proof: &CommitmentProof,
) -> bool {
    let spec = proof_spec();
    let root = app_hash.to_vec();
    match value {
        Some(value) => {
            ics23::verify_membership::<HostFunctionsManager>(proof, &spec, &root, key, value)
        }
        None => ics23::verify_non_membership::<HostFunctionsManager>(proof, &spec, &root, key),
    }
}
