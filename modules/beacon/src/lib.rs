//! `bls-beacon`: assignment randomness that no single proposer chooses.
//!
//! # Design
//! - **Why**: whoever can predict or choose the seed of an assignment chooses who runs a job
//!   or sits in a subnetwork. A block hash is chosen by its proposer (transaction order,
//!   time), and any value known when a transaction is included lets that block's proposer
//!   decide whether to include it.
//! - **Reveals** ([`extension`]): each validator's node keeps a 32-byte secret
//!   (`<home>/data/beacon_secret`) and derives its value for height `h` as
//!   `s_h = HMAC-SHA256(secret, chain_id ‖ h)`. Its ABCI vote extension at `h` is
//!   `(s_h, commit(s_{h+1}))`: a value is bound one height before it is revealed.
//!   `VerifyVoteExtension` checks the shape only (empty = withheld, or the 65-byte layout), so
//!   an honest extension is never refused.
//! - **Delivery** ([`pseudo_tx`], [`verify`]): the proposer of `h + 1` puts the extended
//!   commit info of `h` into its block as a marked first pseudo-transaction. ProcessProposal
//!   rejects the block, at heights where extensions are enabled, when it is missing,
//!   malformed or not first, differs from the block's last commit (validators, powers,
//!   flags, round), carries an extension signature that does not verify under the
//!   validator's consensus key, or holds 2/3 of the power or less. Marked bytes are refused
//!   by CheckTx and dropped from proposals anywhere else.
//! - **Mixing** ([`mix`]): FinalizeBlock hands the verified extensions to the beacon before
//!   any begin block; reveals matching the commitments on record are mixed in address order
//!   into `r_{h+1}`, which modules read as `BlockInfo::randomness` (query `Randomness`, event
//!   `bls.beacon`). Chains without vote extensions chain block hashes instead.
//! - **Deferred use**: randomness must be consumed in begin block, on state fixed by the
//!   previous block (orchestration assigns jobs and places subnetworks there), so the
//!   proposer that chose the transactions could not know it.
//! - **Residual bias**: a validator may withhold its own reveal, and the proposer of `h + 1`
//!   may leave out of its last commit precommits beyond the 2/3 it needs; each gives a choice
//!   between a few outputs, not the power to pick one.
//! - Deterministic: integer math, ordered collections, only data from the block and state.

pub mod error;
pub mod events;
pub mod extension;
pub mod genesis;
pub mod mix;
pub mod pseudo_tx;
pub mod queries;
pub mod state;
pub mod verify;

use bls_core::spec::{ExportGenesisFn, InitGenesisFn, ModuleSpec, QueryFn};

pub use error::BeaconError;
pub use extension::VoteExtension;
pub use verify::{verify_extended_commit, SignedExtension, VerifiedCommit};

/// The beacon module (stateless handle; all state lives in the store). It has no messages and
/// no block hooks: the app drives [`mix`] from FinalizeBlock, before every begin block.
#[derive(Clone, Copy, Debug, Default)]
pub struct BeaconModule;

impl ModuleSpec for BeaconModule {
    type Error = BeaconError;
    type Genesis = genesis::GenesisState;

    const NAME: &'static str = "beacon";
    const QUERY_PREFIX: &'static str = queries::QUERY_PREFIX;
    const QUERY: QueryFn<Self::Error> = queries::query;
    const INVALID_GENESIS: fn(serde_json::Error) -> Self::Error =
        |e| BeaconError::InvalidGenesis(e.to_string());
    const INIT_GENESIS: InitGenesisFn<Self::Genesis, Self::Error> = genesis::init_genesis;
    const EXPORT_GENESIS: ExportGenesisFn<Self::Genesis, Self::Error> = genesis::export_genesis;
    const EXPORT_CONTEXT: &'static str = "beacon genesis";
}
