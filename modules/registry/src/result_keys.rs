//! Versioned result keys: every result-signing key a worker has had, with the heights it was
//! current, so a signature is judged by the key that was valid when it was made.
//!
//! # The rule
//! - Registration starts the history with the registered key, current from the
//!   registration height. `MsgUpdateWorker` with a new `result_pubkey` retires the current key
//!   at this height (`until_height`) and appends the new one (current from the same height).
//!   Rotation is allowed while jailed (the operator may have lost the key) but not while
//!   unbonding (a leaving worker has nothing left to sign).
//! - `MsgDeregisterWorker` retires the last key at the deregistration height ([`close`]), so
//!   no request that starts after a worker decided to leave can count its signature. The
//!   signatures it made before are all about requests alive at or before that height, whose
//!   evidence lands within `fastpath_request_ttl + fastpath_settle_window` of it — inside the
//!   unbonding period, while the record (and the bond) is still there.
//! - A key counts for a fast-path request when the heights it was current overlap the
//!   request's `[expiry - ttl, expiry]` ([`keys_valid_between`]). Settlement and evidence
//!   verify a worker's signature against every such key, so rotating away from a key does not
//!   void what it signed: a worker that signed a false result cannot escape by rotating.
//! - A retired key stays in the history and stays **reserved** in the pubkey index (nobody,
//!   including its worker, may register it again) until it can no longer matter:
//!   `unbonding_blocks` after it was retired. Orchestration's genesis check makes
//!   `unbonding_blocks ≥ fastpath_request_ttl + fastpath_settle_window`, the longest reach of
//!   fast-path evidence, so that is always long enough. End block drops such keys from a queue
//!   keyed by (prune height, worker) — nothing scans all workers — at most
//!   [`MAX_PRUNES_PER_BLOCK`] workers per block.
//! - The history holds at most [`MAX_RESULT_KEYS`] keys (the current one included). A rotation
//!   when it is full of keys still in reach is refused with the height from which one frees up.
//!
//! Keys: `registry/result_keys/{worker}` → [`ResultKey`] list (oldest first, the current key
//! last — retired too once the worker deregistered); `registry/result_key_prune/{height}/{worker}`
//! → () (the prune queue).

use bls_core::Address;
use cosmwasm_std::{Order, Storage};
use cw_storage_plus::{Bound, Map};
use serde::{Deserialize, Serialize};

use crate::error::RegistryError;
use crate::state::{self, Worker, WorkerStatus, PUBKEYS};

/// Most keys one worker's history holds, the current one included.
pub const MAX_RESULT_KEYS: usize = 8;
/// Most workers whose histories end block prunes per block (the rest wait for the next).
pub const MAX_PRUNES_PER_BLOCK: usize = 256;

const KEY_HISTORY: Map<&str, Vec<ResultKey>> = Map::new("registry/result_keys");
const KEY_PRUNE: Map<(u64, &str), ()> = Map::new("registry/result_key_prune");

/// One result key of a worker and the heights it was current.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultKey {
    /// Compressed secp256k1 public key, hex of 33 bytes.
    pub pubkey: String,
    /// Height from which it was current (registration or rotation).
    pub from_height: u64,
    /// Height at which it was retired (`None`: current).
    #[serde(default)]
    pub until_height: Option<u64>,
}

impl ResultKey {
    /// Whether the key was current somewhere in `[lo, hi]`.
    pub fn overlaps(&self, lo: u64, hi: u64) -> bool {
        self.from_height <= hi && self.until_height.is_none_or(|u| u >= lo)
    }
}

/// `worker`'s key history, oldest first, the current key last. A worker registered before
/// histories were kept has none stored: its current key counts from its registration.
pub fn history(store: &dyn Storage, worker: &Worker) -> Result<Vec<ResultKey>, RegistryError> {
    Ok(
        match KEY_HISTORY.may_load(store, worker.operator.as_str())? {
            Some(h) if !h.is_empty() => h,
            _ => vec![ResultKey {
                pubkey: worker.result_pubkey.clone(),
                from_height: worker.registered_height,
                until_height: None,
            }],
        },
    )
}

/// The public keys (33 bytes each) of `worker` that were current somewhere in `[lo, hi]`:
/// the keys a signature about something alive in that range may have been made with. Empty
/// for an unknown worker.
pub fn keys_valid_between(
    store: &dyn Storage,
    worker: &Address,
    lo: u64,
    hi: u64,
) -> Result<Vec<Vec<u8>>, RegistryError> {
    let Some(w) = state::get_worker(store, worker)? else {
        return Ok(Vec::new());
    };
    Ok(history(store, &w)?
        .into_iter()
        .filter(|k| k.overlaps(lo, hi))
        .filter_map(|k| hex::decode(&k.pubkey).ok())
        .collect())
}

/// Starts the history of a newly registered worker with its key, current from `height`.
pub(crate) fn start(
    store: &mut dyn Storage,
    worker: &Address,
    pubkey: &str,
    height: u64,
) -> Result<(), RegistryError> {
    KEY_HISTORY.save(
        store,
        worker.as_str(),
        &vec![ResultKey {
            pubkey: pubkey.to_string(),
            from_height: height,
            until_height: None,
        }],
    )?;
    Ok(())
}

/// Retires `w`'s current key at `height` and makes `new_pubkey` (hex, validated) current.
/// The old key stays reserved in the pubkey index until it is out of reach. Updates
/// `w.result_pubkey`; the caller saves `w`.
pub(crate) fn rotate(
    store: &mut dyn Storage,
    w: &mut Worker,
    new_pubkey: &str,
    height: u64,
) -> Result<(), RegistryError> {
    if w.status == WorkerStatus::Unbonding {
        return Err(RegistryError::WrongStatus {
            worker: w.operator.to_string(),
            status: w.status.as_str().into(),
            action: "rotating the result key",
        });
    }
    if PUBKEYS.has(store, new_pubkey) {
        return Err(RegistryError::DuplicateRegistration(
            "result_pubkey is already registered (a current or retired key still in reach)".into(),
        ));
    }
    let unbonding = state::params(store)?.unbonding_blocks;
    let mut keys = history(store, w)?;
    prune_keys(
        store,
        w.operator.as_str(),
        &mut keys,
        height.saturating_sub(1),
        unbonding,
    );
    if keys.len() >= MAX_RESULT_KEYS {
        let frees_at = keys
            .iter()
            .filter_map(|k| k.until_height)
            .min()
            .map_or(height, |u| u.saturating_add(unbonding).saturating_add(1));
        return Err(RegistryError::KeyHistoryFull {
            worker: w.operator.to_string(),
            max: MAX_RESULT_KEYS,
            frees_at,
        });
    }
    if let Some(current) = keys.last_mut() {
        current.until_height = Some(height);
    }
    keys.push(ResultKey {
        pubkey: new_pubkey.to_string(),
        from_height: height,
        until_height: None,
    });
    let id = w.operator.as_str();
    KEY_HISTORY.save(store, id, &keys)?;
    PUBKEYS.save(store, new_pubkey, &id.to_string())?;
    KEY_PRUNE.save(store, (height.saturating_add(unbonding), id), &())?;
    w.result_pubkey = new_pubkey.to_string();
    Ok(())
}

/// Drops from `keys` (and from the pubkey index) every retired key out of reach after
/// `height`: retired at `until` with `until + unbonding ≤ height`.
fn prune_keys(
    store: &mut dyn Storage,
    worker: &str,
    keys: &mut Vec<ResultKey>,
    height: u64,
    unbonding: u64,
) {
    keys.retain(|k| match k.until_height {
        Some(u) if u.saturating_add(unbonding) <= height => {
            if PUBKEYS.may_load(store, &k.pubkey).ok().flatten().as_deref() == Some(worker) {
                PUBKEYS.remove(store, &k.pubkey);
            }
            false
        }
        _ => true,
    });
}

/// Deregistration: retires `w`'s last key at `height` (no-op when already retired). The key
/// stays reserved in the pubkey index until the record is removed ([`release`]), which is
/// `unbonding_blocks` later: as long as evidence about anything it signed can land.
pub(crate) fn close(store: &mut dyn Storage, w: &Worker, height: u64) -> Result<(), RegistryError> {
    let mut keys = history(store, w)?;
    if let Some(last) = keys.last_mut() {
        if last.until_height.is_none() {
            last.until_height = Some(height.max(last.from_height));
            KEY_HISTORY.save(store, w.operator.as_str(), &keys)?;
        }
    }
    Ok(())
}

/// Frees every key of a worker whose record is being removed (its unbonding completed: every
/// retired key is then out of reach, rotation being refused while unbonding).
pub(crate) fn release(store: &mut dyn Storage, w: &Worker) -> Result<(), RegistryError> {
    let id = w.operator.as_str();
    for k in history(store, w)? {
        if PUBKEYS.may_load(store, &k.pubkey)?.as_deref() == Some(id) {
            PUBKEYS.remove(store, &k.pubkey);
        }
    }
    KEY_HISTORY.remove(store, id);
    Ok(())
}

/// End block: drops keys that went out of reach at or before `height` (queue order, at most
/// [`MAX_PRUNES_PER_BLOCK`] workers; later ones wait for the next block).
pub fn prune_due(store: &mut dyn Storage, height: u64) -> Result<(), RegistryError> {
    let end = Bound::exclusive((height.saturating_add(1), ""));
    let due: Vec<(u64, String)> = KEY_PRUNE
        .keys(store, None, Some(end), Order::Ascending)
        .take(MAX_PRUNES_PER_BLOCK)
        .collect::<Result<_, _>>()?;
    if due.is_empty() {
        return Ok(());
    }
    let unbonding = state::params(store)?.unbonding_blocks;
    for (at, worker) in due {
        KEY_PRUNE.remove(store, (at, worker.as_str()));
        let Some(mut keys) = KEY_HISTORY.may_load(store, &worker)? else {
            continue;
        };
        prune_keys(store, &worker, &mut keys, height, unbonding);
        KEY_HISTORY.save(store, &worker, &keys)?;
    }
    Ok(())
}

/// One worker's key history in genesis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisResultKeys {
    /// Worker id.
    pub worker: String,
    /// Its keys, oldest first, the current key last (`until_height` absent, or set to the
    /// deregistration height for an unbonding worker).
    pub keys: Vec<ResultKey>,
}

/// Every stored history, in worker id order.
pub fn export(store: &dyn Storage) -> Result<Vec<GenesisResultKeys>, RegistryError> {
    KEY_HISTORY
        .range(store, None, None, Order::Ascending)
        .map(|r| {
            r.map(|(worker, keys)| GenesisResultKeys { worker, keys })
                .map_err(RegistryError::from)
        })
        .collect()
}

/// Writes the genesis histories after the workers (whose current keys are already in the
/// pubkey index): checks each against its worker, reserves the retired keys and queues their
/// pruning. Workers without a listed history get one holding their current key.
pub(crate) fn import(
    store: &mut dyn Storage,
    histories: &[GenesisResultKeys],
) -> Result<(), RegistryError> {
    let bad = |s: String| RegistryError::InvalidParams(format!("genesis result_keys: {s}"));
    let unbonding = state::params(store)?.unbonding_blocks;
    for g in histories {
        let id = Address::parse(&g.worker).map_err(|e| bad(format!("{}: {e}", g.worker)))?;
        let w = state::get_worker(store, &id)?
            .ok_or_else(|| bad(format!("{id} is not a genesis worker")))?;
        if KEY_HISTORY.has(store, id.as_str()) {
            return Err(bad(format!("{id} listed twice")));
        }
        if g.keys.is_empty() || g.keys.len() > MAX_RESULT_KEYS {
            return Err(bad(format!("{id}: 1..={MAX_RESULT_KEYS} keys required")));
        }
        let (last, retired) = g
            .keys
            .split_last()
            .ok_or_else(|| bad(format!("{id}: empty")))?;
        // An unbonding worker's last key was retired at its deregistration; everyone else's
        // is current.
        let retired_ok = w.status == WorkerStatus::Unbonding;
        if last.pubkey != w.result_pubkey || (last.until_height.is_some() && !retired_ok) {
            return Err(bad(format!(
                "{id}: the last key must be the worker's current result_pubkey, not retired (retired only for an unbonding worker)"
            )));
        }
        if last.until_height.is_some_and(|u| u < last.from_height) {
            return Err(bad(format!("{id}: key heights out of order")));
        }
        let mut prev_until = 0u64;
        for k in retired {
            let until = k
                .until_height
                .ok_or_else(|| bad(format!("{id}: only the last key may be current")))?;
            if k.from_height > until || k.from_height < prev_until {
                return Err(bad(format!("{id}: key heights out of order")));
            }
            prev_until = until;
            let bytes = hex::decode(&k.pubkey)
                .map_err(|_| RegistryError::InvalidKey("result key must be hex".into()))?;
            crate::handlers::validate_pubkey(&bytes)?;
            if PUBKEYS.has(store, &k.pubkey) {
                return Err(bad(format!("{id}: key {} is registered twice", k.pubkey)));
            }
            PUBKEYS.save(store, &k.pubkey, &id.to_string())?;
            KEY_PRUNE.save(store, (until.saturating_add(unbonding), id.as_str()), &())?;
        }
        if last.from_height < prev_until {
            return Err(bad(format!("{id}: key heights out of order")));
        }
        KEY_HISTORY.save(store, id.as_str(), &g.keys)?;
    }
    for w in state::all_workers(store)? {
        if !KEY_HISTORY.has(store, w.operator.as_str()) {
            start(store, &w.operator, &w.result_pubkey, w.registered_height)?;
        }
    }
    Ok(())
}
