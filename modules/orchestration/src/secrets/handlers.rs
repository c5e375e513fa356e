//! Handlers of the secrets messages (the rules are in the module docs, [`super`]).

use bls_core::{Address, Context, Event};
use cosmwasm_std::Binary;

use super::error::{invalid, SecretsError};
use super::msgs::{
    MsgReportUnopenableSecrets, MsgReportUnopenableSecretsResponse, MsgResealSecret,
    MsgResealSecretResponse, MsgSetSecret, MsgSetSecretResponse, MsgUnsetSecret,
    MsgUnsetSecretResponse, SealedEnvelope,
};
use super::rules::{
    validate_secret_name, ENC_BYTES, MAX_CIPHERTEXT_BYTES, MAX_REASON_BYTES,
    MAX_SECRETS_PER_FUNCTION, MIN_CIPHERTEXT_BYTES,
};
use super::state::{
    self, delete_envelopes, encryption_key, need_reseal, SecretEntry, StoredEnvelope, ENVELOPES,
    RESEAL, SECRETS,
};
use crate::events;
use crate::handlers::functions::owned_function;
use crate::handlers::{join, parse_addr};
use crate::manifest::Manifest;
use crate::state::{self as orch, FunctionStatus, JobStatus, JOBS};

fn check_envelope_bytes(e: &SealedEnvelope) -> Result<(), SecretsError> {
    if e.enc.len() != ENC_BYTES {
        return Err(invalid(
            "envelopes.enc",
            format!("must be {ENC_BYTES} bytes, got {}", e.enc.len()),
        ));
    }
    if e.ciphertext.len() < MIN_CIPHERTEXT_BYTES || e.ciphertext.len() > MAX_CIPHERTEXT_BYTES {
        return Err(invalid(
            "envelopes.ciphertext",
            format!(
                "must be {MIN_CIPHERTEXT_BYTES}..={MAX_CIPHERTEXT_BYTES} bytes, got {}",
                e.ciphertext.len()
            ),
        ));
    }
    Ok(())
}

/// Clears the reseal mark of every member that now holds all the function's secrets (every
/// mark once the function has none left).
fn clear_satisfied(ctx: &mut Context<'_>, function: u64) -> Result<(), SecretsError> {
    let marked: Vec<String> = RESEAL
        .prefix(function)
        .keys(ctx.store, None, None, cosmwasm_std::Order::Ascending)
        .collect::<Result<_, _>>()?;
    for w in marked {
        let addr = Address::parse(&w).map_err(|e| invalid("worker", e.to_string()))?;
        if state::holds_secrets(ctx.store, function, &addr)? {
            RESEAL.remove(ctx.store, (function, &w));
        }
    }
    Ok(())
}

/// [`MsgSetSecret`]: owner only; one envelope per member with an encryption key.
pub fn set_secret(
    ctx: &mut Context<'_>,
    msg: &MsgSetSecret,
) -> Result<MsgSetSecretResponse, SecretsError> {
    let f = owned_function(ctx, &msg.owner, msg.function_id)?;
    validate_secret_name(&msg.name).map_err(|r| invalid("name", r))?;
    if let Ok(m) = Manifest::from_json(f.manifest_json.as_bytes()) {
        if m.env.contains_key(&msg.name) {
            return Err(invalid(
                "name",
                format!(
                    "{:?} is already a plain variable of the manifest's env (remove it there first)",
                    msg.name
                ),
            ));
        }
    }
    let commitment: [u8; 32] = msg
        .commitment
        .as_slice()
        .try_into()
        .map_err(|_| invalid("commitment", "must be 32 bytes"))?;
    let existing = SECRETS.may_load(ctx.store, (f.id, &msg.name))?;
    if existing.is_none() && state::secrets(ctx.store, f.id)?.len() >= MAX_SECRETS_PER_FUNCTION {
        return Err(invalid(
            "name",
            format!("a function holds at most {MAX_SECRETS_PER_FUNCTION} secrets"),
        ));
    }
    let version = state::last_version(ctx.store, f.id)?.saturating_add(1);
    if msg.version != version {
        return Err(SecretsError::StaleVersion {
            function: f.id,
            name: msg.name.clone(),
            current: version,
            given: msg.version,
        });
    }
    // Exactly the members with an encryption key, each once.
    let mut expected: Vec<(Address, String)> = Vec::new();
    for w in state::members(ctx.store, f.id)? {
        let key = encryption_key(ctx.store, &w)?;
        if !key.is_empty() {
            expected.push((w, key));
        }
    }
    let wrong = |problem: String| SecretsError::WrongRecipients {
        function: f.id,
        expected: join(&expected.iter().map(|(w, _)| w.clone()).collect::<Vec<_>>()),
        problem,
    };
    if expected.is_empty() {
        return Err(wrong(
            "there are none yet (the subnetwork is placed in the block after a deploy; workers register a key when they start)"
                .into(),
        ));
    }
    if msg.envelopes.len() != expected.len() {
        return Err(wrong(format!("got {} envelopes", msg.envelopes.len())));
    }
    let mut seen: Vec<&str> = Vec::new();
    for e in &msg.envelopes {
        check_envelope_bytes(e)?;
        if !expected.iter().any(|(w, _)| w.as_str() == e.worker) {
            return Err(wrong(format!("{} is not one of them", e.worker)));
        }
        if seen.contains(&e.worker.as_str()) {
            return Err(wrong(format!("{} has two envelopes", e.worker)));
        }
        seen.push(&e.worker);
    }
    // Replace every envelope of this name (members that left have none: their envelopes go
    // when they leave).
    for (w, _) in &expected {
        ENVELOPES.remove(ctx.store, (f.id, w.as_str(), &msg.name));
    }
    for e in &msg.envelopes {
        let Some((w, key)) = expected.iter().find(|(w, _)| w.as_str() == e.worker) else {
            continue;
        };
        ENVELOPES.save(
            ctx.store,
            (f.id, w.as_str(), &msg.name),
            &StoredEnvelope {
                version,
                sealed_to: key.clone(),
                sealed_by: f.owner.clone(),
                enc: Binary::from(e.enc.clone()),
                ciphertext: Binary::from(e.ciphertext.clone()),
            },
        )?;
    }
    state::bump_version(ctx.store, f.id, ctx.block.height)?;
    SECRETS.save(
        ctx.store,
        (f.id, &msg.name),
        &SecretEntry {
            version,
            commitment: hex::encode(commitment),
            set_height: ctx.block.height,
        },
    )?;
    // A member that still lacks another secret (it joined, or reported, before this set)
    // keeps waiting for a reseal of it; one that now holds everything stops.
    clear_satisfied(ctx, f.id)?;
    ctx.emit(
        Event::new(events::SECRET_SET)
            .attr("function_id", f.id)
            .attr("name", &msg.name)
            .attr("version", version)
            .attr(
                "workers",
                join(&expected.iter().map(|(w, _)| w.clone()).collect::<Vec<_>>()),
            ),
    );
    Ok(MsgSetSecretResponse { version })
}

/// [`MsgUnsetSecret`]: owner only.
pub fn unset_secret(
    ctx: &mut Context<'_>,
    msg: &MsgUnsetSecret,
) -> Result<MsgUnsetSecretResponse, SecretsError> {
    let f = owned_function(ctx, &msg.owner, msg.function_id)?;
    if SECRETS.may_load(ctx.store, (f.id, &msg.name))?.is_none() {
        return Err(SecretsError::UnknownSecret {
            function: f.id,
            name: msg.name.clone(),
        });
    }
    SECRETS.remove(ctx.store, (f.id, &msg.name));
    state::bump_version(ctx.store, f.id, ctx.block.height)?;
    let holders: Vec<(String, String)> = ENVELOPES
        .sub_prefix(f.id)
        .keys(ctx.store, None, None, cosmwasm_std::Order::Ascending)
        .collect::<Result<_, _>>()?;
    for (w, n) in holders.iter().filter(|(_, n)| n == &msg.name) {
        ENVELOPES.remove(ctx.store, (f.id, w, n));
    }
    clear_satisfied(ctx, f.id)?;
    ctx.emit(
        Event::new(events::SECRET_UNSET)
            .attr("function_id", f.id)
            .attr("name", &msg.name),
    );
    Ok(MsgUnsetSecretResponse {})
}

/// [`MsgResealSecret`]: a member holding the secret seals it to a member that lacks it.
pub fn reseal_secret(
    ctx: &mut Context<'_>,
    msg: &MsgResealSecret,
) -> Result<MsgResealSecretResponse, SecretsError> {
    let sealer = parse_addr("sealer", &msg.sealer)?;
    let f = orch::must_get_function(ctx.store, msg.function_id)?;
    let not_allowed = |who: &Address, reason: String| SecretsError::NotAllowed {
        worker: who.to_string(),
        function: f.id,
        reason,
    };
    if f.status != FunctionStatus::Active {
        return Err(crate::OrchestrationError::FunctionRetired(f.id).into());
    }
    let entry = SECRETS
        .may_load(ctx.store, (f.id, &msg.name))?
        .ok_or_else(|| SecretsError::UnknownSecret {
            function: f.id,
            name: msg.name.clone(),
        })?;
    if msg.version != entry.version {
        return Err(SecretsError::StaleVersion {
            function: f.id,
            name: msg.name.clone(),
            current: entry.version,
            given: msg.version,
        });
    }
    let envelope = msg
        .envelope
        .as_ref()
        .ok_or_else(|| invalid("envelope", "required"))?;
    check_envelope_bytes(envelope)?;
    let recipient = parse_addr("envelope.worker", &envelope.worker)?;
    let members = state::members(ctx.store, f.id)?;
    if !members.contains(&sealer) {
        return Err(not_allowed(
            &sealer,
            "not a member of its subnetwork".into(),
        ));
    }
    if !state::holds(ctx.store, f.id, &sealer, &msg.name)? {
        return Err(not_allowed(
            &sealer,
            format!("it holds no valid envelope of {:?} itself", msg.name),
        ));
    }
    if recipient == sealer || !members.contains(&recipient) {
        return Err(invalid(
            "envelope.worker",
            "must be another member of the function's subnetwork",
        ));
    }
    let key = encryption_key(ctx.store, &recipient)?;
    if key.is_empty() {
        return Err(invalid(
            "envelope.worker",
            "has no encryption key registered",
        ));
    }
    if state::holds(ctx.store, f.id, &recipient, &msg.name)? {
        return Err(invalid(
            "envelope.worker",
            format!("already holds a valid envelope of {:?}", msg.name),
        ));
    }
    if state::excluded(ctx.store, f.id, recipient.as_str())?.contains(&sealer) {
        return Err(not_allowed(
            &sealer,
            format!("an envelope it sealed to {recipient} did not open"),
        ));
    }
    ENVELOPES.save(
        ctx.store,
        (f.id, recipient.as_str(), &msg.name),
        &StoredEnvelope {
            version: entry.version,
            sealed_to: key,
            sealed_by: sealer.clone(),
            enc: Binary::from(envelope.enc.clone()),
            ciphertext: Binary::from(envelope.ciphertext.clone()),
        },
    )?;
    let complete = state::holds_secrets(ctx.store, f.id, &recipient)?;
    if complete {
        RESEAL.remove(ctx.store, (f.id, recipient.as_str()));
    }
    ctx.emit(
        Event::new(events::SECRET_RESEALED)
            .attr("function_id", f.id)
            .attr("name", &msg.name)
            .attr("version", entry.version)
            .attr("sealer", &sealer)
            .attr("worker", &recipient),
    );
    Ok(MsgResealSecretResponse { complete })
}

/// [`MsgReportUnopenableSecrets`]. Unopenable: the reporter's envelopes for the function are
/// deleted, the sealer of the one that failed (all of them when no `name` is given; never the
/// owner) may not reseal to it again, it waits for a reseal, and a named job slot is declined
/// without penalty. Without a job the reporter must hold an envelope to report (so it cannot
/// report over and over without being re-sealed to in between). Stale: the function's secrets
/// changed since the named job was assigned; its slot is declined and nothing else changes.
pub fn report_unopenable(
    ctx: &mut Context<'_>,
    msg: &MsgReportUnopenableSecrets,
) -> Result<MsgReportUnopenableSecretsResponse, SecretsError> {
    let worker = parse_addr("worker", &msg.worker)?;
    let f = orch::must_get_function(ctx.store, msg.function_id)?;
    let not_allowed = |reason: String| SecretsError::NotAllowed {
        worker: worker.to_string(),
        function: f.id,
        reason,
    };
    if msg.reason.len() > MAX_REASON_BYTES {
        return Err(invalid(
            "reason",
            format!("at most {MAX_REASON_BYTES} bytes"),
        ));
    }
    if !msg.name.is_empty() {
        validate_secret_name(&msg.name).map_err(|r| invalid("name", r))?;
    }
    let mut job = None;
    if msg.job_id != 0 {
        let j = orch::must_get_job(ctx.store, msg.job_id)?;
        let slot = j.assignment(&worker);
        let declinable = j.function_id == f.id
            && j.status == JobStatus::Committing
            && ctx.block.height <= j.commit_deadline
            && slot.is_some_and(|a| a.commitment.is_none() && !a.declined);
        if !declinable {
            return Err(not_allowed(format!(
                "job {} is not one of its jobs awaiting its commit (assigned, not committed, commit window open)",
                msg.job_id
            )));
        }
        job = Some(j);
    }
    let mut exclude = Vec::new();
    if msg.stale {
        let Some(j) = &job else {
            return Err(invalid("stale", "needs the job_id it declines"));
        };
        let now = state::last_version(ctx.store, f.id)?;
        if now == j.secrets_version {
            return Err(not_allowed(format!(
                "the function's secrets are still at version {now}, as when job {} was assigned",
                j.id
            )));
        }
    } else {
        if !state::has_secrets(ctx.store, f.id) {
            return Err(not_allowed("the function has no secrets".into()));
        }
        let held: Vec<(String, StoredEnvelope)> = ENVELOPES
            .prefix((f.id, worker.as_str()))
            .range(ctx.store, None, None, cosmwasm_std::Order::Ascending)
            .collect::<Result<_, _>>()?;
        if job.is_none() && held.is_empty() {
            return Err(not_allowed(
                "it holds no envelope of the function to report (a reseal is pending)".into(),
            ));
        }
        for (name, e) in &held {
            let failed = msg.name.is_empty() || *name == msg.name;
            if failed && e.sealed_by != f.owner && !exclude.contains(&e.sealed_by) {
                exclude.push(e.sealed_by.clone());
            }
        }
        delete_envelopes(ctx.store, f.id, &worker)?;
        if state::members(ctx.store, f.id)?.contains(&worker)
            && !encryption_key(ctx.store, &worker)?.is_empty()
        {
            need_reseal(ctx.store, f.id, &worker, ctx.block.height, &exclude)?;
        }
    }
    let declined = job.is_some();
    if let Some(mut j) = job {
        decline(ctx, &mut j, &worker)?;
    }
    ctx.emit(
        Event::new(events::SECRETS_UNOPENABLE)
            .attr("function_id", f.id)
            .attr("worker", &worker)
            .attr("job_id", msg.job_id)
            .attr("stale", msg.stale)
            .attr("excluded", join(&exclude))
            .attr("reason", &msg.reason),
    );
    Ok(MsgReportUnopenableSecretsResponse { declined })
}

/// Declines `worker`'s slot of a committing job ([`crate::handlers::results::decline_slot`])
/// and saves it.
fn decline(
    ctx: &mut Context<'_>,
    job: &mut crate::state::Job,
    worker: &Address,
) -> Result<(), SecretsError> {
    let p = orch::params(ctx.store)?;
    crate::handlers::results::decline_slot(ctx, job, worker, &p)?;
    JOBS.save(ctx.store, job.id, job)?;
    Ok(())
}
