//! Wire messages of the two request-response protocols (CBOR; byte fields use
//! `serde_bytes` so they travel as CBOR byte strings, not integer arrays).

use bls_orchestration::fastpath::msgs::SignedRequest;
use libp2p::StreamProtocol;
use serde::{Deserialize, Serialize};

/// Work orders: head → worker (v2: the signed request carries the code hash, expiry and
/// clock).
pub const WORK_PROTOCOL: StreamProtocol = StreamProtocol::new("/bls/work/2");
/// Code blobs by sha256: any registered peer → peer.
pub const CODE_PROTOCOL: StreamProtocol = StreamProtocol::new("/bls/code/1");

/// One fast-path execution a head asks a worker for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkOrder {
    /// The invoker-signed request (the worker recomputes and checks the request id). It
    /// carries the code hash, expiry height and guest clock the invoker signed.
    pub request: SignedRequest,
    /// Guest stdin.
    #[serde(with = "serde_bytes")]
    pub input: Vec<u8>,
    /// Guest args.
    pub args: Vec<String>,
    /// Extra environment variables the invoker signed (added to the manifest's).
    #[serde(default)]
    pub env: std::collections::BTreeMap<String, String>,
    /// Request-scoped secrets, sealed by the invoker to the workers (names and commitments
    /// are in the signed payload hash; the head cannot read the values).
    #[serde(default)]
    pub sealed_env: Vec<bls_client::head_api::RequestSecret>,
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

/// Kademlia (peer discovery and code-blob provider records).
pub const KAD_PROTOCOL: StreamProtocol = StreamProtocol::new("/bls/kad/1");
/// Identify protocol version string (peers exchange listen addresses).
pub const IDENTIFY_PROTOCOL: &str = "/bls/id/1";
/// Largest gossip message accepted or sent (a prefetch notice is ~100 bytes).
pub const MAX_GOSSIP_BYTES: usize = 1024;

/// The gossipsub topic of a deployment's subnetwork.
pub fn subnet_topic(function_id: u64) -> String {
    format!("bls/subnet/{function_id}/1")
}

/// The function id of a subnetwork topic, if `topic` is one.
pub fn parse_subnet_topic(topic: &str) -> Option<u64> {
    topic
        .strip_prefix("bls/subnet/")?
        .strip_suffix("/1")?
        .parse()
        .ok()
}

/// Gossip on a subnetwork topic: "this function is being served; fetch and compile its
/// code now". Receivers check it against the chain before acting; it is only a hint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prefetch {
    /// The function.
    pub function_id: u64,
    /// Hex sha256 of its code (as the publisher saw it on chain).
    pub code_hash: String,
}

impl Prefetch {
    /// The wire bytes (JSON).
    pub fn encode(&self) -> Vec<u8> {
        // Serializing a struct of an integer and a string cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Parses and checks the shape of a gossip payload received on `topic`: bounded size,
    /// the topic's function id, a 32-byte hex hash.
    pub fn decode(topic: &str, data: &[u8]) -> Result<(Prefetch, [u8; 32]), String> {
        if data.len() > MAX_GOSSIP_BYTES {
            return Err(format!("{} bytes is over the gossip limit", data.len()));
        }
        let topic_fn = parse_subnet_topic(topic).ok_or("not a subnetwork topic")?;
        let p: Prefetch =
            serde_json::from_slice(data).map_err(|e| format!("not a prefetch notice: {e}"))?;
        if p.function_id != topic_fn {
            return Err(format!(
                "function {} published on the topic of function {topic_fn}",
                p.function_id
            ));
        }
        let hash = hex::decode(&p.code_hash)
            .ok()
            .and_then(|h| <[u8; 32]>::try_from(h.as_slice()).ok())
            .ok_or("code_hash is not 32 bytes of hex")?;
        Ok((p, hash))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefetch_round_trips_and_rejects_garbage() {
        let p = Prefetch {
            function_id: 7,
            code_hash: hex::encode([9u8; 32]),
        };
        let t = subnet_topic(7);
        assert_eq!(parse_subnet_topic(&t), Some(7));
        assert_eq!(
            Prefetch::decode(&t, &p.encode()).unwrap(),
            (p.clone(), [9u8; 32])
        );
        assert!(Prefetch::decode(&subnet_topic(8), &p.encode()).is_err());
        assert!(Prefetch::decode("other", &p.encode()).is_err());
        assert!(Prefetch::decode(&t, b"\xff\x00garbage").is_err());
        assert!(Prefetch::decode(&t, &vec![b' '; MAX_GOSSIP_BYTES + 1]).is_err());
        let short = br#"{"function_id":7,"code_hash":"abcd"}"#;
        assert!(Prefetch::decode(&t, short).is_err());
        assert_eq!(parse_subnet_topic("bls/subnet/x/1"), None);
    }
}
