//! `bls-upgrade`: software upgrades without a hard fork, with Cosmos `x/upgrade` semantics.
//!
//! # Design
//! - A passed software-upgrade proposal (see `bls-gov`) [`state::schedule`]s one [`Plan`]: a
//!   name and a height. At most one plan is pending; a new one replaces it, a cancel proposal
//!   removes it.
//! - At the plan's height the app (not this crate: it needs the binary's own list of
//!   migrations and the node's home directory) either runs the migration the binary
//!   registered under the plan's name and records the plan as [`state::applied`], or — when
//!   the binary knows no such plan — writes cosmovisor's `data/upgrade-info.json` and halts
//!   before executing the block, so every node stops at the same height with the same state
//!   and the next binary continues from there.
//! - Queries are JSON under `/bls.upgrade.v1.Query/`: `CurrentPlan`, `AppliedPlan`.
//! - Deterministic: heights only, ordered maps.

pub mod error;
pub mod genesis;
pub mod queries;
pub mod state;

use bls_core::spec::{ExportGenesisFn, InitGenesisFn, ModuleSpec, QueryFn};

pub use error::UpgradeError;
pub use state::Plan;

/// The upgrade module (stateless handle; state lives in the store).
#[derive(Clone, Copy, Debug, Default)]
pub struct UpgradeModule;

impl ModuleSpec for UpgradeModule {
    type Error = UpgradeError;
    type Genesis = genesis::GenesisState;

    const NAME: &'static str = "upgrade";
    const QUERY_PREFIX: &'static str = queries::QUERY_PREFIX;
    const QUERY: QueryFn<Self::Error> = queries::query;
    const INVALID_GENESIS: fn(serde_json::Error) -> Self::Error =
        |e| UpgradeError::InvalidGenesis(e.to_string());
    const INIT_GENESIS: InitGenesisFn<Self::Genesis, Self::Error> =
        |ctx, g| genesis::init_genesis(ctx.store, g);
    const EXPORT_GENESIS: ExportGenesisFn<Self::Genesis, Self::Error> = genesis::export_genesis;
    const EXPORT_CONTEXT: &'static str = "upgrade genesis";
}
