//! Messages of the fast path (`bls.orchestration.v1`) and the exact bytes that get signed.
//!
//! Two digests are signed off-chain and verified on chain:
//! - the **request id**, signed by the invoker's account key: [`request_id`] (what it binds
//!   and how it is checked: [`super::request`]);
//! - the **result digest**, signed by each worker's result key valid for the request:
//!   [`result_digest`] over (request id, code hash, result hash).
//!
//! Signatures are secp256k1 ECDSA, 64-byte `r ‖ s`, low-S, over sha256 of the digest bytes
//! (what `bls_client::KeyPair::sign` produces and `bls_auth::signature` verifies).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use super::request::{payload_hash, payload_hash_sealed, request_id, RequestTerms};
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
/// after the `fastpath_withdraw_delay` param); the same message sent at or after the
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
/// `payload_hash` ([`payload_hash`]) binds them. Everything that determines the outcome —
/// code, input, args, env, clock (and the seed, which is the request id) — is in the signed
/// id, so no relay can change it ([`super::request`]).
#[derive(Clone, PartialEq, Eq, prost::Message, Serialize, Deserialize)]
pub struct SignedRequest {
    /// Invoker address; pays from its deposit.
    #[prost(string, tag = "1")]
    pub invoker: String,
    /// The invoker's public key (must derive `invoker`): 33 bytes compressed secp256k1
    /// (Cosmos or Ethereum, by `sign_scheme`) or 32 bytes ed25519 (Aptos).
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
    /// Invoker's signature of [`request_id`], as `sign_scheme` says.
    #[prost(bytes = "vec", tag = "7")]
    pub signature: Vec<u8>,
    /// sha256 of the code the invoker asks to run (32 bytes; must be the function's code).
    #[prost(bytes = "vec", tag = "8")]
    pub code_hash: Vec<u8>,
    /// Last height at which the request may be served (heads and workers refuse it outside
    /// `tip ≤ expiry_height ≤ tip + fastpath_request_ttl`).
    #[prost(uint64, tag = "9")]
    pub expiry_height: u64,
    /// The guest's clock, seconds since the Unix epoch (clients use the latest block time).
    #[prost(uint64, tag = "10")]
    pub time_secs: u64,
    /// Nanoseconds part of the guest's clock (0..=999 999 999).
    #[prost(uint32, tag = "11")]
    pub time_nanos: u32,
    /// How the invoker signed the id ([`RequestSignScheme`]; not bound by the id, which the
    /// signature covers whatever the scheme).
    #[prost(enumeration = "RequestSignScheme", tag = "12")]
    #[serde(default)]
    pub sign_scheme: i32,
}

/// How an invoker signs a request id ([`super::request`] checks each).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    prost::Enumeration,
    Serialize,
    Deserialize,
)]
#[repr(i32)]
pub enum RequestSignScheme {
    /// 64-byte secp256k1 signature over sha256 of the id, Cosmos key (CLI, SDKs).
    Direct = 0,
    /// Keplr `signArbitrary` (ADR-036) of the request text, Cosmos key.
    Adr036 = 1,
    /// MetaMask `personal_sign` (EIP-191) of the request text, Ethereum key.
    PersonalSign = 2,
    /// Aptos `signMessage` envelope of the request text (nonce: the request nonce), ed25519.
    Aptos = 3,
}

impl RequestSignScheme {
    /// The name the head API takes (`direct`, `adr036`, `personal_sign`, `aptos`).
    pub fn name(self) -> &'static str {
        match self {
            RequestSignScheme::Direct => "direct",
            RequestSignScheme::Adr036 => "adr036",
            RequestSignScheme::PersonalSign => "personal_sign",
            RequestSignScheme::Aptos => "aptos",
        }
    }

    /// The scheme called `name` (an empty name is [`RequestSignScheme::Direct`]).
    pub fn from_name(name: &str) -> Option<RequestSignScheme> {
        [
            RequestSignScheme::Direct,
            RequestSignScheme::Adr036,
            RequestSignScheme::PersonalSign,
            RequestSignScheme::Aptos,
        ]
        .into_iter()
        .find(|s| s.name() == name || (name.is_empty() && *s == RequestSignScheme::Direct))
    }
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
    /// sha256 of the code that ran (must be the request's code hash and the function's
    /// current code).
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

/// The canonical outcome bytes behind a result hash (`sha256(outcome) == result_hash`).
#[derive(Clone, PartialEq, Eq, prost::Message, Serialize, Deserialize)]
pub struct ResultOutcome {
    /// The result hash (32 bytes).
    #[prost(bytes = "vec", tag = "1")]
    pub result_hash: Vec<u8>,
    /// `Outcome::canonical_bytes()` whose sha256 is `result_hash`.
    #[prost(bytes = "vec", tag = "2")]
    pub outcome: Vec<u8>,
}

/// Evidence of conflicting signed results for one invoker-signed request (anyone may
/// submit). The chain recomputes the request id from `request` and checks the invoker's
/// signature; the function and code hash come from the request. Dissent is judged with the
/// outcome bytes of the majority's and the dissenter's hashes (`outcomes`). The rule:
/// [`super::evidence`].
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgSubmitEvidence {
    /// Submitter (signer; any account).
    #[prost(string, tag = "1")]
    pub submitter: String,
    /// Signed results.
    #[prost(message, repeated, tag = "5")]
    pub results: Vec<SignedResult>,
    /// The request as the invoker signed it.
    #[prost(message, optional, tag = "6")]
    pub request: Option<SignedRequest>,
    /// Outcome bytes of the majority hash and of each dissenting hash to be judged.
    #[prost(message, repeated, tag = "7")]
    pub outcomes: Vec<ResultOutcome>,
}

/// Response to [`MsgSubmitEvidence`].
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgSubmitEvidenceResponse {
    /// Workers slashed and jailed.
    #[prost(string, repeated, tag = "1")]
    pub slashed: Vec<String>,
    /// Workers given a liveness miss (their dissent depends on their machine: a timeout).
    #[prost(string, repeated, tag = "2")]
    pub missed: Vec<String>,
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

const RESULT_DOMAIN: &[u8] = b"bls/fastpath/result/v1";

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
