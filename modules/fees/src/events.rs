//! Event types emitted by fees.

/// One block's gas fees were settled (`collected`, `burned`, `community`, `distributed`).
pub const FEE_DISTRIBUTION: &str = "fee_distribution";
/// Accumulated rewards were paid out (`address`, `amount`).
pub const WITHDRAW_REWARDS: &str = "withdraw_rewards";
