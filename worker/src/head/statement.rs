//! The statement a head signs for every answer it serves
//! (`bls_orchestration::fastpath::head::msgs::HeadStatement`): what makes a lie in an answer
//! provable on chain.

use bls_client::head_api::WorkerSig;
use bls_client::KeyPair;
use bls_orchestration::fastpath::head::msgs::{head_statement_digest, HeadStatement};
use bls_orchestration::fastpath::msgs::SignedResult;
use sha2::{Digest, Sha256};

/// What an answer claims.
#[derive(Debug, Clone)]
pub struct Answer<'a> {
    /// Request id.
    pub request_id: [u8; 32],
    /// Code that ran.
    pub code_hash: [u8; 32],
    /// Quorum result hash.
    pub result_hash: [u8; 32],
    /// The outcome bytes served.
    pub served: &'a [u8],
    /// Chain height of the head's view.
    pub height: u64,
    /// Version of the function record read.
    pub function_version: u64,
    /// Placement height of the subnetwork read.
    pub subnetwork_height: u64,
    /// The quorum signatures presented.
    pub signatures: &'a [WorkerSig],
}

/// The statement of `a` by head `key`, signed with it (the head's registered result key).
/// Fails only on a presented signature that is not hex (the head decoded them itself).
pub fn sign(key: &KeyPair, a: &Answer<'_>) -> Result<HeadStatement, String> {
    let mut signatures = Vec::with_capacity(a.signatures.len());
    for s in a.signatures {
        signatures.push(SignedResult {
            worker: s.worker.clone(),
            result_hash: hex::decode(&s.result_hash).map_err(|e| format!("result hash: {e}"))?,
            signature: hex::decode(&s.signature).map_err(|e| format!("signature: {e}"))?,
        });
    }
    let mut st = HeadStatement {
        head: key.address().to_string(),
        request_id: a.request_id.to_vec(),
        code_hash: a.code_hash.to_vec(),
        result_hash: a.result_hash.to_vec(),
        outcome_hash: Sha256::digest(a.served).to_vec(),
        height: a.height,
        function_version: a.function_version,
        subnetwork_height: a.subnetwork_height,
        signatures,
        signature: Vec::new(),
    };
    st.signature = key.sign(&head_statement_digest(&st)).to_vec();
    Ok(st)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bls_orchestration::fastpath::head::msgs::verify_head_statement;

    #[test]
    fn the_statement_verifies_with_the_head_key_and_binds_what_was_served() {
        let (key, _) = KeyPair::generate().unwrap();
        let sigs = vec![WorkerSig {
            worker: "bls1w".into(),
            result_hash: hex::encode([3u8; 32]),
            signature: hex::encode([4u8; 64]),
        }];
        let a = Answer {
            request_id: [1; 32],
            code_hash: [2; 32],
            result_hash: [3; 32],
            served: b"outcome",
            height: 9,
            function_version: 1,
            subnetwork_height: 4,
            signatures: &sigs,
        };
        let st = sign(&key, &a).unwrap();
        verify_head_statement(&key.public_key_bytes(), &st).unwrap();
        assert_eq!(st.outcome_hash, Sha256::digest(b"outcome").to_vec());
        assert_eq!(st.head, key.address().to_string());
        let mut other = st.clone();
        other.outcome_hash = Sha256::digest(b"tampered").to_vec();
        assert!(verify_head_statement(&key.public_key_bytes(), &other).is_err());
    }
}
