//! Event types emitted by slashing (Cosmos SDK names).

/// A validator was slashed (`validator`, `consensus_address`, `reason` = `double_sign` |
/// `missing_signature`, `burned`, `infraction_height`, `jailed_until`).
pub const SLASH: &str = "slash";
/// A validator crossed the downtime threshold (`validator`, `consensus_address`,
/// `missed_blocks`).
pub const LIVENESS: &str = "liveness";
/// A validator was unjailed (`validator`).
pub const UNJAIL: &str = "unjail";
/// Evidence this chain does not act on (light-client attack, or an unknown or already
/// tombstoned validator) (`consensus_address`, `reason`).
pub const EVIDENCE_IGNORED: &str = "evidence_ignored";

/// `reason` of a double-sign slash.
pub const REASON_DOUBLE_SIGN: &str = "double_sign";
/// `reason` of a downtime slash.
pub const REASON_DOWNTIME: &str = "missing_signature";
