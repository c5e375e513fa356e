//! The marketplace in genesis: listings and every function's figures, in function order.
//! Import checks each listing as the messages do (a listed function exists, is active and is
//! owned by the listing's owner; fields and price within [`super::rules`]).

use bls_core::Context;
use cosmwasm_std::Storage;
use serde::{Deserialize, Serialize};

use super::rules::{check_fields, check_price};
use super::state::{self, FunctionStats, Listing, LATENCY_BUCKETS};
use crate::error::OrchestrationError;
use crate::state::{FunctionStatus, FUNCTIONS};

/// One function's figures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisStats {
    /// Function id.
    pub function_id: u64,
    /// Its figures.
    pub stats: FunctionStats,
}

/// The marketplace section of orchestration's genesis.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MarketGenesis {
    /// Listings.
    pub listings: Vec<Listing>,
    /// Figures.
    pub stats: Vec<GenesisStats>,
}

fn bad(s: impl Into<String>) -> OrchestrationError {
    OrchestrationError::InvalidParams(format!("genesis market: {}", s.into()))
}

/// Writes the section (after functions).
pub fn init(ctx: &mut Context<'_>, g: &MarketGenesis) -> Result<(), OrchestrationError> {
    for l in &g.listings {
        let f = FUNCTIONS
            .may_load(ctx.store, l.function_id)?
            .ok_or_else(|| bad(format!("listing of unknown function {}", l.function_id)))?;
        if f.owner != l.owner || f.status != FunctionStatus::Active {
            return Err(bad(format!(
                "listing of function {} by {}: not its active owner's",
                l.function_id, l.owner
            )));
        }
        check_fields(
            &l.name,
            &l.description,
            &l.tags,
            &l.license,
            &l.source_url,
            &l.terms,
        )
        .and_then(|()| check_price(l.price))
        .map_err(|e| bad(format!("listing of function {}: {e}", l.function_id)))?;
        if state::listing(ctx.store, l.function_id)?.is_some() {
            return Err(bad(format!("function {} listed twice", l.function_id)));
        }
        let mut l = l.clone();
        if l.previous_price == 0 {
            // A listing from before price history: it never changed.
            l.previous_price = l.price;
        }
        check_price(l.previous_price).map_err(|e| {
            bad(format!(
                "listing of function {}: previous {e}",
                l.function_id
            ))
        })?;
        state::save_listing(ctx.store, None, &l)?;
    }
    for s in &g.stats {
        if state::STATS.has(ctx.store, s.function_id) {
            return Err(bad(format!("figures of function {} twice", s.function_id)));
        }
        if !FUNCTIONS.has(ctx.store, s.function_id) {
            return Err(bad(format!(
                "figures of unknown function {}",
                s.function_id
            )));
        }
        if !s.stats.latency_blocks.is_empty() && s.stats.latency_blocks.len() != LATENCY_BUCKETS {
            return Err(bad(format!(
                "figures of function {}: latency_blocks has {} buckets, not {LATENCY_BUCKETS}",
                s.function_id,
                s.stats.latency_blocks.len()
            )));
        }
        state::STATS.save(ctx.store, s.function_id, &s.stats)?;
    }
    Ok(())
}

/// Reads the section back.
pub fn export(store: &dyn Storage) -> Result<MarketGenesis, OrchestrationError> {
    Ok(MarketGenesis {
        listings: state::listings_after(store, None).collect(),
        stats: state::all_stats(store)?
            .into_iter()
            .map(|(function_id, stats)| GenesisStats { function_id, stats })
            .collect(),
    })
}
