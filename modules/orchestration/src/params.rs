//! Orchestration parameters (set in genesis).

use serde::{Deserialize, Serialize};

use crate::error::OrchestrationError;

/// Parameters of orchestration.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Largest inline code as sent (gzip or raw), bytes.
    pub max_code_bytes: u64,
    /// Largest decompressed WASM, bytes (bounds gzip bombs).
    pub max_wasm_bytes: u64,
    /// Largest manifest JSON, bytes.
    pub max_manifest_bytes: u64,
    /// Largest invocation input, bytes.
    pub max_input_bytes: u64,
    /// Largest replication `n`.
    pub max_replication: u32,
    /// Workers per function subnetwork (at least `n` are used when `n` is larger).
    pub subnetwork_size: u32,
    /// Blocks after assignment during which commits are accepted.
    pub commit_window: u64,
    /// Blocks after the commit phase closed during which reveals are accepted.
    pub reveal_window: u64,
    /// Reassignments before a job fails.
    pub max_retries: u32,
    /// Flat fee per finalized job, ubls.
    ///
    /// Default 100 000 ubls: on the on-chain path every assigned worker pays for two txs
    /// per job — a commit (~100k gas) and a reveal (~120k gas) — i.e. ~5 500 ubls at the
    /// default min gas price of 0.025 ubls/gas. With the default invocation split (70% to
    /// workers) and n = 3 agreeing workers, each earns ~23 300 ubls per job, about 4× its
    /// fees, so honest work pays even with a generous gas adjustment. (At the former
    /// 1 000 ubls a worker earned ~233 ubls per job and lost money on every one.)
    #[serde(with = "bls_registry::amount::u128_str")]
    pub base_fee: u128,
    /// ubls per `fuel_unit` fuel used.
    #[serde(with = "bls_registry::amount::u128_str")]
    pub fuel_price: u128,
    /// Flat fee per fast-path request settled by a head, ubls. Lower than `base_fee`: fast-path
    /// workers send no per-request txs (the head settles receipts in batches).
    #[serde(with = "bls_registry::amount::u128_str")]
    pub fastpath_fee: u128,
    /// Fuel per priced unit (fee = base_fee + fuel_used × fuel_price / fuel_unit, floored).
    pub fuel_unit: u64,
    /// Fraction of a dissenting worker's bond slashed, basis points.
    pub slash_fraction_bps: u32,
    /// Blocks a dissenting worker is jailed.
    pub dissent_jail_blocks: u64,
    /// Gas charged per decompressed WASM byte validated at deploy.
    pub wasm_gas_per_byte: u64,
    /// Fraction of a head worker's bond slashed when it is proven to have lied in a signed
    /// response or left a challenged charge unanswered, basis points.
    pub head_slash_fraction_bps: u32,
    /// Blocks a punished head worker is jailed.
    pub head_jail_blocks: u64,
    /// Blocks after a head's settlement (or after the height in its signed response) during
    /// which the invoker may challenge the charge or report the response.
    pub head_dispute_window: u64,
    /// Blocks a challenged head has to answer with the outcome before it is punished.
    pub challenge_window: u64,
    /// What an invoker escrows to challenge a charge, ubls: paid to the head when it answers
    /// (it paid gas to publish the outcome), returned when it does not.
    #[serde(with = "bls_registry::amount::u128_str")]
    pub challenge_deposit: u128,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            max_code_bytes: 2 << 20,
            max_wasm_bytes: 16 << 20,
            max_manifest_bytes: 16 << 10,
            max_input_bytes: 64 << 10,
            max_replication: 7,
            subnetwork_size: 5,
            commit_window: 20,
            reveal_window: 20,
            max_retries: 2,
            base_fee: 100_000,
            fastpath_fee: 1_000,
            fuel_price: 1,
            fuel_unit: 1_000_000,
            slash_fraction_bps: 500,
            dissent_jail_blocks: 100,
            wasm_gas_per_byte: 2,
            head_slash_fraction_bps: 1_000,
            head_jail_blocks: 600,
            head_dispute_window: 300,
            challenge_window: 50,
            challenge_deposit: 100_000,
        }
    }
}

impl Params {
    /// Checks internal consistency.
    pub fn validate(&self) -> Result<(), OrchestrationError> {
        let bad = |s: &str| Err(OrchestrationError::InvalidParams(s.to_string()));
        if self.slash_fraction_bps > 10_000 {
            return bad("slash_fraction_bps must be at most 10000");
        }
        if self.max_replication == 0 || self.max_replication > 64 {
            return bad("max_replication must be 1..=64");
        }
        if self.subnetwork_size == 0 || self.subnetwork_size > 256 {
            return bad("subnetwork_size must be 1..=256");
        }
        if self.commit_window == 0 || self.reveal_window == 0 {
            return bad("commit_window and reveal_window must be positive");
        }
        if self.fuel_unit == 0 {
            return bad("fuel_unit must be positive");
        }
        if self.max_code_bytes == 0 || self.max_wasm_bytes == 0 {
            return bad("max_code_bytes and max_wasm_bytes must be positive");
        }
        if self.max_retries > 16 {
            return bad("max_retries must be at most 16");
        }
        if self.head_slash_fraction_bps > 10_000 {
            return bad("head_slash_fraction_bps must be at most 10000");
        }
        if self.head_dispute_window == 0 || self.challenge_window == 0 {
            return bad("head_dispute_window and challenge_window must be positive");
        }
        if self.challenge_deposit == 0 {
            // A free challenge lets anyone make every head pay gas for every request.
            return bad("challenge_deposit must be positive");
        }
        Ok(())
    }
}
