//! Decoding `cosmos.tx.v1beta1.TxRaw` and the body / auth info inside it. The signed bytes
//! are kept exactly as received: signatures are verified over them, never over a re-encoding.

use cosmos_sdk_proto::cosmos::tx::v1beta1::{AuthInfo, TxBody, TxRaw};
use prost::Message;

use super::error::TxError;

/// A decoded tx with its signed byte strings.
#[derive(Debug, Clone)]
pub struct DecodedTx {
    /// `TxRaw.body_bytes`, as signed.
    pub body_bytes: Vec<u8>,
    /// `TxRaw.auth_info_bytes`, as signed.
    pub auth_info_bytes: Vec<u8>,
    /// One signature per signer info.
    pub signatures: Vec<Vec<u8>>,
    /// Decoded body.
    pub body: TxBody,
    /// Decoded auth info.
    pub auth_info: AuthInfo,
}

/// Decodes `raw`. With `canonical`, the bytes must be exactly the canonical encoding of the
/// `TxRaw` they decode to: unknown fields or reordered fields would let anyone change a tx's
/// hash without invalidating its signature (the SDK rejects unknown `TxRaw` fields too).
/// Simulation skips that check because CosmJS sends an encoded `Tx` there, which has the
/// same wire layout but is not required to be canonical.
pub fn decode_tx(raw: &[u8], canonical: bool) -> Result<DecodedTx, TxError> {
    if raw.is_empty() {
        return Err(TxError::Decode("empty tx".into()));
    }
    let tx_raw = TxRaw::decode(raw).map_err(|e| TxError::Decode(format!("invalid TxRaw: {e}")))?;
    if canonical && tx_raw.encode_to_vec() != raw {
        return Err(TxError::Decode(
            "tx bytes are not a canonical TxRaw encoding (unknown or reordered fields)".into(),
        ));
    }
    let body = TxBody::decode(tx_raw.body_bytes.as_slice())
        .map_err(|e| TxError::Decode(format!("invalid TxBody: {e}")))?;
    let auth_info = AuthInfo::decode(tx_raw.auth_info_bytes.as_slice())
        .map_err(|e| TxError::Decode(format!("invalid AuthInfo: {e}")))?;
    Ok(DecodedTx {
        body_bytes: tx_raw.body_bytes,
        auth_info_bytes: tx_raw.auth_info_bytes,
        signatures: tx_raw.signatures,
        body,
        auth_info,
    })
}
