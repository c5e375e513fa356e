//! Upgrade state: the pending plan and the plans already applied.
//!
//! Keys: `upgrade/plan` → [`Plan`]; `upgrade/done/{name}` → the height it was applied at.

use cosmwasm_std::{Order, Storage};
use cw_storage_plus::{Item, Map};
use serde::{Deserialize, Serialize};

use crate::error::UpgradeError;

/// The pending plan, if any.
pub(crate) const PLAN: Item<Plan> = Item::new("upgrade/plan");
/// Applied plans: name → height.
pub(crate) const DONE: Map<&str, u64> = Map::new("upgrade/done");

/// Longest plan name (it becomes a directory name under cosmovisor's `upgrades/`).
pub const MAX_NAME_LEN: usize = 140;
/// Longest `info` (cosmovisor reads download links from it; we pass it through).
pub const MAX_INFO_LEN: usize = 2_048;

/// A software upgrade: at `height`, nodes switch to the binary that knows `name`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// The plan's name; the next binary registers its migration under it.
    pub name: String,
    /// The first height the next binary executes.
    pub height: u64,
    /// Free text for operators and cosmovisor (e.g. binary URLs).
    #[serde(default)]
    pub info: String,
}

impl Plan {
    /// Checks the plan's own fields and that `height` is still ahead of `current_height`.
    pub fn validate(&self, current_height: u64) -> Result<(), UpgradeError> {
        let bad = |s: String| Err(UpgradeError::InvalidPlan(s));
        if self.name.is_empty() || self.name.len() > MAX_NAME_LEN {
            return bad(format!("name must be 1..={MAX_NAME_LEN} characters"));
        }
        // A directory name on every operator's disk: no separators, no dot-dot.
        if !self
            .name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            || self.name.starts_with('.')
        {
            return bad(format!(
                "name {:?} may hold only letters, digits, '-', '_' and '.', not first",
                self.name
            ));
        }
        if self.info.len() > MAX_INFO_LEN {
            return bad(format!("info is longer than {MAX_INFO_LEN} bytes"));
        }
        if self.height <= current_height {
            return bad(format!(
                "height {} is not after the current height {current_height}",
                self.height
            ));
        }
        Ok(())
    }
}

/// The pending plan.
pub fn plan(store: &dyn Storage) -> Result<Option<Plan>, UpgradeError> {
    Ok(PLAN.may_load(store)?)
}

/// The height `name` was applied at, if it was.
pub fn applied(store: &dyn Storage, name: &str) -> Result<Option<u64>, UpgradeError> {
    Ok(DONE.may_load(store, name)?)
}

/// Every applied plan, by name.
pub fn all_applied(store: &dyn Storage) -> Result<Vec<(String, u64)>, UpgradeError> {
    Ok(DONE
        .range(store, None, None, Order::Ascending)
        .collect::<Result<_, _>>()?)
}

/// Schedules `plan` at `current_height`, replacing any pending plan.
pub fn schedule(
    store: &mut dyn Storage,
    current_height: u64,
    plan: &Plan,
) -> Result<(), UpgradeError> {
    plan.validate(current_height)?;
    if let Some(height) = applied(store, &plan.name)? {
        return Err(UpgradeError::AlreadyApplied {
            name: plan.name.clone(),
            height,
        });
    }
    Ok(PLAN.save(store, plan)?)
}

/// Removes the pending plan (a cancel proposal passed); true if there was one.
pub fn cancel(store: &mut dyn Storage) -> Result<bool, UpgradeError> {
    let had = PLAN.may_load(store)?.is_some();
    PLAN.remove(store);
    Ok(had)
}

/// Records the pending plan as applied at its height and removes it (the binary ran its
/// migration).
pub fn mark_applied(store: &mut dyn Storage, plan: &Plan) -> Result<(), UpgradeError> {
    DONE.save(store, &plan.name, &plan.height)?;
    PLAN.remove(store);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::testing::MockStorage;

    fn plan(name: &str, height: u64) -> Plan {
        Plan {
            name: name.into(),
            height,
            info: String::new(),
        }
    }

    #[test]
    fn schedule_refuses_past_heights_and_path_like_names() {
        let mut s = MockStorage::new();
        assert!(schedule(&mut s, 10, &plan("v2", 10)).is_err());
        assert!(schedule(&mut s, 10, &plan("v2", 3)).is_err());
        for name in ["", "../x", "a/b", ".hidden", "v 2"] {
            assert!(schedule(&mut s, 1, &plan(name, 100)).is_err(), "{name:?}");
        }
        assert_eq!(super::plan(&s).unwrap(), None);
        schedule(&mut s, 10, &plan("v2.0-rc_1", 11)).unwrap();
        assert_eq!(super::plan(&s).unwrap().unwrap().height, 11);
    }

    #[test]
    fn applied_plan_cannot_be_scheduled_again() {
        let mut s = MockStorage::new();
        let p = plan("v2", 20);
        schedule(&mut s, 1, &p).unwrap();
        mark_applied(&mut s, &p).unwrap();
        assert_eq!(super::plan(&s).unwrap(), None);
        assert_eq!(applied(&s, "v2").unwrap(), Some(20));
        assert!(matches!(
            schedule(&mut s, 21, &plan("v2", 30)),
            Err(UpgradeError::AlreadyApplied { .. })
        ));
    }

    #[test]
    fn a_new_plan_replaces_the_pending_one_and_cancel_removes_it() {
        let mut s = MockStorage::new();
        schedule(&mut s, 1, &plan("a", 50)).unwrap();
        schedule(&mut s, 1, &plan("b", 60)).unwrap();
        assert_eq!(super::plan(&s).unwrap().unwrap().name, "b");
        assert!(cancel(&mut s).unwrap());
        assert!(!cancel(&mut s).unwrap());
    }
}
