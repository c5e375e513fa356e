//! Fast-path message handlers: deposits, receipt settlement, evidence, pinned heads.

use std::collections::{BTreeMap, BTreeSet};

use bls_core::{Address, Context, Event};
use bls_registry::events as reg_events;
use bls_registry::state::{Role, WorkerStatus};

use super::error::{invalid, FastPathError};
use super::msgs::*;
use super::state::*;
use crate::handlers::{parse_ubls, transfer, ubls};
use crate::state::{community_pool, must_get_function, params, SUBNETS};

/// Bond slashing and jailing use the on-chain path's dissent parameters.
fn parse_addr(field: &'static str, s: &str) -> Result<Address, FastPathError> {
    Address::parse(s).map_err(|e| invalid(field, e.to_string()))
}

fn hash32(field: &'static str, b: &[u8]) -> Result<[u8; 32], FastPathError> {
    <[u8; 32]>::try_from(b)
        .map_err(|_| invalid(field, format!("must be 32 bytes, got {}", b.len())))
}

/// Deposit event type: `invoker`, `amount`, `deposit`.
pub const FASTPATH_DEPOSIT: &str = "bls.fastpath_deposit";
/// Withdrawal requested: `invoker`, `amount`, `release_height`.
pub const FASTPATH_WITHDRAW_REQUESTED: &str = "bls.fastpath_withdraw_requested";
/// Withdrawal completed: `invoker`, `amount`, `deposit`.
pub const FASTPATH_WITHDRAW: &str = "bls.fastpath_withdraw";
/// Per settled receipt: `request_id`, `function_id`, `invoker`, `head`, `fee`, `workers`.
pub const FASTPATH_SETTLED: &str = "bls.fastpath_settled";
/// Evidence accepted: `request_id`, `slashed` (comma-separated), `majority_hash`.
pub const FASTPATH_EVIDENCE: &str = "bls.fastpath_evidence";
/// `function_id`, `heads`.
pub const PINNED_HEADS_SET: &str = "bls.pinned_heads_set";

/// [`MsgFastPathDeposit`].
pub fn deposit(
    ctx: &mut Context<'_>,
    m: &MsgFastPathDeposit,
) -> Result<MsgFastPathDepositResponse, FastPathError> {
    let invoker = parse_addr("invoker", &m.invoker)?;
    let amount = parse_ubls("amount", m.amount.as_ref())?;
    if amount == 0 {
        return Err(invalid("amount", "must be positive"));
    }
    transfer(ctx.store, &invoker, &fastpath_account(), amount)?;
    let total = deposit_of(ctx.store, &invoker)?
        .checked_add(amount)
        .ok_or_else(|| invalid("amount", "deposit overflow"))?;
    set_deposit(ctx.store, &invoker, total)?;
    update_stats(ctx.store, |s| {
        s.deposits = s.deposits.saturating_add(amount)
    })?;
    ctx.emit(
        Event::new(FASTPATH_DEPOSIT)
            .attr("invoker", &invoker)
            .attr("amount", amount)
            .attr("deposit", total),
    );
    Ok(MsgFastPathDepositResponse {
        deposit: total.to_string(),
    })
}

/// [`MsgFastPathWithdraw`]: request (delayed by [`WITHDRAW_DELAY_BLOCKS`]) or complete.
pub fn withdraw(
    ctx: &mut Context<'_>,
    m: &MsgFastPathWithdraw,
) -> Result<MsgFastPathWithdrawResponse, FastPathError> {
    let invoker = parse_addr("invoker", &m.invoker)?;
    let have = deposit_of(ctx.store, &invoker)?;
    if let Some(w) = WITHDRAWALS.may_load(ctx.store, invoker.as_str())? {
        if ctx.block.height < w.release_height {
            return Err(invalid(
                "invoker",
                format!(
                    "a withdrawal of {} is pending until height {}",
                    w.amount, w.release_height
                ),
            ));
        }
        let requested: u128 = w
            .amount
            .parse()
            .map_err(|e| crate::OrchestrationError::Store(format!("stored withdrawal: {e}")))?;
        let amount = requested.min(have);
        let rest = have - amount;
        transfer(ctx.store, &fastpath_account(), &invoker, amount)?;
        set_deposit(ctx.store, &invoker, rest)?;
        update_stats(ctx.store, |s| {
            s.deposits = s.deposits.saturating_sub(amount)
        })?;
        WITHDRAWALS.remove(ctx.store, invoker.as_str());
        ctx.emit(
            Event::new(FASTPATH_WITHDRAW)
                .attr("invoker", &invoker)
                .attr("amount", amount)
                .attr("deposit", rest),
        );
        return Ok(MsgFastPathWithdrawResponse {
            deposit: rest.to_string(),
            withdrawn: amount.to_string(),
            release_height: 0,
        });
    }
    let amount = parse_ubls("amount", m.amount.as_ref())?;
    if amount == 0 {
        return Err(invalid("amount", "must be positive"));
    }
    if amount > have {
        return Err(FastPathError::InsufficientDeposit {
            invoker: invoker.to_string(),
            have,
            need: amount,
        });
    }
    let release_height = ctx.block.height.saturating_add(WITHDRAW_DELAY_BLOCKS);
    WITHDRAWALS.save(
        ctx.store,
        invoker.as_str(),
        &Withdrawal {
            amount: amount.to_string(),
            release_height,
        },
    )?;
    ctx.emit(
        Event::new(FASTPATH_WITHDRAW_REQUESTED)
            .attr("invoker", &invoker)
            .attr("amount", amount)
            .attr("release_height", release_height),
    );
    Ok(MsgFastPathWithdrawResponse {
        deposit: have.to_string(),
        withdrawn: "0".into(),
        release_height,
    })
}

/// [`MsgSetPinnedHeads`].
pub fn set_pinned_heads(
    ctx: &mut Context<'_>,
    m: &MsgSetPinnedHeads,
) -> Result<MsgSetPinnedHeadsResponse, FastPathError> {
    let owner = parse_addr("owner", &m.owner)?;
    let f = must_get_function(ctx.store, m.function_id)?;
    if f.owner != owner {
        return Err(crate::OrchestrationError::NotOwner {
            function: f.id,
            owner: f.owner.to_string(),
            signer: owner.to_string(),
        }
        .into());
    }
    if m.heads.len() > MAX_PINNED_HEADS {
        return Err(invalid("heads", format!("at most {MAX_PINNED_HEADS}")));
    }
    let mut heads: Vec<Address> = Vec::new();
    for h in &m.heads {
        let a = parse_addr("heads", h)?;
        let w = bls_registry::state::get_worker(ctx.store, &a)?
            .ok_or_else(|| invalid("heads", format!("{a} is not a registered worker")))?;
        if w.role != Role::Head {
            return Err(invalid("heads", format!("{a} is not a head worker")));
        }
        if !heads.contains(&a) {
            heads.push(a);
        }
    }
    if heads.is_empty() {
        PINNED_HEADS.remove(ctx.store, f.id);
    } else {
        PINNED_HEADS.save(ctx.store, f.id, &heads)?;
    }
    ctx.emit(
        Event::new(PINNED_HEADS_SET)
            .attr("function_id", f.id)
            .attr("heads", crate::handlers::join(&heads)),
    );
    Ok(MsgSetPinnedHeadsResponse {})
}

/// Verifies a 64-byte low-S secp256k1 signature over sha256(`msg`) by `pubkey_hex`'s key.
fn verify_worker_sig(pubkey_hex: &str, msg: &[u8], sig: &[u8]) -> Result<(), String> {
    let pk = hex::decode(pubkey_hex).map_err(|e| format!("registered key: {e}"))?;
    bls_auth::signature::verify_secp256k1(&pk, msg, sig).map_err(|e| e.to_string())
}

/// Checks the invoker's signature and returns (invoker, request id, max fee).
pub(crate) fn verify_request(
    ctx: &Context<'_>,
    index: usize,
    r: &SignedRequest,
) -> Result<(Address, [u8; 32], u128), FastPathError> {
    let invoker = parse_addr("invoker", &r.invoker)?;
    let bad = |reason: String| FastPathError::BadRequestSignature { index, reason };
    if Address::from_secp256k1_pubkey(&r.invoker_pubkey) != invoker || r.invoker_pubkey.len() != 33
    {
        return Err(bad(
            "invoker_pubkey does not derive the invoker address".into()
        ));
    }
    let max_fee = parse_ubls("max_fee", r.max_fee.as_ref())?;
    let payload = hash32("payload_hash", &r.payload_hash)?;
    let id = request_id(
        &ctx.block.chain_id,
        invoker.as_str(),
        r.function_id,
        r.nonce,
        max_fee,
        &payload,
    );
    bls_auth::signature::verify_secp256k1(&r.invoker_pubkey, &id, &r.signature)
        .map_err(|e| bad(e.to_string()))?;
    Ok((invoker, id, max_fee))
}

/// [`MsgSettleReceipts`]: for every receipt, verifies the invoker's request signature and
/// the quorum of registered subnetwork workers' result signatures, rejects replays,
/// charges the flat fast-path fee (`fastpath_fee`) from the invoker's deposit and splits it by
/// the fees module's invocation split: the worker part goes [`HEAD_SHARE_BPS`] to the
/// head and the rest equally to the signing workers, the burn share is burnt, the
/// community share and every rounding remainder go to the community pool. All or nothing.
pub fn settle_receipts(
    ctx: &mut Context<'_>,
    m: &MsgSettleReceipts,
) -> Result<MsgSettleReceiptsResponse, FastPathError> {
    let head = parse_addr("head", &m.head)?;
    let hw = bls_registry::state::get_worker(ctx.store, &head)?
        .ok_or_else(|| FastPathError::NotHead(head.to_string()))?;
    if hw.role != Role::Head || hw.status != WorkerStatus::Active {
        return Err(FastPathError::NotHead(head.to_string()));
    }
    if m.receipts.is_empty() || m.receipts.len() > MAX_RECEIPTS_PER_MSG {
        return Err(invalid(
            "receipts",
            format!("1..={MAX_RECEIPTS_PER_MSG} required"),
        ));
    }
    let p = params(ctx.store)?;
    let fee = p.fastpath_fee;
    let shares = bls_fees::state::invocation_split(ctx.store)
        .map_err(|e| crate::OrchestrationError::Store(e.to_string()))?;
    let mut charged: u128 = 0;
    // Totals of this message, added to the stored stats once at the end.
    let mut paid = FastPathStats::default();
    for (index, receipt) in m.receipts.iter().enumerate() {
        let req = receipt
            .request
            .as_ref()
            .ok_or_else(|| invalid("request", "required"))?;
        let (invoker, id, max_fee) = verify_request(ctx, index, req)?;
        let id_hex = hex::encode(id);
        if SETTLED.has(ctx.store, &id_hex) {
            return Err(FastPathError::Replayed(id_hex));
        }
        let f = must_get_function(ctx.store, req.function_id)?;
        let pinned = pinned_heads(ctx.store, f.id)?;
        if !pinned.is_empty() && !pinned.contains(&head) {
            return Err(FastPathError::HeadNotPinned {
                function: f.id,
                head: head.to_string(),
            });
        }
        let code_hash = hash32("code_hash", &receipt.code_hash)?;
        if hex::encode(code_hash) != f.code_hash {
            return Err(FastPathError::WrongCode {
                index,
                function: f.id,
                want: f.code_hash.clone(),
                got: hex::encode(code_hash),
            });
        }
        let result_hash = hash32("result_hash", &receipt.result_hash)?;
        let digest = result_digest(&id, &code_hash, &result_hash);
        let members = SUBNETS
            .may_load(ctx.store, f.id)?
            .unwrap_or_default()
            .workers;
        let mut signers: BTreeSet<Address> = BTreeSet::new();
        for s in &receipt.signatures {
            let worker = parse_addr("signatures.worker", &s.worker)?;
            let bad = |reason: &str| FastPathError::BadWorkerSignature {
                index,
                worker: worker.to_string(),
                reason: reason.to_string(),
            };
            if !members.contains(&worker) {
                return Err(bad("not in the function's subnetwork"));
            }
            let w = bls_registry::state::get_worker(ctx.store, &worker)?
                .ok_or_else(|| bad("not registered"))?;
            verify_worker_sig(&w.result_pubkey, &digest, &s.signature).map_err(|e| bad(&e))?;
            if !signers.insert(worker.clone()) {
                return Err(bad("signed twice"));
            }
        }
        let have = u32::try_from(signers.len()).unwrap_or(u32::MAX);
        if have < f.quorum.max(1) {
            return Err(FastPathError::NoQuorum {
                index,
                have,
                need: f.quorum.max(1),
            });
        }
        if fee > max_fee {
            return Err(FastPathError::FeeAboveMax {
                index,
                fee,
                max_fee,
            });
        }
        let dep = deposit_of(ctx.store, &invoker)?;
        let rest = dep
            .checked_sub(fee)
            .ok_or_else(|| FastPathError::InsufficientDeposit {
                invoker: invoker.to_string(),
                have: dep,
                need: fee,
            })?;
        set_deposit(ctx.store, &invoker, rest)?;
        SETTLED.save(ctx.store, &id_hex, &ctx.block.height)?;
        // What a challenge of this charge, or a report that the head answered another
        // result, is checked against.
        super::head::state::record_settlement(
            ctx.store,
            &id_hex,
            &super::head::state::HeadSettlement {
                head: head.clone(),
                invoker: invoker.clone(),
                function_id: f.id,
                result_hash: hex::encode(result_hash),
                fee,
                height: ctx.block.height,
                refunded: false,
            },
            &p,
        )?;

        let split = fastpath_split(&shares, fee, signers.len());
        let account = fastpath_account();
        for w in &signers {
            transfer(ctx.store, &account, w, split.per_worker)?;
        }
        transfer(ctx.store, &account, &head, split.head)?;
        if split.burn > 0 {
            bls_bank::state::burn(ctx.store, &account, &ubls(split.burn)?)?;
        }
        transfer(ctx.store, &account, &community_pool(), split.community)?;
        charged = charged.saturating_add(fee);
        let to_workers = split
            .per_worker
            .saturating_mul(u128::try_from(signers.len()).unwrap_or(u128::MAX));
        paid.to_workers = paid.to_workers.saturating_add(to_workers);
        paid.to_heads = paid.to_heads.saturating_add(split.head);
        paid.burned = paid.burned.saturating_add(split.burn);
        paid.to_community = paid.to_community.saturating_add(split.community);
        let workers: Vec<Address> = signers.into_iter().collect();
        ctx.emit(
            Event::new(FASTPATH_SETTLED)
                .attr("request_id", &id_hex)
                .attr("function_id", f.id)
                .attr("invoker", &invoker)
                .attr("head", &head)
                .attr("fee", fee)
                .attr("workers", crate::handlers::join(&workers)),
        );
    }
    update_stats(ctx.store, |s| {
        s.settlements = s.settlements.saturating_add(1);
        s.receipts_settled = s
            .receipts_settled
            .saturating_add(u128::try_from(m.receipts.len()).unwrap_or(u128::MAX));
        s.fees_charged = s.fees_charged.saturating_add(charged);
        s.burned = s.burned.saturating_add(paid.burned);
        s.to_heads = s.to_heads.saturating_add(paid.to_heads);
        s.to_workers = s.to_workers.saturating_add(paid.to_workers);
        s.to_community = s.to_community.saturating_add(paid.to_community);
        s.deposits = s.deposits.saturating_sub(charged);
    })?;
    Ok(MsgSettleReceiptsResponse {
        settled: u32::try_from(m.receipts.len()).unwrap_or(u32::MAX),
        charged: charged.to_string(),
    })
}

/// The fees module's invocation split (the input of [`fastpath_split`]).
pub use bls_fees::state::Split as InvocationSplit;

/// How one fast-path fee is divided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FastPathSplit {
    /// To each signing worker.
    pub per_worker: u128,
    /// To the settling head.
    pub head: u128,
    /// Burnt.
    pub burn: u128,
    /// To the community pool (its share and every rounding remainder).
    pub community: u128,
}

/// Splits `fee` among `workers` signing workers, the head, the burn and the community pool.
pub fn fastpath_split(split: &bls_fees::state::Split, fee: u128, workers: usize) -> FastPathSplit {
    let (worker_part, burn, _) = split.apply(fee);
    let head = bls_registry::state::mul_bps(worker_part, HEAD_SHARE_BPS);
    let k = u128::try_from(workers.max(1)).unwrap_or(1);
    let per_worker = worker_part.saturating_sub(head) / k;
    let community = fee
        .saturating_sub(per_worker.saturating_mul(k))
        .saturating_sub(head)
        .saturating_sub(burn);
    FastPathSplit {
        per_worker,
        head,
        burn,
        community,
    }
}

/// [`MsgSubmitEvidence`]. Every signature must verify with the signer's registered result
/// key over (request id, code hash, its result hash). The rule — the chain cannot re-run an
/// off-chain request, so signatures decide:
/// 1. a worker that signed two different result hashes for the same request equivocated
///    and is punished;
/// 2. if one result hash carries signatures of at least the function's quorum of distinct
///    workers, every worker that signed a different hash is punished;
/// 3. otherwise (a conflict without a quorum majority) the evidence is inconclusive and
///    rejected.
///
/// Punishment is the on-chain dissent penalty (`slash_fraction_bps`, jailed for
/// `dissent_jail_blocks`), at most once per (request, worker). The infraction height is
/// unknown (signatures carry none), so every unbonding entry still in flight is cut.
pub fn submit_evidence(
    ctx: &mut Context<'_>,
    m: &MsgSubmitEvidence,
) -> Result<MsgSubmitEvidenceResponse, FastPathError> {
    parse_addr("submitter", &m.submitter)?;
    let id = hash32("request_id", &m.request_id)?;
    let code_hash = hash32("code_hash", &m.code_hash)?;
    if m.results.len() < 2 || m.results.len() > MAX_EVIDENCE_RESULTS {
        return Err(invalid(
            "results",
            format!("2..={MAX_EVIDENCE_RESULTS} required"),
        ));
    }
    let f = must_get_function(ctx.store, m.function_id)?;
    // result hash → signers; worker → hashes it signed.
    let mut by_hash: BTreeMap<[u8; 32], BTreeSet<Address>> = BTreeMap::new();
    let mut by_worker: BTreeMap<Address, BTreeSet<[u8; 32]>> = BTreeMap::new();
    for (index, r) in m.results.iter().enumerate() {
        let worker = parse_addr("results.worker", &r.worker)?;
        let result_hash = hash32("results.result_hash", &r.result_hash)?;
        let bad = |reason: String| FastPathError::BadWorkerSignature {
            index,
            worker: worker.to_string(),
            reason,
        };
        let w = bls_registry::state::get_worker(ctx.store, &worker)?
            .ok_or_else(|| bad("not registered".into()))?;
        verify_worker_sig(
            &w.result_pubkey,
            &result_digest(&id, &code_hash, &result_hash),
            &r.signature,
        )
        .map_err(bad)?;
        by_hash
            .entry(result_hash)
            .or_default()
            .insert(worker.clone());
        by_worker.entry(worker).or_default().insert(result_hash);
    }
    if by_hash.len() < 2 {
        return Err(FastPathError::Inconclusive(
            "all results agree; nothing conflicts".into(),
        ));
    }
    let quorum = usize::try_from(f.quorum.max(1)).unwrap_or(usize::MAX);
    let majority = by_hash
        .iter()
        .find(|(_, s)| s.len() >= quorum)
        .map(|(h, _)| *h);
    let mut offenders: BTreeSet<Address> = by_worker
        .iter()
        .filter(|(_, hs)| hs.len() > 1)
        .map(|(w, _)| w.clone())
        .collect();
    if let Some(maj) = majority {
        for (h, signers) in &by_hash {
            if *h != maj {
                offenders.extend(signers.iter().cloned());
            }
        }
    }
    let id_hex = hex::encode(id);
    offenders.retain(|w| !EVIDENCE_HANDLED.has(ctx.store, (&id_hex, w.as_str())));
    if offenders.is_empty() {
        return Err(FastPathError::Inconclusive(if majority.is_none() {
            format!("no result hash has the quorum of {quorum} signatures")
        } else {
            "every offender was already punished for this request".into()
        }));
    }
    let p = params(ctx.store)?;
    let reason = format!("conflicting fast-path result for request {id_hex}");
    let until = ctx.block.height.saturating_add(p.dissent_jail_blocks);
    for w in &offenders {
        EVIDENCE_HANDLED.save(ctx.store, (&id_hex, w.as_str()), &())?;
        // Fast-path signatures carry no height, so the infraction height is unknown: 0 keeps
        // every unbonding entry still in flight at stake (exempting any would let a worker
        // sign a false result, unbond, and escape before the evidence lands).
        let slashed =
            bls_registry::state::slash_worker(ctx.store, w, p.slash_fraction_bps, 0, &reason)?;
        ctx.emit(
            Event::new(reg_events::WORKER_SLASHED)
                .attr("worker", w)
                .attr("amount", slashed)
                .attr("reason", &reason),
        );
        if bls_registry::state::jail_worker(ctx.store, w, until)? {
            ctx.emit(
                Event::new(reg_events::WORKER_JAILED)
                    .attr("worker", w)
                    .attr("until", until)
                    .attr("reason", &reason),
            );
        }
    }
    let slashed: Vec<Address> = offenders.into_iter().collect();
    ctx.emit(
        Event::new(FASTPATH_EVIDENCE)
            .attr("request_id", &id_hex)
            .attr("slashed", crate::handlers::join(&slashed))
            .attr(
                "majority_hash",
                majority.map(hex::encode).unwrap_or_default(),
            ),
    );
    Ok(MsgSubmitEvidenceResponse {
        slashed: slashed.iter().map(|a| a.to_string()).collect(),
    })
}
