//! Fault injection for tests (`bls-worker start --fault ...`): play a dishonest or failing
//! worker against a real chain. Never use on a real network: a faulty worker is slashed.

use clap::ValueEnum;

use crate::runtime::Outcome;

/// A deliberate misbehaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Fault {
    /// Commit and reveal a tampered outcome (a liar: should be slashed and jailed).
    WrongResult,
    /// Follow the chain but never commit or reveal (a silent worker: liveness misses).
    Silent,
    /// Exit the process right after the first commit is included (before revealing).
    CrashAfterCommit,
}

impl Fault {
    /// The outcome this worker will claim: tampered for [`Fault::WrongResult`].
    pub fn tamper(self, outcome: Outcome) -> Outcome {
        match self {
            Fault::WrongResult => {
                let mut o = outcome;
                o.stdout
                    .extend_from_slice(b"\n[tampered by a faulty worker]");
                o
            }
            Fault::Silent | Fault::CrashAfterCommit => outcome,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::ExitStatus;

    #[test]
    fn wrong_result_changes_the_result_hash() {
        let o = Outcome {
            status: ExitStatus::Exited(0),
            stdout: b"hi".to_vec(),
            stdout_truncated: false,
            stderr: vec![],
            stderr_truncated: false,
            fuel_used: 1,
            wall_time: std::time::Duration::ZERO,
            trap_message: None,
        };
        assert_ne!(
            Fault::WrongResult.tamper(o.clone()).result_hash(),
            o.result_hash()
        );
        assert_eq!(Fault::Silent.tamper(o.clone()), o);
    }
}
