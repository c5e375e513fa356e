//! Secrets queries (`/bls.orchestration.v1.Query/Secrets`, `.../SecretEnvelopes`,
//! `.../PendingReseals`). None returns a value: only names, versions, commitments and
//! envelopes.

use bls_core::Address;
use cosmwasm_std::{Binary, Order, Storage};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::error::SecretsError;
use super::rules::RESEAL_STAGGER_BLOCKS;
use super::state::{self, ResealNeed, ENVELOPES, RESEAL, SECRETS};
use crate::error::OrchestrationError;
use crate::queries::MAX_SCAN;

/// `Secrets` request.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretsRequest {
    /// Function id.
    pub function_id: u64,
}

/// A secret as the chain knows it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SecretInfo {
    /// Name.
    pub name: String,
    /// Version of its last set.
    pub version: u64,
    /// Commitment to the salted value, hex.
    pub commitment: String,
    /// Height of its last set.
    pub set_height: u64,
}

/// A subnetwork member and the secrets it lacks.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MemberSecrets {
    /// Worker id.
    pub worker: String,
    /// Its registered encryption key, hex (empty: none; it cannot hold secrets).
    pub encryption_pubkey: String,
    /// Names it holds no valid envelope of.
    pub missing: Vec<String>,
}

/// `Secrets` response.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SecretsResponse {
    /// The function's last secret version (the next set uses this + 1).
    pub last_version: u64,
    /// Its secrets by name.
    pub secrets: Vec<SecretInfo>,
    /// Its subnetwork members and what each lacks.
    pub members: Vec<MemberSecrets>,
}

/// `SecretEnvelopes` request.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretEnvelopesRequest {
    /// Function id.
    pub function_id: u64,
    /// The worker whose envelopes to return.
    pub worker: String,
}

/// One envelope of a worker, with what it should open to.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EnvelopeInfo {
    /// Secret name.
    pub name: String,
    /// The secret's current version (what the envelope must be sealed for).
    pub version: u64,
    /// The secret's commitment, hex.
    pub commitment: String,
    /// Whether the envelope is for the current version and the worker's registered key.
    pub valid: bool,
    /// Who sealed it.
    pub sealed_by: String,
    /// HPKE encapsulated key.
    pub enc: Binary,
    /// Ciphertext.
    pub ciphertext: Binary,
}

/// `SecretEnvelopes` response.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SecretEnvelopesResponse {
    /// The function's secrets version (a job pins the one it was assigned at).
    pub last_version: u64,
    /// The worker's envelopes of the function's current secrets.
    pub envelopes: Vec<EnvelopeInfo>,
    /// Names of current secrets it has no envelope of.
    pub missing: Vec<String>,
}

/// `PendingReseals` request. Pages through the waiting members by (function, member): pass
/// the previous answer's `next_function`/`next_worker` to continue.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PendingResealsRequest {
    /// The worker that could reseal.
    pub worker: String,
    /// Continue after this function's mark of `start_after_worker` (0: from the start).
    #[serde(default)]
    pub start_after_function: u64,
    /// See `start_after_function`.
    #[serde(default)]
    pub start_after_worker: String,
}

/// A secret to reseal.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ResealName {
    /// Secret name.
    pub name: String,
    /// Its current version.
    pub version: u64,
}

/// A member waiting for secrets `worker` can reseal to it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PendingReseal {
    /// Function id.
    pub function_id: u64,
    /// The member waiting.
    pub recipient: String,
    /// Its encryption key, hex.
    pub recipient_key: String,
    /// Secrets it lacks that `worker` holds.
    pub names: Vec<ResealName>,
    /// Height from which it waits.
    pub since: u64,
    /// `worker`'s place in the reseal order among the holders (0 first); it should reseal
    /// from height `since + rank * RESEAL_STAGGER_BLOCKS`.
    pub rank: u64,
    /// That height.
    pub from_height: u64,
}

/// `PendingReseals` response.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PendingResealsResponse {
    /// What the worker could reseal, by function and recipient.
    pub reseals: Vec<PendingReseal>,
    /// When more marks follow: the function to continue after (0: this was the last page).
    #[serde(default)]
    pub next_function: u64,
    /// With `next_function`: the member to continue after.
    #[serde(default)]
    pub next_worker: String,
}

fn parse<T: for<'de> Deserialize<'de>>(data: &[u8]) -> Result<T, OrchestrationError> {
    serde_json::from_slice(data).map_err(|e| OrchestrationError::InvalidQuery(e.to_string()))
}

fn json<T: Serialize>(v: &T) -> Result<Vec<u8>, OrchestrationError> {
    serde_json::to_vec(v).map_err(|e| OrchestrationError::Store(e.to_string()))
}

fn addr(s: &str) -> Result<Address, OrchestrationError> {
    Address::parse(s).map_err(|e| OrchestrationError::InvalidQuery(e.to_string()))
}

/// Answers a secrets query method; `None` when `method` is not one of them.
pub fn query(
    store: &dyn Storage,
    method: &str,
    data: &[u8],
) -> Option<Result<Vec<u8>, OrchestrationError>> {
    let r = match method {
        "Secrets" => (|| {
            let req: SecretsRequest = parse(data)?;
            json(&secrets(store, req.function_id)?)
        })(),
        "SecretEnvelopes" => (|| {
            let req: SecretEnvelopesRequest = parse(data)?;
            json(&envelopes(store, req.function_id, &addr(&req.worker)?)?)
        })(),
        "PendingReseals" => (|| {
            let req: PendingResealsRequest = parse(data)?;
            let after = (req.start_after_function != 0)
                .then_some((req.start_after_function, req.start_after_worker.as_str()));
            json(&pending_reseals(store, &addr(&req.worker)?, after)?)
        })(),
        _ => return None,
    };
    Some(r)
}

fn secrets(store: &dyn Storage, function: u64) -> Result<SecretsResponse, SecretsError> {
    crate::state::must_get_function(store, function)?;
    let secrets = state::secrets(store, function)?
        .into_iter()
        .map(|(name, e)| SecretInfo {
            name,
            version: e.version,
            commitment: e.commitment,
            set_height: e.set_height,
        })
        .collect();
    let mut members = Vec::new();
    for w in state::members(store, function)? {
        members.push(MemberSecrets {
            worker: w.to_string(),
            encryption_pubkey: state::encryption_key(store, &w)?,
            missing: state::missing(store, function, &w)?,
        });
    }
    Ok(SecretsResponse {
        last_version: state::last_version(store, function)?,
        secrets,
        members,
    })
}

fn envelopes(
    store: &dyn Storage,
    function: u64,
    worker: &Address,
) -> Result<SecretEnvelopesResponse, SecretsError> {
    let key = state::encryption_key(store, worker)?;
    let mut out = SecretEnvelopesResponse {
        last_version: state::last_version(store, function)?,
        envelopes: Vec::new(),
        missing: Vec::new(),
    };
    for (name, entry) in state::secrets(store, function)? {
        match ENVELOPES.may_load(store, (function, worker.as_str(), &name))? {
            Some(e) => out.envelopes.push(EnvelopeInfo {
                valid: !key.is_empty() && e.version == entry.version && e.sealed_to == key,
                name,
                version: entry.version,
                commitment: entry.commitment,
                sealed_by: e.sealed_by.to_string(),
                enc: e.enc,
                ciphertext: e.ciphertext,
            }),
            None => out.missing.push(name),
        }
    }
    Ok(out)
}

/// Deterministic reseal order of `holder` for `recipient`: sha256(function ‖ recipient ‖
/// holder), so the order differs per recipient and no member is always first.
fn order_key(function: u64, recipient: &str, holder: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"bls/reseal-order/v1");
    h.update(function.to_be_bytes());
    h.update(recipient.as_bytes());
    h.update([0]);
    h.update(holder.as_bytes());
    h.finalize().into()
}

/// Marks one `PendingReseals` page looks at.
const RESEAL_PAGE: usize = MAX_SCAN / 10;

fn pending_reseals(
    store: &dyn Storage,
    worker: &Address,
    after: Option<(u64, &str)>,
) -> Result<PendingResealsResponse, SecretsError> {
    let mut reseals = Vec::new();
    let marks: Vec<((u64, String), ResealNeed)> = RESEAL
        .range(
            store,
            after.map(cw_storage_plus::Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(RESEAL_PAGE)
        .collect::<Result<_, _>>()?;
    let (next_function, next_worker) = match marks.last() {
        Some(((f, w), _)) if marks.len() == RESEAL_PAGE => (*f, w.clone()),
        _ => (0, String::new()),
    };
    for ((function, recipient), need) in marks {
        let excluded = state::excluded(store, function, &recipient)?;
        if recipient == worker.as_str() || excluded.contains(worker) {
            continue;
        }
        let members = state::members(store, function)?;
        if !members.contains(worker) {
            continue;
        }
        let recipient_addr = addr(&recipient)?;
        let recipient_key = state::encryption_key(store, &recipient_addr)?;
        if recipient_key.is_empty() {
            continue;
        }
        let mut names = Vec::new();
        for name in state::missing(store, function, &recipient_addr)? {
            if state::holds(store, function, worker, &name)? {
                let version = SECRETS
                    .may_load(store, (function, &name))?
                    .map_or(0, |e| e.version);
                names.push(ResealName { name, version });
            }
        }
        if names.is_empty() {
            continue;
        }
        // Rank among the members that hold everything the recipient lacks and may reseal.
        let mine = order_key(function, &recipient, worker.as_str());
        let mut rank = 0u64;
        for m in members
            .iter()
            .filter(|m| *m != worker && m.as_str() != recipient)
        {
            if excluded.contains(m) {
                continue;
            }
            let holds_all = names
                .iter()
                .map(|n| state::holds(store, function, m, &n.name))
                .collect::<Result<Vec<bool>, _>>()?
                .into_iter()
                .all(|b| b);
            if holds_all && order_key(function, &recipient, m.as_str()) < mine {
                rank = rank.saturating_add(1);
            }
        }
        reseals.push(PendingReseal {
            function_id: function,
            recipient,
            recipient_key,
            names,
            since: need.since,
            rank,
            from_height: need
                .since
                .saturating_add(rank.saturating_mul(RESEAL_STAGGER_BLOCKS)),
        });
    }
    Ok(PendingResealsResponse {
        reseals,
        next_function,
        next_worker,
    })
}
