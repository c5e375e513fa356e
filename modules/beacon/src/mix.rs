//! The mixing rule: how a block's randomness is made. Keeper functions; each takes the
//! context, writes the new output and emits `bls.beacon`.
//!
//! - With vote extensions ([`mix_extensions`]): for the verified extensions of height `h`,
//!   a validator's reveal counts when `commit(reveal)` equals the commitment it made at
//!   `h - 1`; then
//!   `r_{h+1} = sha256("bls/beacon/v1/reveals" ‖ r_h ‖ h ‖ n ‖ (address ‖ reveal)…)` over the
//!   counted reveals in address order, and each validator's new commitment (made at `h`, for
//!   `h + 1`) replaces the record. A reveal that does not match is not mixed, but its new
//!   commitment is kept, so a validator that lost its secret counts again one height later.
//!   The block hash is deliberately not an input: its proposer could grind it.
//! - Without (extensions not enabled for the previous height, [`mix_block_hash`]):
//!   `r_h = sha256("bls/beacon/v1/block-hash" ‖ r_{h-1} ‖ h ‖ block hash)`.
//! - Required but absent from a decided block ([`mix_missing`]; only a byzantine third can
//!   decide such a block): `r_h = sha256("bls/beacon/v1/missing" ‖ r_{h-1} ‖ h)`.
//!
//! Security: every reveal is bound a height before it is seen, so once one honest
//! validator's reveal is mixed nobody could predict `r_{h+1}` when block `h`'s transactions
//! were chosen. A validator can withhold its own reveal (one bit of choice), and the proposer
//! of `h + 1` chooses which precommits (beyond 2/3 of the power) its last commit includes.

use bls_core::Context;
use sha2::{Digest, Sha256};

use crate::error::BeaconError;
use crate::events;
use crate::extension::{commitment, VoteExtension};
use crate::state::{self, Commitment, Commitments, Config, Randomness, Source};
use crate::verify::VerifiedCommit;

const REVEALS_DOMAIN: &[u8] = b"bls/beacon/v1/reveals";
const BLOCK_HASH_DOMAIN: &[u8] = b"bls/beacon/v1/block-hash";
const MISSING_DOMAIN: &[u8] = b"bls/beacon/v1/missing";
const GENESIS_DOMAIN: &[u8] = b"bls/beacon/v1/genesis";

/// The genesis value of a chain: `sha256("bls/beacon/v1/genesis" ‖ chain_id ‖ initial_height)`.
pub fn genesis_value(chain_id: &str, initial_height: u64) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(GENESIS_DOMAIN);
    h.update(
        u64::try_from(chain_id.len())
            .unwrap_or(u64::MAX)
            .to_be_bytes(),
    );
    h.update(chain_id.as_bytes());
    h.update(initial_height.to_be_bytes());
    h.finalize().into()
}

/// Records the consensus facts CometBFT gives at InitChain (the vote-extension enable height
/// and the initial height).
pub fn set_consensus(
    ctx: &mut Context<'_>,
    initial_height: u64,
    vote_extensions_enable_height: u64,
) -> Result<(), BeaconError> {
    state::save_config(
        ctx.store,
        &Config {
            vote_extensions_enable_height,
            initial_height,
        },
    )
}

/// True when block `height` must start with the vote extensions of `height - 1`: extensions
/// are enabled at `height - 1` (CometBFT: enable height ≠ 0 and ≤ `height - 1`) and that
/// height exists (`height` is above the initial height).
pub fn extensions_required(
    store: &dyn cosmwasm_std::Storage,
    height: u64,
) -> Result<bool, BeaconError> {
    let c = state::config(store)?;
    let votes = height.saturating_sub(1);
    Ok(c.vote_extensions_enable_height != 0
        && height > c.initial_height.max(1)
        && votes >= c.vote_extensions_enable_height)
}

/// Mixes the verified extensions of height `commit.height` into this block's randomness.
pub fn mix_extensions(
    ctx: &mut Context<'_>,
    commit: &VerifiedCommit,
) -> Result<[u8; 32], BeaconError> {
    let prev = state::randomness(ctx.store)?;
    let record = state::commitments(ctx.store)?;
    let stored = |who: &str| {
        (record.for_height == commit.height)
            .then(|| {
                record
                    .entries
                    .binary_search_by(|e| e.validator.as_str().cmp(who))
                    .ok()
                    .and_then(|i| record.entries.get(i))
            })
            .flatten()
            .map(|e| e.commitment.clone())
    };
    // (address, reveal) of counted reveals and the new commitments, both by address.
    let mut counted: Vec<(Vec<u8>, [u8; 32])> = Vec::new();
    let mut next: Vec<Commitment> = Vec::new();
    let mut mismatched = Vec::new();
    let mut withheld: u32 = 0;
    let mut mixed_power: i64 = 0;
    for s in &commit.signed {
        let who = hex::encode_upper(&s.validator);
        let Ok(Some(ext)) = VoteExtension::decode(&s.extension) else {
            withheld = withheld.saturating_add(1);
            continue;
        };
        next.push(Commitment {
            validator: who.clone(),
            commitment: hex::encode(ext.commitment),
        });
        match stored(&who) {
            Some(c) if c == hex::encode(commitment(&ext.reveal)) => {
                counted.push((s.validator.clone(), ext.reveal));
                mixed_power = mixed_power.saturating_add(s.power);
            }
            Some(_) => {
                mismatched.push(who);
                withheld = withheld.saturating_add(1);
            }
            None => withheld = withheld.saturating_add(1),
        }
    }
    counted.sort();
    next.sort_by(|a, b| a.validator.cmp(&b.validator));
    let mut h = Sha256::new();
    h.update(REVEALS_DOMAIN);
    h.update(prev.bytes());
    h.update(commit.height.to_be_bytes());
    h.update(
        u64::try_from(counted.len())
            .unwrap_or(u64::MAX)
            .to_be_bytes(),
    );
    for (addr, reveal) in &counted {
        h.update(u64::try_from(addr.len()).unwrap_or(u64::MAX).to_be_bytes());
        h.update(addr);
        h.update(reveal);
    }
    let value: [u8; 32] = h.finalize().into();
    state::save_commitments(
        ctx.store,
        &Commitments {
            for_height: commit.height.saturating_add(1),
            entries: next,
        },
    )?;
    finish(
        ctx,
        Randomness {
            height: ctx.block.height,
            value: hex::encode(value),
            source: Source::VoteExtensions,
            reveals: u32::try_from(counted.len()).unwrap_or(u32::MAX),
            withheld,
            mixed_power,
            total_power: commit.total_power,
        },
        &mismatched,
    )?;
    Ok(value)
}

/// This block's randomness from its hash (vote extensions not enabled for the previous height).
pub fn mix_block_hash(ctx: &mut Context<'_>) -> Result<[u8; 32], BeaconError> {
    let prev = state::randomness(ctx.store)?;
    let mut h = Sha256::new();
    h.update(BLOCK_HASH_DOMAIN);
    h.update(prev.bytes());
    h.update(ctx.block.height.to_be_bytes());
    h.update(
        u64::try_from(ctx.block.hash.len())
            .unwrap_or(u64::MAX)
            .to_be_bytes(),
    );
    h.update(&ctx.block.hash);
    let value: [u8; 32] = h.finalize().into();
    chained(ctx, value, Source::BlockHash)
}

/// This block's randomness when its required vote extensions are missing or do not verify.
pub fn mix_missing(ctx: &mut Context<'_>) -> Result<[u8; 32], BeaconError> {
    let prev = state::randomness(ctx.store)?;
    let mut h = Sha256::new();
    h.update(MISSING_DOMAIN);
    h.update(prev.bytes());
    h.update(ctx.block.height.to_be_bytes());
    let value: [u8; 32] = h.finalize().into();
    chained(ctx, value, Source::Missing)
}

fn chained(
    ctx: &mut Context<'_>,
    value: [u8; 32],
    source: Source,
) -> Result<[u8; 32], BeaconError> {
    // No verified extensions: nobody's next commitment is on record.
    state::save_commitments(ctx.store, &Commitments::default())?;
    finish(
        ctx,
        Randomness {
            height: ctx.block.height,
            value: hex::encode(value),
            source,
            ..Default::default()
        },
        &[],
    )?;
    Ok(value)
}

fn finish(ctx: &mut Context<'_>, r: Randomness, mismatched: &[String]) -> Result<(), BeaconError> {
    state::save_randomness(ctx.store, &r)?;
    ctx.emit(events::beacon(&r, mismatched));
    Ok(())
}

/// Writes the genesis value (the exported one when given).
pub fn init(ctx: &mut Context<'_>, exported: Option<[u8; 32]>) -> Result<(), BeaconError> {
    let value = exported.unwrap_or_else(|| genesis_value(&ctx.block.chain_id, ctx.block.height));
    state::save_randomness(
        ctx.store,
        &Randomness {
            height: ctx.block.height.saturating_sub(1),
            value: hex::encode(value),
            source: Source::Genesis,
            ..Default::default()
        },
    )
}
