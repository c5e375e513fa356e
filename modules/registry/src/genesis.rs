//! Registry genesis: params and workers (with their status), exported the same way.
//!
//! Bonds are not minted here: the bank genesis must fund the `registry_bonds` module account
//! with at least the sum of the genesis workers' bonds and partial unbondings (bank genesis runs
//! first). Liveness windows start empty on import. Unbonding workers are re-queued at their
//! `unbonding_height`, partial unbondings at their completion heights. Each partial unbonding
//! keeps its `start_height` (slashing spares entries begun before the infraction); files
//! written before that field existed load with 0 (unknown start: slashable). Result-key
//! histories are exported per worker; on import retired keys are reserved again and their
//! pruning re-queued ([`crate::result_keys::import`]).

use bls_core::Context;
use cosmwasm_std::Storage;
use serde::{Deserialize, Serialize};

use crate::error::RegistryError;
use crate::handlers::{validate_encryption_pubkey, validate_pubkey};
use crate::params::Params;
use crate::result_keys::{self, GenesisResultKeys};
use crate::state::{self, bonds_account, Worker, WorkerStatus, PARAMS, PEERS, PUBKEYS, UNBONDING};

/// The registry's `app_state` section.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GenesisState {
    /// Params.
    pub params: Params,
    /// Workers, any order (stored by id).
    pub workers: Vec<Worker>,
    /// Result-key histories ([`crate::result_keys`]), by worker; a worker left out gets one
    /// holding its current key (from its registration height).
    pub result_keys: Vec<GenesisResultKeys>,
}

/// Writes the genesis state.
pub fn init_genesis(ctx: &mut Context<'_>, g: &GenesisState) -> Result<(), RegistryError> {
    g.params.validate()?;
    PARAMS.save(ctx.store, &g.params)?;
    let mut total: u128 = 0;
    for w in &g.workers {
        let id = w.operator.as_str();
        let pk_bytes = hex::decode(&w.result_pubkey)
            .map_err(|_| RegistryError::InvalidKey("result_pubkey must be hex".into()))?;
        validate_pubkey(&pk_bytes)?;
        if !w.encryption_pubkey.is_empty() {
            let bytes = hex::decode(&w.encryption_pubkey).map_err(|_| {
                crate::error::invalid("encryption_pubkey", "must be hex of 32 bytes")
            })?;
            validate_encryption_pubkey(&bytes)?;
        }
        if state::WORKERS.has(ctx.store, id)
            || PUBKEYS.has(ctx.store, &w.result_pubkey)
            || PEERS.has(ctx.store, &w.peer_id)
        {
            return Err(RegistryError::DuplicateRegistration(format!(
                "genesis worker {id}"
            )));
        }
        state::save_worker(ctx.store, w)?;
        PUBKEYS.save(ctx.store, &w.result_pubkey, &id.to_string())?;
        PEERS.save(ctx.store, &w.peer_id, &id.to_string())?;
        if w.status == WorkerStatus::Unbonding {
            UNBONDING.save(ctx.store, (w.unbonding_height, id), &())?;
        }
        if w.unbonding.len() > state::MAX_UNBONDING_ENTRIES {
            return Err(RegistryError::TooManyUnbondings {
                worker: id.to_string(),
                max: state::MAX_UNBONDING_ENTRIES,
            });
        }
        for e in &w.unbonding {
            // 0 = unknown start (a genesis written before the field existed): allowed.
            if e.start_height > e.completion_height {
                return Err(RegistryError::InvalidParams(format!(
                    "genesis worker {id}: unbonding entry starts at {} after its completion at {}",
                    e.start_height, e.completion_height
                )));
            }
            UNBONDING.save(ctx.store, (e.completion_height, id), &())?;
            total = total
                .checked_add(e.amount)
                .ok_or_else(|| RegistryError::InvalidParams("bond sum overflows".into()))?;
        }
        total = total
            .checked_add(w.bond)
            .ok_or_else(|| RegistryError::InvalidParams("bond sum overflows".into()))?;
    }
    result_keys::import(ctx.store, &g.result_keys)?;
    let held = bls_bank::keeper::balance(ctx.store, &bonds_account(), bls_core::DENOM)?;
    if held < total {
        return Err(RegistryError::NotEnoughBond {
            have: format!(
                "{held}{} in {}",
                bls_core::DENOM,
                crate::state::BONDS_ACCOUNT.name()
            ),
            need: format!("{total}{} (sum of genesis worker bonds)", bls_core::DENOM),
        });
    }
    Ok(())
}

/// Reads the state back as genesis.
pub fn export_genesis(store: &dyn Storage) -> Result<GenesisState, RegistryError> {
    Ok(GenesisState {
        params: state::params(store)?,
        workers: state::all_workers(store)?,
        result_keys: result_keys::export(store)?,
    })
}
