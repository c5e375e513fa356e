//! The fast-path fee: one function that settlement, the head, the client and the CLI all
//! call, so they always agree on what a request costs.
//!
//! A receipt proves which result a quorum signed, not how long the function ran (the fast
//! path has no fuel or wall time on chain), so the fee prices the longest time the function
//! may hold its workers: `fastpath_fee + timeout_ms × fastpath_price_per_second / 1000`
//! (floored). A flat fee would let an invoker keep `n` workers busy for up to 15 minutes at
//! the price of a millisecond.

use bls_core::manifest::Manifest;

use crate::params::Params;

/// What one fast-path request of a function with `manifest` costs under `params`, ubls.
pub fn fastpath_fee(params: &Params, manifest: &Manifest) -> u128 {
    fee_for_timeout(params, manifest.limits.timeout_ms)
}

/// [`fastpath_fee`] for a function whose manifest allows `timeout_ms` milliseconds.
pub fn fee_for_timeout(params: &Params, timeout_ms: u64) -> u128 {
    let time = u128::from(timeout_ms).saturating_mul(params.fastpath_price_per_second) / 1_000;
    params.fastpath_fee.saturating_add(time)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fee_grows_with_the_timeout() {
        let p = Params {
            fastpath_fee: 1_000,
            fastpath_price_per_second: 100,
            ..Params::default()
        };
        assert_eq!(fee_for_timeout(&p, 0), 1_000);
        assert_eq!(fee_for_timeout(&p, 10_000), 2_000);
        assert_eq!(fee_for_timeout(&p, 15 * 60 * 1000), 91_000);
        assert_eq!(fee_for_timeout(&p, 1), 1_000, "floored");
        assert_eq!(fastpath_fee(&p, &Manifest::default()), 2_000);
        let free = Params {
            fastpath_price_per_second: 0,
            ..p
        };
        assert_eq!(fee_for_timeout(&free, 900_000), 1_000);
    }
}
