//! The rule that decides whether a head's signed statement ([`HeadStatement`]) proves a lie.
//! Pure: the chain ([`super::report`]) and invokers (`bls_client::head`) run the same code
//! over the facts they read, so what a client calls a provable lie is what the chain slashes.
//!
//! The facts come from the invoker's signed request (v2, [`crate::fastpath::request`]) and
//! from the chain. The request fixes the code (its `code_hash`) and the heights in which the
//! request was alive (its [`key_window`](crate::fastpath::request::key_window)): the worker
//! keys a presented signature is checked against are the keys each worker held in that
//! window, exactly as settlement checks them, so neither a worker rotating its key since nor
//! the function changing its code since changes the verdict. Membership and quorum are judged
//! against chain state only where that state is the one the head signed it read: the
//! function record at `function_version` and the subnetwork placed at `subnetwork_height`.
//! When either changed since, they cannot be judged (an honest head answered against the old
//! state) and only the state-free lies count. In order, the first that holds is the lie:
//! 1. a top-level hash is not 32 bytes (a head never signs a malformed statement);
//! 2. the code hash is not the code the invoker's request asks for;
//! 3. the served outcome's hash is not the claimed result hash;
//! 4. the head settled a different result hash for the request;
//! 5. a presented signature is for another result hash;
//! 6. a presented signature of a registered worker verifies under none of the result keys it
//!    held while the request was alive;
//! 7. (state unchanged) a presented signer is not a subnetwork member;
//! 8. (state unchanged) fewer distinct valid member signatures than the function's quorum.

use std::collections::{BTreeMap, BTreeSet};

use super::msgs::HeadStatement;
use crate::fastpath::msgs::verify_result_signature;

/// What the chain says about the request's function, as of now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FunctionFacts {
    /// Quorum `m` (at least 1 is required).
    pub quorum: u32,
    /// Function record version.
    pub version: u64,
    /// Subnetwork `placed_height` (0 when the function has none).
    pub subnetwork_height: u64,
    /// Subnetwork members.
    pub members: BTreeSet<String>,
}

/// Everything [`judge`] needs besides the statement.
#[derive(Clone, Debug)]
pub struct Facts<'a> {
    /// The code hash the invoker's signed request asks for.
    pub requested_code: [u8; 32],
    /// The request's function.
    pub function: &'a FunctionFacts,
    /// Result keys (33-byte compressed) of each presented worker that is registered: the
    /// keys it held while the request was alive
    /// ([`bls_registry::result_keys::keys_valid_between`] over the request's key window).
    /// Absent (not registered any more): the signature cannot be judged. Empty (registered,
    /// but no key of it was current while the request was alive): the signature counts for
    /// nothing, so presenting it is a lie.
    pub keys: &'a BTreeMap<String, Vec<Vec<u8>>>,
    /// The result hash this head settled on chain for the request, if it settled it.
    pub settled_result: Option<[u8; 32]>,
}

/// A lie a statement proves.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Lie {
    /// A top-level field of the signed statement is malformed.
    #[error("the head signed a malformed statement: {field} is not 32 bytes")]
    Malformed {
        /// The field.
        field: &'static str,
    },
    /// The outcome served does not hash to the result hash claimed.
    #[error("the head served an outcome hashing to {served}, not the quorum result {claimed}")]
    ServedOtherOutcome {
        /// sha256 of what was served (hex).
        served: String,
        /// The claimed result hash (hex).
        claimed: String,
    },
    /// The head settled another result hash for this request.
    #[error("the head settled result {settled} on chain but answered {claimed}")]
    SettledOtherResult {
        /// Settled (hex).
        settled: String,
        /// Claimed in the answer (hex).
        claimed: String,
    },
    /// A presented signature is for another result.
    #[error("the head presents {worker}'s signature on another result as agreeing")]
    SignatureForOtherResult {
        /// The worker.
        worker: String,
    },
    /// A presented signature does not verify.
    #[error("the head presents a signature of {worker} that does not verify: {reason}")]
    BadWorkerSignature {
        /// The worker.
        worker: String,
        /// Why.
        reason: String,
    },
    /// The claimed code is not the code the request asks for.
    #[error("the head claims code {claimed}, the signed request asks for {requested}")]
    WrongCode {
        /// Claimed (hex).
        claimed: String,
        /// Requested (hex).
        requested: String,
    },
    /// A presented signer is not a subnetwork member.
    #[error(
        "the head presents a signature of {worker}, not a member of the function's subnetwork"
    )]
    NotMember {
        /// The worker.
        worker: String,
    },
    /// Too few valid member signatures.
    #[error("the head presents {have} valid member signatures, the function's quorum is {need}")]
    ShortOfQuorum {
        /// Distinct valid member signatures.
        have: u32,
        /// The function's quorum.
        need: u32,
    },
}

impl Lie {
    /// A short stable name of the lie (event attribute, response field).
    pub fn kind(&self) -> &'static str {
        match self {
            Lie::Malformed { .. } => "malformed_statement",
            Lie::ServedOtherOutcome { .. } => "served_other_outcome",
            Lie::SettledOtherResult { .. } => "settled_other_result",
            Lie::SignatureForOtherResult { .. } => "signature_for_other_result",
            Lie::BadWorkerSignature { .. } => "bad_worker_signature",
            Lie::WrongCode { .. } => "wrong_code",
            Lie::NotMember { .. } => "not_member",
            Lie::ShortOfQuorum { .. } => "short_of_quorum",
        }
    }
}

/// The verdict on a statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The statement proves this lie.
    Lie(Lie),
    /// It proves nothing; why.
    NoLie(String),
}

fn hash32(b: &[u8]) -> Option<[u8; 32]> {
    <[u8; 32]>::try_from(b).ok()
}

/// Judges `s` (whose head signature and request the caller has already checked) against
/// `facts`. See the module docs for the rule.
pub fn judge(s: &HeadStatement, facts: &Facts<'_>) -> Verdict {
    let lie = Verdict::Lie;
    let (Some(id), Some(code), Some(result), Some(outcome)) = (
        hash32(&s.request_id),
        hash32(&s.code_hash),
        hash32(&s.result_hash),
        hash32(&s.outcome_hash),
    ) else {
        let field = [
            ("request_id", &s.request_id),
            ("code_hash", &s.code_hash),
            ("result_hash", &s.result_hash),
            ("outcome_hash", &s.outcome_hash),
        ]
        .into_iter()
        .find(|(_, v)| v.len() != 32)
        .map_or("request_id", |(f, _)| f);
        return lie(Lie::Malformed { field });
    };
    if code != facts.requested_code {
        return lie(Lie::WrongCode {
            claimed: hex::encode(code),
            requested: hex::encode(facts.requested_code),
        });
    }
    if outcome != result {
        return lie(Lie::ServedOtherOutcome {
            served: hex::encode(outcome),
            claimed: hex::encode(result),
        });
    }
    if let Some(settled) = facts.settled_result.filter(|r| *r != result) {
        return lie(Lie::SettledOtherResult {
            settled: hex::encode(settled),
            claimed: hex::encode(result),
        });
    }
    if let Some(sig) = s.signatures.iter().find(|g| g.result_hash != s.result_hash) {
        return lie(Lie::SignatureForOtherResult {
            worker: sig.worker.clone(),
        });
    }
    // Workers whose presented signature verifies under one of their keys, and those whose
    // keys are unknown (no longer registered, absent from `facts.keys`): their signatures
    // cannot be judged either way. A registered worker with no key valid for the request (it
    // deregistered before the request started: its last key was retired then) signed
    // nothing that counts — the same key ranges fast-path settlement and evidence use.
    let mut valid: BTreeSet<&str> = BTreeSet::new();
    let mut unknown: BTreeSet<&str> = BTreeSet::new();
    for g in &s.signatures {
        let Some(keys) = facts.keys.get(&g.worker) else {
            unknown.insert(&g.worker);
            continue;
        };
        if keys.is_empty() {
            return lie(Lie::BadWorkerSignature {
                worker: g.worker.clone(),
                reason: "no result key of the worker was current while the request was alive"
                    .into(),
            });
        }
        let mut why = String::new();
        let ok = keys.iter().any(|k| {
            verify_result_signature(k, &id, &code, &result, &g.signature)
                .map_err(|e| why = e)
                .is_ok()
        });
        if !ok {
            return lie(Lie::BadWorkerSignature {
                worker: g.worker.clone(),
                reason: why,
            });
        }
        valid.insert(&g.worker);
    }
    let f = facts.function;
    if f.version != s.function_version || f.subnetwork_height != s.subnetwork_height {
        return Verdict::NoLie(format!(
            "the function (version {} now, {} in the statement) or its subnetwork (placed at \
             {} now, {} in the statement) changed since the head answered: membership and \
             quorum cannot be judged against the state it read",
            f.version, s.function_version, f.subnetwork_height, s.subnetwork_height
        ));
    }
    if let Some(g) = s.signatures.iter().find(|g| !f.members.contains(&g.worker)) {
        return lie(Lie::NotMember {
            worker: g.worker.clone(),
        });
    }
    let have = u32::try_from(valid.len()).unwrap_or(u32::MAX);
    let need = f.quorum.max(1);
    if have < need {
        let maybe = u32::try_from(unknown.difference(&valid).count()).unwrap_or(u32::MAX);
        if have.saturating_add(maybe) >= need {
            return Verdict::NoLie(format!(
                "{have} valid member signatures and {maybe} of workers no longer registered: \
                 whether they meet the quorum of {need} cannot be judged"
            ));
        }
        return lie(Lie::ShortOfQuorum { have, need });
    }
    Verdict::NoLie(format!(
        "the statement is consistent: outcome and result agree, {have} valid member signatures \
         meet the quorum of {need}, the code is the requested code"
    ))
}
