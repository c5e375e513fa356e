//! Verification of a block's vote-extension pseudo-transaction (the Cosmos SDK's
//! `ValidateVoteExtensions`, written for this chain).
//!
//! The proposer is not trusted with the extensions it hands over. The extended commit must be
//! the block's own last commit, vote for vote, with every extension signed by its validator:
//! - same round and the same number of votes as the block's last commit (`proposed_last_commit`
//!   in ProcessProposal, `decided_last_commit` in FinalizeBlock, which CometBFT builds from the
//!   block itself), and vote `i` names the same validator with the same power and flag;
//! - a commit vote carries an extension signature that verifies (ed25519, CometBFT's ZIP-215
//!   rules) under that validator's consensus key over CometBFT's canonical vote-extension sign
//!   bytes (`CanonicalVoteExtension{extension, height, round, chain_id}`, length-delimited);
//! - an absent or nil vote carries neither extension nor signature (as CometBFT builds it);
//! - the commit votes hold more than 2/3 of the power.
//!
//! So the proposer can neither forge nor alter a validator's extension nor strip one from a
//! vote the block counts; what it still chooses is which precommits its block's last commit
//! includes (more than 2/3 of the power), as with any CometBFT block.

use std::collections::BTreeSet;

use ed25519_consensus::{Signature, VerificationKey};
use prost::Message;
use sha2::{Digest, Sha256};
use tendermint_proto::v0_38::abci::{CommitInfo, ExtendedCommitInfo};
use tendermint_proto::v0_38::types::{BlockIdFlag, CanonicalVoteExtension};

use crate::error::BeaconError;

/// One commit vote whose extension signature verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedExtension {
    /// Consensus address (20 bytes).
    pub validator: Vec<u8>,
    /// Voting power at the votes' height.
    pub power: i64,
    /// The extension bytes the validator signed (possibly empty or malformed: the beacon
    /// decides what counts).
    pub extension: Vec<u8>,
}

/// The verified extensions of one height.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VerifiedCommit {
    /// The height the votes (and extensions) are for: the block's height minus one.
    pub height: u64,
    /// Commit votes in the commit's order (validator-set order).
    pub signed: Vec<SignedExtension>,
    /// Power of the commit votes.
    pub signed_power: i64,
    /// Power of every vote in the commit.
    pub total_power: i64,
}

/// CometBFT's sign bytes of a vote extension.
pub fn sign_bytes(chain_id: &str, height: u64, round: i32, extension: &[u8]) -> Vec<u8> {
    CanonicalVoteExtension {
        extension: extension.to_vec(),
        height: i64::try_from(height).unwrap_or(i64::MAX),
        round: i64::from(round),
        chain_id: chain_id.to_string(),
    }
    .encode_length_delimited_to_vec()
}

/// CometBFT's consensus address of an ed25519 key: sha256(pubkey)[..20].
pub fn consensus_address(pubkey: &[u8]) -> Vec<u8> {
    Sha256::digest(pubkey)[..20].to_vec()
}

/// Verifies `ext` (from a pseudo-transaction) against `last`, the block's own last commit,
/// for votes of `height` on `chain_id`. `pubkey_of` returns a validator's ed25519 consensus
/// key by consensus address.
pub fn verify_extended_commit(
    chain_id: &str,
    height: u64,
    ext: &ExtendedCommitInfo,
    last: &CommitInfo,
    pubkey_of: &dyn Fn(&[u8]) -> Option<Vec<u8>>,
) -> Result<VerifiedCommit, BeaconError> {
    if ext.round != last.round {
        return Err(BeaconError::RoundMismatch {
            got: ext.round,
            want: last.round,
        });
    }
    if ext.votes.len() != last.votes.len() {
        return Err(BeaconError::VoteCountMismatch {
            got: ext.votes.len(),
            want: last.votes.len(),
        });
    }
    let mut seen = BTreeSet::new();
    let mut out = VerifiedCommit {
        height,
        ..Default::default()
    };
    for (index, (e, l)) in ext.votes.iter().zip(&last.votes).enumerate() {
        let mismatch = |reason: String| BeaconError::VoteMismatch { index, reason };
        let (Some(ev), Some(lv)) = (e.validator.as_ref(), l.validator.as_ref()) else {
            return Err(mismatch("validator missing".into()));
        };
        if ev.address != lv.address {
            return Err(mismatch(format!(
                "validator {} instead of {}",
                hex::encode_upper(&ev.address),
                hex::encode_upper(&lv.address)
            )));
        }
        if ev.power != lv.power {
            return Err(mismatch(format!(
                "power {} instead of {}",
                ev.power, lv.power
            )));
        }
        if e.block_id_flag != l.block_id_flag {
            return Err(mismatch(format!(
                "flag {} instead of {}",
                e.block_id_flag, l.block_id_flag
            )));
        }
        let who = hex::encode_upper(&ev.address);
        if !seen.insert(ev.address.to_vec()) {
            return Err(BeaconError::DuplicateValidator(who));
        }
        if ev.power <= 0 {
            return Err(BeaconError::InvalidPower(format!(
                "validator {who} has power {}",
                ev.power
            )));
        }
        out.total_power = out
            .total_power
            .checked_add(ev.power)
            .ok_or_else(|| BeaconError::InvalidPower("total power overflows".into()))?;
        let flag = BlockIdFlag::try_from(e.block_id_flag).unwrap_or(BlockIdFlag::Unknown);
        match flag {
            BlockIdFlag::Commit => {}
            BlockIdFlag::Absent | BlockIdFlag::Nil => {
                if !e.vote_extension.is_empty() || !e.extension_signature.is_empty() {
                    return Err(BeaconError::ExtensionOnNonCommitVote(who));
                }
                continue;
            }
            BlockIdFlag::Unknown => {
                return Err(mismatch(format!("unknown flag {}", e.block_id_flag)));
            }
        }
        let bad = |reason| BeaconError::BadSignature {
            validator: who.clone(),
            reason,
        };
        let key_bytes =
            pubkey_of(&ev.address).ok_or_else(|| BeaconError::UnknownValidator(who.clone()))?;
        if consensus_address(&key_bytes) != ev.address.as_ref() {
            return Err(bad("the known consensus key does not match the address"));
        }
        let key = <[u8; 32]>::try_from(key_bytes.as_slice())
            .ok()
            .and_then(|k| VerificationKey::try_from(k).ok())
            .ok_or_else(|| bad("the consensus key is not an ed25519 key"))?;
        if e.extension_signature.is_empty() {
            return Err(bad("missing"));
        }
        let sig = <[u8; 64]>::try_from(e.extension_signature.as_ref())
            .map(Signature::from)
            .map_err(|_| bad("not 64 bytes"))?;
        let msg = sign_bytes(chain_id, height, ext.round, &e.vote_extension);
        key.verify(&sig, &msg)
            .map_err(|_| bad("does not verify under the validator's consensus key"))?;
        out.signed_power = out
            .signed_power
            .checked_add(ev.power)
            .ok_or_else(|| BeaconError::InvalidPower("signed power overflows".into()))?;
        out.signed.push(SignedExtension {
            validator: ev.address.to_vec(),
            power: ev.power,
            extension: e.vote_extension.to_vec(),
        });
    }
    // More than 2/3, in integers (i128: 3 × i64 cannot overflow).
    if i128::from(out.signed_power) * 3 <= i128::from(out.total_power) * 2 {
        return Err(BeaconError::InsufficientPower {
            signed: out.signed_power,
            total: out.total_power,
        });
    }
    Ok(out)
}
