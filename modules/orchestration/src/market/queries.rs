//! Marketplace queries (`/bls.orchestration.v1.Query/Listing`, `.../Listings`,
//! `.../FunctionStats`). `Listings` filters by tag, owner and price range and orders by
//! function id (paged with `start_after`) or by popularity (invocations, most first; paged
//! with `offset`, ranking the matches among the first [`MAX_SCAN`] listings looked at). Every
//! page looks at most
//! [`MAX_SCAN`] listings, so no query can make a node walk an unbounded store.

use bls_core::Address;
use cosmwasm_std::Storage;
use serde::{Deserialize, Serialize};

use super::state::{self, FunctionStats, Listing};
use crate::error::OrchestrationError;
use crate::queries::{limit, parse_req, to_json, MAX_SCAN};

/// A function's figures as queries show them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatsView {
    /// On-chain jobs created and fast-path receipts settled.
    pub invocations: u64,
    /// Of them, ended with an agreed result.
    pub results: u64,
    /// On-chain jobs that failed (refunded).
    pub failures: u64,
    /// Prices paid to the owner, ubls (decimal string).
    pub revenue: String,
    /// Median blocks from invoke to finality of on-chain jobs (`null` before any).
    pub median_latency_blocks: Option<u64>,
}

impl From<&FunctionStats> for StatsView {
    fn from(s: &FunctionStats) -> Self {
        StatsView {
            invocations: s.invocations,
            results: s.results,
            failures: s.failures,
            revenue: s.revenue.to_string(),
            median_latency_blocks: s.median_latency_blocks(),
        }
    }
}

/// A listing with the function's figures.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ListingView {
    /// The listing.
    pub listing: Listing,
    /// The function's version now (what "latest" runs).
    pub version: u64,
    /// Its figures.
    pub stats: StatsView,
}

/// `Listing` / `FunctionStats` request.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FunctionIdRequest {
    /// Function id.
    pub function_id: u64,
}

/// `Listings` request.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ListingsRequest {
    /// Only listings with this tag.
    pub tag: Option<String>,
    /// Only this owner's.
    pub owner: Option<String>,
    /// Only prices at least this (ubls, decimal).
    pub min_price: Option<String>,
    /// Only prices at most this (ubls, decimal).
    pub max_price: Option<String>,
    /// `id` (default) or `popularity`.
    pub order_by: Option<String>,
    /// By id: start after this function id.
    pub start_after: Option<u64>,
    /// By popularity: skip this many.
    pub offset: Option<u64>,
    /// Page size (≤ 100).
    pub limit: Option<u32>,
}

/// `Listings` response.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ListingsResponse {
    /// The page.
    pub listings: Vec<ListingView>,
    /// By id: the `start_after` of the next page; by popularity: its `offset` (`null`: no
    /// more within the scan).
    pub next: Option<u64>,
}

fn bad(e: impl std::fmt::Display) -> OrchestrationError {
    OrchestrationError::InvalidQuery(e.to_string())
}

fn view(store: &dyn Storage, l: Listing) -> Result<ListingView, OrchestrationError> {
    let version = crate::state::must_get_function(store, l.function_id)?.version;
    let stats = StatsView::from(&state::stats(store, l.function_id)?);
    Ok(ListingView {
        listing: l,
        version,
        stats,
    })
}

fn price(field: &str, s: &Option<String>) -> Result<Option<u128>, OrchestrationError> {
    s.as_deref()
        .map(|p| {
            p.trim()
                .parse::<u128>()
                .map_err(|_| bad(format!("{field} must be a decimal ubls amount")))
        })
        .transpose()
}

fn listings(
    store: &dyn Storage,
    req: &ListingsRequest,
) -> Result<ListingsResponse, OrchestrationError> {
    let page = limit(req.limit);
    let owner = req
        .owner
        .as_deref()
        .map(Address::parse)
        .transpose()
        .map_err(bad)?;
    let (lo, hi) = (
        price("min_price", &req.min_price)?,
        price("max_price", &req.max_price)?,
    );
    let by_popularity = match req.order_by.as_deref().unwrap_or("id") {
        "id" => false,
        "popularity" => true,
        other => {
            return Err(bad(format!(
                "order_by must be id or popularity, not {other:?}"
            )))
        }
    };
    let keep = |l: &Listing| {
        owner.as_ref().is_none_or(|o| l.owner == *o)
            && lo.is_none_or(|p| l.price >= p)
            && hi.is_none_or(|p| l.price <= p)
    };
    let start = if by_popularity { None } else { req.start_after };
    // Candidates in id order, at most MAX_SCAN looked at.
    let candidates: Box<dyn Iterator<Item = Listing>> = match &req.tag {
        Some(tag) => Box::new(
            state::tagged(store, tag, start)
                .filter_map(|id| state::listing(store, id).ok().flatten()),
        ),
        None => Box::new(state::listings_after(store, start)),
    };
    let mut last = None;
    let mut matched = Vec::new();
    let mut exhausted = true;
    for (scanned, l) in candidates.enumerate() {
        if scanned == MAX_SCAN || (!by_popularity && matched.len() == page) {
            exhausted = false;
            break;
        }
        last = Some(l.function_id);
        if keep(&l) {
            matched.push(l);
        }
    }
    if by_popularity {
        let mut ranked: Vec<(u64, Listing)> = matched
            .into_iter()
            .map(|l| Ok((state::stats(store, l.function_id)?.invocations, l)))
            .collect::<Result<_, OrchestrationError>>()?;
        ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.function_id.cmp(&b.1.function_id)));
        let offset = usize::try_from(req.offset.unwrap_or(0)).unwrap_or(usize::MAX);
        let total = ranked.len();
        let listings = ranked
            .into_iter()
            .skip(offset)
            .take(page)
            .map(|(_, l)| view(store, l))
            .collect::<Result<Vec<_>, _>>()?;
        let end = offset.saturating_add(listings.len());
        return Ok(ListingsResponse {
            listings,
            next: (end < total).then(|| u64::try_from(end).unwrap_or(u64::MAX)),
        });
    }
    let listings = matched
        .into_iter()
        .map(|l| view(store, l))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ListingsResponse {
        listings,
        next: if exhausted { None } else { last },
    })
}

/// Answers a marketplace query method (`None`: not one of them).
pub fn query(
    store: &dyn Storage,
    method: &str,
    data: &[u8],
) -> Option<Result<Vec<u8>, OrchestrationError>> {
    let r = match method {
        "Listing" => (|| {
            let req: FunctionIdRequest = parse_req(data)?;
            let l = state::listing(store, req.function_id)?
                .ok_or(OrchestrationError::NotListed(req.function_id))?;
            to_json(&view(store, l)?)
        })(),
        "Listings" => (|| to_json(&listings(store, &parse_req(data)?)?))(),
        "FunctionStats" => (|| {
            let req: FunctionIdRequest = parse_req(data)?;
            crate::state::must_get_function(store, req.function_id)?;
            to_json(&StatsView::from(&state::stats(store, req.function_id)?))
        })(),
        _ => return None,
    };
    Some(r)
}
