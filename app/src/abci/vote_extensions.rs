//! The app's side of the randomness beacon (`bls-beacon`): ABCI vote extensions and the
//! pseudo-transaction that carries them into blocks.
//!
//! - `ExtendVote`: this validator's reveal for the height and commitment for the next,
//!   derived from its `beacon_secret`; empty (withheld) when the node has no secret.
//! - `VerifyVoteExtension`: the shape only (empty or the 65-byte layout), never the content:
//!   commitments are checked when the block is executed, and refusing an honest extension
//!   would drop its precommit.
//! - `PrepareProposal`: when extensions are enabled for the previous height, the block
//!   starts with the pseudo-transaction built from `local_last_commit`; marked bytes are
//!   never taken from the mempool.
//! - `ProcessProposal`: [`check_block`] — a block that breaks the rules is rejected.
//! - `FinalizeBlock`: [`check_block`] again (a syncing node never saw ProcessProposal), then
//!   the beacon mixes what verified; see `BlsApp::finalize_block`.

use bls_beacon::error::BeaconError;
use bls_beacon::{mix, pseudo_tx, VerifiedCommit, VoteExtension};
use cosmwasm_std::Storage;
use prost::bytes::Bytes;
use tendermint_proto::v0_38::abci::{
    response_verify_vote_extension::VerifyStatus, CommitInfo, ExtendedCommitInfo,
    RequestExtendVote, RequestVerifyVoteExtension, ResponseExtendVote, ResponseVerifyVoteExtension,
};

/// `ExtendVote`: `(s_h, commit(s_{h+1}))` from the node's secret; empty without one.
pub fn extend_vote(
    secret: Option<&[u8; 32]>,
    chain_id: &str,
    r: &RequestExtendVote,
) -> ResponseExtendVote {
    let vote_extension = match (secret, u64::try_from(r.height)) {
        (Some(s), Ok(h)) => VoteExtension::for_height(s, chain_id, h).encode().into(),
        _ => Bytes::new(),
    };
    ResponseExtendVote { vote_extension }
}

/// `VerifyVoteExtension`: accepts an empty extension or the v1 layout, rejects anything else.
pub fn verify_vote_extension(r: &RequestVerifyVoteExtension) -> ResponseVerifyVoteExtension {
    let status = match VoteExtension::decode(&r.vote_extension) {
        Ok(_) => VerifyStatus::Accept,
        Err(e) => {
            tracing::warn!(
                validator = %hex::encode_upper(&r.validator_address),
                height = r.height,
                error = %e,
                "rejecting a malformed vote extension"
            );
            VerifyStatus::Reject
        }
    };
    ResponseVerifyVoteExtension {
        status: status as i32,
    }
}

/// The transactions of a proposal at `height`: the pseudo-transaction first when `required`,
/// then the mempool's transactions in order (never marked ones) while they fit `max_bytes`.
pub fn proposal_txs(
    required: bool,
    local_last_commit: Option<&ExtendedCommitInfo>,
    mempool: Vec<Bytes>,
    max_bytes: usize,
) -> Vec<Bytes> {
    let mut out = Vec::with_capacity(mempool.len().saturating_add(1));
    let mut total = 0usize;
    if required {
        let pseudo = pseudo_tx::encode(local_last_commit.unwrap_or(&ExtendedCommitInfo::default()));
        total = pseudo.len();
        out.push(Bytes::from(pseudo));
    }
    for tx in mempool {
        if pseudo_tx::is_marked(&tx) {
            continue;
        }
        total = total.saturating_add(tx.len());
        if total > max_bytes {
            break;
        }
        out.push(tx);
    }
    out
}

/// Checks a block's transactions against the beacon's rules and returns the verified
/// extensions (`None` when extensions are not enabled for the previous height).
pub fn check_block(
    state: &dyn Storage,
    chain_id: &str,
    height: u64,
    txs: &[Bytes],
    last_commit: Option<&CommitInfo>,
) -> Result<Option<VerifiedCommit>, BeaconError> {
    let required = mix::extensions_required(state, height)?;
    for (index, tx) in txs.iter().enumerate() {
        if pseudo_tx::is_marked(tx) && !(required && index == 0) {
            return Err(BeaconError::UnexpectedPseudoTx {
                index,
                why: if required {
                    "only the first transaction may carry vote extensions"
                } else {
                    "vote extensions are not enabled for the previous height"
                },
            });
        }
    }
    if !required {
        return Ok(None);
    }
    let first = txs
        .first()
        .filter(|t| pseudo_tx::is_marked(t))
        .ok_or(BeaconError::MissingVoteExtensions { height })?;
    let ext = pseudo_tx::decode(first)?;
    let empty = CommitInfo::default();
    let keys = |address: &[u8]| {
        bls_staking::consensus_keys::consensus_pubkey(state, address)
            .ok()
            .flatten()
    };
    bls_beacon::verify_extended_commit(
        chain_id,
        height.saturating_sub(1),
        &ext,
        last_commit.unwrap_or(&empty),
        &keys,
    )
    .map(Some)
}
