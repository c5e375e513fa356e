//! When a disagreement is a worker's fault: the one rule both paths (commit–reveal on chain,
//! signed results on the fast path) use before any dissent is punished.
//!
//! A bond answers only for what its worker controls. Two honest workers running the same
//! code on the same input, clock and seed compute the same outcome — unless the result
//! depends on something outside the job:
//! - **outbound HTTP** (a manifest with `permissions.http`): the origin may answer each
//!   worker differently (by source address, by time, on purpose). The deployer, not the
//!   worker, decides what comes back, so a deployer could choose who ends up in the
//!   minority;
//! - **the worker's data directory** (`permissions.filesystem`): `/data` is provided by each
//!   worker operator, so two honest workers may read different files;
//! - **wall-clock limits** ([`TrapKind::Timeout`]): a function that runs near its timeout
//!   finishes on a fast machine and times out on a slow one;
//! - **native stack depth** ([`TrapKind::StackOverflow`]): the depth at which the host
//!   stack runs out depends on the compiled frames of the worker's machine.
//!
//! For such disagreements nobody is slashed or jailed: a dissenter is simply not paid, and
//! an environment-dependent outcome that loses to the majority counts as a liveness miss
//! (like silence), so a worker that keeps timing out still leaves the active set through
//! the liveness window. Every other disagreement (pure computation) is attributable and
//! the dissenter is slashed and jailed.

use bls_core::manifest::Manifest;
use bls_core::outcome::{ExitStatus, Outcome, TrapKind};

/// True when `outcome` depends on the worker's machine rather than on the job alone.
pub fn environment_dependent(outcome: &Outcome) -> bool {
    matches!(
        outcome.status,
        ExitStatus::Trapped(TrapKind::Timeout | TrapKind::StackOverflow)
    )
}

/// True when the function's results may legitimately differ between honest workers: it
/// may make outbound HTTP requests or read the worker-provided data directory.
pub fn nondeterministic_function(manifest: &Manifest) -> bool {
    !manifest.permissions.http.is_empty() || manifest.permissions.filesystem
}

/// What a worker whose result differs from the quorum's gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DissentPenalty {
    /// The difference is the worker's fault: slash and jail (the dissent penalty).
    Slash,
    /// The worker's own outcome depends on its machine (a timeout): no slash, but a
    /// liveness miss, as if it had not answered.
    Miss,
    /// The function or the majority's outcome depends on things outside the worker's
    /// control: no penalty beyond not being paid.
    Unpaid,
}

/// The rule: how a dissenting result is treated, given the function's manifest, the
/// outcome the quorum agreed on, and the dissenter's outcome.
pub fn dissent_penalty(
    manifest: &Manifest,
    majority: &Outcome,
    dissent: &Outcome,
) -> DissentPenalty {
    if nondeterministic_function(manifest) || environment_dependent(majority) {
        DissentPenalty::Unpaid
    } else if environment_dependent(dissent) {
        DissentPenalty::Miss
    } else {
        DissentPenalty::Slash
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn exited(code: i32, out: &[u8]) -> Outcome {
        Outcome {
            status: ExitStatus::Exited(code),
            stdout: out.to_vec(),
            stderr: Vec::new(),
            stdout_truncated: false,
            stderr_truncated: false,
            fuel_used: 10,
            wall_time: Duration::ZERO,
            trap_message: None,
            calls: Vec::new(),
        }
    }

    fn trapped(kind: TrapKind) -> Outcome {
        Outcome {
            status: ExitStatus::Trapped(kind),
            ..exited(0, b"")
        }
    }

    fn http_manifest() -> Manifest {
        Manifest {
            permissions: bls_core::manifest::Permissions {
                http: vec!["https://api.example.com".into()],
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn pure_disagreement_is_slashed() {
        let m = Manifest::default();
        assert_eq!(
            dissent_penalty(&m, &exited(0, b"4"), &exited(0, b"5")),
            DissentPenalty::Slash
        );
        assert_eq!(
            dissent_penalty(&m, &exited(0, b"4"), &trapped(TrapKind::OutOfFuel)),
            DissentPenalty::Slash
        );
    }

    #[test]
    fn http_functions_never_slash() {
        assert_eq!(
            dissent_penalty(&http_manifest(), &exited(0, b"a"), &exited(0, b"b")),
            DissentPenalty::Unpaid
        );
    }

    #[test]
    fn functions_reading_worker_data_never_slash() {
        let m = Manifest {
            permissions: bls_core::manifest::Permissions {
                filesystem: true,
                ..Default::default()
            },
            ..Default::default()
        };
        assert_eq!(
            dissent_penalty(&m, &exited(0, b"a"), &exited(0, b"b")),
            DissentPenalty::Unpaid
        );
    }

    #[test]
    fn a_timeout_is_a_miss_not_a_slash() {
        let m = Manifest::default();
        assert_eq!(
            dissent_penalty(&m, &exited(0, b"4"), &trapped(TrapKind::Timeout)),
            DissentPenalty::Miss
        );
        assert_eq!(
            dissent_penalty(&m, &exited(0, b"4"), &trapped(TrapKind::StackOverflow)),
            DissentPenalty::Miss
        );
    }

    #[test]
    fn a_timed_out_majority_slashes_nobody() {
        let m = Manifest::default();
        assert_eq!(
            dissent_penalty(&m, &trapped(TrapKind::Timeout), &exited(0, b"4")),
            DissentPenalty::Unpaid
        );
    }
}
