//! Fast-path fixtures shared by the fast-path tests: params with a fast-path fee, a keyed
//! invoker that signs (v2) requests, a registered head, and deposit / settle / receipt /
//! evidence builders.

use bls_core::module::encode_any;
use bls_core::{Address, ModuleError};
use bls_orchestration::fastpath::msgs::*;
use bls_registry::msgs::{
    Capabilities, MsgRegisterWorker, MsgUpdateWorker, MSG_REGISTER_WORKER, MSG_UPDATE_WORKER,
};
use k256::ecdsa::signature::Signer;
use k256::ecdsa::{Signature, SigningKey};

use super::{Chain, SimWorker, BOND};

/// The fast-path fee (and the on-chain base fee) of [`params`].
pub const FEE: u128 = 1_000;
/// The chain id requests are signed for.
pub const CHAIN_ID: &str = "bls-test";
/// The `max_fee` every test request signs.
pub const MAX_FEE: u128 = 5_000;

/// The guest clock every test request signs.
pub const CLOCK: (u64, u32) = (1_700_000_000, 0);

/// Orchestration params: subnetworks of 4, fees of [`FEE`] (fast-path time priced at 0, so a
/// request costs exactly [`FEE`]).
pub fn params() -> serde_json::Value {
    serde_json::json!({
        "subnetwork_size": 4, "commit_window": 5, "reveal_window": 5, "max_retries": 2,
        "base_fee": FEE.to_string(), "fastpath_fee": FEE.to_string(), "fuel_price": "1",
        "fuel_unit": 1000000, "slash_fraction_bps": 500, "dissent_jail_blocks": 10,
        "fastpath_price_per_second": "0"
    })
}

/// The terms of a request running `function` (code `code_hash`) on "Ada", expiring at
/// `expiry`, with the test clock.
pub fn terms(
    invoker: &Address,
    function: u64,
    code_hash: &[u8; 32],
    nonce: u64,
    max_fee: u128,
    expiry: u64,
) -> RequestTerms {
    RequestTerms {
        invoker: invoker.to_string(),
        function_id: function,
        code_hash: *code_hash,
        nonce,
        max_fee,
        payload_hash: payload_hash(b"Ada", &[], &Default::default()),
        expiry_height: expiry,
        time_secs: CLOCK.0,
        time_nanos: CLOCK.1,
    }
}

/// A low-S signature over sha256(`msg`).
pub fn sign(key: &SigningKey, msg: &[u8]) -> Vec<u8> {
    let sig: Signature = key.sign(msg);
    sig.normalize_s().unwrap_or(sig).to_bytes().to_vec()
}

/// An invoker with its own key.
pub struct Invoker {
    pub key: SigningKey,
    pub addr: Address,
}

impl Invoker {
    pub fn new(n: u8) -> Invoker {
        let key = SigningKey::from_slice(&[n; 32]).unwrap();
        let pk = key.verifying_key().to_encoded_point(true);
        let addr = Address::from_secp256k1_pubkey(pk.as_bytes());
        Invoker { key, addr }
    }

    /// `t` signed for `chain_id`, and its request id.
    pub fn sign_terms(&self, chain_id: &str, t: &RequestTerms) -> (SignedRequest, [u8; 32]) {
        let id = request_id(chain_id, t);
        let req = SignedRequest {
            invoker: t.invoker.clone(),
            invoker_pubkey: self
                .key
                .verifying_key()
                .to_encoded_point(true)
                .as_bytes()
                .to_vec(),
            function_id: t.function_id,
            nonce: t.nonce,
            max_fee: Some(ProtoCoin::ubls(t.max_fee)),
            payload_hash: t.payload_hash.to_vec(),
            signature: sign(&self.key, &id),
            code_hash: t.code_hash.to_vec(),
            expiry_height: t.expiry_height,
            time_secs: t.time_secs,
            time_nanos: t.time_nanos,
            sign_scheme: 0,
        };
        (req, id)
    }

    /// A signed request running `function_id` (code `code_hash`) on "Ada", expiring at
    /// `expiry`, and its request id.
    pub fn request(
        &self,
        chain_id: &str,
        function_id: u64,
        code_hash: &[u8; 32],
        nonce: u64,
        max_fee: u128,
        expiry: u64,
    ) -> (SignedRequest, [u8; 32]) {
        self.sign_terms(
            chain_id,
            &terms(&self.addr, function_id, code_hash, nonce, max_fee, expiry),
        )
    }
}

/// `w`'s signature over (request id, code hash, result hash).
pub fn worker_sig(
    w: &SimWorker,
    id: &[u8; 32],
    code_hash: &[u8; 32],
    result: &[u8; 32],
) -> WorkerSignature {
    WorkerSignature {
        worker: w.addr.to_string(),
        signature: sign(&w.key, &result_digest(id, code_hash, result)),
    }
}

/// A receipt of `invoker`'s request `nonce` for `function` (result `[9; 32]`), expiring at
/// `expiry`, signed by `signers`, and its request id.
pub fn receipt<'a>(
    invoker: &Invoker,
    function: u64,
    code_hash: &[u8; 32],
    nonce: u64,
    expiry: u64,
    signers: impl IntoIterator<Item = &'a SimWorker>,
) -> (Receipt, [u8; 32]) {
    let (req, id) = invoker.request(CHAIN_ID, function, code_hash, nonce, MAX_FEE, expiry);
    let result = [9u8; 32];
    let signatures = signers
        .into_iter()
        .map(|w| worker_sig(w, &id, code_hash, &result))
        .collect();
    (
        Receipt {
            request: Some(req),
            code_hash: code_hash.to_vec(),
            result_hash: result.to_vec(),
            signatures,
        },
        id,
    )
}

/// `w`'s signed result `result` for request `id` (code `code_hash`), signed with `key`
/// (its current or a retired result key).
pub fn signed_result(
    w: &SimWorker,
    key: &SigningKey,
    id: &[u8; 32],
    code_hash: &[u8; 32],
    result: &[u8; 32],
) -> SignedResult {
    SignedResult {
        worker: w.addr.to_string(),
        result_hash: result.to_vec(),
        signature: sign(key, &result_digest(id, code_hash, result)),
    }
}

/// Evidence about `request` carrying `results` and `outcomes` (hash → bytes).
pub fn evidence(
    submitter: &Address,
    request: &SignedRequest,
    results: Vec<SignedResult>,
    outcomes: &[(&[u8; 32], &[u8])],
) -> MsgSubmitEvidence {
    MsgSubmitEvidence {
        submitter: submitter.to_string(),
        results,
        request: Some(request.clone()),
        outcomes: outcomes
            .iter()
            .map(|(h, o)| ResultOutcome {
                result_hash: h.to_vec(),
                outcome: o.to_vec(),
            })
            .collect(),
    }
}

/// Submits `m` as `submitter`.
pub fn submit(
    chain: &mut Chain,
    m: &MsgSubmitEvidence,
) -> Result<MsgSubmitEvidenceResponse, ModuleError> {
    let submitter = Address::parse(&m.submitter).expect("submitter");
    let r = chain.orch(&submitter, encode_any(m, MSG_SUBMIT_EVIDENCE))?;
    Ok(<MsgSubmitEvidenceResponse as prost::Message>::decode(r.value.as_slice()).unwrap())
}

/// Registers `head` as a head worker (minted its bond first).
pub fn register_head(chain: &mut Chain, head: &SimWorker) {
    chain.fund(&head.addr, BOND);
    let msg = MsgRegisterWorker {
        operator: head.addr.to_string(),
        result_pubkey: head.pubkey(),
        peer_id: format!("16Uiu2HAhead{}", hex::encode(&head.addr.as_bytes()[..4])),
        multiaddrs: vec!["/ip4/127.0.0.1/tcp/4002".into()],
        region: head.region.clone(),
        network: head.network.clone(),
        capabilities: Some(Capabilities {
            memory_mb: 512,
            max_timeout_ms: 900_000,
            http_allowed: false,
        }),
        role: "head".into(),
        bond: Some(ProtoCoin::ubls(BOND)),
        encryption_pubkey: Vec::new(),
    };
    chain
        .tx(&head.addr, encode_any(&msg, MSG_REGISTER_WORKER))
        .expect("register head");
}

/// `invoker` deposits `amount` ubls for the fast path.
pub fn deposit(chain: &mut Chain, invoker: &Address, amount: u128) -> Result<(), ModuleError> {
    let msg = MsgFastPathDeposit {
        invoker: invoker.to_string(),
        amount: Some(ProtoCoin::ubls(amount)),
    };
    chain.orch(invoker, encode_any(&msg, MSG_FASTPATH_DEPOSIT))?;
    Ok(())
}

/// `head` settles `receipts`.
pub fn settle(
    chain: &mut Chain,
    head: &Address,
    receipts: Vec<Receipt>,
) -> Result<(), ModuleError> {
    let msg = MsgSettleReceipts {
        head: head.to_string(),
        receipts,
    };
    chain.orch(head, encode_any(&msg, MSG_SETTLE_RECEIPTS))?;
    Ok(())
}

/// `w` rotates its result key to `to` (`MsgUpdateWorker`).
pub fn rotate(chain: &mut Chain, w: &SimWorker, to: &SigningKey) -> Result<(), ModuleError> {
    let msg = MsgUpdateWorker {
        operator: w.addr.to_string(),
        worker: w.addr.to_string(),
        result_pubkey: to
            .verifying_key()
            .to_encoded_point(true)
            .as_bytes()
            .to_vec(),
        ..Default::default()
    };
    chain
        .tx(&w.addr, encode_any(&msg, MSG_UPDATE_WORKER))
        .map(|_| ())
}
