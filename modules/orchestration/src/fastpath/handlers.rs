//! Fast-path message handlers: deposits, receipt settlement, pinned heads (evidence:
//! [`super::evidence`]).

use std::collections::{BTreeMap, BTreeSet};

use bls_core::manifest::Manifest;
use bls_core::{Address, Context, Event};
use bls_registry::state::{Role, WorkerStatus};

use super::error::{invalid, FastPathError};
use super::fee::fastpath_fee;
use super::msgs::*;
use super::request::{chain_window, RequestError, VerifiedRequest, Window};
use super::signers::verify_worker_signature;
use super::state::*;
use crate::handlers::parse_ubls;
use crate::state::{must_get_function, params, SUBNETS};
use bls_bank::keeper as bank;
use bls_fees::state::community_pool;

pub(crate) fn parse_addr(field: &'static str, s: &str) -> Result<Address, FastPathError> {
    Address::parse(s).map_err(|e| invalid(field, e.to_string()))
}

pub(crate) fn hash32(field: &'static str, b: &[u8]) -> Result<[u8; 32], FastPathError> {
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
/// Evidence accepted: `request_id`, `function_id`, `slashed` and `missed` (comma-separated),
/// `majority_hash` (empty when the evidence proved only equivocation).
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
    bank::send_ubls(ctx, &invoker, &fastpath_account(), amount)?;
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

/// [`MsgFastPathWithdraw`]: request (delayed by `fastpath_withdraw_delay`) or complete.
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
        bank::send_ubls(ctx, &fastpath_account(), &invoker, amount)?;
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
    let delay = params(ctx.store)?.fastpath_withdraw_delay;
    let release_height = ctx.block.height.saturating_add(delay);
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

/// Checks a signed request at settlement or evidence time: the invoker's signature over the
/// recomputed id ([`SignedRequest::verify`]) and the chain window (`expiry - ttl ≤ height ≤
/// expiry + settle_window`, [`chain_window`]). `index` names the receipt in errors (`None`
/// for evidence).
pub(crate) fn verified_request(
    ctx: &Context<'_>,
    p: &crate::params::Params,
    index: Option<usize>,
    r: &SignedRequest,
) -> Result<VerifiedRequest, FastPathError> {
    let v = r.verify(&ctx.block.chain_id).map_err(|e| match e {
        RequestError::Malformed { field, reason } => invalid(field, reason),
        RequestError::BadSignature(reason) => FastPathError::BadRequestSignature {
            index: index.unwrap_or(0),
            reason,
        },
    })?;
    let expiry = v.terms.expiry_height;
    let height = ctx.block.height;
    match chain_window(
        expiry,
        height,
        p.fastpath_request_ttl,
        p.fastpath_settle_window,
    ) {
        Window::Open => Ok(v),
        Window::Closed { until } => Err(FastPathError::RequestClosed {
            index,
            request: hex::encode(v.id),
            until,
            height,
        }),
        Window::TooEarly { from } => Err(FastPathError::RequestNotYetValid {
            index,
            request: hex::encode(v.id),
            expiry,
            from,
            height,
        }),
    }
}

/// [`MsgSettleReceipts`]: for every receipt, verifies the invoker's signed request (its id
/// and the chain window), that the receipt's code is the requested code and the function's
/// current code, and a quorum of subnetwork workers' result signatures (each against the
/// worker's keys valid for the request); rejects replays; charges the fast-path fee
/// ([`fastpath_fee`]: `fastpath_fee` plus the manifest's timeout priced at
/// `fastpath_price_per_second`) from the invoker's deposit and splits it by the fees module's
/// invocation split: the worker part goes [`HEAD_SHARE_BPS`] to the head and the rest
/// equally to the signing workers, the burn share is burnt, the community share and every
/// rounding remainder go to the community pool. All or nothing. The request id is queued to
/// be forgotten once its window has closed ([`super::prune`]). A head proven to have lied in
/// its answer to a request ([`super::head::report`]) may not settle it; what a head settles
/// is recorded for challenges and reports ([`super::head::state::record_settlement`]).
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
    let shares = bls_fees::state::invocation_split(ctx.store)
        .map_err(|e| crate::OrchestrationError::Store(e.to_string()))?;
    let mut charged: u128 = 0;
    // Totals of this message, added to the stored stats once at the end.
    let mut paid = FastPathStats::default();
    // What the deposit account pays out, summed per recipient over the message's receipts and
    // moved once each at the end (one bank transfer, with its coin events, per recipient —
    // not per receipt: a batch of hundreds would otherwise carry thousands of events).
    let mut payouts: BTreeMap<Address, u128> = BTreeMap::new();
    // Settled receipts and prices paid per function, added to its figures once at the end.
    let mut per_function: BTreeMap<u64, (u64, u128)> = BTreeMap::new();
    let mut pay = |to: &Address, amount: u128| {
        let e = payouts.entry(to.clone()).or_default();
        *e = e.saturating_add(amount);
    };
    for (index, receipt) in m.receipts.iter().enumerate() {
        let req = receipt
            .request
            .as_ref()
            .ok_or_else(|| invalid("request", "required"))?;
        let v = verified_request(ctx, &p, Some(index), req)?;
        let (invoker, id, max_fee) = (v.invoker.clone(), v.id, v.terms.max_fee);
        let id_hex = hex::encode(id);
        if SETTLED.has(ctx.store, &id_hex) {
            return Err(FastPathError::Replayed(id_hex));
        }
        // A head punished for lying in its answer to this request never charges for it (the
        // marker outlives the request's chain window, [`super::head::report`]).
        if super::head::state::punished(ctx.store, &id_hex, &head) {
            return Err(FastPathError::ChargeForProvenLie {
                index,
                request: id_hex,
                head: head.to_string(),
            });
        }
        let f = must_get_function(ctx.store, v.terms.function_id)?;
        let pinned = pinned_heads(ctx.store, f.id)?;
        if !pinned.is_empty() && !pinned.contains(&head) {
            return Err(FastPathError::HeadNotPinned {
                function: f.id,
                head: head.to_string(),
            });
        }
        let code_hash = hash32("code_hash", &receipt.code_hash)?;
        if code_hash != v.terms.code_hash {
            return Err(FastPathError::CodeNotRequested {
                index,
                requested: hex::encode(v.terms.code_hash),
                receipt: hex::encode(code_hash),
            });
        }
        if hex::encode(code_hash) != f.code_hash {
            return Err(FastPathError::WrongCode {
                index,
                function: f.id,
                want: f.code_hash.clone(),
                got: hex::encode(code_hash),
            });
        }
        let result_hash = hash32("result_hash", &receipt.result_hash)?;
        let members = SUBNETS
            .may_load(ctx.store, f.id)?
            .unwrap_or_default()
            .workers;
        let mut signers: BTreeSet<Address> = BTreeSet::new();
        for s in &receipt.signatures {
            let worker = parse_addr("signatures.worker", &s.worker)?;
            let bad = |reason: String| FastPathError::BadWorkerSignature {
                index,
                worker: worker.to_string(),
                reason,
            };
            if !members.contains(&worker) {
                return Err(bad("not in the function's subnetwork".into()));
            }
            verify_worker_signature(
                ctx.store,
                ctx.gas,
                &p,
                &v,
                &worker,
                &result_hash,
                &s.signature,
            )
            .map_err(|e| bad(e.to_string()))?;
            if !signers.insert(worker.clone()) {
                return Err(bad("signed twice".into()));
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
        let manifest = Manifest::from_json(f.manifest_json.as_bytes())
            .map_err(|e| crate::OrchestrationError::Store(format!("stored manifest: {e}")))?;
        let fee = fastpath_fee(&p, &manifest);
        if fee > max_fee {
            return Err(FastPathError::FeeAboveMax {
                index,
                fee,
                max_fee,
            });
        }
        let dep = deposit_of(ctx.store, &invoker)?;
        // A listed function's price ([`crate::market::royalty::fastpath_price`]), never more
        // than the signed max_fee or the deposit leaves beside the fee: the head's fee comes
        // first.
        let window_start = v.terms.expiry_height.saturating_sub(p.fastpath_request_ttl);
        let royalty = crate::market::royalty::fastpath_price(ctx.store, f.id, window_start)?
            .map(|(owner, price)| (owner, price.min(max_fee - fee).min(dep.saturating_sub(fee))))
            .filter(|(_, r)| *r > 0);
        let charge = fee.saturating_add(royalty.as_ref().map_or(0, |(_, r)| *r));
        let rest = dep
            .checked_sub(charge)
            .ok_or_else(|| FastPathError::InsufficientDeposit {
                invoker: invoker.to_string(),
                have: dep,
                need: charge,
            })?;
        set_deposit(ctx.store, &invoker, rest)?;
        SETTLED.save(ctx.store, &id_hex, &ctx.block.height)?;
        super::prune::schedule(
            ctx.store,
            &id_hex,
            v.terms.expiry_height,
            p.fastpath_settle_window,
        )?;
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
                // The head's fee: what a refund from a lying head's bond returns (the owner
                // keeps the price, which the head never received).
                fee,
                height: ctx.block.height,
                refunded: false,
            },
            &p,
        )?;

        let split = fastpath_split(&shares, fee, signers.len());
        for w in &signers {
            pay(w, split.per_worker);
        }
        pay(&head, split.head);
        pay(&community_pool(), split.community);
        if let Some((owner, r)) = &royalty {
            pay(owner, *r);
            paid.to_owners = paid.to_owners.saturating_add(*r);
        }
        let royalty_paid = royalty.as_ref().map_or(0, |(_, r)| *r);
        let e = per_function.entry(f.id).or_default();
        *e = (e.0.saturating_add(1), e.1.saturating_add(royalty_paid));
        if let Some((owner, r)) = &royalty {
            crate::market::royalty::paid_event(
                ctx,
                f.id,
                owner,
                *r,
                crate::market::royalty::PaidBy::Request(&id_hex),
            );
        }
        charged = charged.saturating_add(charge);
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
    let account = fastpath_account();
    for (to, amount) in &payouts {
        bank::send_ubls(ctx, &account, to, *amount)?;
    }
    bank::burn_ubls(ctx, &account, paid.burned)?;
    for (function_id, (receipts, revenue)) in per_function {
        crate::market::royalty::record_settled(ctx.store, function_id, receipts, revenue)?;
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
        s.to_owners = s.to_owners.saturating_add(paid.to_owners);
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
    let head = bls_core::amount::mul_bps(worker_part, HEAD_SHARE_BPS);
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
