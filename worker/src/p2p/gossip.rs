//! Subnetwork gossip: a worker subscribes to the topic of every deployment whose
//! subnetwork it belongs to (read from the chain, refreshed periodically); a head publishes
//! a prefetch notice on a function's topic when it serves it, and members fetch and compile
//! the code before their first work order. A notice is only a hint: its code hash must be
//! the chain's, and the code itself is verified by hash like any other blob.

use std::collections::BTreeSet;

use bls_client::orchestration::{function, functions};
use bls_orchestration::queries::FunctionsRequest;
use bls_orchestration::state::FunctionStatus;
use libp2p::gossipsub::MessageId;
use libp2p::PeerId;

use super::executor::Executor;
use super::protocol::subnet_topic;

/// Most functions scanned per subscription refresh (bounds the chain reads).
const MAX_FUNCTIONS_SCANNED: usize = 1_000;

/// Judges a prefetch notice against the chain, reports the verdict to gossipsub and, when
/// this worker is a member of the function's subnetwork and lacks the code, loads it.
pub async fn prefetch(
    exec: &Executor,
    author: PeerId,
    relayer: PeerId,
    id: MessageId,
    function_id: u64,
    code_hash: [u8; 32],
) {
    let mut sources = crate::daemon::code::CodeSources::on_chain();
    let verdict = match function(exec.chain.rpc(), function_id).await {
        Ok(f) => {
            sources = crate::daemon::code::CodeSources::of_function(&f.function);
            let on_chain = bls_orchestration::state::parse_hash(&f.function.code_hash);
            if on_chain != Some(code_hash) {
                Err(format!(
                    "code hash {} is not function {function_id}'s",
                    hex::encode(code_hash)
                ))
            } else if f.function.status != FunctionStatus::Active {
                Err(format!("function {function_id} is retired"))
            } else {
                Ok(f.subnetwork
                    .is_some_and(|s| s.workers.contains(exec.key.address())))
            }
        }
        Err(e) => Err(format!("function {function_id}: {e}")),
    };
    let member = match verdict {
        Ok(member) => {
            exec.p2p.validate(id, relayer, true).await;
            member
        }
        Err(why) => {
            tracing::warn!(%author, %relayer, why, "prefetch notice rejected");
            exec.p2p.validate(id, relayer, false).await;
            return;
        }
    };
    if !member || exec.runner.has_module(&code_hash) {
        return;
    }
    match exec.code.ensure(code_hash, Some(&author), &sources).await {
        Ok(()) => {
            tracing::info!(function_id, code = %hex::encode(code_hash), "code prefetched");
            exec.metrics.prefetches.inc();
        }
        Err(e) => tracing::warn!(function_id, error = %e, "prefetch failed"),
    }
}

/// Active functions whose subnetwork includes this worker (first
/// [`MAX_FUNCTIONS_SCANNED`] functions).
pub async fn member_functions(exec: &Executor) -> Result<BTreeSet<u64>, bls_client::RpcError> {
    let mut out = BTreeSet::new();
    let mut start_after = None;
    let mut scanned = 0usize;
    loop {
        let req = FunctionsRequest {
            owner: None,
            start_after,
            limit: Some(100),
        };
        let page = functions(exec.chain.rpc(), &req).await?;
        for f in &page.functions {
            scanned = scanned.saturating_add(1);
            if f.status != FunctionStatus::Active {
                continue;
            }
            let full = function(exec.chain.rpc(), f.id).await?;
            if full
                .subnetwork
                .is_some_and(|s| s.workers.contains(exec.key.address()))
            {
                out.insert(f.id);
            }
        }
        match page.next {
            Some(n) if Some(n) != start_after && scanned < MAX_FUNCTIONS_SCANNED => {
                start_after = Some(n)
            }
            _ => return Ok(out),
        }
    }
}

/// Brings the subscriptions from `current` to this worker's subnetworks on chain; returns
/// the new set (unchanged when the chain cannot be read).
pub async fn refresh_subscriptions(exec: &Executor, current: BTreeSet<u64>) -> BTreeSet<u64> {
    let wanted = match member_functions(exec).await {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!(error = %e, "reading subnetwork memberships");
            return current;
        }
    };
    for f in wanted.difference(&current) {
        tracing::info!(function_id = f, "joining the subnetwork topic");
        exec.p2p.subscribe(&subnet_topic(*f)).await;
    }
    for f in current.difference(&wanted) {
        exec.p2p.unsubscribe(&subnet_topic(*f)).await;
    }
    wanted
}
