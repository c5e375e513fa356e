//! White-box access for this crate's own integration tests (`tests/`), behind the `testing`
//! feature that only the crate's dev-dependency on itself enables: the storage maps a test
//! reads or edits to reach states no message sequence reaches (a corrupted function record, a
//! hand-placed subnetwork). Other crates use the module's API; `scripts/check-structure`
//! refuses any other crate enabling this feature.

use cosmwasm_std::Binary;
use cw_storage_plus::{Item, Map};

use crate::fastpath::state::HandledPenalty;
use crate::state::{CodeInfo, Function, Subnetwork};

/// [`crate::state`]'s functions by id.
pub const FUNCTIONS: Map<u64, Function> = crate::state::FUNCTIONS;
/// [`crate::state`]'s stored code by hash.
pub const CODES: Map<&str, CodeInfo> = crate::state::CODES;
/// [`crate::state`]'s subnetworks by function id.
pub const SUBNETS: Map<u64, Subnetwork> = crate::state::SUBNETS;
/// [`crate::state`]'s subnetwork repair cursor.
pub const SUBNET_REPAIR_CURSOR: Item<u64> = crate::state::SUBNET_REPAIR_CURSOR;
/// [`crate::state`]'s (worker, job) index.
pub const WORKER_JOBS: Map<(&str, u64), ()> = crate::state::WORKER_JOBS;
/// [`crate::state`]'s (deadline, job) queue.
pub const DEADLINES: Map<(u64, u64), ()> = crate::state::DEADLINES;
/// [`crate::state`]'s revealed outcomes by (job, result hash).
pub const REVEAL_OUTCOMES: Map<(u64, &str), Binary> = crate::state::REVEAL_OUTCOMES;
/// [`crate::fastpath::state`]'s deposits by invoker.
pub const DEPOSITS: Map<&str, String> = crate::fastpath::state::DEPOSITS;
/// [`crate::fastpath::state`]'s settled request ids.
pub const SETTLED: Map<&str, u64> = crate::fastpath::state::SETTLED;
/// [`crate::fastpath::state`]'s handled evidence markers.
pub const EVIDENCE_HANDLED: Map<(&str, &str), HandledPenalty> =
    crate::fastpath::state::EVIDENCE_HANDLED;
