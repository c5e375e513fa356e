//! The vote-extension pseudo-transaction: how a proposer hands the previous height's vote
//! extensions to every node.
//!
//! CometBFT gives the extensions only to the proposer (`PrepareProposal.local_last_commit`),
//! so the proposer puts them into its block as the first transaction: [`PREFIX`] followed by
//! the protobuf `ExtendedCommitInfo`. Every node checks it in `ProcessProposal` against the
//! block's own last commit and the validators' consensus keys ([`crate::verify`]) and the beacon
//! mixes it in `FinalizeBlock`.
//!
//! The prefix starts with `0x00`, a protobuf tag with field number 0, which no protobuf
//! decoder accepts: a pseudo-transaction can never be read as a `TxRaw`, and a real
//! transaction can never start with it. `CheckTx` refuses marked bytes so they never enter a
//! mempool, and the proposer drops any that did.

use prost::Message;
use tendermint_proto::v0_38::abci::ExtendedCommitInfo;

use crate::error::BeaconError;

/// The marker every pseudo-transaction starts with.
pub const PREFIX: &[u8] = b"\x00bls/vote-extensions/v1\x00";

/// True when `tx` carries the marker.
pub fn is_marked(tx: &[u8]) -> bool {
    tx.starts_with(PREFIX)
}

/// The pseudo-transaction carrying `info`.
pub fn encode(info: &ExtendedCommitInfo) -> Vec<u8> {
    [PREFIX, info.encode_to_vec().as_slice()].concat()
}

/// Decodes a marked transaction.
pub fn decode(tx: &[u8]) -> Result<ExtendedCommitInfo, BeaconError> {
    let body = tx
        .strip_prefix(PREFIX)
        .ok_or_else(|| BeaconError::MalformedCommitInfo("missing marker".into()))?;
    ExtendedCommitInfo::decode(body).map_err(|e| BeaconError::MalformedCommitInfo(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tendermint_proto::v0_38::abci::ExtendedVoteInfo;

    #[test]
    fn round_trips_and_is_never_a_protobuf_message() {
        let info = ExtendedCommitInfo {
            round: 2,
            votes: vec![ExtendedVoteInfo {
                validator: None,
                vote_extension: vec![1, 2, 3].into(),
                extension_signature: vec![4; 64].into(),
                block_id_flag: 2,
            }],
        };
        let tx = encode(&info);
        assert!(is_marked(&tx));
        assert_eq!(decode(&tx), Ok(info));
        // Field number 0 is invalid in every protobuf message, TxRaw included.
        assert!(ExtendedCommitInfo::decode(tx.as_slice()).is_err());
        assert!(decode(b"\x00bls/other").is_err());
    }
}
