//! Reveal size: every honest outcome must fit the transaction that carries it to the chain.
//!
//! A committed worker is slashed for withholding its reveal ([`crate::withholding`]), and a
//! fast-path dissent is judged only from outcome bytes carried in `MsgSubmitEvidence`
//! ([`crate::fastpath::evidence`]). Both are only fair if the tx can actually be included:
//! an outcome carries stdout and stderr, each up to the manifest's `limits.output_bytes`
//! ([`max_outcome_len`]), and a tx larger than a node's mempool `max_tx_bytes` never reaches
//! a block. So:
//! - **The size a reveal tx may have** is `min(`[`NODE_MAX_TX_BYTES`]`, auth max_tx_bytes)`
//!   ([`max_reveal_tx_bytes`]). [`NODE_MAX_TX_BYTES`] is CometBFT's default
//!   `mempool.max_tx_bytes` (1 MiB), which `blsd init` writes explicitly into every node's
//!   `config.toml`; an operator may raise it, never lower it.
//! - **Deploy and update** refuse a manifest whose worst case does not fit
//!   ([`check_deployable`]): the reveal ([`worst_case_reveal_tx_bytes`]: the outcome plus
//!   [`REVEAL_TX_ENVELOPE_BYTES`]) and the fast-path dissent evidence
//!   ([`worst_case_evidence_tx_bytes`]: two outcomes — the majority's and the dissenter's —
//!   plus [`EVIDENCE_TX_ENVELOPE_BYTES`] for up to `MAX_EVIDENCE_RESULTS` signed results and
//!   the request). Otherwise a liar could sign a false outcome so large that no evidence
//!   about it fits a tx. With the defaults a function may allow about 248 KiB per stream.
//! - **Withholding** is slashed only for a function whose worst-case reveal fits
//!   ([`revealable`]); a function that does not (imported in genesis, or after governance
//!   lowered auth `max_tx_bytes`) only costs a silent committed worker a liveness miss.
//!
//! [`max_outcome_len`]: crate::handlers::results::max_outcome_len

use cosmwasm_std::Storage;

use crate::error::OrchestrationError;
use crate::handlers::results::max_outcome_len;
use crate::manifest::Manifest;

/// The largest tx every node's mempool is guaranteed to accept: CometBFT's default
/// `mempool.max_tx_bytes`, which `blsd init` writes into `config.toml`.
pub const NODE_MAX_TX_BYTES: u64 = 1 << 20;

/// Bound on everything in a `MsgRevealResult` tx besides the outcome bytes: the message's
/// other fields (worker address, job id, a salt of at most 64 bytes, protobuf framing), the
/// `Any` type URL, a memo of up to 256 characters, the signer info (public key, sequence,
/// sign mode), the fee and the signature — under 1 KiB in practice; 4 KiB leaves room.
pub const REVEAL_TX_ENVELOPE_BYTES: u64 = 4 << 10;

/// Bound on everything in a worst-case `MsgSubmitEvidence` tx besides its two outcomes: up to
/// `MAX_EVIDENCE_RESULTS` (64) signed results of about 200 bytes each, the invoker-signed
/// request, the outcome framing, and the same tx envelope as a reveal.
pub const EVIDENCE_TX_ENVELOPE_BYTES: u64 = 32 << 10;

/// Largest tx the chain and every node accept for a reveal or evidence:
/// `min(NODE_MAX_TX_BYTES, auth max_tx_bytes)`.
pub fn max_reveal_tx_bytes(store: &dyn Storage) -> Result<u64, OrchestrationError> {
    let auth = bls_auth::params::load(store)
        .map_err(|e| OrchestrationError::Store(format!("auth params: {e}")))?;
    Ok(NODE_MAX_TX_BYTES.min(auth.max_tx_bytes))
}

fn outcome_len(output_bytes: u32) -> u64 {
    u64::try_from(max_outcome_len(output_bytes)).unwrap_or(u64::MAX)
}

/// Size of the largest reveal tx a function allowing `output_bytes` per stream can need.
pub fn worst_case_reveal_tx_bytes(output_bytes: u32) -> u64 {
    outcome_len(output_bytes).saturating_add(REVEAL_TX_ENVELOPE_BYTES)
}

/// Size of the largest fast-path dissent evidence tx (two outcomes) such a function can need.
pub fn worst_case_evidence_tx_bytes(output_bytes: u32) -> u64 {
    outcome_len(output_bytes)
        .saturating_mul(2)
        .saturating_add(EVIDENCE_TX_ENVELOPE_BYTES)
}

/// True when every honest outcome of `m` fits a reveal tx of at most `max_tx` bytes.
pub fn revealable(m: &Manifest, max_tx: u64) -> bool {
    worst_case_reveal_tx_bytes(m.limits.output_bytes) <= max_tx
}

/// The largest `limits.output_bytes` [`check_deployable`] accepts under `max_tx`.
pub fn max_deployable_output_bytes(max_tx: u64) -> u32 {
    // Invert worst_case_evidence_tx_bytes: 2 × (2 × cap + overhead) + envelope ≤ max_tx.
    let overhead = outcome_len(0);
    let room = max_tx
        .saturating_sub(EVIDENCE_TX_ENVELOPE_BYTES)
        .checked_div(2)
        .unwrap_or(0)
        .saturating_sub(overhead)
        .checked_div(2)
        .unwrap_or(0);
    u32::try_from(room)
        .unwrap_or(u32::MAX)
        .min(bls_core::outcome::MAX_OUTPUT_BYTES)
}

/// Refuses a manifest whose worst-case reveal or dissent evidence does not fit `max_tx`.
pub fn check_deployable(m: &Manifest, max_tx: u64) -> Result<(), OrchestrationError> {
    let out = m.limits.output_bytes;
    let reveal = worst_case_reveal_tx_bytes(out);
    let evidence = worst_case_evidence_tx_bytes(out);
    if reveal > max_tx || evidence > max_tx {
        return Err(OrchestrationError::InvalidManifest(format!(
            "limits.output_bytes {out} is too large to reveal: a worst-case reveal tx is {reveal} bytes and dissent evidence {evidence} bytes, above the {max_tx} bytes a tx may have (min of the nodes' mempool max_tx_bytes {NODE_MAX_TX_BYTES} and auth max_tx_bytes); at most {} allowed",
            max_deployable_output_bytes(max_tx)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_output(out: u32) -> Manifest {
        let mut m = Manifest::default();
        m.limits.output_bytes = out;
        m
    }

    #[test]
    fn the_bound_is_exact() {
        let max = max_deployable_output_bytes(NODE_MAX_TX_BYTES);
        assert!(check_deployable(&with_output(max), NODE_MAX_TX_BYTES).is_ok());
        assert!(check_deployable(&with_output(max + 1), NODE_MAX_TX_BYTES).is_err());
        // The default manifest fits; the protocol ceiling does not.
        assert!(check_deployable(&Manifest::default(), NODE_MAX_TX_BYTES).is_ok());
        let ceiling = with_output(bls_core::outcome::MAX_OUTPUT_BYTES);
        assert!(check_deployable(&ceiling, NODE_MAX_TX_BYTES).is_err());
        assert!(!revealable(&ceiling, NODE_MAX_TX_BYTES));
        assert!(revealable(&with_output(max), NODE_MAX_TX_BYTES));
        assert!(check_deployable(&Manifest::default(), 0).is_err());
    }
}
