//! Fast-path fixtures shared by the fast-path tests: params with a fast-path fee, a keyed
//! invoker that signs requests, a registered head, and deposit / settle / receipt builders.

use bls_core::module::encode_any;
use bls_core::{Address, ModuleError};
use bls_orchestration::fastpath::msgs::*;
use bls_registry::msgs::{Capabilities, MsgRegisterWorker, MSG_REGISTER_WORKER};
use bls_registry::RegistryModule;
use k256::ecdsa::signature::Signer;
use k256::ecdsa::{Signature, SigningKey};

use super::{Chain, SimWorker, BOND};

/// The fast-path fee (and the on-chain base fee) of [`params`].
pub const FEE: u128 = 1_000;
/// The chain id requests are signed for.
pub const CHAIN_ID: &str = "bls-test";
/// The `max_fee` every test request signs.
pub const MAX_FEE: u128 = 5_000;

/// Orchestration params: subnetworks of 4, fees of [`FEE`].
pub fn params() -> serde_json::Value {
    serde_json::json!({
        "subnetwork_size": 4, "commit_window": 5, "reveal_window": 5, "max_retries": 2,
        "base_fee": FEE.to_string(), "fastpath_fee": FEE.to_string(), "fuel_price": "1",
        "fuel_unit": 1000000, "slash_fraction_bps": 500, "dissent_jail_blocks": 10
    })
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

    /// A signed request running `function_id` on "Ada", and its request id.
    pub fn request(
        &self,
        chain_id: &str,
        function_id: u64,
        nonce: u64,
        max_fee: u128,
    ) -> (SignedRequest, [u8; 32]) {
        let payload = payload_hash(b"Ada", &[], &Default::default());
        let id = request_id(
            chain_id,
            self.addr.as_str(),
            function_id,
            nonce,
            max_fee,
            &payload,
        );
        let req = SignedRequest {
            invoker: self.addr.to_string(),
            invoker_pubkey: self
                .key
                .verifying_key()
                .to_encoded_point(true)
                .as_bytes()
                .to_vec(),
            function_id,
            nonce,
            max_fee: Some(ProtoCoin::ubls(max_fee)),
            payload_hash: payload.to_vec(),
            signature: sign(&self.key, &id),
        };
        (req, id)
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

/// A receipt of `invoker`'s request `nonce` for `function` (result `[9; 32]`) signed by
/// `signers`, and its request id.
pub fn receipt<'a>(
    invoker: &Invoker,
    function: u64,
    code_hash: &[u8; 32],
    nonce: u64,
    signers: impl IntoIterator<Item = &'a SimWorker>,
) -> (Receipt, [u8; 32]) {
    let (req, id) = invoker.request(CHAIN_ID, function, nonce, MAX_FEE);
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

/// Registers `head` as a head worker (minted its bond first).
pub fn register_head(chain: &mut Chain, head: &SimWorker) {
    chain.mint(&head.addr, BOND);
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
    };
    chain
        .tx(
            &RegistryModule,
            &head.addr,
            encode_any(&msg, MSG_REGISTER_WORKER),
        )
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
