//! [`MsgReportHead`]: a signed head statement that proves a lie slashes and jails the head and
//! refunds the invoker's charge (see [`super::judge`] for what is a lie).
//!
//! Everything about the report is checked before judging, and anything that fails refuses it
//! and changes nothing:
//! - the invoker's signature over the v2 request
//!   ([`crate::fastpath::msgs::SignedRequest::verify`]) and the statement's request id
//!   against it;
//! - the statement's height inside the request's window, `expiry - fastpath_request_ttl ≤
//!   height ≤ expiry` ([`key_window`]): a head serves a request only while
//!   `tip ≤ expiry ≤ tip + ttl` and signs its tip, and an invoker refuses a statement dated
//!   far from the chain's tip, so an honest statement is always inside it and a head cannot
//!   date a lie out of reach;
//! - the report while `height ≤ current ≤ height + head_dispute_window`;
//! - the head's signature, against every result key the head held while the request was
//!   alive ([`bls_registry::result_keys::keys_valid_between`] over the request's key window):
//!   a head that rotates its key after lying still answers for the old key, and a key it
//!   retired before the request was alive (perhaps because it leaked) cannot be used to frame
//!   it;
//! - the presented worker signatures are judged against each worker's keys in the same
//!   window, as settlement judges them, so a colluding worker that rotates its key cannot make
//!   an honestly presented signature look forged.
//!
//! A proven lie also bars the head from charging for the request: settlement refuses its
//! receipt while the request's chain window is open (the punishment marker is kept until
//! then).
//!
//! Genesis keeps `fastpath_request_ttl + head_dispute_window` within the registry's
//! `unbonding_blocks` ([`crate::Params::reaches`]), so the head's bond and every key the
//! report needs are still there when it lands.

use std::collections::{BTreeMap, BTreeSet};

use bls_core::{Address, Context, Event};
use bls_registry::result_keys::keys_valid_between;
use bls_registry::state::Role;

use super::error::{invalid, HeadError};
use super::events::HEAD_REPORTED;
use super::judge::{judge, Facts, FunctionFacts, Verdict};
use super::msgs::{verify_head_statement, MsgReportHead, MsgReportHeadResponse};
use super::penalty::punish_head;
use super::state::{schedule_prune, MAX_STATEMENT_SIGNATURES, SETTLEMENTS};
use crate::error::OrchestrationError;
use crate::fastpath::request::{key_window, prune_height, RequestError};
use crate::state::{must_get_function, params, SUBNETS};

fn parse_addr(field: &'static str, s: &str) -> Result<Address, HeadError> {
    Address::parse(s).map_err(|e| invalid(field, e.to_string()))
}

/// [`MsgReportHead`].
pub fn report_head(
    ctx: &mut Context<'_>,
    m: &MsgReportHead,
) -> Result<MsgReportHeadResponse, HeadError> {
    let reporter = parse_addr("reporter", &m.reporter)?;
    let req = m
        .request
        .as_ref()
        .ok_or_else(|| invalid("request", "required"))?;
    let stmt = m
        .statement
        .as_ref()
        .ok_or_else(|| invalid("statement", "required"))?;
    if stmt.signatures.len() > MAX_STATEMENT_SIGNATURES {
        return Err(invalid(
            "statement.signatures",
            format!("at most {MAX_STATEMENT_SIGNATURES}"),
        ));
    }
    if stmt.signature.len() != 64 {
        return Err(invalid(
            "statement.signature",
            format!("must be 64 bytes, got {}", stmt.signature.len()),
        ));
    }
    let head = parse_addr("statement.head", &stmt.head)?;
    let v = req.verify(&ctx.block.chain_id).map_err(|e| match e {
        RequestError::Malformed { field, reason } => invalid(field, reason),
        RequestError::BadSignature(reason) => HeadError::BadRequest(reason),
    })?;
    let (invoker, id) = (v.invoker.clone(), v.id);
    if stmt.request_id != id {
        return Err(HeadError::BadRequest(format!(
            "the statement answers request {}, the signed request is {}",
            hex::encode(&stmt.request_id),
            hex::encode(id)
        )));
    }
    let id_hex = hex::encode(id);
    let p = params(ctx.store)?;
    let now = ctx.block.height;
    let (lo, hi) = key_window(v.terms.expiry_height, p.fastpath_request_ttl);
    if stmt.height < lo || stmt.height > hi {
        return Err(HeadError::OutsideWindow {
            height: stmt.height,
            current: now,
            reason: format!(
                "a head serves this request only at heights {lo}..={hi} (expiry_height - \
                 fastpath_request_ttl ..= expiry_height)"
            ),
        });
    }
    if stmt.height > now {
        return Err(HeadError::OutsideWindow {
            height: stmt.height,
            current: now,
            reason: "the statement is dated after the current block; report it from that height on"
                .into(),
        });
    }
    let last = stmt.height.saturating_add(p.head_dispute_window);
    if now > last {
        return Err(HeadError::OutsideWindow {
            height: stmt.height,
            current: now,
            reason: format!("reports were accepted until height {last} (head_dispute_window)"),
        });
    }
    let hw = bls_registry::state::get_worker(ctx.store, &head)?
        .ok_or_else(|| HeadError::NotAHead(head.to_string()))?;
    if hw.role != Role::Head {
        return Err(HeadError::NotAHead(head.to_string()));
    }
    // Every verification is charged before it runs, once per key tried, so the tx's gas
    // limit bounds the CPU a report spends on signatures.
    let sig_gas = ctx.gas.config().sig_verify_secp256k1;
    let head_keys = keys_valid_between(ctx.store, &head, lo, hi)?;
    ctx.gas
        .charge(
            sig_gas.saturating_mul(u64::try_from(head_keys.len().max(1)).unwrap_or(u64::MAX)),
            "head statement signature",
        )
        .map_err(OrchestrationError::from)?;
    let mut why = "no result key of the head was current while the request was alive".to_string();
    if !head_keys
        .iter()
        .any(|k| verify_head_statement(k, stmt).map_err(|e| why = e).is_ok())
    {
        return Err(HeadError::BadHeadSignature {
            head: head.to_string(),
            reason: why,
        });
    }
    if super::state::punished(ctx.store, &id_hex, &head) {
        return Err(HeadError::AlreadyPunished {
            request: id_hex,
            head: head.to_string(),
        });
    }

    // The facts the statement is judged against.
    let f = must_get_function(ctx.store, v.terms.function_id)?;
    let subnet = SUBNETS.may_load(ctx.store, f.id)?;
    let function = FunctionFacts {
        quorum: f.quorum,
        version: f.version,
        subnetwork_height: subnet.as_ref().map_or(0, |s| s.placed_height),
        members: subnet
            .map(|s| s.workers.iter().map(|w| w.to_string()).collect())
            .unwrap_or_default(),
    };
    let mut keys: BTreeMap<String, Vec<Vec<u8>>> = BTreeMap::new();
    let presented: BTreeSet<&str> = stmt.signatures.iter().map(|s| s.worker.as_str()).collect();
    for w in presented {
        // A worker id that is not an address is nobody's: no keys, judged by membership.
        // Only registered workers have keys on record; a registered one with none valid for
        // the request signed nothing that counts (judged as a bad signature).
        if let Ok(a) = Address::parse(w) {
            if bls_registry::state::get_worker(ctx.store, &a)?.is_some() {
                keys.insert(w.to_string(), keys_valid_between(ctx.store, &a, lo, hi)?);
            }
        }
    }
    let tries: usize = stmt
        .signatures
        .iter()
        .map(|g| keys.get(&g.worker).map_or(0, Vec::len))
        .sum();
    ctx.gas
        .charge(
            sig_gas.saturating_mul(u64::try_from(tries).unwrap_or(u64::MAX)),
            "presented worker signatures",
        )
        .map_err(OrchestrationError::from)?;
    let settled = SETTLEMENTS
        .may_load(ctx.store, &id_hex)?
        .filter(|s| s.head == head);
    let settled_result = settled
        .as_ref()
        .and_then(|s| crate::state::parse_hash(&s.result_hash));
    let lie = match judge(
        stmt,
        &Facts {
            requested_code: v.terms.code_hash,
            function: &function,
            keys: &keys,
            settled_result,
        },
    ) {
        Verdict::Lie(l) => l,
        Verdict::NoLie(why) => return Err(HeadError::NoLie(why)),
    };

    let restitution = settled
        .as_ref()
        .filter(|s| !s.refunded)
        .map(|s| (&invoker, s.fee));
    let reason = format!("head lied in its answer to request {id_hex}: {lie}");
    let took = punish_head(ctx, &p, &head, &id_hex, stmt.height, &reason, restitution)?;
    if let Some(mut s) = settled {
        if restitution.is_some() {
            s.refunded = true;
            SETTLEMENTS.save(ctx.store, &id_hex, &s)?;
        }
    }
    // The punishment marker must outlive every report of any statement the head may have
    // signed for this request (each dated at most `hi`, reportable `head_dispute_window`
    // after its date: not just this one's), and every receipt of the request the chain still
    // accepts (the head may not charge for it).
    let settle_until = prune_height(v.terms.expiry_height, p.fastpath_settle_window);
    let reports_until = hi.saturating_add(p.head_dispute_window);
    schedule_prune(
        ctx.store,
        &id_hex,
        reports_until.max(settle_until).saturating_add(1),
    )?;
    ctx.emit(
        Event::new(HEAD_REPORTED)
            .attr("request_id", &id_hex)
            .attr("head", &head)
            .attr("reporter", &reporter)
            .attr("lie", lie.kind())
            .attr("detail", lie.to_string())
            .attr("slashed", took.slashed)
            .attr("refunded", took.refunded),
    );
    Ok(MsgReportHeadResponse {
        lie: lie.kind().to_string(),
        slashed: took.slashed.to_string(),
        refunded: took.refunded.to_string(),
    })
}
