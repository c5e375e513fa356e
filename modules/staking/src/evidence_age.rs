//! Slashing reach: stake stays slashable (bonded, or in an unbonding entry) for as long as
//! CometBFT still accepts double-sign evidence of an offence committed while it was bonded.
//!
//! CometBFT v0.38 refuses evidence only when it is older than **both** bounds of
//! `consensus_params.evidence`, measured from the last committed block: more than
//! `max_age_num_blocks` blocks **and** more than `max_age_duration`. Staking therefore binds
//! unbonding to both:
//!
//! - **Blocks, at genesis**: `unbonding_blocks` must be greater than `max_age_num_blocks`
//!   ([`check_unbonding_outlasts_evidence`]; InitChain and `blsd genesis validate` refuse the
//!   genesis otherwise, saying which number to change).
//! - **Time, per entry**: an unbonding entry completes at the first end block that is both at
//!   or after its `completion_height` and at or after its `completion_time` — its creation
//!   block's time plus `max_age_duration` rounded up to whole seconds plus one second
//!   ([`completion_time`]). The chain's unbonding is counted in blocks; this second bound only
//!   matters when blocks come faster than the evidence window assumes.
//!
//! Why that is enough: an offence at height `h` with time `t_h`; an entry created at `c ≥ h`
//! (time `t_c ≥ t_h`) completes in the end block of some `b ≥ c + unbonding_blocks` with
//! `t_b > t_c + max_age_duration`. Evidence landing at `e > b` would be judged against the last
//! block `e − 1 ≥ b`: its age is `e − 1 − h ≥ unbonding_blocks > max_age_num_blocks` blocks and
//! `t_(e−1) − t_h ≥ t_b − t_c > max_age_duration`, so CometBFT refuses it. Evidence landing at
//! `e ≤ b` runs in begin block, before that end block. Either way the slash finds the entry.
//!
//! The evidence params are recorded at InitChain ([`record`]); the app never changes consensus
//! params afterwards, so the record stays what CometBFT enforces.

use bls_core::BlockInfo;
use cosmwasm_std::Storage;
use cw_storage_plus::Item;
use serde::{Deserialize, Serialize};

use crate::error::StakingError;
use crate::params::Params;

/// CometBFT's evidence age bounds (`consensus_params.evidence`), as staking keeps them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceAge {
    /// `max_age_num_blocks`.
    pub max_age_num_blocks: u64,
    /// `max_age_duration`, rounded up to whole seconds.
    pub max_age_duration_secs: u64,
}

impl EvidenceAge {
    /// CometBFT's defaults (what it uses when the genesis file has no `consensus_params`):
    /// 100 000 blocks and 48 hours.
    pub const COMETBFT_DEFAULT: EvidenceAge = EvidenceAge {
        max_age_num_blocks: 100_000,
        max_age_duration_secs: 48 * 3600,
    };

    /// From CometBFT's representation: a signed block count and a protobuf duration
    /// (`seconds`, `nanos`). Refuses what CometBFT itself refuses (non-positive values).
    pub fn from_cometbft(
        max_age_num_blocks: i64,
        duration_seconds: i64,
        duration_nanos: i32,
    ) -> Result<Self, StakingError> {
        let blocks = u64::try_from(max_age_num_blocks)
            .ok()
            .filter(|b| *b > 0)
            .ok_or_else(|| {
                StakingError::InvalidEvidenceParams(format!(
                    "max_age_num_blocks must be positive, got {max_age_num_blocks}"
                ))
            })?;
        let secs = u64::try_from(duration_seconds).ok();
        let nanos = u32::try_from(duration_nanos)
            .ok()
            .filter(|n| *n < 1_000_000_000);
        let (Some(secs), Some(nanos)) = (secs, nanos) else {
            return Err(StakingError::InvalidEvidenceParams(format!(
                "max_age_duration must be a positive duration, got {duration_seconds}s {duration_nanos}ns"
            )));
        };
        if secs == 0 && nanos == 0 {
            return Err(StakingError::InvalidEvidenceParams(
                "max_age_duration must be positive".into(),
            ));
        }
        Ok(Self {
            max_age_num_blocks: blocks,
            max_age_duration_secs: secs.saturating_add(u64::from(nanos > 0)),
        })
    }
}

/// The evidence bounds CometBFT enforces on this chain (recorded at InitChain).
const EVIDENCE_AGE: Item<EvidenceAge> = Item::new("staking/evidence_age");

/// Refuses params whose unbonding period ends before CometBFT stops accepting evidence.
pub fn check_unbonding_outlasts_evidence(
    params: &Params,
    age: &EvidenceAge,
) -> Result<(), StakingError> {
    if params.unbonding_blocks <= age.max_age_num_blocks {
        return Err(StakingError::UnbondingShorterThanEvidence {
            unbonding_blocks: params.unbonding_blocks,
            max_age_num_blocks: age.max_age_num_blocks,
        });
    }
    Ok(())
}

/// Checks `age` against the stored params and records it (InitChain).
pub fn record(store: &mut dyn Storage, age: &EvidenceAge) -> Result<(), StakingError> {
    check_unbonding_outlasts_evidence(&crate::state::params(store)?, age)?;
    Ok(EVIDENCE_AGE.save(store, age)?)
}

/// The recorded evidence bounds (none in a store that never ran InitChain, e.g. module tests).
pub fn evidence_age(store: &dyn Storage) -> Result<Option<EvidenceAge>, StakingError> {
    Ok(EVIDENCE_AGE.may_load(store)?)
}

/// The earliest block time (Unix seconds) at which an unbonding entry created in `block` may
/// complete: past the evidence window's duration, with a second to spare for the sub-second
/// part of both times. Without recorded bounds, the creation time (only blocks bind).
pub fn completion_time(store: &dyn Storage, block: &BlockInfo) -> Result<i64, StakingError> {
    let Some(age) = evidence_age(store)? else {
        return Ok(block.time_secs);
    };
    let wait = i64::try_from(age.max_age_duration_secs)
        .unwrap_or(i64::MAX)
        .saturating_add(1);
    Ok(block.time_secs.saturating_add(wait))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(unbonding_blocks: u64) -> Params {
        Params {
            unbonding_blocks,
            ..Params::default()
        }
    }

    #[test]
    fn unbonding_must_exceed_the_evidence_block_window() {
        let age = EvidenceAge {
            max_age_num_blocks: 1_000,
            max_age_duration_secs: 60,
        };
        assert!(check_unbonding_outlasts_evidence(&params(1_001), &age).is_ok());
        for short in [1, 999, 1_000] {
            let e = check_unbonding_outlasts_evidence(&params(short), &age).unwrap_err();
            let text = e.to_string();
            assert!(
                text.contains(&format!("({short})")) && text.contains("(1000)"),
                "{text}"
            );
            assert!(text.contains("unbonding_blocks") && text.contains("max_age_num_blocks"));
        }
    }

    #[test]
    fn cometbft_values_are_converted_or_refused() {
        assert_eq!(
            EvidenceAge::from_cometbft(100_000, 172_800, 0).unwrap(),
            EvidenceAge::COMETBFT_DEFAULT
        );
        // Sub-second parts round up: the bound is never shortened.
        assert_eq!(
            EvidenceAge::from_cometbft(5, 0, 1)
                .unwrap()
                .max_age_duration_secs,
            1
        );
        for (blocks, secs, nanos) in [
            (0, 10, 0),
            (-1, 10, 0),
            (10, 0, 0),
            (10, -1, 0),
            (10, 1, -1),
            (10, 1, 1_000_000_000),
        ] {
            assert!(
                matches!(
                    EvidenceAge::from_cometbft(blocks, secs, nanos),
                    Err(StakingError::InvalidEvidenceParams(_))
                ),
                "{blocks} {secs} {nanos}"
            );
        }
    }

    #[test]
    fn completion_time_waits_past_the_duration() {
        let mut s = cosmwasm_std::testing::MockStorage::new();
        let block = BlockInfo {
            time_secs: 1_000,
            time_nanos: 999_999_999,
            ..BlockInfo::default()
        };
        assert_eq!(completion_time(&s, &block).unwrap(), 1_000);
        crate::state::PARAMS.save(&mut s, &params(50)).unwrap();
        record(
            &mut s,
            &EvidenceAge {
                max_age_num_blocks: 10,
                max_age_duration_secs: 30,
            },
        )
        .unwrap();
        // 1000.999… + 30 < 1031: the first whole second strictly past the window.
        assert_eq!(completion_time(&s, &block).unwrap(), 1_031);
    }
}
