//! Message handlers and the unbonding queue (end block).

use bls_core::{Address, Coin, Context, Event};

use crate::error::{invalid, RegistryError};
use crate::events;
use crate::msgs::{
    Capabilities, MsgBondWorker, MsgBondWorkerResponse, MsgDeregisterWorker,
    MsgDeregisterWorkerResponse, MsgRegisterWorker, MsgRegisterWorkerResponse, MsgUnbondWorker,
    MsgUnbondWorkerResponse, MsgUnjailWorker, MsgUnjailWorkerResponse, MsgUpdateWorker,
    MsgUpdateWorkerResponse, ProtoCoin,
};
use crate::params::Params;
use crate::result_keys;
use crate::state::{
    self, bonds_account, Role, UnbondingEntry, Worker, WorkerStatus, MAX_UNBONDING_ENTRIES, PEERS,
    PUBKEYS, UNBONDING, WORKERS,
};

const MAX_PEER_ID: usize = 128;
const MAX_MULTIADDR: usize = 256;
const MAX_LABEL: usize = 64;

fn parse_addr(field: &'static str, s: &str) -> Result<Address, RegistryError> {
    Address::parse(s).map_err(|e| invalid(field, e.to_string()))
}

/// Validates a compressed secp256k1 public key and returns its hex.
pub fn validate_pubkey(bytes: &[u8]) -> Result<String, RegistryError> {
    if bytes.len() != 33 || !matches!(bytes.first(), Some(0x02) | Some(0x03)) {
        return Err(RegistryError::InvalidKey(format!(
            "expected 33 compressed bytes (0x02/0x03 prefix), got {} bytes",
            bytes.len()
        )));
    }
    k256::PublicKey::from_sec1_bytes(bytes)
        .map_err(|_| RegistryError::InvalidKey("not a point on secp256k1".into()))?;
    Ok(hex::encode(bytes))
}

/// Validates an X25519 public key secrets are sealed to and returns its hex: 32 bytes, and
/// not a low-order point (a Diffie-Hellman with it would not depend on the sender's key, so
/// every envelope sealed to it would be readable by anyone — and HPKE refuses to seal to it,
/// so one such member could stop its function's owner from setting secrets at all).
pub fn validate_encryption_pubkey(bytes: &[u8]) -> Result<String, RegistryError> {
    let arr: [u8; 32] = bytes.try_into().map_err(|_| {
        invalid(
            "encryption_pubkey",
            format!("expected 32 bytes (X25519), got {}", bytes.len()),
        )
    })?;
    let probe = x25519_dalek::StaticSecret::from([0x5a; 32]);
    if !probe
        .diffie_hellman(&x25519_dalek::PublicKey::from(arr))
        .was_contributory()
    {
        return Err(invalid(
            "encryption_pubkey",
            "a low-order X25519 point (no secret can be sealed to it)",
        ));
    }
    Ok(hex::encode(arr))
}

fn validate_peer_id(s: &str) -> Result<(), RegistryError> {
    if s.is_empty() || s.len() > MAX_PEER_ID || !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(invalid(
            "peer_id",
            format!("must be 1..={MAX_PEER_ID} base58 characters"),
        ));
    }
    Ok(())
}

fn validate_multiaddrs(addrs: &[String], p: &Params) -> Result<(), RegistryError> {
    let max = usize::try_from(p.max_multiaddrs).unwrap_or(usize::MAX);
    if addrs.len() > max {
        return Err(invalid("multiaddrs", format!("at most {max} entries")));
    }
    for a in addrs {
        let ok = a.starts_with('/')
            && a.len() <= MAX_MULTIADDR
            && a.bytes().all(|b| b.is_ascii_graphic());
        if !ok {
            return Err(invalid(
                "multiaddrs",
                format!("{:?} is not a multiaddr", truncate(a, 80)),
            ));
        }
    }
    Ok(())
}

fn validate_label(field: &'static str, s: &str) -> Result<(), RegistryError> {
    let ok = !s.is_empty()
        && s.len() <= MAX_LABEL
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/' | b':'));
    if ok {
        Ok(())
    } else {
        Err(invalid(
            field,
            format!("must be 1..={MAX_LABEL} characters of [A-Za-z0-9-_./:]"),
        ))
    }
}

fn validate_capabilities(c: Option<&Capabilities>) -> Result<Capabilities, RegistryError> {
    let c = c.ok_or_else(|| invalid("capabilities", "required"))?;
    if c.memory_mb == 0 || c.max_timeout_ms == 0 {
        return Err(invalid(
            "capabilities",
            "memory_mb and max_timeout_ms must be positive",
        ));
    }
    Ok(c.clone())
}

fn parse_ubls(field: &'static str, c: Option<&ProtoCoin>) -> Result<u128, RegistryError> {
    let c = c.ok_or_else(|| invalid(field, "required"))?;
    bls_core::coins::ubls_amount(&c.denom, &c.amount).map_err(|e| invalid(field, e.to_string()))
}

fn min_bond(p: &Params, role: Role) -> u128 {
    match role {
        Role::Worker => p.min_worker_bond,
        Role::Head => p.min_head_bond,
    }
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

/// Loads the worker named by `worker` and checks that `operator` runs it.
fn owned_worker(
    ctx: &Context<'_>,
    operator: &str,
    worker: &str,
) -> Result<(Address, Worker), RegistryError> {
    let signer = parse_addr("operator", operator)?;
    let id = parse_addr("worker", worker)?;
    let w = state::must_get_worker(ctx.store, &id)?;
    if w.operator != signer {
        return Err(RegistryError::WrongOperator {
            worker: id.to_string(),
            operator: w.operator.to_string(),
            signer: signer.to_string(),
        });
    }
    Ok((signer, w))
}

/// Registers a worker and moves its bond to the bonds account.
pub fn register_worker(
    ctx: &mut Context<'_>,
    msg: &MsgRegisterWorker,
) -> Result<MsgRegisterWorkerResponse, RegistryError> {
    let p = state::params(ctx.store)?;
    let operator = parse_addr("operator", &msg.operator)?;
    let pubkey = validate_pubkey(&msg.result_pubkey)?;
    let encryption_pubkey = if msg.encryption_pubkey.is_empty() {
        String::new()
    } else {
        validate_encryption_pubkey(&msg.encryption_pubkey)?
    };
    validate_peer_id(&msg.peer_id)?;
    validate_multiaddrs(&msg.multiaddrs, &p)?;
    validate_label("region", &msg.region)?;
    validate_label("network", &msg.network)?;
    let capabilities = validate_capabilities(msg.capabilities.as_ref())?;
    let role = Role::parse(&msg.role).ok_or_else(|| invalid("role", "must be worker or head"))?;
    let bond = parse_ubls("bond", msg.bond.as_ref())?;
    let need = min_bond(&p, role);
    if bond < need {
        return Err(RegistryError::NotEnoughBond {
            have: Coin::ubls(bond).to_string(),
            need: Coin::ubls(need).to_string(),
        });
    }
    if WORKERS.has(ctx.store, operator.as_str()) {
        return Err(RegistryError::DuplicateRegistration(format!(
            "operator {operator} already runs a worker"
        )));
    }
    if PUBKEYS.has(ctx.store, &pubkey) {
        return Err(RegistryError::DuplicateRegistration(
            "result_pubkey is already registered".into(),
        ));
    }
    if PEERS.has(ctx.store, &msg.peer_id) {
        return Err(RegistryError::DuplicateRegistration(
            "peer_id is already registered".into(),
        ));
    }
    bls_bank::keeper::send_ubls(ctx, &operator, &bonds_account(), bond)?;
    let w = Worker {
        operator: operator.clone(),
        result_pubkey: pubkey.clone(),
        encryption_pubkey,
        peer_id: msg.peer_id.clone(),
        multiaddrs: msg.multiaddrs.clone(),
        region: msg.region.clone(),
        network: msg.network.clone(),
        capabilities,
        role,
        bond,
        status: WorkerStatus::Active,
        jailed_until: 0,
        unbonding_height: 0,
        slashed_total: 0,
        last_penalty: String::new(),
        registered_height: ctx.block.height,
        unbonding: Vec::new(),
    };
    state::save_worker(ctx.store, &w)?;
    PUBKEYS.save(ctx.store, &pubkey, &operator.to_string())?;
    result_keys::start(ctx.store, &operator, &pubkey, ctx.block.height)?;
    PEERS.save(ctx.store, &msg.peer_id, &operator.to_string())?;
    ctx.emit(
        Event::new(events::WORKER_REGISTERED)
            .attr("worker", &operator)
            .attr("role", role.as_str())
            .attr("region", &w.region)
            .attr("bond", Coin::ubls(bond)),
    );
    Ok(MsgRegisterWorkerResponse {
        worker_id: operator.to_string(),
    })
}

/// Updates a worker's fields (empty = unchanged) and optionally tops up its bond.
pub fn update_worker(
    ctx: &mut Context<'_>,
    msg: &MsgUpdateWorker,
) -> Result<MsgUpdateWorkerResponse, RegistryError> {
    let p = state::params(ctx.store)?;
    let (operator, mut w) = owned_worker(ctx, &msg.operator, &msg.worker)?;
    let id = w.operator.to_string();
    if !msg.result_pubkey.is_empty() {
        let pk = validate_pubkey(&msg.result_pubkey)?;
        if pk != w.result_pubkey {
            // The old key stays valid for what it signed and reserved while in reach.
            result_keys::rotate(ctx.store, &mut w, &pk, ctx.block.height)?;
            ctx.emit(
                Event::new(events::WORKER_KEY_ROTATED)
                    .attr("worker", &id)
                    .attr("pubkey", &pk)
                    .attr("height", ctx.block.height),
            );
        }
    }
    if !msg.encryption_pubkey.is_empty() {
        let pk = validate_encryption_pubkey(&msg.encryption_pubkey)?;
        if w.encryption_pubkey.is_empty() {
            w.encryption_pubkey = pk.clone();
            ctx.emit(
                Event::new(events::WORKER_ENCRYPTION_KEY_SET)
                    .attr("worker", &id)
                    .attr("pubkey", &pk),
            );
        } else if pk != w.encryption_pubkey {
            // Envelopes on chain are sealed to the registered key; changing it would leave
            // every function this worker serves unable to run until all were re-sealed.
            return Err(invalid(
                "encryption_pubkey",
                "already set; it cannot change (register a new worker to use another key)",
            ));
        }
    }
    if !msg.peer_id.is_empty() && msg.peer_id != w.peer_id {
        validate_peer_id(&msg.peer_id)?;
        if PEERS.has(ctx.store, &msg.peer_id) {
            return Err(RegistryError::DuplicateRegistration(
                "peer_id is already registered".into(),
            ));
        }
        PEERS.remove(ctx.store, &w.peer_id);
        PEERS.save(ctx.store, &msg.peer_id, &id)?;
        w.peer_id = msg.peer_id.clone();
    }
    if !msg.multiaddrs.is_empty() {
        validate_multiaddrs(&msg.multiaddrs, &p)?;
        w.multiaddrs = msg.multiaddrs.clone();
    }
    if !msg.region.is_empty() {
        validate_label("region", &msg.region)?;
        w.region = msg.region.clone();
    }
    if !msg.network.is_empty() {
        validate_label("network", &msg.network)?;
        w.network = msg.network.clone();
    }
    if msg.capabilities.is_some() {
        w.capabilities = validate_capabilities(msg.capabilities.as_ref())?;
    }
    if msg.add_bond.is_some() {
        add_bond(ctx, &operator, &mut w, "add_bond", msg.add_bond.as_ref())?;
    }
    state::save_worker(ctx.store, &w)?;
    ctx.emit(Event::new(events::WORKER_UPDATED).attr("worker", &id));
    Ok(MsgUpdateWorkerResponse {})
}

/// Moves `coin` from the operator to the bonds account and adds it to `w.bond` (the caller
/// saves `w`). Shared by `MsgUpdateWorker.add_bond` and `MsgBondWorker`. Returns the amount.
fn add_bond(
    ctx: &mut Context<'_>,
    operator: &Address,
    w: &mut Worker,
    field: &'static str,
    coin: Option<&ProtoCoin>,
) -> Result<u128, RegistryError> {
    if w.status == WorkerStatus::Unbonding {
        return Err(RegistryError::WrongStatus {
            worker: w.operator.to_string(),
            status: w.status.as_str().into(),
            action: "adding bond",
        });
    }
    let extra = parse_ubls(field, coin)?;
    if extra == 0 {
        return Err(invalid(field, "must be positive"));
    }
    bls_bank::keeper::send_ubls(ctx, operator, &bonds_account(), extra)?;
    w.bond = w
        .bond
        .checked_add(extra)
        .ok_or_else(|| invalid(field, "overflow"))?;
    Ok(extra)
}

/// Adds bond to the signer's worker.
pub fn bond_worker(
    ctx: &mut Context<'_>,
    msg: &MsgBondWorker,
) -> Result<MsgBondWorkerResponse, RegistryError> {
    let (operator, mut w) = owned_worker(ctx, &msg.operator, &msg.operator)?;
    let extra = add_bond(ctx, &operator, &mut w, "amount", msg.amount.as_ref())?;
    state::save_worker(ctx.store, &w)?;
    ctx.emit(
        Event::new(events::WORKER_BONDED)
            .attr("worker", &w.operator)
            .attr("amount", Coin::ubls(extra))
            .attr("bond", Coin::ubls(w.bond)),
    );
    Ok(MsgBondWorkerResponse {
        bond: w.bond.to_string(),
    })
}

/// Starts unbonding part of the signer's worker's bond: the amount leaves `bond` now, waits in
/// an unbonding entry (slashable) and is returned in end block at `height + unbonding_blocks`.
/// Allowed while jailed (deregistration is too); the remaining bond must meet the minimum.
pub fn unbond_worker(
    ctx: &mut Context<'_>,
    msg: &MsgUnbondWorker,
) -> Result<MsgUnbondWorkerResponse, RegistryError> {
    let p = state::params(ctx.store)?;
    let (_, mut w) = owned_worker(ctx, &msg.operator, &msg.operator)?;
    if w.status == WorkerStatus::Unbonding {
        return Err(RegistryError::WrongStatus {
            worker: w.operator.to_string(),
            status: w.status.as_str().into(),
            action: "unbonding part of the bond",
        });
    }
    let amount = parse_ubls("amount", msg.amount.as_ref())?;
    if amount == 0 {
        return Err(invalid("amount", "must be positive"));
    }
    let need = min_bond(&p, w.role);
    // More than the whole bond counts as leaving 0 behind: below any minimum.
    let remaining = match w.bond.checked_sub(amount) {
        Some(r) if r >= need => r,
        r => {
            return Err(RegistryError::NotEnoughBond {
                have: format!(
                    "{} after unbonding {}",
                    Coin::ubls(r.unwrap_or(0)),
                    Coin::ubls(amount)
                ),
                need: format!("{} (to leave entirely, deregister)", Coin::ubls(need)),
            })
        }
    };
    let completion = ctx.block.height.saturating_add(p.unbonding_blocks);
    // Entries are appended in height order; one started in the same block (same start and
    // completion) merges. Entries with different starts stay apart: slashing tells them apart.
    match w.unbonding.last_mut() {
        Some(last)
            if last.completion_height == completion && last.start_height == ctx.block.height =>
        {
            last.amount = last
                .amount
                .checked_add(amount)
                .ok_or_else(|| invalid("amount", "overflow"))?;
        }
        _ => {
            if w.unbonding.len() >= MAX_UNBONDING_ENTRIES {
                return Err(RegistryError::TooManyUnbondings {
                    worker: w.operator.to_string(),
                    max: MAX_UNBONDING_ENTRIES,
                });
            }
            w.unbonding.push(UnbondingEntry {
                start_height: ctx.block.height,
                completion_height: completion,
                amount,
            });
        }
    }
    w.bond = remaining;
    state::save_worker(ctx.store, &w)?;
    UNBONDING.save(ctx.store, (completion, w.operator.as_str()), &())?;
    ctx.emit(
        Event::new(events::WORKER_UNBOND_STARTED)
            .attr("worker", &w.operator)
            .attr("amount", Coin::ubls(amount))
            .attr("start_height", ctx.block.height)
            .attr("completion_height", completion),
    );
    Ok(MsgUnbondWorkerResponse {
        completion_height: completion,
    })
}

/// Starts unbonding; the bond is returned in end block at `height + unbonding_blocks`. The
/// current result key is retired at this height ([`result_keys::close`]): signatures about
/// requests that start later never count, and evidence about earlier ones lands before the
/// record goes.
pub fn deregister_worker(
    ctx: &mut Context<'_>,
    msg: &MsgDeregisterWorker,
) -> Result<MsgDeregisterWorkerResponse, RegistryError> {
    let p = state::params(ctx.store)?;
    let (_, mut w) = owned_worker(ctx, &msg.operator, &msg.worker)?;
    if w.status == WorkerStatus::Unbonding {
        return Err(RegistryError::WrongStatus {
            worker: w.operator.to_string(),
            status: w.status.as_str().into(),
            action: "deregistering",
        });
    }
    let completion = ctx.block.height.saturating_add(p.unbonding_blocks);
    w.status = WorkerStatus::Unbonding;
    w.unbonding_height = completion;
    result_keys::close(ctx.store, &w, ctx.block.height)?;
    state::save_worker(ctx.store, &w)?;
    UNBONDING.save(ctx.store, (completion, w.operator.as_str()), &())?;
    ctx.emit(
        Event::new(events::WORKER_DEREGISTERED)
            .attr("worker", &w.operator)
            .attr("completion_height", completion),
    );
    Ok(MsgDeregisterWorkerResponse {
        completion_height: completion,
    })
}

/// Returns a jailed worker to active once the jail period is over.
pub fn unjail_worker(
    ctx: &mut Context<'_>,
    msg: &MsgUnjailWorker,
) -> Result<MsgUnjailWorkerResponse, RegistryError> {
    let p = state::params(ctx.store)?;
    let (_, mut w) = owned_worker(ctx, &msg.operator, &msg.worker)?;
    if w.status != WorkerStatus::Jailed {
        return Err(RegistryError::WrongStatus {
            worker: w.operator.to_string(),
            status: w.status.as_str().into(),
            action: "unjailing",
        });
    }
    if ctx.block.height < w.jailed_until {
        return Err(RegistryError::UnjailTooEarly {
            worker: w.operator.to_string(),
            until: w.jailed_until,
            height: ctx.block.height,
        });
    }
    let need = min_bond(&p, w.role);
    if w.bond < need {
        return Err(RegistryError::NotEnoughBond {
            have: Coin::ubls(w.bond).to_string(),
            need: Coin::ubls(need).to_string(),
        });
    }
    w.status = WorkerStatus::Active;
    w.jailed_until = 0;
    state::save_worker(ctx.store, &w)?;
    crate::liveness::reset(ctx.store, &w.operator)?;
    ctx.emit(Event::new(events::WORKER_UNJAILED).attr("worker", &w.operator));
    Ok(MsgUnjailWorkerResponse {})
}

/// End block: completes due unbondings, then drops result keys that went out of reach.
pub fn end_block(ctx: &mut Context<'_>) -> Result<(), RegistryError> {
    process_unbonding(ctx)?;
    result_keys::prune_due(ctx.store, ctx.block.height)
}

/// Returns the bonds of workers whose unbonding completes at or before this block and removes
/// their records (the operator may register again), and returns partial unbondings
/// (`MsgUnbondWorker`) that are due, keeping the worker.
pub fn process_unbonding(ctx: &mut Context<'_>) -> Result<(), RegistryError> {
    for (height, id) in state::due_unbondings(ctx.store, ctx.block.height)? {
        UNBONDING.remove(ctx.store, (height, id.as_str()));
        let Some(mut w) = WORKERS.may_load(ctx.store, &id)? else {
            continue;
        };
        if w.status == WorkerStatus::Unbonding && w.unbonding_height == height {
            // Leaving: the bond and any partial unbondings still in flight go back together.
            let amount = w.bond.saturating_add(state::unbonding_total(&w));
            if amount > 0 {
                bls_bank::keeper::send_ubls(ctx, &bonds_account(), &w.operator, amount)?;
            }
            WORKERS.remove(ctx.store, &id);
            result_keys::release(ctx.store, &w)?;
            PUBKEYS.remove(ctx.store, &w.result_pubkey);
            PEERS.remove(ctx.store, &w.peer_id);
            crate::liveness::reset(ctx.store, &w.operator)?;
            ctx.emit(
                Event::new(events::WORKER_UNBONDED)
                    .attr("worker", &w.operator)
                    .attr("amount", Coin::ubls(amount)),
            );
            continue;
        }
        let (due, pending): (Vec<UnbondingEntry>, Vec<UnbondingEntry>) = w
            .unbonding
            .drain(..)
            .partition(|e| e.completion_height <= height);
        if due.is_empty() {
            w.unbonding = pending;
            continue;
        }
        let amount = due
            .iter()
            .fold(0u128, |acc, e| acc.saturating_add(e.amount));
        if amount > 0 {
            bls_bank::keeper::send_ubls(ctx, &bonds_account(), &w.operator, amount)?;
        }
        w.unbonding = pending;
        state::save_worker(ctx.store, &w)?;
        ctx.emit(
            Event::new(events::WORKER_UNBOND_COMPLETED)
                .attr("worker", &w.operator)
                .attr("amount", Coin::ubls(amount)),
        );
    }
    Ok(())
}
