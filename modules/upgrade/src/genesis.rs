//! Upgrade genesis: the pending plan and the applied plans (an exported chain keeps both).

use cosmwasm_std::Storage;
use serde::{Deserialize, Serialize};

use crate::error::UpgradeError;
use crate::state::{self, Plan, DONE, PLAN};

/// The upgrade `app_state` section.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GenesisState {
    /// The pending plan.
    pub plan: Option<Plan>,
    /// Plans already applied.
    pub applied: Vec<AppliedPlan>,
}

/// One applied plan.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppliedPlan {
    /// Its name.
    pub name: String,
    /// The height it was applied at.
    pub height: u64,
}

/// Writes the section.
pub fn init_genesis(store: &mut dyn Storage, g: &GenesisState) -> Result<(), UpgradeError> {
    for a in &g.applied {
        if DONE.has(store, &a.name) {
            return Err(UpgradeError::InvalidGenesis(format!(
                "plan {:?} applied twice",
                a.name
            )));
        }
        DONE.save(store, &a.name, &a.height)?;
    }
    if let Some(p) = &g.plan {
        // Heights are checked when the chain reaches them; a genesis may restart at any height.
        p.validate(0)
            .map_err(|e| UpgradeError::InvalidGenesis(e.to_string()))?;
        PLAN.save(store, p)?;
    }
    Ok(())
}

/// Reads the section back.
pub fn export_genesis(store: &dyn Storage) -> Result<GenesisState, UpgradeError> {
    Ok(GenesisState {
        plan: state::plan(store)?,
        applied: state::all_applied(store)?
            .into_iter()
            .map(|(name, height)| AppliedPlan { name, height })
            .collect(),
    })
}
