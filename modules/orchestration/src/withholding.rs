//! Withholding: a worker that committed to a result and did not reveal it — by settlement,
//! or by the reveal deadline of a round that reached no quorum.
//!
//! Once commits close every reveal is public, so a committed worker can see that the others
//! disagree with it before it reveals. If silence cost only a liveness miss, a worker in the
//! minority would stay silent and escape the dissent penalty (and in a round without quorum
//! its silence can deny the quorum and force a reassignment). So silence after a commit costs
//! at least what a dissent costs:
//! - a function whose dissent is slashed (no capability that makes honest results differ:
//!   [`crate::dissent::nondeterministic_function`] is false): the dissent penalty — slash
//!   (`slash_fraction_bps`, infraction height = the round's start) and jail
//!   (`dissent_jail_blocks`) — **plus** a liveness miss;
//! - any other function: a liveness miss (a dissent there is only unpaid, so a miss is
//!   already more);
//! - a function whose worst-case honest outcome does not fit a reveal tx
//!   ([`crate::reveal_size::revealable`]; deploy refuses such manifests, but one imported in
//!   genesis, or kept after governance lowered auth `max_tx_bytes`, may exist): a liveness
//!   miss only — its honest workers may be unable to reveal at all.
//!
//! Not committing at all is a plain liveness miss: no reveal is visible while commits are
//! open, so a worker that never commits has learnt nothing to act on.
//!
//! What an honest operator does: keep the worker's data directory and bring a crashed worker
//! back within the reveal window. The daemon saves each commit record (outcome and salt)
//! before it sends the commit and, after a restart, reveals every saved commit whose job
//! still accepts reveals (`reveal_window` blocks after commits close, by default 20).

use crate::dissent;
use crate::manifest::Manifest;
use crate::reveal_size;

/// What a worker that withheld its reveal gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WithholdingPenalty {
    /// The dissent penalty (slash + jail) and a liveness miss.
    SlashAndMiss,
    /// A liveness miss.
    Miss,
}

/// The rule, given the manifest the job pinned (`None`: a manifest that no longer parses,
/// whose capabilities are unknown — judged as non-deterministic, so nobody is slashed on a
/// guess) and the largest tx a reveal may be
/// ([`crate::reveal_size::max_reveal_tx_bytes`]).
pub fn withholding_penalty(manifest: Option<&Manifest>, max_reveal_tx: u64) -> WithholdingPenalty {
    match manifest {
        Some(m)
            if !dissent::nondeterministic_function(m)
                && reveal_size::revealable(m, max_reveal_tx) =>
        {
            WithholdingPenalty::SlashAndMiss
        }
        _ => WithholdingPenalty::Miss,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: u64 = reveal_size::NODE_MAX_TX_BYTES;

    #[test]
    fn pure_functions_slash_withholding_http_functions_miss() {
        assert_eq!(
            withholding_penalty(Some(&Manifest::default()), MAX),
            WithholdingPenalty::SlashAndMiss
        );
        let mut http = Manifest::default();
        http.permissions.http = vec!["https://api.example.com".into()];
        assert_eq!(
            withholding_penalty(Some(&http), MAX),
            WithholdingPenalty::Miss
        );
        assert_eq!(withholding_penalty(None, MAX), WithholdingPenalty::Miss);
    }

    #[test]
    fn unrevealable_outcomes_only_miss() {
        let mut big = Manifest::default();
        big.limits.output_bytes = bls_core::outcome::MAX_OUTPUT_BYTES;
        assert_eq!(
            withholding_penalty(Some(&big), MAX),
            WithholdingPenalty::Miss
        );
    }
}
