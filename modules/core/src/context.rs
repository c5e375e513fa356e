//! What a handler sees: the store, the block it runs in, the gas meter, and an event sink.

use cosmwasm_std::Storage;
use serde::{Deserialize, Serialize};

use crate::events::Event;
use crate::gas::GasMeter;

/// Block data available to handlers. Deterministic: it comes from the block header, never from
/// the local clock.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockInfo {
    /// Height of the block being executed.
    pub height: u64,
    /// Block time, seconds since the Unix epoch.
    pub time_secs: i64,
    /// Block time, nanoseconds part.
    pub time_nanos: u32,
    /// Chain id.
    pub chain_id: String,
    /// Hash of the block being executed. The proposer can grind it (transaction order, time),
    /// so nothing that decides who is assigned may be seeded by it: use `randomness`.
    pub hash: Vec<u8>,
    /// The randomness beacon's output for this block (see `bls-beacon`): a mix of the
    /// validators' vote-extension reveals, committed one height before they were revealed,
    /// so neither the proposer of the block that included a transaction nor any single
    /// validator chooses it. Set before begin block; every node sees the same value. On
    /// chains without vote extensions it is chained from block hashes (proposer-grindable).
    pub randomness: [u8; 32],
    /// Consensus address of the proposer.
    pub proposer: Vec<u8>,
    /// Votes of the previous block's decided commit (for downtime tracking).
    pub last_commit: Vec<VoteInfo>,
    /// Misbehavior (double-sign evidence) CometBFT reports in this block.
    pub misbehavior: Vec<Misbehavior>,
}

/// One validator's vote in the decided last commit.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoteInfo {
    /// Consensus address (20 bytes, sha256(ed25519 pubkey)[..20]).
    pub validator_address: Vec<u8>,
    /// Voting power at that height.
    pub power: i64,
    /// True if its signature is in the commit.
    pub signed: bool,
}

/// Evidence of a validator's misbehavior.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Misbehavior {
    /// Consensus address of the offender.
    pub validator_address: Vec<u8>,
    /// Height of the offence.
    pub height: u64,
    /// Power at the offence.
    pub power: i64,
    /// True for duplicate-vote (double-sign) evidence, false for light-client attacks.
    pub duplicate_vote: bool,
}

/// A change of CometBFT's validator set, returned from FinalizeBlock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidatorUpdate {
    /// ed25519 consensus public key (32 bytes).
    pub ed25519_pubkey: Vec<u8>,
    /// New voting power (0 removes the validator).
    pub power: i64,
}

/// The execution context of one message (or of begin/end-block logic).
pub struct Context<'a> {
    /// State, gas-metered by the caller when running a tx.
    pub store: &'a mut dyn Storage,
    /// The block being executed.
    pub block: &'a BlockInfo,
    /// Gas meter of the tx (infinite outside txs).
    pub gas: &'a GasMeter,
    /// Events emitted so far, in order.
    pub events: Vec<Event>,
    /// Validator-set changes requested (end-block of the staking module).
    pub validator_updates: Vec<ValidatorUpdate>,
}

impl<'a> Context<'a> {
    /// A context over `store` for `block`.
    pub fn new(store: &'a mut dyn Storage, block: &'a BlockInfo, gas: &'a GasMeter) -> Self {
        Self {
            store,
            block,
            gas,
            events: Vec::new(),
            validator_updates: Vec::new(),
        }
    }

    /// Records an event.
    pub fn emit(&mut self, e: Event) {
        self.events.push(e);
    }
}
