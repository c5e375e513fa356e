//! What an invocation of a listed function pays its owner, and the figures every invocation
//! adds to ([`super::state::FunctionStats`]). Orchestration calls these at invoke, at
//! settlement and failure of on-chain jobs, and at settlement of fast-path receipts.

use bls_core::{Address, Context, Event};
use cosmwasm_std::Storage;

use super::events;
use super::state;
use crate::error::OrchestrationError;

/// The owner and price of an invocation of `function_id` now (`None`: not listed).
pub fn price_of(
    store: &dyn Storage,
    function_id: u64,
) -> Result<Option<(Address, u128)>, OrchestrationError> {
    Ok(state::listing(store, function_id)?.map(|l| (l.owner, l.price)))
}

/// The owner and price a fast-path request whose window opens at `window_start` (its expiry
/// minus `fastpath_request_ttl`: the request was signed at or after it) pays at settlement: the
/// lower of the price in force then and the price now, so a price raised after the request was
/// signed is not charged. The caller caps it by what the signed `max_fee` and the deposit leave
/// beside the fee: a function listed (or relisted) after the request was signed gets at most
/// that, which is nothing for a client that signs exactly the cost it read.
pub fn fastpath_price(
    store: &dyn Storage,
    function_id: u64,
    window_start: u64,
) -> Result<Option<(Address, u128)>, OrchestrationError> {
    Ok(state::listing(store, function_id)?.map(|l| {
        let price = l.price_at(window_start).min(l.price);
        (l.owner, price)
    }))
}

/// Counts an invocation (an on-chain job created).
pub(crate) fn record_invocation(
    store: &mut dyn Storage,
    function_id: u64,
) -> Result<(), OrchestrationError> {
    state::update_stats(store, function_id, |s| {
        s.invocations = s.invocations.saturating_add(1)
    })
}

/// Counts an on-chain job's agreed result paying `royalty`, finalized `latency` blocks after
/// its invoke.
pub(crate) fn record_result(
    store: &mut dyn Storage,
    function_id: u64,
    royalty: u128,
    latency: u64,
) -> Result<(), OrchestrationError> {
    state::update_stats(store, function_id, |s| {
        s.results = s.results.saturating_add(1);
        s.revenue = s.revenue.saturating_add(royalty);
        s.record_latency(latency);
    })
}

/// Counts `count` invocations settled at once, each with its agreed result, that paid
/// `revenue` in prices: a function's fast-path receipts of one settlement, or its calls
/// inside one on-chain job.
pub(crate) fn record_settled(
    store: &mut dyn Storage,
    function_id: u64,
    count: u64,
    revenue: u128,
) -> Result<(), OrchestrationError> {
    state::update_stats(store, function_id, |s| {
        s.invocations = s.invocations.saturating_add(count);
        s.results = s.results.saturating_add(count);
        s.revenue = s.revenue.saturating_add(revenue);
    })
}

/// Counts an on-chain job that failed (refunded, price included).
pub(crate) fn record_failure(
    store: &mut dyn Storage,
    function_id: u64,
) -> Result<(), OrchestrationError> {
    state::update_stats(store, function_id, |s| {
        s.failures = s.failures.saturating_add(1)
    })
}

/// What paid a price: an on-chain job or a fast-path request.
pub(crate) enum PaidBy<'a> {
    /// An on-chain job.
    Job(u64),
    /// A fast-path request (hex id).
    Request(&'a str),
}

/// The `bls.royalty_paid` event (`job_id` 0 for the fast path, `request_id` empty on chain).
pub(crate) fn paid_event(
    ctx: &mut Context<'_>,
    function_id: u64,
    owner: &Address,
    amount: u128,
    by: PaidBy<'_>,
) {
    let (job_id, request_id) = match by {
        PaidBy::Job(id) => (id, ""),
        PaidBy::Request(id) => (0, id),
    };
    ctx.emit(
        Event::new(events::ROYALTY_PAID)
            .attr("function_id", function_id)
            .attr("owner", owner)
            .attr("amount", amount)
            .attr("job_id", job_id)
            .attr("request_id", request_id),
    );
}
