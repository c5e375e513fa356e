//! Sign-in for the web app: the node hands out a one-time, time-limited challenge, the wallet
//! signs it the way it signs text, and the node checks the signature and opens a session.
//!
//! | wallet | what is signed | checked |
//! |---|---|---|
//! | Keplr (Cosmos key) | ADR-036 (`signArbitrary`): an amino doc holding `sign/MsgSignData{signer, data}` | secp256k1 over sha256 of the doc; the key's address is the `bls1…` asked for |
//! | MetaMask (Ethereum key) | EIP-4361 "Sign-In with Ethereum" text, by `personal_sign` (EIP-191) | the key recovered from the signature has the `0x…` address asked for |
//! | Martian (Aptos key) | the Aptos `signMessage` envelope of the text with the challenge's nonce | ed25519; sha3-256(key ‖ 0) is the Aptos address asked for |
//!
//! A challenge can be answered once (answered or not, a verify attempt uses it up) and only
//! before it expires; a session token is random, 32 bytes, and also expires. Everything is in
//! this node's memory (bounded), not on chain: sign-in proves who holds a key to this node's web
//! app, and gives it the account's public key (MetaMask reveals it only through a signature).

use std::collections::BTreeMap;
use std::sync::Mutex;

use base64::Engine as _;
use bls_auth::pubkey::aptos_address;
use bls_auth::signature::{aptos_full_message, recover_eth_secp256k1};
use bls_auth::text_signature::{personal_sign_digest, verify_text, TextScheme};
use bls_auth::PubKey;
use bls_core::Address;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha3::{Digest, Keccak256};

/// How long a challenge may be answered.
pub const CHALLENGE_TTL_SECS: u64 = 300;
/// How long a session lasts.
pub const SESSION_TTL_SECS: u64 = 3600;
/// Most challenges (and most sessions) held at once; the oldest go first.
pub const MAX_PENDING: usize = 10_000;

/// The wallets that can sign in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Wallet {
    /// Keplr (or any ADR-036 signer with a Cosmos key).
    Keplr,
    /// MetaMask (or any EIP-191 signer with an Ethereum key).
    Metamask,
    /// Martian (or any Aptos wallet's `signMessage`).
    Martian,
}

/// Why a sign-in failed; the text is what the user sees.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignInError {
    /// The request is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// No such challenge: never issued, already answered, or dropped.
    #[error("unknown or already used challenge: ask for a new one")]
    UnknownChallenge,
    /// The challenge expired.
    #[error("the challenge expired ({CHALLENGE_TTL_SECS} s to answer): ask for a new one")]
    Expired,
    /// The signature is not the asked address's over the challenge.
    #[error("signature rejected: {0}")]
    Rejected(String),
}

/// A challenge as issued.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Challenge {
    /// The wallet it is for.
    pub wallet: Wallet,
    /// The address asked for: `bls1…` (Keplr), `0x…` Ethereum (MetaMask), `0x…` Aptos (Martian).
    pub address: String,
    /// Random, hex (the SIWE nonce, the Aptos `signMessage` nonce).
    pub nonce: String,
    /// The text to sign.
    pub message: String,
    /// Unix seconds after which it is refused.
    pub expires_at: u64,
}

/// The answer to a challenge.
#[derive(Clone, Debug, Deserialize)]
pub struct Answer {
    /// The challenge's nonce.
    pub nonce: String,
    /// The signature: base64 (Keplr), `0x` hex (MetaMask, Martian).
    pub signature: String,
    /// The public key: base64 compressed secp256k1 (Keplr), `0x` hex ed25519 (Martian);
    /// absent for MetaMask (recovered from the signature).
    #[serde(default)]
    pub pub_key: Option<String>,
    /// Martian: the `fullMessage` the wallet says it signed (must be the envelope exactly).
    #[serde(default)]
    pub full_message: Option<String>,
}

/// An open session.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Session {
    /// Bearer token.
    pub token: String,
    /// The wallet.
    pub wallet: Wallet,
    /// The `bls1…` account.
    pub address: String,
    /// The key's type URL (`bls_auth::pubkey`).
    pub pub_key_type: String,
    /// The key, base64.
    pub pub_key: String,
    /// Unix seconds when it ends.
    pub expires_at: u64,
}

/// Challenges and sessions of one node.
#[derive(Default)]
pub struct SignIn {
    challenges: Mutex<BTreeMap<String, Challenge>>,
    sessions: Mutex<BTreeMap<String, Session>>,
}

fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

fn hex_arg(s: &str, what: &str) -> Result<Vec<u8>, SignInError> {
    hex::decode(s.trim_start_matches("0x"))
        .map_err(|e| SignInError::BadRequest(format!("{what} is not hex: {e}")))
}

fn b64_arg(s: &str, what: &str) -> Result<Vec<u8>, SignInError> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|e| SignInError::BadRequest(format!("{what} is not base64: {e}")))
}

/// Drops expired entries, then the earliest-expiring ones beyond [`MAX_PENDING`].
fn prune<T>(map: &mut BTreeMap<String, T>, now: u64, expires: impl Fn(&T) -> u64) {
    map.retain(|_, v| expires(v) > now);
    while map.len() >= MAX_PENDING {
        let Some(oldest) = map
            .iter()
            .min_by_key(|(_, v)| expires(v))
            .map(|(k, _)| k.clone())
        else {
            break;
        };
        map.remove(&oldest);
    }
}

/// `0x` + EIP-55 mixed-case hex of an Ethereum address.
pub fn eip55(addr: &[u8; 20]) -> String {
    let lower = hex::encode(addr);
    let hash = Keccak256::digest(lower.as_bytes());
    let mut out = String::from("0x");
    for (i, c) in lower.chars().enumerate() {
        let nibble = (hash[i / 2] >> (if i % 2 == 0 { 4 } else { 0 })) & 0x0f;
        out.push(if c.is_ascii_alphabetic() && nibble >= 8 {
            c.to_ascii_uppercase()
        } else {
            c
        });
    }
    out
}

/// RFC 3339 UTC of unix seconds (`2026-12-05T20:31:10Z`).
pub fn rfc3339(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

impl SignIn {
    /// A new challenge for `address` in `wallet`, for a page at `origin` (`http://host:port`;
    /// its host is the SIWE domain).
    pub fn challenge(
        &self,
        wallet: Wallet,
        address: &str,
        origin: &str,
        now: u64,
    ) -> Result<Challenge, SignInError> {
        // The address must be well formed for its wallet, so the text names what is checked.
        let address = match wallet {
            Wallet::Keplr => Address::parse(address)
                .map_err(|e| SignInError::BadRequest(format!("address: {e}")))?
                .to_string(),
            Wallet::Metamask => {
                let b: [u8; 20] =
                    hex_arg(address, "Ethereum address")?
                        .try_into()
                        .map_err(|_| {
                            SignInError::BadRequest("an Ethereum address is 20 bytes".into())
                        })?;
                eip55(&b)
            }
            Wallet::Martian => {
                let b = hex_arg(address, "Aptos address")?;
                if b.len() != 32 {
                    return Err(SignInError::BadRequest(
                        "an Aptos address is 32 bytes".into(),
                    ));
                }
                format!("0x{}", hex::encode(b))
            }
        };
        let nonce = random_hex(16);
        let expires_at = now + CHALLENGE_TTL_SECS;
        let host = origin
            .trim_start_matches("https://")
            .trim_start_matches("http://");
        let message = match wallet {
            Wallet::Metamask => format!(
                "{host} wants you to sign in with your Ethereum account:\n{address}\n\n\
                 Sign in to the bls web app.\n\nURI: {origin}\nVersion: 1\nChain ID: 1\n\
                 Nonce: {nonce}\nIssued At: {}\nExpiration Time: {}",
                rfc3339(now),
                rfc3339(expires_at)
            ),
            _ => format!(
                "{host} wants you to sign in to the bls web app with your account:\n{address}\n\n\
                 URI: {origin}\nNonce: {nonce}\nIssued At: {}\nExpiration Time: {}",
                rfc3339(now),
                rfc3339(expires_at)
            ),
        };
        let c = Challenge {
            wallet,
            address,
            nonce: nonce.clone(),
            message,
            expires_at,
        };
        let mut map = self.challenges.lock().unwrap_or_else(|e| e.into_inner());
        prune(&mut map, now, |c| c.expires_at);
        map.insert(nonce, c.clone());
        Ok(c)
    }

    /// Checks `answer` against its challenge (using the challenge up) and opens a session.
    pub fn verify(&self, answer: &Answer, now: u64) -> Result<Session, SignInError> {
        let challenge = self
            .challenges
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&answer.nonce)
            .ok_or(SignInError::UnknownChallenge)?;
        if now >= challenge.expires_at {
            return Err(SignInError::Expired);
        }
        let key = match challenge.wallet {
            Wallet::Keplr => verify_keplr(&challenge, answer)?,
            Wallet::Metamask => verify_metamask(&challenge, answer)?,
            Wallet::Martian => verify_martian(&challenge, answer)?,
        };
        let session = Session {
            token: random_hex(32),
            wallet: challenge.wallet,
            address: key.address().to_string(),
            pub_key_type: key.type_url().to_string(),
            pub_key: base64::engine::general_purpose::STANDARD.encode(key.bytes()),
            expires_at: now + SESSION_TTL_SECS,
        };
        let mut map = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        prune(&mut map, now, |s| s.expires_at);
        map.insert(session.token.clone(), session.clone());
        Ok(session)
    }

    /// The session of `token`, if open.
    pub fn session(&self, token: &str, now: u64) -> Option<Session> {
        let map = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        map.get(token).filter(|s| s.expires_at > now).cloned()
    }
}

fn rejected(e: impl std::fmt::Display) -> SignInError {
    SignInError::Rejected(e.to_string())
}

fn verify_keplr(c: &Challenge, a: &Answer) -> Result<PubKey, SignInError> {
    let raw = b64_arg(
        a.pub_key
            .as_deref()
            .ok_or_else(|| SignInError::BadRequest("pub_key is required for Keplr".into()))?,
        "pub_key",
    )?;
    let key =
        PubKey::from_parts(bls_auth::pubkey::SECP256K1_PUBKEY_TYPE_URL, raw).map_err(rejected)?;
    let signer = Address::parse(&c.address).map_err(rejected)?;
    key.check_address(&signer)
        .map_err(|_| rejected(format!("the key is not the key of {}", c.address)))?;
    let sig = b64_arg(&a.signature, "signature")?;
    verify_text(TextScheme::Adr036, &key, &signer, &c.message, "", &sig).map_err(|e| {
        rejected(format!(
            "{e} (not {}'s signature of the challenge)",
            c.address
        ))
    })?;
    Ok(key)
}

fn verify_metamask(c: &Challenge, a: &Answer) -> Result<PubKey, SignInError> {
    let sig = hex_arg(&a.signature, "signature")?;
    // MetaMask reveals an account's key only through a signature: recover it, then check it
    // as any other text signature.
    let key = recover_eth_secp256k1(&personal_sign_digest(&c.message), &sig).map_err(rejected)?;
    let key = PubKey::EthSecp256k1(key.to_encoded_point(true).as_bytes().to_vec());
    let eth: [u8; 20] = key
        .address()
        .as_bytes()
        .try_into()
        .map_err(|_| rejected("address length"))?;
    if eip55(&eth) != c.address {
        return Err(rejected(format!(
            "signed by {}, not by {}",
            eip55(&eth),
            c.address
        )));
    }
    verify_text(
        TextScheme::PersonalSign,
        &key,
        &key.address(),
        &c.message,
        "",
        &sig,
    )
    .map_err(rejected)?;
    Ok(key)
}

fn verify_martian(c: &Challenge, a: &Answer) -> Result<PubKey, SignInError> {
    let raw = hex_arg(
        a.pub_key
            .as_deref()
            .ok_or_else(|| SignInError::BadRequest("pub_key is required for Martian".into()))?,
        "pub_key",
    )?;
    let key = PubKey::from_parts(bls_auth::pubkey::APTOS_PUBKEY_TYPE_URL, raw).map_err(rejected)?;
    if format!("0x{}", hex::encode(aptos_address(key.bytes()))) != c.address {
        return Err(rejected(format!("the key is not the key of {}", c.address)));
    }
    if let Some(said) = &a.full_message {
        if *said != aptos_full_message(&c.message, &c.nonce) {
            return Err(rejected(
                "the wallet signed another text than the challenge's envelope (address, \
                 application or chain id added?)",
            ));
        }
    }
    let sig = hex_arg(&a.signature, "signature")?;
    verify_text(
        TextScheme::Aptos,
        &key,
        &key.address(),
        &c.message,
        &c.nonce,
        &sig,
    )
    .map_err(|e| {
        rejected(format!(
            "{e} (not {}'s signature of the challenge)",
            c.address
        ))
    })?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bls_auth::text_signature::adr036_doc;
    use k256::ecdsa::signature::Signer;
    use k256::ecdsa::{Signature, SigningKey};

    const ORIGIN: &str = "http://127.0.0.1:1317";
    const NOW: u64 = 1_796_000_000;

    fn keplr_answer(sk: &SigningKey, c: &Challenge) -> Answer {
        let pk = sk
            .verifying_key()
            .to_encoded_point(true)
            .as_bytes()
            .to_vec();
        let sig: Signature = sk.sign(&adr036_doc(&c.address, c.message.as_bytes()));
        Answer {
            nonce: c.nonce.clone(),
            signature: base64::engine::general_purpose::STANDARD.encode(sig.to_bytes()),
            pub_key: Some(base64::engine::general_purpose::STANDARD.encode(pk)),
            full_message: None,
        }
    }

    fn eth_answer(sk: &SigningKey, c: &Challenge) -> Answer {
        let (sig, rec) = sk
            .sign_prehash_recoverable(&personal_sign_digest(&c.message))
            .unwrap();
        let mut b = sig.to_bytes().to_vec();
        b.push(27 + rec.to_byte());
        Answer {
            nonce: c.nonce.clone(),
            signature: format!("0x{}", hex::encode(b)),
            pub_key: None,
            full_message: None,
        }
    }

    fn eth_addr(sk: &SigningKey) -> String {
        let key = PubKey::EthSecp256k1(
            sk.verifying_key()
                .to_encoded_point(true)
                .as_bytes()
                .to_vec(),
        );
        format!("0x{}", hex::encode(key.address().as_bytes()))
    }

    /// A Cosmos key and its address.
    fn keplr_key() -> (SigningKey, String) {
        let sk = SigningKey::from_slice(&[4; 32]).unwrap();
        let pk = sk.verifying_key().to_encoded_point(true);
        let addr = Address::from_secp256k1_pubkey(pk.as_bytes()).to_string();
        (sk, addr)
    }

    #[test]
    fn each_wallet_signs_in_once() {
        let s = SignIn::default();
        // Keplr.
        let (sk, addr) = keplr_key();
        let c = s.challenge(Wallet::Keplr, &addr, ORIGIN, NOW).unwrap();
        assert!(c.message.contains(&addr) && c.message.contains(&c.nonce));
        let session = s.verify(&keplr_answer(&sk, &c), NOW + 1).unwrap();
        assert_eq!(session.address, addr);
        assert_eq!(s.session(&session.token, NOW + 2), Some(session.clone()));
        assert_eq!(s.session(&session.token, NOW + SESSION_TTL_SECS + 1), None);
        // Replay: the same answer again.
        assert_eq!(
            s.verify(&keplr_answer(&sk, &c), NOW + 2),
            Err(SignInError::UnknownChallenge)
        );

        // MetaMask: SIWE text, key recovered.
        let eth = SigningKey::from_slice(&[5; 32]).unwrap();
        let c = s
            .challenge(Wallet::Metamask, &eth_addr(&eth), ORIGIN, NOW)
            .unwrap();
        assert!(c
            .message
            .starts_with("127.0.0.1:1317 wants you to sign in with your Ethereum account:\n0x"));
        assert!(c.message.contains("\nChain ID: 1\nNonce: "));
        assert!(
            c.message.contains("Issued At: 2026-11-30T"),
            "{}",
            c.message
        );
        let session = s.verify(&eth_answer(&eth, &c), NOW + 1).unwrap();
        assert_eq!(
            session.pub_key_type,
            bls_auth::pubkey::ETH_SECP256K1_PUBKEY_TYPE_URL
        );
        assert_eq!(
            session.address,
            Address::from_bytes(&hex::decode(&eth_addr(&eth)[2..]).unwrap()).to_string()
        );

        // Martian: the envelope with the challenge's nonce.
        let ed = ed25519_consensus::SigningKey::from([6u8; 32]);
        let pk = ed.verification_key().to_bytes();
        let aptos = format!("0x{}", hex::encode(aptos_address(&pk)));
        let c = s.challenge(Wallet::Martian, &aptos, ORIGIN, NOW).unwrap();
        let full = format!("APTOS\nmessage: {}\nnonce: {}", c.message, c.nonce);
        let answer = Answer {
            nonce: c.nonce.clone(),
            signature: format!("0x{}", hex::encode(ed.sign(full.as_bytes()).to_bytes())),
            pub_key: Some(format!("0x{}", hex::encode(pk))),
            full_message: Some(full),
        };
        let session = s.verify(&answer, NOW + 1).unwrap();
        assert_eq!(
            session.pub_key_type,
            bls_auth::pubkey::APTOS_PUBKEY_TYPE_URL
        );
    }

    #[test]
    fn wrong_keys_expired_and_replayed_challenges_are_refused() {
        let s = SignIn::default();
        let (sk, addr) = keplr_key();
        let other = SigningKey::from_slice(&[7; 32]).unwrap();

        // Keplr: a signature by another key over the same challenge (declaring our key).
        let c = s.challenge(Wallet::Keplr, &addr, ORIGIN, NOW).unwrap();
        let mut a = keplr_answer(&other, &c);
        a.pub_key = keplr_answer(&sk, &c).pub_key;
        assert!(
            matches!(s.verify(&a, NOW), Err(SignInError::Rejected(m)) if m.contains("signature"))
        );
        // ... which used the challenge up.
        assert_eq!(
            s.verify(&keplr_answer(&sk, &c), NOW),
            Err(SignInError::UnknownChallenge)
        );
        // Another key declared as this address's.
        let c = s.challenge(Wallet::Keplr, &addr, ORIGIN, NOW).unwrap();
        assert!(
            matches!(s.verify(&keplr_answer(&other, &c), NOW), Err(SignInError::Rejected(m)) if m.contains("not the key"))
        );
        // Expired.
        let c = s.challenge(Wallet::Keplr, &addr, ORIGIN, NOW).unwrap();
        assert_eq!(
            s.verify(&keplr_answer(&sk, &c), NOW + CHALLENGE_TTL_SECS),
            Err(SignInError::Expired)
        );
        // A challenge never issued.
        let mut a = keplr_answer(&sk, &c);
        a.nonce = "00".repeat(16);
        assert_eq!(s.verify(&a, NOW), Err(SignInError::UnknownChallenge));

        // MetaMask: signed by another Ethereum account.
        let eth = SigningKey::from_slice(&[5; 32]).unwrap();
        let c = s
            .challenge(Wallet::Metamask, &eth_addr(&eth), ORIGIN, NOW)
            .unwrap();
        assert!(
            matches!(s.verify(&eth_answer(&other, &c), NOW), Err(SignInError::Rejected(m)) if m.contains("not by"))
        );

        // Martian: an envelope with extras, and a plain signature of the text.
        let ed = ed25519_consensus::SigningKey::from([6u8; 32]);
        let pk = ed.verification_key().to_bytes();
        let aptos = format!("0x{}", hex::encode(aptos_address(&pk)));
        let c = s.challenge(Wallet::Martian, &aptos, ORIGIN, NOW).unwrap();
        let extra = format!(
            "APTOS\napplication: evil\nmessage: {}\nnonce: {}",
            c.message, c.nonce
        );
        let a = Answer {
            nonce: c.nonce.clone(),
            signature: format!("0x{}", hex::encode(ed.sign(extra.as_bytes()).to_bytes())),
            pub_key: Some(hex::encode(pk)),
            full_message: Some(extra),
        };
        assert!(
            matches!(s.verify(&a, NOW), Err(SignInError::Rejected(m)) if m.contains("another text"))
        );
        let c = s.challenge(Wallet::Martian, &aptos, ORIGIN, NOW).unwrap();
        let a = Answer {
            nonce: c.nonce.clone(),
            signature: format!(
                "0x{}",
                hex::encode(ed.sign(c.message.as_bytes()).to_bytes())
            ),
            pub_key: Some(hex::encode(pk)),
            full_message: None,
        };
        assert!(matches!(s.verify(&a, NOW), Err(SignInError::Rejected(_))));

        // Malformed requests.
        assert!(matches!(
            s.challenge(Wallet::Metamask, "0x1234", ORIGIN, NOW),
            Err(SignInError::BadRequest(_))
        ));
        assert!(matches!(
            s.challenge(Wallet::Keplr, "cosmos1xyz", ORIGIN, NOW),
            Err(SignInError::BadRequest(_))
        ));
    }

    #[test]
    fn helpers_match_their_standards() {
        // EIP-55's own example.
        let b: [u8; 20] = hex::decode("5aaeb6053f3e94c9b9a09f33669435e7ef1beaed")
            .unwrap()
            .try_into()
            .unwrap();
        assert_eq!(eip55(&b), "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_796_000_000), "2026-11-30T00:53:20Z");
    }

    #[test]
    fn the_store_stays_bounded() {
        let s = SignIn::default();
        let addr = Address::from_bytes(&[1; 20]).to_string();
        for i in 0..(MAX_PENDING as u64 + 50) {
            s.challenge(Wallet::Keplr, &addr, ORIGIN, NOW + i).unwrap();
        }
        assert!(s.challenges.lock().unwrap().len() <= MAX_PENDING);
    }
}
