//! Messages that hold head workers to account (`bls.orchestration.v1`) and the exact bytes a
//! head signs.
//!
//! A head signs every answer it serves: a [`HeadStatement`] over the request id, the code hash,
//! the quorum result hash, sha256 of the outcome bytes it actually served, the chain state it
//! judged the quorum against (tip height, function version, subnetwork placement height) and
//! the worker signatures it presents, with its registered result key
//! ([`head_statement_digest`]). Secp256k1 ECDSA, 64-byte `r ‖ s`, low-S, over sha256 of the
//! digest (what `bls_client::KeyPair::sign` produces).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::fastpath::msgs::{SignedRequest, SignedResult};

/// Type URL of [`MsgReportHead`].
pub const MSG_REPORT_HEAD: &str = "/bls.orchestration.v1.MsgReportHead";
/// Type URL of [`MsgReportHeadResponse`].
pub const MSG_REPORT_HEAD_RESPONSE: &str = "/bls.orchestration.v1.MsgReportHeadResponse";
/// Type URL of [`MsgChallengeHead`].
pub const MSG_CHALLENGE_HEAD: &str = "/bls.orchestration.v1.MsgChallengeHead";
/// Type URL of [`MsgChallengeHeadResponse`].
pub const MSG_CHALLENGE_HEAD_RESPONSE: &str = "/bls.orchestration.v1.MsgChallengeHeadResponse";
/// Type URL of [`MsgAnswerChallenge`].
pub const MSG_ANSWER_CHALLENGE: &str = "/bls.orchestration.v1.MsgAnswerChallenge";
/// Type URL of [`MsgAnswerChallengeResponse`].
pub const MSG_ANSWER_CHALLENGE_RESPONSE: &str = "/bls.orchestration.v1.MsgAnswerChallengeResponse";

/// Every head-accountability message type URL.
pub const HEAD_MSG_TYPE_URLS: &[&str] =
    &[MSG_REPORT_HEAD, MSG_CHALLENGE_HEAD, MSG_ANSWER_CHALLENGE];

/// What a head worker signs for each answer it serves (`POST /api/v1/functions/execute` and
/// `/requests/result`).
#[derive(Clone, PartialEq, Eq, prost::Message, Serialize, Deserialize)]
pub struct HeadStatement {
    /// The head worker (its id, the operator address).
    #[prost(string, tag = "1")]
    pub head: String,
    /// Request id (32 bytes).
    #[prost(bytes = "vec", tag = "2")]
    pub request_id: Vec<u8>,
    /// Code hash the head says ran (32 bytes).
    #[prost(bytes = "vec", tag = "3")]
    pub code_hash: Vec<u8>,
    /// Quorum result hash the head claims (32 bytes).
    #[prost(bytes = "vec", tag = "4")]
    pub result_hash: Vec<u8>,
    /// sha256 of the outcome bytes the head served (32 bytes).
    #[prost(bytes = "vec", tag = "5")]
    pub outcome_hash: Vec<u8>,
    /// Chain height of the head's view when it served (at most the latest block).
    #[prost(uint64, tag = "6")]
    pub height: u64,
    /// `version` of the function record the head read (code, quorum).
    #[prost(uint64, tag = "7")]
    pub function_version: u64,
    /// `placed_height` of the subnetwork record the head read (0: none).
    #[prost(uint64, tag = "8")]
    pub subnetwork_height: u64,
    /// The worker signatures the head presents as the quorum, in the order served.
    #[prost(message, repeated, tag = "9")]
    pub signatures: Vec<SignedResult>,
    /// The head's signature over [`head_statement_digest`] with its registered result key.
    #[prost(bytes = "vec", tag = "10")]
    pub signature: Vec<u8>,
}

/// Proves a head lied in a signed answer (anyone may submit; the request's invoker is
/// refunded). The chain re-checks the statement against its state; a statement that proves
/// no lie is refused and changes nothing.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgReportHead {
    /// Reporter (signer; any account).
    #[prost(string, tag = "1")]
    pub reporter: String,
    /// The invoker-signed request the statement answers (its recomputed id must be the
    /// statement's).
    #[prost(message, optional, tag = "2")]
    pub request: Option<SignedRequest>,
    /// The head-signed statement.
    #[prost(message, optional, tag = "3")]
    pub statement: Option<HeadStatement>,
}

/// Response to [`MsgReportHead`].
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgReportHeadResponse {
    /// The proven lie ([`crate::fastpath::head::judge::Lie::kind`]).
    #[prost(string, tag = "1")]
    pub lie: String,
    /// Slashed from the head's bond (ubls, decimal).
    #[prost(string, tag = "2")]
    pub slashed: String,
    /// Paid back to the invoker from the head's bond (ubls, decimal; 0 when the request
    /// was not settled by this head or was refunded already).
    #[prost(string, tag = "3")]
    pub refunded: String,
}

/// The invoker of a settled request asks the settling head to publish the outcome it
/// charged for (escrowing `challenge_deposit`).
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgChallengeHead {
    /// The request's invoker (signer).
    #[prost(string, tag = "1")]
    pub invoker: String,
    /// Request id (32 bytes).
    #[prost(bytes = "vec", tag = "2")]
    pub request_id: Vec<u8>,
}

/// Response to [`MsgChallengeHead`].
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgChallengeHeadResponse {
    /// The challenged head.
    #[prost(string, tag = "1")]
    pub head: String,
    /// Last height at which the head may answer.
    #[prost(uint64, tag = "2")]
    pub deadline: u64,
}

/// The challenged head publishes the outcome whose sha256 is the result hash it settled.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgAnswerChallenge {
    /// The head (signer).
    #[prost(string, tag = "1")]
    pub head: String,
    /// Request id (32 bytes).
    #[prost(bytes = "vec", tag = "2")]
    pub request_id: Vec<u8>,
    /// Canonical outcome bytes.
    #[prost(bytes = "vec", tag = "3")]
    pub outcome: Vec<u8>,
}

/// Response to [`MsgAnswerChallenge`].
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgAnswerChallengeResponse {
    /// The deposit paid to the head (ubls, decimal).
    #[prost(string, tag = "1")]
    pub deposit: String,
}

const STATEMENT_DOMAIN: &[u8] = b"bls/fastpath/head-statement/v1";
const SIGNATURES_DOMAIN: &[u8] = b"bls/fastpath/head-signatures/v1";

fn put_len_prefixed(h: &mut Sha256, bytes: &[u8]) {
    h.update(u64::try_from(bytes.len()).unwrap_or(u64::MAX).to_be_bytes());
    h.update(bytes);
}

/// sha256 over the presented worker signatures: a domain tag, their count, then for each the
/// worker id, its result hash and its signature, each length-prefixed (unambiguous).
pub fn signatures_digest(signatures: &[SignedResult]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(SIGNATURES_DOMAIN);
    h.update(
        u64::try_from(signatures.len())
            .unwrap_or(u64::MAX)
            .to_be_bytes(),
    );
    for s in signatures {
        put_len_prefixed(&mut h, s.worker.as_bytes());
        put_len_prefixed(&mut h, &s.result_hash);
        put_len_prefixed(&mut h, &s.signature);
    }
    h.finalize().into()
}

/// What a head signs: sha256 over a domain tag, the head id, the request id, code hash,
/// result hash, outcome hash (each length-prefixed), the height, function version and
/// subnetwork height, and [`signatures_digest`]. The statement's own `signature` is not part
/// of it.
pub fn head_statement_digest(s: &HeadStatement) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(STATEMENT_DOMAIN);
    put_len_prefixed(&mut h, s.head.as_bytes());
    put_len_prefixed(&mut h, &s.request_id);
    put_len_prefixed(&mut h, &s.code_hash);
    put_len_prefixed(&mut h, &s.result_hash);
    put_len_prefixed(&mut h, &s.outcome_hash);
    h.update(s.height.to_be_bytes());
    h.update(s.function_version.to_be_bytes());
    h.update(s.subnetwork_height.to_be_bytes());
    h.update(signatures_digest(&s.signatures));
    h.finalize().into()
}

/// Checks the head's signature on `s` with the 33-byte compressed key `pubkey` (low-S only).
pub fn verify_head_statement(pubkey: &[u8], s: &HeadStatement) -> Result<(), String> {
    bls_auth::signature::verify_secp256k1(pubkey, &head_statement_digest(s), &s.signature)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement() -> HeadStatement {
        HeadStatement {
            head: "bls1head".into(),
            request_id: vec![1; 32],
            code_hash: vec![2; 32],
            result_hash: vec![3; 32],
            outcome_hash: vec![3; 32],
            height: 10,
            function_version: 1,
            subnetwork_height: 4,
            signatures: vec![SignedResult {
                worker: "bls1w".into(),
                result_hash: vec![3; 32],
                signature: vec![9; 64],
            }],
            signature: vec![],
        }
    }

    #[test]
    fn every_field_but_the_signature_is_bound() {
        let base = statement();
        let d = head_statement_digest(&base);
        let mut signed = base.clone();
        signed.signature = vec![7; 64];
        assert_eq!(head_statement_digest(&signed), d);
        type Edit = Box<dyn Fn(&mut HeadStatement)>;
        let edits: Vec<Edit> = vec![
            Box::new(|s| s.head.push('x')),
            Box::new(|s| s.request_id[0] ^= 1),
            Box::new(|s| s.code_hash[0] ^= 1),
            Box::new(|s| s.result_hash[0] ^= 1),
            Box::new(|s| s.outcome_hash[0] ^= 1),
            Box::new(|s| s.height += 1),
            Box::new(|s| s.function_version += 1),
            Box::new(|s| s.subnetwork_height += 1),
            Box::new(|s| s.signatures[0].worker.push('x')),
            Box::new(|s| s.signatures[0].result_hash[0] ^= 1),
            Box::new(|s| s.signatures[0].signature[0] ^= 1),
            Box::new(|s| s.signatures.push(s.signatures[0].clone())),
            Box::new(|s| s.signatures.clear()),
        ];
        for (i, edit) in edits.iter().enumerate() {
            let mut s = base.clone();
            edit(&mut s);
            assert_ne!(head_statement_digest(&s), d, "edit {i} is not bound");
        }
    }

    #[test]
    fn length_prefixes_keep_fields_apart() {
        let mut a = statement();
        a.head = "ab".into();
        a.request_id = vec![1; 31];
        let mut b = a.clone();
        b.head = "a".into();
        b.request_id = [vec![b'b'], vec![1; 31]].concat();
        assert_ne!(head_statement_digest(&a), head_statement_digest(&b));
    }
}
