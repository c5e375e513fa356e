//! Event types and attribute keys emitted by staking (Cosmos SDK names where one exists).

/// A validator was created (`validator`, `consensus_address`, `amount`).
pub const CREATE_VALIDATOR: &str = "create_validator";
/// A validator's description or commission changed (`validator`, `commission_bps`, `moniker`).
pub const EDIT_VALIDATOR: &str = "edit_validator";
/// Coins were delegated (`delegator`, `validator`, `amount`).
pub const DELEGATE: &str = "delegate";
/// Unbonding started (`delegator`, `validator`, `amount`, `completion_height`).
pub const UNBOND: &str = "unbond";
/// An unbonding entry completed and its coins were returned (`delegator`, `validator`,
/// `amount`).
pub const COMPLETE_UNBONDING: &str = "complete_unbonding";
/// A validator was jailed because its self-bond fell below `min_self_bond` (`validator`).
pub const JAIL_LOW_SELF_BOND: &str = "jail_low_self_bond";
/// The active set changed (`validator`, `power`), one event per changed validator.
pub const POWER_CHANGE: &str = "validator_power_change";
/// The active set would have become empty with no other validators seen in the last commit;
/// removals were held back so consensus does not halt (`validators`).
pub const EMPTY_SET_AVOIDED: &str = "validator_set_empty_avoided";
