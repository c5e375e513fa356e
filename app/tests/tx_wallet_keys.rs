//! Accounts controlled by browser-wallet keys sign txs through their wallets' envelopes around
//! the amino-JSON doc: an Ethereum key (MetaMask) signs EIP-712 typed data, an Aptos key
//! (Martian) the `signMessage` text. Real keys and signatures; addresses derived here from the
//! Ethereum and Aptos rules, not with the chain's code. Every forgery is refused and changes
//! nothing.

mod tx_common;

use bls_core::Address;
use bls_proto::amino::{FeeCoin, StdSignDoc};
use bls_proto::eip712::TypedData;
use cosmos_sdk_proto::cosmos::tx::signing::v1beta1::SignMode;
use k256::ecdsa::SigningKey;
use sha3::{Digest, Keccak256, Sha3_256};
use tx_common::*;

const ETH_KEY: &str = "/cosmos.evm.crypto.v1.ethsecp256k1.PubKey";
const APTOS_KEY: &str = "/bls.crypto.v1.AptosPubKey";

struct EthKey {
    sk: SigningKey,
    compressed: Vec<u8>,
    addr: Address,
}

impl EthKey {
    fn new(seed: u8) -> Self {
        let sk = SigningKey::from_slice(&[seed; 32]).unwrap();
        let compressed = sk
            .verifying_key()
            .to_encoded_point(true)
            .as_bytes()
            .to_vec();
        let uncompressed = sk.verifying_key().to_encoded_point(false);
        // Ethereum: the last 20 bytes of keccak256 of the 64-byte point.
        let addr = Address::from_bytes(&Keccak256::digest(&uncompressed.as_bytes()[1..])[12..]);
        Self {
            sk,
            compressed,
            addr,
        }
    }

    /// `r ‖ s ‖ v` over `digest`, as `eth_signTypedData_v4` returns it.
    fn sign(&self, digest: &[u8; 32]) -> Vec<u8> {
        let (sig, rec) = self.sk.sign_prehash_recoverable(digest).unwrap();
        let mut out = sig.to_bytes().to_vec();
        out.push(27 + rec.to_byte());
        out
    }
}

struct AptosKey {
    sk: ed25519_consensus::SigningKey,
    pk: Vec<u8>,
    addr: Address,
}

impl AptosKey {
    fn new(seed: u8) -> Self {
        let sk = ed25519_consensus::SigningKey::from([seed; 32]);
        let pk = sk.verification_key().to_bytes().to_vec();
        // Aptos: the account address is sha3-256(key ‖ 0x00); bls takes its first 20 bytes.
        let mut h = Sha3_256::new();
        h.update(&pk);
        h.update([0u8]);
        let addr = Address::from_bytes(&h.finalize()[..20]);
        Self { sk, pk, addr }
    }
}

/// The doc of `spec` for `chain_id` as the chain's typed-data builder takes it.
fn std_doc(spec: &TxSpec, chain_id: &str) -> StdSignDoc {
    StdSignDoc {
        chain_id: chain_id.into(),
        account_number: spec.account_number,
        sequence: spec.sequence,
        fee: vec![FeeCoin {
            denom: "ubls".into(),
            amount: spec.fee.to_string(),
        }],
        gas: spec.gas_limit,
        memo: spec.memo.clone(),
        timeout_height: spec.timeout_height,
        msgs: spec
            .msgs
            .iter()
            .map(|m| (m.type_url.clone(), m.value.clone()))
            .collect(),
    }
}

fn eth_digest(spec: &TxSpec, chain_id: &str) -> [u8; 32] {
    TypedData::from_sign_doc(&std_doc(spec, chain_id))
        .unwrap()
        .signing_hash()
        .unwrap()
}

/// The Aptos `signMessage` text (AIP-62 `fullMessage` with no address, application or chain).
fn aptos_text(spec: &TxSpec, nonce: u64) -> String {
    format!(
        "APTOS\nmessage: {}\nnonce: {nonce}",
        spec.amino_doc(&spec.chain_id)
    )
}

/// A chain where alice funded `eth` and `aptos`.
fn funded(eth: &EthKey, aptos: &AptosKey) -> cosmwasm_std::testing::MockStorage {
    let mut s = genesis();
    let p = pipeline();
    let a = alice();
    for (i, to) in [&eth.addr, &aptos.addr].into_iter().enumerate() {
        let spec = TxSpec::new(vec![send_msg(&a.addr, to, 1_000_000)], 0, i as u64);
        assert_eq!(p.deliver_tx(&mut s, &block(1), &spec.build(&a)).code, 0);
    }
    s
}

fn eth_spec(s: &dyn cosmwasm_std::Storage, eth: &EthKey) -> TxSpec {
    let acc = account(s, &eth.addr);
    let mut spec = TxSpec::new(
        vec![send_msg(&eth.addr, &carol(), 5)],
        acc.account_number,
        0,
    );
    spec.sign_mode = SignMode::LegacyAminoJson;
    spec.pubkey_type_url = ETH_KEY.into();
    spec
}

fn aptos_spec(s: &dyn cosmwasm_std::Storage, aptos: &AptosKey) -> TxSpec {
    let acc = account(s, &aptos.addr);
    let mut spec = TxSpec::new(
        vec![send_msg(&aptos.addr, &carol(), 6)],
        acc.account_number,
        0,
    );
    spec.sign_mode = SignMode::LegacyAminoJson;
    spec.pubkey_type_url = APTOS_KEY.into();
    spec
}

#[test]
fn an_ethereum_key_signs_eip712_and_an_aptos_key_the_envelope() {
    let (eth, aptos) = (EthKey::new(11), AptosKey::new(12));
    let mut s = funded(&eth, &aptos);
    let p = pipeline();

    let spec = eth_spec(&s, &eth);
    let raw = spec.raw(&eth.compressed, eth.sign(&eth_digest(&spec, CHAIN_ID)));
    let o = p.deliver_tx(&mut s, &block(2), &raw);
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(
        account(&s, &eth.addr).pub_key,
        Some(bls_auth::PubKey::EthSecp256k1(eth.compressed.clone()))
    );

    let spec = aptos_spec(&s, &aptos);
    let sig = aptos
        .sk
        .sign(aptos_text(&spec, 0).as_bytes())
        .to_bytes()
        .to_vec();
    let o = p.deliver_tx(&mut s, &block(2), &spec.raw(&aptos.pk, sig));
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(ubls(&s, &carol()), 11);
    assert_eq!(account(&s, &aptos.addr).sequence, 1);

    // The next tx signs the next nonce. It carries the key again: in amino mode the key is not
    // in the signed doc, so a tx without it (a second encoding of the same signed tx) is refused.
    let mut spec = aptos_spec(&s, &aptos);
    spec.sequence = 1;
    let sig = aptos
        .sk
        .sign(aptos_text(&spec, 1).as_bytes())
        .to_bytes()
        .to_vec();
    spec.include_pubkey = false;
    let o = p.deliver_tx(&mut s, &block(3), &spec.raw(&aptos.pk, sig.clone()));
    assert_eq!(o.code, 37, "{o:?}");
    assert!(o.log.contains("a signer without its public key"), "{o:?}");
    spec.include_pubkey = true;
    let o = p.deliver_tx(&mut s, &block(3), &spec.raw(&aptos.pk, sig));
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(ubls(&s, &carol()), 17);
}

#[test]
fn forged_wallet_signatures_are_refused_and_change_nothing() {
    let (eth, aptos) = (EthKey::new(11), AptosKey::new(12));
    let mut s = funded(&eth, &aptos);
    let p = pipeline();
    let spec = eth_spec(&s, &eth);
    let good = eth.sign(&eth_digest(&spec, CHAIN_ID));
    let mut cases: Vec<(&str, Vec<u8>, u32, String)> = Vec::new();

    cases.push((
        "typed data naming another chain",
        spec.raw(&eth.compressed, eth.sign(&eth_digest(&spec, "bls-other-1"))),
        4,
        "signature verification failed".into(),
    ));
    let mut flipped = good.clone();
    flipped[64] ^= 1;
    cases.push((
        "the other recovery id",
        spec.raw(&eth.compressed, flipped),
        4,
        "signature verification failed".into(),
    ));
    cases.push((
        "64-byte signature without v",
        spec.raw(&eth.compressed, good[..64].to_vec()),
        4,
        "65 bytes".into(),
    ));
    let other = EthKey::new(13);
    cases.push((
        "signed by another Ethereum key",
        spec.raw(&eth.compressed, other.sign(&eth_digest(&spec, CHAIN_ID))),
        4,
        "signature verification failed".into(),
    ));
    let mut as_cosmos = spec.clone();
    as_cosmos.pubkey_type_url = "/cosmos.crypto.secp256k1.PubKey".into();
    cases.push((
        "the Ethereum key declared as a Cosmos key",
        as_cosmos.raw(&eth.compressed, good.clone()),
        8,
        "does not match signer address".into(),
    ));
    let mut direct = spec.clone();
    direct.sign_mode = SignMode::Direct;
    cases.push((
        "an Ethereum key in direct mode",
        direct.raw(&eth.compressed, good.clone()),
        37,
        "SIGN_MODE_DIRECT with an Ethereum key".into(),
    ));
    let mut memo = spec.clone();
    memo.memo = "added after signing".into();
    cases.push((
        "memo added after signing",
        memo.raw(&eth.compressed, good),
        4,
        "signature verification failed".into(),
    ));

    let spec = aptos_spec(&s, &aptos);
    let bare = aptos
        .sk
        .sign(spec.amino_doc(CHAIN_ID).as_bytes())
        .to_bytes()
        .to_vec();
    cases.push((
        "Aptos signature over the bare doc",
        spec.raw(&aptos.pk, bare),
        4,
        "signature verification failed".into(),
    ));
    let wrong_nonce = aptos
        .sk
        .sign(aptos_text(&spec, 5).as_bytes())
        .to_bytes()
        .to_vec();
    cases.push((
        "Aptos envelope with another nonce",
        spec.raw(&aptos.pk, wrong_nonce),
        4,
        "signature verification failed".into(),
    ));
    let mut direct = spec.clone();
    direct.sign_mode = SignMode::Direct;
    let sig = aptos
        .sk
        .sign(&direct.sign_doc(&aptos.pk))
        .to_bytes()
        .to_vec();
    cases.push((
        "an Aptos key in direct mode",
        direct.raw(&aptos.pk, sig),
        37,
        "SIGN_MODE_DIRECT with an Aptos key".into(),
    ));

    assert_refused_and_unchanged(&p, &mut s, &cases);
}

#[test]
fn the_key_type_urls_are_messages_of_the_schema() {
    for url in [ETH_KEY, APTOS_KEY] {
        assert_eq!(
            bls_auth::PubKey::from_parts(url, vec![0; 3]).map_err(|e| e.to_string()),
            Err(format!(
                "invalid pubkey: {}",
                if url == ETH_KEY {
                    "secp256k1 key must be 33 bytes (compressed), got 3"
                } else {
                    "ed25519 key must be 32 bytes, got 3"
                }
            )),
        );
        let desc = bls_proto::descriptor_pool()
            .get_message_by_name(url.trim_start_matches('/'))
            .unwrap_or_else(|| panic!("{url} is not in proto/"));
        assert_eq!(
            desc.fields()
                .map(|f| (f.number(), f.name().to_string()))
                .collect::<Vec<_>>(),
            vec![(1, "key".to_string())]
        );
    }
}

/// With the node's signature cache, an amino-mode tx is verified once (CheckTx), found again in
/// DeliverTx without rebuilding its doc, and a signature that differs is still checked and
/// refused: the cache records the key and its type, the tx's signing context and the signature.
#[test]
fn the_signature_cache_remembers_amino_txs_by_their_context() {
    let (eth, aptos) = (EthKey::new(11), AptosKey::new(12));
    let mut s = funded(&eth, &aptos);
    let cache = bls_app::tx::sig_cache::SigCache::new(16);
    let p = pipeline().with_sig_cache(&cache);
    let spec = eth_spec(&s, &eth);
    let good = eth.sign(&eth_digest(&spec, CHAIN_ID));
    let mut flipped = good.clone();
    flipped[64] ^= 1;
    let o = p.check_tx(
        &mut copy(&s),
        &block(2),
        &spec.raw(&eth.compressed, flipped.clone()),
    );
    assert_eq!(o.code, 4, "{o:?}");
    assert_eq!(cache.len(), 0, "a failure is not remembered");
    let raw = spec.raw(&eth.compressed, good);
    assert_eq!(p.check_tx(&mut copy(&s), &block(2), &raw).code, 0);
    assert_eq!(cache.len(), 1);
    let o = p.deliver_tx(&mut s, &block(2), &raw);
    assert_eq!(o.code, 0, "{o:?}");
    assert_eq!(cache.len(), 1, "DeliverTx found CheckTx's entry");
    let o = p.check_tx(
        &mut copy(&s),
        &block(3),
        &spec.raw(&eth.compressed, flipped),
    );
    assert_ne!(o.code, 0, "{o:?}");
}
