//! Messages of the fast path (`bls.orchestration.v1`) and the exact bytes that get signed.
//!
//! Two digests are signed off-chain and verified on chain:
//! - the **request id**, signed by the invoker's account key: [`request_id`];
//! - the **result digest**, signed by each worker's registered result key:
//!   [`result_digest`] over (request id, code hash, result hash).
//!
//! Signatures are secp256k1 ECDSA, 64-byte `r ‖ s`, low-S, over sha256 of the digest bytes
//! (what `bls_client::KeyPair::sign` produces and `bls_auth::signature` verifies).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use bls_registry::msgs::ProtoCoin;

/// Type URL of [`MsgFastPathDeposit`].
pub const MSG_FASTPATH_DEPOSIT: &str = "/bls.orchestration.v1.MsgFastPathDeposit";
/// Type URL of [`MsgFastPathDepositResponse`].
pub const MSG_FASTPATH_DEPOSIT_RESPONSE: &str = "/bls.orchestration.v1.MsgFastPathDepositResponse";
/// Type URL of [`MsgFastPathWithdraw`].
pub const MSG_FASTPATH_WITHDRAW: &str = "/bls.orchestration.v1.MsgFastPathWithdraw";
/// Type URL of [`MsgFastPathWithdrawResponse`].
pub const MSG_FASTPATH_WITHDRAW_RESPONSE: &str =
    "/bls.orchestration.v1.MsgFastPathWithdrawResponse";
/// Type URL of [`MsgSettleReceipts`].
pub const MSG_SETTLE_RECEIPTS: &str = "/bls.orchestration.v1.MsgSettleReceipts";
/// Type URL of [`MsgSettleReceiptsResponse`].
pub const MSG_SETTLE_RECEIPTS_RESPONSE: &str = "/bls.orchestration.v1.MsgSettleReceiptsResponse";
/// Type URL of [`MsgSubmitEvidence`].
pub const MSG_SUBMIT_EVIDENCE: &str = "/bls.orchestration.v1.MsgSubmitEvidence";
/// Type URL of [`MsgSubmitEvidenceResponse`].
pub const MSG_SUBMIT_EVIDENCE_RESPONSE: &str = "/bls.orchestration.v1.MsgSubmitEvidenceResponse";
/// Type URL of [`MsgSetPinnedHeads`].
pub const MSG_SET_PINNED_HEADS: &str = "/bls.orchestration.v1.MsgSetPinnedHeads";
/// Type URL of [`MsgSetPinnedHeadsResponse`].
pub const MSG_SET_PINNED_HEADS_RESPONSE: &str = "/bls.orchestration.v1.MsgSetPinnedHeadsResponse";

/// Every fast-path message type URL.
pub const FASTPATH_MSG_TYPE_URLS: &[&str] = &[
    MSG_FASTPATH_DEPOSIT,
    MSG_FASTPATH_WITHDRAW,
    MSG_SETTLE_RECEIPTS,
    MSG_SUBMIT_EVIDENCE,
    MSG_SET_PINNED_HEADS,
];

/// Moves `amount` from the invoker's balance into its prepaid fast-path deposit.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgFastPathDeposit {
    /// Invoker (signer).
    #[prost(string, tag = "1")]
    pub invoker: String,
    /// Amount (ubls).
    #[prost(message, optional, tag = "2")]
    pub amount: Option<ProtoCoin>,
}

/// Response to [`MsgFastPathDeposit`].
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgFastPathDepositResponse {
    /// The deposit afterwards (ubls, decimal).
    #[prost(string, tag = "1")]
    pub deposit: String,
}

/// Withdraws from the deposit in two steps: the first message requests `amount` (released
/// after [`super::state::WITHDRAW_DELAY_BLOCKS`]); the same message sent at or after the
/// release height pays out (at most what is left of the deposit). `amount` is ignored on
/// completion.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgFastPathWithdraw {
    /// Invoker (signer).
    #[prost(string, tag = "1")]
    pub invoker: String,
    /// Amount (ubls).
    #[prost(message, optional, tag = "2")]
    pub amount: Option<ProtoCoin>,
}

/// Response to [`MsgFastPathWithdraw`].
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgFastPathWithdrawResponse {
    /// The deposit afterwards (ubls, decimal).
    #[prost(string, tag = "1")]
    pub deposit: String,
    /// Paid out now (0 when the withdrawal was only requested).
    #[prost(string, tag = "2")]
    pub withdrawn: String,
    /// When a request: the height from which it can be completed.
    #[prost(uint64, tag = "3")]
    pub release_height: u64,
}

/// A fast-path request as the invoker signed it. The input and args are not on chain: only
/// `payload_hash` ([`payload_hash`]) binds them.
#[derive(Clone, PartialEq, Eq, prost::Message, Serialize, Deserialize)]
pub struct SignedRequest {
    /// Invoker address; pays from its deposit.
    #[prost(string, tag = "1")]
    pub invoker: String,
    /// The invoker's secp256k1 public key, 33 bytes compressed (must derive `invoker`).
    #[prost(bytes = "vec", tag = "2")]
    pub invoker_pubkey: Vec<u8>,
    /// Function id.
    #[prost(uint64, tag = "3")]
    pub function_id: u64,
    /// Invoker-chosen nonce; makes the request id unique.
    #[prost(uint64, tag = "4")]
    pub nonce: u64,
    /// Most the invoker agrees to pay for this request (ubls).
    #[prost(message, optional, tag = "5")]
    pub max_fee: Option<ProtoCoin>,
    /// sha256 of the input and args ([`payload_hash`]).
    #[prost(bytes = "vec", tag = "6")]
    pub payload_hash: Vec<u8>,
    /// Invoker's signature over [`request_id`].
    #[prost(bytes = "vec", tag = "7")]
    pub signature: Vec<u8>,
}

/// One worker's signature over [`result_digest`].
#[derive(Clone, PartialEq, Eq, prost::Message, Serialize, Deserialize)]
pub struct WorkerSignature {
    /// Worker id (operator address).
    #[prost(string, tag = "1")]
    pub worker: String,
    /// Signature with the worker's registered result key.
    #[prost(bytes = "vec", tag = "2")]
    pub signature: Vec<u8>,
}

/// What a head settles for one served request.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct Receipt {
    /// The invoker-signed request.
    #[prost(message, optional, tag = "1")]
    pub request: Option<SignedRequest>,
    /// sha256 of the code that ran (must be the function's current code).
    #[prost(bytes = "vec", tag = "2")]
    pub code_hash: Vec<u8>,
    /// sha256 of the canonical outcome.
    #[prost(bytes = "vec", tag = "3")]
    pub result_hash: Vec<u8>,
    /// Signatures of the agreeing workers (at least the function's quorum).
    #[prost(message, repeated, tag = "4")]
    pub signatures: Vec<WorkerSignature>,
}

/// A head settles a batch of receipts: every one is verified, charged and paid, or the
/// whole message fails.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgSettleReceipts {
    /// Head worker (signer).
    #[prost(string, tag = "1")]
    pub head: String,
    /// Receipts.
    #[prost(message, repeated, tag = "2")]
    pub receipts: Vec<Receipt>,
}

/// Response to [`MsgSettleReceipts`].
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgSettleReceiptsResponse {
    /// Receipts settled.
    #[prost(uint32, tag = "1")]
    pub settled: u32,
    /// Total charged from deposits (ubls, decimal).
    #[prost(string, tag = "2")]
    pub charged: String,
}

/// A worker's signed result for one request.
#[derive(Clone, PartialEq, Eq, prost::Message, Serialize, Deserialize)]
pub struct SignedResult {
    /// Worker id.
    #[prost(string, tag = "1")]
    pub worker: String,
    /// The result hash it signed.
    #[prost(bytes = "vec", tag = "2")]
    pub result_hash: Vec<u8>,
    /// Its signature over [`result_digest`].
    #[prost(bytes = "vec", tag = "3")]
    pub signature: Vec<u8>,
}

/// Evidence of conflicting signed results for the same request and code (anyone may
/// submit). See [`crate::fastpath`] for the rule.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgSubmitEvidence {
    /// Submitter (signer; any account).
    #[prost(string, tag = "1")]
    pub submitter: String,
    /// Function id (its quorum decides the majority).
    #[prost(uint64, tag = "2")]
    pub function_id: u64,
    /// Request id (32 bytes).
    #[prost(bytes = "vec", tag = "3")]
    pub request_id: Vec<u8>,
    /// Code hash (32 bytes).
    #[prost(bytes = "vec", tag = "4")]
    pub code_hash: Vec<u8>,
    /// Signed results.
    #[prost(message, repeated, tag = "5")]
    pub results: Vec<SignedResult>,
}

/// Response to [`MsgSubmitEvidence`].
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgSubmitEvidenceResponse {
    /// Workers slashed.
    #[prost(string, repeated, tag = "1")]
    pub slashed: Vec<String>,
}

/// Pins the head workers allowed to settle fast-path receipts of a function (owner only);
/// an empty list lets any registered head settle.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgSetPinnedHeads {
    /// Owner (signer).
    #[prost(string, tag = "1")]
    pub owner: String,
    /// Function id.
    #[prost(uint64, tag = "2")]
    pub function_id: u64,
    /// Head worker ids.
    #[prost(string, repeated, tag = "3")]
    pub heads: Vec<String>,
}

/// Response to [`MsgSetPinnedHeads`].
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgSetPinnedHeadsResponse {}

const REQUEST_DOMAIN: &[u8] = b"bls/fastpath/request/v1";
const RESULT_DOMAIN: &[u8] = b"bls/fastpath/result/v1";

fn put_len_prefixed(h: &mut Sha256, bytes: &[u8]) {
    h.update(u64::try_from(bytes.len()).unwrap_or(u64::MAX).to_be_bytes());
    h.update(bytes);
}

/// sha256 over the input, the args and the request's extra environment variables, each
/// length-prefixed (unambiguous). The environment is hashed in key order and only when it
/// is not empty, so a request without one hashes exactly as input and args alone.
pub fn payload_hash(input: &[u8], args: &[String], env: &BTreeMap<String, String>) -> [u8; 32] {
    let mut h = Sha256::new();
    put_len_prefixed(&mut h, input);
    h.update(u64::try_from(args.len()).unwrap_or(u64::MAX).to_be_bytes());
    for a in args {
        put_len_prefixed(&mut h, a.as_bytes());
    }
    if !env.is_empty() {
        h.update(u64::try_from(env.len()).unwrap_or(u64::MAX).to_be_bytes());
        for (k, v) in env {
            put_len_prefixed(&mut h, k.as_bytes());
            put_len_prefixed(&mut h, v.as_bytes());
        }
    }
    h.finalize().into()
}

/// The request id the invoker signs: sha256 over a domain tag, the chain id, invoker,
/// function id, nonce, max fee and payload hash. Binding the chain id stops cross-chain
/// replay; the nonce makes every request distinct.
pub fn request_id(
    chain_id: &str,
    invoker: &str,
    function_id: u64,
    nonce: u64,
    max_fee: u128,
    payload_hash: &[u8],
) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(REQUEST_DOMAIN);
    put_len_prefixed(&mut h, chain_id.as_bytes());
    put_len_prefixed(&mut h, invoker.as_bytes());
    h.update(function_id.to_be_bytes());
    h.update(nonce.to_be_bytes());
    h.update(max_fee.to_be_bytes());
    put_len_prefixed(&mut h, payload_hash);
    h.finalize().into()
}

/// What a worker signs for a result: sha256(domain ‖ request id ‖ code hash ‖ result hash).
pub fn result_digest(
    request_id: &[u8; 32],
    code_hash: &[u8; 32],
    result_hash: &[u8; 32],
) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(RESULT_DOMAIN);
    h.update(request_id);
    h.update(code_hash);
    h.update(result_hash);
    h.finalize().into()
}

/// Checks a worker's result signature: `signature` by the 33-byte compressed key
/// `pubkey` over [`result_digest`] (low-S only).
pub fn verify_result_signature(
    pubkey: &[u8],
    request_id: &[u8; 32],
    code_hash: &[u8; 32],
    result_hash: &[u8; 32],
    signature: &[u8],
) -> Result<(), String> {
    bls_auth::signature::verify_secp256k1(
        pubkey,
        &result_digest(request_id, code_hash, result_hash),
        signature,
    )
    .map_err(|e| e.to_string())
}
