//! Secrets in genesis: entries, version counters, change heights, envelopes, reseal marks and
//! exclusions, exported in key order (a genesis holds envelopes and commitments, never a
//! value).

use bls_core::{Address, Context};
use cosmwasm_std::{Order, Storage};
use serde::{Deserialize, Serialize};

use super::rules::{
    validate_secret_name, ENC_BYTES, MAX_CIPHERTEXT_BYTES, MAX_SECRETS_PER_FUNCTION,
    MIN_CIPHERTEXT_BYTES,
};
use super::state::{
    ResealNeed, SecretEntry, StoredEnvelope, ENVELOPES, EXCLUDED, RESEAL, SECRETS, SECRETS_CHANGED,
    SECRET_VERSION,
};
use crate::error::OrchestrationError;
use crate::state::FUNCTIONS;

/// A function's secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisSecret {
    /// Function id.
    pub function_id: u64,
    /// Name.
    pub name: String,
    /// The entry.
    pub entry: SecretEntry,
}

/// One envelope.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisEnvelope {
    /// Function id.
    pub function_id: u64,
    /// Recipient.
    pub worker: Address,
    /// Secret name.
    pub name: String,
    /// The envelope.
    pub envelope: StoredEnvelope,
}

/// A member waiting for a reseal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisReseal {
    /// Function id.
    pub function_id: u64,
    /// The member.
    pub worker: Address,
    /// Its mark.
    pub need: ResealNeed,
}

/// A function's secret version counter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisSecretVersion {
    /// Function id.
    pub function_id: u64,
    /// Last version issued.
    pub version: u64,
}

/// Members a member no longer takes reseals from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisExclusion {
    /// Function id.
    pub function_id: u64,
    /// The member.
    pub worker: Address,
    /// Who may not reseal to it.
    pub excluded: Vec<Address>,
}

/// The last height a function's secrets changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisSecretChange {
    /// Function id.
    pub function_id: u64,
    /// Height of the last set or unset.
    pub height: u64,
}

/// The secrets part of orchestration's genesis (absent in older files: empty).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecretsGenesis {
    /// Secrets.
    pub secrets: Vec<GenesisSecret>,
    /// Version counters.
    pub versions: Vec<GenesisSecretVersion>,
    /// Envelopes.
    pub envelopes: Vec<GenesisEnvelope>,
    /// Reseal marks.
    pub reseals: Vec<GenesisReseal>,
    /// Last change heights (fast-path dissent around a change is not judged).
    pub changed: Vec<GenesisSecretChange>,
    /// Reseal exclusions.
    pub exclusions: Vec<GenesisExclusion>,
}

/// The version of secret `name` (0 when unknown).
fn s_version(store: &dyn Storage, function: u64, name: &str) -> Result<u64, OrchestrationError> {
    Ok(SECRETS
        .may_load(store, (function, name))?
        .map_or(0, |e| e.version))
}

fn bad(s: impl Into<String>) -> OrchestrationError {
    OrchestrationError::InvalidParams(format!("genesis secrets: {}", s.into()))
}

/// Writes the secrets (after functions).
pub fn init(ctx: &mut Context<'_>, g: &SecretsGenesis) -> Result<(), OrchestrationError> {
    for v in &g.versions {
        if !FUNCTIONS.has(ctx.store, v.function_id) {
            return Err(bad(format!(
                "version of unknown function {}",
                v.function_id
            )));
        }
        SECRET_VERSION.save(ctx.store, v.function_id, &v.version)?;
    }
    for s in &g.secrets {
        validate_secret_name(&s.name).map_err(bad)?;
        let last = SECRET_VERSION
            .may_load(ctx.store, s.function_id)?
            .unwrap_or(0);
        if !FUNCTIONS.has(ctx.store, s.function_id)
            || s.entry.version == 0
            || s.entry.version > last
        {
            return Err(bad(format!(
                "secret {:?} of function {}: unknown function or version above its counter",
                s.name, s.function_id
            )));
        }
        if SECRETS.has(ctx.store, (s.function_id, &s.name)) {
            return Err(bad(format!(
                "secret {:?} of function {} twice",
                s.name, s.function_id
            )));
        }
        SECRETS.save(ctx.store, (s.function_id, &s.name), &s.entry)?;
        let count = SECRETS
            .prefix(s.function_id)
            .keys_raw(ctx.store, None, None, Order::Ascending)
            .count();
        if count > MAX_SECRETS_PER_FUNCTION {
            return Err(bad(format!(
                "function {} holds too many secrets",
                s.function_id
            )));
        }
    }
    for e in &g.envelopes {
        if !SECRETS.has(ctx.store, (e.function_id, &e.name))
            || e.envelope.enc.len() != ENC_BYTES
            || !(MIN_CIPHERTEXT_BYTES..=MAX_CIPHERTEXT_BYTES).contains(&e.envelope.ciphertext.len())
            || e.envelope.version != s_version(ctx.store, e.function_id, &e.name)?
        {
            return Err(bad(format!(
                "envelope of {:?} for {} (function {}): no such secret or malformed",
                e.name, e.worker, e.function_id
            )));
        }
        ENVELOPES.save(
            ctx.store,
            (e.function_id, e.worker.as_str(), &e.name),
            &e.envelope,
        )?;
    }
    for c in &g.changed {
        if !FUNCTIONS.has(ctx.store, c.function_id) {
            return Err(bad(format!(
                "change height of unknown function {}",
                c.function_id
            )));
        }
        SECRETS_CHANGED.save(ctx.store, c.function_id, &c.height)?;
    }
    for x in &g.exclusions {
        if !FUNCTIONS.has(ctx.store, x.function_id) {
            return Err(bad(format!(
                "exclusions of unknown function {}",
                x.function_id
            )));
        }
        EXCLUDED.save(ctx.store, (x.function_id, x.worker.as_str()), &x.excluded)?;
    }
    for r in &g.reseals {
        if !FUNCTIONS.has(ctx.store, r.function_id) {
            return Err(bad(format!(
                "reseal mark of unknown function {}",
                r.function_id
            )));
        }
        RESEAL.save(ctx.store, (r.function_id, r.worker.as_str()), &r.need)?;
    }
    Ok(())
}

/// Reads the secrets back.
pub fn export(store: &dyn Storage) -> Result<SecretsGenesis, OrchestrationError> {
    let parse = |s: &str| Address::parse(s).map_err(|e| OrchestrationError::Store(e.to_string()));
    let mut g = SecretsGenesis::default();
    for item in SECRET_VERSION.range(store, None, None, Order::Ascending) {
        let (function_id, version) = item?;
        g.versions.push(GenesisSecretVersion {
            function_id,
            version,
        });
    }
    for item in SECRETS.range(store, None, None, Order::Ascending) {
        let ((function_id, name), entry) = item?;
        g.secrets.push(GenesisSecret {
            function_id,
            name,
            entry,
        });
    }
    for item in ENVELOPES.range(store, None, None, Order::Ascending) {
        let ((function_id, worker, name), envelope) = item?;
        g.envelopes.push(GenesisEnvelope {
            function_id,
            worker: parse(&worker)?,
            name,
            envelope,
        });
    }
    for item in SECRETS_CHANGED.range(store, None, None, Order::Ascending) {
        let (function_id, height) = item?;
        g.changed.push(GenesisSecretChange {
            function_id,
            height,
        });
    }
    for item in EXCLUDED.range(store, None, None, Order::Ascending) {
        let ((function_id, worker), excluded) = item?;
        g.exclusions.push(GenesisExclusion {
            function_id,
            worker: parse(&worker)?,
            excluded,
        });
    }
    for item in RESEAL.range(store, None, None, Order::Ascending) {
        let ((function_id, worker), need) = item?;
        g.reseals.push(GenesisReseal {
            function_id,
            worker: parse(&worker)?,
            need,
        });
    }
    Ok(g)
}
