//! Fast-path part of the orchestration genesis (`app_state.orchestration.fastpath`):
//! deposits, pending withdrawals, settled request ids (replay protection), pinned heads,
//! punished-evidence markers, the queue that forgets those markers once a request's window has
//! closed, the cumulative totals and head accountability ([`super::head::genesis`]). Exported
//! in store key order
//! (ascending), so an export is deterministic.
//!
//! Deposits are not minted here: the bank genesis must fund `orchestration_fastpath` with at
//! least Σ deposits (bank genesis runs first). A pending withdrawal is a claim on its
//! invoker's deposit, not separate coins, so it needs no funds of its own.

use bls_core::{Address, Context};
use cosmwasm_std::{Order, Storage};
use serde::{Deserialize, Serialize};

use super::state::{
    fastpath_account, stats, FastPathStats, HandledPenalty, Withdrawal, DEPOSITS, EVIDENCE_HANDLED,
    FASTPATH_STATS, MAX_PINNED_HEADS, PINNED_HEADS, PRUNE_QUEUE, SETTLED, WITHDRAWALS,
};
use crate::error::OrchestrationError;
use crate::state::FUNCTIONS;

/// One invoker's deposit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisDeposit {
    /// Invoker address.
    pub invoker: String,
    /// Deposit (ubls, positive decimal string).
    pub amount: String,
}

/// One invoker's pending withdrawal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisWithdrawal {
    /// Invoker address.
    pub invoker: String,
    /// Requested amount (ubls, positive decimal string).
    pub amount: String,
    /// First height at which it can be completed.
    pub release_height: u64,
}

/// A settled request id (a replay of its receipt is refused).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisSettled {
    /// Request id, 64 lowercase hex characters.
    pub request_id: String,
    /// Height it was settled at.
    pub height: u64,
}

/// The heads pinned for one function.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisPinnedHeads {
    /// Function id.
    pub function_id: u64,
    /// Head worker addresses (1..=16, distinct).
    pub heads: Vec<String>,
}

/// A (request, worker) pair already punished on evidence, and how (punished at most once
/// per penalty; a miss may still be raised to a slash).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisEvidence {
    /// Request id, 64 lowercase hex characters.
    pub request_id: String,
    /// Punished worker address.
    pub worker: String,
    /// The penalty applied: `"miss"` or `"slash"` (absent: `"slash"`, which allows nothing
    /// more).
    #[serde(default = "HandledPenalty::slash")]
    pub penalty: HandledPenalty,
}

/// A request whose replay and evidence markers are forgotten after `height` (the last height
/// of its chain window).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisPrune {
    /// Last height of the request's window (expiry + settle window).
    pub height: u64,
    /// Request id, 64 lowercase hex characters (settled, or in `evidence_handled`).
    pub request_id: String,
}

/// `app_state.orchestration.fastpath` (absent in older genesis files: all empty).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FastPathGenesis {
    /// Deposits by invoker.
    pub deposits: Vec<GenesisDeposit>,
    /// Pending withdrawals by invoker.
    pub withdrawals: Vec<GenesisWithdrawal>,
    /// Settled request ids.
    pub settled: Vec<GenesisSettled>,
    /// Pinned heads by function.
    pub pinned_heads: Vec<GenesisPinnedHeads>,
    /// Punished (request, worker) pairs.
    pub evidence_handled: Vec<GenesisEvidence>,
    /// When settled and punished requests are forgotten (entries of older files without it
    /// are kept for good).
    pub prune_queue: Vec<GenesisPrune>,
    /// Cumulative totals; `stats.deposits` must equal Σ `deposits`.
    pub stats: FastPathStats,
    /// Head accountability: settlement records, challenges, punishment markers.
    pub head: super::head::genesis::HeadGenesis,
}

fn bad(s: impl Into<String>) -> OrchestrationError {
    OrchestrationError::InvalidParams(format!("genesis: fastpath.{}", s.into()))
}

fn address(what: &str, s: &str) -> Result<Address, OrchestrationError> {
    Address::parse(s).map_err(|e| bad(format!("{what}: {e}")))
}

/// A positive ubls amount written as a decimal string.
fn positive_amount(what: &str, s: &str) -> Result<u128, OrchestrationError> {
    match bls_core::coins::parse_amount(s) {
        Ok(0) => Err(bad(format!("{what}: amount must be positive"))),
        Ok(v) => Ok(v),
        Err(_) => Err(bad(format!(
            "{what}: amount {s:?} is not a decimal ubls amount (u128)"
        ))),
    }
}

/// Request ids are stored and looked up as lowercase hex: an uppercase id would never match
/// a settled receipt and so would silently lose its replay protection.
fn request_id(what: &str, s: &str) -> Result<(), OrchestrationError> {
    if s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        Ok(())
    } else {
        Err(bad(format!(
            "{what}: request id {s:?} must be 64 lowercase hex characters"
        )))
    }
}

/// Validates and writes the fast-path genesis. Runs after functions are written (pinned
/// heads must name one) and after bank genesis (the deposit account must hold Σ deposits).
pub fn init(ctx: &mut Context<'_>, g: &FastPathGenesis) -> Result<(), OrchestrationError> {
    let mut total: u128 = 0;
    for (i, d) in g.deposits.iter().enumerate() {
        let what = format!("deposits[{i}]");
        let invoker = address(&what, &d.invoker)?;
        let amount = positive_amount(&what, &d.amount)?;
        if DEPOSITS.has(ctx.store, invoker.as_str()) {
            return Err(bad(format!("{what}: second deposit for {invoker}")));
        }
        DEPOSITS.save(ctx.store, invoker.as_str(), &amount.to_string())?;
        total = total
            .checked_add(amount)
            .ok_or_else(|| bad("deposits: sum overflows u128"))?;
    }
    for (i, w) in g.withdrawals.iter().enumerate() {
        let what = format!("withdrawals[{i}]");
        let invoker = address(&what, &w.invoker)?;
        let amount = positive_amount(&what, &w.amount)?;
        // 0 is what the deposit query answers for "no withdrawal pending".
        if w.release_height == 0 {
            return Err(bad(format!("{what}: release_height must be positive")));
        }
        if WITHDRAWALS.has(ctx.store, invoker.as_str()) {
            return Err(bad(format!("{what}: second withdrawal for {invoker}")));
        }
        WITHDRAWALS.save(
            ctx.store,
            invoker.as_str(),
            &Withdrawal {
                amount: amount.to_string(),
                release_height: w.release_height,
            },
        )?;
    }
    for (i, s) in g.settled.iter().enumerate() {
        let what = format!("settled[{i}]");
        request_id(&what, &s.request_id)?;
        if s.height == 0 {
            return Err(bad(format!("{what}: height must be positive")));
        }
        if SETTLED.has(ctx.store, &s.request_id) {
            return Err(bad(format!(
                "{what}: request {} listed twice",
                s.request_id
            )));
        }
        SETTLED.save(ctx.store, &s.request_id, &s.height)?;
    }
    for (i, p) in g.pinned_heads.iter().enumerate() {
        let what = format!("pinned_heads[{i}]");
        if !FUNCTIONS.has(ctx.store, p.function_id) {
            return Err(bad(format!(
                "{what}: function {} does not exist",
                p.function_id
            )));
        }
        if PINNED_HEADS.has(ctx.store, p.function_id) {
            return Err(bad(format!(
                "{what}: function {} listed twice",
                p.function_id
            )));
        }
        // Empty pins are never stored (they mean "any head").
        if p.heads.is_empty() || p.heads.len() > MAX_PINNED_HEADS {
            return Err(bad(format!(
                "{what}: 1..={MAX_PINNED_HEADS} heads required"
            )));
        }
        let mut heads: Vec<Address> = Vec::with_capacity(p.heads.len());
        for h in &p.heads {
            let a = address(&what, h)?;
            if heads.contains(&a) {
                return Err(bad(format!("{what}: head {a} listed twice")));
            }
            heads.push(a);
        }
        PINNED_HEADS.save(ctx.store, p.function_id, &heads)?;
    }
    for (i, e) in g.evidence_handled.iter().enumerate() {
        let what = format!("evidence_handled[{i}]");
        request_id(&what, &e.request_id)?;
        let worker = address(&what, &e.worker)?;
        let key = (e.request_id.as_str(), worker.as_str());
        if EVIDENCE_HANDLED.has(ctx.store, key) {
            return Err(bad(format!("{what}: listed twice")));
        }
        EVIDENCE_HANDLED.save(ctx.store, key, &e.penalty)?;
    }
    for (i, q) in g.prune_queue.iter().enumerate() {
        let what = format!("prune_queue[{i}]");
        request_id(&what, &q.request_id)?;
        if q.height == 0 {
            return Err(bad(format!("{what}: height must be positive")));
        }
        let known = SETTLED.has(ctx.store, &q.request_id)
            || EVIDENCE_HANDLED
                .prefix(q.request_id.as_str())
                .keys(ctx.store, None, None, Order::Ascending)
                .next()
                .is_some();
        if !known {
            return Err(bad(format!(
                "{what}: request {} is neither settled nor in evidence_handled",
                q.request_id
            )));
        }
        let key = (q.height, q.request_id.as_str());
        if PRUNE_QUEUE.has(ctx.store, key) {
            return Err(bad(format!("{what}: listed twice")));
        }
        PRUNE_QUEUE.save(ctx.store, key, &())?;
    }
    if g.stats.deposits != total {
        return Err(bad(format!(
            "stats.deposits is {} but the deposits sum to {total}",
            g.stats.deposits
        )));
    }
    if g.stats != FastPathStats::default() {
        FASTPATH_STATS.save(ctx.store, &g.stats)?;
    }
    let held = bls_bank::keeper::balance(ctx.store, &fastpath_account(), bls_core::DENOM)?;
    // `<` rather than `!=`, as for the job escrow: extra coins in a module account are
    // harmless, missing ones would make withdrawals and settlements fail.
    if held < total {
        return Err(bad(format!(
            "deposits: {} holds {held}ubls but the deposits sum to {total}ubls",
            super::state::FASTPATH_ACCOUNT.name()
        )));
    }
    super::head::genesis::init(ctx, &g.head)
}

/// Reads the fast-path state back, every list in ascending key order.
pub fn export(store: &dyn Storage) -> Result<FastPathGenesis, OrchestrationError> {
    let mut g = FastPathGenesis {
        stats: stats(store)?,
        ..FastPathGenesis::default()
    };
    let mut total: u128 = 0;
    for item in DEPOSITS.range(store, None, None, Order::Ascending) {
        let (invoker, amount) = item?;
        let v: u128 = amount
            .parse()
            .map_err(|e| OrchestrationError::Store(format!("stored deposit of {invoker}: {e}")))?;
        total = total.saturating_add(v);
        g.deposits.push(GenesisDeposit { invoker, amount });
    }
    // `stats.deposits` is by definition Σ deposits; written from the sum so that a chain
    // whose deposits predate the totals exports a consistent (importable) genesis.
    g.stats.deposits = total;
    for item in WITHDRAWALS.range(store, None, None, Order::Ascending) {
        let (invoker, w) = item?;
        g.withdrawals.push(GenesisWithdrawal {
            invoker,
            amount: w.amount,
            release_height: w.release_height,
        });
    }
    for item in SETTLED.range(store, None, None, Order::Ascending) {
        let (request_id, height) = item?;
        g.settled.push(GenesisSettled { request_id, height });
    }
    for item in PINNED_HEADS.range(store, None, None, Order::Ascending) {
        let (function_id, heads) = item?;
        g.pinned_heads.push(GenesisPinnedHeads {
            function_id,
            heads: heads.into_iter().map(String::from).collect(),
        });
    }
    for item in EVIDENCE_HANDLED.range(store, None, None, Order::Ascending) {
        let ((request_id, worker), penalty) = item?;
        g.evidence_handled.push(GenesisEvidence {
            request_id,
            worker,
            penalty,
        });
    }
    for item in PRUNE_QUEUE.keys(store, None, None, Order::Ascending) {
        let (height, request_id) = item?;
        g.prune_queue.push(GenesisPrune { height, request_id });
    }
    g.head = super::head::genesis::export(store)?;
    Ok(g)
}
