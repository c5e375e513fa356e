//! Beacon state. Keys (private to this crate): `beacon/config` ([`Config`]),
//! `beacon/randomness` ([`Randomness`], the current output), `beacon/commitments`
//! ([`Commitments`], what each validator bound itself to reveal at the next height).

use cosmwasm_std::Storage;
use cw_storage_plus::Item;
use serde::{Deserialize, Serialize};

use crate::error::BeaconError;

const CONFIG: Item<Config> = Item::new("beacon/config");
const RANDOMNESS: Item<Randomness> = Item::new("beacon/randomness");
const COMMITMENTS: Item<Commitments> = Item::new("beacon/commitments");

/// What the beacon learns from CometBFT at InitChain.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Config {
    /// Consensus param `abci.vote_extensions_enable_height` (0: vote extensions disabled).
    pub vote_extensions_enable_height: u64,
    /// The chain's first height (no last commit there).
    pub initial_height: u64,
}

/// Where a block's randomness came from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The genesis value (chain id and initial height, or the exported value).
    #[default]
    Genesis,
    /// The validators' vote-extension reveals of the previous height.
    VoteExtensions,
    /// The block hash: vote extensions are not enabled for the previous height (the proposer
    /// can grind this value).
    BlockHash,
    /// Vote extensions were required but the decided block carried none that verify (only
    /// possible if more than 1/3 of the power accepted such a block): chained without input.
    Missing,
}

impl Source {
    /// The snake-case name used in events and queries.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Genesis => "genesis",
            Source::VoteExtensions => "vote_extensions",
            Source::BlockHash => "block_hash",
            Source::Missing => "missing",
        }
    }
}

/// The beacon's output for one block.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Randomness {
    /// The block whose randomness this is.
    pub height: u64,
    /// 32 bytes, hex.
    pub value: String,
    /// Where it came from.
    pub source: Source,
    /// Reveals mixed in (commit votes whose reveal matched the validator's commitment).
    pub reveals: u32,
    /// Commit votes whose reveal did not count (withheld, malformed, no or another
    /// commitment on record).
    pub withheld: u32,
    /// Voting power of the validators whose reveals were mixed.
    pub mixed_power: i64,
    /// Voting power of every vote in the commit.
    pub total_power: i64,
}

impl Randomness {
    /// The value's bytes (zeros if the stored hex is damaged, which only a bug can cause).
    pub fn bytes(&self) -> [u8; 32] {
        hex::decode(&self.value)
            .ok()
            .and_then(|v| <[u8; 32]>::try_from(v.as_slice()).ok())
            .unwrap_or([0; 32])
    }
}

/// One validator's commitment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commitment {
    /// Consensus address, upper-case hex.
    pub validator: String,
    /// `commit(s_h)`, hex.
    pub commitment: String,
}

/// The commitments made at `for_height - 1`, to be revealed at `for_height`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commitments {
    /// The height whose reveals these commitments check.
    pub for_height: u64,
    /// Sorted by validator.
    pub entries: Vec<Commitment>,
}

/// The InitChain config (defaults: extensions disabled).
pub fn config(store: &dyn Storage) -> Result<Config, BeaconError> {
    Ok(CONFIG.may_load(store)?.unwrap_or_default())
}

pub(crate) fn save_config(store: &mut dyn Storage, c: &Config) -> Result<(), BeaconError> {
    Ok(CONFIG.save(store, c)?)
}

/// The current randomness (the last block's; the genesis value before the first block).
pub fn randomness(store: &dyn Storage) -> Result<Randomness, BeaconError> {
    Ok(RANDOMNESS.may_load(store)?.unwrap_or_default())
}

pub(crate) fn save_randomness(store: &mut dyn Storage, r: &Randomness) -> Result<(), BeaconError> {
    Ok(RANDOMNESS.save(store, r)?)
}

/// The commitments on record.
pub fn commitments(store: &dyn Storage) -> Result<Commitments, BeaconError> {
    Ok(COMMITMENTS.may_load(store)?.unwrap_or_default())
}

pub(crate) fn save_commitments(
    store: &mut dyn Storage,
    c: &Commitments,
) -> Result<(), BeaconError> {
    if c.entries.is_empty() {
        COMMITMENTS.remove(store);
        Ok(())
    } else {
        Ok(COMMITMENTS.save(store, c)?)
    }
}
