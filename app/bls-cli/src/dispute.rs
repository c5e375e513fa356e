//! `bls fastpath report-head | challenge | challenge-status`: holding a head worker to account
//! for what it served (`bls_client::head`).

use std::path::Path;

use bls_client::cli::submit::broadcast_and_wait;
use bls_client::cli::ClientContext;
use bls_client::head::{self, HeadEvidence};
use bls_core::outcome::{ExitStatus, Outcome};
use bls_core::DENOM;
use bls_orchestration::fastpath::head::events::{HEAD_CHALLENGED, HEAD_REPORTED};
use serde::Serialize;

use crate::cli::SignArgs;
use crate::errors::explain;
use crate::signer::{require_confirmable, require_funds, signer, tx_flags};

/// A request id argument: 64 hex characters.
pub fn parse_request_id(s: &str) -> anyhow::Result<[u8; 32]> {
    hex::decode(s.trim())
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "REQUEST_ID {s:?} must be 64 hex characters (the request_id `bls function invoke --fast` printed)"
            )
        })
}

/// What `bls fastpath report-head` prints.
#[derive(Debug, Serialize)]
pub struct Reported {
    /// Request id (hex).
    pub request_id: String,
    /// The head.
    pub head: String,
    /// The proven lie.
    pub lie: String,
    /// Slashed from the head's bond.
    pub slashed: String,
    /// Refunded to the invoker from the head's bond.
    pub refunded: String,
    /// Tx hash.
    pub txhash: String,
    /// Inclusion height.
    pub height: u64,
}

/// `bls fastpath report-head FILE`.
pub async fn report_head(
    ctx: &ClientContext,
    from: Option<&str>,
    file: &Path,
    sign: &SignArgs,
) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| anyhow::anyhow!("reading {}: {e}", file.display()))?;
    let evidence: HeadEvidence = serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "{} is not a saved head answer (`bls function invoke --fast --save FILE` writes one): {e}",
            file.display()
        )
    })?;
    let key = signer(ctx, from)?;
    require_confirmable(sign)?;
    let addr = key.address().to_string();
    let msg = head::report_head(key.address(), &evidence)?;
    let out = async {
        require_funds(ctx, &key).await?;
        let flags = tx_flags(&key, sign, true)?;
        let r = broadcast_and_wait(ctx, &flags, &key, vec![msg]).await?;
        let attr = |k: &str| {
            r.event_attr(HEAD_REPORTED, k)
                .unwrap_or_default()
                .to_string()
        };
        anyhow::Ok(Reported {
            request_id: attr("request_id"),
            head: attr("head"),
            lie: attr("detail"),
            slashed: format!("{}{DENOM}", attr("slashed")),
            refunded: format!("{}{DENOM}", attr("refunded")),
            txhash: r.hash.clone(),
            height: r.height,
        })
    }
    .await
    .map_err(|e| explain(e, &ctx.node, Some(&addr)))?;
    ctx.emit(&out, |o| {
        format!(
            "head {} slashed {} and jailed: {}\nrefunded to the invoker: {}\nrequest_id: {}\ntxhash: {}\nheight: {}",
            o.head, o.slashed, o.lie, o.refunded, o.request_id, o.txhash, o.height
        )
    })
}

/// What `bls fastpath challenge` prints.
#[derive(Debug, Serialize)]
pub struct Challenged {
    /// Request id (hex).
    pub request_id: String,
    /// The challenged head.
    pub head: String,
    /// Deposit escrowed.
    pub deposit: String,
    /// Last height the head may answer at.
    pub deadline: u64,
    /// Tx hash.
    pub txhash: String,
    /// Inclusion height.
    pub height: u64,
}

/// `bls fastpath challenge REQUEST_ID`.
pub async fn challenge(
    ctx: &ClientContext,
    from: Option<&str>,
    request_id: &str,
    sign: &SignArgs,
) -> anyhow::Result<()> {
    let id = parse_request_id(request_id)?;
    let key = signer(ctx, from)?;
    require_confirmable(sign)?;
    let addr = key.address().to_string();
    let out = async {
        require_funds(ctx, &key).await?;
        let flags = tx_flags(&key, sign, true)?;
        let r = broadcast_and_wait(
            ctx,
            &flags,
            &key,
            vec![head::challenge_head(key.address(), &id)],
        )
        .await?;
        let attr = |k: &str| {
            r.event_attr(HEAD_CHALLENGED, k)
                .unwrap_or_default()
                .to_string()
        };
        anyhow::Ok(Challenged {
            request_id: hex::encode(id),
            head: attr("head"),
            deposit: format!("{}{DENOM}", attr("deposit")),
            deadline: attr("deadline").parse().unwrap_or(0),
            txhash: r.hash.clone(),
            height: r.height,
        })
    }
    .await
    .map_err(|e| explain(e, &ctx.node, Some(&addr)))?;
    ctx.emit(&out, |o| {
        format!(
            "challenged head {} for request {} (deposit {})\nit must publish the outcome by height {}: see `bls fastpath challenge-status {}{}`\ntxhash: {}\nheight: {}",
            o.head,
            o.request_id,
            o.deposit,
            o.deadline,
            o.request_id,
            ctx.node_flags(),
            o.txhash,
            o.height
        )
    })
}

/// What `bls fastpath challenge-status` prints.
#[derive(Debug, Serialize)]
pub struct ChallengeStatus {
    /// Request id (hex).
    pub request_id: String,
    /// The head that settled it (`null`: not settled, or past the dispute window).
    pub settled_by: Option<String>,
    /// Settlement height.
    pub settled_height: Option<u64>,
    /// Fee charged.
    pub fee: Option<String>,
    /// Whether the fee was refunded.
    pub refunded: bool,
    /// Settled result hash (hex).
    pub result_hash: Option<String>,
    /// `open`, `answered`, `unanswered`, or `null` when not challenged.
    pub challenge: Option<String>,
    /// Last height the head may answer at.
    pub deadline: Option<u64>,
    /// The outcome the head published (hex).
    pub outcome: Option<String>,
    /// Its stdout (lossy UTF-8).
    pub stdout: Option<String>,
    /// Its exit code (`null` for a trap or when not published).
    pub exit_code: Option<i32>,
}

/// `bls fastpath challenge-status REQUEST_ID`.
pub async fn challenge_status(ctx: &ClientContext, request_id: &str) -> anyhow::Result<()> {
    let id = hex::encode(parse_request_id(request_id)?);
    let q = head::head_challenge(&ctx.rpc()?, &id)
        .await
        .map_err(|e| explain(e.into(), &ctx.node, None))?;
    let published = q
        .outcome
        .as_deref()
        .and_then(|h| hex::decode(h).ok())
        .and_then(|b| Outcome::decode(&b).ok());
    let out = ChallengeStatus {
        request_id: id,
        settled_by: q.settlement.as_ref().map(|s| s.head.to_string()),
        settled_height: q.settlement.as_ref().map(|s| s.height),
        fee: q.settlement.as_ref().map(|s| format!("{}{DENOM}", s.fee)),
        refunded: q.settlement.as_ref().is_some_and(|s| s.refunded),
        result_hash: q.settlement.as_ref().map(|s| s.result_hash.clone()),
        challenge: q.challenge.as_ref().map(|c| c.status.as_str().to_string()),
        deadline: q.challenge.as_ref().map(|c| c.deadline),
        outcome: q.outcome.clone(),
        stdout: published
            .as_ref()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned()),
        exit_code: published.as_ref().and_then(|o| match o.status {
            ExitStatus::Exited(c) => Some(c),
            ExitStatus::Trapped(_) => None,
        }),
    };
    ctx.emit(&out, |o| {
        let mut s = format!("request_id: {}", o.request_id);
        match (&o.settled_by, o.settled_height, &o.fee) {
            (Some(h), Some(at), Some(fee)) => s.push_str(&format!(
                "\nsettled by head {h} at height {at}, fee {fee}{}",
                if o.refunded { " (refunded)" } else { "" }
            )),
            _ => s.push_str("\nnot settled by a head (or past the dispute window)"),
        }
        match (&o.challenge, o.deadline) {
            (Some(c), Some(d)) => s.push_str(&format!("\nchallenge: {c} (deadline {d})")),
            _ => s.push_str("\nchallenge: none"),
        }
        if let Some(out) = &o.stdout {
            s.push_str(&format!("\npublished outcome:\n{}", out.trim_end()));
        }
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_64_hex_characters() {
        let id = "0a".repeat(32);
        assert_eq!(parse_request_id(&id).unwrap(), [10u8; 32]);
        assert_eq!(
            parse_request_id(&format!(" {} ", id.to_uppercase())).unwrap(),
            [10u8; 32]
        );
        for bad in ["", "abc", &"0a".repeat(31), &"zz".repeat(32)] {
            assert!(parse_request_id(bad).is_err(), "{bad}");
        }
    }
}
