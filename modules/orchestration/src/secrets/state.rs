//! State of sealed secrets and the rules that read it.
//!
//! Keys:
//! - `orch/secret/{function}/{name}` → [`SecretEntry`] (version, commitment);
//! - `orch/secret_version/{function}` → the function's last secret version (a counter);
//! - `orch/envelope/{function}/{worker}/{name}` → [`StoredEnvelope`];
//! - `orch/reseal/{function}/{worker}` → [`ResealNeed`] (a member waiting for its secrets);
//! - `orch/secrets_changed/{function}` → the last height a secret was set or unset.

use bls_core::{Address, Context, Event};
use cosmwasm_std::{Binary, Order, Storage};
use cw_storage_plus::Map;
use serde::{Deserialize, Serialize};

use super::error::SecretsError;
use crate::events;

/// One secret of a function, as the chain knows it (never the value).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretEntry {
    /// Version given when it was last set (the function's secret counter).
    pub version: u64,
    /// sha256 commitment to the salted value, hex.
    pub commitment: String,
    /// Height it was last set.
    pub set_height: u64,
}

/// One member's envelope of one secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredEnvelope {
    /// The secret version it was sealed for.
    pub version: u64,
    /// The recipient's encryption key it was sealed to, hex.
    pub sealed_to: String,
    /// Who sealed it: the owner (set) or a member (reseal).
    pub sealed_by: Address,
    /// HPKE encapsulated key.
    pub enc: Binary,
    /// Ciphertext.
    pub ciphertext: Binary,
}

/// A member that lacks some of its function's secrets and waits for a reseal.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResealNeed {
    /// Height from which it waits (the reseal order's clock).
    pub since: u64,
}

pub(crate) const SECRETS: Map<(u64, &str), SecretEntry> = Map::new("orch/secret");
pub(crate) const SECRET_VERSION: Map<u64, u64> = Map::new("orch/secret_version");
pub(crate) const ENVELOPES: Map<(u64, &str, &str), StoredEnvelope> = Map::new("orch/envelope");
pub(crate) const RESEAL: Map<(u64, &str), ResealNeed> = Map::new("orch/reseal");
/// Members that sealed a member an envelope it reported as not opening: they may not reseal
/// to it again while it stays a member (so a member that keeps reporting cannot make the
/// others pay for reseals without end: each can be made to reseal to it once).
pub(crate) const EXCLUDED: Map<(u64, &str), Vec<Address>> = Map::new("orch/reseal_excluded");

/// The members `worker` no longer takes reseals from.
pub fn excluded(
    store: &dyn Storage,
    function: u64,
    worker: &str,
) -> Result<Vec<Address>, SecretsError> {
    Ok(EXCLUDED
        .may_load(store, (function, worker))?
        .unwrap_or_default())
}
pub(crate) const SECRETS_CHANGED: Map<u64, u64> = Map::new("orch/secrets_changed");

/// The last height the function's secrets were set or unset (`None`: never). Fast-path
/// requests pin no secrets version, so a dissent about a request alive since then is not
/// judged: honest members may have read different values.
pub fn last_change(store: &dyn Storage, function: u64) -> Option<u64> {
    SECRETS_CHANGED.may_load(store, function).ok().flatten()
}

/// The function's secrets by name.
pub fn secrets(
    store: &dyn Storage,
    function: u64,
) -> Result<Vec<(String, SecretEntry)>, SecretsError> {
    Ok(SECRETS
        .prefix(function)
        .range(store, None, None, Order::Ascending)
        .collect::<Result<_, _>>()?)
}

/// Whether the function has any secret.
pub fn has_secrets(store: &dyn Storage, function: u64) -> bool {
    SECRETS
        .prefix(function)
        .keys_raw(store, None, None, Order::Ascending)
        .next()
        .is_some()
}

/// Records a change of the function's secrets at `height` and returns the new version: every
/// set, unset or removal moves the version on, so a job assigned before it can tell.
pub(crate) fn bump_version(
    store: &mut dyn Storage,
    function: u64,
    height: u64,
) -> Result<u64, SecretsError> {
    let v = last_version(store, function)?.saturating_add(1);
    SECRET_VERSION.save(store, function, &v)?;
    SECRETS_CHANGED.save(store, function, &height)?;
    Ok(v)
}

/// The function's last secret version (0: never changed).
pub fn last_version(store: &dyn Storage, function: u64) -> Result<u64, SecretsError> {
    Ok(SECRET_VERSION.may_load(store, function)?.unwrap_or(0))
}

/// The current members of the function's subnetwork (none before placement or after
/// retirement).
pub fn members(store: &dyn Storage, function: u64) -> Result<Vec<Address>, SecretsError> {
    Ok(crate::state::SUBNETS
        .may_load(store, function)?
        .map(|s| s.workers)
        .unwrap_or_default())
}

/// `worker`'s registered encryption key (hex), empty when none or unknown.
pub fn encryption_key(store: &dyn Storage, worker: &Address) -> Result<String, SecretsError> {
    Ok(bls_registry::state::get_worker(store, worker)?
        .map(|w| w.encryption_pubkey)
        .unwrap_or_default())
}

/// Whether `envelope` is valid for `entry` and a recipient whose key is `key`.
fn valid(envelope: &StoredEnvelope, entry: &SecretEntry, key: &str) -> bool {
    !key.is_empty() && envelope.version == entry.version && envelope.sealed_to == key
}

/// The names of the function's secrets `worker` holds no valid envelope for (all of them when
/// it has no encryption key).
pub fn missing(
    store: &dyn Storage,
    function: u64,
    worker: &Address,
) -> Result<Vec<String>, SecretsError> {
    let key = encryption_key(store, worker)?;
    let mut out = Vec::new();
    for (name, entry) in secrets(store, function)? {
        let ok = ENVELOPES
            .may_load(store, (function, worker.as_str(), &name))?
            .is_some_and(|e| valid(&e, &entry, &key));
        if !ok {
            out.push(name);
        }
    }
    Ok(out)
}

/// Whether `worker` can run the function: it holds every secret (trivially when there are
/// none).
pub fn holds_secrets(
    store: &dyn Storage,
    function: u64,
    worker: &Address,
) -> Result<bool, SecretsError> {
    Ok(missing(store, function, worker)?.is_empty())
}

/// Whether `worker` holds a valid envelope of secret `name`.
pub fn holds(
    store: &dyn Storage,
    function: u64,
    worker: &Address,
    name: &str,
) -> Result<bool, SecretsError> {
    let Some(entry) = SECRETS.may_load(store, (function, name))? else {
        return Ok(false);
    };
    let key = encryption_key(store, worker)?;
    Ok(ENVELOPES
        .may_load(store, (function, worker.as_str(), name))?
        .is_some_and(|e| valid(&e, &entry, &key)))
}

/// Deletes every envelope `worker` has for the function; returns who sealed them.
pub(crate) fn delete_envelopes(
    store: &mut dyn Storage,
    function: u64,
    worker: &Address,
) -> Result<Vec<Address>, SecretsError> {
    let names: Vec<(String, StoredEnvelope)> = ENVELOPES
        .prefix((function, worker.as_str()))
        .range(store, None, None, Order::Ascending)
        .collect::<Result<_, _>>()?;
    let mut sealers = Vec::new();
    for (name, e) in names {
        ENVELOPES.remove(store, (function, worker.as_str(), &name));
        if !sealers.contains(&e.sealed_by) {
            sealers.push(e.sealed_by);
        }
    }
    Ok(sealers)
}

/// Marks `worker` as waiting for a reseal from `height` (an earlier mark keeps its clock) and
/// excludes `exclude` from resealing to it.
pub(crate) fn need_reseal(
    store: &mut dyn Storage,
    function: u64,
    worker: &Address,
    height: u64,
    exclude: &[Address],
) -> Result<(), SecretsError> {
    if !RESEAL.has(store, (function, worker.as_str())) {
        RESEAL.save(
            store,
            (function, worker.as_str()),
            &ResealNeed { since: height },
        )?;
    }
    if !exclude.is_empty() {
        let mut ex = excluded(store, function, worker.as_str())?;
        for x in exclude {
            if !ex.contains(x) {
                ex.push(x.clone());
            }
        }
        ex.sort();
        EXCLUDED.save(store, (function, worker.as_str()), &ex)?;
    }
    Ok(())
}

/// The subnetwork of a function changed from `before` to `after` (called where it is saved):
/// members that left lose their envelopes and any reseal mark; members that joined a function
/// with secrets, with an encryption key, wait for a reseal.
pub fn members_changed(
    ctx: &mut Context<'_>,
    function: u64,
    before: &[Address],
    after: &[Address],
) -> Result<(), SecretsError> {
    for gone in before.iter().filter(|w| !after.contains(w)) {
        delete_envelopes(ctx.store, function, gone)?;
        RESEAL.remove(ctx.store, (function, gone.as_str()));
        EXCLUDED.remove(ctx.store, (function, gone.as_str()));
    }
    if !has_secrets(ctx.store, function) {
        return Ok(());
    }
    for new in after.iter().filter(|w| !before.contains(w)) {
        if !encryption_key(ctx.store, new)?.is_empty() && !holds_secrets(ctx.store, function, new)?
        {
            need_reseal(ctx.store, function, new, ctx.block.height, &[])?;
            ctx.emit(
                Event::new(events::SECRETS_RESEAL_NEEDED)
                    .attr("function_id", function)
                    .attr("worker", new),
            );
        }
    }
    Ok(())
}

/// Removes every row of `function` from a map keyed by (function, name or worker).
fn remove_rows<T: Serialize + serde::de::DeserializeOwned>(
    store: &mut dyn Storage,
    map: &Map<(u64, &str), T>,
    function: u64,
) -> Result<(), SecretsError> {
    let keys: Vec<String> = map
        .prefix(function)
        .keys(store, None, None, Order::Ascending)
        .collect::<Result<_, _>>()?;
    for k in keys {
        map.remove(store, (function, &k));
    }
    Ok(())
}

/// Removes every secret, envelope and reseal mark of a function (retirement) at `height`; the
/// version moves on, so a job assigned before declines rather than run without them.
pub fn clear_function(
    store: &mut dyn Storage,
    function: u64,
    height: u64,
) -> Result<(), SecretsError> {
    if has_secrets(store, function) {
        bump_version(store, function, height)?;
    }
    remove_rows(store, &SECRETS, function)?;
    let envelopes: Vec<(String, String)> = ENVELOPES
        .sub_prefix(function)
        .keys(store, None, None, Order::Ascending)
        .collect::<Result<_, _>>()?;
    for (w, n) in envelopes {
        ENVELOPES.remove(store, (function, &w, &n));
    }
    remove_rows(store, &RESEAL, function)?;
    remove_rows(store, &EXCLUDED, function)?;
    Ok(())
}
