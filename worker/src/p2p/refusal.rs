//! Why this worker refuses a work order. Every refusal is sent back to the head as
//! [`super::protocol::WorkReply::Refused`] with its message, logged, and counted by
//! [`Refusal::kind`] in the `bls_worker_work_refusals` metric. A refused order is never
//! executed, signed or persisted.

use bls_registry::msgs::Capabilities;
use bls_registry::{Worker, WorkerStatus};
use bls_runtime::Manifest;

use crate::daemon::answers::AnswerError;
use crate::daemon::fit;

/// Why a work order was not answered.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// The invoker's signed request is malformed or its signature does not verify.
    #[error("request: {0}")]
    BadRequest(String),
    /// Input, args or env differ from what the invoker signed.
    #[error("payload hash does not match input, args and env")]
    PayloadMismatch,
    /// A chain read failed (the worker does not act on what it cannot check).
    #[error("chain: {0}")]
    Chain(String),
    /// The request cannot be served at the current chain tip.
    #[error("{0}")]
    Window(String),
    /// The function's code is not what the invoker signed, or the chain record is bad.
    #[error("{0}")]
    Code(String),
    /// This worker is not registered, or not active (jailed, or deregistered and unbonding).
    #[error("this worker {worker} is {status}; only active workers serve fast-path work")]
    NotActive {
        /// This worker.
        worker: String,
        /// Its status on chain (`jailed`, `unbonding`, `not registered`).
        status: String,
    },
    /// This worker is not in the function's current subnetwork.
    #[error("this worker {worker} is not a member of function {function}'s subnetwork; it signs only for functions it was placed on")]
    NotMember {
        /// This worker.
        worker: String,
        /// The function.
        function: u64,
    },
    /// The manifest asks for more than this worker's config gives.
    #[error("function {function}'s manifest does not fit this worker: {why}")]
    DoesNotFit {
        /// The function.
        function: u64,
        /// Which limit.
        why: String,
    },
    /// The invoker's signed `max_fee` is below the function's fast-path fee.
    #[error("max_fee {max_fee} is below function {function}'s fast-path fee {fee}")]
    MaxFeeBelowFee {
        /// The function.
        function: u64,
        /// What the invoker signed.
        max_fee: u128,
        /// The fee.
        fee: u128,
    },
    /// The invoker cannot pay for the request.
    #[error("invoker {invoker} has {spendable} ubls of spendable fast-path deposit; the fee is {fee} (MsgFastPathDeposit)")]
    Unfunded {
        /// The invoker.
        invoker: String,
        /// Deposit minus pending withdrawals.
        spendable: u128,
        /// The function's fast-path fee.
        fee: u128,
    },
    /// The answer store has no room (byte budget, per-head quota or count).
    #[error("{0}")]
    Store(#[from] AnswerError),
    /// The sender is not a registered, active head.
    #[error("peer {0} is not a registered active head")]
    NotAHead(String),
    /// Loading the code or running it failed (not an outcome: nothing to sign).
    #[error("{0}")]
    Execution(String),
    /// The function's (or the request's) sealed secrets cannot be opened by this worker: it
    /// does not run without them (a run with a missing or wrong value would sign a result the
    /// other members do not compute).
    #[error("secrets: {0}")]
    Secrets(String),
}

impl Refusal {
    /// A short label for metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            Refusal::BadRequest(_) => "bad_request",
            Refusal::PayloadMismatch => "payload_mismatch",
            Refusal::Chain(_) => "chain",
            Refusal::Window(_) => "window",
            Refusal::Code(_) => "code",
            Refusal::NotActive { .. } => "not_active",
            Refusal::NotMember { .. } => "not_member",
            Refusal::DoesNotFit { .. } => "does_not_fit",
            Refusal::MaxFeeBelowFee { .. } => "max_fee",
            Refusal::Unfunded { .. } => "unfunded",
            Refusal::Store(AnswerError::HeadQuota { .. }) => "head_quota",
            Refusal::Store(AnswerError::Full { .. } | AnswerError::TooMany(_)) => "store_full",
            Refusal::Store(_) => "store",
            Refusal::NotAHead(_) => "not_a_head",
            Refusal::Execution(_) => "execution",
            Refusal::Secrets(_) => "secrets",
        }
    }
}

/// Whether this worker may sign fast-path work for `function`: it is registered and Active
/// (not jailed, not unbonding: its bond answers for what it signs, and a worker leaving or
/// punished has no business exposing it), a member of the function's current subnetwork
/// (`members`, from the chain; a head cannot recruit it as a sybil for a function it was not
/// placed on), and the manifest fits this worker's config ([`fit::check`], the same check
/// the on-chain job path makes).
pub fn admit(
    me: &str,
    record: Option<&Worker>,
    function: u64,
    members: &[bls_core::Address],
    manifest: &Manifest,
    caps: &Capabilities,
) -> Result<(), Refusal> {
    match record {
        None => {
            return Err(Refusal::NotActive {
                worker: me.to_string(),
                status: "not registered".into(),
            })
        }
        Some(w) if w.status != WorkerStatus::Active => {
            return Err(Refusal::NotActive {
                worker: me.to_string(),
                status: w.status.as_str().into(),
            })
        }
        Some(_) => {}
    }
    if !members.iter().any(|m| m.as_str() == me) {
        return Err(Refusal::NotMember {
            worker: me.to_string(),
            function,
        });
    }
    fit::check(caps, manifest).map_err(|e| Refusal::DoesNotFit {
        function,
        why: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::daemon::fit::tests::test_worker;

    fn caps() -> Capabilities {
        Capabilities {
            memory_mb: 64,
            max_timeout_ms: 10_000,
            http_allowed: false,
        }
    }

    /// The attack: a head sends this worker a work order for a function it is not placed on
    /// (or while it is jailed or unbonding, or one whose manifest it would never have been
    /// placed for), to use its key as a sybil signature and expose its bond. It is refused.
    #[test]
    fn signs_only_as_an_active_member_for_a_manifest_that_fits() {
        let me_active = test_worker(WorkerStatus::Active);
        let me = me_active.operator.to_string();
        let other = bls_core::Address::from_bytes(&[9; 20]);
        let members = vec![other.clone(), me_active.operator.clone()];
        let m = Manifest::default();
        assert!(admit(&me, Some(&me_active), 1, &members, &m, &caps()).is_ok());

        let r = admit(
            &me,
            Some(&me_active),
            1,
            std::slice::from_ref(&other),
            &m,
            &caps(),
        );
        assert!(
            matches!(r, Err(Refusal::NotMember { function: 1, .. })),
            "{r:?}"
        );
        assert_eq!(r.unwrap_err().kind(), "not_member");
        let r = admit(&me, Some(&me_active), 1, &[], &m, &caps());
        assert!(matches!(r, Err(Refusal::NotMember { .. })), "{r:?}");

        for status in [WorkerStatus::Jailed, WorkerStatus::Unbonding] {
            let w = test_worker(status);
            let r = admit(&me, Some(&w), 1, &members, &m, &caps());
            assert!(matches!(r, Err(Refusal::NotActive { .. })), "{r:?}");
            assert_eq!(r.unwrap_err().kind(), "not_active");
        }
        let r = admit(&me, None, 1, &members, &m, &caps());
        assert!(
            matches!(r, Err(Refusal::NotActive { ref status, .. }) if status == "not registered")
        );

        let mut big = Manifest::default();
        big.limits.memory_bytes = (64 << 20) + 1;
        let r = admit(&me, Some(&me_active), 1, &members, &big, &caps());
        assert!(matches!(r, Err(Refusal::DoesNotFit { .. })), "{r:?}");
        assert_eq!(r.unwrap_err().kind(), "does_not_fit");
    }
}
