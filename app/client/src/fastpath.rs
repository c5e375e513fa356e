//! Fast-path client side: the deposit messages and query, and signing a request for a head
//! worker's `POST /api/v1/functions/execute` (the head's signed answer is verified against
//! the chain by [`crate::head::verify_answer`], with the chain's own rule).
//!
//! A request binds everything that determines its outcome ([`RequestTerms`]): the code hash
//! the invoker asks for, the input, an expiry height and the guest clock. [`chain_terms`]
//! reads them from the chain once (the function's code and manifest, the params, the latest
//! block's height and time) together with the fee the request will cost
//! ([`bls_orchestration::fastpath::fee::fastpath_fee`], the chain's own function).

use std::collections::BTreeMap;

use bls_core::manifest::Manifest;
use bls_core::Address;
use bls_orchestration::fastpath::fee::fastpath_fee;
use bls_orchestration::fastpath::msgs::{
    payload_hash_sealed, request_id, MsgFastPathDeposit, MsgFastPathWithdraw, MsgSetPinnedHeads,
    ProtoCoin, RequestSignScheme, RequestTerms, SignedRequest, MSG_FASTPATH_DEPOSIT,
    MSG_FASTPATH_WITHDRAW, MSG_SET_PINNED_HEADS,
};
use bls_orchestration::fastpath::queries::{DepositRequest, DepositResponse};
use cosmos_sdk_proto::Any;
use prost::Message;

use crate::head_api::ExecuteRequest;
use crate::keys::KeyPair;
use crate::rpc::{RpcClient, RpcError};

/// ABCI query path of an invoker's fast-path deposit.
pub const DEPOSIT_QUERY: &str = "/bls.orchestration.v1.Query/FastPathDeposit";

/// Why a fast request could not be built from the chain's terms.
#[derive(Debug, thiserror::Error)]
pub enum FastPathError {
    /// A chain query failed.
    #[error(transparent)]
    Rpc(#[from] RpcError),
    /// A value read from the chain is not what it must be.
    #[error("bad fast-path terms: {0}")]
    Malformed(String),
    /// The requested expiry does not fit the chain's request TTL.
    #[error("a fast request may expire at most {ttl} blocks ahead (fastpath_request_ttl); {asked} asked")]
    Expiry {
        /// Blocks ahead asked for.
        asked: u64,
        /// The chain's `fastpath_request_ttl`.
        ttl: u64,
    },
    /// The function calls other functions, which the fast path does not serve.
    #[error("function {0}: {msg}", msg = bls_core::composition::FAST_PATH_REFUSAL)]
    Composed(u64),
}

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

fn hex32(field: &str, s: &str) -> Result<[u8; 32], FastPathError> {
    hex::decode(s)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(|| FastPathError::Malformed(format!("{field} must be 32 bytes of hex")))
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

/// Blocks ahead a request expires by default (at most half the chain's
/// `fastpath_request_ttl`): long enough for a head to serve it, short enough that a stale
/// signed request cannot be replayed through another head much later, and well inside the TTL
/// so a head or worker whose view of the tip lags a few blocks still accepts it (they refuse
/// an expiry beyond their tip + TTL).
pub const DEFAULT_EXPIRES_IN: u64 = 100;

/// What the chain says a fast request of one function must bind, and what it costs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainTerms {
    /// Chain id (bound into the request id).
    pub chain_id: String,
    /// Function id.
    pub function_id: u64,
    /// The function's deployed code hash.
    pub code_hash: [u8; 32],
    /// Expiry height: the latest height plus the blocks asked for.
    pub expiry_height: u64,
    /// Guest clock: the latest block's time, seconds since the Unix epoch.
    pub time_secs: u64,
    /// Nanoseconds part of the guest clock.
    pub time_nanos: u32,
    /// What one request costs ([`fastpath_fee`]), ubls: the least `max_fee` a head accepts.
    pub fee: u128,
}

/// Reads [`ChainTerms`] for `function_id`: its code hash and manifest, the params (fee, TTL)
/// and the latest block (height, time). The request expires `expires_in` blocks after the
/// latest height ([`DEFAULT_EXPIRES_IN`] when `None`, at most half the TTL); an explicit
/// `expires_in` above the TTL (or zero) is an error (close to the TTL, a head whose view of
/// the tip lags may refuse it).
pub async fn chain_terms(
    rpc: &RpcClient,
    function_id: u64,
    expires_in: Option<u64>,
) -> Result<ChainTerms, FastPathError> {
    let (status, f, params) = tokio::join!(
        rpc.status(),
        crate::orchestration::function(rpc, function_id),
        crate::orchestration::params(rpc),
    );
    let (status, f, params) = (status?, f?, params?.params);
    let ttl = params.fastpath_request_ttl;
    let ahead = match expires_in {
        None => DEFAULT_EXPIRES_IN.min(ttl / 2).max(1),
        Some(n) if n == 0 || n > ttl => return Err(FastPathError::Expiry { asked: n, ttl }),
        Some(n) => n,
    };
    let code_hash = hex32("code_hash", &f.function.code_hash)?;
    let manifest = Manifest::from_json(f.function.manifest_json.as_bytes())
        .map_err(|e| FastPathError::Malformed(format!("the function's manifest: {e}")))?;
    if !manifest.calls.is_empty() {
        return Err(FastPathError::Composed(function_id));
    }
    let time = tendermint::Time::parse_from_rfc3339(&status.latest_block_time)
        .map_err(|e| FastPathError::Malformed(format!("latest block time: {e}")))?;
    let nanos = u128::try_from(time.unix_timestamp_nanos()).unwrap_or(0);
    Ok(ChainTerms {
        chain_id: status.chain_id,
        function_id,
        code_hash,
        expiry_height: status.latest_block_height.saturating_add(ahead),
        time_secs: u64::try_from(nanos / 1_000_000_000).unwrap_or(u64::MAX),
        time_nanos: u32::try_from(nanos % 1_000_000_000).unwrap_or(0),
        // A listed function's price is paid on top of the fast-path fee.
        fee: fastpath_fee(&params, &manifest).saturating_add(f.royalty.parse().unwrap_or(0)),
    })
}

/// What to run on the fast path.
#[derive(Debug, Clone)]
pub struct FastRequest {
    /// Chain id (bound into the request id).
    pub chain_id: String,
    /// Function id.
    pub function_id: u64,
    /// Code hash the invoker asks to run (the function's deployed code).
    pub code_hash: [u8; 32],
    /// Guest stdin (UTF-8: the HTTP API carries it as a string).
    pub stdin: String,
    /// Guest args.
    pub args: Vec<String>,
    /// Environment variables added to the manifest's for this request (sent as the
    /// Blockless `config.env_vars`; names the manifest sets are refused by the head).
    pub env: std::collections::BTreeMap<String, String>,
    /// Request-scoped sealed secrets (`crate::secrets::seal_request_secrets`, sealed for this
    /// request's invoker and nonce); their names and commitments are signed.
    pub sealed: Vec<crate::head_api::RequestSecret>,
    /// Unique per invoker.
    pub nonce: u64,
    /// Most paid for it, ubls.
    pub max_fee: u128,
    /// Last height at which it may be served.
    pub expiry_height: u64,
    /// Guest clock, seconds since the Unix epoch.
    pub time_secs: u64,
    /// Nanoseconds part of the guest clock.
    pub time_nanos: u32,
}

impl FastRequest {
    /// A request of `terms`' function (code, expiry, clock from the chain) on `stdin`.
    pub fn new(terms: &ChainTerms, stdin: String, nonce: u64, max_fee: u128) -> FastRequest {
        FastRequest {
            chain_id: terms.chain_id.clone(),
            function_id: terms.function_id,
            code_hash: terms.code_hash,
            stdin,
            args: Vec::new(),
            env: Default::default(),
            sealed: Vec::new(),
            nonce,
            max_fee,
            expiry_height: terms.expiry_height,
            time_secs: terms.time_secs,
            time_nanos: terms.time_nanos,
        }
    }

    /// The terms the request id binds, for invoker `invoker`.
    pub fn terms(&self, invoker: &str) -> RequestTerms {
        RequestTerms {
            invoker: invoker.to_string(),
            function_id: self.function_id,
            code_hash: self.code_hash,
            nonce: self.nonce,
            max_fee: self.max_fee,
            payload_hash: payload_hash_sealed(
                self.stdin.as_bytes(),
                &self.args,
                &self.env,
                // A malformed list signs as none; the head and the workers refuse it anyway.
                &crate::secrets::request_commitments(&self.sealed).unwrap_or_default(),
            ),
            expiry_height: self.expiry_height,
            time_secs: self.time_secs,
            time_nanos: self.time_nanos,
        }
    }

    /// The request as `key` signs it (what receipts and evidence carry on chain).
    pub fn signed(&self, key: &KeyPair) -> SignedRequest {
        let t = self.terms(key.address().as_str());
        SignedRequest {
            invoker: t.invoker.clone(),
            invoker_pubkey: key.public_key_bytes().to_vec(),
            function_id: t.function_id,
            nonce: t.nonce,
            max_fee: Some(ProtoCoin::ubls(t.max_fee)),
            payload_hash: t.payload_hash.to_vec(),
            signature: key.sign(&request_id(&self.chain_id, &t)).to_vec(),
            code_hash: t.code_hash.to_vec(),
            expiry_height: t.expiry_height,
            time_secs: t.time_secs,
            time_nanos: t.time_nanos,
            sign_scheme: RequestSignScheme::Direct as i32,
        }
    }
}

/// The request id `key` signs for `r`.
pub fn fast_request_id(key: &KeyPair, r: &FastRequest) -> [u8; 32] {
    request_id(&r.chain_id, &r.terms(key.address().as_str()))
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
            "sealed_env": r.sealed,
        },
        "invoker": key.address().to_string(),
        "invoker_pubkey": hex::encode(key.public_key_bytes()),
        "nonce": r.nonce,
        "max_fee": r.max_fee.to_string(),
        "code_hash": hex::encode(r.code_hash),
        "expiry_height": r.expiry_height,
        "time_secs": r.time_secs,
        "time_nanos": r.time_nanos,
        "signature": hex::encode(key.sign(&id)),
    });
    (body, hex::encode(id))
}

/// Why an execute body is not a signed request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// No invoker or no signature: nobody pays.
    #[error(
        "unsigned request: invoker, invoker_pubkey, nonce, max_fee and signature are required"
    )]
    Unsigned,
    /// A field is malformed.
    #[error("{0}")]
    Malformed(String),
}

/// An execute body as the invoker signed it, with what the workers run it on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedBody {
    /// The signed request (not verified yet: `SignedRequest::verify`).
    pub request: SignedRequest,
    /// Guest stdin.
    pub input: Vec<u8>,
    /// Guest args.
    pub args: Vec<String>,
    /// Extra environment variables.
    pub env: BTreeMap<String, String>,
}

/// The request the invoker signed, rebuilt from this body: its payload hash computed from
/// the stdin, args, env and sealed secrets' commitments. Shapes are checked here; the
/// signature is not (`SignedRequest::verify`, with the chain id).
pub fn signed_body(req: &ExecuteRequest) -> Result<SignedBody, BodyError> {
    let bad = |m: String| BodyError::Malformed(m);
    if req.invoker.is_empty() || req.signature.is_empty() {
        return Err(BodyError::Unsigned);
    }
    let function_id = req
        .function_id
        .get()
        .ok_or_else(|| bad("function_id must be a number".into()))?;
    let mut env = BTreeMap::new();
    for v in &req.config.env_vars {
        if env.insert(v.name.clone(), v.value.clone()).is_some() {
            return Err(bad(format!(
                "config.env_vars names {:?} twice",
                v.name.chars().take(64).collect::<String>()
            )));
        }
    }
    let max_fee: u128 = req
        .max_fee
        .trim()
        .parse()
        .map_err(|_| bad("max_fee must be a decimal ubls amount".into()))?;
    let invoker_pubkey =
        hex::decode(&req.invoker_pubkey).map_err(|_| bad("invoker_pubkey must be hex".into()))?;
    let signature = hex::decode(&req.signature).map_err(|_| bad("signature must be hex".into()))?;
    let code_hash = hex::decode(&req.code_hash)
        .ok()
        .filter(|b| b.len() == 32)
        .ok_or_else(|| {
            bad("code_hash must be 32 bytes of hex (sign request v2: code_hash, expiry_height, time_secs, time_nanos)".into())
        })?;
    let scheme = RequestSignScheme::from_name(req.sign_scheme.trim()).ok_or_else(|| {
        bad(format!(
            "sign_scheme must be direct, adr036, personal_sign or aptos, not {:?}",
            req.sign_scheme.chars().take(32).collect::<String>()
        ))
    })?;
    let sealed = crate::secrets::request_commitments(&req.config.sealed_env).map_err(bad)?;
    if let Some(name) = sealed.keys().find(|n| env.contains_key(*n)) {
        return Err(bad(format!(
            "{name} is both in config.env_vars and config.sealed_env"
        )));
    }
    let input = req.config.stdin.clone().into_bytes();
    let args = req.args();
    let payload = payload_hash_sealed(&input, &args, &env, &sealed);
    Ok(SignedBody {
        request: SignedRequest {
            invoker: req.invoker.clone(),
            invoker_pubkey,
            function_id,
            nonce: req.nonce,
            max_fee: Some(ProtoCoin::ubls(max_fee)),
            payload_hash: payload.to_vec(),
            signature,
            code_hash,
            expiry_height: req.expiry_height,
            time_secs: req.time_secs,
            time_nanos: req.time_nanos,
            sign_scheme: scheme as i32,
        },
        input,
        args,
        env,
    })
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
            code_hash: [7; 32],
            stdin: "Ada".into(),
            args: vec!["x".into()],
            env: [("K".to_string(), "V".to_string())].into(),
            sealed: Vec::new(),
            nonce: 9,
            max_fee: 5_000,
            expiry_height: 120,
            time_secs: 1_700_000_000,
            time_nanos: 5,
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
        assert_eq!(body["code_hash"], hex::encode([7u8; 32]));
        assert_eq!(body["expiry_height"], 120);
        // What the chain verifies: the signed request recomputes to the same id.
        let signed = r.signed(&key);
        let v = signed
            .verify("bls-test")
            .expect("the chain accepts the signature");
        assert_eq!(hex::encode(v.id), hex::encode(&id));
        assert!(signed.verify("other-chain").is_err());
    }
}
