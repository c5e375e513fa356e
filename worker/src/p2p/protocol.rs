//! Wire messages of the two request-response protocols (CBOR; byte fields use
//! `serde_bytes` so they travel as CBOR byte strings, not integer arrays).

use bls_orchestration::fastpath::msgs::SignedRequest;
use libp2p::StreamProtocol;
use serde::{Deserialize, Serialize};

/// Work orders: head → worker.
pub const WORK_PROTOCOL: StreamProtocol = StreamProtocol::new("/bls/work/1");
/// Code blobs by sha256: any registered peer → peer.
pub const CODE_PROTOCOL: StreamProtocol = StreamProtocol::new("/bls/code/1");

/// One fast-path execution a head asks a worker for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkOrder {
    /// The invoker-signed request (the worker recomputes and checks the request id).
    pub request: SignedRequest,
    /// Code hash the head expects (the worker checks it against the chain).
    #[serde(with = "serde_bytes")]
    pub code_hash: Vec<u8>,
    /// Guest stdin.
    #[serde(with = "serde_bytes")]
    pub input: Vec<u8>,
    /// Guest args.
    pub args: Vec<String>,
    /// The guest's clock (a recent block time chosen by the head; same for all workers).
    pub time_secs: u64,
    /// Nanoseconds part of the guest's clock.
    pub time_nanos: u32,
}

/// A worker's answer to a [`WorkOrder`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum WorkReply {
    /// Executed: the canonical outcome and the signature over (request id, code hash,
    /// result hash) with the worker's registered result key.
    Done {
        /// Worker id (operator address).
        worker: String,
        /// `Outcome::canonical_bytes()`.
        #[serde(with = "serde_bytes")]
        outcome: Vec<u8>,
        /// sha256 of `outcome`.
        #[serde(with = "serde_bytes")]
        result_hash: Vec<u8>,
        /// 64-byte signature.
        #[serde(with = "serde_bytes")]
        signature: Vec<u8>,
    },
    /// Refused or failed, with the reason.
    Refused(String),
}

/// A request for the raw WASM whose sha256 is `hash`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeRequest {
    /// sha256 of the raw WASM.
    #[serde(with = "serde_bytes")]
    pub hash: Vec<u8>,
}

/// The answer to a [`CodeRequest`]. The receiver verifies the hash before any use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CodeReply {
    /// The raw WASM.
    Found(#[serde(with = "serde_bytes")] Vec<u8>),
    /// Not available (or refused), with the reason.
    Missing(String),
}
