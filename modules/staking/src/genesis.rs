//! Staking genesis: params, validators, delegations and unbonding entries.
//!
//! Coins are not minted here: bank genesis (which runs first) must fund the `staking_bonded`
//! module account with exactly the validators' tokens and `staking_unbonding` with exactly the
//! unbonding entries' balances. The active set is recomputed on import and sent to CometBFT
//! as InitChain's validators; with no staking validators nothing is sent and CometBFT's own
//! genesis validators stand.

use std::collections::{BTreeMap, BTreeSet};

use bls_core::{Context, ModuleAccount};
use cosmwasm_std::Storage;
use serde::{Deserialize, Serialize};

use crate::error::StakingError;
use crate::evidence_age::{self, EvidenceAge};
use crate::handlers::{validate_consensus_pubkey, validate_moniker};
use crate::params::Params;
use crate::state::{
    self, consensus_address, Delegation, UnbondingEntry, Validator, BONDED_POOL, CONS_INDEX,
    NEXT_UNBONDING_ID, PARAMS, UNBONDINGS, UNBONDING_POOL,
};
use crate::{consensus_keys, valset};

/// The staking `app_state` section.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GenesisState {
    /// Params.
    pub params: Params,
    /// Validators (any order).
    pub validators: Vec<Validator>,
    /// Delegations; per validator they must sum to its tokens.
    pub delegations: Vec<Delegation>,
    /// Pending unbonding entries.
    pub unbonding_entries: Vec<UnbondingEntry>,
    /// Next unbonding id (above every entry's id).
    pub next_unbonding_id: u64,
}

fn bad(s: impl Into<String>) -> StakingError {
    StakingError::InvalidGenesis(s.into())
}

/// Validates and writes the genesis state, then pushes the initial validator set.
pub fn init_genesis(ctx: &mut Context<'_>, g: &GenesisState) -> Result<(), StakingError> {
    g.params.validate()?;
    PARAMS.save(ctx.store, &g.params)?;
    let mut total_tokens: u128 = 0;
    for v in &g.validators {
        let pk = hex::decode(&v.consensus_pubkey).map_err(|_| {
            bad(format!(
                "validator {}: consensus_pubkey must be hex",
                v.operator
            ))
        })?;
        validate_consensus_pubkey(&pk)?;
        validate_moniker(&v.moniker)?;
        let cons = consensus_address(&pk);
        if v.consensus_address != cons {
            return Err(bad(format!(
                "validator {}: consensus_address must be {cons}",
                v.operator
            )));
        }
        if v.commission_bps > g.params.max_commission_bps {
            return Err(bad(format!(
                "validator {}: commission above max",
                v.operator
            )));
        }
        if state::VALIDATORS.has(ctx.store, v.operator.as_str()) || CONS_INDEX.has(ctx.store, &cons)
        {
            return Err(bad(format!("duplicate validator {}", v.operator)));
        }
        state::save_validator(ctx.store, v)?;
        CONS_INDEX.save(ctx.store, &cons, &v.operator.to_string())?;
        total_tokens = total_tokens
            .checked_add(v.tokens)
            .ok_or(StakingError::Overflow("genesis tokens"))?;
    }
    let mut sums: BTreeMap<String, u128> = BTreeMap::new();
    let mut seen = BTreeSet::new();
    for d in &g.delegations {
        if d.amount == 0 {
            return Err(bad("zero delegation"));
        }
        if !seen.insert((d.validator.to_string(), d.delegator.to_string())) {
            return Err(bad(format!(
                "duplicate delegation {} → {}",
                d.delegator, d.validator
            )));
        }
        if !state::VALIDATORS.has(ctx.store, d.validator.as_str()) {
            return Err(bad(format!(
                "delegation to unknown validator {}",
                d.validator
            )));
        }
        state::set_delegation(ctx.store, &d.validator, &d.delegator, d.amount)?;
        let s = sums.entry(d.validator.to_string()).or_insert(0);
        *s = s
            .checked_add(d.amount)
            .ok_or(StakingError::Overflow("genesis delegations"))?;
    }
    for v in &g.validators {
        let sum = sums.get(v.operator.as_str()).copied().unwrap_or(0);
        if sum != v.tokens {
            return Err(bad(format!(
                "validator {} has tokens {} but its delegations sum to {sum}",
                v.operator, v.tokens
            )));
        }
    }
    let mut total_unbonding: u128 = 0;
    for e in &g.unbonding_entries {
        if e.id >= g.next_unbonding_id || UNBONDINGS.has(ctx.store, e.id) {
            return Err(bad(format!(
                "unbonding id {} duplicate or not below next_unbonding_id",
                e.id
            )));
        }
        if e.balance > e.initial_balance {
            return Err(bad(format!("unbonding {}: balance above initial", e.id)));
        }
        state::save_new_unbonding(ctx.store, e)?;
        total_unbonding = total_unbonding
            .checked_add(e.balance)
            .ok_or(StakingError::Overflow("genesis unbonding"))?;
    }
    NEXT_UNBONDING_ID.save(ctx.store, &g.next_unbonding_id)?;
    check_pool(ctx.store, &BONDED_POOL, total_tokens)?;
    check_pool(ctx.store, &UNBONDING_POOL, total_unbonding)?;
    valset::apply_validator_set(ctx)
}

fn check_pool(
    store: &dyn Storage,
    account: &ModuleAccount,
    want: u128,
) -> Result<(), StakingError> {
    let addr = account.address();
    let held = bls_bank::keeper::balance(store, &addr, bls_core::DENOM)?;
    if held != want {
        return Err(bad(format!(
            "module account {name} ({addr}) holds {held}{d}, genesis needs exactly {want}{d}",
            name = account.name(),
            d = bls_core::DENOM
        )));
    }
    Ok(())
}

/// What staking takes from InitChain besides its `app_state` section: CometBFT's genesis
/// validators and evidence params (both live in the genesis file outside `app_state`, so an
/// exported genesis carries them again).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsensusGenesis {
    /// ed25519 keys of CometBFT's genesis validators (`RequestInitChain.validators`).
    pub validators: Vec<Vec<u8>>,
    /// `consensus_params.evidence` (CometBFT's defaults when the genesis file has none).
    pub evidence: EvidenceAge,
}

/// InitChain, after every module's genesis: refuses an unbonding period shorter than the
/// evidence window and records the window and CometBFT's genesis validators.
pub fn init_consensus(ctx: &mut Context<'_>, g: &ConsensusGenesis) -> Result<(), StakingError> {
    evidence_age::record(ctx.store, &g.evidence)?;
    consensus_keys::record_genesis_validators(ctx.store, &g.validators)
}

/// Reads the state back as genesis (the active set is recomputed on import).
pub fn export_genesis(store: &dyn Storage) -> Result<GenesisState, StakingError> {
    Ok(GenesisState {
        params: state::params(store)?,
        validators: state::all_validators(store)?,
        delegations: state::all_delegations(store)?,
        unbonding_entries: state::all_unbondings(store)?,
        next_unbonding_id: NEXT_UNBONDING_ID.may_load(store)?.unwrap_or(0),
    })
}
