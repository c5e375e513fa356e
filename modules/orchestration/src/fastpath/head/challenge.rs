//! Unserved charges: challenge and response.
//!
//! A head can settle a receipt for a request whose answer the invoker never received, and the
//! invoker cannot prove a negative. So the invoker of a request a head settled may, within
//! `head_dispute_window` blocks of the settlement, challenge it ([`MsgChallengeHead`],
//! escrowing `challenge_deposit` in `orchestration_challenges`). The head must publish the
//! outcome whose sha256 is the result hash it settled ([`MsgAnswerChallenge`]) within
//! `challenge_window` blocks (answers are accepted up to and including the deadline height):
//! - answered: the outcome is stored for the invoker to read (`HeadChallenge` query) and the
//!   deposit goes to the head (it paid gas to publish it);
//! - unanswered: end block of the deadline height slashes and jails the head, pays the
//!   invoker's fee back from the head's bond and returns the deposit.
//!
//! One challenge per request, ever (an answered request has its outcome on chain); only its
//! invoker; only for a request a head settled; not once the charge was refunded. End block
//! visits only challenges whose deadline is due (a queue keyed by deadline height).

use bls_core::outcome::MAX_OUTPUT_BYTES;
use bls_core::{Address, Context, Event};
use cosmwasm_std::{Binary, Order};
use cw_storage_plus::Bound;
use sha2::{Digest, Sha256};

use super::error::{invalid, HeadError};
use super::events::{HEAD_CHALLENGED, HEAD_CHALLENGE_ANSWERED, HEAD_CHALLENGE_UNANSWERED};
use super::msgs::*;
use super::penalty::punish_head;
use super::state::*;
use crate::state::params;
use bls_bank::keeper as bank;

/// Largest outcome an answer may carry: stdout and stderr at the largest output cap plus the
/// canonical header (the sha256 check is what binds it; this only bounds the work).
pub const MAX_ANSWER_BYTES: usize = 2 * (MAX_OUTPUT_BYTES as usize) + 64;

fn parse_addr(field: &'static str, s: &str) -> Result<Address, HeadError> {
    Address::parse(s).map_err(|e| invalid(field, e.to_string()))
}

fn request_hex(b: &[u8]) -> Result<String, HeadError> {
    if b.len() != 32 {
        return Err(invalid(
            "request_id",
            format!("must be 32 bytes, got {}", b.len()),
        ));
    }
    Ok(hex::encode(b))
}

/// [`MsgChallengeHead`].
pub fn challenge_head(
    ctx: &mut Context<'_>,
    m: &MsgChallengeHead,
) -> Result<MsgChallengeHeadResponse, HeadError> {
    let invoker = parse_addr("invoker", &m.invoker)?;
    let id = request_hex(&m.request_id)?;
    let s = SETTLEMENTS
        .may_load(ctx.store, &id)?
        .ok_or_else(|| HeadError::NotSettled(id.clone()))?;
    if s.invoker != invoker {
        return Err(HeadError::NotInvoker {
            request: id,
            invoker: s.invoker.to_string(),
            signer: invoker.to_string(),
        });
    }
    let p = params(ctx.store)?;
    let until = s.height.saturating_add(p.head_dispute_window);
    if ctx.block.height > until {
        return Err(HeadError::WindowClosed {
            request: id,
            until,
            current: ctx.block.height,
        });
    }
    if let Some(c) = CHALLENGES.may_load(ctx.store, &id)? {
        return Err(HeadError::AlreadyChallenged {
            request: id,
            status: c.status.as_str().into(),
        });
    }
    if s.refunded {
        return Err(HeadError::AlreadyRefunded(id));
    }
    let deposit = p.challenge_deposit;
    bank::send_ubls(ctx, &invoker, &challenge_account(), deposit)?;
    let deadline = ctx.block.height.saturating_add(p.challenge_window);
    CHALLENGES.save(
        ctx.store,
        &id,
        &Challenge {
            head: s.head.clone(),
            invoker: invoker.clone(),
            deposit,
            opened: ctx.block.height,
            deadline,
            status: ChallengeStatus::Open,
            resolved: 0,
        },
    )?;
    OPEN_BY_HEAD.save(ctx.store, (s.head.as_str(), &id), &())?;
    DEADLINES.save(ctx.store, (deadline, &id), &())?;
    schedule_prune(ctx.store, &id, deadline.saturating_add(1))?;
    ctx.emit(
        Event::new(HEAD_CHALLENGED)
            .attr("request_id", &id)
            .attr("head", &s.head)
            .attr("invoker", &invoker)
            .attr("result_hash", &s.result_hash)
            .attr("deposit", deposit)
            .attr("deadline", deadline),
    );
    Ok(MsgChallengeHeadResponse {
        head: s.head.to_string(),
        deadline,
    })
}

/// [`MsgAnswerChallenge`].
pub fn answer_challenge(
    ctx: &mut Context<'_>,
    m: &MsgAnswerChallenge,
) -> Result<MsgAnswerChallengeResponse, HeadError> {
    let head = parse_addr("head", &m.head)?;
    let id = request_hex(&m.request_id)?;
    if m.outcome.len() > MAX_ANSWER_BYTES {
        return Err(invalid(
            "outcome",
            format!("{} bytes, at most {MAX_ANSWER_BYTES}", m.outcome.len()),
        ));
    }
    let mut c = CHALLENGES
        .may_load(ctx.store, &id)?
        .filter(|c| c.status == ChallengeStatus::Open)
        .ok_or_else(|| HeadError::NoOpenChallenge(id.clone()))?;
    if c.head != head {
        return Err(HeadError::NotChallengedHead {
            request: id,
            head: c.head.to_string(),
            signer: head.to_string(),
        });
    }
    // An open challenge always has its settlement: both are pruned together, after the
    // deadline.
    let s = SETTLEMENTS
        .may_load(ctx.store, &id)?
        .ok_or_else(|| HeadError::NotSettled(id.clone()))?;
    let got = hex::encode(Sha256::digest(&m.outcome));
    if got != s.result_hash {
        return Err(HeadError::WrongOutcome {
            request: id,
            want: s.result_hash,
            got,
        });
    }
    bank::send_ubls(ctx, &challenge_account(), &head, c.deposit)?;
    OUTCOMES.save(ctx.store, &id, &Binary::from(m.outcome.clone()))?;
    OPEN_BY_HEAD.remove(ctx.store, (head.as_str(), &id));
    DEADLINES.remove(ctx.store, (c.deadline, &id));
    c.status = ChallengeStatus::Answered;
    c.resolved = ctx.block.height;
    CHALLENGES.save(ctx.store, &id, &c)?;
    ctx.emit(
        Event::new(HEAD_CHALLENGE_ANSWERED)
            .attr("request_id", &id)
            .attr("head", &head)
            .attr("deposit", c.deposit),
    );
    Ok(MsgAnswerChallengeResponse {
        deposit: c.deposit.to_string(),
    })
}

/// End block: resolves the challenges whose deadline is this height (unanswered: punish,
/// refund, return the deposit), then prunes records past every window.
pub fn end_block(ctx: &mut Context<'_>) -> Result<(), HeadError> {
    let end = Bound::exclusive((ctx.block.height.saturating_add(1), ""));
    let due: Vec<(u64, String)> = DEADLINES
        .keys(ctx.store, None, Some(end), Order::Ascending)
        .collect::<Result<_, _>>()?;
    if !due.is_empty() {
        let p = params(ctx.store)?;
        for (deadline, id) in due {
            DEADLINES.remove(ctx.store, (deadline, &id));
            expire(ctx, &p, &id)?;
        }
    }
    prune(ctx.store, ctx.block.height)?;
    Ok(())
}

fn expire(ctx: &mut Context<'_>, p: &crate::Params, id: &str) -> Result<(), HeadError> {
    let Some(mut c) = CHALLENGES.may_load(ctx.store, id)? else {
        return Ok(());
    };
    if c.status != ChallengeStatus::Open {
        return Ok(());
    }
    let mut settled = SETTLEMENTS.may_load(ctx.store, id)?;
    let restitution = settled
        .as_ref()
        .filter(|s| !s.refunded)
        .map(|s| (&c.invoker, s.fee));
    let reason = format!("head left the challenged charge for request {id} unanswered");
    let infraction = settled.as_ref().map_or(c.opened, |s| s.height);
    // A head whose record is gone cannot be punished (genesis keeps the windows inside the
    // unbonding period, so this does not happen); the deposit still goes back.
    let registered = bls_registry::state::get_worker(ctx.store, &c.head)?.is_some();
    let took = if registered {
        match punish_head(ctx, p, &c.head, id, infraction, &reason, restitution) {
            Ok(t) => t,
            // Punished for a lie about this request already (and the invoker refunded then).
            Err(HeadError::AlreadyPunished { .. }) => Default::default(),
            Err(e) => return Err(e),
        }
    } else {
        Default::default()
    };
    if let Some(s) = settled.as_mut().filter(|_| took.refunded > 0) {
        s.refunded = true;
        SETTLEMENTS.save(ctx.store, id, s)?;
    }
    bank::send_ubls(ctx, &challenge_account(), &c.invoker, c.deposit)?;
    OPEN_BY_HEAD.remove(ctx.store, (c.head.as_str(), id));
    c.status = ChallengeStatus::Unanswered;
    c.resolved = ctx.block.height;
    CHALLENGES.save(ctx.store, id, &c)?;
    ctx.emit(
        Event::new(HEAD_CHALLENGE_UNANSWERED)
            .attr("request_id", id)
            .attr("head", &c.head)
            .attr("invoker", &c.invoker)
            .attr("slashed", took.slashed)
            .attr("refunded", took.refunded)
            .attr("deposit", c.deposit),
    );
    Ok(())
}
