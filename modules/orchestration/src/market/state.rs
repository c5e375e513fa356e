//! Marketplace state.
//!
//! Keys: `orch/mk/listings/{function}` → [`Listing`], `orch/mk/tags/{tag}/{function}` → ()
//! (the tag index), `orch/mk/stats/{function}` → [`FunctionStats`] (every function's figures,
//! listed or not).

use bls_core::Address;
use cosmwasm_std::{Order, Storage};
use cw_storage_plus::{Bound, Map};
use serde::{Deserialize, Serialize};

use crate::error::OrchestrationError;

/// A function's listing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Listing {
    /// Function id.
    pub function_id: u64,
    /// The owner who listed it (the function's owner).
    pub owner: Address,
    /// Display name.
    pub name: String,
    /// What it does.
    pub description: String,
    /// Tags.
    pub tags: Vec<String>,
    /// License.
    pub license: String,
    /// Source link.
    pub source_url: String,
    /// Price per invocation, ubls.
    #[serde(with = "bls_core::amount::u128_str")]
    pub price: u128,
    /// Terms of use.
    pub terms: String,
    /// Height of the first publication.
    pub listed_height: u64,
    /// Height of the last change.
    pub updated_height: u64,
    /// The price before the last price change (the listing's price when it never changed).
    #[serde(default, with = "bls_core::amount::u128_str")]
    pub previous_price: u128,
    /// Height of the last price change (the publication's when it never changed).
    #[serde(default)]
    pub price_changed_height: u64,
}

impl Listing {
    /// The price in force at `height` (price changes are at least
    /// [`super::rules::price_change_cooldown`] apart, so one step back is enough for every
    /// request that can still settle).
    pub fn price_at(&self, height: u64) -> u128 {
        if height < self.price_changed_height {
            self.previous_price
        } else {
            self.price
        }
    }
}

/// Buckets of the latency histogram: blocks 0..=62 from invoke to finality, and 63 for 63
/// or more.
pub const LATENCY_BUCKETS: usize = 64;

/// A function's figures from chain data.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionStats {
    /// Invocations: on-chain jobs created and fast-path receipts settled.
    pub invocations: u64,
    /// Invocations that ended with an agreed result (finalized jobs, settled receipts).
    pub results: u64,
    /// On-chain jobs that failed (refunded in full).
    pub failures: u64,
    /// Prices paid to the owner, ubls.
    #[serde(with = "bls_core::amount::u128_str")]
    pub revenue: u128,
    /// Finalized on-chain jobs by blocks from invoke to finality (the last bucket: that many
    /// or more).
    pub latency_blocks: Vec<u64>,
}

impl FunctionStats {
    /// Counts a job finalized `blocks` after its invoke.
    pub fn record_latency(&mut self, blocks: u64) {
        if self.latency_blocks.len() < LATENCY_BUCKETS {
            self.latency_blocks.resize(LATENCY_BUCKETS, 0);
        }
        let i = usize::try_from(blocks)
            .unwrap_or(usize::MAX)
            .min(LATENCY_BUCKETS - 1);
        self.latency_blocks[i] = self.latency_blocks[i].saturating_add(1);
    }

    /// The median of the recorded latencies in blocks (the lower median; `None` before any;
    /// the last bucket reads as its lower bound).
    pub fn median_latency_blocks(&self) -> Option<u64> {
        let total = self
            .latency_blocks
            .iter()
            .fold(0u64, |t, n| t.saturating_add(*n));
        if total == 0 {
            return None;
        }
        let rank = total.div_ceil(2);
        let mut seen = 0u64;
        for (i, n) in self.latency_blocks.iter().enumerate() {
            seen = seen.saturating_add(*n);
            if seen >= rank {
                return u64::try_from(i).ok();
            }
        }
        None
    }
}

/// Listings by function.
pub(crate) const LISTINGS: Map<u64, Listing> = Map::new("orch/mk/listings");
/// (tag, function) index of listings.
pub(crate) const TAGS: Map<(&str, u64), ()> = Map::new("orch/mk/tags");
/// Figures by function.
pub(crate) const STATS: Map<u64, FunctionStats> = Map::new("orch/mk/stats");

/// The listing of `function_id`, if it is listed.
pub fn listing(
    store: &dyn Storage,
    function_id: u64,
) -> Result<Option<Listing>, OrchestrationError> {
    Ok(LISTINGS.may_load(store, function_id)?)
}

/// Saves `l`, replacing `old`'s tag entries.
pub(crate) fn save_listing(
    store: &mut dyn Storage,
    old: Option<&Listing>,
    l: &Listing,
) -> Result<(), OrchestrationError> {
    if let Some(old) = old {
        for t in &old.tags {
            TAGS.remove(store, (t.as_str(), old.function_id));
        }
    }
    for t in &l.tags {
        TAGS.save(store, (t.as_str(), l.function_id), &())?;
    }
    LISTINGS.save(store, l.function_id, l)?;
    Ok(())
}

/// Removes the listing of `function_id` with its tag entries.
pub(crate) fn remove_listing(store: &mut dyn Storage, l: &Listing) {
    for t in &l.tags {
        TAGS.remove(store, (t.as_str(), l.function_id));
    }
    LISTINGS.remove(store, l.function_id);
}

/// The figures of `function_id` (zero when it has none yet).
pub fn stats(store: &dyn Storage, function_id: u64) -> Result<FunctionStats, OrchestrationError> {
    Ok(STATS.may_load(store, function_id)?.unwrap_or_default())
}

/// Changes the figures of `function_id`.
pub(crate) fn update_stats(
    store: &mut dyn Storage,
    function_id: u64,
    f: impl FnOnce(&mut FunctionStats),
) -> Result<(), OrchestrationError> {
    let mut s = stats(store, function_id)?;
    f(&mut s);
    STATS.save(store, function_id, &s)?;
    Ok(())
}

/// Function ids tagged `tag` after `start_after`, ascending.
pub(crate) fn tagged<'a>(
    store: &'a dyn Storage,
    tag: &'a str,
    start_after: Option<u64>,
) -> impl Iterator<Item = u64> + 'a {
    TAGS.prefix(tag)
        .keys(
            store,
            start_after.map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .filter_map(Result::ok)
}

/// Every listing after `start_after`, by function id.
pub(crate) fn listings_after(
    store: &dyn Storage,
    start_after: Option<u64>,
) -> impl Iterator<Item = Listing> + '_ {
    LISTINGS
        .range(
            store,
            start_after.map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .filter_map(Result::ok)
        .map(|(_, l)| l)
}

/// Every function's figures (genesis export).
pub(crate) fn all_stats(
    store: &dyn Storage,
) -> Result<Vec<(u64, FunctionStats)>, OrchestrationError> {
    STATS
        .range(store, None, None, Order::Ascending)
        .map(|r| r.map_err(OrchestrationError::from))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_comes_from_the_histogram() {
        let mut s = FunctionStats::default();
        assert_eq!(s.median_latency_blocks(), None);
        for b in [2, 3, 3, 9, 500] {
            s.record_latency(b);
        }
        assert_eq!(s.median_latency_blocks(), Some(3));
        assert_eq!(
            s.latency_blocks[LATENCY_BUCKETS - 1],
            1,
            "500 lands in the last bucket"
        );
        s.record_latency(1);
        assert_eq!(
            s.median_latency_blocks(),
            Some(3),
            "lower median of 1,2,3,3,9,63"
        );
    }
}
