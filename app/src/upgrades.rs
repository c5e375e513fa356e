//! Software upgrades on the node's side: the migrations this binary registers by plan name,
//! what happens at a plan's height, and cosmovisor's `data/upgrade-info.json`.
//!
//! At the height of the pending plan (see `bls-upgrade`), before anything of the block runs:
//! - a binary that registers a migration under the plan's name runs it, records the plan as
//!   applied and executes the block (every node runs the same migration on the same state, so
//!   app hashes stay equal);
//! - any other binary writes `<home>/data/upgrade-info.json` (`{"name", "height", "info"}`,
//!   the file cosmovisor watches) and stops before executing the block. CometBFT stops with
//!   it (its ABCI connection is gone) and replays the block into the next binary.
//!
//! `blsd start` refuses to start when the node halted for a plan this binary cannot apply
//! (the plan is pending at the next height and no migration of that name is registered), so
//! an operator who restarts the old binary is told which plan it lacks instead of watching
//! it halt again.

use std::path::PathBuf;

use bls_core::{Context, ModuleError};
use cosmwasm_std::Storage;
use serde::{Deserialize, Serialize};

/// A state migration, run at the start of the plan's height.
pub type Migration = fn(&mut Context<'_>) -> Result<(), ModuleError>;

/// A migration registered under a plan name.
#[derive(Clone, Copy)]
pub struct Upgrade {
    /// The plan name a software-upgrade proposal uses.
    pub name: &'static str,
    /// What the binary does to the state at that plan's height.
    pub migrate: Migration,
}

/// The upgrades this release of `blsd` applies (none: the chain's first release). The next
/// release adds its plan here, with its migration.
pub const REGISTERED: &[Upgrade] = &[];

/// The upgrades a binary registers.
#[derive(Clone, Default)]
pub struct Upgrades {
    list: &'static [Upgrade],
    /// Where `upgrade-info.json` is written (`<home>/data`); `None` in tests without a home.
    info_dir: Option<PathBuf>,
}

impl Upgrades {
    /// `list`, writing the halt file into `data_dir`.
    pub fn new(list: &'static [Upgrade], data_dir: Option<PathBuf>) -> Self {
        Self {
            list,
            info_dir: data_dir,
        }
    }

    /// The migration registered under `name`.
    pub fn get(&self, name: &str) -> Option<&Upgrade> {
        self.list.iter().find(|u| u.name == name)
    }

    /// Writes cosmovisor's halt file for `plan`.
    pub fn write_info(&self, plan: &bls_upgrade::Plan) -> std::io::Result<()> {
        let Some(dir) = &self.info_dir else {
            return Ok(());
        };
        std::fs::create_dir_all(dir)?;
        let info = UpgradeInfo {
            name: plan.name.clone(),
            height: plan.height,
            info: plan.info.clone(),
        };
        let path = dir.join(UPGRADE_INFO_FILE);
        let tmp = dir.join(format!("{UPGRADE_INFO_FILE}.tmp"));
        std::fs::write(
            &tmp,
            serde_json::to_vec(&info).map_err(std::io::Error::other)?,
        )?;
        std::fs::rename(tmp, path)
    }
}

/// The file cosmovisor watches, under `<home>/data`.
pub const UPGRADE_INFO_FILE: &str = "upgrade-info.json";

/// `upgrade-info.json` as cosmovisor reads it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpgradeInfo {
    /// The plan's name (cosmovisor switches to `upgrades/<name>/bin`).
    pub name: String,
    /// The plan's height.
    pub height: u64,
    /// The plan's info.
    #[serde(default)]
    pub info: String,
}

/// Refuses to start a binary that cannot apply the plan due at the next height.
pub fn check_startup(
    store: &dyn Storage,
    last_height: u64,
    upgrades: &Upgrades,
) -> anyhow::Result<()> {
    let Some(plan) = bls_upgrade::state::plan(store)? else {
        return Ok(());
    };
    if plan.height == last_height + 1 && upgrades.get(&plan.name).is_none() {
        anyhow::bail!(
            "UPGRADE {:?} NEEDED at height {}: this binary does not register that plan. \
             Install the release that does (cosmovisor: put it in \
             <home>/cosmovisor/upgrades/{}/bin/blsd) and start it; the chain halted at this \
             height so that every node switches here.",
            plan.name,
            plan.height,
            plan.name
        );
    }
    Ok(())
}
