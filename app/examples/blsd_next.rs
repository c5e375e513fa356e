//! `blsd` as the next release would build it: the same node with one more upgrade registered,
//! `v2-demo`, whose migration raises the auth module's `max_memo_characters` to 512.
//!
//! The upgrade test (`tests/tests/chain_upgrade.rs`) passes a software-upgrade proposal for
//! `v2-demo`, watches every node halt at the plan's height with `upgrade-info.json` written,
//! and continues the chain with this binary, as cosmovisor would. A real release adds its plan
//! to `bls_app::upgrades::REGISTERED` instead.

use bls_app::upgrades::Upgrade;
use bls_core::{Context, ModuleError};
use clap::Parser;

/// The demo plan's name.
const PLAN: &str = "v2-demo";

/// The demo plan (this release of `blsd` registers none of its own).
static UPGRADES: &[Upgrade] = &[Upgrade {
    name: PLAN,
    migrate: migrate_v2_demo,
}];

/// The demo migration: a state change every node makes the same way at the plan's height.
fn migrate_v2_demo(ctx: &mut Context<'_>) -> Result<(), ModuleError> {
    let auth = bls_app::modules::all_modules()
        .into_iter()
        .find(|m| m.name() == "auth")
        .ok_or_else(|| ModuleError::new("upgrade", 1, "no auth module"))?;
    let mut params = auth
        .params(ctx.store)?
        .ok_or_else(|| ModuleError::new("upgrade", 1, "auth has no params"))?;
    params["max_memo_characters"] = serde_json::json!("512");
    auth.set_params(ctx.store, &params)
}

fn main() {
    assert!(bls_app::upgrades::REGISTERED.iter().all(|u| u.name != PLAN));
    let cli = bls_app::cli::Cli::parse();
    if let Err(e) = cli.run_with(UPGRADES) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
