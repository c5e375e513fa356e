//! Fast-path client side: the deposit messages and query, and signing a request for a head
//! worker's `POST /api/v1/functions/execute` (the head's answer is verified by
//! [`crate::head::verify_answer`]).

use bls_core::Address;
use bls_orchestration::fastpath::msgs::{
    payload_hash, request_id, MsgFastPathDeposit, MsgFastPathWithdraw, MsgSetPinnedHeads,
    ProtoCoin, SignedRequest, MSG_FASTPATH_DEPOSIT, MSG_FASTPATH_WITHDRAW, MSG_SET_PINNED_HEADS,
};
use bls_orchestration::fastpath::queries::{DepositRequest, DepositResponse};
use cosmos_sdk_proto::Any;
use prost::Message;

use crate::keys::KeyPair;
use crate::rpc::{RpcClient, RpcError};

/// ABCI query path of an invoker's fast-path deposit.
pub const DEPOSIT_QUERY: &str = "/bls.orchestration.v1.Query/FastPathDeposit";

/// `FastPathDeposit` query: `invoker`'s deposit and pending withdrawal.
pub async fn deposit_of(rpc: &RpcClient, invoker: &Address) -> Result<DepositResponse, RpcError> {
    rpc.query_json(
        DEPOSIT_QUERY,
        &DepositRequest {
            invoker: invoker.to_string(),
        },
    )
    .await
}

fn any(type_url: &str, msg: &impl Message) -> Any {
    Any {
        type_url: type_url.to_string(),
        value: msg.encode_to_vec(),
    }
}

/// `MsgFastPathDeposit` of `amount` ubls.
pub fn deposit(invoker: &Address, amount: u128) -> Any {
    any(
        MSG_FASTPATH_DEPOSIT,
        &MsgFastPathDeposit {
            invoker: invoker.to_string(),
            amount: Some(ProtoCoin::ubls(amount)),
        },
    )
}

/// `MsgFastPathWithdraw`: requests `amount` ubls (first call) or completes the pending
/// withdrawal (after its release height).
pub fn withdraw(invoker: &Address, amount: u128) -> Any {
    any(
        MSG_FASTPATH_WITHDRAW,
        &MsgFastPathWithdraw {
            invoker: invoker.to_string(),
            amount: Some(ProtoCoin::ubls(amount)),
        },
    )
}

/// `MsgSetPinnedHeads` (owner only; empty `heads` unpins).
pub fn set_pinned_heads(owner: &Address, function_id: u64, heads: &[Address]) -> Any {
    any(
        MSG_SET_PINNED_HEADS,
        &MsgSetPinnedHeads {
            owner: owner.to_string(),
            function_id,
            heads: heads.iter().map(|h| h.to_string()).collect(),
        },
    )
}

/// What to run on the fast path.
#[derive(Debug, Clone)]
pub struct FastRequest {
    /// Chain id (bound into the request id).
    pub chain_id: String,
    /// Function id.
    pub function_id: u64,
    /// Guest stdin (UTF-8: the HTTP API carries it as a string).
    pub stdin: String,
    /// Guest args.
    pub args: Vec<String>,
    /// Environment variables added to the manifest's for this request (sent as the
    /// Blockless `config.env_vars`; names the manifest sets are refused by the head).
    pub env: std::collections::BTreeMap<String, String>,
    /// Unique per invoker.
    pub nonce: u64,
    /// Most paid for it, ubls.
    pub max_fee: u128,
}

/// The request id `key` signs for `r`.
pub fn fast_request_id(key: &KeyPair, r: &FastRequest) -> [u8; 32] {
    let payload = payload_hash(r.stdin.as_bytes(), &r.args, &r.env);
    request_id(
        &r.chain_id,
        key.address().as_str(),
        r.function_id,
        r.nonce,
        r.max_fee,
        &payload,
    )
}

/// The request `key` signs for `r`, as the chain sees it (what a report of the head's
/// answer carries).
pub fn signed_request(key: &KeyPair, r: &FastRequest) -> SignedRequest {
    let payload = payload_hash(r.stdin.as_bytes(), &r.args, &r.env);
    let id = fast_request_id(key, r);
    SignedRequest {
        invoker: key.address().to_string(),
        invoker_pubkey: key.public_key_bytes().to_vec(),
        function_id: r.function_id,
        nonce: r.nonce,
        max_fee: Some(ProtoCoin::ubls(r.max_fee)),
        payload_hash: payload.to_vec(),
        signature: key.sign(&id).to_vec(),
    }
}

/// The signed JSON body for `POST /api/v1/functions/execute` and its request id (hex).
pub fn signed_execute_body(key: &KeyPair, r: &FastRequest) -> (serde_json::Value, String) {
    let id = fast_request_id(key, r);
    let body = serde_json::json!({
        "function_id": r.function_id.to_string(),
        "parameters": r.args,
        "config": {
            "stdin": r.stdin,
            "env_vars": r.env.iter().map(|(k, v)| serde_json::json!({"name": k, "value": v})).collect::<Vec<_>>(),
        },
        "invoker": key.address().to_string(),
        "invoker_pubkey": hex::encode(key.public_key_bytes()),
        "nonce": r.nonce,
        "max_fee": r.max_fee.to_string(),
        "signature": hex::encode(key.sign(&id)),
    });
    (body, hex::encode(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_body_verifies_over_the_request_id() {
        let (key, _) = KeyPair::generate().unwrap();
        let r = FastRequest {
            chain_id: "bls-test".into(),
            function_id: 3,
            stdin: "Ada".into(),
            args: vec!["x".into()],
            env: [("K".to_string(), "V".to_string())].into(),
            nonce: 9,
            max_fee: 5_000,
        };
        let (body, id) = signed_execute_body(&key, &r);
        let id = hex::decode(id).unwrap();
        let sig = hex::decode(body["signature"].as_str().unwrap()).unwrap();
        use k256::ecdsa::signature::Verifier;
        let sig = k256::ecdsa::Signature::from_slice(&sig).unwrap();
        key.verifying_key().verify(&id, &sig).unwrap();
        assert_eq!(body["function_id"], "3");
        assert_eq!(body["config"]["env_vars"][0]["name"], "K");
        assert_eq!(body["config"]["env_vars"][0]["value"], "V");
        // The same request as the chain sees it carries the same signature over the same id.
        let signed = signed_request(&key, &r);
        assert_eq!(
            hex::encode(&signed.signature),
            body["signature"].as_str().unwrap()
        );
        assert_eq!(
            signed.payload_hash,
            payload_hash(b"Ada", &r.args, &r.env).to_vec()
        );
        assert_eq!(fast_request_id(&key, &r).to_vec(), id);
    }
}
