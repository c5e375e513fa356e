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

use std::collections::BTreeMap;

use bls_core::Address;
use sha2::{Digest, Sha256};

use super::msgs::SignedRequest;

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
    /// invoker and signed it (64-byte low-S secp256k1 over sha256 of the id). A request
    /// nobody signed is nothing: no receipt, no evidence, no work.
    pub fn verify(&self, chain_id: &str) -> Result<VerifiedRequest, RequestError> {
        let terms = self.terms()?;
        let invoker =
            Address::parse(&terms.invoker).map_err(|e| malformed("invoker", e.to_string()))?;
        if self.invoker_pubkey.len() != 33
            || Address::from_secp256k1_pubkey(&self.invoker_pubkey) != invoker
        {
            return Err(RequestError::BadSignature(
                "invoker_pubkey does not derive the invoker address".into(),
            ));
        }
        let id = request_id(chain_id, &terms);
        bls_auth::signature::verify_secp256k1(&self.invoker_pubkey, &id, &self.signature)
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
}
