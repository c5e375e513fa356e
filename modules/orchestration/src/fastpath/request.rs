//! The invoker-signed fast-path request: what its id binds, how anyone checks it, and the
//! window of heights in which it is alive.
//!
//! # What the id binds (v2)
//! [`request_id`] is sha256 over a domain tag and, length-prefixed or fixed-width: the chain
//! id, the invoker, the function id, the **code hash** the invoker asks for, the nonce, the
//! max fee, the payload hash (input, args and extra env, [`payload_hash`]), the **expiry
//! height** and the **guest clock** (`time_secs`, `time_nanos`). Together with the seed (the
//! request id itself) that is everything that determines a deterministic function's outcome,
//! so two honest workers given the same signed request compute the same result, whoever
//! relays it, and a head cannot pick a clock that makes them disagree: a different clock is a
//! different request id.
//!
//! # Where it lives
//! A request with expiry `E` is alive on chain in `[E - fastpath_request_ttl, E +
//! fastpath_settle_window]`: heads and workers serve it only while `tip ≤ E ≤ tip + ttl`
//! ([`serve_window`]); settlement and evidence accept it until `E + settle_window` and refuse
//! an expiry more than `ttl` ahead of the chain ([`chain_window`]). A worker's result key is
//! valid for the request when its range overlaps `[E - ttl, E]` ([`key_window`]).
//!
//! # Who signs it, and how
//! The CLI and SDKs sign the id itself (secp256k1 over sha256 of the id). A browser wallet
//! cannot sign a raw digest, but each signs text: Keplr by ADR-036, MetaMask by `personal_sign`,
//! an Aptos wallet by its `signMessage` envelope. Those schemes sign [`request_text`], which
//! names the chain, function, most paid and expiry for the person approving it and ends with
//! the hex id, so it binds everything the id binds. `sign_scheme` says which; the key must be
//! of that scheme's kind and derive the invoker under that kind's address rule
//! (`bls_auth::text_signature`).

use std::collections::BTreeMap;

use bls_auth::text_signature::{verify_text, TextScheme};
use bls_auth::PubKey;
use bls_core::Address;
use sha2::{Digest, Sha256};

use super::msgs::{RequestSignScheme, SignedRequest};

const REQUEST_DOMAIN: &[u8] = b"bls/fastpath/request/v2";

/// Largest `time_nanos` (a clock's sub-second part).
pub const MAX_TIME_NANOS: u32 = 999_999_999;

fn put_len_prefixed(h: &mut Sha256, bytes: &[u8]) {
    h.update(u64::try_from(bytes.len()).unwrap_or(u64::MAX).to_be_bytes());
    h.update(bytes);
}

/// sha256 over the input, the args and the request's extra environment variables, each
/// length-prefixed (unambiguous). The environment is hashed in key order and only when it
/// is not empty, so a request without one hashes exactly as input and args alone.
pub fn payload_hash(input: &[u8], args: &[String], env: &BTreeMap<String, String>) -> [u8; 32] {
    payload_hash_sealed(input, args, env, &BTreeMap::new())
}

/// [`payload_hash`] that also binds the request's sealed secrets: each name with the
/// commitment to its value (never the value, which only the workers can open; not the
/// envelopes either, which differ per worker), in name order, only when there are any. So the
/// invoker's signature fixes which value every worker must run with, and a head that swaps an
/// envelope only makes that worker refuse.
pub fn payload_hash_sealed(
    input: &[u8],
    args: &[String],
    env: &BTreeMap<String, String>,
    sealed: &BTreeMap<String, [u8; 32]>,
) -> [u8; 32] {
    let mut h = Sha256::new();
    put_len_prefixed(&mut h, input);
    h.update(u64::try_from(args.len()).unwrap_or(u64::MAX).to_be_bytes());
    for a in args {
        put_len_prefixed(&mut h, a.as_bytes());
    }
    if !env.is_empty() {
        h.update(u64::try_from(env.len()).unwrap_or(u64::MAX).to_be_bytes());
        for (k, v) in env {
            put_len_prefixed(&mut h, k.as_bytes());
            put_len_prefixed(&mut h, v.as_bytes());
        }
    }
    if !sealed.is_empty() {
        h.update(b"sealed");
        h.update(
            u64::try_from(sealed.len())
                .unwrap_or(u64::MAX)
                .to_be_bytes(),
        );
        for (name, commitment) in sealed {
            put_len_prefixed(&mut h, name.as_bytes());
            h.update(commitment);
        }
    }
    h.finalize().into()
}

/// The fields of a request its id binds (everything but the key and the signature).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestTerms {
    /// Invoker address (bech32).
    pub invoker: String,
    /// Function id.
    pub function_id: u64,
    /// sha256 of the code the invoker asks to run.
    pub code_hash: [u8; 32],
    /// Invoker-chosen nonce.
    pub nonce: u64,
    /// Most the invoker pays (ubls).
    pub max_fee: u128,
    /// [`payload_hash`] of input, args and env.
    pub payload_hash: [u8; 32],
    /// Last height at which the request may be served.
    pub expiry_height: u64,
    /// Guest clock, seconds since the Unix epoch.
    pub time_secs: u64,
    /// Guest clock, nanoseconds part (≤ [`MAX_TIME_NANOS`]).
    pub time_nanos: u32,
}

/// The request id the invoker signs (see the module docs for what it binds). Binding the
/// chain id stops cross-chain replay; the nonce makes every request distinct.
pub fn request_id(chain_id: &str, t: &RequestTerms) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(REQUEST_DOMAIN);
    put_len_prefixed(&mut h, chain_id.as_bytes());
    put_len_prefixed(&mut h, t.invoker.as_bytes());
    h.update(t.function_id.to_be_bytes());
    h.update(t.code_hash);
    h.update(t.nonce.to_be_bytes());
    h.update(t.max_fee.to_be_bytes());
    h.update(t.payload_hash);
    h.update(t.expiry_height.to_be_bytes());
    h.update(t.time_secs.to_be_bytes());
    h.update(t.time_nanos.to_be_bytes());
    h.finalize().into()
}

/// The text a wallet signs for a request (every scheme but
/// [`RequestSignScheme::Direct`]): what the person approving it needs to see, then the id.
pub fn request_text(chain_id: &str, t: &RequestTerms, id: &[u8; 32]) -> String {
    format!(
        "bls fast-path request\nchain: {chain_id}\nfunction: {}\nmax fee: {} ubls\n\
         expires at height: {}\nrequest: {}",
        t.function_id,
        t.max_fee,
        t.expiry_height,
        hex::encode(id)
    )
}

/// Why a signed request is not acceptable (before any chain state is consulted).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// A field is malformed.
    #[error("invalid request {field}: {reason}")]
    Malformed {
        /// Field name.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// The key does not derive the invoker, or the signature does not verify.
    #[error("invoker signature invalid: {0}")]
    BadSignature(String),
}

fn malformed(field: &'static str, reason: impl Into<String>) -> RequestError {
    RequestError::Malformed {
        field,
        reason: reason.into(),
    }
}

fn hash32(field: &'static str, b: &[u8]) -> Result<[u8; 32], RequestError> {
    <[u8; 32]>::try_from(b)
        .map_err(|_| malformed(field, format!("must be 32 bytes, got {}", b.len())))
}

/// A request whose invoker signature verified: its terms and id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedRequest {
    /// The invoker.
    pub invoker: Address,
    /// What the id binds.
    pub terms: RequestTerms,
    /// The request id.
    pub id: [u8; 32],
}

impl SignedRequest {
    /// The terms of this request, with every field's shape checked.
    pub fn terms(&self) -> Result<RequestTerms, RequestError> {
        Address::parse(&self.invoker).map_err(|e| malformed("invoker", e.to_string()))?;
        let c = self
            .max_fee
            .as_ref()
            .ok_or_else(|| malformed("max_fee", "required"))?;
        if c.denom != bls_core::DENOM {
            return Err(malformed(
                "max_fee",
                format!("denom must be {}", bls_core::DENOM),
            ));
        }
        let max_fee = bls_core::coins::parse_amount(&c.amount)
            .map_err(|e| malformed("max_fee", e.to_string()))?;
        if self.time_nanos > MAX_TIME_NANOS {
            return Err(malformed(
                "time_nanos",
                format!("must be at most {MAX_TIME_NANOS}, got {}", self.time_nanos),
            ));
        }
        if self.expiry_height == 0 {
            return Err(malformed("expiry_height", "must be positive"));
        }
        Ok(RequestTerms {
            invoker: self.invoker.clone(),
            function_id: self.function_id,
            code_hash: hash32("code_hash", &self.code_hash)?,
            nonce: self.nonce,
            max_fee,
            payload_hash: hash32("payload_hash", &self.payload_hash)?,
            expiry_height: self.expiry_height,
            time_secs: self.time_secs,
            time_nanos: self.time_nanos,
        })
    }

    /// Recomputes the request id for `chain_id` and checks that `invoker_pubkey` derives the
    /// invoker and signed it in `sign_scheme` (see the module docs). A request nobody signed
    /// is nothing: no receipt, no evidence, no work.
    pub fn verify(&self, chain_id: &str) -> Result<VerifiedRequest, RequestError> {
        let terms = self.terms()?;
        let invoker =
            Address::parse(&terms.invoker).map_err(|e| malformed("invoker", e.to_string()))?;
        let scheme = RequestSignScheme::try_from(self.sign_scheme).map_err(|_| {
            malformed(
                "sign_scheme",
                format!("unknown scheme {}", self.sign_scheme),
            )
        })?;
        let id = request_id(chain_id, &terms);
        let text_scheme = match scheme {
            RequestSignScheme::Direct => {
                if self.invoker_pubkey.len() != 33
                    || Address::from_secp256k1_pubkey(&self.invoker_pubkey) != invoker
                {
                    return Err(RequestError::BadSignature(
                        "invoker_pubkey does not derive the invoker address".into(),
                    ));
                }
                bls_auth::signature::verify_secp256k1(&self.invoker_pubkey, &id, &self.signature)
                    .map_err(|e| RequestError::BadSignature(e.to_string()))?;
                return Ok(VerifiedRequest { invoker, terms, id });
            }
            RequestSignScheme::Adr036 => TextScheme::Adr036,
            RequestSignScheme::PersonalSign => TextScheme::PersonalSign,
            RequestSignScheme::Aptos => TextScheme::Aptos,
        };
        let key = PubKey::from_parts(text_scheme.key_type_url(), self.invoker_pubkey.clone())
            .map_err(|e| RequestError::BadSignature(format!("invoker_pubkey: {e}")))?;
        if key.address() != invoker {
            return Err(RequestError::BadSignature(
                "invoker_pubkey does not derive the invoker address".into(),
            ));
        }
        verify_text(
            text_scheme,
            &key,
            &invoker,
            &request_text(chain_id, &terms, &id),
            &terms.nonce.to_string(),
            &self.signature,
        )
        .map_err(|e| RequestError::BadSignature(e.to_string()))?;
        Ok(VerifiedRequest { invoker, terms, id })
    }
}

/// Where a request stands relative to a height.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Window {
    /// Inside the window.
    Open,
    /// The expiry is more than `ttl` blocks ahead: not valid yet.
    TooEarly {
        /// First height at which it would be.
        from: u64,
    },
    /// Past the window.
    Closed {
        /// Last height that was inside.
        until: u64,
    },
}

/// Whether a head or worker at chain tip `tip` may serve a request expiring at `expiry`:
/// `tip ≤ expiry ≤ tip + ttl`.
pub fn serve_window(expiry: u64, tip: u64, ttl: u64) -> Window {
    if expiry < tip {
        Window::Closed { until: expiry }
    } else if expiry > tip.saturating_add(ttl) {
        Window::TooEarly {
            from: expiry.saturating_sub(ttl),
        }
    } else {
        Window::Open
    }
}

/// Whether the chain at `height` accepts a receipt or evidence about a request expiring at
/// `expiry`: `expiry - ttl ≤ height ≤ expiry + settle_window`.
pub fn chain_window(expiry: u64, height: u64, ttl: u64, settle_window: u64) -> Window {
    let until = expiry.saturating_add(settle_window);
    if height > until {
        Window::Closed { until }
    } else if expiry > height.saturating_add(ttl) {
        Window::TooEarly {
            from: expiry.saturating_sub(ttl),
        }
    } else {
        Window::Open
    }
}

/// The heights `[expiry - ttl, expiry]` during which a worker may have signed for a request:
/// a result key counts for the request when the range it was current overlaps this one.
pub fn key_window(expiry: u64, ttl: u64) -> (u64, u64) {
    (expiry.saturating_sub(ttl), expiry)
}

/// The height from which nothing about a request expiring at `expiry` can be accepted any
/// more, so its replay marker and evidence markers may be forgotten: the last height of its
/// chain window (they are dropped in that block's end block).
pub fn prune_height(expiry: u64, settle_window: u64) -> u64 {
    expiry.saturating_add(settle_window)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms() -> RequestTerms {
        RequestTerms {
            invoker: "bls1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqvvf6ka".into(),
            function_id: 1,
            code_hash: [1; 32],
            nonce: 2,
            max_fee: 3,
            payload_hash: [4; 32],
            expiry_height: 5,
            time_secs: 6,
            time_nanos: 7,
        }
    }

    #[test]
    fn every_term_changes_the_id() {
        let base = request_id("c", &terms());
        type Change = Box<dyn Fn(&mut RequestTerms)>;
        let variants: Vec<Change> = vec![
            Box::new(|t| t.invoker.push('x')),
            Box::new(|t| t.function_id += 1),
            Box::new(|t| t.code_hash[0] ^= 1),
            Box::new(|t| t.nonce += 1),
            Box::new(|t| t.max_fee += 1),
            Box::new(|t| t.payload_hash[0] ^= 1),
            Box::new(|t| t.expiry_height += 1),
            Box::new(|t| t.time_secs += 1),
            Box::new(|t| t.time_nanos += 1),
        ];
        for (i, f) in variants.iter().enumerate() {
            let mut t = terms();
            f(&mut t);
            assert_ne!(request_id("c", &t), base, "variant {i}");
        }
        assert_ne!(request_id("d", &terms()), base);
    }

    #[test]
    fn windows() {
        assert_eq!(serve_window(10, 10, 5), Window::Open);
        assert_eq!(serve_window(15, 10, 5), Window::Open);
        assert_eq!(serve_window(9, 10, 5), Window::Closed { until: 9 });
        assert_eq!(serve_window(16, 10, 5), Window::TooEarly { from: 11 });
        assert_eq!(chain_window(10, 30, 5, 20), Window::Open);
        assert_eq!(chain_window(10, 31, 5, 20), Window::Closed { until: 30 });
        assert_eq!(chain_window(10, 5, 5, 20), Window::Open);
        assert_eq!(chain_window(10, 4, 5, 20), Window::TooEarly { from: 5 });
        assert_eq!(key_window(10, 5), (5, 10));
        assert_eq!(key_window(3, 5), (0, 3));
        assert_eq!(
            chain_window(u64::MAX, 1, 5, 20),
            Window::TooEarly { from: u64::MAX - 5 }
        );
    }

    /// The vector `clients/ts/test/fastpath.test.mjs` checks too: a browser computes the
    /// same id and text as the chain.
    #[test]
    fn the_id_and_text_match_the_typescript_client() {
        let env = BTreeMap::from([
            ("B".to_string(), "2".to_string()),
            ("A".to_string(), "1".to_string()),
            ("ü".to_string(), "3".to_string()),
        ]);
        let t = RequestTerms {
            invoker: "bls1invoker".into(),
            function_id: 7,
            code_hash: [0x11; 32],
            nonce: 42,
            max_fee: (1u128 << 70) + 5,
            payload_hash: payload_hash(b"Ada", &["x".into(), "é".into()], &env),
            expiry_height: 100,
            time_secs: 1_800_000_000,
            time_nanos: 123,
        };
        let id = request_id("bls-test", &t);
        let want = "7a9da4480ed44b51d00de92468be424b5346c0982ca739eca613f8229e4ea8cb";
        assert_eq!(hex::encode(id), want);
        assert_eq!(
            request_text("bls-test", &t, &id),
            format!(
                "bls fast-path request\nchain: bls-test\nfunction: 7\nmax fee: {} ubls\n\
                 expires at height: 100\nrequest: {want}",
                (1u128 << 70) + 5
            )
        );
    }

    mod wallets {
        use super::super::*;
        use bls_auth::signature::aptos_full_message;
        use bls_auth::text_signature::{adr036_doc, personal_sign_digest};
        use k256::ecdsa::signature::Signer;
        use k256::ecdsa::{Signature, SigningKey};

        const CHAIN: &str = "bls-test";

        /// A request by `key` (of `scheme`'s kind) with terms signed for `chain`.
        fn request(scheme: RequestSignScheme, seed: u8, chain: &str) -> SignedRequest {
            let (pubkey, invoker) = key_of(scheme, seed);
            let mut r = SignedRequest {
                invoker: invoker.to_string(),
                invoker_pubkey: pubkey,
                function_id: 3,
                nonce: 9,
                max_fee: Some(super::super::super::msgs::ProtoCoin::ubls(5000)),
                payload_hash: vec![1; 32],
                signature: Vec::new(),
                code_hash: vec![2; 32],
                expiry_height: 50,
                time_secs: 1_700_000_000,
                time_nanos: 0,
                sign_scheme: scheme as i32,
            };
            r.signature = sign(scheme, seed, chain, &r);
            r
        }

        fn key_of(scheme: RequestSignScheme, seed: u8) -> (Vec<u8>, Address) {
            match scheme {
                RequestSignScheme::Aptos => {
                    let k = ed25519_consensus::SigningKey::from([seed; 32]);
                    let raw = k.verification_key().to_bytes().to_vec();
                    let addr = PubKey::AptosEd25519(raw.clone()).address();
                    (raw, addr)
                }
                _ => {
                    let sk = SigningKey::from_slice(&[seed; 32]).unwrap();
                    let raw = sk
                        .verifying_key()
                        .to_encoded_point(true)
                        .as_bytes()
                        .to_vec();
                    let addr = if scheme == RequestSignScheme::PersonalSign {
                        PubKey::EthSecp256k1(raw.clone()).address()
                    } else {
                        Address::from_secp256k1_pubkey(&raw)
                    };
                    (raw, addr)
                }
            }
        }

        fn sign(scheme: RequestSignScheme, seed: u8, chain: &str, r: &SignedRequest) -> Vec<u8> {
            let t = r.terms().unwrap();
            let id = request_id(chain, &t);
            let text = request_text(chain, &t, &id);
            match scheme {
                RequestSignScheme::Direct => {
                    let s: Signature = SigningKey::from_slice(&[seed; 32]).unwrap().sign(&id);
                    s.normalize_s().unwrap_or(s).to_bytes().to_vec()
                }
                RequestSignScheme::Adr036 => {
                    let s: Signature = SigningKey::from_slice(&[seed; 32])
                        .unwrap()
                        .sign(&adr036_doc(&r.invoker, text.as_bytes()));
                    s.normalize_s().unwrap_or(s).to_bytes().to_vec()
                }
                RequestSignScheme::PersonalSign => {
                    let (s, rec) = SigningKey::from_slice(&[seed; 32])
                        .unwrap()
                        .sign_prehash_recoverable(&personal_sign_digest(&text))
                        .unwrap();
                    let mut out = s.to_bytes().to_vec();
                    out.push(27 + rec.to_byte());
                    out
                }
                RequestSignScheme::Aptos => ed25519_consensus::SigningKey::from([seed; 32])
                    .sign(aptos_full_message(&text, &t.nonce.to_string()).as_bytes())
                    .to_bytes()
                    .to_vec(),
            }
        }

        fn refused(r: &SignedRequest, chain: &str, why: &str) {
            match r.verify(chain) {
                Err(e) => assert!(e.to_string().contains(why), "{why}: got {e}"),
                Ok(_) => panic!("accepted: {why}"),
            }
        }

        const SCHEMES: [RequestSignScheme; 4] = [
            RequestSignScheme::Direct,
            RequestSignScheme::Adr036,
            RequestSignScheme::PersonalSign,
            RequestSignScheme::Aptos,
        ];

        #[test]
        fn each_scheme_verifies_with_the_same_id() {
            for scheme in SCHEMES {
                let r = request(scheme, 7, CHAIN);
                let v = r
                    .verify(CHAIN)
                    .unwrap_or_else(|e| panic!("{scheme:?}: {e}"));
                assert_eq!(v.id, request_id(CHAIN, &r.terms().unwrap()));
                assert_eq!(v.invoker.as_str(), r.invoker);
            }
        }

        #[test]
        fn forgeries_are_refused() {
            for scheme in SCHEMES {
                let r = request(scheme, 7, CHAIN);
                // Signed for another chain.
                refused(&request(scheme, 7, "other-chain"), CHAIN, "");
                // Any signed term changed after signing (the relay raises the fee).
                let mut raised = r.clone();
                raised.max_fee = Some(super::super::super::msgs::ProtoCoin::ubls(5001));
                refused(&raised, CHAIN, "");
                let mut later = r.clone();
                later.expiry_height += 1;
                refused(&later, CHAIN, "");
                // Another key's signature over the victim's request.
                let mut stolen = r.clone();
                stolen.signature = request(scheme, 8, CHAIN).signature;
                refused(&stolen, CHAIN, "");
                // Another account's key presented for the victim.
                let mut other_key = r.clone();
                other_key.invoker_pubkey = key_of(scheme, 8).0;
                other_key.signature = sign(scheme, 8, CHAIN, &other_key);
                refused(&other_key, CHAIN, "does not derive the invoker");
                // The same signature relabelled as every other scheme.
                for other in SCHEMES.into_iter().filter(|o| *o != scheme) {
                    let mut relabelled = r.clone();
                    relabelled.sign_scheme = other as i32;
                    refused(&relabelled, CHAIN, "");
                }
            }
            let mut unknown = request(RequestSignScheme::Direct, 7, CHAIN);
            unknown.sign_scheme = 9;
            refused(&unknown, CHAIN, "unknown scheme 9");
        }

        #[test]
        fn an_aptos_envelope_with_another_nonce_is_refused() {
            let mut r = request(RequestSignScheme::Aptos, 7, CHAIN);
            let t = r.terms().unwrap();
            let text = request_text(CHAIN, &t, &request_id(CHAIN, &t));
            r.signature = ed25519_consensus::SigningKey::from([7; 32])
                .sign(aptos_full_message(&text, "10").as_bytes())
                .to_bytes()
                .to_vec();
            refused(&r, CHAIN, "");
        }

        #[test]
        fn scheme_names_round_trip() {
            for scheme in SCHEMES {
                assert_eq!(RequestSignScheme::from_name(scheme.name()), Some(scheme));
            }
            assert_eq!(
                RequestSignScheme::from_name(""),
                Some(RequestSignScheme::Direct)
            );
            assert_eq!(RequestSignScheme::from_name("eip712"), None);
        }
    }
}
