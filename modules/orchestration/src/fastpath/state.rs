//! Fast-path state.
//!
//! Keys: `orch/fp/deposits/{invoker}` → ubls (decimal string), `orch/fp/settled/{request id
//! hex}` → settlement height (replay protection), `orch/fp/pinned/{function}` → head ids,
//! `orch/fp/evidence/{request id hex}/{worker}` → [`HandledPenalty`] (the penalty evidence
//! applied: a worker is punished at most once per request and penalty, and only upgraded from
//! a miss to a slash), `orch/fp/prune/{height}/{request id hex}` → () (the queue that forgets those
//! markers once the request's chain window has closed, [`super::prune`]), `orch/fp/stats` →
//! [`FastPathStats`] (cumulative totals). Deposits are held by
//! the `orchestration_fastpath` module account; invariants: its balance == Σ deposits ==
//! `FastPathStats::deposits`.

use bls_core::{Address, ModuleAccount};
use cosmwasm_std::Storage;
use cw_storage_plus::{Item, Map};
use serde::{Deserialize, Serialize};

use crate::error::OrchestrationError;

/// Module account holding fast-path deposits (exactly the sum of deposits).
pub const FASTPATH_ACCOUNT: ModuleAccount = ModuleAccount::new("orchestration_fastpath");

/// Share of the worker part of each fast-path fee paid to the settling head, basis points.
/// (A constant, not a param yet: changing it needs a genesis/param migration.)
pub const HEAD_SHARE_BPS: u32 = 2_000;

/// Most receipts in one [`super::msgs::MsgSettleReceipts`].
pub const MAX_RECEIPTS_PER_MSG: usize = 256;
/// Most signed results in one [`super::msgs::MsgSubmitEvidence`].
pub const MAX_EVIDENCE_RESULTS: usize = 64;
/// Most pinned heads per function.
pub const MAX_PINNED_HEADS: usize = 16;

/// Deposits by invoker.
pub(crate) const DEPOSITS: Map<&str, String> = Map::new("orch/fp/deposits");
/// Settled request ids (hex) → height.
pub(crate) const SETTLED: Map<&str, u64> = Map::new("orch/fp/settled");
/// Pinned heads by function.
pub(crate) const PINNED_HEADS: Map<u64, Vec<Address>> = Map::new("orch/fp/pinned");
/// Pending withdrawals by invoker.
pub(crate) const WITHDRAWALS: Map<&str, Withdrawal> = Map::new("orch/fp/withdrawals");
/// (request id hex, worker) already punished → the penalty applied.
pub(crate) const EVIDENCE_HANDLED: Map<(&str, &str), HandledPenalty> = Map::new("orch/fp/evidence");

/// The penalty fast-path evidence applied to a (request, worker), ordered by severity: later
/// evidence may raise it (`Miss` → `Slash`: a timed-out dissent first, then proof the same
/// worker equivocated) but never repeat or lower it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HandledPenalty {
    /// A liveness miss was recorded.
    Miss,
    /// The worker was slashed and jailed.
    Slash,
}

impl HandledPenalty {
    /// The default of a genesis marker that names no penalty: `Slash`, the highest, so an
    /// imported marker never lets the same worker be punished again for the request.
    pub fn slash() -> Self {
        HandledPenalty::Slash
    }
}
/// (last height of the request's chain window, request id hex): end block forgets the
/// request's replay and evidence markers after that height.
pub(crate) const PRUNE_QUEUE: Map<(u64, &str), ()> = Map::new("orch/fp/prune");
/// Most requests whose markers end block forgets per block (the rest wait for the next).
pub const MAX_PRUNES_PER_BLOCK: usize = 512;
/// Cumulative fast-path totals (absent: all zero).
pub(crate) const FASTPATH_STATS: Item<FastPathStats> = Item::new("orch/fp/stats");

/// Cumulative fast-path totals, kept so explorers and the dashboard need not replay events.
/// Settlement counters grow once per settled message (never per rejected one: a failed
/// message's writes are dropped with it); `deposits` follows every deposit change. Amounts
/// are ubls, decimal strings in JSON.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FastPathStats {
    /// `MsgSettleReceipts` messages accepted.
    pub settlements: u64,
    /// Receipts settled.
    #[serde(with = "bls_core::amount::u128_str")]
    pub receipts_settled: u128,
    /// Charged from deposits (= burned + to_heads + to_workers + to_community + to_owners).
    #[serde(with = "bls_core::amount::u128_str")]
    pub fees_charged: u128,
    /// Burnt.
    #[serde(with = "bls_core::amount::u128_str")]
    pub burned: u128,
    /// Paid to settling heads.
    #[serde(with = "bls_core::amount::u128_str")]
    pub to_heads: u128,
    /// Paid to signing workers.
    #[serde(with = "bls_core::amount::u128_str")]
    pub to_workers: u128,
    /// Paid to the community pool (its share and rounding remainders).
    #[serde(with = "bls_core::amount::u128_str")]
    pub to_community: u128,
    /// Current sum of all invoker deposits.
    #[serde(with = "bls_core::amount::u128_str")]
    pub deposits: u128,
    /// Listing prices paid to functions' owners ([`crate::market`]; absent in older state: 0).
    #[serde(default, with = "bls_core::amount::u128_str")]
    pub to_owners: u128,
}

/// The cumulative totals.
pub fn stats(store: &dyn Storage) -> Result<FastPathStats, OrchestrationError> {
    Ok(FASTPATH_STATS.may_load(store)?.unwrap_or_default())
}

/// Applies `f` to the stored totals. Saturating math in callers: a counter must never make
/// a deposit, withdrawal or settlement fail (e.g. state written before the totals existed
/// starts them at zero).
pub fn update_stats(
    store: &mut dyn Storage,
    f: impl FnOnce(&mut FastPathStats),
) -> Result<(), OrchestrationError> {
    let mut s = stats(store)?;
    f(&mut s);
    Ok(FASTPATH_STATS.save(store, &s)?)
}

/// A requested withdrawal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Withdrawal {
    /// Requested amount (ubls, decimal string); what remains of the deposit at release
    /// time is paid out if less.
    pub amount: String,
    /// First height at which it can be completed.
    pub release_height: u64,
}

/// The deposit module account.
pub fn fastpath_account() -> Address {
    FASTPATH_ACCOUNT.address()
}

/// `invoker`'s deposit (0 when none).
pub fn deposit_of(store: &dyn Storage, invoker: &Address) -> Result<u128, OrchestrationError> {
    match DEPOSITS.may_load(store, invoker.as_str())? {
        Some(s) => s
            .parse::<u128>()
            .map_err(|e| OrchestrationError::Store(format!("stored deposit: {e}"))),
        None => Ok(0),
    }
}

/// The sum of every invoker's deposit (walks all deposits: for invariant checks, which compare
/// it with the deposit account's balance; never on a block's path).
pub fn deposits_total(store: &dyn Storage) -> Result<u128, OrchestrationError> {
    let mut sum: u128 = 0;
    for item in DEPOSITS.range(store, None, None, cosmwasm_std::Order::Ascending) {
        let (_, amount) = item?;
        let amount = amount
            .parse::<u128>()
            .map_err(|e| OrchestrationError::Store(format!("stored deposit: {e}")))?;
        sum = sum
            .checked_add(amount)
            .ok_or_else(|| OrchestrationError::Store("deposits overflow".into()))?;
    }
    Ok(sum)
}

/// Sets `invoker`'s deposit (0 removes the entry).
pub fn set_deposit(
    store: &mut dyn Storage,
    invoker: &Address,
    amount: u128,
) -> Result<(), OrchestrationError> {
    if amount == 0 {
        DEPOSITS.remove(store, invoker.as_str());
        Ok(())
    } else {
        Ok(DEPOSITS.save(store, invoker.as_str(), &amount.to_string())?)
    }
}

/// Heads pinned for `function` (empty: any head).
pub fn pinned_heads(
    store: &dyn Storage,
    function: u64,
) -> Result<Vec<Address>, OrchestrationError> {
    Ok(PINNED_HEADS.may_load(store, function)?.unwrap_or_default())
}
