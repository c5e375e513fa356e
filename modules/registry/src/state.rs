//! Registry state: keys, records and read access. Storage maps are private to the registry;
//! other modules read workers through [`get_worker`] / [`must_get_worker`] /
//! [`active_workers`] and change them only through the keepers in [`crate::penalty`] and
//! [`crate::liveness`].
//!
//! Keys: `registry/workers/{operator}` → [`Worker`]; unique indexes `registry/pubkeys/{hex}`
//! and `registry/peers/{peer id}` → operator; `registry/unbonding/{height}/{operator}` → ()
//! (the unbonding queue, ordered by completion height); `registry/liveness/{operator}` →
//! [`Liveness`] and `registry/missed/{operator}/{slot}` → () (the missed bitmap of the
//! sliding window); `registry/params`; `registry/slashed_total`.

use bls_core::{Address, ModuleAccount};
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
pub(crate) const WORKERS: Map<&str, Worker> = Map::new("registry/workers");
/// Result-signing key (hex) → worker id; keeps keys unique.
pub(crate) const PUBKEYS: Map<&str, String> = Map::new("registry/pubkeys");
/// libp2p peer id → worker id; keeps peer ids unique.
pub(crate) const PEERS: Map<&str, String> = Map::new("registry/peers");
/// Unbonding queue: (completion height, worker id). One key serves both a deregistration
/// (`Worker::unbonding_height`) and partial unbondings (`Worker::unbonding`) completing then.
pub(crate) const UNBONDING: Map<(u64, &str), ()> = Map::new("registry/unbonding");
/// Liveness window state per worker.
pub(crate) const LIVENESS: Map<&str, Liveness> = Map::new("registry/liveness");
/// Missed bitmap: (worker id, slot) present when that slot was a miss.
pub(crate) const MISSED: Map<(&str, u64), ()> = Map::new("registry/missed");
/// Params.
pub(crate) const PARAMS: Item<Params> = Item::new("registry/params");
/// Most partial unbondings one worker may have in flight (bounds the record and end block work).
pub const MAX_UNBONDING_ENTRIES: usize = 7;

/// Total ubls ever slashed from worker bonds.
pub(crate) const SLASHED_TOTAL: Item<String> = Item::new("registry/slashed_total");

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
    /// X25519 public key (hex of 32 bytes) secrets are sealed to (HPKE); empty for a worker
    /// registered without one (it cannot hold a function's secrets). Set once: see
    /// `MsgUpdateWorker.encryption_pubkey`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub encryption_pubkey: String,
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
    #[serde(with = "bls_core::amount::u128_str")]
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
    #[serde(default, with = "bls_core::amount::u128_str")]
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
    #[serde(with = "bls_core::amount::u128_str")]
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
pub(crate) fn save_worker(store: &mut dyn Storage, w: &Worker) -> Result<(), RegistryError> {
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
