//! Event types emitted by gov (Cosmos SDK names).

/// A proposal was submitted (`proposal_id`, `proposal_type`, `proposer`).
pub const SUBMIT_PROPOSAL: &str = "submit_proposal";
/// A deposit was made (`proposal_id`, `depositor`, `amount`); `voting_period_start` is added
/// when it opened the vote.
pub const PROPOSAL_DEPOSIT: &str = "proposal_deposit";
/// A vote was cast or changed (`proposal_id`, `voter`, `option`).
pub const PROPOSAL_VOTE: &str = "proposal_vote";
/// A proposal's deposit period ended without `min_deposit` (`proposal_id`,
/// `proposal_result` = `proposal_dropped`).
pub const INACTIVE_PROPOSAL: &str = "inactive_proposal";
/// A proposal's vote ended (`proposal_id`, `proposal_result`, `yes`, `abstain`, `no`,
/// `no_with_veto`, and `reason` when it failed).
pub const ACTIVE_PROPOSAL: &str = "active_proposal";

/// `proposal_result` values.
pub const RESULT_PASSED: &str = "proposal_passed";
/// Rejected (quorum, threshold).
pub const RESULT_REJECTED: &str = "proposal_rejected";
/// Vetoed: deposits burnt.
pub const RESULT_VETOED: &str = "proposal_vetoed";
/// Passed, but carrying it out failed (nothing of it is applied).
pub const RESULT_FAILED: &str = "proposal_failed";
/// Dropped at the end of its deposit period.
pub const RESULT_DROPPED: &str = "proposal_dropped";
