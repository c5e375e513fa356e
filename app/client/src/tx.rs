//! Building and signing Cosmos transactions (`TxRaw`, SIGN_MODE_DIRECT, one secp256k1 signer).

use bls_core::Coins;
use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use cosmos_sdk_proto::cosmos::tx::signing::v1beta1::SignMode;
use cosmos_sdk_proto::cosmos::tx::v1beta1::{
    mode_info, AuthInfo, Fee, ModeInfo, SignDoc, SignerInfo, TxBody, TxRaw,
};
use cosmos_sdk_proto::Any;
use prost::Message;
use sha2::{Digest, Sha256};

use crate::keys::KeyPair;

/// Errors from building a transaction.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TxError {
    /// A tx needs at least one message.
    #[error("a transaction needs at least one message")]
    NoMessages,
    /// The chain id is part of what is signed.
    #[error("empty chain id: pass --chain-id or let the client read it from the node's status")]
    NoChainId,
    /// Bytes that are not a `TxRaw` (or its body / auth info).
    #[error("cannot decode transaction: {0}")]
    Decode(String),
}

/// A signed transaction ready to broadcast.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedTx {
    /// Encoded `TxRaw`.
    pub bytes: Vec<u8>,
    /// Upper-case hex SHA-256 of `bytes` (what CometBFT calls the tx hash).
    pub hash: String,
}

/// Everything that goes into one single-signer transaction.
#[derive(Clone, Debug, Default)]
pub struct TxBuilder {
    /// Chain id (signed over).
    pub chain_id: String,
    /// The signer's account number.
    pub account_number: u64,
    /// The signer's sequence.
    pub sequence: u64,
    /// The messages, in order.
    pub messages: Vec<Any>,
    /// Free-form memo.
    pub memo: String,
    /// The fee paid.
    pub fee: Coins,
    /// Gas limit.
    pub gas_limit: u64,
    /// Block height after which the tx is invalid (0 = none).
    pub timeout_height: u64,
}

impl TxBuilder {
    /// A builder for the signer at `account_number` / `sequence` on `chain_id`.
    pub fn new(chain_id: impl Into<String>, account_number: u64, sequence: u64) -> Self {
        Self {
            chain_id: chain_id.into(),
            account_number,
            sequence,
            ..Self::default()
        }
    }

    /// Appends a message.
    pub fn message(mut self, msg: Any) -> Self {
        self.messages.push(msg);
        self
    }

    /// Appends messages.
    pub fn messages(mut self, msgs: impl IntoIterator<Item = Any>) -> Self {
        self.messages.extend(msgs);
        self
    }

    /// Sets the memo.
    pub fn memo(mut self, memo: impl Into<String>) -> Self {
        self.memo = memo.into();
        self
    }

    /// Sets the fee.
    pub fn fee(mut self, fee: Coins) -> Self {
        self.fee = fee;
        self
    }

    /// Sets the gas limit.
    pub fn gas_limit(mut self, gas: u64) -> Self {
        self.gas_limit = gas;
        self
    }

    /// The encoded `TxBody`.
    pub fn body_bytes(&self) -> Vec<u8> {
        TxBody {
            messages: self.messages.clone(),
            memo: self.memo.clone(),
            timeout_height: self.timeout_height,
            extension_options: Vec::new(),
            non_critical_extension_options: Vec::new(),
        }
        .encode_to_vec()
    }

    fn auth_info_bytes(
        &self,
        key: &KeyPair,
        mode: SignMode,
        fee: Vec<ProtoCoin>,
        gas: u64,
    ) -> Vec<u8> {
        AuthInfo {
            signer_infos: vec![SignerInfo {
                public_key: Some(key.public_key_any()),
                mode_info: Some(ModeInfo {
                    sum: Some(mode_info::Sum::Single(mode_info::Single {
                        mode: mode as i32,
                    })),
                }),
                sequence: self.sequence,
            }],
            fee: Some(Fee {
                amount: fee,
                gas_limit: gas,
                payer: String::new(),
                granter: String::new(),
            }),
            #[allow(deprecated)]
            tip: None,
        }
        .encode_to_vec()
    }

    /// Signs with SIGN_MODE_DIRECT and returns the `TxRaw`.
    pub fn sign(&self, key: &KeyPair) -> Result<SignedTx, TxError> {
        self.check()?;
        let body_bytes = self.body_bytes();
        let auth_info_bytes =
            self.auth_info_bytes(key, SignMode::Direct, self.fee.to_proto(), self.gas_limit);
        let doc = sign_doc_bytes(
            &body_bytes,
            &auth_info_bytes,
            &self.chain_id,
            self.account_number,
        );
        let signature = key.sign(&doc);
        let bytes = TxRaw {
            body_bytes,
            auth_info_bytes,
            signatures: vec![signature.to_vec()],
        }
        .encode_to_vec();
        let hash = tx_hash(&bytes);
        Ok(SignedTx { bytes, hash })
    }

    /// The `TxRaw` to simulate (as CosmJS builds it): SIGN_MODE_UNSPECIFIED, an empty
    /// signature, no fee and gas limit 0. Not valid for broadcasting.
    pub fn simulation_bytes(&self, key: &KeyPair) -> Result<Vec<u8>, TxError> {
        self.check()?;
        Ok(TxRaw {
            body_bytes: self.body_bytes(),
            auth_info_bytes: self.auth_info_bytes(key, SignMode::Unspecified, Vec::new(), 0),
            signatures: vec![Vec::new()],
        }
        .encode_to_vec())
    }

    fn check(&self) -> Result<(), TxError> {
        if self.messages.is_empty() {
            return Err(TxError::NoMessages);
        }
        if self.chain_id.is_empty() {
            return Err(TxError::NoChainId);
        }
        Ok(())
    }
}

/// The SIGN_MODE_DIRECT sign bytes: an encoded `SignDoc` over the exact body and auth bytes.
pub fn sign_doc_bytes(
    body_bytes: &[u8],
    auth_info_bytes: &[u8],
    chain_id: &str,
    account_number: u64,
) -> Vec<u8> {
    SignDoc {
        body_bytes: body_bytes.to_vec(),
        auth_info_bytes: auth_info_bytes.to_vec(),
        chain_id: chain_id.to_string(),
        account_number,
    }
    .encode_to_vec()
}

/// CometBFT's tx hash: upper-case hex SHA-256 of the tx bytes.
pub fn tx_hash(tx_bytes: &[u8]) -> String {
    hex::encode_upper(Sha256::digest(tx_bytes))
}

/// A decoded `TxRaw`.
#[derive(Clone, Debug, PartialEq)]
pub struct DecodedTx {
    /// The raw envelope (its byte fields are what was signed).
    pub raw: TxRaw,
    /// The decoded body.
    pub body: TxBody,
    /// The decoded auth info.
    pub auth_info: AuthInfo,
}

/// Decodes `TxRaw` bytes and its body and auth info.
pub fn decode_tx(bytes: &[u8]) -> Result<DecodedTx, TxError> {
    let raw = TxRaw::decode(bytes).map_err(|e| TxError::Decode(format!("TxRaw: {e}")))?;
    let body = TxBody::decode(raw.body_bytes.as_slice())
        .map_err(|e| TxError::Decode(format!("TxBody: {e}")))?;
    let auth_info = AuthInfo::decode(raw.auth_info_bytes.as_slice())
        .map_err(|e| TxError::Decode(format!("AuthInfo: {e}")))?;
    Ok(DecodedTx {
        raw,
        body,
        auth_info,
    })
}

/// The per-message responses (`TxMsgData.msg_responses`) of an included tx, whose `data`
/// is given base64-encoded (as in [`crate::rpc::TxResult::data`]).
pub fn msg_responses(data_base64: &str) -> Result<Vec<Any>, TxError> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data_base64)
        .map_err(|e| TxError::Decode(format!("result data: {e}")))?;
    let data = cosmos_sdk_proto::cosmos::base::abci::v1beta1::TxMsgData::decode(bytes.as_slice())
        .map_err(|e| TxError::Decode(format!("TxMsgData: {e}")))?;
    Ok(data.msg_responses)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bls_core::{Address, Coin};
    use cosmos_sdk_proto::cosmos::bank::v1beta1::MsgSend;
    use cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey;
    use k256::ecdsa::signature::Verifier as _;
    use k256::ecdsa::{Signature, VerifyingKey};

    const ABANDON: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";

    fn send_msg(from: &Address) -> Any {
        let msg = MsgSend {
            from_address: from.to_string(),
            to_address: Address::from_bytes(&[9u8; 20]).to_string(),
            amount: vec![Coin::ubls(1000).to_proto()],
        };
        Any::from_msg(&msg).unwrap()
    }

    #[test]
    fn signature_verifies_over_sign_doc_from_raw_fields() {
        let key = KeyPair::from_mnemonic(ABANDON).unwrap();
        let msg = send_msg(key.address());
        let signed = TxBuilder::new("bls-test-1", 7, 3)
            .message(msg.clone())
            .memo("hi")
            .fee(Coins::parse("5000ubls").unwrap())
            .gas_limit(200_000)
            .sign(&key)
            .unwrap();
        assert_eq!(signed.hash, tx_hash(&signed.bytes));
        assert_eq!(signed.hash.len(), 64);

        let tx = decode_tx(&signed.bytes).unwrap();
        assert_eq!(tx.body.messages, vec![msg.clone()]);
        assert_eq!(tx.body.memo, "hi");
        let decoded: MsgSend = tx.body.messages[0].to_msg().unwrap();
        assert_eq!(decoded.from_address, key.address().to_string());

        let signer = &tx.auth_info.signer_infos[0];
        assert_eq!(signer.sequence, 3);
        let fee = tx.auth_info.fee.as_ref().unwrap();
        assert_eq!(fee.gas_limit, 200_000);
        assert_eq!(fee.amount, vec![Coin::ubls(5000).to_proto()]);
        let Some(mode_info::Sum::Single(single)) =
            signer.mode_info.as_ref().and_then(|m| m.sum.clone())
        else {
            panic!("single mode info expected")
        };
        assert_eq!(single.mode, SignMode::Direct as i32);

        // Verify as a node would: pubkey from the tx, sign doc from the raw byte fields.
        let pk_any = signer.public_key.as_ref().unwrap();
        assert_eq!(pk_any.type_url, crate::keys::SECP256K1_PUBKEY_TYPE_URL);
        let pk: PubKey = PubKey::decode(pk_any.value.as_slice()).unwrap();
        let vk = VerifyingKey::from_sec1_bytes(&pk.key).unwrap();
        let doc = sign_doc_bytes(&tx.raw.body_bytes, &tx.raw.auth_info_bytes, "bls-test-1", 7);
        let sig = Signature::from_slice(&tx.raw.signatures[0]).unwrap();
        vk.verify(&doc, &sig).unwrap();
        // Another chain id or account number must not verify.
        let other = sign_doc_bytes(&tx.raw.body_bytes, &tx.raw.auth_info_bytes, "other", 7);
        assert!(vk.verify(&other, &sig).is_err());
        let other = sign_doc_bytes(&tx.raw.body_bytes, &tx.raw.auth_info_bytes, "bls-test-1", 8);
        assert!(vk.verify(&other, &sig).is_err());
    }

    #[test]
    fn simulation_tx_has_empty_signature_and_unspecified_mode() {
        let key = KeyPair::from_mnemonic(ABANDON).unwrap();
        let b = TxBuilder::new("c", 0, 5).message(send_msg(key.address()));
        let tx = decode_tx(&b.simulation_bytes(&key).unwrap()).unwrap();
        assert_eq!(tx.raw.signatures, vec![Vec::<u8>::new()]);
        let signer = &tx.auth_info.signer_infos[0];
        assert_eq!(signer.sequence, 5);
        let Some(mode_info::Sum::Single(single)) =
            signer.mode_info.as_ref().and_then(|m| m.sum.clone())
        else {
            panic!("single mode info expected")
        };
        assert_eq!(single.mode, SignMode::Unspecified as i32);
    }

    #[test]
    fn builder_errors() {
        let key = KeyPair::from_mnemonic(ABANDON).unwrap();
        assert_eq!(
            TxBuilder::new("c", 0, 0).sign(&key),
            Err(TxError::NoMessages)
        );
        assert_eq!(
            TxBuilder::new("", 0, 0)
                .message(send_msg(key.address()))
                .sign(&key),
            Err(TxError::NoChainId)
        );
        assert!(matches!(decode_tx(b"\xff\xff"), Err(TxError::Decode(_))));
    }

    #[test]
    fn msg_responses_decode() {
        use base64::Engine as _;
        let any = Any {
            type_url: "/x.MsgResponse".into(),
            value: vec![8, 1],
        };
        #[allow(deprecated)]
        let data = cosmos_sdk_proto::cosmos::base::abci::v1beta1::TxMsgData {
            data: vec![],
            msg_responses: vec![any.clone()],
        };
        let b64 = base64::engine::general_purpose::STANDARD.encode(data.encode_to_vec());
        assert_eq!(msg_responses(&b64).unwrap(), vec![any]);
        assert_eq!(msg_responses("").unwrap(), vec![]);
        assert!(msg_responses("!!").is_err());
    }
}
