//! Head-accountability part of the fast-path genesis (`app_state.orchestration.fastpath.head`):
//! settlement records, challenges (with published outcomes) and punishment markers, exported
//! in store key order. The prune schedule is not exported: import derives it from the records
//! (settlements: `height + head_dispute_window + challenge_window + 1`; open challenges: their
//! deadline + 1; markers: the import height + the longest evidence reach + 1, beyond any
//! report or receipt about their request the chain still accepts).
//!
//! Deposits are not minted here: bank genesis must fund `orchestration_challenges` with at
//! least Σ deposits of open challenges.

use bls_core::{Address, Context};
use cosmwasm_std::{Binary, Order, Storage};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::state::*;
use crate::error::OrchestrationError;

/// A settlement record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisHeadSettlement {
    /// Request id, 64 lowercase hex characters.
    pub request_id: String,
    /// The record.
    pub settlement: HeadSettlement,
}

/// A challenge and, once answered, the published outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisChallenge {
    /// Request id, 64 lowercase hex characters (its settlement must be listed).
    pub request_id: String,
    /// The challenge.
    pub challenge: Challenge,
    /// Outcome bytes (hex) the head published (answered challenges only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
}

/// A (request, head) pair already punished.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisPunished {
    /// Request id, 64 lowercase hex characters.
    pub request_id: String,
    /// The punished head.
    pub head: Address,
}

/// `app_state.orchestration.fastpath.head` (absent in older genesis files: empty).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HeadGenesis {
    /// Settlement records.
    pub settlements: Vec<GenesisHeadSettlement>,
    /// Challenges.
    pub challenges: Vec<GenesisChallenge>,
    /// Punishment markers.
    pub punished: Vec<GenesisPunished>,
}

fn bad(s: impl Into<String>) -> OrchestrationError {
    OrchestrationError::InvalidParams(format!("genesis: fastpath.head.{}", s.into()))
}

fn request_id(what: &str, s: &str) -> Result<(), OrchestrationError> {
    if s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        Ok(())
    } else {
        Err(bad(format!(
            "{what}: request id {s:?} must be 64 lowercase hex characters"
        )))
    }
}

/// Validates and writes the head-accountability genesis (after params and bank genesis).
pub fn init(ctx: &mut Context<'_>, g: &HeadGenesis) -> Result<(), OrchestrationError> {
    let p = crate::state::params(ctx.store)?;
    let keep = p.head_dispute_window.saturating_add(p.challenge_window);
    for (i, e) in g.settlements.iter().enumerate() {
        let what = format!("settlements[{i}]");
        request_id(&what, &e.request_id)?;
        let s = &e.settlement;
        if s.height == 0 {
            return Err(bad(format!("{what}: height must be positive")));
        }
        if crate::state::parse_hash(&s.result_hash).is_none()
            || s.result_hash != s.result_hash.to_ascii_lowercase()
        {
            return Err(bad(format!(
                "{what}: result_hash must be 64 lowercase hex characters"
            )));
        }
        if SETTLEMENTS.has(ctx.store, &e.request_id) {
            return Err(bad(format!(
                "{what}: request {} listed twice",
                e.request_id
            )));
        }
        SETTLEMENTS.save(ctx.store, &e.request_id, s)?;
        schedule_prune(
            ctx.store,
            &e.request_id,
            s.height.saturating_add(keep).saturating_add(1),
        )?;
    }
    let mut open: u128 = 0;
    for (i, e) in g.challenges.iter().enumerate() {
        let what = format!("challenges[{i}]");
        request_id(&what, &e.request_id)?;
        let c = &e.challenge;
        let s = SETTLEMENTS
            .may_load(ctx.store, &e.request_id)?
            .ok_or_else(|| {
                bad(format!(
                    "{what}: request {} has no settlement",
                    e.request_id
                ))
            })?;
        if c.head != s.head || c.invoker != s.invoker {
            return Err(bad(format!(
                "{what}: head and invoker must be the settlement's"
            )));
        }
        if c.deposit == 0 || c.opened == 0 || c.deadline < c.opened {
            return Err(bad(format!(
                "{what}: deposit and opened must be positive, deadline at least opened"
            )));
        }
        if CHALLENGES.has(ctx.store, &e.request_id) {
            return Err(bad(format!(
                "{what}: request {} listed twice",
                e.request_id
            )));
        }
        match (c.status, &e.outcome) {
            (ChallengeStatus::Open, None) => {
                open = open
                    .checked_add(c.deposit)
                    .ok_or_else(|| bad("challenges: deposits overflow u128"))?;
                OPEN_BY_HEAD.save(ctx.store, (c.head.as_str(), &e.request_id), &())?;
                DEADLINES.save(ctx.store, (c.deadline, &e.request_id), &())?;
                schedule_prune(ctx.store, &e.request_id, c.deadline.saturating_add(1))?;
            }
            (ChallengeStatus::Answered, Some(o)) => {
                let bytes =
                    hex::decode(o).map_err(|_| bad(format!("{what}: outcome must be hex")))?;
                if hex::encode(Sha256::digest(&bytes)) != s.result_hash {
                    return Err(bad(format!(
                        "{what}: outcome does not hash to the settled result"
                    )));
                }
                OUTCOMES.save(ctx.store, &e.request_id, &Binary::from(bytes))?;
            }
            (ChallengeStatus::Unanswered, None) => {}
            (status, _) => {
                return Err(bad(format!(
                    "{what}: an outcome is listed exactly for answered challenges (status {})",
                    status.as_str()
                )))
            }
        }
        CHALLENGES.save(ctx.store, &e.request_id, c)?;
    }
    // A marker's statement height and request expiry are not exported: keep it as long as
    // any report or receipt about a request alive at the import can still arrive.
    let marker_until = ctx
        .block
        .height
        .saturating_add(p.evidence_reach().blocks)
        .saturating_add(1);
    for (i, e) in g.punished.iter().enumerate() {
        let what = format!("punished[{i}]");
        request_id(&what, &e.request_id)?;
        let key = (e.request_id.as_str(), e.head.as_str());
        if PUNISHED.has(ctx.store, key) {
            return Err(bad(format!("{what}: listed twice")));
        }
        PUNISHED.save(ctx.store, key, &())?;
        schedule_prune(ctx.store, &e.request_id, marker_until)?;
    }
    let held = bls_bank::keeper::balance(ctx.store, &challenge_account(), bls_core::DENOM)?;
    if held < open {
        return Err(bad(format!(
            "challenges: {} holds {held}ubls but open challenges escrow {open}ubls",
            CHALLENGE_ACCOUNT.name()
        )));
    }
    Ok(())
}

/// Reads the head-accountability state back, every list in ascending key order.
pub fn export(store: &dyn Storage) -> Result<HeadGenesis, OrchestrationError> {
    let mut g = HeadGenesis::default();
    for item in SETTLEMENTS.range(store, None, None, Order::Ascending) {
        let (request_id, settlement) = item?;
        g.settlements.push(GenesisHeadSettlement {
            request_id,
            settlement,
        });
    }
    for item in CHALLENGES.range(store, None, None, Order::Ascending) {
        let (request_id, challenge) = item?;
        let outcome = OUTCOMES.may_load(store, &request_id)?.map(hex::encode);
        g.challenges.push(GenesisChallenge {
            request_id,
            challenge,
            outcome,
        });
    }
    for item in PUNISHED.range(store, None, None, Order::Ascending) {
        let ((request_id, head), ()) = item?;
        let head = Address::parse(&head)
            .map_err(|e| OrchestrationError::Store(format!("punished head {head}: {e}")))?;
        g.punished.push(GenesisPunished { request_id, head });
    }
    Ok(g)
}
