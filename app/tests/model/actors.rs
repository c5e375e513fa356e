//! Who acts: workers and heads with a fixed behaviour, fast-path invokers as the model
//! tracks them, the deployed functions.

use bls_client::keys::KeyPair;
use bls_core::Address;

/// How an actor behaves as a worker (fixed for its key).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// Commits and reveals the correct result of every job; signs the correct fast-path
    /// result once per request.
    Honest,
    /// Commits and reveals its own wrong result; signs its own wrong fast-path result.
    Liar,
    /// Honest on chain, but signs its own wrong fast-path result (so it stays active and in
    /// subnetworks, and the fast-path evidence rule is what catches it).
    FastLiar,
    /// Never answers.
    Silent,
    /// Commits the correct result but never reveals; signs nothing on the fast path.
    Withholder,
}

/// A worker or head.
pub struct Actor {
    /// Label in reports.
    pub name: String,
    /// Operator (account) key.
    pub operator: KeyPair,
    /// Result-signing key.
    pub result_key: KeyPair,
    /// As a worker.
    pub behaviour: Behaviour,
    /// Registered as a head.
    pub head: bool,
    /// A byzantine head: it signs lying statements for what it serves, never answers a
    /// challenge of its charges, and submits receipts it should not be paid for.
    pub byzantine_head: bool,
    /// The bond it registers with (ubls): an honest actor must always hold all of it.
    pub bond: u128,
}

impl Actor {
    /// Its worker id.
    pub fn addr(&self) -> &Address {
        self.operator.address()
    }

    /// Whether every rule must leave it unpunished: an honest worker or an honest head.
    pub fn honest(&self) -> bool {
        self.behaviour == Behaviour::Honest && !self.byzantine_head
    }
}

/// A fast-path invoker as the model tracks it.
pub struct FastInvoker {
    /// Its key.
    pub key: KeyPair,
    /// What the chain must hold as its deposit.
    pub deposit: u128,
    /// Fees of served requests not settled yet.
    pub pending_fees: u128,
    /// A requested withdrawal: amount, release height.
    pub withdrawal: Option<(u128, u64)>,
    /// Next request nonce.
    pub nonce: u64,
}

/// A deployed function.
pub struct Function {
    /// Listing price per invocation (0: not listed).
    pub price: u128,
    /// Id.
    pub id: u64,
    /// sha256 of its code.
    pub code_hash: [u8; 32],
    /// Quorum `m`.
    pub quorum: u32,
    /// Functions it calls (manifest `calls`): composed functions run on chain only.
    pub calls: Vec<u64>,
    /// What an invocation escrows for its calls' prices.
    pub call_reserve: u128,
}
