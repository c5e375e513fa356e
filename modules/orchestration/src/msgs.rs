//! Protobuf messages of `bls.orchestration.v1` (hand-written prost structs; serde for CLI JSON).

use bls_core::Address;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use bls_registry::msgs::ProtoCoin;

/// Type URL of [`MsgDeployFunction`].
pub const MSG_DEPLOY_FUNCTION: &str = "/bls.orchestration.v1.MsgDeployFunction";
/// Type URL of [`MsgDeployFunctionResponse`].
pub const MSG_DEPLOY_FUNCTION_RESPONSE: &str = "/bls.orchestration.v1.MsgDeployFunctionResponse";
/// Type URL of [`MsgUpdateFunction`].
pub const MSG_UPDATE_FUNCTION: &str = "/bls.orchestration.v1.MsgUpdateFunction";
/// Type URL of [`MsgUpdateFunctionResponse`].
pub const MSG_UPDATE_FUNCTION_RESPONSE: &str = "/bls.orchestration.v1.MsgUpdateFunctionResponse";
/// Type URL of [`MsgRetireFunction`].
pub const MSG_RETIRE_FUNCTION: &str = "/bls.orchestration.v1.MsgRetireFunction";
/// Type URL of [`MsgRetireFunctionResponse`].
pub const MSG_RETIRE_FUNCTION_RESPONSE: &str = "/bls.orchestration.v1.MsgRetireFunctionResponse";
/// Type URL of [`MsgInvoke`].
pub const MSG_INVOKE: &str = "/bls.orchestration.v1.MsgInvoke";
/// Type URL of [`MsgInvokeResponse`].
pub const MSG_INVOKE_RESPONSE: &str = "/bls.orchestration.v1.MsgInvokeResponse";
/// Type URL of [`MsgCommitResult`].
pub const MSG_COMMIT_RESULT: &str = "/bls.orchestration.v1.MsgCommitResult";
/// Type URL of [`MsgCommitResultResponse`].
pub const MSG_COMMIT_RESULT_RESPONSE: &str = "/bls.orchestration.v1.MsgCommitResultResponse";
/// Type URL of [`MsgRevealResult`].
pub const MSG_REVEAL_RESULT: &str = "/bls.orchestration.v1.MsgRevealResult";
/// Type URL of [`MsgRevealResultResponse`].
pub const MSG_REVEAL_RESULT_RESPONSE: &str = "/bls.orchestration.v1.MsgRevealResultResponse";
/// Type URL of [`MsgDeclineJob`].
pub const MSG_DECLINE_JOB: &str = "/bls.orchestration.v1.MsgDeclineJob";
/// Type URL of [`MsgDeclineJobResponse`].
pub const MSG_DECLINE_JOB_RESPONSE: &str = "/bls.orchestration.v1.MsgDeclineJobResponse";

/// Every message type URL orchestration handles.
pub const MSG_TYPE_URLS: &[&str] = &[
    MSG_DEPLOY_FUNCTION,
    MSG_UPDATE_FUNCTION,
    MSG_RETIRE_FUNCTION,
    MSG_INVOKE,
    MSG_COMMIT_RESULT,
    MSG_REVEAL_RESULT,
    MSG_DECLINE_JOB,
];

/// Deploys a function: inline WASM (gzip or raw), **or** the sha256 of code already stored on
/// chain, **or** the sha256 and size of code on IPFS with its `ipfs://CID` source URIs; and a
/// JSON manifest. Replication `n` workers, quorum `m` identical results (`m > n/2`).
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgDeployFunction {
    /// Owner (signer).
    #[prost(string, tag = "1")]
    pub owner: String,
    /// The WASM module, gzip-compressed (`1f 8b`) or raw (`\0asm`). Empty when `code_hash`
    /// names stored code or code on IPFS.
    #[prost(bytes = "vec", tag = "2")]
    pub wasm: Vec<u8>,
    /// sha256 of the raw (decompressed) WASM. Optional with inline code (then it must match).
    #[prost(bytes = "vec", tag = "3")]
    pub code_hash: Vec<u8>,
    /// Where workers fetch code that is not on chain: `ipfs://CID` URIs (the only scheme
    /// workers fetch; with inline code they are recorded for reference).
    #[prost(string, repeated, tag = "4")]
    pub source_uris: Vec<String>,
    /// Manifest JSON: entry, args, env, permissions {http, filesystem}, limits {timeout_ms,
    /// memory_bytes, fuel, output_bytes} (the worker runtime's manifest format).
    #[prost(string, tag = "5")]
    pub manifest_json: String,
    /// Replication `n`.
    #[prost(uint32, tag = "6")]
    pub replication: u32,
    /// Quorum `m`.
    #[prost(uint32, tag = "7")]
    pub quorum: u32,
    /// Size of the raw WASM on IPFS, bytes (code not on chain only; at most the
    /// `max_remote_wasm_bytes` param).
    #[prost(uint64, tag = "8")]
    pub code_size: u64,
}

/// Response to [`MsgDeployFunction`].
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgDeployFunctionResponse {
    /// The new function's id.
    #[prost(uint64, tag = "1")]
    pub function_id: u64,
    /// Hex sha256 of the code.
    #[prost(string, tag = "2")]
    pub code_hash: String,
}

/// Replaces a function's code and/or manifest (owner only). Empty code fields keep the code,
/// an empty manifest keeps the manifest, zero `replication`/`quorum` keep them.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgUpdateFunction {
    /// Owner (signer).
    #[prost(string, tag = "1")]
    pub owner: String,
    /// Function id.
    #[prost(uint64, tag = "2")]
    pub function_id: u64,
    /// New inline WASM (gzip or raw), or empty.
    #[prost(bytes = "vec", tag = "3")]
    pub wasm: Vec<u8>,
    /// New code hash, or empty.
    #[prost(bytes = "vec", tag = "4")]
    pub code_hash: Vec<u8>,
    /// New source URIs (`ipfs://CID`; with `code_hash`).
    #[prost(string, repeated, tag = "5")]
    pub source_uris: Vec<String>,
    /// New manifest JSON, or empty.
    #[prost(string, tag = "6")]
    pub manifest_json: String,
    /// New replication, or 0.
    #[prost(uint32, tag = "7")]
    pub replication: u32,
    /// New quorum, or 0.
    #[prost(uint32, tag = "8")]
    pub quorum: u32,
    /// Size of new code on IPFS, bytes (as in [`MsgDeployFunction::code_size`]).
    #[prost(uint64, tag = "9")]
    pub code_size: u64,
}

/// Response to [`MsgUpdateFunction`].
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgUpdateFunctionResponse {
    /// The function's version after the update.
    #[prost(uint64, tag = "1")]
    pub version: u64,
    /// Hex sha256 of the (possibly unchanged) code.
    #[prost(string, tag = "2")]
    pub code_hash: String,
}

/// Retires a function (owner only): no new invocations; open jobs run to completion.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgRetireFunction {
    /// Owner (signer).
    #[prost(string, tag = "1")]
    pub owner: String,
    /// Function id.
    #[prost(uint64, tag = "2")]
    pub function_id: u64,
}

/// Response to [`MsgRetireFunction`].
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgRetireFunctionResponse {}

/// Invokes a function: `max_fee` (ubls) is escrowed and the job is queued; the next block's
/// begin block assigns it to `n` workers with that block's randomness (`bls.job_assigned`).
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgInvoke {
    /// Invoker (signer), pays the fee and receives the refund.
    #[prost(string, tag = "1")]
    pub invoker: String,
    /// Function id.
    #[prost(uint64, tag = "2")]
    pub function_id: u64,
    /// Input, given to the guest as stdin.
    #[prost(bytes = "vec", tag = "3")]
    pub input: Vec<u8>,
    /// Args appended after the manifest's args.
    #[prost(string, repeated, tag = "4")]
    pub args: Vec<String>,
    /// Most the invoker pays (ubls): at least the worst-case fee plus a listed function's
    /// price.
    #[prost(message, optional, tag = "5")]
    pub max_fee: Option<ProtoCoin>,
    /// The function version the invoker tested with (refused once the function runs another);
    /// 0 follows the latest.
    #[prost(uint64, tag = "6")]
    pub version: u64,
}

/// Response to [`MsgInvoke`].
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgInvokeResponse {
    /// The job id.
    #[prost(uint64, tag = "1")]
    pub job_id: u64,
    /// Always empty: workers are assigned in the next block (read its `bls.job_assigned`
    /// event or the `Job` query). Kept so older clients still decode the response.
    #[prost(string, repeated, tag = "2")]
    pub workers: Vec<String>,
}

/// Commits to a result: `commitment = sha256(result_hash ‖ salt ‖ worker address bytes)`
/// (see [`commitment`]).
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgCommitResult {
    /// Assigned worker (signer).
    #[prost(string, tag = "1")]
    pub worker: String,
    /// Job id.
    #[prost(uint64, tag = "2")]
    pub job_id: u64,
    /// 32-byte commitment.
    #[prost(bytes = "vec", tag = "3")]
    pub commitment: Vec<u8>,
}

/// Response to [`MsgCommitResult`].
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgCommitResultResponse {
    /// True when this commit closed the commit phase (reveals may start).
    #[prost(bool, tag = "1")]
    pub reveals_open: bool,
}

/// Reveals the committed result: the canonical outcome encoding and the salt.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgRevealResult {
    /// Assigned worker (signer).
    #[prost(string, tag = "1")]
    pub worker: String,
    /// Job id.
    #[prost(uint64, tag = "2")]
    pub job_id: u64,
    /// `bls_core::outcome::Outcome::canonical_bytes()`.
    #[prost(bytes = "vec", tag = "3")]
    pub outcome: Vec<u8>,
    /// The salt used in the commitment (8..=64 bytes).
    #[prost(bytes = "vec", tag = "4")]
    pub salt: Vec<u8>,
}

/// Response to [`MsgRevealResult`].
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgRevealResultResponse {
    /// True when this reveal finalized the job.
    #[prost(bool, tag = "1")]
    pub finalized: bool,
}

/// Why a worker declines a job slot ([`MsgDeclineJob`]).
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
pub enum DeclineReason {
    /// Not a reason (refused).
    Unspecified = 0,
    /// The code is not on chain and neither IPFS nor any peer gave it in time.
    CodeUnavailable = 1,
    /// A source gave bytes whose sha256 is not the chain's code hash (refused, never run).
    CodeMismatch = 2,
    /// The fetched bytes hash right but do not compile, or lack the manifest's entry.
    CodeInvalid = 3,
}

impl DeclineReason {
    /// The event and log name (`code_unavailable`, ...).
    pub fn name(self) -> &'static str {
        match self {
            DeclineReason::Unspecified => "unspecified",
            DeclineReason::CodeUnavailable => "code_unavailable",
            DeclineReason::CodeMismatch => "code_mismatch",
            DeclineReason::CodeInvalid => "code_invalid",
        }
    }
}

/// An assigned worker declines its slot of a job whose code is not on chain and that it could
/// not obtain or run (unreachable CID, content that does not match the hash, invalid module).
/// The slot is neither missed, paid nor slashed; when every slot has committed or declined the
/// commit phase closes at once (reveals with a quorum; otherwise the job is reassigned to other
/// workers or refunded). Refused for code stored on chain: any worker can read it there.
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgDeclineJob {
    /// Assigned worker (signer).
    #[prost(string, tag = "1")]
    pub worker: String,
    /// Job id.
    #[prost(uint64, tag = "2")]
    pub job_id: u64,
    /// Why ([`DeclineReason`]).
    #[prost(enumeration = "DeclineReason", tag = "3")]
    pub reason: i32,
    /// What failed, for operators (at most 256 bytes): the source and its error.
    #[prost(string, tag = "4")]
    pub detail: String,
}

/// Response to [`MsgDeclineJob`].
#[derive(Clone, PartialEq, prost::Message, Serialize, Deserialize)]
pub struct MsgDeclineJobResponse {
    /// True when this decline closed the commit phase.
    #[prost(bool, tag = "1")]
    pub commits_closed: bool,
}

/// The commitment a worker submits: `sha256(result_hash ‖ salt ‖ worker address bytes)`.
/// Binding the worker's address means a revealed answer cannot be re-committed by another.
pub fn commitment(result_hash: &[u8; 32], salt: &[u8], worker: &Address) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(result_hash);
    h.update(salt);
    h.update(worker.as_bytes());
    h.finalize().into()
}
