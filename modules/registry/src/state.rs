//! Registry state and the keeper interface other modules (orchestration) call.
//!
//! Keys: `registry/workers/{operator}` → [`Worker`]; unique indexes `registry/pubkeys/{hex}`
//! and `registry/peers/{peer id}` → operator; `registry/unbonding/{height}/{operator}` → ()
//! (the unbonding queue, ordered by completion height); `registry/liveness/{operator}` →
//! [`Liveness`] and `registry/missed/{operator}/{slot}` → () (the missed bitmap of the
//! sliding window); `registry/params`; `registry/slashed_total`.

use bls_core::{Address, Coins, ModuleAccount};
use cosmwasm_std::{Order, Storage};
use cw_storage_plus::{Bound, Item, Map};
use serde::{Deserialize, Serialize};

use crate::error::RegistryError;
use crate::msgs::Capabilities;
use crate::params::Params;

/// Module account holding every worker bond (at least the sum of bonds and unbonding bonds).
pub const BONDS_ACCOUNT: ModuleAccount = ModuleAccount::new("registry_bonds");

/// The bonds module account address.
pub fn bonds_account() -> Address {
    BONDS_ACCOUNT.address()
}

/// Workers by id (= operator address).
pub const WORKERS: Map<&str, Worker> = Map::new("registry/workers");
/// Result-signing key (hex) → worker id; keeps keys unique.
pub const PUBKEYS: Map<&str, String> = Map::new("registry/pubkeys");
/// libp2p peer id → worker id; keeps peer ids unique.
pub const PEERS: Map<&str, String> = Map::new("registry/peers");
/// Unbonding queue: (completion height, worker id). One key serves both a deregistration
/// (`Worker::unbonding_height`) and partial unbondings (`Worker::unbonding`) completing then.
pub const UNBONDING: Map<(u64, &str), ()> = Map::new("registry/unbonding");
/// Liveness window state per worker.
pub const LIVENESS: Map<&str, Liveness> = Map::new("registry/liveness");
/// Missed bitmap: (worker id, slot) present when that slot was a miss.
pub const MISSED: Map<(&str, u64), ()> = Map::new("registry/missed");
/// Params.
pub const PARAMS: Item<Params> = Item::new("registry/params");
/// Most partial unbondings one worker may have in flight (bounds the record and end block work).
pub const MAX_UNBONDING_ENTRIES: usize = 7;

/// Total ubls ever slashed from worker bonds.
pub const SLASHED_TOTAL: Item<String> = Item::new("registry/slashed_total");

/// `worker` (executes jobs) or `head` (also serves the off-chain API).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Executes jobs.
    Worker,
    /// Head worker.
    Head,
}

impl Role {
    /// Parses `worker` / `head`.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "worker" => Some(Role::Worker),
            "head" => Some(Role::Head),
            _ => None,
        }
    }

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Worker => "worker",
            Role::Head => "head",
        }
    }
}

/// Lifecycle status of a worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkerStatus {
    /// Eligible for placement and assignment.
    Active,
    /// Temporarily excluded (misbehaviour or liveness); `MsgUnjailWorker` after the period.
    Jailed,
    /// Deregistered; the bond returns at `unbonding_height`.
    Unbonding,
}

impl WorkerStatus {
    /// Parses the lowercase name.
    pub fn parse(s: &str) -> Option<WorkerStatus> {
        match s {
            "active" => Some(WorkerStatus::Active),
            "jailed" => Some(WorkerStatus::Jailed),
            "unbonding" => Some(WorkerStatus::Unbonding),
            _ => None,
        }
    }

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkerStatus::Active => "active",
            WorkerStatus::Jailed => "jailed",
            WorkerStatus::Unbonding => "unbonding",
        }
    }
}

/// A registered worker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Worker {
    /// Worker id and operator account.
    pub operator: Address,
    /// Result-signing key, hex of 33 compressed bytes.
    pub result_pubkey: String,
    /// libp2p peer id.
    pub peer_id: String,
    /// libp2p multiaddrs.
    pub multiaddrs: Vec<String>,
    /// Region label.
    pub region: String,
    /// ASN or /24 subnet.
    pub network: String,
    /// What it can run.
    pub capabilities: Capabilities,
    /// Worker or head.
    pub role: Role,
    /// Current bond in ubls (after slashes).
    #[serde(with = "crate::amount::u128_str")]
    pub bond: u128,
    /// Status.
    pub status: WorkerStatus,
    /// While jailed: first height at which unjail is allowed.
    #[serde(default)]
    pub jailed_until: u64,
    /// While unbonding: height at which the bond is returned.
    #[serde(default)]
    pub unbonding_height: u64,
    /// Total slashed from this worker, ubls.
    #[serde(default, with = "crate::amount::u128_str")]
    pub slashed_total: u128,
    /// Why it was last slashed or jailed.
    #[serde(default)]
    pub last_penalty: String,
    /// Height of registration.
    #[serde(default)]
    pub registered_height: u64,
    /// Partial unbondings in flight (`MsgUnbondWorker`), by completion height. Their coins are
    /// still in the bonds account, are not part of `bond`, and are slashable until returned.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unbonding: Vec<UnbondingEntry>,
}

/// Part of a worker's bond on its way back to the operator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnbondingEntry {
    /// Height at which the unbonding started (the `MsgUnbondWorker` block). An infraction
    /// committed before this height cannot touch the entry (the coins had already left the
    /// bond). 0 means unknown (state or genesis written before the field existed): such an
    /// entry is treated as slashable, the pre-existing behaviour.
    #[serde(default)]
    pub start_height: u64,
    /// Height at whose end block the amount is returned.
    pub completion_height: u64,
    /// Amount in ubls (after slashes).
    #[serde(with = "crate::amount::u128_str")]
    pub amount: u128,
}

impl Worker {
    /// The worker id (its operator address).
    pub fn id(&self) -> &Address {
        &self.operator
    }
}

/// Sliding-window liveness counters of one worker.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Liveness {
    /// Assignments recorded since the window was last reset.
    pub index: u64,
    /// Misses in the current window.
    pub missed: u64,
}

/// Loads the params (defaults when genesis set none).
pub fn params(store: &dyn Storage) -> Result<Params, RegistryError> {
    Ok(PARAMS.may_load(store)?.unwrap_or_default())
}

/// Loads a worker, if registered.
pub fn get_worker(store: &dyn Storage, id: &Address) -> Result<Option<Worker>, RegistryError> {
    Ok(WORKERS.may_load(store, id.as_str())?)
}

/// Loads a worker or fails with [`RegistryError::UnknownWorker`].
pub fn must_get_worker(store: &dyn Storage, id: &Address) -> Result<Worker, RegistryError> {
    get_worker(store, id)?.ok_or_else(|| RegistryError::UnknownWorker(id.to_string()))
}

/// Saves a worker record.
pub fn save_worker(store: &mut dyn Storage, w: &Worker) -> Result<(), RegistryError> {
    Ok(WORKERS.save(store, w.operator.as_str(), w)?)
}

/// Every active worker (both roles), ordered by worker id: a deterministic order.
pub fn active_workers(store: &dyn Storage) -> Result<Vec<Worker>, RegistryError> {
    let mut out = Vec::new();
    for item in WORKERS.range(store, None, None, Order::Ascending) {
        let (_, w) = item?;
        if w.status == WorkerStatus::Active {
            out.push(w);
        }
    }
    Ok(out)
}

/// Every worker in id order (genesis export, queries).
pub fn all_workers(store: &dyn Storage) -> Result<Vec<Worker>, RegistryError> {
    WORKERS
        .range(store, None, None, Order::Ascending)
        .map(|r| r.map(|(_, w)| w).map_err(RegistryError::from))
        .collect()
}

/// Total ubls slashed from worker bonds since genesis.
pub fn slashed_total(store: &dyn Storage) -> Result<u128, RegistryError> {
    Ok(SLASHED_TOTAL
        .may_load(store)?
        .and_then(|s| s.parse::<u128>().ok())
        .unwrap_or(0))
}

/// `amount × bps / 10000` without overflow, rounded down.
pub fn mul_bps(amount: u128, bps: u32) -> u128 {
    let bps = u128::from(bps.min(10_000));
    (amount / 10_000) * bps + (amount % 10_000) * bps / 10_000
}

/// True when an unbonding entry is still at stake for an infraction at `infraction_height`:
/// it started unbonding at or after that height (the Cosmos SDK rule), or its start is unknown
/// (0, see [`UnbondingEntry::start_height`]).
pub fn entry_slashable(e: &UnbondingEntry, infraction_height: u64) -> bool {
    e.start_height == 0 || e.start_height >= infraction_height
}

/// Slashes `fraction_bps` (basis points, capped at 10000) of the worker's bond and of each of
/// its partial unbonding entries that started unbonding at or after `infraction_height` (an
/// entry begun earlier had left the bond before the infraction and is untouched, as in the
/// Cosmos SDK). The slashed part is burnt from the bonds account and recorded. Pass 0 when the
/// infraction height is unknown: every entry still in flight is then cut. Returns the total
/// amount slashed.
pub fn slash_worker(
    store: &mut dyn Storage,
    worker: &Address,
    fraction_bps: u32,
    infraction_height: u64,
    reason: &str,
) -> Result<u128, RegistryError> {
    let mut w = must_get_worker(store, worker)?;
    let mut amount = mul_bps(w.bond, fraction_bps);
    w.bond = w.bond.saturating_sub(amount);
    for e in &mut w.unbonding {
        if !entry_slashable(e, infraction_height) {
            continue;
        }
        let cut = mul_bps(e.amount, fraction_bps);
        e.amount = e.amount.saturating_sub(cut);
        amount = amount.saturating_add(cut);
    }
    if amount > 0 {
        let coins = Coins::from_coins([bls_core::Coin::ubls(amount)])
            .map_err(|e| RegistryError::Bank(e.to_string()))?;
        bls_bank::state::burn(store, &bonds_account(), &coins)?;
        w.slashed_total = w.slashed_total.saturating_add(amount);
        let total = slashed_total(store)?.saturating_add(amount);
        SLASHED_TOTAL.save(store, &total.to_string())?;
    }
    w.last_penalty = truncate(reason, 256);
    save_worker(store, &w)?;
    Ok(amount)
}

/// Jails the worker until `until_height` (extends, never shortens, an existing jail).
/// Unbonding workers stay unbonding. Returns true when the worker is jailed afterwards.
pub fn jail_worker(
    store: &mut dyn Storage,
    worker: &Address,
    until_height: u64,
) -> Result<bool, RegistryError> {
    let mut w = must_get_worker(store, worker)?;
    match w.status {
        WorkerStatus::Unbonding => return Ok(false),
        WorkerStatus::Jailed => w.jailed_until = w.jailed_until.max(until_height),
        WorkerStatus::Active => {
            w.status = WorkerStatus::Jailed;
            w.jailed_until = until_height;
        }
    }
    save_worker(store, &w)?;
    Ok(true)
}

/// Records an answered assignment in the worker's liveness window.
pub fn record_answer(
    store: &mut dyn Storage,
    worker: &Address,
    height: u64,
) -> Result<Option<u64>, RegistryError> {
    record(store, worker, height, true)
}

/// Records a missed assignment. Returns `Some(jailed_until)` when this miss jailed the worker
/// (fewer than `min_answered_per_window` answers in a full window).
pub fn record_miss(
    store: &mut dyn Storage,
    worker: &Address,
    height: u64,
) -> Result<Option<u64>, RegistryError> {
    record(store, worker, height, false)
}

fn record(
    store: &mut dyn Storage,
    worker: &Address,
    height: u64,
    answered: bool,
) -> Result<Option<u64>, RegistryError> {
    let w = must_get_worker(store, worker)?;
    let p = params(store)?;
    let window = p.signed_jobs_window.max(1);
    let id = worker.as_str();
    let mut live = LIVENESS.may_load(store, id)?.unwrap_or_default();
    let slot = live.index % window;
    let was_missed = MISSED.has(store, (id, slot));
    if !answered && !was_missed {
        MISSED.save(store, (id, slot), &())?;
        live.missed = live.missed.saturating_add(1);
    } else if answered && was_missed {
        MISSED.remove(store, (id, slot));
        live.missed = live.missed.saturating_sub(1);
    }
    live.index = live.index.saturating_add(1);
    let answered_in_window = window.saturating_sub(live.missed);
    let below = live.index >= window && answered_in_window < p.min_answered_per_window;
    if below && w.status == WorkerStatus::Active {
        let until = height.saturating_add(p.jail_blocks);
        jail_worker(store, worker, until)?;
        let mut jailed = must_get_worker(store, worker)?;
        jailed.last_penalty = "liveness: too many missed assignments".into();
        save_worker(store, &jailed)?;
        reset_liveness(store, worker)?;
        return Ok(Some(until));
    }
    LIVENESS.save(store, id, &live)?;
    Ok(None)
}

/// Clears a worker's liveness window (after a jail, on unbonding).
pub fn reset_liveness(store: &mut dyn Storage, worker: &Address) -> Result<(), RegistryError> {
    let id = worker.as_str();
    let slots: Vec<u64> = MISSED
        .prefix(id)
        .keys(store, None, None, Order::Ascending)
        .collect::<Result<_, _>>()?;
    for s in slots {
        MISSED.remove(store, (id, s));
    }
    LIVENESS.remove(store, id);
    Ok(())
}

/// The liveness counters of a worker.
pub fn liveness(store: &dyn Storage, worker: &Address) -> Result<Liveness, RegistryError> {
    Ok(LIVENESS
        .may_load(store, worker.as_str())?
        .unwrap_or_default())
}

/// Sum of a worker's partial unbonding entries.
pub fn unbonding_total(w: &Worker) -> u128 {
    w.unbonding
        .iter()
        .fold(0u128, |acc, e| acc.saturating_add(e.amount))
}

/// Unbonding entries due at or before `height`, in queue order.
pub fn due_unbondings(
    store: &dyn Storage,
    height: u64,
) -> Result<Vec<(u64, String)>, RegistryError> {
    let end = Bound::exclusive((height.saturating_add(1), ""));
    UNBONDING
        .keys(store, None, Some(end), Order::Ascending)
        .map(|r| r.map_err(RegistryError::from))
        .collect()
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}
