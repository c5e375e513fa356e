//! Text signed by a browser wallet, the one thing every wallet signs without a custom chain
//! integration: Keplr's `signArbitrary` (ADR-036), MetaMask's `personal_sign` (EIP-191) and an
//! Aptos wallet's `signMessage` envelope. The web app's sign-in and wallet-signed fast-path
//! requests both check signatures through [`verify_text`], so the two cannot drift.
//!
//! | scheme | key | what the wallet signs |
//! |---|---|---|
//! | [`TextScheme::Adr036`] | Cosmos secp256k1 | sha256 of the ADR-036 amino doc holding `sign/MsgSignData{signer, data: text}` ([`adr036_doc`]) |
//! | [`TextScheme::PersonalSign`] | Ethereum secp256k1 | keccak256 of `"\x19Ethereum Signed Message:\n" ‖ len ‖ text` ([`personal_sign_digest`]), `r‖s‖v` |
//! | [`TextScheme::Aptos`] | Aptos ed25519 | `APTOS\nmessage: <text>\nnonce: <nonce>` ([`crate::signature::aptos_full_message`]) |

use base64::Engine as _;
use bls_core::Address;
use sha3::{Digest, Keccak256};

use crate::error::AuthError;
use crate::pubkey::PubKey;
use crate::signature::{
    aptos_full_message, verify_aptos_ed25519, verify_eth_secp256k1, verify_secp256k1,
};

/// How a wallet signed a text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextScheme {
    /// Keplr `signArbitrary(chainId, signer, text)`: ADR-036.
    Adr036,
    /// MetaMask `personal_sign(text)`: EIP-191.
    PersonalSign,
    /// Aptos wallet `signMessage({message: text, nonce})`.
    Aptos,
}

impl TextScheme {
    /// The kind of key that signs in this scheme (its type URL).
    pub fn key_type_url(self) -> &'static str {
        match self {
            TextScheme::Adr036 => crate::pubkey::SECP256K1_PUBKEY_TYPE_URL,
            TextScheme::PersonalSign => crate::pubkey::ETH_SECP256K1_PUBKEY_TYPE_URL,
            TextScheme::Aptos => crate::pubkey::APTOS_PUBKEY_TYPE_URL,
        }
    }
}

/// The ADR-036 sign doc Keplr's `signArbitrary(chainId, signer, data)` signs: the amino JSON
/// (keys sorted, compact) of a zero-fee doc with an empty chain id holding one
/// `sign/MsgSignData`. `signer` is a bech32 address and the data is base64, so no character
/// needs the amino escaping.
pub fn adr036_doc(signer: &str, data: &[u8]) -> Vec<u8> {
    let data = base64::engine::general_purpose::STANDARD.encode(data);
    format!(
        "{{\"account_number\":\"0\",\"chain_id\":\"\",\"fee\":{{\"amount\":[],\"gas\":\"0\"}},\
         \"memo\":\"\",\"msgs\":[{{\"type\":\"sign/MsgSignData\",\"value\":{{\"data\":{},\
         \"signer\":{}}}}}],\"sequence\":\"0\"}}",
        serde_json::Value::String(data),
        serde_json::Value::String(signer.to_string()),
    )
    .into_bytes()
}

/// The EIP-191 digest `personal_sign` signs for `text`.
pub fn personal_sign_digest(text: &str) -> [u8; 32] {
    let mut h = Keccak256::new();
    h.update(format!("\x19Ethereum Signed Message:\n{}", text.len()).as_bytes());
    h.update(text.as_bytes());
    h.finalize().into()
}

/// Checks that `key` controls `signer` and signed `text` in `scheme` (`aptos_nonce` is the
/// nonce of the Aptos envelope; the other schemes ignore it). The key must be of the scheme's
/// kind: a Cosmos key cannot answer in `personal_sign`, whatever it signed.
pub fn verify_text(
    scheme: TextScheme,
    key: &PubKey,
    signer: &Address,
    text: &str,
    aptos_nonce: &str,
    signature: &[u8],
) -> Result<(), AuthError> {
    if key.type_url() != scheme.key_type_url() {
        return Err(AuthError::InvalidPubKey(format!(
            "a {:?} signature needs a {} key, not {}",
            scheme,
            scheme.key_type_url(),
            key.type_url()
        )));
    }
    key.check_address(signer)?;
    match scheme {
        TextScheme::Adr036 => verify_secp256k1(
            key.bytes(),
            &adr036_doc(signer.as_str(), text.as_bytes()),
            signature,
        ),
        TextScheme::PersonalSign => {
            verify_eth_secp256k1(key.bytes(), &personal_sign_digest(text), signature)
        }
        TextScheme::Aptos => verify_aptos_ed25519(
            key.bytes(),
            aptos_full_message(text, aptos_nonce).as_bytes(),
            signature,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k256::ecdsa::signature::Signer;
    use k256::ecdsa::{Signature, SigningKey};

    fn cosmos() -> (SigningKey, PubKey) {
        let sk = SigningKey::from_slice(&[3; 32]).unwrap();
        let pk = sk
            .verifying_key()
            .to_encoded_point(true)
            .as_bytes()
            .to_vec();
        (sk, PubKey::Secp256k1(pk))
    }

    #[test]
    fn adr036_doc_is_the_sorted_amino_json_keplr_signs() {
        let doc = String::from_utf8(adr036_doc("bls1abc", b"hi")).unwrap();
        let want = serde_json::json!({
            "account_number": "0", "chain_id": "", "fee": {"amount": [], "gas": "0"}, "memo": "",
            "msgs": [{"type": "sign/MsgSignData", "value": {"data": "aGk=", "signer": "bls1abc"}}],
            "sequence": "0",
        });
        // serde_json's map sorts its keys (no `preserve_order` in this workspace).
        assert_eq!(doc, want.to_string());
    }

    #[test]
    fn each_scheme_verifies_and_refuses_the_wrong_key_kind_text_or_signer() {
        let (sk, key) = cosmos();
        let signer = key.address();
        let sig: Signature = sk.sign(&adr036_doc(signer.as_str(), b"text"));
        let sig = sig.to_bytes();
        verify_text(TextScheme::Adr036, &key, &signer, "text", "", &sig).unwrap();
        assert!(verify_text(TextScheme::Adr036, &key, &signer, "texT", "", &sig).is_err());
        let other = Address::from_bytes(&[9; 20]);
        assert!(verify_text(TextScheme::Adr036, &key, &other, "text", "", &sig).is_err());
        // The same key bytes declared as an Ethereum key: another scheme's key kind.
        let as_eth = PubKey::EthSecp256k1(key.bytes().to_vec());
        let e = verify_text(TextScheme::Adr036, &as_eth, &signer, "text", "", &sig).unwrap_err();
        assert!(
            e.to_string()
                .contains("needs a /cosmos.crypto.secp256k1.PubKey"),
            "{e}"
        );

        // personal_sign: r‖s‖v over the EIP-191 digest.
        let eth = PubKey::EthSecp256k1(key.bytes().to_vec());
        let (s, rec) = sk
            .sign_prehash_recoverable(&personal_sign_digest("text"))
            .unwrap();
        let mut rsv = s.to_bytes().to_vec();
        rsv.push(27 + rec.to_byte());
        let eth_addr = eth.address();
        verify_text(TextScheme::PersonalSign, &eth, &eth_addr, "text", "", &rsv).unwrap();
        assert!(verify_text(TextScheme::PersonalSign, &eth, &eth_addr, "other", "", &rsv).is_err());

        // Aptos: the nonce is part of what is signed.
        let ask = ed25519_consensus::SigningKey::from([4; 32]);
        let apt = PubKey::AptosEd25519(ask.verification_key().to_bytes().to_vec());
        let apt_addr = apt.address();
        let sig = ask
            .sign(aptos_full_message("text", "7").as_bytes())
            .to_bytes();
        verify_text(TextScheme::Aptos, &apt, &apt_addr, "text", "7", &sig).unwrap();
        assert!(verify_text(TextScheme::Aptos, &apt, &apt_addr, "text", "8", &sig).is_err());
    }

    #[test]
    fn personal_sign_digest_is_eip191() {
        // keccak256("\x19Ethereum Signed Message:\n5hello"), as ethers' hashMessage("hello").
        assert_eq!(
            hex_of(&personal_sign_digest("hello")),
            "50b2c43fd39106bafbba0da34fc430e1f91e3c96ea2acee2bc34119f92b37750"
        );
    }

    fn hex_of(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }
}
