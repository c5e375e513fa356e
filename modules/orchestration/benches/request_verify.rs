//! What checking a fast-path request's signature costs per sign scheme (`SignedRequest::verify`,
//! run by the head and every worker on each request, and by the chain on each receipt):
//! `direct` (the CLI: secp256k1 over the id) is the baseline; the wallet schemes rebuild the
//! request text and check Keplr's ADR-036 doc, MetaMask's `personal_sign` (a key recovery)
//! or the Aptos envelope (ed25519).
//!
//! `cargo bench -p bls-orchestration --bench request_verify` (BENCHMARKS.md).

use bls_auth::signature::aptos_full_message;
use bls_auth::text_signature::{adr036_doc, personal_sign_digest};
use bls_auth::PubKey;
use bls_core::Address;
use bls_orchestration::fastpath::msgs::{ProtoCoin, RequestSignScheme, SignedRequest};
use bls_orchestration::fastpath::request::{request_id, request_text};
use criterion::{criterion_group, criterion_main, Criterion};
use k256::ecdsa::signature::Signer;
use k256::ecdsa::{Signature, SigningKey};

const CHAIN: &str = "bls-bench";

fn signed(scheme: RequestSignScheme) -> SignedRequest {
    let sk = SigningKey::from_slice(&[7; 32]).expect("key");
    let secp = sk
        .verifying_key()
        .to_encoded_point(true)
        .as_bytes()
        .to_vec();
    let ed = ed25519_consensus::SigningKey::from([7; 32]);
    let (pubkey, invoker) = match scheme {
        RequestSignScheme::Direct | RequestSignScheme::Adr036 => {
            (secp.clone(), Address::from_secp256k1_pubkey(&secp))
        }
        RequestSignScheme::PersonalSign => {
            (secp.clone(), PubKey::EthSecp256k1(secp.clone()).address())
        }
        RequestSignScheme::Aptos => {
            let raw = ed.verification_key().to_bytes().to_vec();
            (raw.clone(), PubKey::AptosEd25519(raw).address())
        }
    };
    let mut r = SignedRequest {
        invoker: invoker.to_string(),
        invoker_pubkey: pubkey,
        function_id: 1,
        nonce: 42,
        max_fee: Some(ProtoCoin::ubls(100_000)),
        payload_hash: vec![1; 32],
        signature: Vec::new(),
        code_hash: vec![2; 32],
        expiry_height: 100,
        time_secs: 1_800_000_000,
        time_nanos: 0,
        sign_scheme: scheme as i32,
    };
    let t = r.terms().expect("terms");
    let id = request_id(CHAIN, &t);
    let text = request_text(CHAIN, &t, &id);
    let low_s = |s: Signature| s.normalize_s().unwrap_or(s).to_bytes().to_vec();
    r.signature = match scheme {
        RequestSignScheme::Direct => low_s(sk.sign(&id)),
        RequestSignScheme::Adr036 => low_s(sk.sign(&adr036_doc(&r.invoker, text.as_bytes()))),
        RequestSignScheme::PersonalSign => {
            let (s, rec) = sk
                .sign_prehash_recoverable(&personal_sign_digest(&text))
                .expect("sign");
            let mut out = s.to_bytes().to_vec();
            out.push(27 + rec.to_byte());
            out
        }
        RequestSignScheme::Aptos => ed
            .sign(aptos_full_message(&text, "42").as_bytes())
            .to_bytes()
            .to_vec(),
    };
    r
}

fn bench_verify(c: &mut Criterion) {
    let mut group = c.benchmark_group("request_verify");
    for scheme in [
        RequestSignScheme::Direct,
        RequestSignScheme::Adr036,
        RequestSignScheme::PersonalSign,
        RequestSignScheme::Aptos,
    ] {
        let r = signed(scheme);
        r.verify(CHAIN).expect("verifies");
        group.bench_function(scheme.name(), |b| {
            b.iter(|| r.verify(CHAIN).expect("verifies"))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_verify);
criterion_main!(benches);
