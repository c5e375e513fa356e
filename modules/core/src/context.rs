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

    /// Runs `f` on a branch of this context: its writes, events and validator updates are kept
    /// when it returns `Ok` and dropped, all of them, when it returns `Err`. Block hooks use it
    /// to process one item (a job's deadline) so that an item that fails cannot take the rest
    /// of the block's work down with it.
    pub fn branch<T, E>(
        &mut self,
        f: impl FnOnce(&mut Context<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let (result, changes, events, updates) = {
            let mut overlay = crate::overlay::Overlay::new(&*self.store);
            let mut inner = Context::new(&mut overlay, self.block, self.gas);
            let result = f(&mut inner);
            let events = std::mem::take(&mut inner.events);
            let updates = std::mem::take(&mut inner.validator_updates);
            drop(inner);
            (result, overlay.into_changes(), events, updates)
        };
        if result.is_ok() {
            changes.apply_to(self.store);
            self.events.extend(events);
            self.validator_updates.extend(updates);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::MockStorage;

    fn block() -> BlockInfo {
        BlockInfo {
            height: 7,
            ..BlockInfo::default()
        }
    }

    #[test]
    fn a_branch_keeps_everything_on_ok_and_nothing_on_err() {
        let mut store = MockStorage::new();
        store.set(b"kept", b"0");
        let b = block();
        let gas = GasMeter::infinite();
        let mut ctx = Context::new(&mut store, &b, &gas);
        let ok: Result<u8, ()> = ctx.branch(|c| {
            c.store.set(b"a", b"1");
            c.store.remove(b"kept");
            c.emit(Event::new("ok"));
            c.validator_updates.push(ValidatorUpdate {
                ed25519_pubkey: vec![1],
                power: 1,
            });
            // A nested branch that fails leaves the outer one intact.
            let inner: Result<(), ()> = c.branch(|c| {
                c.store.set(b"inner", b"x");
                c.emit(Event::new("inner"));
                Err(())
            });
            assert!(inner.is_err());
            assert_eq!(c.store.get(b"inner"), None);
            Ok(5)
        });
        assert_eq!(ok, Ok(5));
        let err: Result<(), &str> = ctx.branch(|c| {
            c.store.set(b"b", b"2");
            c.store.set(b"a", b"overwritten");
            c.emit(Event::new("dropped"));
            Err("fails")
        });
        assert_eq!(err, Err("fails"));
        let kinds: Vec<&str> = ctx.events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["ok"]);
        assert_eq!(ctx.validator_updates.len(), 1);
        drop(ctx);
        assert_eq!(store.get(b"a"), Some(b"1".to_vec()));
        assert_eq!(store.get(b"b"), None);
        assert_eq!(store.get(b"kept"), None);
    }
}
