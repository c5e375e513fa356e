//! What an on-chain job costs. One rule serves invoke (the escrow must cover the worst case),
//! finality (the fee in `bls.job_finalized` and the `Result` query) and settlement (what is
//! paid, burnt and refunded), so the three can never disagree.
//!
//! A job holds `n` workers for as long as it runs. Fuel measures that for a job that ends on
//! its own, but a timed-out outcome records no fuel (fuel consumed before a wall-clock
//! deadline depends on the machine, so it is not part of the agreed outcome), so time is
//! priced too:
//!
//! ```text
//! fee        = base_fee + max(fuel fee, time fee)
//! fuel fee   = min(fuel_used, manifest fuel) × fuel_price / fuel_unit
//! time fee   = timeout_ms × price_per_second / 1000     (timed-out outcomes only; else 0)
//! worst case = base_fee + max(manifest fuel × fuel_price / fuel_unit,
//!                             timeout_ms × price_per_second / 1000)
//! ```
//!
//! The manifest's `fuel` is bounded by `max_fuel` at deploy, and `MsgInvoke` refuses a
//! `max_fee` below the worst case, so the escrow always covers what the job can cost.
//! Fuel used is capped at the manifest's budget (a quorum cannot bill more fuel than the job
//! was allowed), so the fee never exceeds the worst case. All integer math, floored,
//! saturating.

use bls_core::manifest::Limits;
use bls_core::outcome::{ExitStatus, Outcome, TrapKind};

use crate::params::Params;

/// ubls for `fuel` fuel: `fuel × fuel_price / fuel_unit`, floored.
pub fn fuel_fee(p: &Params, fuel: u64) -> u128 {
    u128::from(fuel)
        .checked_mul(p.fuel_price)
        .map_or(u128::MAX, |v| v / u128::from(p.fuel_unit.max(1)))
}

/// ubls for holding workers `timeout_ms`: `timeout_ms × price_per_second / 1000`, floored.
pub fn time_fee(p: &Params, timeout_ms: u64) -> u128 {
    u128::from(timeout_ms)
        .checked_mul(p.price_per_second)
        .map_or(u128::MAX, |v| v / 1000)
}

/// The fee of a job run under `limits` whose agreed outcome is `outcome`.
pub fn job_fee(p: &Params, limits: &Limits, outcome: &Outcome) -> u128 {
    let fuel = fuel_fee(p, outcome.fuel_used.min(limits.fuel));
    let time = if outcome.status == ExitStatus::Trapped(TrapKind::Timeout) {
        time_fee(p, limits.timeout_ms)
    } else {
        0
    };
    p.base_fee.saturating_add(fuel.max(time))
}

/// The most a job run under `limits` can cost: the smallest `max_fee` `MsgInvoke` accepts.
pub fn worst_case_fee(p: &Params, limits: &Limits) -> u128 {
    let fuel = fuel_fee(p, limits.fuel);
    let time = time_fee(p, limits.timeout_ms);
    p.base_fee.saturating_add(fuel.max(time))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn outcome(status: ExitStatus, fuel_used: u64) -> Outcome {
        Outcome {
            status,
            stdout: Vec::new(),
            stdout_truncated: false,
            stderr: Vec::new(),
            stderr_truncated: false,
            fuel_used,
            wall_time: Duration::ZERO,
            trap_message: None,
            calls: Vec::new(),
        }
    }

    fn params() -> Params {
        Params {
            base_fee: 100,
            fuel_price: 1,
            fuel_unit: 1_000,
            price_per_second: 10,
            ..Params::default()
        }
    }

    #[test]
    fn a_timeout_is_charged_for_its_timeout() {
        let p = params();
        let limits = Limits {
            timeout_ms: 900_000,
            fuel: 1_000_000,
            ..Limits::default()
        };
        let timed_out = outcome(ExitStatus::Trapped(TrapKind::Timeout), 0);
        assert_eq!(job_fee(&p, &limits, &timed_out), 100 + 9_000);
        let exited = outcome(ExitStatus::Exited(0), 5_000);
        assert_eq!(job_fee(&p, &limits, &exited), 100 + 5);
        assert_eq!(worst_case_fee(&p, &limits), 100 + 9_000);
    }

    #[test]
    fn fuel_is_billed_up_to_the_budget_only() {
        let p = params();
        let limits = Limits {
            timeout_ms: 1_000,
            fuel: 50_000,
            ..Limits::default()
        };
        let claimed = outcome(ExitStatus::Exited(0), u64::MAX);
        assert_eq!(job_fee(&p, &limits, &claimed), 100 + 50);
        assert_eq!(worst_case_fee(&p, &limits), 100 + 50);
        for status in [
            ExitStatus::Exited(1),
            ExitStatus::Trapped(TrapKind::OutOfFuel),
            ExitStatus::Trapped(TrapKind::Timeout),
        ] {
            for fuel in [0, 1, 49_999, 50_000, u64::MAX] {
                assert!(
                    job_fee(&p, &limits, &outcome(status, fuel)) <= worst_case_fee(&p, &limits)
                );
            }
        }
    }

    #[test]
    fn saturates_instead_of_overflowing() {
        let p = Params {
            base_fee: u128::MAX - 1,
            fuel_price: u128::MAX,
            price_per_second: u128::MAX,
            ..Params::default()
        };
        assert_eq!(worst_case_fee(&p, &Limits::default()), u128::MAX);
    }
}
