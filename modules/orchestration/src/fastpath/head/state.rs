//! Head-accountability state (the `head` section of the fast path).
//!
//! Keys (request ids as 64 lowercase hex characters):
//! - `orch/fp/head/settled/{request}` → [`HeadSettlement`]: who settled a request, for whom,
//!   which result and fee (what a challenge or a report of "settled another result" needs);
//! - `orch/fp/head/challenges/{request}` → [`Challenge`]; `orch/fp/head/outcomes/{request}`
//!   → the outcome an answer published (the invoker reads it with the `HeadChallenge` query);
//! - `orch/fp/head/open/{head}/{request}` → () while a challenge is open (a head finds the
//!   challenges it must answer); `orch/fp/head/deadlines/{height}/{request}` → () (the open
//!   challenges end block resolves at that height);
//! - `orch/fp/head/punished/{request}/{head}` → () (a head is punished at most once per
//!   request, and may not settle a request it was punished for);
//! - `orch/fp/head/prune_at/{request}` → height and `orch/fp/head/prune/{height}/{request}` →
//!   (): every record of a request is deleted in the end block of its prune height, once no
//!   report or challenge about it can be accepted any more.
//!
//! Challenge deposits are held by the `orchestration_challenges` module account; invariant:
//! its balance == Σ deposits of open challenges.

use bls_core::{Address, ModuleAccount};
use cosmwasm_std::{Binary, Order, Storage};
use cw_storage_plus::{Bound, Map};
use serde::{Deserialize, Serialize};

use crate::error::OrchestrationError;

/// Module account holding the deposits of open challenges (closed to plain sends: its balance
/// must equal Σ deposits of open challenges).
pub const CHALLENGE_ACCOUNT: ModuleAccount = ModuleAccount::new("orchestration_challenges");

/// Most worker signatures a statement may present (the largest subnetwork).
pub const MAX_STATEMENT_SIGNATURES: usize = 256;

/// Most prune entries end block handles per block (the rest waits for the next block; the
/// windows are checked by height, so a late prune changes no outcome).
pub const MAX_PRUNE_PER_BLOCK: usize = 1_024;

/// What a head settled for one request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeadSettlement {
    /// The settling head.
    pub head: Address,
    /// The invoker charged.
    pub invoker: Address,
    /// The request's function.
    pub function_id: u64,
    /// Result hash settled (hex).
    pub result_hash: String,
    /// Fee charged (ubls).
    #[serde(with = "bls_core::amount::u128_str")]
    pub fee: u128,
    /// Settlement height.
    pub height: u64,
    /// Whether the fee was paid back to the invoker (the head was punished for it).
    #[serde(default)]
    pub refunded: bool,
}

/// Where a challenge stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChallengeStatus {
    /// Waiting for the head's answer until `deadline`.
    Open,
    /// The head published the outcome; the deposit went to the head.
    Answered,
    /// The deadline passed without an answer: the head was punished, the invoker refunded.
    Unanswered,
}

impl ChallengeStatus {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChallengeStatus::Open => "open",
            ChallengeStatus::Answered => "answered",
            ChallengeStatus::Unanswered => "unanswered",
        }
    }
}

/// A challenge of a settled charge.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Challenge {
    /// The challenged head.
    pub head: Address,
    /// The challenging invoker.
    pub invoker: Address,
    /// Deposit escrowed (ubls).
    #[serde(with = "bls_core::amount::u128_str")]
    pub deposit: u128,
    /// Height it was opened.
    pub opened: u64,
    /// Last height an answer is accepted; end block of this height resolves it.
    pub deadline: u64,
    /// Status.
    pub status: ChallengeStatus,
    /// Height it was answered or expired (0 while open).
    #[serde(default)]
    pub resolved: u64,
}

pub(crate) const SETTLEMENTS: Map<&str, HeadSettlement> = Map::new("orch/fp/head/settled");
pub(crate) const CHALLENGES: Map<&str, Challenge> = Map::new("orch/fp/head/challenges");
pub(crate) const OUTCOMES: Map<&str, Binary> = Map::new("orch/fp/head/outcomes");
pub(crate) const OPEN_BY_HEAD: Map<(&str, &str), ()> = Map::new("orch/fp/head/open");
pub(crate) const DEADLINES: Map<(u64, &str), ()> = Map::new("orch/fp/head/deadlines");
pub(crate) const PUNISHED: Map<(&str, &str), ()> = Map::new("orch/fp/head/punished");
pub(crate) const PRUNE_AT: Map<&str, u64> = Map::new("orch/fp/head/prune_at");
pub(crate) const PRUNE: Map<(u64, &str), ()> = Map::new("orch/fp/head/prune");

/// The challenge-deposit module account.
pub fn challenge_account() -> Address {
    CHALLENGE_ACCOUNT.address()
}

/// What `head` settled for request `request` (hex), if a settlement record is kept.
pub fn settlement(
    store: &dyn Storage,
    request: &str,
) -> Result<Option<HeadSettlement>, OrchestrationError> {
    Ok(SETTLEMENTS.may_load(store, request)?)
}

/// The challenge of request `request` (hex), if any.
pub fn challenge(
    store: &dyn Storage,
    request: &str,
) -> Result<Option<Challenge>, OrchestrationError> {
    Ok(CHALLENGES.may_load(store, request)?)
}

/// The outcome a challenged head published for `request` (hex).
pub fn answered_outcome(
    store: &dyn Storage,
    request: &str,
) -> Result<Option<Vec<u8>>, OrchestrationError> {
    Ok(OUTCOMES.may_load(store, request)?.map(|b| b.to_vec()))
}

/// Request ids (hex) of the challenges open against `head`, ascending, after `start_after`,
/// at most `limit`.
pub fn open_challenges_of(
    store: &dyn Storage,
    head: &Address,
    start_after: Option<&str>,
    limit: usize,
) -> Result<Vec<String>, OrchestrationError> {
    let min = start_after.map(Bound::exclusive);
    OPEN_BY_HEAD
        .prefix(head.as_str())
        .keys(store, min, None, Order::Ascending)
        .take(limit)
        .map(|k| k.map_err(OrchestrationError::from))
        .collect()
}

/// Whether `head` was punished for `request` (hex).
pub fn punished(store: &dyn Storage, request: &str, head: &Address) -> bool {
    PUNISHED.has(store, (request, head.as_str()))
}

/// Σ deposits of open challenges (what the challenge account must hold).
pub fn open_deposits(store: &dyn Storage) -> Result<u128, OrchestrationError> {
    let mut total: u128 = 0;
    for item in CHALLENGES.range(store, None, None, Order::Ascending) {
        let (_, c) = item?;
        if c.status == ChallengeStatus::Open {
            total = total.saturating_add(c.deposit);
        }
    }
    Ok(total)
}

/// Deletes every record of `request` at the end block of `height`, or later if already
/// scheduled later.
pub(crate) fn schedule_prune(
    store: &mut dyn Storage,
    request: &str,
    height: u64,
) -> Result<(), OrchestrationError> {
    if let Some(at) = PRUNE_AT.may_load(store, request)? {
        if at >= height {
            return Ok(());
        }
        PRUNE.remove(store, (at, request));
    }
    PRUNE_AT.save(store, request, &height)?;
    PRUNE.save(store, (height, request), &())?;
    Ok(())
}

/// Records that `s.head` settled `request` (hex): kept until no challenge of it can be
/// opened or answered any more (`dispute_window` + `challenge_window` after settlement).
pub(crate) fn record_settlement(
    store: &mut dyn Storage,
    request: &str,
    s: &HeadSettlement,
    params: &crate::Params,
) -> Result<(), OrchestrationError> {
    SETTLEMENTS.save(store, request, s)?;
    let keep = params
        .head_dispute_window
        .saturating_add(params.challenge_window);
    schedule_prune(
        store,
        request,
        s.height.saturating_add(keep).saturating_add(1),
    )
}

/// Deletes what is due for pruning at `height` (at most [`MAX_PRUNE_PER_BLOCK`] requests).
/// A challenge still open is never deleted: its request is rescheduled after its deadline.
pub(crate) fn prune(store: &mut dyn Storage, height: u64) -> Result<(), OrchestrationError> {
    let end = Bound::exclusive((height.saturating_add(1), ""));
    let due: Vec<(u64, String)> = PRUNE
        .keys(store, None, Some(end), Order::Ascending)
        .take(MAX_PRUNE_PER_BLOCK)
        .collect::<Result<_, _>>()?;
    for (at, request) in due {
        PRUNE.remove(store, (at, &request));
        PRUNE_AT.remove(store, &request);
        if let Some(c) = CHALLENGES.may_load(store, &request)? {
            if c.status == ChallengeStatus::Open {
                schedule_prune(store, &request, c.deadline.saturating_add(1))?;
                continue;
            }
        }
        SETTLEMENTS.remove(store, &request);
        CHALLENGES.remove(store, &request);
        OUTCOMES.remove(store, &request);
        let heads: Vec<String> = PUNISHED
            .prefix(&request)
            .keys(store, None, None, Order::Ascending)
            .collect::<Result<_, _>>()?;
        for h in heads {
            PUNISHED.remove(store, (&request, &h));
        }
    }
    Ok(())
}
