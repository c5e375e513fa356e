//! Fault injection for tests (`bls-worker start --fault ...`): play a dishonest or failing
//! worker against a real chain. Never use on a real network: a faulty worker is slashed.

use bls_runtime::Outcome;
use clap::ValueEnum;

/// A deliberate misbehaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Fault {
    /// Commit and reveal a tampered outcome (a liar: should be slashed and jailed).
    WrongResult,
    /// Follow the chain but never commit or reveal (a silent worker: liveness misses).
    Silent,
    /// Exit the process right after the first commit is included (before revealing).
    CrashAfterCommit,
    /// Head: serve a tampered outcome under an honest quorum claim, signing what it served
    /// (a provable lie: the invoker's report slashes it).
    HeadLie,
    /// Head: settle what it served but never answer a challenge of the charge (slashed at
    /// the challenge deadline).
    HeadSilent,
    /// Honest, but the first [`DROPPED_REVEALS`] reveal sends are lost (as in a congested
    /// mempool): the worker must keep re-sending until the chain has its reveal.
    DropReveals,
}

/// Reveal sends [`Fault::DropReveals`] loses (more than the old give-up limit of 5).
pub const DROPPED_REVEALS: u32 = 6;

impl Fault {
    /// The outcome this worker will claim: tampered for [`Fault::WrongResult`] (the head
    /// faults do not change what the worker itself signs).
    pub fn tamper(self, outcome: Outcome) -> Outcome {
        match self {
            Fault::WrongResult => {
                let mut o = outcome;
                o.stdout
                    .extend_from_slice(b"\n[tampered by a faulty worker]");
                o
            }
            Fault::Silent
            | Fault::CrashAfterCommit
            | Fault::HeadLie
            | Fault::HeadSilent
            | Fault::DropReveals => outcome,
        }
    }

    /// The outcome bytes a head serves for the quorum outcome `canonical`: tampered for
    /// [`Fault::HeadLie`] (the quorum claim and its signatures stay honest).
    pub fn served_outcome(self, canonical: &[u8]) -> Vec<u8> {
        match self {
            Fault::HeadLie => match Outcome::decode(canonical) {
                Ok(mut o) => {
                    o.stdout.extend_from_slice(b"\n[tampered by a lying head]");
                    o.canonical_bytes()
                }
                Err(_) => canonical.to_vec(),
            },
            _ => canonical.to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bls_runtime::ExitStatus;

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
            calls: Vec::new(),
        };
        assert_ne!(
            Fault::WrongResult.tamper(o.clone()).result_hash(),
            o.result_hash()
        );
        assert_eq!(Fault::Silent.tamper(o.clone()), o);
        assert_eq!(
            Fault::HeadLie.tamper(o.clone()),
            o,
            "a lying head's workers are honest"
        );
        let bytes = o.canonical_bytes();
        assert_eq!(Fault::HeadSilent.served_outcome(&bytes), bytes);
        let served = Fault::HeadLie.served_outcome(&bytes);
        assert_ne!(served, bytes);
        assert!(Outcome::decode(&served)
            .unwrap()
            .stdout
            .ends_with(b"lying head]"));
    }
}
