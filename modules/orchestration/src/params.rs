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
    /// Largest raw WASM deployed through IPFS (code not stored on chain), bytes. Default and
    /// most 64 MiB (a module with a language runtime inside is 5–30 MiB): workers read no more
    /// than a job's pinned `code_size` from a source.
    pub max_remote_wasm_bytes: u64,
    /// Largest manifest JSON, bytes.
    pub max_manifest_bytes: u64,
    /// Largest invocation input, bytes.
    pub max_input_bytes: u64,
    /// Largest replication `n`.
    pub max_replication: u32,
    /// Workers per function subnetwork (at least `n` are used when `n` is larger).
    pub subnetwork_size: u32,
    /// Blocks after assignment during which commits are accepted, at least: the window also
    /// lasts until `commit_grace_ms` past the manifest's `timeout_ms` by block time, so a job
    /// of any allowed length fits whatever the block interval ([`crate::handlers::assign`]).
    pub commit_window: u64,
    /// Block-time milliseconds a worker has beyond the manifest's `timeout_ms` to fetch the
    /// code, run and get its commit into a block. Default 10 000.
    pub commit_grace_ms: u64,
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
    #[serde(with = "bls_core::amount::u128_str")]
    pub base_fee: u128,
    /// ubls per `fuel_unit` fuel used.
    #[serde(with = "bls_core::amount::u128_str")]
    pub fuel_price: u128,
    /// Flat fee per fast-path request settled by a head, ubls. Lower than `base_fee`: fast-path
    /// workers send no per-request txs (the head settles receipts in batches).
    #[serde(with = "bls_core::amount::u128_str")]
    pub fastpath_fee: u128,
    /// Fast-path price of the time a function may hold its workers, ubls per second of the
    /// manifest's `timeout_ms` (fast-path fee = `fastpath_fee + timeout_ms ×
    /// fastpath_price_per_second / 1000`, [`crate::fastpath::fee::fastpath_fee`]). A receipt
    /// proves no fuel or wall time, so the fast path charges for the longest the function may
    /// keep `n` workers busy.
    #[serde(with = "bls_core::amount::u128_str")]
    pub fastpath_price_per_second: u128,
    /// Blocks a fast-path request may live: heads and workers serve it only while `tip ≤
    /// expiry_height ≤ tip + fastpath_request_ttl`; a worker's result key counts for it when
    /// the key was current somewhere in `[expiry - ttl, expiry]`.
    pub fastpath_request_ttl: u64,
    /// Blocks after a request's expiry during which its receipt settles and evidence about it
    /// is accepted (both refused later; the replay marker is then forgotten). The registry's
    /// `unbonding_blocks` must be at least `fastpath_request_ttl + fastpath_settle_window`,
    /// so no worker can take its bond out before evidence about its last signature lands.
    pub fastpath_settle_window: u64,
    /// Blocks between an invoker's fast-path withdrawal request and the moment its funds can
    /// be taken out. Heads serve against the deposit and settle later (a head stops serving an
    /// invoker with a pending withdrawal); at least `fastpath_request_ttl +
    /// fastpath_settle_window`, so every receipt a head served before the request can still
    /// settle against the deposit.
    pub fastpath_withdraw_delay: u64,
    /// Fuel per priced unit (fuel fee = fuel_used × fuel_price / fuel_unit, floored).
    pub fuel_unit: u64,
    /// ubls per second of `timeout_ms` charged for a timed-out job (fee = base_fee +
    /// max(fuel fee, time fee); see [`crate::pricing`]).
    ///
    /// Default 1 000 ubls: fuel ≈ wasm instructions and a worker executes on the order of 10⁹
    /// per second, i.e. ~1 000 ubls of fuel fee per second at the default fuel price, so a
    /// job that holds its workers until its timeout pays what the same time spent computing
    /// would have. A 15-minute timeout then costs 900 000 ubls on top of the base fee.
    #[serde(with = "bls_core::amount::u128_str")]
    pub price_per_second: u128,
    /// Largest manifest `limits.fuel` accepted at deploy and update.
    ///
    /// Default 10¹² (≈ 15 minutes of computation at ~10⁹ fuel per second; a fuel fee of
    /// 1 000 000 ubls at the default price): without a bound a manifest could make the worst
    /// case of its jobs (and so the escrow `MsgInvoke` requires) unbounded.
    pub max_fuel: u64,
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
    #[serde(with = "bls_core::amount::u128_str")]
    pub challenge_deposit: u128,
    /// Blocks a finished job (settled or failed) and its result stay queryable before they
    /// are deleted ([`crate::handlers::job_prune`]); at least 1. Default 100 000 blocks
    /// (~28 hours at 1 s blocks): clients read a result right after it lands; an archive of
    /// old results belongs off chain (events, an indexer).
    pub job_retention_blocks: u64,
}

/// Largest `max_remote_wasm_bytes` (and its default): 64 MiB, what workers read at most from
/// an IPFS source (a larger module would be accepted here and declined by every worker).
pub const MAX_REMOTE_WASM_BYTES: u64 = 64 << 20;
/// Default `max_remote_wasm_bytes`.
pub const DEFAULT_MAX_REMOTE_WASM_BYTES: u64 = MAX_REMOTE_WASM_BYTES;
/// Default `commit_grace_ms`: 10 s.
pub const DEFAULT_COMMIT_GRACE_MS: u64 = 10_000;
/// Largest `commit_grace_ms`: one hour.
pub const MAX_COMMIT_GRACE_MS: u64 = 3_600_000;

/// Default `job_retention_blocks`.
pub const DEFAULT_JOB_RETENTION_BLOCKS: u64 = 100_000;

/// Default `fastpath_request_ttl`: 300 blocks — 5 minutes at the devnet's 1 s blocks, 30 at
/// a 6 s block time; a client's default expiry (100 blocks) sits well inside it.
pub const DEFAULT_FASTPATH_REQUEST_TTL: u64 = 300;
/// Default `fastpath_settle_window`: 700 blocks, so a head that is down for a while (or
/// settles in slow batches) still settles; with the TTL it makes 1000 blocks, the registry's
/// default `unbonding_blocks`.
pub const DEFAULT_FASTPATH_SETTLE_WINDOW: u64 = 700;
/// Default `fastpath_withdraw_delay`: the default TTL plus settle window (1000 blocks).
pub const DEFAULT_FASTPATH_WITHDRAW_DELAY: u64 =
    DEFAULT_FASTPATH_REQUEST_TTL + DEFAULT_FASTPATH_SETTLE_WINDOW;
/// Largest reach of any fast-path proof ([`Params::reaches`]; keeps every height sum far from
/// overflow and the replay and dispute markers bounded in time).
pub const MAX_FASTPATH_REACH: u64 = 10_000_000;

/// How long after a fast-path act a proof about it can still land, and which windows make
/// it so (shown as `what = terms = blocks`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reach {
    /// The proof and the sum of params that bounds it.
    pub what: &'static str,
    /// The terms of that sum, in order.
    pub terms: Vec<u64>,
    /// Blocks from the act to the last height at which the proof is acted on (the sum).
    pub blocks: u64,
}

impl Reach {
    fn of(what: &'static str, terms: &[u64]) -> Reach {
        Reach {
            what,
            terms: terms.to_vec(),
            blocks: terms.iter().fold(0u64, |a, t| a.saturating_add(*t)),
        }
    }
}

impl std::fmt::Display for Reach {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let terms: Vec<String> = self.terms.iter().map(u64::to_string).collect();
        write!(f, "{} = {} = {}", self.what, terms.join(" + "), self.blocks)
    }
}

impl Default for Params {
    fn default() -> Self {
        Self {
            max_code_bytes: 2 << 20,
            max_wasm_bytes: 16 << 20,
            max_remote_wasm_bytes: DEFAULT_MAX_REMOTE_WASM_BYTES,
            max_manifest_bytes: 16 << 10,
            max_input_bytes: 64 << 10,
            max_replication: 7,
            subnetwork_size: 5,
            commit_window: 20,
            commit_grace_ms: DEFAULT_COMMIT_GRACE_MS,
            reveal_window: 20,
            max_retries: 2,
            base_fee: 100_000,
            fastpath_fee: 1_000,
            fastpath_price_per_second: 100,
            fastpath_request_ttl: DEFAULT_FASTPATH_REQUEST_TTL,
            fastpath_settle_window: DEFAULT_FASTPATH_SETTLE_WINDOW,
            fastpath_withdraw_delay: DEFAULT_FASTPATH_WITHDRAW_DELAY,
            fuel_price: 1,
            fuel_unit: 1_000_000,
            price_per_second: 1_000,
            max_fuel: 1_000_000_000_000,
            slash_fraction_bps: 500,
            dissent_jail_blocks: 100,
            wasm_gas_per_byte: 2,
            head_slash_fraction_bps: 1_000,
            head_jail_blocks: 600,
            head_dispute_window: 300,
            challenge_window: 50,
            challenge_deposit: 100_000,
            job_retention_blocks: DEFAULT_JOB_RETENTION_BLOCKS,
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
        if self.job_retention_blocks == 0 {
            return bad("job_retention_blocks must be at least 1");
        }
        if self.commit_window == 0 || self.reveal_window == 0 {
            return bad("commit_window and reveal_window must be positive");
        }
        if self.fuel_unit == 0 {
            return bad("fuel_unit must be positive");
        }
        if self.price_per_second == 0 {
            return bad(
                "price_per_second must be positive (a timed-out job would hold its workers for free)",
            );
        }
        if self.max_fuel == 0 {
            return bad("max_fuel must be positive");
        }
        if self.max_code_bytes == 0 || self.max_wasm_bytes == 0 || self.max_remote_wasm_bytes == 0 {
            return bad(
                "max_code_bytes, max_wasm_bytes and max_remote_wasm_bytes must be positive",
            );
        }
        if self.max_remote_wasm_bytes > MAX_REMOTE_WASM_BYTES {
            return bad(
                "max_remote_wasm_bytes must be at most 67108864 (64 MiB, what workers read)",
            );
        }
        if self.commit_grace_ms > MAX_COMMIT_GRACE_MS {
            return bad("commit_grace_ms must be at most 3600000 (one hour)");
        }
        if self.max_retries > 16 {
            return bad("max_retries must be at most 16");
        }
        if self.fastpath_request_ttl == 0 || self.fastpath_settle_window == 0 {
            return bad("fastpath_request_ttl and fastpath_settle_window must be positive");
        }
        if self.fastpath_reach() > MAX_FASTPATH_REACH {
            return Err(OrchestrationError::InvalidParams(format!(
                "fastpath_request_ttl + fastpath_settle_window must be at most {MAX_FASTPATH_REACH}"
            )));
        }
        if self.fastpath_withdraw_delay < self.fastpath_reach() {
            // Otherwise an invoker withdraws before a head can settle what it served.
            return Err(OrchestrationError::InvalidParams(format!(
                "fastpath_withdraw_delay {} must be at least fastpath_request_ttl + fastpath_settle_window = {}",
                self.fastpath_withdraw_delay,
                self.fastpath_reach()
            )));
        }
        if self.fastpath_withdraw_delay > MAX_FASTPATH_REACH {
            return Err(OrchestrationError::InvalidParams(format!(
                "fastpath_withdraw_delay must be at most {MAX_FASTPATH_REACH}"
            )));
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
        let reach = self.evidence_reach();
        if reach.blocks > MAX_FASTPATH_REACH {
            return Err(OrchestrationError::InvalidParams(format!(
                "the reach of {reach} blocks must be at most {MAX_FASTPATH_REACH}"
            )));
        }
        Ok(())
    }

    /// How long after a worker signed a fast-path result evidence about it may still land:
    /// `fastpath_request_ttl + fastpath_settle_window` blocks.
    pub fn fastpath_reach(&self) -> u64 {
        self.fastpath_request_ttl
            .saturating_add(self.fastpath_settle_window)
    }

    /// Every way a proof about a fast-path act can land after the act, in blocks ([`Reach`]).
    /// The registry's `unbonding_blocks` must be at least each of them: a bond, and the result
    /// keys that signed, must still be there when the proof lands.
    /// - worker evidence: a worker signs from `expiry - fastpath_request_ttl` on, evidence
    ///   lands until `expiry + fastpath_settle_window`;
    /// - a report of a head's signed answer: the head signs inside the request's window, the
    ///   report lands until `head_dispute_window` after the statement and is checked with the
    ///   keys of that window;
    /// - an unanswered challenge: opened until `head_dispute_window` after the settlement and
    ///   punished in the end block of its deadline `challenge_window` later, which runs after
    ///   the registry's end block of that height (so one block more).
    pub fn reaches(&self) -> [Reach; 3] {
        [
            Reach::of(
                "worker evidence: fastpath_request_ttl + fastpath_settle_window",
                &[self.fastpath_request_ttl, self.fastpath_settle_window],
            ),
            Reach::of(
                "a report of a head's answer: fastpath_request_ttl + head_dispute_window",
                &[self.fastpath_request_ttl, self.head_dispute_window],
            ),
            Reach::of(
                "an unanswered challenge of a head's charge: head_dispute_window + \
                 challenge_window + 1",
                &[self.head_dispute_window, self.challenge_window, 1],
            ),
        ]
    }

    /// The longest any fast-path proof can arrive after the act it punishes: the largest of
    /// [`Params::reaches`].
    pub fn evidence_reach(&self) -> Reach {
        let [a, b, c] = self.reaches();
        [b, c]
            .into_iter()
            .fold(a, |m, r| if r.blocks > m.blocks { r } else { m })
    }
}

impl bls_core::governed_params::GovernedParams for Params {
    type Error = OrchestrationError;

    fn load(store: &dyn cosmwasm_std::Storage) -> Result<Self, OrchestrationError> {
        crate::state::params(store)
    }

    fn check(&self, store: &dyn cosmwasm_std::Storage) -> Result<(), OrchestrationError> {
        self.validate()?;
        // The same bound genesis enforces: the registry's unbonding outlasts every fast-path
        // reach (governance re-checks it after any module's change, registry's included).
        crate::genesis::check_unbonding_covers_fastpath(store, self)
    }

    fn store(&self, store: &mut dyn cosmwasm_std::Storage) -> Result<(), OrchestrationError> {
        Ok(crate::state::PARAMS.save(store, self)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipfs_size_and_commit_grace_are_bounded() {
        assert!(Params::default().validate().is_ok());
        let bad = |p: Params| p.validate().is_err();
        assert!(bad(Params {
            max_remote_wasm_bytes: MAX_REMOTE_WASM_BYTES + 1,
            ..Params::default()
        }));
        assert!(bad(Params {
            max_remote_wasm_bytes: 0,
            ..Params::default()
        }));
        assert!(bad(Params {
            commit_grace_ms: MAX_COMMIT_GRACE_MS + 1,
            ..Params::default()
        }));
        assert!(Params {
            commit_grace_ms: 0,
            ..Params::default()
        }
        .validate()
        .is_ok());
    }
}
